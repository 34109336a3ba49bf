/* vrt_engine_options: the environment overrides, applied once per engine
 * where the caller left a field AUTO (an explicit value always wins). */
#include <string.h>

#include "core/options.h"
#include "engine/backend.h"

/* -1 unset, else the switch the variable says (0 -> OFF, other -> ON). */
static void apply_switch(vrt_switch *f, vrt__env v) {
    int e = vrt__env_flag(v);
    if (*f == VRT_SWITCH_AUTO && e >= 0) *f = e ? VRT_SWITCH_ON : VRT_SWITCH_OFF;
}

static vrt_status bad_value(vrt__env v, const char *val, const char *ok, char *err, size_t cap) {
    vrt_errbuf_set(err, cap, "%s='%s' is not valid; use %s (or unset it)", vrt__env_name(v), val, ok);
    return VRT_EINVAL;
}

/* Every enum field within its type's values (a caller's cast or garbage). */
static vrt_status check_ranges(const vrt_engine_options *o, char *err, size_t cap) {
    const struct {
        const char *name;
        int v, max;
    } f[] = {
        {"precision", (int)o->precision, VRT_PRECISION_TF32},
        {"conv", (int)o->conv, VRT_CONV_OWN},
        {"graphs", (int)o->graphs, VRT_SWITCH_OFF},
        {"pdl", (int)o->pdl, VRT_SWITCH_OFF},
        {"profile_ops", (int)o->profile_ops, VRT_SWITCH_OFF},
        {"fused_epilogue", (int)o->fused_epilogue, VRT_SWITCH_OFF},
        {"half_concat", (int)o->half_concat, VRT_SWITCH_OFF},
        {"concat_in_place", (int)o->concat_in_place, VRT_SWITCH_OFF},
        {"focus", (int)o->focus, VRT_SWITCH_OFF},
        {"own_maxpool", (int)o->own_maxpool, VRT_SWITCH_OFF},
        {"spp_cascade", (int)o->spp_cascade, VRT_SWITCH_OFF},
        {"add_epilogue", (int)o->add_epilogue, VRT_SWITCH_OFF},
        {"half_rows", (int)o->half_rows, VRT_SWITCH_OFF},
        {"dw_pointwise", (int)o->dw_pointwise, VRT_SWITCH_OFF},
        {"fuse_attention", (int)o->fuse_attention, VRT_SWITCH_OFF},
        {"fuse_layernorm", (int)o->fuse_layernorm, VRT_SWITCH_OFF},
        {"fuse_gelu", (int)o->fuse_gelu, VRT_SWITCH_OFF},
        {"fuse_matmul_bias", (int)o->fuse_matmul_bias, VRT_SWITCH_OFF},
        {"fuse_qdq", (int)o->fuse_qdq, VRT_SWITCH_OFF},
        {"fp16_guard", (int)o->fp16_guard, VRT_SWITCH_OFF},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (f[i].v < 0 || f[i].v > f[i].max) {
            vrt_errbuf_set(err, cap, "vrt_engine_options.%s = %d is out of range (0..%d; 0 = auto)",
                           f[i].name, f[i].v, f[i].max);
            return VRT_EINVAL;
        }
    if (!(o->fp16_tolerance >= 0.0f && o->fp16_tolerance < 1.0f)) {
        vrt_errbuf_set(err, cap,
                       "vrt_engine_options.fp16_tolerance = %g is out of range (0 <= t < 1; 0 = 0.01)",
                       (double)o->fp16_tolerance);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__engine_options_apply_env(vrt_engine_options *o, char *err, size_t cap) {
    vrt_status st = check_ranges(o, err, cap);
    if (st) return st;
    const char *m = vrt__env_get(VRT__ENV_CUDA_MATH);
    if (m && o->precision == VRT_PRECISION_AUTO) {
        if (!strcmp(m, "fp16"))
            o->precision = VRT_PRECISION_FP16;
        else if (!strcmp(m, "fp32"))
            o->precision = VRT_PRECISION_FP32;
        else if (!strcmp(m, "tf32"))
            o->precision = VRT_PRECISION_TF32;
        else if (strcmp(m, "auto"))
            return bad_value(VRT__ENV_CUDA_MATH, m, "fp16, fp32, tf32 or auto", err, cap);
    }
    const char *cv = vrt__env_get(VRT__ENV_CUDA_CONV);
    if (cv && o->conv == VRT_CONV_AUTO) {
        if (!strcmp(cv, "cudnn"))
            o->conv = VRT_CONV_CUDNN;
        else if (!strcmp(cv, "own"))
            o->conv = VRT_CONV_OWN;
        else if (strcmp(cv, "auto"))
            return bad_value(VRT__ENV_CUDA_CONV, cv, "cudnn, own or auto", err, cap);
    }
    apply_switch(&o->graphs, VRT__ENV_CUDA_GRAPHS);
    apply_switch(&o->pdl, VRT__ENV_CUDA_PDL);
    apply_switch(&o->profile_ops, VRT__ENV_PROFILE_OPS);
    if (!o->cache_dir) o->cache_dir = vrt__env_get(VRT__ENV_CACHE_DIR);
    return VRT_OK;
}
