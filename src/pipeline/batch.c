/* batch.c - cross-stream batching (vrt_pipeline_params.batch_sources).
 *
 * Streams of the same raw format and size are split into groups of at most
 * VRT_SESSION_MAX_BATCH (as equal as possible: 12 streams -> 6 + 6). Each
 * group has one thread and one session per captured batch size (1, 2, 4, 8
 * up to the group's size; on CUDA one graph each); sessions of the same size
 * in different groups share one copy of the weights.
 *
 * A tick: the group thread takes the ready frame of every stream of the
 * group without waiting; when some stream has none yet, it waits for the
 * others until the deadline (the earliest held frame's dequeue time +
 * deadline_ns) or until every stream has a frame, whichever is first; then
 * it runs the frames it holds as one model run on the smallest session
 * whose batch holds them (the rest of the batch is blank rows, counted as
 * padding) and delivers each result to its stream. So no frame waits more
 * than the deadline for the others, and a stream that stalls never stalls
 * its group. Capture threads wake the group thread through one counter
 * under the group's mutex (the hand-off's lock, in effect: one short lock
 * per frame, no allocation).
 *
 * Models whose graph fixes batch 1 cannot open a batch > 1 session: the
 * streams then run per stream and the reason is kept (and logged once). */
#include "pipeline-state.h"

#include <stdio.h>
#include <string.h>

#include "vrt/image.h"
#include "vrt/session.h"

#define MAXB VRT_SESSION_MAX_BATCH
#define NSIZES 4 /* 1, 2, 4, 8 */

typedef struct vrt__group {
    vrt_pipeline_t *pl;
    int n; /* streams */
    stream *s[MAXB];
    int nsizes, sizes[NSIZES];
    vrt__proc *proc[NSIZES]; /* proc[k] runs up to sizes[k] frames */
    int64_t deadline_ns;
    pthread_mutex_t mu; /* posted: capture threads -> the group thread */
    pthread_cond_t cv;  /* on CLOCK_MONOTONIC */
    uint64_t posted;
    int sync_ready;
    pthread_t thread;
    int started;
    _Atomic uint64_t runs, frames, padded;
    char perr[256];
} vrt__group;

static int same_format(const stream *a, const stream *b) {
    return a->info.fourcc == b->info.fourcc && a->info.width == b->info.width &&
           a->info.height == b->info.height;
}

static void group_free(vrt__group **gp) {
    vrt__group *g = *gp;
    if (!g) return;
    for (int k = 0; k < NSIZES; k++)
        vrt__proc_destroy(&g->proc[k]);
    if (g->sync_ready) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
    }
    vrt_free(g);
    *gp = NULL;
}

static vrt_status group_new(vrt_pipeline_t *p, stream **members, int n, vrt__group **out) {
    vrt__group *g = vrt_calloc(1, sizeof(*g));
    if (!g) return VRT_ENOMEM;
    g->pl = p;
    g->n = n;
    memcpy(g->s, members, (size_t)n * sizeof(*members));
    for (int size = 1; g->nsizes < NSIZES; size *= 2) {
        g->sizes[g->nsizes++] = size > MAXB ? MAXB : size;
        if (size >= n || size >= MAXB) break;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    g->sync_ready = 1;
    /* Deadline: given, else a quarter of the fastest member's frame period, at most 2 ms. */
    int64_t d = p->params.batch_deadline_ns;
    if (d <= 0) {
        d = 2000000;
        for (int i = 0; i < n; i++) {
            double fps = members[i]->info.fps;
            if (fps > 0 && (int64_t)(1e9 / fps / 4) < d) d = (int64_t)(1e9 / fps / 4);
        }
    }
    g->deadline_ns = d;
    *out = g;
    return VRT_OK;
}

/* The group's sessions, one per batch size; the same size of an earlier
 * group lends its weights. */
static vrt_status group_open(vrt_pipeline_t *p, vrt__group *g, char *e, size_t cap) {
    const vrt_source_info *in = &g->s[0]->info;
    for (int k = 0; k < g->nsizes; k++) {
        vrt__proc *share = p->ngroups ? p->groups[0]->proc[k] : NULL;
        if (share && p->groups[0]->sizes[k] != g->sizes[k]) share = NULL;
        /* Batched groups run on the first device; they draw the pictures as the streams' own sessions do. */
        vrt__proc_opts po = {.overlay = p->gpu_pictures ? &p->ovp : NULL, .device = p->dev[0]};
        vrt_status st =
            vrt__proc_open3(&g->proc[k], &p->prof, p->model, p->backend, &p->models, p->params.threads,
                            in->fourcc, in->width, in->height, 0, share, g->sizes[k], &po, e, cap);
        if (st) return st;
        if (p->params.warmup) vrt__proc_warmup(g->proc[k]);
    }
    return VRT_OK;
}

/* Median of n doubles (sorts a). */
static double median(double *a, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j] < a[j - 1]; j--) {
            double t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return n ? a[n / 2] : 0;
}

/* One batched run of the group's n frames (grey) against n runs of the
 * batch-1 session, median of 5 after one warm-up each. */
static vrt_status calibrate(vrt_pipeline_t *p, vrt__group *g, char *e, size_t cap) {
    const vrt_source_info *in = &g->s[0]->info;
    vrt_frame *grey = NULL;
    vrt_status st = vrt_image_alloc(in->fourcc, in->width, in->height, &grey);
    if (st) {
        vrt_errbuf_set(e, cap, "calibration: out of memory");
        return st;
    }
    memset(grey->planes[0].data, 128, vrt_frame_size_for(in->fourcc, in->width, in->height));
    const vrt_frame *frames[MAXB];
    vrt__proc_out outv[MAXB];
    vrt__proc_out *outs[MAXB];
    for (int k = 0; k < g->n; k++)
        frames[k] = grey, outs[k] = &outv[k];
    vrt__proc *big = g->proc[g->nsizes - 1];
    double tb[5] = {0}, tu[5] = {0};
    for (int rep = -1; rep < 5 && !st; rep++) {
        int64_t t0 = vrt_now_ns();
        st = vrt__proc_run_batch(big, frames, g->n, outs, e, cap);
        int64_t t1 = vrt_now_ns();
        for (int k = 0; k < g->n && !st; k++)
            st = vrt__proc_run(g->proc[0], grey, &outv[k], e, cap);
        int64_t t2 = vrt_now_ns();
        if (rep >= 0) tb[rep] = (double)(t1 - t0) / 1e6, tu[rep] = (double)(t2 - t1) / 1e6;
    }
    vrt_frame_unref(&grey);
    p->batch.batched_ms = median(tb, 5);
    p->batch.unbatched_ms = median(tu, 5);
    return st;
}

/* Splits the streams into groups: same format and size, at most MAXB each,
 * sizes as equal as possible. Returns the number of groups made in gs. */
static vrt_status make_groups(vrt_pipeline_t *p, vrt__group **gs, int *ng) {
    int taken[VRT_PIPELINE_MAX_STREAMS] = {0};
    *ng = 0;
    /* A high-priority stream runs alone: its frames never wait for a group's deadline. */
    for (int i = 0; i < p->nstreams; i++)
        taken[i] = p->streams[i]->priority == VRT_PRIORITY_HIGH;
    for (int i = 0; i < p->nstreams; i++) {
        if (taken[i] || !vrt_fourcc_is_raw(p->streams[i]->info.fourcc)) continue;
        stream *same[VRT_PIPELINE_MAX_STREAMS];
        int m = 0;
        for (int j = i; j < p->nstreams; j++)
            if (!taken[j] && same_format(p->streams[i], p->streams[j]))
                same[m++] = p->streams[j], taken[j] = 1;
        if (m < 2) continue;
        int parts = (m + MAXB - 1) / MAXB;
        for (int q = 0, at = 0; q < parts; q++) {
            int cnt = m / parts + (q < m % parts);
            vrt_status st = group_new(p, same + at, cnt, &gs[*ng]);
            if (st) return st;
            (*ng)++;
            at += cnt;
        }
    }
    return VRT_OK;
}

/* Runs per stream instead: the groups go, the reason stays. */
static void dissolve(vrt_pipeline_t *p, const char *why) {
    for (int k = 0; k < p->ngroups; k++)
        group_free(&p->groups[k]);
    p->ngroups = 0;
    snprintf(p->batch.reason, sizeof(p->batch.reason), "%s", why);
    vrt_log(VRT_LOG_WARN, "pipeline", "cross-stream batching off, one session per stream: %s", why);
}

vrt_status vrt__batch_open(vrt_pipeline_t *p) {
    vrt_pipeline_batch_stats *b = &p->batch;
    b->mode = p->params.batch_sources;
    vrt__group *gs[VRT_PIPELINE_MAX_STREAMS];
    int ng = 0;
    vrt_status st = make_groups(p, gs, &ng);
    if (st) {
        for (int k = 0; k < ng; k++)
            group_free(&gs[k]);
        vrt_errbuf_set(p->err, sizeof(p->err), "batching: out of memory");
        return st;
    }
    if (!ng) {
        snprintf(b->reason, sizeof(b->reason),
                 "no two streams deliver raw frames of the same format and size");
        return VRT_OK;
    }
    char e[512] = "";
    for (int k = 0; k < ng && !st; k++) {
        st = group_open(p, gs[k], e, sizeof(e));
        p->groups[p->ngroups++] = gs[k]; /* owned from here, also on failure */
    }
    for (int k = p->ngroups; k < ng; k++)
        group_free(&gs[k]);
    if (st) {
        char why[400];
        snprintf(why, sizeof(why),
                 "%s: %s; export the model with a dynamic batch axis (README, vrt run: batching)", p->model,
                 e);
        dissolve(p, why);
        return VRT_OK;
    }
    if ((st = calibrate(p, p->groups[0], e, sizeof(e)))) {
        vrt_errbuf_set(p->err, sizeof(p->err), "batching: %s", e);
        return st;
    }
    if (b->mode == VRT_BATCH_AUTO && b->batched_ms >= b->unbatched_ms) {
        char why[400];
        snprintf(why, sizeof(why),
                 "--batch auto: one batch-%d run took %.3f ms, %d single runs %.3f ms; batching would not "
                 "lower the latency",
                 p->groups[0]->n, b->batched_ms, p->groups[0]->n, b->unbatched_ms);
        dissolve(p, why);
        return VRT_OK;
    }
    for (int k = 0; k < p->ngroups; k++) {
        vrt__group *g = p->groups[k];
        for (int i = 0; i < g->n; i++)
            g->s[i]->grp = g;
        b->sources += g->n;
        if (g->nsizes > b->nsizes) {
            b->nsizes = g->nsizes;
            memcpy(b->sizes, g->sizes, sizeof(b->sizes));
        }
    }
    b->groups = p->ngroups;
    b->deadline_ns = p->groups[0]->deadline_ns;
    return VRT_OK;
}

void vrt__batch_notify(stream *s) {
    vrt__group *g = s->grp;
    pthread_mutex_lock(&g->mu);
    g->posted++;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Waits until a capture thread posts after `seen`, or until until_ns
 * (CLOCK_MONOTONIC; 0: at most 100 ms). */
static void wait_posted(vrt__group *g, uint64_t seen, int64_t until_ns) {
    if (!until_ns) until_ns = vrt_now_ns() + 100000000;
    struct timespec ts = {(time_t)(until_ns / 1000000000), (long)(until_ns % 1000000000)};
    pthread_mutex_lock(&g->mu);
    while (g->posted == seen && vrt_now_ns() < until_ns)
        if (pthread_cond_timedwait(&g->cv, &g->mu, &ts)) break;
    pthread_mutex_unlock(&g->mu);
}

typedef struct tick {
    vrt_frame *held[MAXB]; /* by member index */
    int active[MAXB];
    int left, nheld;
    int64_t due; /* run by then: the earliest held frame's dequeue + deadline */
} tick;

/* Takes the ready frame of every active member that has none held; returns
 * how many active members still have none. */
static int collect(vrt__group *g, tick *t) {
    int missing = 0;
    for (int k = 0; k < g->n; k++) {
        if (!t->active[k] || t->held[k]) continue;
        stream *s = g->s[k];
        vrt_frame *f = NULL;
        vrt_status st = vrt__stream_take(s, &f, 0);
        if (st == VRT_EOF) {
            t->active[k] = 0;
            t->left--;
            vrt__stream_finish(s);
            continue;
        }
        if (st == VRT_OK && atomic_load_explicit(&s->stop, memory_order_relaxed)) {
            vrt_frame_unref(&f);
            atomic_fetch_add(&s->discarded, 1);
            st = VRT_EAGAIN;
        }
        if (st) {
            missing++;
            continue;
        }
        t->held[k] = f;
        t->nheld++;
        int64_t due = (f->dequeue_ns ? f->dequeue_ns : vrt_now_ns()) + g->deadline_ns;
        if (!t->due || due < t->due) t->due = due;
    }
    return missing;
}

/* One model run over the held frames, each result to its stream. */
static void run_tick(vrt__group *g, tick *t) {
    const vrt_frame *frames[MAXB];
    vrt_frame *fs[MAXB];
    vrt__proc_out *outs[MAXB];
    stream *who[MAXB];
    int n = 0;
    for (int k = 0; k < g->n; k++) {
        if (!t->held[k]) continue;
        frames[n] = fs[n] = t->held[k];
        outs[n] = &g->s[k]->out;
        who[n++] = g->s[k];
        t->held[k] = NULL;
    }
    t->nheld = 0;
    t->due = 0;
    int k = 0;
    while (g->sizes[k] < n)
        k++;
    int64_t launch = vrt_now_ns();
    VRT__RANGE_PUSH("vrt:process-batch");
    vrt_status st = g->sizes[k] == 1
                        ? vrt__proc_run(g->proc[k], frames[0], outs[0], g->perr, sizeof(g->perr))
                        : vrt__proc_run_batch(g->proc[k], frames, n, outs, g->perr, sizeof(g->perr));
    VRT__RANGE_POP();
    int64_t done = vrt_now_ns();
    atomic_fetch_add_explicit(&g->runs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->frames, (uint64_t)n, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->padded, (uint64_t)(g->sizes[k] - n), memory_order_relaxed);
    for (int i = 0; i < n; i++) {
        if (st) {
            snprintf(who[i]->perr, sizeof(who[i]->perr), "%s", g->perr);
            vrt__stream_failed(who[i], fs[i], st);
        } else {
            who[i]->draw_proc = g->proc[k]; /* its picture: this run's frame i */
            who[i]->draw_pos = i;
            vrt__stream_deliver(who[i], fs[i], launch, done);
        }
    }
}

static void *group_main(void *arg) {
    vrt__group *g = arg;
    tick t;
    memset(&t, 0, sizeof(t));
    t.left = g->n;
    for (int k = 0; k < g->n; k++)
        t.active[k] = 1;
    while (t.left > 0 || t.nheld) {
        pthread_mutex_lock(&g->mu);
        uint64_t seen = g->posted;
        pthread_mutex_unlock(&g->mu);
        int missing = collect(g, &t);
        if (t.nheld && (!missing || vrt_now_ns() >= t.due)) {
            run_tick(g, &t);
            continue;
        }
        if (t.left > 0) wait_posted(g, seen, t.nheld ? t.due : 0);
    }
    return NULL;
}

vrt_status vrt__batch_start(vrt_pipeline_t *p) {
    for (int k = 0; k < p->ngroups; k++) {
        vrt__group *g = p->groups[k];
        if (pthread_create(&g->thread, NULL, group_main, g)) {
            vrt_errbuf_set(p->err, sizeof(p->err), "cannot start batching thread %d", k);
            return VRT_EIO;
        }
        g->started = 1;
    }
    return VRT_OK;
}

void vrt__batch_join(vrt_pipeline_t *p) {
    for (int k = 0; k < p->ngroups; k++) {
        vrt__group *g = p->groups[k];
        if (g->started) pthread_join(g->thread, NULL);
        g->started = 0;
    }
}

void vrt__batch_destroy(vrt_pipeline_t *p) {
    vrt__batch_join(p);
    for (int k = 0; k < p->ngroups; k++)
        group_free(&p->groups[k]);
    p->ngroups = 0;
}

void vrt__batch_memory(const vrt_pipeline_t *p, size_t *weights, size_t *bytes) {
    *weights = *bytes = 0;
    for (int k = 0; k < p->ngroups; k++)
        for (int j = 0; j < p->groups[k]->nsizes; j++) {
            size_t w, a, s;
            vrt__proc_memory(p->groups[k]->proc[j], &w, &a, &s);
            if (k == 0) *weights += w; /* the other groups borrow group 0's */
            *bytes += a + s;
        }
}

int vrt__batch_weight_users(const vrt_pipeline_t *p) {
    return p->ngroups ? vrt__proc_weight_users(p->groups[0]->proc[0]) : 0;
}

size_t vrt__batch_result_bytes(const vrt_pipeline_t *p) {
    size_t m = 0;
    for (int k = 0; k < p->ngroups; k++)
        for (int j = 0; j < p->groups[k]->nsizes; j++) {
            size_t b = vrt__proc_result_bytes(p->groups[k]->proc[j]);
            if (b > m) m = b;
        }
    return m;
}

void vrt_pipeline_batching(const vrt_pipeline_t *p, int *sources, double *batched_ms, double *unbatched_ms) {
    *sources = p->batch.sources;
    *batched_ms = p->batch.batched_ms;
    *unbatched_ms = p->batch.unbatched_ms;
}

void vrt_pipeline_get_batch_stats(const vrt_pipeline_t *p, vrt_pipeline_batch_stats *st) {
    *st = p->batch;
    st->mode = p->params.batch_sources;
    for (int k = 0; k < p->ngroups; k++) {
        vrt__group *g = p->groups[k];
        st->runs += atomic_load_explicit(&g->runs, memory_order_relaxed);
        st->frames += atomic_load_explicit(&g->frames, memory_order_relaxed);
        st->padded += atomic_load_explicit(&g->padded, memory_order_relaxed);
    }
}
