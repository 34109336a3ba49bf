/* telemetry.c - per-stream latency histograms, counters and the per-frame
 * history ring. The processing thread is the only writer; readers get a
 * published copy (refreshed about 4 times a second with a trylock, so the
 * frame path never waits on a reader) or, after the threads were joined,
 * the writer's own histograms. */
#include "pipeline-impl.h"

#include <string.h>

#define PUBLISH_PERIOD_NS 250000000LL

static const char *const g_stage_names[VRT_STAGE_COUNT] = {
    "capture",
    "queue",
    "preprocess",
    "infer",
    "postprocess",
    "process",
    "deliver",
    "e2e",
    "age",
    "period",
    "parallel_preprocess",
    "parallel_infer",
    "parallel_postprocess",
};

const char *vrt_stage_name(vrt_stage s) {
    return (unsigned)s < VRT_STAGE_COUNT ? g_stage_names[s] : NULL;
}

vrt_status vrt__telemetry_init(vrt__telemetry *t, size_t history) {
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < VRT_STAGE_COUNT; i++) {
        vrt_hist_init(&t->hist[i]);
        vrt_hist_init(&t->published[i]);
    }
    if (pthread_mutex_init(&t->pub_lock, NULL)) return VRT_EIO;
    t->ring_cap = history ? history : 1;
    t->ring = vrt_calloc(t->ring_cap, sizeof(*t->ring));
    if (!t->ring) {
        pthread_mutex_destroy(&t->pub_lock);
        return VRT_ENOMEM;
    }
    return VRT_OK;
}

void vrt__telemetry_free(vrt__telemetry *t) {
    if (!t->ring) return;
    vrt_free(t->ring);
    t->ring = NULL;
    pthread_mutex_destroy(&t->pub_lock);
}

void vrt__telemetry_record(vrt__telemetry *t, const vrt_pipeline_result *r) {
    const vrt_pipeline_times *x = &r->t;
    vrt_hist_record(&t->hist[VRT_STAGE_CAPTURE], x->dequeue_ns - x->exposure_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_QUEUE], x->launch_ns - x->dequeue_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_PREPROCESS], x->preprocess_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_INFER], x->infer_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_POSTPROCESS], x->postprocess_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_PROCESS], x->done_ns - x->launch_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_DELIVER], x->delivered_ns - x->done_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_E2E], x->delivered_ns - x->exposure_ns);
    vrt_hist_record(&t->hist[VRT_STAGE_AGE], x->launch_ns - x->exposure_ns);
    if (vrt_result_parallel(r->result)) {
        vrt_hist_record(&t->hist[VRT_STAGE_PARALLEL_PREPROCESS], x->parallel_preprocess_ns);
        vrt_hist_record(&t->hist[VRT_STAGE_PARALLEL_INFER], x->parallel_infer_ns);
        vrt_hist_record(&t->hist[VRT_STAGE_PARALLEL_POSTPROCESS], x->parallel_postprocess_ns);
    }
    if (t->results) vrt_hist_record(&t->hist[VRT_STAGE_PERIOD], x->launch_ns - t->prev_launch_ns);
    if (!t->results) t->first_launch_ns = x->launch_ns;
    t->last_launch_ns = t->prev_launch_ns = x->launch_ns;
    t->results++;
    if (r->deadline_miss) t->deadline_misses++;
    atomic_store_explicit(&t->live_results, t->results, memory_order_relaxed);
    atomic_store_explicit(&t->live_misses, t->deadline_misses, memory_order_relaxed);

    vrt_pipeline_record *rec = &t->ring[t->ring_head];
    rec->sequence = r->sequence;
    rec->exposure_ns = x->exposure_ns;
    rec->launch_ns = x->launch_ns;
    rec->age_ns = x->launch_ns - x->exposure_ns;
    rec->process_ns = x->done_ns - x->launch_ns;
    rec->e2e_ns = x->delivered_ns - x->exposure_ns;
    rec->dropped_before = r->dropped_before > UINT32_MAX ? UINT32_MAX : (uint32_t)r->dropped_before;
    rec->deadline_miss = r->deadline_miss;
    t->ring_head = (t->ring_head + 1) % t->ring_cap;
    if (t->ring_count < t->ring_cap) t->ring_count++;

    if (x->delivered_ns >= t->next_publish_ns && pthread_mutex_trylock(&t->pub_lock) == 0) {
        memcpy(t->published, t->hist, sizeof(t->hist));
        pthread_mutex_unlock(&t->pub_lock);
        t->next_publish_ns = x->delivered_ns + PUBLISH_PERIOD_NS;
    }
}

void vrt__telemetry_copy(vrt__telemetry *t, vrt_stage s, vrt_hist *out, int exact) {
    if (exact) {
        *out = t->hist[s];
        return;
    }
    pthread_mutex_lock(&t->pub_lock);
    *out = t->published[s];
    pthread_mutex_unlock(&t->pub_lock);
}

size_t vrt__telemetry_records(const vrt__telemetry *t, vrt_pipeline_record *recs, size_t cap) {
    size_t n = t->ring_count < cap ? t->ring_count : cap;
    /* The newest n, oldest first. */
    size_t start = (t->ring_head + t->ring_cap - n) % t->ring_cap;
    for (size_t i = 0; i < n; i++)
        recs[i] = t->ring[(start + i) % t->ring_cap];
    return n;
}
