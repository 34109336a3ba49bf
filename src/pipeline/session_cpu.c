/* The CPU frame path of a session (vrt/session.h): pre-processing (the CPU
 * twin of vrt/vision.h), the CPU engine, the task head's CPU twin. submit
 * does the whole work before it returns, so collect answers at once. */
#include <string.h>

#include "pipeline/session_cascade.h"
#include "pipeline/session_impl.h"
#include "pipeline/session_parallel.h"

typedef struct cpu_state {
    float *in_tensor; /* batch * one frame's */
    /* Model outputs 0..n_out-1 (the engine fills a prefix), batch * one frame's each. */
    int n_out;
    float *out_tensor[VRT_SESSION_MAX_OUTPUTS];
    size_t out_values[VRT_SESSION_MAX_OUTPUTS]; /* one frame's */
    void *head;                                 /* the head's CPU context */
    uint8_t *payload;                           /* slots * batch * res_stride */
    /* Guided pre-filter (profile guided_radius > 0): the filtered RGB24 frame and scratch. */
    vrt_frame gf_frame;
    void *gf_scratch;
    size_t gf_scratch_bytes;
} cpu_state;

static void cpu_close(vrt_session_t *s) {
    cpu_state *c = s->impl;
    if (s->own_buffers)
        for (int i = 0; i < VRT_SESSION_MAX_SLOTS; i++)
            vrt_free(s->slot[i].buf);
    if (!c) return;
    if (c->head && s->head->cpu->destroy) s->head->cpu->destroy(&c->head);
    vrt_free(c->in_tensor);
    for (int i = 0; i < c->n_out; i++)
        vrt_free(c->out_tensor[i]);
    vrt_free(c->payload);
    vrt_free(c->gf_frame.planes[0].data);
    vrt_free(c->gf_scratch);
    vrt_free(c);
    s->impl = NULL;
}

static vrt_status cpu_open(vrt_session_t *s) {
    cpu_state *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    s->impl = c;
    const size_t nb = (size_t)s->batch, rb = s->res_stride;
    c->in_tensor = vrt_malloc(s->in_bytes * nb);
    c->payload = vrt_calloc((size_t)s->p.slots * nb, rb);
    if (!c->in_tensor || !c->payload)
        return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the session's tensors and results");
    for (int j = 0; j < s->hp.num_outputs; j++)
        if (s->hp.outputs[j] >= c->n_out) c->n_out = s->hp.outputs[j] + 1;
    for (int i = 0; i < c->n_out; i++) {
        vrt_model_tensor_info ti;
        vrt_engine_output_info(s->eng, i, &ti);
        size_t v = 1;
        for (int d = 0; d < ti.ndim; d++)
            v *= (size_t)(ti.dims[d] > 0 ? ti.dims[d] : 1);
        c->out_values[i] = v / nb;
        if (!(c->out_tensor[i] = vrt_malloc(v * sizeof(float))))
            return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the model's output %d", i);
    }
    vrt_status st;
    if (s->head->cpu->create && (st = s->head->cpu->create(&s->hp, &c->head, s->err, sizeof(s->err))))
        return st;
    if (s->prof.guided.radius > 0) {
        uint8_t *rgb = vrt_malloc(vrt_frame_size_for(VRT_FMT_RGB24, s->p.width, s->p.height));
        c->gf_scratch_bytes = vrt_guided_scratch_size(s->p.width, s->p.height);
        c->gf_scratch = vrt_malloc(c->gf_scratch_bytes);
        if (!rgb || !c->gf_scratch) {
            vrt_free(rgb);
            return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the guided filter's buffers");
        }
        vrt_frame_layout(&c->gf_frame, VRT_FMT_RGB24, s->p.width, s->p.height, rgb);
    }
    for (int i = 0; i < s->p.slots; i++) {
        if (s->p.buffers) {
            s->slot[i].buf = s->slot[i].up = s->p.buffers[i];
        } else {
            s->slot[i].buf = s->slot[i].up = vrt_calloc(1, s->slot_bytes);
            if (!s->slot[i].buf)
                return vrt__session_fail(s, VRT_ENOMEM, "out of memory for %d slot buffers of %zu bytes",
                                         s->p.slots, s->slot_bytes);
        }
        vrt__session_bind_results(s, i, c->payload + (size_t)i * nb * rb);
    }
    return VRT_OK;
}

static vrt_status cpu_preprocess(vrt_session_t *s, cpu_state *c, const uint8_t *frames) {
    char e[256] = "";
    for (int k = 0; k < s->batch; k++) {
        /* Positions past n keep their bytes: pre-processed too (the batch
         * runs whole) but their results are not returned. */
        vrt_frame f;
        memset(&f, 0, sizeof(f));
        vrt_status st = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height,
                                         (uint8_t *)frames + (size_t)k * s->frame_bytes);
        if (st) return st;
        f.bytesused = s->frame_bytes;
        const vrt_frame *src = &f;
        if (c->gf_scratch) {
            if ((st = vrt_guided_filter_frame(&f, &s->prof.guided, &c->gf_frame, c->gf_scratch,
                                              c->gf_scratch_bytes, e, sizeof(e))))
                return vrt__session_fail(s, st, "guided filter (batch position %d): %s", k, e);
            src = &c->gf_frame;
        }
        if ((st = vrt_preprocess_frame(src, &s->pre, (uint8_t *)c->in_tensor + (size_t)k * s->in_bytes,
                                       s->in_bytes, NULL, e, sizeof(e))))
            return vrt__session_fail(s, st, "preprocess (batch position %d): %s", k, e);
    }
    return VRT_OK;
}

/* The depth head's refinement of frame k with the frame itself (not the guided pre-filter's output) as guide.
 */
static vrt_status cpu_refine(vrt_session_t *s, cpu_state *c, vrt__session_slot *sl, int k) {
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    vrt_status st = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height,
                                     (uint8_t *)sl->up + (size_t)k * s->frame_bytes);
    if (st) return st;
    f.bytesused = s->frame_bytes;
    char e[256] = "";
    if ((st = vrt__head_refine(c->head, &s->hp, &f, (void *)sl->res[k].payload, e, sizeof(e))))
        return vrt__session_fail(s, st, "depth refinement (batch position %d): %s", k, e);
    return VRT_OK;
}

static vrt_status cpu_submit(vrt_session_t *s, int slot) {
    cpu_state *c = s->impl;
    vrt__session_slot *sl = &s->slot[slot];
    int64_t t0 = vrt_now_ns();
    vrt_status st = cpu_preprocess(s, c, sl->up);
    if (st) return st;
    int64_t t1 = vrt_now_ns();
    const size_t nb = (size_t)s->batch;
    vrt_engine_tensor in = {c->in_tensor, VRT_DTYPE_FLOAT, s->in_bytes * nb};
    vrt_engine_tensor out[VRT_SESSION_MAX_OUTPUTS];
    for (int i = 0; i < c->n_out; i++)
        out[i] =
            (vrt_engine_tensor){c->out_tensor[i], VRT_DTYPE_FLOAT, c->out_values[i] * sizeof(float) * nb};
    if ((st = vrt_engine_run(s->eng, &in, 1, out, c->n_out)))
        return vrt__session_fail(s, st, "model: %s", vrt_engine_last_error(s->eng));
    int64_t t2 = vrt_now_ns();
    for (int k = 0; k < sl->n; k++) {
        const float *o[VRT__HEAD_MAX_OUTPUTS];
        for (int j = 0; j < s->hp.num_outputs; j++)
            o[j] = c->out_tensor[s->hp.outputs[j]] + (size_t)k * s->hp.out_counts[j];
        if ((st = s->head->cpu->run(c->head, &s->hp, o, &s->geom, (void *)sl->res[k].payload, s->err,
                                    sizeof(s->err))))
            return st;
        if (s->hp.refine.radius > 0 && (st = cpu_refine(s, c, sl, k))) return st;
    }
    int64_t t3 = vrt_now_ns(), t4 = t3, t5 = t3;
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    if ((st = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height, sl->up))) return st;
    f.bytesused = s->frame_bytes;
    if (s->cascade) {
        vrt_result *r = &sl->res[0];
        if ((st = vrt__cascade_run_cpu(s->cascade, &f, r->payload, (vrt__cascade_result *)r->secondary,
                                       s->err, sizeof(s->err))))
            return st;
        t4 = t5 = vrt_now_ns();
        if (s->p.timings) sl->times[VRT_TIME_SECONDARY] = t4 - t3;
    }
    if (s->parallel) { /* the second model after the first (the CUDA branch's twin), then the join */
        if ((st = vrt__parallel_run_cpu(s, slot, &f, sl->ptimes))) return st;
        int64_t t = vrt_now_ns();
        vrt__parallel_join_cpu(s, slot);
        t5 = vrt_now_ns();
        if (s->p.timings) {
            sl->times[VRT_TIME_PARALLEL] = t - t4;
            sl->times[VRT_TIME_JOIN] = t5 - t;
        } else {
            memset(sl->ptimes, 0, sizeof(sl->ptimes));
        }
    }
    if (s->p.timings) {
        sl->times[VRT_TIME_PREPROCESS] = t1 - t0;
        sl->times[VRT_TIME_MODEL] = t2 - t1;
        sl->times[VRT_TIME_POSTPROCESS] = t3 - t2;
    }
    sl->times[VRT_TIME_TOTAL] = t5 - t0;
    return VRT_OK;
}

static vrt_status cpu_collect(vrt_session_t *s, int slot, int block) {
    (void)s;
    (void)slot;
    (void)block;
    return VRT_OK; /* submit did the work */
}

const vrt__session_ops vrt__session_cpu = {
    .name = "cpu",
    .pinned = 0,
    .open = cpu_open,
    .close = cpu_close,
    .submit = cpu_submit,
    .collect = cpu_collect,
};
