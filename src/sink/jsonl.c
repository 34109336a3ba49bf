/* jsonl.c - the JSON lines sink (jsonl:PATH, jsonl:-, *.jsonl, *.json):
 * one line per result, written on the sink's thread (formatted into the
 * sink's own buffer and written with one fwrite, so lines never interleave),
 * and the summary line at finish. Schema: README "vrt run --json". The
 * result-formatting part is vrt_sink_json_result; the rest is plumbing. */
#include "sink-impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------------ */

static const char *task_key(vrt_task t) {
    return t == VRT_TASK_CLASSIFY ? "classes" : "detections";
}

/* Entry i of a CLASSES result. */
static void json_class(const vrt_result *res, int i, vrt_json *w) {
    int index = -1;
    float score = 0;
    vrt_result_class(res, i, &index, &score);
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "index", index);
    vrt_json_kv_string(w, "label", vrt_result_label(res, i));
    vrt_json_kv_double(w, "score", score);
    vrt_json_end_object(w);
}

/* Entry i of a DETECTIONS result: the box in frame pixels. */
static void json_detection(const vrt_result *res, int i, vrt_json *w) {
    vrt_detection d;
    vrt_result_detection(res, i, &d);
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "class_id", d.class_id);
    vrt_json_kv_string(w, "label", vrt_result_label(res, i));
    vrt_json_kv_double(w, "score", d.score);
    vrt_json_key(w, "box");
    vrt_json_begin_array(w);
    vrt_json_double(w, d.box.x1);
    vrt_json_double(w, d.box.y1);
    vrt_json_double(w, d.box.x2);
    vrt_json_double(w, d.box.y2);
    vrt_json_end_array(w);
    const int ns = vrt_result_secondary_count(res, i);
    if (ns > 0) { /* a cascade's classes of this detection's crop */
        vrt_json_key(w, "secondary");
        vrt_json_begin_array(w);
        for (int k = 0; k < ns; k++) {
            int index = -1;
            float score = 0;
            vrt_result_secondary(res, i, k, &index, &score);
            vrt_json_begin_object(w);
            vrt_json_kv_int(w, "index", index);
            vrt_json_kv_string(w, "label", vrt_result_secondary_label(res, i, k));
            vrt_json_kv_double(w, "score", score);
            vrt_json_end_object(w);
        }
        vrt_json_end_array(w);
    }
    float raw = 0, norm = 0;
    vrt_status od = vrt_result_object_depth(res, i, &raw, &norm);
    if (od == VRT_OK) { /* a depth model on the same frame: the median depth over the box */
        vrt_json_key(w, "depth");
        vrt_json_begin_object(w);
        vrt_json_kv_double(w, "raw", raw);
        vrt_json_kv_double(w, "norm", norm);
        vrt_json_end_object(w);
    } else if (od == VRT_ENOENT) {
        vrt_json_kv_null(w, "depth");
    }
    vrt_json_end_object(w);
}

/* The result's entries under its task's key, then its extra members. */
static void json_entries(const vrt_result *res, vrt_task task, vrt_json *w) {
    vrt_json_key(w, task_key(task));
    vrt_json_begin_array(w);
    vrt_result_type kind = vrt_result_kind(res);
    for (int i = 0; i < vrt_result_count(res); i++) {
        if (kind == VRT_RESULT_CLASSES)
            json_class(res, i, w);
        else if (kind == VRT_RESULT_DETECTIONS)
            json_detection(res, i, w);
        else if (kind == VRT_RESULT_KEYPOINTS)
            json_detection(res, i, w);
    }
    vrt_json_end_array(w);
    vrt_result_json_extras(res, w); /* keypoints, masks, depth, segmentation */
}

vrt_status vrt_sink_json_result(const vrt_pipeline_t *p, const vrt_pipeline_result *r, vrt_json *w) {
    (void)p; /* labels come with the result (vrt_result_label) */
    const vrt_pipeline_times *t = &r->t;
    vrt_json_begin_object(w);
    vrt_json_kv_string(w, "type", "frame");
    vrt_json_kv_int(w, "stream", r->stream);
    vrt_json_kv_uint(w, "index", r->index);
    vrt_json_kv_uint(w, "sequence", r->sequence);
    if (r->frame_number >= 0)
        vrt_json_kv_int(w, "frame_number", r->frame_number);
    else
        vrt_json_kv_null(w, "frame_number");
    vrt_json_kv_uint(w, "width", r->width);
    vrt_json_kv_uint(w, "height", r->height);
    vrt_json_kv_uint(w, "dropped_before", r->dropped_before);
    vrt_json_kv_bool(w, "deadline_miss", r->deadline_miss);
    vrt_json_key(w, "t_ns");
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "exposure", t->exposure_ns);
    vrt_json_kv_bool(w, "from_driver", r->ts_from_driver);
    vrt_json_kv_int(w, "dequeue", t->dequeue_ns);
    vrt_json_kv_int(w, "launch", t->launch_ns);
    vrt_json_kv_int(w, "done", t->done_ns);
    vrt_json_end_object(w);
    vrt_json_key(w, "ms");
    vrt_json_begin_object(w);
    vrt_json_kv_double(w, "capture", (double)(t->dequeue_ns - t->exposure_ns) / 1e6);
    vrt_json_kv_double(w, "queue", (double)(t->launch_ns - t->dequeue_ns) / 1e6);
    vrt_json_kv_double(w, "preprocess", (double)t->preprocess_ns / 1e6);
    vrt_json_kv_double(w, "infer", (double)t->infer_ns / 1e6);
    vrt_json_kv_double(w, "postprocess", (double)t->postprocess_ns / 1e6);
    vrt_json_kv_double(w, "process", (double)(t->done_ns - t->launch_ns) / 1e6);
    vrt_json_kv_double(w, "age", (double)(t->launch_ns - t->exposure_ns) / 1e6);
    vrt_json_kv_double(w, "e2e", (double)(t->done_ns - t->exposure_ns) / 1e6);
    const vrt_result *par = vrt_result_parallel(r->result);
    if (par) { /* the second model's own stages */
        vrt_json_kv_double(w, "parallel_preprocess", (double)t->parallel_preprocess_ns / 1e6);
        vrt_json_kv_double(w, "parallel_infer", (double)t->parallel_infer_ns / 1e6);
        vrt_json_kv_double(w, "parallel_postprocess", (double)t->parallel_postprocess_ns / 1e6);
    }
    vrt_json_end_object(w);
    json_entries(r->result, r->task, w);
    if (par) { /* a second model on the same frame: its result, in the same form */
        vrt_json_key(w, "parallel");
        vrt_json_begin_object(w);
        vrt_json_kv_string(w, "task", vrt_task_name(vrt_result_task(par)));
        json_entries(par, vrt_result_task(par), w);
        vrt_json_end_object(w);
    }
    vrt_json_end_object(w);
    return vrt_json_status(w);
}

static void json_hist(vrt_json *w, const char *key, const vrt_hist_summary *s) {
    vrt_json_key(w, key);
    vrt_json_begin_object(w);
    vrt_json_kv_uint(w, "count", s->count);
    vrt_json_kv_double(w, "min", (double)s->min / 1e6);
    vrt_json_kv_double(w, "p50", (double)s->p50 / 1e6);
    vrt_json_kv_double(w, "p90", (double)s->p90 / 1e6);
    vrt_json_kv_double(w, "p99", (double)s->p99 / 1e6);
    vrt_json_kv_double(w, "p999", (double)s->p999 / 1e6);
    vrt_json_kv_double(w, "max", (double)s->max / 1e6);
    vrt_json_kv_double(w, "mean", s->mean / 1e6);
    vrt_json_kv_double(w, "stddev", s->stddev / 1e6);
    vrt_json_end_object(w);
}

static void json_batching(vrt_pipeline_t *p, vrt_json *w) {
    vrt_pipeline_batch_stats b;
    vrt_pipeline_get_batch_stats(p, &b);
    vrt_json_key(w, "batching");
    if (b.mode == VRT_BATCH_OFF) {
        vrt_json_null(w);
        return;
    }
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "sources", b.sources);
    vrt_json_kv_double(w, "batched_ms", b.batched_ms);
    vrt_json_kv_double(w, "unbatched_ms", b.unbatched_ms);
    vrt_json_kv_double(w, "speedup", b.batched_ms > 0 ? b.unbatched_ms / b.batched_ms : 0);
    vrt_json_kv_bool(w, "lowers_latency", b.batched_ms < b.unbatched_ms);
    vrt_json_kv_string(w, "mode", b.mode == VRT_BATCH_AUTO ? "auto" : "on");
    vrt_json_kv_int(w, "groups", b.groups);
    vrt_json_key(w, "sizes");
    vrt_json_begin_array(w);
    for (int k = 0; k < b.nsizes; k++)
        vrt_json_int(w, b.sizes[k]);
    vrt_json_end_array(w);
    vrt_json_kv_double(w, "deadline_ms", (double)b.deadline_ns / 1e6);
    vrt_json_kv_uint(w, "runs", b.runs);
    vrt_json_kv_uint(w, "frames", b.frames);
    vrt_json_kv_double(w, "mean_batch", b.runs ? (double)b.frames / (double)b.runs : 0);
    vrt_json_kv_uint(w, "padded", b.padded);
    if (b.reason[0])
        vrt_json_kv_string(w, "reason", b.reason);
    else
        vrt_json_kv_null(w, "reason");
    vrt_json_end_object(w);
}

/* The sessions' memory plan in MiB (device memory on cuda, host on cpu). */
static void json_memory(vrt_pipeline_t *p, vrt_json *w) {
    vrt_pipeline_memory m;
    vrt_pipeline_get_memory(p, &m);
    const double mib = 1024.0 * 1024.0;
    vrt_json_key(w, "memory");
    vrt_json_begin_object(w);
    vrt_json_kv_double(w, "weights_mib", (double)m.weights / mib);
    vrt_json_kv_double(w, "per_stream_mib", (double)m.per_stream / mib);
    vrt_json_kv_double(w, "arena_mib", (double)m.arena / mib);
    vrt_json_kv_double(w, "slots_mib", (double)m.slots / mib);
    vrt_json_kv_double(w, "batched_mib", (double)m.batched / mib);
    vrt_json_kv_int(w, "streams_alone", m.streams_alone);
    vrt_json_kv_double(w, "planned_mib", (double)m.planned / mib);
    if (m.budget)
        vrt_json_kv_double(w, "budget_mib", (double)m.budget / mib);
    else
        vrt_json_kv_null(w, "budget_mib");
    vrt_json_end_object(w);
}

/* Per sink: results written, dropped because it fell behind, lost by the sink itself, and its latency. */
static void json_sinks(vrt_pipeline_t *p, vrt_json *w) {
    vrt_json_key(w, "sinks");
    vrt_json_begin_array(w);
    for (int i = 0; i < vrt_pipeline_num_outputs(p); i++) {
        vrt_pipeline_output_stats os;
        vrt_pipeline_get_output_stats(p, i, &os);
        vrt_json_begin_object(w);
        vrt_json_kv_string(w, "name", os.name);
        vrt_json_kv_uint(w, "written", os.written);
        vrt_json_kv_uint(w, "dropped", os.dropped);
        vrt_json_kv_uint(w, "lost", os.lost);
        vrt_json_kv_string(w, "detail", os.detail);
        vrt_json_key(w, "latency_ms"); /* result ready -> the sink's write returned (display: presented) */
        vrt_json_begin_object(w);
        vrt_json_kv_uint(w, "count", os.latency.count);
        vrt_json_kv_double(w, "p50", (double)os.latency.p50 / 1e6);
        vrt_json_kv_double(w, "p90", (double)os.latency.p90 / 1e6);
        vrt_json_kv_double(w, "p99", (double)os.latency.p99 / 1e6);
        vrt_json_kv_double(w, "max", (double)os.latency.max / 1e6);
        vrt_json_end_object(w);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
}

/* Streams over several GPUs: per logical device its CUDA ordinal (null on
 * the cpu backend), how many streams run there and their summed load. */
static void json_devices(vrt_pipeline_t *p, const vrt_pipeline_info *in, vrt_json *w) {
    int n[VRT_PIPELINE_MAX_DEVICES] = {0};
    double load[VRT_PIPELINE_MAX_DEVICES] = {0};
    int cuda = !strcmp(in->backend, "cuda");
    for (int i = 0; i < in->streams; i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(p, i, &st);
        if (st.device_slot < 0 || st.device_slot >= in->ndevices) continue;
        n[st.device_slot]++;
        load[st.device_slot] += st.load;
    }
    vrt_json_key(w, "devices");
    vrt_json_begin_array(w);
    for (int d = 0; d < in->ndevices && d < VRT_PIPELINE_MAX_DEVICES; d++) {
        vrt_json_begin_object(w);
        vrt_json_kv_int(w, "device_slot", d);
        if (cuda)
            vrt_json_kv_int(w, "device", in->devices[d]);
        else
            vrt_json_kv_null(w, "device");
        vrt_json_kv_int(w, "streams", n[d]);
        vrt_json_kv_double(w, "load", load[d]);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
}

vrt_status vrt_sink_json_summary(vrt_pipeline_t *p, const char *stopped_by, vrt_json *w) {
    vrt_pipeline_info in;
    vrt_pipeline_get_info(p, &in);
    const vrt_profile *prof = vrt_pipeline_profile(p);
    vrt_json_begin_object(w);
    vrt_json_kv_string(w, "type", "summary");
    vrt_json_kv_string(w, "model", in.model);
    vrt_json_kv_string(w, "profile", prof->path);
    vrt_json_kv_string(w, "task", vrt_task_name(prof->task));
    vrt_json_kv_string(w, "backend", in.backend);
    vrt_json_kv_string(w, "policy", in.policy == VRT_POLICY_ALL ? "all" : "newest");
    if (in.deadline_ns > 0)
        vrt_json_kv_double(w, "deadline_ms", (double)in.deadline_ns / 1e6);
    else
        vrt_json_kv_null(w, "deadline_ms");
    vrt_json_kv_string(w, "stopped_by", stopped_by ? stopped_by : "");
    vrt_json_kv_int(w, "weight_users", in.weight_users);
    /* The run (every stream started -> stop) and the process's CPU time in it. */
    int64_t run_end = in.run_stop_ns ? in.run_stop_ns : vrt_now_ns();
    double run_s = in.run_start_ns ? (double)(run_end - in.run_start_ns) / 1e9 : 0;
    vrt_json_kv_int(w, "run_start_ns", in.run_start_ns); /* CLOCK_MONOTONIC */
    vrt_json_kv_double(w, "run_s", run_s);
    vrt_json_kv_double(w, "cpu_s", in.cpu_s);
    vrt_json_kv_double(w, "cpu_cores", run_s > 0 ? in.cpu_s / run_s : 0);
    json_batching(p, w);
    json_memory(p, w);
    json_sinks(p, w);
    json_devices(p, &in, w);
    vrt_json_key(w, "streams");
    vrt_json_begin_array(w);
    for (int i = 0; i < in.streams; i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(p, i, &st);
        char fcc[8];
        vrt_json_begin_object(w);
        vrt_json_kv_int(w, "stream", i);
        vrt_json_kv_string(w, "uri", st.uri);
        vrt_json_kv_string(w, "kind", st.info.kind);
        vrt_json_kv_string(w, "format", vrt_fourcc_name(st.info.fourcc, fcc));
        vrt_json_kv_uint(w, "width", st.info.width);
        vrt_json_kv_uint(w, "height", st.info.height);
        vrt_json_kv_double(w, "source_fps", st.info.fps);
        if (st.device >= 0)
            vrt_json_kv_int(w, "device", st.device);
        else
            vrt_json_kv_null(w, "device");
        vrt_json_kv_int(w, "device_slot", st.device_slot);
        vrt_json_kv_double(w, "load", st.load);
        vrt_json_kv_string(w, "priority", vrt_priority_name(st.priority));
        vrt_json_kv_int(w, "priority_value", st.priority_value);
        vrt_json_kv_bool(w, "priority_applied", st.priority_applied);
        vrt_json_kv_int(w, "threads_raised", st.threads_raised);
        if (st.capture_io[0])
            vrt_json_kv_string(w, "capture_io", st.capture_io);
        else
            vrt_json_kv_null(w, "capture_io");
        vrt_json_kv_uint(w, "zero_copy", st.zero_copy);
        vrt_json_kv_string(w, "state", st.state);
        if (st.error[0])
            vrt_json_kv_string(w, "error", st.error);
        else
            vrt_json_kv_null(w, "error");
        vrt_json_kv_uint(w, "results", st.results);
        vrt_json_kv_uint(w, "captured", st.captured);
        vrt_json_kv_uint(w, "dropped", st.dropped);
        vrt_json_kv_uint(w, "dropped_source", st.source.dropped);
        vrt_json_kv_uint(w, "dropped_handoff", st.displaced);
        vrt_json_kv_uint(w, "discarded", st.discarded);
        vrt_json_kv_uint(w, "deadline_misses", st.deadline_misses);
        vrt_json_kv_uint(w, "errors", st.errors);
        vrt_json_kv_uint(w, "unplugs", st.unplugs);
        vrt_json_kv_uint(w, "reconnects", st.reconnects);
        vrt_json_kv_double(w, "duration_s",
                           (double)((st.end_ns ? st.end_ns : vrt_now_ns()) - st.start_ns) / 1e9);
        vrt_json_kv_double(w, "fps", st.fps);
        vrt_json_key(w, "latency_ms");
        vrt_json_begin_object(w);
        for (int k = 0; k < VRT_STAGE_COUNT; k++)
            if (k < VRT_STAGE_PARALLEL_PREPROCESS ||
                st.stage[k].count) /* a second model's: when there is one */
                json_hist(w, vrt_stage_name((vrt_stage)k), &st.stage[k]);
        vrt_json_end_object(w);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
    vrt_json_end_object(w);
    return vrt_json_status(w);
}

/* ---- the sink ------------------------------------------------------------------ */

#define JSONL_DEPTH 64 /* results that may wait: a line takes microseconds, so only a stall drops */

typedef struct jsonl {
    FILE *f;
    int own;          /* opened here (not stdout) */
    vrt__outfile out; /* when own */
    char path[512];
    char name[64];
    char buf[16384];
} jsonl;

static void jsonl_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    jsonl *j = ctx;
    vrt_json w;
    vrt_json_init_buffer(&w, j->buf, sizeof(j->buf) - 1);
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_sink_json_result(p, r, &w);
    if (vrt_json_finish(&w) == VRT_OK) {
        size_t n = vrt_json_length(&w);
        j->buf[n] = '\n';
        fwrite(j->buf, 1, n + 1, j->f);
    }
}

static vrt_status jsonl_finish(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    jsonl *j = ctx;
    vrt_json w;
    vrt_json_init_file(&w, j->f);
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_sink_json_summary(p, stopped_by, &w);
    vrt_json_newline(&w);
    vrt_status st = vrt_json_finish(&w);
    if (j->own) {
        /* Complete: replaces the old file now (a write error removes the partial one). */
        vrt_status cs = vrt__outfile_commit(&j->out, err, cap);
        j->f = NULL;
        return st ? st : cs;
    }
    if (fflush(j->f) != 0 || ferror(j->f)) st = VRT_EIO;
    if (st) vrt_errbuf_set(err, cap, "%s: write failed (%s)", j->path, strerror(errno));
    return st;
}

static void jsonl_destroy(void *ctx) {
    jsonl *j = ctx;
    if (j->own)
        vrt__outfile_abandon(&j->out); /* not finished: the old file stays */
    else
        fflush(j->f);
    vrt_free(j);
}

static vrt_status jsonl_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                             const vrt_sink_params *sp, char *err, size_t cap) {
    (void)sp;
    (void)p;
    jsonl *j = vrt_calloc(1, sizeof(*j));
    if (!j) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    snprintf(j->path, sizeof(j->path), "%s", path);
    if (!strcmp(path, "-")) {
        j->f = stdout;
    } else {
        vrt_status st = vrt__outfile_open(&j->out, path, err, cap);
        if (st) {
            vrt_free(j);
            return st;
        }
        j->f = j->out.f;
        j->own = 1;
    }
    snprintf(j->name, sizeof(j->name), "jsonl:%s", path);
    o->name = j->name;
    o->depth = JSONL_DEPTH;
    o->ctx = j;
    o->write = jsonl_write;
    o->finish = jsonl_finish;
    o->destroy = jsonl_destroy;
    return VRT_OK;
}

const vrt__sink_kind vrt__sink_jsonl = {
    .scheme = "jsonl",
    .extensions = ".jsonl .json",
    .example = "jsonl:PATH|-",
    .available = 1,
    .open = jsonl_open,
};
