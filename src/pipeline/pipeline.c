/* pipeline.c - streams of source -> hand-off -> model -> callback.
 *
 * Per stream two threads: the capture thread reads the source and hands each
 * frame over (latest-value slot for NEWEST, bounded queue for ALL); the
 * processing thread takes it, runs the processor slot of the stream, fills
 * the result with its times, calls on_result and records the telemetry.
 * Everything is sized before start; the frame path allocates nothing, formats
 * nothing, and takes no lock (the hand-off's own mutex aside, and the
 * telemetry publish trylock a few times a second). */
#include "pipeline-state.h"
#include "pipeline/assign.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vrt/image.h"
#include "vrt/session.h"

static const char *const g_state_names[] = {"idle",  "running", "eof",      "stopped",
                                            "error", "timeout", "unplugged"};

static int64_t process_cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vrt_pipeline_default_params(vrt_pipeline_params *p) {
    memset(p, 0, sizeof(*p));
    p->backend = "cpu";
    p->policy = VRT_POLICY_NEWEST;
    p->history = 65536;
    p->decode_frame_number = 1;
    p->frame_timeout_ms = 5000;
    p->warmup = 1;
    p->pinned_capture = 1;
}

const char *vrt_pipeline_last_error(const vrt_pipeline_t *p) {
    return p ? p->err : "";
}
int vrt_pipeline_num_streams(const vrt_pipeline_t *p) {
    return p ? p->nstreams : 0;
}
const vrt_profile *vrt_pipeline_profile(const vrt_pipeline_t *p) {
    return &p->prof;
}
const char *vrt_pipeline_label(const vrt_pipeline_t *p, int class_id) {
    return p->labels ? vrt_labels_get(p->labels, class_id) : NULL;
}

vrt_status vrt_pipeline_create(vrt_pipeline_t **out, const vrt_pipeline_params *pp, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!pp || !pp->model || !pp->model[0]) {
        vrt_errbuf_set(err, cap, "pipeline: no model given; set params.model to an ONNX file");
        return VRT_EINVAL;
    }
    if (pp->ndevices < 0 || pp->ndevices > VRT_PIPELINE_MAX_DEVICES || (pp->ndevices && !pp->devices)) {
        vrt_errbuf_set(err, cap,
                       "pipeline: params.ndevices = %d; give 0 (device 0) or 1..%d ordinals in devices",
                       pp->ndevices, VRT_PIPELINE_MAX_DEVICES);
        return VRT_EINVAL;
    }
    for (int k = 0; k < pp->ndevices; k++)
        if (pp->devices[k] < 0) {
            vrt_errbuf_set(err, cap, "pipeline: params.devices[%d] = %d; CUDA ordinals are 0 or more", k,
                           pp->devices[k]);
            return VRT_EINVAL;
        }
    vrt_pipeline_t *p = vrt_calloc(1, sizeof(*p));
    if (!p) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    p->params = *pp;
    p->ndev = pp->ndevices > 0 ? pp->ndevices : 1;
    for (int k = 0; k < pp->ndevices; k++)
        p->dev[k] = pp->devices[k];
    p->params.devices = NULL; /* not kept: p->dev has them */
    snprintf(p->model, sizeof(p->model), "%s", pp->model);
    snprintf(p->backend, sizeof(p->backend), "%s", pp->backend && pp->backend[0] ? pp->backend : "cpu");
    p->params.model = p->model;
    p->params.backend = p->backend;
    p->params.profile = NULL; /* not kept: the loaded profile has its path */
    p->params.cascade = NULL;
    if (pp->cascade) {
        const vrt_cascade_params *c = pp->cascade;
        if (c->profile || c->num_classes < 0 || c->num_classes > 256) {
            vrt_errbuf_set(err, cap,
                           "pipeline cascade: give the classifier's profile as a path (profile_path) "
                           "and at most 256 classes");
            vrt_pipeline_destroy(&p);
            return VRT_EINVAL;
        }
        p->cascade_store = *c;
        snprintf(p->cascade_model, sizeof(p->cascade_model), "%s", c->model ? c->model : "");
        snprintf(p->cascade_profile, sizeof(p->cascade_profile), "%s",
                 c->profile_path ? c->profile_path : "");
        p->cascade_store.model = c->model ? p->cascade_model : NULL;
        p->cascade_store.profile_path = c->profile_path ? p->cascade_profile : NULL;
        if (c->num_classes > 0 && c->classes)
            memcpy(p->cascade_classes, c->classes, (size_t)c->num_classes * sizeof(int));
        p->cascade_store.classes = p->cascade_classes;
        p->cascade = &p->cascade_store;
    }
    p->params.parallel = NULL;
    p->models.cascade = p->cascade;
    p->params.refine_depth = NULL;
    if (pp->refine_depth) {
        p->refine_store = *pp->refine_depth;
        p->models.refine_depth = &p->refine_store;
    }
    if (pp->parallel) {
        const vrt_parallel_params *q = pp->parallel;
        if (q->profile || !q->profile_path) {
            vrt_errbuf_set(err, cap, "pipeline second model: give its profile as a path (profile_path)");
            vrt_pipeline_destroy(&p);
            return VRT_EINVAL;
        }
        snprintf(p->parallel_model, sizeof(p->parallel_model), "%s", q->model ? q->model : "");
        snprintf(p->parallel_profile, sizeof(p->parallel_profile), "%s", q->profile_path);
        p->parallel_store.model = q->model ? p->parallel_model : NULL;
        p->parallel_store.profile_path = p->parallel_profile;
        p->models.parallel = &p->parallel_store;
    }
    if (p->params.history <= 0) p->params.history = 65536;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    vrt_status st;
    if (pp->profile && pp->profile[0]) {
        st = vrt_profile_load(pp->profile, &p->prof, err, cap);
    } else {
        /* No profile: the model's own metadata (Ultralytics exports), else say what is missing. */
        char e2[768] = "";
        st = vrt_profile_from_model(p->model, &p->prof, e2, sizeof(e2));
        if (st == VRT_ENOENT) st = VRT_EINVAL; /* the profile is what is missing */
        if (st)
            vrt_errbuf_set(err, cap,
                           "pipeline: no profile for %s (%s); set params.profile to a models/*.conf file",
                           pp->model, e2);
    }
    if (!st) st = vrt_profile_load_labels(&p->prof, p->model, &p->labels, err, cap);
    if (st) {
        vrt_pipeline_destroy(&p);
        return st;
    }
    *out = p;
    return VRT_OK;
}

vrt_status vrt_pipeline_add_source(vrt_pipeline_t *p, const char *uri, const vrt_source_params *sp,
                                   int *index, char *err, size_t cap) {
    if (!p || !uri) return VRT_EINVAL;
    if (p->started) {
        vrt_errbuf_set(err, cap, "%s: sources are added before vrt_pipeline_start", uri);
        return VRT_EBUSY;
    }
    if (p->nstreams >= VRT_PIPELINE_MAX_STREAMS) {
        vrt_errbuf_set(err, cap, "%s: at most %d sources per pipeline", uri, VRT_PIPELINE_MAX_STREAMS);
        return VRT_ENOSPC;
    }
    stream *s = vrt_calloc(1, sizeof(*s));
    if (!s) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    s->pl = p;
    s->index = p->nstreams;
    snprintf(s->uri, sizeof(s->uri), "%s", uri);
    vrt_source_params params;
    if (sp)
        params = *sp;
    else
        vrt_source_default_params(&params);
    /* One buffer being filled, one in the hand-off, one being processed, one spare. */
    if (params.buffers == 0) params.buffers = 4;
    if (p->params.policy == VRT_POLICY_ALL) params.mode = VRT_MODE_ALL;
    /* decode=auto follows the backend: NVDEC's NV12 frames suit CUDA sessions; a CPU pipeline keeps
     * the GPU out of it and has FFmpeg decode (decode=nvdec in the URI still asks for NVDEC). */
    if (params.decode == VRT_DECODE_AUTO && strcmp(p->backend, "cuda")) params.decode = VRT_DECODE_CPU;
    s->reconnect = params.reconnect || strstr(uri, "reconnect=1") || strstr(uri, "reconnect=true");
    s->io_explicit = strstr(uri, "io=") != NULL;
    vrt_status st = vrt_source_open(&s->src, uri, &params, err, cap);
    if (st == VRT_OK) {
        vrt_source_get_info(s->src, &s->info);
        s->is_synthetic = !strcmp(s->info.kind, "synthetic");
        if (!strcmp(s->info.kind, "v4l2"))
            snprintf(s->capture_io, sizeof(s->capture_io), "%s", params.use_userptr ? "userptr" : "mmap");
        st = vrt__telemetry_init(&s->tel, (size_t)p->params.history);
        if (st) vrt_errbuf_set(err, cap, "out of memory for %d frame records", p->params.history);
    }
    if (st == VRT_OK) {
        st = p->params.policy == VRT_POLICY_ALL ? vrt_queue_create(&s->queue, 2) : vrt_slot_create(&s->slot);
        if (st) vrt_errbuf_set(err, cap, "cannot create the frame hand-off (%s)", vrt_status_str(st));
    }
    if (st) {
        vrt_source_destroy(&s->src);
        vrt__telemetry_free(&s->tel);
        vrt_slot_destroy(&s->slot);
        vrt_queue_destroy(&s->queue);
        vrt_free(s);
        return st;
    }
    p->streams[p->nstreams++] = s;
    if (index) *index = s->index;
    return VRT_OK;
}

vrt_status vrt_pipeline_set_priority(vrt_pipeline_t *p, int stream_index, vrt_priority priority) {
    if (!p) return VRT_EINVAL;
    if (stream_index < 0 || stream_index >= p->nstreams || !vrt_priority_name(priority)) {
        vrt_errbuf_set(p->err, sizeof(p->err),
                       "vrt_pipeline_set_priority: stream %d, priority %d: give a stream index 0..%d and "
                       "VRT_PRIORITY_NORMAL or VRT_PRIORITY_HIGH",
                       stream_index, (int)priority, p->nstreams - 1);
        return VRT_EINVAL;
    }
    if (p->started) {
        vrt_errbuf_set(p->err, sizeof(p->err), "priorities are set before vrt_pipeline_start");
        return VRT_EBUSY;
    }
    p->streams[stream_index]->priority = priority;
    return VRT_OK;
}

static void emit(stream *s, vrt_pipeline_event_kind kind, const char *detail) {
    vrt_pipeline_t *p = s->pl;
    if (!p->params.on_event) return;
    vrt_pipeline_event e = {s->index, kind, vrt_now_ns(), detail ? detail : ""};
    p->params.on_event(p->params.user, &e);
}

/* Ends the stream once: records why (first caller wins). */
static void end_stream(stream *s, stream_state why, const char *detail) {
    int expected = ST_RUNNING;
    if (atomic_compare_exchange_strong(&s->state, &expected, (int)why)) {
        if (detail) snprintf(s->error, sizeof(s->error), "%s", detail);
    }
}

static void handoff_close(stream *s) {
    if (s->slot) vrt_slot_close(s->slot);
    if (s->queue) vrt_queue_close(s->queue);
    if (s->grp) vrt__batch_notify(s); /* the group thread sees the end */
}

/* A HIGH stream's capture and processing threads ask for the raised CPU
 * priority as they start (vrt_thread_set_priority); where the process may
 * not, they keep theirs and the first refusal is logged. */
static void raise_thread(stream *s) {
    if (s->priority != VRT_PRIORITY_HIGH) return;
    char e[384];
    if (vrt_thread_set_priority(s->priority, e, sizeof(e)) == VRT_OK) {
        atomic_fetch_add(&s->raised, 1);
        return;
    }
    if (!atomic_exchange(&s->pl->prio_warned, 1))
        vrt_log(VRT_LOG_WARN, "pipeline", "%s: priority high: %s; its threads run at normal CPU priority%s",
                s->uri, e, strcmp(s->pl->backend, "cuda") ? "" : " (the GPU stream priority still applies)");
}

static void *capture_main(void *arg) {
    stream *s = arg;
    vrt_pipeline_t *p = s->pl;
    raise_thread(s);
    int64_t timeout_ns = p->params.frame_timeout_ms > 0 ? (int64_t)p->params.frame_timeout_ms * 1000000 : 0;
    int64_t last_frame = vrt_now_ns();
    int unplugged = 0;
    while (!atomic_load(&s->stop)) {
        vrt_frame *f = NULL;
        vrt_status st = vrt_source_read(s->src, &f, 100);
        int64_t now = vrt_now_ns();
        if (st == VRT_OK) {
            if (unplugged) {
                unplugged = 0;
                atomic_fetch_add(&s->reconnects, 1);
                emit(s, VRT_EVENT_RECONNECTED, s->uri);
            }
            atomic_fetch_add_explicit(&s->captured, 1, memory_order_relaxed);
            last_frame = now;
            if (s->slot) {
                void *old = NULL;
                st = vrt_slot_put(s->slot, f, &old);
                if (old) {
                    vrt_frame *of = old;
                    vrt_frame_unref(&of);
                    atomic_fetch_add_explicit(&s->displaced, 1, memory_order_relaxed);
                }
                if (st) {
                    vrt_frame_unref(&f);
                    atomic_fetch_add(&s->discarded, 1);
                    break;
                }
                if (s->grp) vrt__batch_notify(s);
            } else {
                do {
                    st = vrt_queue_push(s->queue, f, 100);
                } while (st == VRT_EAGAIN && !atomic_load(&s->stop));
                if (st) {
                    vrt_frame_unref(&f);
                    atomic_fetch_add(&s->discarded, 1);
                    break;
                }
                if (s->grp) vrt__batch_notify(s);
            }
            continue;
        }
        if (st == VRT_EAGAIN || st == VRT_EINTR) {
            if (timeout_ns && !unplugged && now - last_frame > timeout_ns) {
                char m[400];
                snprintf(m, sizeof(m), "%s: no frame for %.3g s", s->uri, (double)timeout_ns / 1e9);
                end_stream(s, ST_TIMEOUT, m);
                emit(s, VRT_EVENT_TIMEOUT, m);
                break;
            }
            continue;
        }
        if (st == VRT_EOF) {
            end_stream(s, ST_EOF, NULL);
            emit(s, VRT_EVENT_EOF, s->uri);
            break;
        }
        const char *m = vrt_source_last_error(s->src);
        if (st == VRT_ENODEV) {
            if (!unplugged) {
                unplugged = 1;
                atomic_fetch_add(&s->unplugs, 1);
                emit(s, VRT_EVENT_UNPLUGGED, m[0] ? m : s->uri);
            }
            if (s->reconnect) {
                /* The source retries with back-off on the next reads. */
                last_frame = now;
                continue;
            }
            end_stream(s, ST_UNPLUGGED, m[0] ? m : "device disconnected");
            break;
        }
        atomic_fetch_add(&s->errors, 1);
        char m2[400];
        snprintf(m2, sizeof(m2), "%s", m[0] ? m : vrt_status_str(st));
        end_stream(s, ST_ERROR, m2);
        emit(s, VRT_EVENT_ERROR, m2);
        break;
    }
    handoff_close(s);
    return NULL;
}

vrt_status vrt__stream_take(stream *s, vrt_frame **f, int timeout_ms) {
    void *item = NULL;
    vrt_status st =
        s->slot ? vrt_slot_take(s->slot, &item, timeout_ms) : vrt_queue_pop(s->queue, &item, timeout_ms);
    *f = item;
    return st;
}

/* The processing thread of stream s has finished (or, batched, the stream). */
void vrt__stream_finish(stream *s) {
    vrt_pipeline_t *p = s->pl;
    atomic_store(&s->end_ns, vrt_now_ns());
    atomic_store(&s->proc_done, 1);
    pthread_mutex_lock(&p->mu);
    p->ended++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* A processing failure on frame f: the stream ends (the hand-off drains). */
void vrt__stream_failed(stream *s, vrt_frame *f, vrt_status st) {
    atomic_fetch_add(&s->errors, 1);
    char m[400];
    snprintf(m, sizeof(m), "%s: frame %llu: %s", s->uri, (unsigned long long)f->sequence,
             s->perr[0] ? s->perr : vrt_status_str(st));
    vrt_frame_unref(&f);
    end_stream(s, ST_ERROR, m);
    atomic_store(&s->stop, 1);
    handoff_close(s);
}

/* The HUD line of stream s's pictures after result r (as the sinks' own,
 * sink/annotate.c): fps over the results, e2e p50/p99 every 8 results (a
 * summary walks the buckets), drops summed. The processing thread's own
 * histogram: no lock. */
static void hud_update(stream *s, const vrt_pipeline_result *r) {
    if (!s->hud_results) s->hud_first_ns = r->t.launch_ns;
    s->hud_results++;
    s->hud_drops += r->dropped_before;
    double span = (double)(r->t.launch_ns - s->hud_first_ns) / 1e9;
    s->hud.hud = 1;
    s->hud.fps = s->hud_results > 1 && span > 0 ? (double)(s->hud_results - 1) / span : 0;
    if (s->hud_results % 8 == 1) {
        s->hud.e2e_p50_ms = (double)vrt_hist_percentile(&s->tel.hist[VRT_STAGE_E2E], 50.0) / 1e6;
        s->hud.e2e_p99_ms = (double)vrt_hist_percentile(&s->tel.hist[VRT_STAGE_E2E], 99.0) / 1e6;
    }
    s->hud.drops = s->hud_drops;
}

/* The picture of r for the drawing outputs: drawn on the GPU by the session
 * that ran the frame (the stream's own, or its batching group's at the
 * frame's batch position: s->draw_proc, s->draw_pos) from the frame its graph
 * uploaded, downloaded into a pool frame. Only started here
 * (vrt__proc_render_start, after the result was delivered): *fence names the
 * picture, and the outputs' threads wait for it, never this one. NULL when
 * the pool is empty or drawing failed (those outputs then count a drop; a
 * failure is logged once). */
static void draw_picture(stream *s, const vrt_pipeline_result *r, const vrt_frame *f, vrt_frame **pic,
                         vrt__picture_fence *fence) {
    *pic = NULL;
    fence->proc = NULL;
    vrt_frame *g = NULL;
    if (vrt_frame_pool_get(s->pictures, &g)) return;
    hud_update(s, r);
    const vrt_overlay_info *info = s->pl->ovp.flags & VRT_OVERLAY_HUD ? &s->hud : NULL;
    char e[256];
    vrt__proc *dp = s->draw_proc ? s->draw_proc : s->proc;
    uint64_t ticket = 0;
    if (vrt__proc_render_start(dp, s->draw_pos, info, g, &ticket, e, sizeof(e))) {
        if (!s->draw_warned) {
            s->draw_warned = 1;
            vrt_log(VRT_LOG_WARN, "pipeline", "%s: drawing the picture on the GPU failed: %s", s->uri, e);
        }
        vrt_frame_unref(&g);
        return;
    }
    g->timestamp_ns = f->timestamp_ns;
    g->ts_from_driver = f->ts_from_driver;
    g->dequeue_ns = f->dequeue_ns;
    g->sequence = f->sequence;
    g->pts_ns = f->pts_ns;
    *pic = g;
    fence->proc = dp;
    fence->ticket = ticket;
}

/* Fills the result of frame f (processed into s->out between launch and
 * done), calls on_result, records the telemetry and releases f. */
void vrt__stream_deliver(stream *s, vrt_frame *f, int64_t launch_ns, int64_t done_ns) {
    vrt_pipeline_t *p = s->pl;
    const int64_t deadline = p->params.deadline_ns;
    vrt_pipeline_result r;
    memset(&r, 0, sizeof(r));
    r.t.launch_ns = launch_ns;
    r.t.done_ns = done_ns;
    r.stream = s->index;
    r.index = s->tel.results;
    r.sequence = f->sequence;
    r.frame_number = -1;
    if (s->is_synthetic && p->params.decode_frame_number && vrt_fourcc_is_raw(f->fourcc)) {
        uint64_t n;
        if (vrt_synthetic_decode_number(f, &n) == VRT_OK) r.frame_number = (int64_t)n;
    }
    r.width = f->width;
    r.height = f->height;
    r.ts_from_driver = f->ts_from_driver;
    r.t.exposure_ns = f->timestamp_ns;
    r.t.dequeue_ns = f->dequeue_ns ? f->dequeue_ns : r.t.launch_ns;
    r.t.preprocess_ns = s->out.preprocess_ns;
    r.t.infer_ns = s->out.infer_ns;
    r.t.postprocess_ns = s->out.postprocess_ns;
    r.t.parallel_preprocess_ns = s->out.parallel_preprocess_ns;
    r.t.parallel_infer_ns = s->out.parallel_infer_ns;
    r.t.parallel_postprocess_ns = s->out.parallel_postprocess_ns;
    r.dropped_before = s->have_last && f->sequence > s->last_seq ? f->sequence - s->last_seq - 1 : 0;
    s->last_seq = f->sequence;
    s->have_last = 1;
    r.deadline_miss = deadline > 0 && r.t.done_ns - r.t.exposure_ns > deadline;
    r.task = p->prof.task;
    r.result = s->out.result;
    r.classes = s->out.cls;
    r.detections = s->out.det;
    r.frame = f;
    VRT__RANGE_PUSH("vrt:deliver");
    if (p->params.on_result) p->params.on_result(p->params.user, &r);
    VRT__RANGE_POP();
    r.t.delivered_ns = vrt_now_ns();
    r.frame = NULL;
    vrt__telemetry_record(&s->tel, &r);
    /* One copy of the pixels for every output that wants them, after the
     * result was delivered: the capture buffer goes back at once. */
    vrt_frame *copy = NULL, *pic = NULL;
    vrt__picture_fence fence = {NULL, 0};
    if (s->copies) vrt__output_copy_frame(s->copies, f, &copy);
    if (s->pictures) draw_picture(s, &r, f, &pic, &fence);
    vrt_frame_unref(&f);
    for (int k = 0; k < p->noutputs; k++) {
        r.annotated = s->pictures && p->out_pic[k];
        r.frame = r.annotated ? pic : copy;
        vrt__output_put(p->outputs[k], &r, &fence);
    }
    r.frame = NULL;
    vrt_frame_unref(&copy);
    vrt_frame_unref(&pic);
    if (p->params.max_frames > 0 && s->tel.results >= (uint64_t)p->params.max_frames) {
        end_stream(s, ST_EOF, NULL);
        atomic_store(&s->stop, 1);
        handoff_close(s);
    }
}

static void *process_main(void *arg) {
    stream *s = arg;
    raise_thread(s);
    for (;;) {
        vrt_frame *f = NULL;
        vrt_status st = vrt__stream_take(s, &f, -1);
        if (st) break; /* VRT_EOF: closed and drained */
        if (atomic_load_explicit(&s->stop, memory_order_relaxed)) {
            vrt_frame_unref(&f);
            atomic_fetch_add(&s->discarded, 1);
            continue;
        }
        int64_t launch = vrt_now_ns();
        VRT__RANGE_PUSH("vrt:process");
        st = vrt__proc_run(s->proc, f, &s->out, s->perr, sizeof(s->perr));
        VRT__RANGE_POP();
        int64_t done = vrt_now_ns();
        if (st) {
            vrt__stream_failed(s, f, st);
            continue; /* drain */
        }
        vrt__stream_deliver(s, f, launch, done);
    }
    vrt__stream_finish(s);
    return NULL;
}

/* The first session opened over the model on logical device ldev (-1: any):
 * the others there borrow its weights (weights once per device; never across GPUs). */
static vrt__proc *weights_owner(const vrt_pipeline_t *p, int ldev) {
    for (int i = 0; i < p->nstreams; i++)
        if (p->streams[i]->proc && (ldev < 0 || p->streams[i]->ldev == ldev)) return p->streams[i]->proc;
    return NULL;
}

/* The CUDA ordinal a stream's session opens on. */
static int stream_device(const vrt_pipeline_t *p, const stream *s) {
    return p->dev[s->ldev >= 0 && s->ldev < p->ndev ? s->ldev : 0];
}

/* Streams over the logical devices by load (assign.h): source fps x model
 * cost, the cost 1 per frame (models are the same for every stream). */
static void assign_devices(vrt_pipeline_t *p) {
    double load[VRT_PIPELINE_MAX_STREAMS];
    int dev[VRT_PIPELINE_MAX_STREAMS];
    for (int i = 0; i < p->nstreams; i++)
        load[i] = p->streams[i]->load = vrt__assign_load(p->streams[i]->info.fps, 1.0);
    vrt__assign_devices(load, p->nstreams, p->ndev, dev, NULL);
    for (int i = 0; i < p->nstreams; i++)
        p->streams[i]->ldev = dev[i];
}

/* The configure step of a stream's source, before start. A source that
 * delivers MJPEG has it decoded to RGB24 by the capture layer (the one MJPEG
 * decoder). V4L2 streams: the session is opened first with one slot per
 * driver buffer, and the camera is configured to capture with USERPTR
 * straight into those slots (page-locked memory on CUDA), so the upload
 * reads the capture buffer itself and the buffer is re-queued only after the
 * result is back. The device stays open throughout: buffers are bound at
 * start. A driver that refuses USERPTR gets its mmap buffers back, and each
 * frame is copied into the session's page-locked copy slot (logged once).
 * io= in the URI, MJPEG cameras decoded on the CPU, params.pinned_capture =
 * 0: no binding. */
static vrt_status configure_capture(vrt_pipeline_t *p, stream *s, int batching) {
    int batched = batching && s->priority != VRT_PRIORITY_HIGH; /* high: never batched (batch.c) */
    vrt_source_config c;
    vrt_source_default_config(&c);
    vrt_status st = VRT_OK;
    if (s->info.fourcc == VRT_FMT_MJPEG) {
        c.fourcc = VRT_FMT_RGB24;
        if ((st = vrt_source_configure(s->src, &c))) {
            vrt_errbuf_set(p->err, sizeof(p->err), "%s: %s", s->uri, vrt_source_last_error(s->src));
            return st;
        }
        vrt_source_get_info(s->src, &s->info);
    }
    if (batched || strcmp(s->info.kind, "v4l2")) return VRT_OK;
    char e[512];
    int nb = s->info.buffers;
    int bind = p->params.pinned_capture && !s->io_explicit && vrt_fourcc_is_raw(s->info.fourcc) &&
               (!s->info.device_fourcc || s->info.device_fourcc == s->info.fourcc) && nb >= 2 &&
               nb < VRT_SESSION_MAX_SLOTS;
    vrt__proc *share = weights_owner(p, s->ldev); /* weights loaded once per device */
    vrt__proc_opts po = {
        .overlay = p->gpu_pictures ? &p->ovp : NULL, .device = stream_device(p, s), .priority = s->priority};
    st = vrt__proc_open3(&s->proc, &p->prof, p->model, p->backend, &p->models, p->params.threads,
                         s->info.fourcc, s->info.width, s->info.height, bind ? nb : 0, share, 1, &po, e,
                         sizeof(e));
    if (st) {
        vrt_errbuf_set(p->err, sizeof(p->err), "%s: %s", s->uri, e);
        return st;
    }
    /* Warm up before the camera starts, so no frame waits for the first slow inference. */
    if (p->params.warmup) vrt__proc_warmup(s->proc);
    if (!bind) return VRT_OK;
    void *bufs[VRT_SESSION_MAX_SLOTS]; /* the source keeps its own copy of the pointers */
    size_t size = 0;
    for (int k = 0; k < nb; k++)
        bufs[k] = vrt__proc_slot_buffer(s->proc, k, &size);
    c.buffers = bufs;
    c.count = nb;
    c.size = size;
    st = vrt_source_configure(s->src, &c);
    if (!st) st = vrt_source_start(s->src);
    if (!st) {
        snprintf(s->capture_io, sizeof(s->capture_io), "userptr-pinned");
        return VRT_OK;
    }
    vrt_log(VRT_LOG_WARN, "pipeline",
            "%s: USERPTR capture into the session's page-locked slots refused (%s); using the driver's mmap "
            "buffers and copying each frame into a page-locked slot",
            s->uri, vrt_source_last_error(s->src));
    c.buffers = NULL;
    c.count = 0;
    c.size = 0;
    if ((st = vrt_source_configure(s->src, &c))) {
        vrt_errbuf_set(p->err, sizeof(p->err), "%s: going back to mmap buffers: %s", s->uri,
                       vrt_source_last_error(s->src));
        return st;
    }
    snprintf(s->capture_io, sizeof(s->capture_io), "mmap");
    return VRT_OK;
}

/* Pictures on the GPU (vrt/pipeline.h "Pictures"): the CUDA backend and an
 * output that draws. Decided before the sessions open (they make the
 * overlay's buffers): the streams' own sessions and the batching groups'
 * (which draw each frame at its batch position). */
static void pick_pictures(vrt_pipeline_t *p) {
    p->gpu_pictures = 0;
    for (int k = 0; k < p->noutputs; k++) {
        const vrt_overlay_params *o = vrt__output_overlay(p->outputs[k]);
        p->out_pic[k] = o && !strcmp(p->backend, "cuda");
        if (p->out_pic[k] && !p->gpu_pictures) {
            p->gpu_pictures = 1;
            p->ovp = *o;
        }
    }
}

static vrt_status make_pool(vrt_pipeline_t *p, stream *s, vrt_frame_pool_t **pool, uint32_t fourcc,
                            uint32_t count, const char *what) {
    vrt_frame_pool_params fp;
    vrt_frame_pool_default_params(&fp);
    fp.fourcc = fourcc;
    fp.width = s->info.width;
    fp.height = s->info.height;
    fp.count = count;
    vrt_status st = vrt_frame_pool_create(pool, &fp);
    if (st)
        vrt_errbuf_set(p->err, sizeof(p->err), "%s: cannot make %u %s for the outputs (%s)", s->uri, count,
                       what, vrt_status_str(st));
    return st;
}

/* The pictures of a stream with a session of its own page-locked by it (the pool's frames lie in
 * one block: its lowest to its highest frame), so that their downloads do not block the frame
 * path (vrt__proc_render_start). Refused by the driver: the pictures still work, each download
 * then finishing before the frame path goes on (logged). */
static void pin_pictures(stream *s, uint32_t count) {
    vrt_frame **fr = vrt_calloc(count, sizeof(*fr));
    uint8_t *lo = NULL, *hi = NULL;
    uint32_t n = 0;
    while (fr && n < count && vrt_frame_pool_get(s->pictures, &fr[n]) == VRT_OK) {
        uint8_t *a = fr[n]->planes[0].data, *b = a + fr[n]->planes[0].size;
        if (!lo || a < lo) lo = a;
        if (!hi || b > hi) hi = b;
        n++;
    }
    for (uint32_t i = 0; i < n; i++)
        vrt_frame_unref(&fr[i]);
    vrt_free(fr);
    char e[256] = "";
    if (n != count || !lo) return;
    if (vrt__proc_host_register(s->proc, lo, (size_t)(hi - lo), e, sizeof(e))) {
        vrt_log(VRT_LOG_WARN, "pipeline", "%s: pictures not page-locked (%s): each download waits", s->uri,
                e);
        return;
    }
    s->pinned_pictures = lo;
}

/* Per stream: the pool of frame copies for the outputs that want frames as
 * they are, and, where the GPU draws (a CUDA session, its own or its group's),
 * the pool of pictures for the outputs that draw: depth + 2 frames per such
 * output (waiting, being written, being filled) and one for the frame path. */
static vrt_status make_frame_copies(vrt_pipeline_t *p) {
    uint32_t raw_all = 1, raw = 1, pics = 1;
    p->frame_outputs = 0;
    for (int k = 0; k < p->noutputs; k++) {
        int d = vrt__output_frame_depth(p->outputs[k]);
        if (d <= 0) continue;
        p->frame_outputs++;
        raw_all += (uint32_t)d + 2;
        if (p->out_pic[k])
            pics += (uint32_t)d + 2;
        else
            raw += (uint32_t)d + 2;
    }
    for (int i = 0; p->frame_outputs && i < p->nstreams; i++) {
        stream *s = p->streams[i];
        int draws = p->gpu_pictures && (s->proc || s->grp);
        uint32_t n = draws ? raw : raw_all;
        vrt_status st = VRT_OK;
        if (n > 1) st = make_pool(p, s, &s->copies, s->info.fourcc, n, "frame copies");
        if (!st && draws) st = make_pool(p, s, &s->pictures, VRT_FMT_RGB24, pics, "pictures");
        if (st) return st;
        if (s->pictures && s->proc) pin_pictures(s, pics);
    }
    return VRT_OK;
}

/* The memory budget: params.memory_budget, else the free device memory
 * (cuda) before any session of this pipeline is allocated; 0: none. */
static void memory_budget(vrt_pipeline_t *p) {
    size_t fr = 0;
    if (p->params.memory_budget > 0)
        p->mem.budget = (size_t)p->params.memory_budget;
    else if (vrt_engine_device_memory(p->backend, 0, &fr, NULL) == VRT_OK)
        p->mem.budget = fr;
}

static double mib(size_t b) {
    return (double)b / (1024.0 * 1024.0);
}

/* The plan from the first session of its own (ref) and the groups' sessions:
 * VRT_ENOMEM with a message when it exceeds the budget. Called before the
 * other streams' sessions are allocated. */
static vrt_status check_memory(vrt_pipeline_t *p, const vrt__proc *ref) {
    vrt_pipeline_memory *m = &p->mem;
    size_t bw = 0, w = 0;
    vrt__batch_memory(p, &bw, &m->batched);
    m->streams_alone = 0;
    for (int i = 0; i < p->nstreams; i++)
        m->streams_alone += !p->streams[i]->grp;
    if (ref) vrt__proc_memory(ref, &w, &m->arena, &m->slots);
    m->per_stream = m->arena + m->slots;
    m->weights = w + bw;
    m->planned = m->weights + m->batched + m->per_stream * (size_t)m->streams_alone;
    if (!m->budget || m->planned <= m->budget) return VRT_OK;
    size_t room = m->budget > m->weights + m->batched ? m->budget - m->weights - m->batched : 0;
    char batched[64] = "";
    if (m->batched) snprintf(batched, sizeof(batched), ", batched sessions %.1f MiB", mib(m->batched));
    vrt_errbuf_set(
        p->err, sizeof(p->err),
        "%d streams need about %.1f MiB (weights %.1f MiB once, %.1f MiB per stream: arena %.1f + "
        "frame slots %.1f%s) but %s is %.1f MiB: at most %d such streams fit; use fewer sources, a "
        "smaller input size, or --batch on (one arena per batch, not per stream)",
        p->nstreams, mib(m->planned), mib(m->weights), mib(m->per_stream), mib(m->arena), mib(m->slots),
        batched, p->params.memory_budget > 0 ? "the memory budget" : "the GPU's free memory", mib(m->budget),
        m->per_stream ? (int)(room / m->per_stream) : 0);
    return VRT_ENOMEM;
}

/* The session of every stream that runs on its own (not batched, not bound
 * to its capture buffers by configure_capture), warmed up. The memory plan
 * is checked once one such session exists, before the others are made. */
static vrt_status open_stream_sessions(vrt_pipeline_t *p) {
    vrt_status st;
    const vrt__proc *ref = weights_owner(p, -1);
    if (ref && (st = check_memory(p, ref))) return st;
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        if (s->grp || s->proc) continue;
        char e[512];
        vrt__proc_opts po = {.overlay = p->gpu_pictures ? &p->ovp : NULL,
                             .device = stream_device(p, s),
                             .priority = s->priority};
        st = vrt__proc_open3(&s->proc, &p->prof, p->model, p->backend, &p->models, p->params.threads,
                             s->info.fourcc, s->info.width, s->info.height, 0, weights_owner(p, s->ldev), 1,
                             &po, e, sizeof(e));
        if (st) {
            vrt_errbuf_set(p->err, sizeof(p->err), "%s: %s", s->uri, e);
            return st;
        }
        if (p->params.warmup) vrt__proc_warmup(s->proc);
        if (!ref && (st = check_memory(p, ref = s->proc))) return st;
    }
    if (!ref) return check_memory(p, NULL); /* every stream batched */
    return VRT_OK;
}

void vrt_pipeline_get_memory(const vrt_pipeline_t *p, vrt_pipeline_memory *m) {
    *m = p->mem;
}

/* A source starts only once every session is open and warmed up: a
 * source's clock (synthetic pacing, a camera's queue) runs from start, and
 * frames made while a model loads would only be dropped. Sources bound to
 * the session's slots (V4L2 USERPTR) were started, after the warm-up, by
 * configure_capture. */
static vrt_status start_sources(vrt_pipeline_t *p) {
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        vrt_status st;
        if (strcmp(s->capture_io, "userptr-pinned") && (st = vrt_source_start(s->src))) {
            const char *m = vrt_source_last_error(s->src);
            vrt_errbuf_set(p->err, sizeof(p->err), "%s: cannot start: %s", s->uri,
                           m[0] ? m : vrt_status_str(st));
            return st;
        }
        vrt_source_get_info(s->src, &s->info); /* buffers and timestamp flags are final after start */
    }
    return VRT_OK;
}

/* Sessions, sources, frame copies and outputs, before any frame thread. */
static vrt_status prepare_start(vrt_pipeline_t *p) {
    int batching = p->params.batch_sources != VRT_BATCH_OFF && p->nstreams >= 2;
    vrt_status st;
    VRT__NVTX_INIT(); /* before any thread makes its first NVTX call */
    memory_budget(p);
    pick_pictures(p);
    assign_devices(p);
    for (int i = 0; i < p->nstreams; i++) {
        if ((st = configure_capture(p, p->streams[i], batching))) return st;
        vrt_source_get_info(p->streams[i]->src, &p->streams[i]->info);
    }
    if (batching && (st = vrt__batch_open(p))) return st;
    for (int i = 0; i < p->nstreams; i++)
        if (p->streams[i]->grp) p->streams[i]->ldev = 0; /* batched groups run on devices[0] */
    if ((st = open_stream_sessions(p)) || (st = start_sources(p))) return st;
    if (make_frame_copies(p)) return VRT_ENOMEM;
    size_t rbytes = vrt__batch_result_bytes(p);
    for (int i = 0; i < p->nstreams; i++) {
        size_t b = vrt__proc_result_bytes(p->streams[i]->proc);
        if (b > rbytes) rbytes = b;
    }
    for (int k = 0; k < p->noutputs; k++) {
        if (vrt__output_start(p->outputs[k], p, rbytes, p->models.parallel != NULL)) {
            vrt_errbuf_set(p->err, sizeof(p->err), "cannot start the thread of output %d", k);
            return VRT_EIO;
        }
    }
    return VRT_OK;
}

vrt_status vrt_pipeline_start(vrt_pipeline_t *p) {
    if (!p) return VRT_EINVAL;
    if (p->started) {
        vrt_errbuf_set(p->err, sizeof(p->err), "pipeline already started");
        return VRT_EBUSY;
    }
    if (!p->nstreams) {
        vrt_errbuf_set(p->err, sizeof(p->err), "no sources: add one with vrt_pipeline_add_source");
        return VRT_EINVAL;
    }
    vrt_status st = prepare_start(p);
    if (st) {
        vrt_pipeline_stop(p);
        return st;
    }
    p->started = 1;
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        atomic_store(&s->state, ST_RUNNING);
        s->start_ns = vrt_now_ns();
    }
    if ((st = vrt__batch_start(p))) {
        vrt_pipeline_stop(p);
        return st;
    }
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        if (!s->grp && pthread_create(&s->proc_thread, NULL, process_main, s) == 0) s->proc_started = 1;
        if ((s->grp || s->proc_started) && pthread_create(&s->cap_thread, NULL, capture_main, s) == 0)
            s->cap_started = 1;
        if (!s->cap_started) {
            vrt_errbuf_set(p->err, sizeof(p->err), "%s: cannot start the stream's threads", s->uri);
            vrt_pipeline_stop(p);
            return VRT_EIO;
        }
    }
    p->run_start_ns = vrt_now_ns();
    p->cpu_start_ns = process_cpu_ns();
    return VRT_OK;
}

vrt_status vrt_pipeline_wait(vrt_pipeline_t *p, int timeout_ms) {
    if (!p || !p->started) return VRT_EINVAL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&p->mu);
    while (p->ended < p->nstreams && !atomic_load(&p->stop_reason)) {
        if (timeout_ms < 0)
            pthread_cond_wait(&p->cv, &p->mu);
        else if (pthread_cond_timedwait(&p->cv, &p->mu, &ts))
            break;
    }
    int done = p->ended >= p->nstreams || atomic_load(&p->stop_reason);
    pthread_mutex_unlock(&p->mu);
    return done ? VRT_OK : VRT_EAGAIN;
}

void vrt_pipeline_request_stop(vrt_pipeline_t *p, const char *reason) {
    if (!p) return;
    const char *none = NULL;
    pthread_mutex_lock(&p->mu);
    atomic_compare_exchange_strong(&p->stop_reason, &none, reason ? reason : "stop requested");
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

const char *vrt_pipeline_stop_requested(const vrt_pipeline_t *p) {
    return p ? atomic_load(&((vrt_pipeline_t *)p)->stop_reason) : NULL;
}

vrt_status vrt_pipeline_stop(vrt_pipeline_t *p) {
    if (!p) return VRT_EINVAL;
    if (p->stopped) return VRT_OK;
    if (p->started && !p->run_stop_ns) {
        p->run_stop_ns = vrt_now_ns();
        p->cpu_stop_ns = process_cpu_ns();
    }
    for (int i = 0; i < p->nstreams; i++)
        atomic_store(&p->streams[i]->stop, 1);
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        if (s->cap_started) pthread_join(s->cap_thread, NULL);
        s->cap_started = 0;
        handoff_close(s);
        if (s->proc_started) pthread_join(s->proc_thread, NULL);
        s->proc_started = 0;
    }
    vrt__batch_join(p); /* every hand-off is closed */
    for (int k = 0; k < p->noutputs; k++)
        vrt__output_stop(p->outputs[k]); /* no more results: the outputs write what waits and end */
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        /* Anything left in the hand-off (threads that never ran). */
        void *item;
        while ((s->slot ? vrt_slot_take(s->slot, &item, 0) : vrt_queue_pop(s->queue, &item, 0)) == VRT_OK) {
            vrt_frame *f = item;
            vrt_frame_unref(&f);
            atomic_fetch_add(&s->discarded, 1);
        }
        end_stream(s, ST_STOPPED, NULL);
        if (!atomic_load(&s->end_ns)) atomic_store(&s->end_ns, vrt_now_ns());
        if (s->src) vrt_source_stop(s->src);
    }
    p->stopped = p->started;
    return VRT_OK;
}

void vrt_pipeline_destroy(vrt_pipeline_t **pp) {
    if (!pp || !*pp) return;
    vrt_pipeline_t *p = *pp;
    vrt_pipeline_stop(p);
    for (int i = 0; i < p->nstreams; i++) {
        stream *s = p->streams[i];
        vrt_source_destroy(&s->src);
        vrt_slot_destroy(&s->slot);
        vrt_queue_destroy(&s->queue);
        vrt__telemetry_free(&s->tel);
        if (s->pinned_pictures) vrt__proc_host_register(s->proc, s->pinned_pictures, 0, NULL, 0);
        vrt__proc_destroy(&s->proc);
        vrt_frame_pool_destroy(&s->copies); /* frames still held by outputs keep it alive */
        vrt_frame_pool_destroy(&s->pictures);
        vrt_free(s);
    }
    for (int k = 0; k < p->noutputs; k++)
        vrt__output_destroy(&p->outputs[k]);
    vrt__batch_destroy(p);
    vrt_labels_destroy(&p->labels);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    vrt_free(p);
    *pp = NULL;
}

vrt_status vrt_pipeline_get_stats(vrt_pipeline_t *p, int i, vrt_pipeline_stats *st) {
    if (!p || i < 0 || i >= p->nstreams || !st) return VRT_EINVAL;
    stream *s = p->streams[i];
    memset(st, 0, sizeof(*st));
    snprintf(st->uri, sizeof(st->uri), "%s", s->uri);
    snprintf(st->capture_io, sizeof(st->capture_io), "%s", s->capture_io);
    st->device = strcmp(p->backend, "cuda") ? -1 : stream_device(p, s);
    st->device_slot = s->ldev;
    st->load = s->load;
    st->priority = s->priority;
    st->threads_raised = atomic_load(&s->raised);
    if (s->proc) vrt__proc_priority(s->proc, &st->priority_value, &st->priority_applied);
    st->info = s->info;
    vrt_source_get_stats(s->src, &st->source);
    int exact = atomic_load(&s->proc_done);
    st->results = exact ? s->tel.results : atomic_load_explicit(&s->tel.live_results, memory_order_relaxed);
    st->deadline_misses = exact ? s->tel.deadline_misses : atomic_load(&s->tel.live_misses);
    st->captured = atomic_load(&s->captured);
    st->displaced = atomic_load(&s->displaced);
    st->discarded = atomic_load(&s->discarded);
    st->dropped = st->source.dropped + st->displaced;
    st->unplugs = atomic_load(&s->unplugs);
    st->reconnects = atomic_load(&s->reconnects);
    if (st->source.reconnects > st->reconnects) st->reconnects = st->source.reconnects;
    st->errors = atomic_load(&s->errors) + st->source.errors;
    st->start_ns = s->start_ns;
    st->end_ns = atomic_load(&s->end_ns);
    int state = atomic_load(&s->state);
    st->state = g_state_names[state];
    if (exact) snprintf(st->error, sizeof(st->error), "%s", s->error);
    vrt_hist h;
    for (int k = 0; k < VRT_STAGE_COUNT; k++) {
        vrt__telemetry_copy(&s->tel, (vrt_stage)k, &h, exact);
        vrt_hist_summarize(&h, &st->stage[k]);
    }
    if (exact) {
        st->zero_copy = s->proc ? vrt__proc_zero_copy(s->proc) : 0;
        st->first_launch_ns = s->tel.first_launch_ns;
        st->last_launch_ns = s->tel.last_launch_ns;
        if (st->results >= 2 && st->last_launch_ns > st->first_launch_ns)
            st->fps = (double)(st->results - 1) * 1e9 / (double)(st->last_launch_ns - st->first_launch_ns);
    } else if (st->stage[VRT_STAGE_PERIOD].mean > 0) {
        st->fps = 1e9 / st->stage[VRT_STAGE_PERIOD].mean;
    }
    return VRT_OK;
}

vrt_status vrt_pipeline_stream_hist(vrt_pipeline_t *p, int i, vrt_stage stage, vrt_hist *out) {
    if (!p || i < 0 || i >= p->nstreams || (unsigned)stage >= VRT_STAGE_COUNT || !out) return VRT_EINVAL;
    stream *s = p->streams[i];
    vrt__telemetry_copy(&s->tel, stage, out, atomic_load(&s->proc_done));
    return VRT_OK;
}

size_t vrt_pipeline_stream_records(vrt_pipeline_t *p, int i, vrt_pipeline_record *recs, size_t cap) {
    if (!p || i < 0 || i >= p->nstreams || !recs) return 0;
    stream *s = p->streams[i];
    if (!atomic_load(&s->proc_done)) return 0;
    return vrt__telemetry_records(&s->tel, recs, cap);
}

void vrt_pipeline_get_info(const vrt_pipeline_t *p, vrt_pipeline_info *info) {
    memset(info, 0, sizeof(*info));
    info->model = p->model;
    info->backend = p->backend;
    info->policy = p->params.policy;
    info->deadline_ns = p->params.deadline_ns;
    info->streams = p->nstreams;
    info->nvtx = VRT__NVTX;
    info->run_start_ns = p->run_start_ns;
    info->run_stop_ns = p->run_stop_ns;
    int64_t cpu_end = p->run_stop_ns ? p->cpu_stop_ns : p->run_start_ns ? process_cpu_ns() : 0;
    info->cpu_s = p->run_start_ns ? (double)(cpu_end - p->cpu_start_ns) / 1e9 : 0;
    info->ndevices = p->ndev;
    info->devices = p->dev;
    const vrt__proc *owner = weights_owner(p, -1);
    info->weight_users = owner ? vrt__proc_weight_users(owner) : vrt__batch_weight_users(p);
}

vrt_status vrt_pipeline_add_output(vrt_pipeline_t *p, const vrt_pipeline_output *o, char *err, size_t cap) {
    if (!p || !o) return VRT_EINVAL;
    const char *why = p->started ? "outputs are added before vrt_pipeline_start"
                      : p->noutputs >= VRT_PIPELINE_MAX_OUTPUTS ? "too many outputs"
                                                                : NULL;
    if (why) {
        vrt_errbuf_set(err, cap, "%s: %s (at most %d)", o->name ? o->name : "output", why,
                       VRT_PIPELINE_MAX_OUTPUTS);
        if (o->destroy) o->destroy(o->ctx);
        return p->started ? VRT_EBUSY : VRT_ENOSPC;
    }
    vrt_status st = vrt__output_create(&p->outputs[p->noutputs], o, err, cap);
    if (!st) p->noutputs++;
    return st;
}

int vrt_pipeline_num_outputs(const vrt_pipeline_t *p) {
    return p ? p->noutputs : 0;
}

vrt_status vrt_pipeline_get_output_stats(const vrt_pipeline_t *p, int i, vrt_pipeline_output_stats *st) {
    if (!p || i < 0 || i >= p->noutputs || !st) return VRT_EINVAL;
    vrt__output_stats(p->outputs[i], st);
    return VRT_OK;
}

vrt_status vrt_pipeline_finish(vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    if (!p) return VRT_EINVAL;
    vrt_pipeline_stop(p);
    vrt_status first = VRT_OK;
    for (int k = 0; k < p->noutputs; k++) {
        char e[512] = "";
        vrt_status st = vrt__output_finish(p->outputs[k], p, stopped_by, e, sizeof(e));
        if (st && !first) {
            first = st;
            vrt_errbuf_set(err, cap, "%s", e[0] ? e : vrt_status_str(st));
        }
    }
    return first;
}
