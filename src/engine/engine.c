/* Public engine API (vrt/engine.h): load -> passes -> plan -> backend. */
#include "vrt/engine.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/device.h"
#include "model/internal.h"
#include "model/plan.h"

struct vrt_engine {
    vrt__ir *ir;
    vrt__plan *plan;
    const vrt__backend_iface *be;
    void *ctx;
    vrt__pass_report rep;
    int threads;
    vrt_priority priority;
    vrt_engine_options opt; /* as resolved at open (environment applied); shared engines reuse it */
    char cache_dir[1024];   /* opt.cache_dir's copy (the caller's string need not outlive the open) */
    char err[512];
    /* Weight sharing (vrt_engine_open_shared): owner = the engine whose ir,
     * plan and backend context hold the weights (NULL: this one); users
     * counts the engines over this engine's weights, itself included. */
    struct vrt_engine *owner;
    _Atomic int users;
};

void vrt_engine_default_params(vrt_engine_params *p) {
    memset(p, 0, sizeof(*p));
    p->backend = "cpu";
    p->optimize = 1;
}

const vrt__backend_iface *vrt__backend_find(const char *name) {
    if (!name || !strcmp(name, "cpu")) return &vrt__backend_cpu;
    if (!strcmp(name, "cuda")) return &vrt__backend_cuda ? &vrt__backend_cuda : NULL;
    return NULL;
}

int vrt_engine_backend_available(const char *name) {
    if (!name) return 0;
    if (!strcmp(name, "cpu")) return 1;
    if (!strcmp(name, "cuda"))
        return &vrt__backend_cuda && vrt__cuda_device_count && vrt__cuda_device_count() > 0;
    return 0;
}

vrt_status vrt_engine_device_memory(const char *backend, int device, size_t *free_bytes,
                                    size_t *total_bytes) {
    if (free_bytes) *free_bytes = 0;
    if (total_bytes) *total_bytes = 0;
    if (!backend || strcmp(backend, "cuda") || !vrt__cuda_mem_info) return VRT_ENOTSUP;
    return vrt__cuda_mem_info(device, free_bytes, total_bytes);
}

/* double, bfloat16, float8/float4 and 4-/2-bit ints are held in another
 * type inside the engine (model/lowp.h); a backend must convert
 * them at its boundary (set_input/get_output, weights) and run Cast with the
 * CPU's rounding. The CPU and CUDA backends do; any other is refused such
 * models here, before it sees them. */
static int converts_wide_types(const vrt__backend_iface *be) {
    /* be is never NULL, so an absent (weak, NULL) CUDA table never matches. */
    return be == &vrt__backend_cpu || be == &vrt__backend_cuda;
}

vrt_status vrt__engine_open_ir(vrt__ir *ir, const vrt_engine_params *params, vrt_engine_t **out, char *err,
                               size_t cap) {
    vrt_engine_params def;
    if (!params) {
        vrt_engine_default_params(&def);
        params = &def;
    }
    *out = NULL;
    const vrt__backend_iface *be = vrt__backend_find(params->backend);
    if (!be) {
        vrt_errbuf_set(err, cap, "backend '%s' is not available; available: cpu%s", params->backend,
                       &vrt__backend_cuda ? ", cuda" : "");
        vrt__ir_destroy(&ir);
        return VRT_EUNSUPPORTED;
    }
    if (!converts_wide_types(be)) {
        for (int i = 0; i < ir->n_tensors; i++) {
            vrt__dtype dt = ir->tensors[i].dtype;
            if (dt != VRT__DT_FLOAT16 && vrt__plan_dtype(dt) != dt) {
                vrt_errbuf_set(err, cap,
                               "tensor '%s' has data type %s, which the %s backend does not support; the cpu "
                               "backend does",
                               ir->tensors[i].name, vrt__dtype_name(dt), be->name);
                vrt__ir_destroy(&ir);
                return VRT_EUNSUPPORTED;
            }
        }
    }
    vrt_engine_t *e = vrt_calloc(1, sizeof(*e));
    if (!e) {
        vrt__ir_destroy(&ir);
        return VRT_ENOMEM;
    }
    e->ir = ir;
    e->be = be;
    atomic_init(&e->users, 1);
    vrt_status st = VRT_OK;
    if (params->optimize) {
        vrt__pass_opts po;
        vrt__pass_default_opts(&po);
        const vrt_engine_options *o = &params->options;
        po.fuse_attention = o->fuse_attention != VRT_SWITCH_OFF;
        po.fuse_layernorm = o->fuse_layernorm != VRT_SWITCH_OFF;
        po.fuse_gelu = o->fuse_gelu != VRT_SWITCH_OFF;
        po.fuse_matmul_bias = o->fuse_matmul_bias != VRT_SWITCH_OFF;
        po.fuse_qdq = o->fuse_qdq != VRT_SWITCH_OFF;
        st = vrt__passes_run(ir, &po, &e->rep, err, cap);
    } else {
        st = vrt__ir_relink(ir);
    }
    e->opt = params->options;
    if (!st) st = vrt__engine_options_apply_env(&e->opt, err, cap);
    /* The CPU backend keeps the ONNX layout: a Concat's inputs are written
     * in place by their producers (CUDA does its own, in fp16 NHWC). */
    int concat_alias = be == &vrt__backend_cpu && e->opt.concat_in_place != VRT_SWITCH_OFF;
    if (!st) st = vrt__plan_build_ex(ir, concat_alias, &e->plan, err, cap);
    if (!st) st = vrt__engine_check_memory(ir, e->plan, be, params->device, &e->opt, err, cap);
    if (!st && e->opt.cache_dir) {
        snprintf(e->cache_dir, sizeof(e->cache_dir), "%s", e->opt.cache_dir);
        e->opt.cache_dir = e->cache_dir;
    }
    if (!st) {
        vrt__backend_params bp = {params->threads, params->device, e->opt, params->priority};
        st = be->prepare(ir, e->plan, &bp, &e->ctx, err, cap);
    }
    if (st) {
        vrt_engine_destroy(&e);
        return st;
    }
    e->threads = params->threads;
    e->priority = params->priority;
    *out = e;
    return VRT_OK;
}

vrt_status vrt_engine_open(const char *path, const vrt_engine_params *params, vrt_engine_t **out, char *err,
                           size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!path) {
        vrt_errbuf_set(err, cap, "model path is NULL");
        return VRT_EINVAL;
    }
    vrt__ir_params ip;
    memset(&ip, 0, sizeof(ip));
    if (params) ip.batch = params->batch, ip.height = params->height, ip.width = params->width;
    vrt__ir *ir = NULL;
    vrt_status st = vrt__ir_load_onnx(path, &ip, &ir, err, cap);
    if (st) return st;
    return vrt__engine_open_ir(ir, params, out, err, cap);
}

/* Drops one user of an owner engine's weights; the last one frees them. */
static void release_owner(vrt_engine_t *o) {
    if (atomic_fetch_sub(&o->users, 1) != 1) return;
    if (o->ctx) o->be->destroy(o->ctx);
    vrt__plan_destroy(&o->plan);
    vrt__ir_destroy(&o->ir);
    vrt_free(o);
}

void vrt_engine_destroy(vrt_engine_t **pe) {
    if (!pe || !*pe) return;
    vrt_engine_t *e = *pe;
    *pe = NULL;
    if (e->owner) {
        vrt_engine_t *o = e->owner;
        if (e->ctx) e->be->destroy(e->ctx);
        vrt_free(e);
        release_owner(o);
        return;
    }
    release_owner(e);
}

vrt_status vrt_engine_open_shared(vrt_engine_t *base, const vrt_engine_params *params, vrt_engine_t **out,
                                  char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!base) {
        vrt_errbuf_set(err, cap,
                       "vrt_engine_open_shared: no base engine; open one with vrt_engine_open first");
        return VRT_EINVAL;
    }
    vrt_engine_t *o = base->owner ? base->owner : base;
    if (!o->be->prepare_shared) {
        vrt_errbuf_set(err, cap, "the %s backend cannot share weights between engines; open a second engine",
                       o->be->name);
        return VRT_ENOTSUP;
    }
    vrt_engine_t *e = vrt_calloc(1, sizeof(*e));
    if (!e) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    e->ir = o->ir;
    e->plan = o->plan;
    e->be = o->be;
    e->rep = o->rep;
    e->owner = o;
    e->threads = params ? params->threads : o->threads;
    atomic_init(&e->users, 1);
    e->opt = o->opt;
    if (o->opt.cache_dir) {
        snprintf(e->cache_dir, sizeof(e->cache_dir), "%s", o->opt.cache_dir);
        e->opt.cache_dir = e->cache_dir;
    }
    e->priority = params ? params->priority : VRT_PRIORITY_NORMAL;
    vrt__backend_params bp = {e->threads, 0, e->opt, e->priority};
    vrt_status st = o->be->prepare_shared(o->ctx, o->ir, o->plan, &bp, &e->ctx, err, cap);
    if (st) {
        vrt_free(e);
        return st;
    }
    atomic_fetch_add(&o->users, 1);
    *out = e;
    return VRT_OK;
}

int vrt_engine_num_inputs(const vrt_engine_t *e) {
    return e ? e->ir->n_inputs : 0;
}
int vrt_engine_num_outputs(const vrt_engine_t *e) {
    return e ? e->ir->n_outputs : 0;
}

static void info_of(const vrt__tensor *t, vrt_model_tensor_info *info) {
    memset(info, 0, sizeof(*info));
    info->name = t->name;
    info->dtype = (int)t->dtype;
    info->ndim = t->shape.ndim;
    for (int i = 0; i < t->shape.ndim && i < VRT_MODEL_MAX_DIMS; i++)
        info->dims[i] = t->shape.d[i];
}

vrt_status vrt_engine_input_info(const vrt_engine_t *e, int i, vrt_model_tensor_info *info) {
    if (!e || !info || i < 0 || i >= e->ir->n_inputs) return VRT_EINVAL;
    info_of(&e->ir->tensors[e->ir->inputs[i]], info);
    return VRT_OK;
}

vrt_status vrt_engine_output_info(const vrt_engine_t *e, int i, vrt_model_tensor_info *info) {
    if (!e || !info || i < 0 || i >= e->ir->n_outputs) return VRT_EINVAL;
    info_of(&e->ir->tensors[e->ir->outputs[i]], info);
    return VRT_OK;
}

static vrt_status fail_run(vrt_engine_t *e, vrt_status st, const char *what) {
    const char *d = e->be->last_error ? e->be->last_error(e->ctx) : "";
    snprintf(e->err, sizeof(e->err), "%s%s%s", what, d && d[0] ? ": " : "", d ? d : "");
    return st;
}

vrt_status vrt_engine_run(vrt_engine_t *e, const vrt_engine_tensor *inputs, int n_inputs,
                          vrt_engine_tensor *outputs, int n_outputs) {
    if (!e) return VRT_EINVAL;
    if (n_inputs != e->ir->n_inputs || (n_inputs && !inputs) || n_outputs < 0 ||
        n_outputs > e->ir->n_outputs || (n_outputs && !outputs)) {
        snprintf(e->err, sizeof(e->err), "expected %d inputs and at most %d outputs; got %d and %d",
                 e->ir->n_inputs, e->ir->n_outputs, n_inputs, n_outputs);
        return VRT_EINVAL;
    }
    vrt_status st;
    for (int i = 0; i < n_inputs; i++)
        if ((st = e->be->set_input(e->ctx, i, inputs[i].data, (vrt__dtype)inputs[i].dtype, inputs[i].nbytes,
                                   NULL)))
            return fail_run(e, st, "input");
    if ((st = e->be->run(e->ctx, NULL))) return fail_run(e, st, "run");
    for (int i = 0; i < n_outputs; i++)
        if ((st = e->be->get_output(e->ctx, i, outputs[i].data, (vrt__dtype)outputs[i].dtype,
                                    outputs[i].nbytes, NULL)))
            return fail_run(e, st, "output");
    if (e->be->sync && (st = e->be->sync(e->ctx, NULL))) return fail_run(e, st, "sync");
    e->err[0] = 0;
    return VRT_OK;
}

void *vrt_engine_input_buffer(vrt_engine_t *e, int i, size_t *bytes) {
    if (bytes) *bytes = 0;
    if (!e || i < 0 || i >= e->ir->n_inputs || !e->be->host_input) return NULL;
    return e->be->host_input(e->ctx, i, bytes);
}

void *vrt_engine_output_buffer(vrt_engine_t *e, int i, size_t *bytes) {
    if (bytes) *bytes = 0;
    if (!e || i < 0 || i >= e->ir->n_outputs || !e->be->host_output) return NULL;
    return e->be->host_output(e->ctx, i, bytes);
}

const char *vrt_engine_last_error(const vrt_engine_t *e) {
    return e ? e->err : "";
}

vrt_status vrt_engine_get_stats(const vrt_engine_t *e, vrt_engine_stats *s) {
    if (!e || !s) return VRT_EINVAL;
    memset(s, 0, sizeof(*s));
    s->backend = e->be->name;
    s->threads = e->threads;
    s->nodes = e->ir->n_nodes;
    s->arena_bytes = e->plan->arena_bytes;
    s->naive_bytes = e->plan->naive_bytes;
    s->const_bytes = e->plan->const_bytes;
    s->weight_bytes = e->plan->weight_bytes;
    s->bn_folded = e->rep.bn_folded;
    s->act_fused = e->rep.act_fused + e->rep.silu_fused;
    s->residual_fused = e->rep.residual_fused;
    s->noops_removed = e->rep.noops_removed;
    s->views = e->rep.views;
    s->dead_removed = e->rep.dead_removed;
    s->n_fusions = e->rep.n_log;
    s->attention_fused = e->rep.attention_fused;
    s->layernorm_fused = e->rep.layernorm_fused;
    s->add_layernorm_fused = e->rep.add_layernorm_fused;
    s->gelu_fused = e->rep.gelu_fused;
    s->matmul_bias_fused = e->rep.matmul_bias_fused;
    s->qdq_conv_fused = e->rep.qdq_conv_fused;
    s->weight_users = atomic_load(&(e->owner ? e->owner : e)->users);
    s->weights_borrowed = e->owner != NULL;
    s->priority = e->priority;
    if (e->be->priority) s->priority_applied = e->be->priority(e->ctx, &s->priority_value);
    return VRT_OK;
}

const char *vrt_engine_fusion(const vrt_engine_t *e, int i) {
    if (!e || i < 0 || i >= e->rep.n_log) return NULL;
    return e->rep.log[i];
}

int vrt_engine_num_choices(const vrt_engine_t *e) {
    return e && e->be->n_choices ? e->be->n_choices(e->ctx) : 0;
}

const char *vrt_engine_choice(const vrt_engine_t *e, int i, char *buf, size_t cap) {
    if (!e || !e->be->choice || !buf || !cap || i < 0 || i >= vrt_engine_num_choices(e)) return NULL;
    return e->be->choice(e->ctx, i, buf, cap);
}

const char *vrt_engine_precision(const vrt_engine_t *e, int *is_auto) {
    if (is_auto) *is_auto = 0;
    if (!e) return "";
    /* The CPU backend computes in fp32 whatever the model's storage type. */
    return e->be->precision ? e->be->precision(e->ctx, is_auto) : "fp32";
}

int vrt_engine_num_fp32_kept(const vrt_engine_t *e) {
    return e && e->be->n_kept ? e->be->n_kept(e->ctx) : 0;
}

const char *vrt_engine_fp32_kept(const vrt_engine_t *e, int i, char *buf, size_t cap) {
    if (!e || !e->be->kept || !buf || !cap || i < -1 || i >= vrt_engine_num_fp32_kept(e)) return NULL;
    return e->be->kept(e->ctx, i, buf, cap);
}

const char *vrt_engine_step_summary(const vrt_engine_t *e, char *buf, size_t cap) {
    if (!e || !e->be->steps || !buf || !cap) return NULL;
    return e->be->steps(e->ctx, buf, cap);
}

const vrt__ir *vrt__engine_ir(const struct vrt_engine *e) {
    return e ? e->ir : NULL;
}
const vrt__plan *vrt__engine_plan(const struct vrt_engine *e) {
    return e ? e->plan : NULL;
}
const vrt__backend_iface *vrt__engine_backend(const struct vrt_engine *e) {
    return e ? e->be : NULL;
}
void *vrt__engine_backend_ctx(const struct vrt_engine *e) {
    return e ? e->ctx : NULL;
}

/* ---- device side for the session (engine/device.h) ---- */

int vrt__engine_has_device(const struct vrt_engine *e) {
    return e && e->be->stream && e->be->input_ptr && e->be->output_ptr && e->be->enqueue;
}
void *vrt__engine_stream(const struct vrt_engine *e) {
    return vrt__engine_has_device(e) ? e->be->stream(e->ctx) : NULL;
}
void *vrt__engine_device_input(struct vrt_engine *e, int i, size_t *bytes) {
    if (bytes) *bytes = 0;
    return vrt__engine_has_device(e) ? e->be->input_ptr(e->ctx, i, bytes) : NULL;
}
void *vrt__engine_device_output(struct vrt_engine *e, int i, size_t *bytes) {
    if (bytes) *bytes = 0;
    return vrt__engine_has_device(e) ? e->be->output_ptr(e->ctx, i, bytes) : NULL;
}
vrt_status vrt__engine_enqueue(struct vrt_engine *e, void *stream) {
    if (!vrt__engine_has_device(e)) {
        if (e)
            snprintf(e->err, sizeof(e->err), "backend '%s' has no device stream to enqueue on", e->be->name);
        return VRT_ENOTSUP;
    }
    vrt_status st = e->be->enqueue(e->ctx, stream);
    if (st) snprintf(e->err, sizeof(e->err), "%s", e->be->last_error(e->ctx));
    return st;
}
