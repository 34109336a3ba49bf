/*
 * The CPU reference backend: dispatch from IR nodes to the CPU kernels.
 *
 * prepare() allocates arena, const region and fp32 copies of fp16 weights,
 * builds every node's step with the shared builder (engine/step.h) over the
 * CPU kernel table (cpu_steps.c: per op family its type rules, scratch and
 * exec), sizes one scratch buffer for the largest need, creates the thread
 * pool and runs the plan's const nodes. run() calls each step's exec; it
 * does not allocate. Inside, FLOAT16 tensors are fp32 (vrt__plan_dtype).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend.h"
#include "engine/backend/cpu/cpu_impl.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "model/lowp.h"
#include "model/ops.h"

typedef vrt__cpu_ctx cpu_ctx;

static int is_f(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16;
}

/* One step; a kernel's failure named against its node. */
static vrt_status exec_step(cpu_ctx *c, const vrt__step *s) {
    vrt_status st = s->exec(c, s, NULL);
    if (st)
        return vrt__step_fail(s->n, st, c->err, sizeof(c->err), "kernel failed (%s)", vrt_status_name(st));
    return VRT_OK;
}

/* ---- interface ---- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Option profile_ops (env VRT_PROFILE_OPS=1): per-node time (mean over runs, and the fastest run: the
 * figure that holds on a shared, loaded machine) on stderr at destroy,
 * slowest first is left to the reader (sort -k3 -n). */
static void prof_report(const cpu_ctx *c) {
    if (!c->prof_ns || !c->prof_runs) return;
    double total = 0;
    for (int i = 0; i < c->n_steps; i++)
        total += c->prof_ns[i];
    fprintf(stderr, "vrt cpu profile: %lld runs, %.3f ms per run\n", (long long)c->prof_runs,
            total / 1e6 / (double)c->prof_runs);
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        const vrt__step *s = &c->steps[i];
        char shp[96] = "";
        if (s->nout && s->to[0]) {
            int w = 0;
            for (int d = 0; d < s->to[0]->shape.ndim && w >= 0 && w < (int)sizeof(shp) - 24; d++)
                w += snprintf(shp + w, sizeof(shp) - (size_t)w, "%s%lld", d ? "x" : "",
                              (long long)s->to[0]->shape.d[d]);
        }
        fprintf(stderr, "  %4d %-18s %8.3f ms %5.1f%% (min %.3f)  %s %s\n", i, s->n->op_type,
                c->prof_ns[i] / 1e6 / (double)c->prof_runs, total > 0 ? 100.0 * c->prof_ns[i] / total : 0.0,
                c->prof_min_ns[i] / 1e6, shp, s->n->name);
    }
}

static void cpu_destroy(void *vctx) {
    cpu_ctx *c = vctx;
    if (!c) return;
    prof_report(c);
    vrt_free(c->prof_ns);
    vrt_free(c->prof_min_ns);
    vrt__threadpool_destroy(&c->tp);
    if (c->wpack && c->wpack_own)
        for (int i = 0; i < c->ir->n_nodes; i++)
            vrt_free(c->wpack[i]);
    vrt_free(c->wpack);
    if (c->wcopies)
        for (int i = 0; i < c->ir->n_tensors; i++)
            vrt_free(c->wcopies[i]);
    vrt_free(c->wcopies);
    vrt_free(c->ptr);
    vrt_free(c->steps);
    vrt_free(c->arena_raw);
    vrt_free(c->consts_raw);
    vrt_free(c->scratch_raw);
    vrt_free(c);
}

/* n bytes at a VRT__PLAN_ALIGN boundary (*raw: the block to free). malloc gives 16-byte alignment
 * (mmap + 16 for large blocks), so half the 32-byte vector loads of activations and of the direct
 * convolution's padded input would straddle two cache lines; planned offsets are multiples of
 * VRT__PLAN_ALIGN, so every tensor starts on a cache line. */
static uint8_t *alloc_aligned(size_t n, uint8_t **raw) {
    *raw = vrt_malloc(n + VRT__PLAN_ALIGN);
    if (!*raw) return NULL;
    return *raw + (VRT__PLAN_ALIGN - (uintptr_t)*raw % VRT__PLAN_ALIGN) % VRT__PLAN_ALIGN;
}

/* Weight tensor i in the engine's internal type: the file's data, or a
 * converted copy (fp16 -> fp32; double, bfloat16, float8, 4-/2-bit ints). */
static vrt_status bind_weight(cpu_ctx *c, int i) {
    const vrt__tensor *t = &c->ir->tensors[i];
    if (vrt__plan_dtype(t->dtype) == t->dtype) {
        c->ptr[i] = t->data;
        return VRT_OK;
    }
    int64_t cnt = vrt__shape_numel(&t->shape);
    uint8_t *f = vrt_malloc((size_t)(cnt ? cnt : 1) * vrt__plan_elem_size(t->dtype));
    if (!f) return VRT_ENOMEM;
    if (t->dtype == VRT__DT_FLOAT16)
        vrt__half_to_float_n((const uint16_t *)t->data, (float *)(void *)f, cnt);
    else
        vrt__lowp_host_to_engine(t->dtype, t->data, f, cnt);
    c->wcopies[i] = (float *)(void *)f;
    c->ptr[i] = f;
    return VRT_OK;
}

/* Tensor pointers: weights (base's when sharing), arena and const, then views. */
static vrt_status bind_tensors(cpu_ctx *c, const cpu_ctx *base) {
    const vrt__ir *ir = c->ir;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor_plan *tp = &c->plan->t[i];
        vrt_status st;
        if (tp->storage == VRT__ST_WEIGHT && base)
            c->ptr[i] = base->ptr[i];
        else if (tp->storage == VRT__ST_WEIGHT && (st = bind_weight(c, i)))
            return st;
        else if (tp->storage == VRT__ST_ARENA)
            c->ptr[i] = c->arena + tp->offset;
        else if (tp->storage == VRT__ST_CONST)
            c->ptr[i] = c->consts + tp->offset;
    }
    for (int i = 0; i < ir->n_tensors; i++)
        if (c->plan->t[i].storage == VRT__ST_VIEW)
            c->ptr[i] = c->ptr[c->plan->t[i].base] + c->plan->t[i].view_off;
    return VRT_OK;
}

/* Steps through the shared builder; scratch, pool and profile sized after. */
static vrt_status build_steps(cpu_ctx *c, const vrt__backend_params *bp) {
    const vrt__step_backend be = {"CPU", 1, vrt__cpu_kernels, c};
    vrt_status st;
    for (int i = 0; i < c->ir->n_nodes; i++, c->n_steps++)
        if ((st = vrt__step_build(&be, c->ir, c->ptr, i, &c->steps[i], &c->scratch_bytes, c->err,
                                  sizeof(c->err))))
            return st;
    /* The engine checked the plan against the memory limit; the scratch (im2col and the like)
     * is known only now, and a large enough input makes it the largest buffer of all. */
    size_t lim = bp && bp->opt.memory_limit ? bp->opt.memory_limit : SIZE_MAX;
    int largest;
    size_t planned = c->plan->arena_bytes + c->plan->const_bytes +
                     vrt__engine_weight_copy_bytes(c->ir, c->plan, &vrt__backend_cpu, &largest);
    if (c->scratch_bytes > lim || planned > lim - c->scratch_bytes) {
        snprintf(c->err, sizeof(c->err),
                 "the CPU backend needs %zu MiB of scratch besides the model's %zu MiB (arena, constants, "
                 "weights), more than the memory limit of %zu MiB (vrt_engine_options.memory_limit); a "
                 "smaller input size (--height/--width) or batch needs less",
                 c->scratch_bytes >> 20, planned >> 20, lim >> 20);
        return VRT_ENOMEM;
    }
    if (c->scratch_bytes && !(c->scratch = alloc_aligned(c->scratch_bytes, &c->scratch_raw)))
        return VRT_ENOMEM;
    if ((st = vrt__threadpool_create(&c->tp, bp ? bp->threads : 0))) return st;
    if (bp && bp->priority == VRT_PRIORITY_HIGH) {
        /* Not permitted is not a failure: the model runs, at normal priority, and says so. */
        char e[384];
        c->prio_applied = vrt__threadpool_set_priority(c->tp, bp->priority, &c->prio_nice, e, sizeof(e)) == 0;
        if (!c->prio_applied)
            vrt_log(VRT_LOG_WARN, "cpu", "priority high: %s; running at normal priority", e);
    }
    if (bp && bp->opt.profile_ops == VRT_SWITCH_ON &&
        (!(c->prof_ns = vrt_calloc((size_t)c->n_steps + 1, sizeof(double))) ||
         !(c->prof_min_ns = vrt_calloc((size_t)c->n_steps + 1, sizeof(double)))))
        return VRT_ENOMEM;
    return VRT_OK;
}

/* Conv weights that never change (weights, const-folded tensors) packed
 * once into the fast path's layout (base's packs when sharing weights). */
static vrt_status pack_weights(cpu_ctx *c, const cpu_ctx *base) {
    c->wpack_own = !base;
    for (int i = 0; i < c->n_steps; i++) {
        const vrt__step *s = &c->steps[i];
        if (base) {
            c->wpack[i] = base->wpack[i];
            continue;
        }
        if (c->plan->node_const[i] || s->n->op != VRT__OP_Conv || s->nin < 2 || s->n->inputs[1] < 0) continue;
        vrt__storage st = c->plan->t[s->n->inputs[1]].storage;
        size_t nf = vrt__conv_packed_floats(&s->u.conv);
        if ((st != VRT__ST_WEIGHT && st != VRT__ST_CONST) || !nf) continue;
        if (!(c->wpack[i] = vrt_malloc(nf * sizeof(float)))) return VRT_ENOMEM;
        vrt__conv_pack_weights(&s->u.conv, s->in[1], c->wpack[i]);
    }
    return VRT_OK;
}

/* base != NULL (prepare_shared): weight pointers (and fp32 copies) are the base context's. */
static vrt_status prepare_ctx(const cpu_ctx *base, const vrt__ir *ir, const vrt__plan *plan,
                              const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    *out = NULL;
    cpu_ctx *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    c->ir = ir;
    c->plan = plan;
    vrt_status st = VRT_OK;
    c->ptr = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->ptr));
    c->wcopies = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->wcopies));
    c->steps = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(*c->steps));
    c->wpack = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(*c->wpack));
    c->arena = alloc_aligned(plan->arena_bytes, &c->arena_raw);
    c->consts = alloc_aligned(plan->const_bytes, &c->consts_raw);
    if (!c->ptr || !c->wcopies || !c->steps || !c->wpack || !c->arena || !c->consts) st = VRT_ENOMEM;
    if (!st) st = bind_tensors(c, base);
    if (!st) st = build_steps(c, bp);
    /* Const nodes run once, now. */
    for (int i = 0; !st && i < c->n_steps; i++)
        if (plan->node_const[i]) st = exec_step(c, &c->steps[i]);
    if (!st) st = pack_weights(c, base);
    if (!st) {
        *out = c;
        return VRT_OK;
    }
    if (st == VRT_ENOMEM && !c->err[0])
        snprintf(c->err, sizeof(c->err),
                 "out of memory preparing the CPU backend (arena %zu MiB); a smaller input size "
                 "(--height/--width) or batch needs less",
                 plan->arena_bytes >> 20);
    vrt_errbuf_set(err, cap, "%s", c->err);
    cpu_destroy(c);
    return st;
}

static vrt_status cpu_prepare(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                              void **out, char *err, size_t cap) {
    return prepare_ctx(NULL, ir, plan, bp, out, err, cap);
}

static vrt_status cpu_prepare_shared(const void *base, const vrt__ir *ir, const vrt__plan *plan,
                                     const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    return prepare_ctx(base, ir, plan, bp, out, err, cap);
}

static vrt_status cpu_set_input(void *vctx, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (i < 0 || i >= c->ir->n_inputs) return VRT_EINVAL;
    int t = c->ir->inputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "input %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", i, x->name,
                 (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype), nbytes,
                 vrt__dtype_name(dt));
        return VRT_EINVAL;
    }
    if (!c->ptr[t]) return VRT_OK; /* unused input */
    if (dt == VRT__DT_FLOAT16) {
        vrt__half_to_float_n((const uint16_t *)data, (float *)(void *)c->ptr[t], cnt);
    } else if (vrt__plan_dtype(dt) != dt) {
        vrt__lowp_host_to_engine(dt, data, c->ptr[t], cnt);
    } else if (cnt) {
        memcpy(c->ptr[t], data, nbytes);
    }
    return VRT_OK;
}

static vrt_status cpu_run(void *vctx, void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (c->prof_ns) {
        for (int i = 0; i < c->n_steps; i++) {
            if (c->plan->node_const[i]) continue;
            double t0 = now_ns();
            vrt_status st = exec_step(c, &c->steps[i]);
            double dt = now_ns() - t0;
            c->prof_ns[i] += dt;
            if (!c->prof_runs || dt < c->prof_min_ns[i]) c->prof_min_ns[i] = dt;
            if (st) return st;
        }
        c->prof_runs++;
        return VRT_OK;
    }
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        vrt_status st = exec_step(c, &c->steps[i]);
        if (st) return st;
    }
    return VRT_OK;
}

static vrt_status cpu_get_output(void *vctx, int i, void *data, vrt__dtype dt, size_t nbytes, void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (i < 0 || i >= c->ir->n_outputs) return VRT_EINVAL;
    int t = c->ir->outputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "output %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", i,
                 x->name, (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype),
                 nbytes, vrt__dtype_name(dt));
        return VRT_EINVAL;
    }
    const uint8_t *src = c->ptr[t];
    if (!src) {
        snprintf(c->err, sizeof(c->err), "output %d ('%s') has no storage", i, x->name);
        return VRT_EINVAL;
    }
    if (dt == VRT__DT_FLOAT16) {
        vrt__float_to_half_n((const float *)(const void *)src, data, cnt);
    } else if (vrt__plan_dtype(dt) != dt) {
        vrt__lowp_engine_to_host(dt, src, data, cnt);
    } else if (cnt) {
        memcpy(data, src, nbytes);
    }
    return VRT_OK;
}

static vrt_status cpu_sync(void *vctx, void *stream) {
    (void)vctx;
    (void)stream;
    return VRT_OK;
}

static const char *cpu_last_error(void *vctx) {
    return vctx ? ((cpu_ctx *)vctx)->err : "";
}

/* No device members (stream, input_ptr, output_ptr, enqueue) and no
 * per-step choices to report (n_choices, choice, precision: always fp32). */
static int cpu_priority(const void *ctx, int *value) {
    const cpu_ctx *c = ctx;
    *value = c->prio_nice;
    return c->prio_applied;
}

const vrt__backend_iface vrt__backend_cpu = {
    .name = "cpu",
    .prepare = cpu_prepare,
    .set_input = cpu_set_input,
    .run = cpu_run,
    .get_output = cpu_get_output,
    .sync = cpu_sync,
    .last_error = cpu_last_error,
    .destroy = cpu_destroy,
    .prepare_shared = cpu_prepare_shared,
    .priority = cpu_priority,
};
