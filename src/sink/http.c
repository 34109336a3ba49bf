/* http.c - http://ADDR:PORT: a small web viewer (libmicrohttpd).
 *
 *   /             an HTML page: every stream live and the run's statistics (polls /stats)
 *   /stream/N     the newest frames of stream N as MJPEG (multipart/x-mixed-replace)
 *   /stream.mjpg  the same for stream 0
 *   /stats        per-stream and per-output statistics as one JSON object
 *   /events       the same object as server-sent events, twice a second
 *   /metrics      Prometheus text: frames, drops, deadline misses, latency quantiles per stage
 *
 * The sink's thread encodes the newest frame of each stream as JPEG (only
 * while some client watches that stream; an MJPEG source's frames go out as
 * they are) and publishes it under a mutex held only for a copy. Every connection has its
 * own thread (MHD_USE_THREAD_PER_CONNECTION): it copies the newest JPEG it has
 * not sent into its own buffer and sends it at the client's pace, skipping
 * (and counting) the JPEGs that were replaced meanwhile. A slow or stalled
 * client therefore blocks only its own thread: never the sink, the other
 * clients or the frame path.
 *
 * The listening socket is made here (so "address in use" is reported with
 * its reason at open) and handed to libmicrohttpd. It binds the URI's host,
 * 127.0.0.1 unless the URI or vrt_sink_params.listen says otherwise; port 0
 * picks a free port (the sink's name then carries the real one). */
#include "annotate.h"
#include "sink-impl.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/image.h"

#ifdef VRT_HAVE_MHD
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define BOUNDARY "vrtframe"
#define JPEG_QUALITY 80

/* One stream's newest JPEG and its viewers. */
typedef struct view {
    uint8_t *jpeg; /* the newest JPEG, under mu */
    size_t jpeg_len, jpeg_cap;
    uint64_t seq; /* JPEGs published; under mu */
    _Atomic int watching;
    vrt__annotator ann; /* the sink's thread only; made at the stream's first frame */
    int ann_ready;
} view;

typedef struct web {
    vrt_pipeline_t *p;
    char name[96];
    struct MHD_Daemon *daemon;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closing; /* under mu */
    view views[VRT_PIPELINE_MAX_STREAMS];
    vrt_overlay_params ovp; /* what the views draw */
    int annotate;           /* 0: --overlay none, the frames as they came (an MJPEG source's as they are) */
    _Atomic int watching;   /* all streams */
    _Atomic uint64_t clients, sent, skipped, lost;
} web;

/* ---- the sink's thread: the newest frame as JPEG ---------------------------------- */

static void publish(web *w, view *v, const uint8_t *data, size_t n) {
    pthread_mutex_lock(&w->mu);
    if (n > v->jpeg_cap) {
        uint8_t *b = vrt_malloc(n + n / 4);
        if (!b) {
            pthread_mutex_unlock(&w->mu);
            atomic_fetch_add(&w->lost, 1);
            return;
        }
        vrt_free(v->jpeg);
        v->jpeg = b;
        v->jpeg_cap = n + n / 4;
    }
    memcpy(v->jpeg, data, n);
    v->jpeg_len = n;
    v->seq++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void web_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    web *w = ctx;
    const vrt_frame *f = r->frame;
    if (!f || r->stream < 0 || r->stream >= VRT_PIPELINE_MAX_STREAMS) return;
    view *v = &w->views[r->stream];
    if (!atomic_load(&v->watching)) return; /* nobody watches this stream: no encoding */
    if (f->fourcc == VRT_FMT_MJPEG && !w->annotate) {
        publish(w, v, f->planes[0].data, f->bytesused);
        return;
    }
    uint8_t *out = NULL;
    size_t n = 0;
    char e[200];
    vrt_frame *pic = NULL;
    if (w->annotate && !v->ann_ready) { /* this thread, once per stream: not the frame path */
        if (vrt__annotator_init(&v->ann, &w->ovp, e, sizeof(e))) {
            vrt__annotator_free(&v->ann);
            atomic_fetch_add(&w->lost, 1);
            return;
        }
        v->ann_ready = 1;
    }
    if (w->annotate && vrt__annotate(&v->ann, r, &pic, e, sizeof(e))) {
        atomic_fetch_add(&w->lost, 1);
        return;
    }
    if (vrt_jpeg_encode(pic ? pic : f, JPEG_QUALITY, &out, &n, e, sizeof(e))) {
        atomic_fetch_add(&w->lost, 1);
        return;
    }
    publish(w, v, out, n);
    vrt_free(out);
}

/* ---- a client of /stream.mjpg, on its connection's thread ------------------------- */

typedef struct client {
    web *w;
    view *v;      /* the stream it watches */
    uint64_t seq; /* the last JPEG it got */
    uint8_t *buf;
    size_t len, pos, cap;
} client;

/* Waits for a JPEG newer than the client's last and copies it, framed as one part. 0, or -1 at close. */
static int next_part(client *c) {
    web *w = c->w;
    view *v = c->v;
    pthread_mutex_lock(&w->mu);
    while (!w->closing && v->seq == c->seq)
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->closing) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    char head[128];
    int hn =
        snprintf(head, sizeof(head),
                 "--" BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", v->jpeg_len);
    size_t need = (size_t)hn + v->jpeg_len + 2;
    if (need > c->cap) {
        vrt_free(c->buf);
        c->cap = need + need / 4;
        c->buf = vrt_malloc(c->cap);
    }
    if (!c->buf) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    if (c->seq) atomic_fetch_add(&w->skipped, v->seq - c->seq - 1);
    c->seq = v->seq;
    memcpy(c->buf, head, (size_t)hn);
    memcpy(c->buf + hn, v->jpeg, v->jpeg_len);
    memcpy(c->buf + hn + v->jpeg_len, "\r\n", 2);
    c->len = need;
    c->pos = 0;
    pthread_mutex_unlock(&w->mu);
    atomic_fetch_add(&w->sent, 1);
    return 0;
}

static ssize_t mjpeg_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    client *c = cls;
    if (c->pos == c->len && next_part(c)) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = c->len - c->pos < max ? c->len - c->pos : max;
    memcpy(buf, c->buf + c->pos, n);
    c->pos += n;
    return (ssize_t)n;
}

static void mjpeg_free(void *cls) {
    client *c = cls;
    atomic_fetch_sub(&c->v->watching, 1);
    atomic_fetch_sub(&c->w->watching, 1);
    vrt_free(c->buf);
    vrt_free(c);
}

/* ---- statistics: JSON and Prometheus text ------------------------------------------ */

static void json_hist(vrt_json *j, const char *key, const vrt_hist_summary *h) {
    vrt_json_key(j, key);
    vrt_json_begin_object(j);
    vrt_json_kv_uint(j, "count", h->count);
    vrt_json_kv_double(j, "p50", (double)h->p50 / 1e6);
    vrt_json_kv_double(j, "p90", (double)h->p90 / 1e6);
    vrt_json_kv_double(j, "p99", (double)h->p99 / 1e6);
    vrt_json_kv_double(j, "max", (double)h->max / 1e6);
    vrt_json_end_object(j);
}

static void json_streams(web *w, vrt_json *j) {
    vrt_json_key(j, "streams");
    vrt_json_begin_array(j);
    for (int i = 0; i < vrt_pipeline_num_streams(w->p); i++) {
        vrt_pipeline_stats st;
        if (vrt_pipeline_get_stats(w->p, i, &st)) continue;
        vrt_json_begin_object(j);
        vrt_json_kv_int(j, "stream", i);
        vrt_json_kv_string(j, "uri", st.uri);
        vrt_json_kv_string(j, "state", st.state);
        vrt_json_kv_uint(j, "width", st.info.width);
        vrt_json_kv_uint(j, "height", st.info.height);
        vrt_json_kv_uint(j, "results", st.results);
        vrt_json_kv_double(j, "fps", st.fps);
        vrt_json_kv_uint(j, "dropped", st.dropped);
        vrt_json_kv_uint(j, "deadline_misses", st.deadline_misses);
        vrt_json_key(j, "latency_ms");
        vrt_json_begin_object(j);
        for (int k = 0; k < VRT_STAGE_COUNT; k++)
            json_hist(j, vrt_stage_name((vrt_stage)k), &st.stage[k]);
        vrt_json_end_object(j);
        vrt_json_end_object(j);
    }
    vrt_json_end_array(j);
}

static void json_stats(web *w, vrt_json *j) {
    vrt_json_begin_object(j);
    json_streams(w, j);
    vrt_json_key(j, "sinks");
    vrt_json_begin_array(j);
    for (int i = 0; i < vrt_pipeline_num_outputs(w->p); i++) {
        vrt_pipeline_output_stats os;
        if (vrt_pipeline_get_output_stats(w->p, i, &os)) continue;
        vrt_json_begin_object(j);
        vrt_json_kv_string(j, "name", os.name);
        vrt_json_kv_uint(j, "written", os.written);
        vrt_json_kv_uint(j, "dropped", os.dropped);
        vrt_json_kv_uint(j, "lost", os.lost);
        vrt_json_kv_string(j, "detail", os.detail);
        json_hist(j, "latency_ms", &os.latency);
        vrt_json_end_object(j);
    }
    vrt_json_end_array(j);
    vrt_json_kv_string(j, "stopped_by", vrt_pipeline_stop_requested(w->p));
    vrt_json_end_object(j);
}

typedef struct text {
    char *b;
    size_t n, cap;
} text;

__attribute__((format(printf, 2, 3))) static void put(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = t->n < t->cap ? vsnprintf(t->b + t->n, t->cap - t->n, fmt, ap) : 0;
    va_end(ap);
    if (k > 0) t->n = t->n + (size_t)k < t->cap ? t->n + (size_t)k : t->cap - 1;
}

/* Prometheus text: every family's lines together (the format requires it), streams inside. */
static void metrics_counters(text *t, const vrt_pipeline_stats *st, int n) {
    static const char *const names[] = {"vrt_frames_total", "vrt_dropped_total", "vrt_deadline_misses_total",
                                        "vrt_fps"};
    static const char *const help[] = {"Results delivered per stream.",
                                       "Frames dropped per stream (source + hand-off).",
                                       "Results later than the deadline.", "Results per second."};
    for (int f = 0; f < 4; f++) {
        put(t, "# HELP %s %s\n# TYPE %s %s\n", names[f], help[f], names[f], f == 3 ? "gauge" : "counter");
        for (int i = 0; i < n; i++) {
            if (f == 3) {
                put(t, "%s{stream=\"%d\"} %.3f\n", names[f], i, st[i].fps);
                continue;
            }
            uint64_t v = f == 0 ? st[i].results : f == 1 ? st[i].dropped : st[i].deadline_misses;
            put(t, "%s{stream=\"%d\"} %llu\n", names[f], i, (unsigned long long)v);
        }
    }
}

static void metrics_latency(text *t, const vrt_pipeline_stats *st, int n) {
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    put(t, "# HELP vrt_latency_seconds Latency per stage (from the exposure timestamp, CLOCK_MONOTONIC).\n"
           "# TYPE vrt_latency_seconds summary\n");
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < VRT_STAGE_COUNT; k++) {
            const vrt_hist_summary *h = &st[i].stage[k];
            const int64_t v[] = {h->p50, h->p90, h->p99, h->p999};
            const char *sn = vrt_stage_name((vrt_stage)k);
            for (int q = 0; q < 4; q++)
                put(t, "vrt_latency_seconds{stream=\"%d\",stage=\"%s\",quantile=\"%g\"} %.9f\n", i, sn, qs[q],
                    (double)v[q] / 1e9);
            put(t, "vrt_latency_seconds_sum{stream=\"%d\",stage=\"%s\"} %.9f\n", i, sn,
                h->mean * (double)h->count / 1e9);
            put(t, "vrt_latency_seconds_count{stream=\"%d\",stage=\"%s\"} %llu\n", i, sn,
                (unsigned long long)h->count);
        }
    }
}

static void metrics_sinks(web *w, text *t) {
    static const char *const names[] = {"vrt_sink_written_total", "vrt_sink_dropped_total",
                                        "vrt_sink_lost_total"};
    static const char *const help[] = {"Results each output wrote.",
                                       "Results each output missed because it fell behind.",
                                       "Results each output could not deliver."};
    for (int f = 0; f < 3; f++) {
        put(t, "# HELP %s %s\n# TYPE %s counter\n", names[f], help[f], names[f]);
        for (int i = 0; i < vrt_pipeline_num_outputs(w->p); i++) {
            vrt_pipeline_output_stats os;
            if (vrt_pipeline_get_output_stats(w->p, i, &os)) continue;
            uint64_t v = f == 0 ? os.written : f == 1 ? os.dropped : os.lost;
            put(t, "%s{sink=\"%s\"} %llu\n", names[f], os.name, (unsigned long long)v);
        }
    }
    put(t,
        "# HELP vrt_sink_latency_seconds Result ready -> the output wrote it (a display: frame presented).\n"
        "# TYPE vrt_sink_latency_seconds summary\n");
    for (int i = 0; i < vrt_pipeline_num_outputs(w->p); i++) {
        vrt_pipeline_output_stats os;
        if (vrt_pipeline_get_output_stats(w->p, i, &os)) continue;
        const int64_t v[] = {os.latency.p50, os.latency.p90, os.latency.p99};
        static const char *const q[] = {"0.5", "0.9", "0.99"};
        for (int k = 0; k < 3; k++)
            put(t, "vrt_sink_latency_seconds{sink=\"%s\",quantile=\"%s\"} %.9f\n", os.name, q[k],
                (double)v[k] / 1e9);
        put(t, "vrt_sink_latency_seconds_sum{sink=\"%s\"} %.9f\n", os.name,
            os.latency.mean * (double)os.latency.count / 1e9);
        put(t, "vrt_sink_latency_seconds_count{sink=\"%s\"} %llu\n", os.name,
            (unsigned long long)os.latency.count);
    }
    put(t,
        "# HELP vrt_web_clients Clients watching the MJPEG stream.\n# TYPE vrt_web_clients gauge\n"
        "vrt_web_clients %d\n",
        atomic_load(&w->watching));
    put(t,
        "# HELP vrt_web_frames_skipped_total JPEGs a slow client did not get (replaced by newer ones).\n"
        "# TYPE vrt_web_frames_skipped_total counter\nvrt_web_frames_skipped_total %llu\n",
        (unsigned long long)atomic_load(&w->skipped));
}

static void metrics(web *w, text *t) {
    int n = vrt_pipeline_num_streams(w->p);
    vrt_pipeline_stats *st = vrt_calloc((size_t)(n > 0 ? n : 1), sizeof(*st));
    if (!st) return;
    for (int i = 0; i < n; i++)
        vrt_pipeline_get_stats(w->p, i, &st[i]);
    metrics_counters(t, st, n);
    metrics_latency(t, st, n);
    metrics_sinks(w, t);
    vrt_free(st);
}

/* ---- server-sent events: /stats twice a second ------------------------------------ */

typedef struct sse {
    web *w;
    char buf[65536];
    size_t len, pos;
    int first;
} sse;

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    sse *s = cls;
    if (s->pos == s->len) {
        web *w = s->w;
        pthread_mutex_lock(&w->mu);
        if (!s->first) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 500000000;
            if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
            while (!w->closing && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0) {
            }
        }
        int closing = w->closing;
        pthread_mutex_unlock(&w->mu);
        if (closing) return MHD_CONTENT_READER_END_OF_STREAM;
        s->first = 0;
        vrt_json j;
        memcpy(s->buf, "data: ", 6);
        vrt_json_init_buffer(&j, s->buf + 6, sizeof(s->buf) - 9);
        json_stats(w, &j);
        vrt_json_finish(&j);
        s->len = 6 + vrt_json_length(&j);
        if (s->len > sizeof(s->buf) - 3) s->len = sizeof(s->buf) - 3;
        memcpy(s->buf + s->len, "\n\n", 2);
        s->len += 2;
        s->pos = 0;
    }
    size_t n = s->len - s->pos < max ? s->len - s->pos : max;
    memcpy(buf, s->buf + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

/* ---- requests --------------------------------------------------------------------- */

static const char g_page[] =
    "<!doctype html><html><head><meta charset=utf-8><title>vrt</title><style>"
    "body{font:14px system-ui,sans-serif;margin:0;background:#111;color:#ddd}"
    "main{display:flex;gap:16px;padding:16px;align-items:flex-start}img{max-width:62vw;background:#000}"
    "#views{display:flex;flex-wrap:wrap;gap:8px;max-width:62vw}#views.grid img{max-width:calc(31vw - 8px)}"
    "@media(max-width:700px){main{flex-direction:column}img{max-width:100%}}"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:2px "
    "6px;text-align:right}th{color:#9ab;white-space:nowrap}a{color:#8cf}"
    "td:first-child,th:first-child{text-align:left;max-width:170px;overflow:hidden;text-overflow:ellipsis;"
    "white-space:nowrap}h1{font-size:16px;margin:16px 16px 0}</style></head>"
    "<body><h1>vrt &mdash; live</h1><main><div id=views><img id=live src=\"/stream.mjpg\" "
    "alt=\"stream 0\" title=\"stream 0\"></div>"
    "<div><table id=streams><tr><th>stream</th><th>fps</th><th>results</th><th>dropped</th>"
    "<th>late</th><th>e2e p50</th><th>p99 ms</th></tr></table><br>"
    "<table id=sinks><tr><th>output</th><th>written</th><th>dropped</th><th>lost</th>"
    "<th>p50 ms</th></tr></table><p><a href=\"/stats\">/stats</a> &middot; "
    "<a href=\"/metrics\">/metrics</a> &middot; <a href=\"/events\">/events</a></p></div></main><script>"
    "function row(t,c){var r=t.insertRow();c.forEach(function(v){r.insertCell().textContent=v})}"
    "function views(n){var v=document.getElementById('views');if(n>1)v.className='grid';"
    "for(var i=v.children.length;i<n;i++){var m=document.createElement('img');m.src='/stream/'+i;"
    "m.alt=m.title='stream '+i;v.appendChild(m)}}"
    "function show(s){var a=document.getElementById('streams'),b=document.getElementById('sinks');"
    "views(s.streams.length);"
    "while(a.rows.length>1)a.deleteRow(1);while(b.rows.length>1)b.deleteRow(1);"
    "s.streams.forEach(function(x){var e=x.latency_ms.e2e;row(a,[x.stream+' '+x.uri,x.fps.toFixed(1),"
    "x.results,x.dropped,x.deadline_misses,e.p50.toFixed(2),e.p99.toFixed(2)])});"
    "s.sinks.forEach(function(x){row(b,[x.name,x.written,x.dropped,x.lost,x.latency_ms.p50.toFixed(2)])})}"
    "function poll(){fetch('/stats').then(function(r){return r.json()}).then(show).catch(function(){})}"
    "poll();setInterval(poll,500);</script></body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *con, unsigned code, const char *type, const void *body,
                             size_t n, enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(con, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* events: /events; else the MJPEG stream of stream `index`. */
static enum MHD_Result stream_reply(web *w, struct MHD_Connection *con, int events, int index) {
    struct MHD_Response *r = NULL;
    if (events) {
        sse *s = vrt_calloc(1, sizeof(*s));
        if (!s) return MHD_NO;
        s->w = w;
        s->first = 1;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, vrt_free);
        if (!r) vrt_free(s);
    } else {
        client *c = vrt_calloc(1, sizeof(*c));
        if (!c) return MHD_NO;
        c->w = w;
        c->v = &w->views[index];
        atomic_fetch_add(&c->v->watching, 1);
        atomic_fetch_add(&w->watching, 1);
        atomic_fetch_add(&w->clients, 1);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, mjpeg_read, c, mjpeg_free);
        if (!r) mjpeg_free(c);
    }
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type",
                            events ? "text/event-stream" : "multipart/x-mixed-replace; boundary=" BOUNDARY);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(con, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version, (void)upload, (void)upload_size, (void)state;
    web *w = cls;
    static const char not_allowed[] = "GET only\n",
                      not_found[] = "not found: try /, /stream/N (N: a stream; /stream.mjpg: stream 0), "
                                    "/stats, /events or /metrics\n";
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(con, 405, "text/plain", not_allowed, sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return reply(con, MHD_HTTP_OK, "text/html; charset=utf-8", g_page, sizeof(g_page) - 1,
                     MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/stream.mjpg")) return stream_reply(w, con, 0, 0);
    if (!strncmp(url, "/stream/", 8)) { /* /stream/N or /stream/N.mjpg */
        char *end = NULL;
        long i = strtol(url + 8, &end, 10);
        if (end != url + 8 && (!*end || !strcmp(end, ".mjpg")) && i >= 0 &&
            i < vrt_pipeline_num_streams(w->p))
            return stream_reply(w, con, 0, (int)i);
    }
    if (!strcmp(url, "/events")) return stream_reply(w, con, 1, 0);
    if (!strcmp(url, "/stats") || !strcmp(url, "/metrics")) {
        text t = {vrt_malloc(1 << 18), 0, 1 << 18};
        if (!t.b) return MHD_NO;
        t.b[0] = 0;
        if (url[1] == 's') {
            vrt_json j;
            vrt_json_init_buffer(&j, t.b, t.cap);
            json_stats(w, &j);
            vrt_json_finish(&j);
            t.n = strlen(t.b);
        } else {
            metrics(w, &t);
        }
        enum MHD_Result r =
            reply(con, MHD_HTTP_OK, url[1] == 's' ? "application/json" : "text/plain; version=0.0.4", t.b,
                  t.n, MHD_RESPMEM_MUST_COPY);
        vrt_free(t.b);
        return r;
    }
    return reply(con, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1,
                 MHD_RESPMEM_PERSISTENT);
}

/* ---- open / close ----------------------------------------------------------------- */

static void web_stats(void *ctx, vrt_pipeline_output_stats *st) {
    web *w = ctx;
    st->lost = atomic_load(&w->lost);
    snprintf(st->detail, sizeof(st->detail),
             "%d watching, %llu clients in all, %llu JPEGs sent, %llu skipped for slow clients",
             atomic_load(&w->watching), (unsigned long long)atomic_load(&w->clients),
             (unsigned long long)atomic_load(&w->sent), (unsigned long long)atomic_load(&w->skipped));
}

static void web_destroy(void *ctx) {
    web *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->closing = 1; /* the connections' threads stop waiting for frames */
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->daemon) MHD_stop_daemon(w->daemon); /* joins them; closes the socket */
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    for (int i = 0; i < VRT_PIPELINE_MAX_STREAMS; i++) {
        vrt_free(w->views[i].jpeg);
        if (w->views[i].ann_ready) vrt__annotator_free(&w->views[i].ann);
    }
    vrt_free(w);
}

/* "//HOST:PORT[/]" -> host and port. */
static int parse_addr(const char *path, char *host, size_t hcap, int *port) {
    if (strncmp(path, "//", 2)) return -1;
    const char *h = path + 2, *colon = strrchr(h, ':');
    if (!colon || colon == h || (size_t)(colon - h) >= hcap) return -1;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = 0;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end && strcmp(end, "/")) || p < 0 || p > 65535) return -1;
    *port = (int)p;
    return 0;
}

/* A listening IPv4 socket on host:port; -1 with err naming why. */
static int listen_on(const char *uri, const char *host, int *port, char *err, size_t cap) {
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, NULL, &hints, &ai);
    if (g) {
        vrt_errbuf_set(err, cap, "%s: cannot resolve '%s' (%s); give an IPv4 address such as 127.0.0.1", uri,
                       host, gai_strerror(g));
        return -1;
    }
    struct sockaddr_in sa = *(struct sockaddr_in *)ai->ai_addr;
    freeaddrinfo(ai);
    sa.sin_port = htons((uint16_t)*port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
        int e = errno;
        vrt_errbuf_set(err, cap, "%s: cannot listen on %s:%d: %s%s", uri, host, *port, strerror(e),
                       e == EADDRINUSE
                           ? " (another program has this port: pick another, or port 0 for any free one)"
                           : "");
        if (fd >= 0) close(fd);
        return -1;
    }
    socklen_t sl = sizeof(sa);
    if (!getsockname(fd, (struct sockaddr *)&sa, &sl)) *port = ntohs(sa.sin_port);
    return fd;
}

static vrt_status web_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                           const vrt_sink_params *sp, char *err, size_t cap) {
    char uri[300], host[256];
    int port = 0;
    snprintf(uri, sizeof(uri), "http:%s", path);
    if (parse_addr(path, host, sizeof(host), &port)) {
        vrt_errbuf_set(err, cap,
                       "%s: expected http://ADDR:PORT, e.g. http://127.0.0.1:8080 (port 0: any free one)",
                       uri);
        return VRT_EINVAL;
    }
    if (sp->listen && sp->listen[0]) snprintf(host, sizeof(host), "%s", sp->listen);
    int fd = listen_on(uri, host, &port, err, cap);
    if (fd < 0) return VRT_EBUSY;
    web *w = vrt_calloc(1, sizeof(*w));
    if (!w) {
        close(fd);
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    w->p = p;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    snprintf(w->name, sizeof(w->name), "http://%s:%d", host, port);
    w->annotate = !sp->overlay || sp->overlay->flags != 0;
    char e[200];
    /* Stream 0's overlay now, so a bad option fails at open; the other streams' at their first frame. */
    if (w->annotate && vrt__annotator_init(&w->views[0].ann, sp->overlay, e, sizeof(e))) {
        close(fd);
        vrt__annotator_free(&w->views[0].ann);
        vrt_errbuf_set(err, cap, "%s: overlay: %s", uri, e);
        web_destroy(w);
        return VRT_EINVAL;
    }
    if (w->annotate) {
        w->views[0].ann_ready = 1;
        w->ovp = w->views[0].ann.params;
    }
    w->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                                 NULL, handle, w, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)64, MHD_OPTION_END);
    if (!w->daemon) {
        close(fd);
        vrt_errbuf_set(err, cap, "%s: libmicrohttpd did not start on %s", uri, w->name);
        web_destroy(w);
        return VRT_EIO;
    }
    o->name = w->name;
    o->depth = 1; /* the newest frame only */
    o->want_frame = 1;
    o->overlay = w->annotate ? &w->ovp : NULL; /* the CUDA pipeline then draws it on the GPU */
    o->ctx = w;
    o->write = web_write;
    o->stats = web_stats;
    o->destroy = web_destroy;
    return VRT_OK;
}
#define WEB_AVAILABLE 1
#else
static vrt_status web_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                           const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p, (void)o, (void)sp;
    char uri[300];
    snprintf(uri, sizeof(uri), "http:%s", path);
    return vrt__sink_missing(uri, "web viewer", "libmicrohttpd (libmicrohttpd-dev)", err, cap);
}
#define WEB_AVAILABLE 0
#endif

const vrt__sink_kind vrt__sink_http = {
    .scheme = "http",
    .extensions = "",
    .example = "http://127.0.0.1:8080",
    .available = WEB_AVAILABLE,
    .open = web_open,
};
