/* Sinks (vrt/sink.h) and pipeline outputs (vrt/pipeline.h) on the CPU
 * backend with SqueezeNet and the synthetic source:
 * - a sink stuck in its write does not hold up the frame path (every result
 *   is delivered while it is stuck; a frame path that waited for it would
 *   never finish), and counts what it missed as its own drops, keeping the
 *   newest results (depth 1: a latest-value slot; depth 4: the newest four);
 * - the JSON lines sink writes, on its own thread, exactly the lines that
 *   vrt_sink_json_result gives for the results on_result saw, then the
 *   summary line with the sinks' counters;
 * - URIs: scheme, extension, unknown kinds and bad paths are explained;
 * - nothing is allocated per result with sinks attached (also on the drop path,
 *   and with an output that holds frame copies);
 * - an output that wants frames gets a copy of each frame's pixels (the
 *   synthetic frame number read back from the copy is the result's), one that
 *   does not gets none; each output's latency histogram counts its writes;
 * - an output can ask the run to stop (a closed window): wait returns, the
 *   reason is kept. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vrt/image.h"
#include "vrt/pipeline.h"
#include "vrt/sink.h"

#define MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"
#define FRAMES 20

static const char *profile_path(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    return p;
}

static vrt_pipeline_t *make(vrt_pipeline_result_fn on_result, void *user) {
    const char *model = vrt_test_data_or_skip(MODEL);
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile_path();
    pp.threads = 1;
    pp.policy = VRT_POLICY_ALL;
    pp.warmup = 0;
    pp.on_result = on_result;
    pp.user = user;
    vrt_pipeline_t *p = NULL;
    char err[512];
    vrt_status st = vrt_pipeline_create(&p, &pp, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    st = vrt_pipeline_add_source(p, "synthetic:?width=160&height=120&fps=0&mode=all&frames=20", NULL, NULL,
                                 err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    return p;
}

/* ---- a sink stuck until the test opens its gate ---- */

typedef struct gated {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    int n;
    uint64_t seq[FRAMES];
    int finished;
    int destroyed;
} gated;

static void gated_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    gated *g = ctx;
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    if (g->n < FRAMES) g->seq[g->n] = r->sequence;
    g->n++;
    pthread_mutex_unlock(&g->mu);
}

static vrt_status gated_finish(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    (void)p, (void)err, (void)cap;
    gated *g = ctx;
    g->finished = !strcmp(stopped_by, "test");
    return VRT_OK;
}

static void gated_destroy(void *ctx) {
    ((gated *)ctx)->destroyed++;
}

static void gate_open(gated *g) {
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void run_stuck_sink(int depth) {
    static gated g;
    memset(&g, 0, sizeof(g));
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    vrt_pipeline_t *p = make(NULL, NULL);
    vrt_pipeline_output o;
    memset(&o, 0, sizeof(o));
    o.name = "stuck";
    o.depth = depth;
    o.ctx = &g;
    o.write = gated_write;
    o.finish = gated_finish;
    o.destroy = gated_destroy;
    char err[256];
    ASSERT_OK(vrt_pipeline_add_output(p, &o, err, sizeof(err)));
    ASSERT_EQ(vrt_pipeline_num_outputs(p), 1);
    ASSERT_OK(vrt_pipeline_start(p));
    /* Every frame is processed and delivered while the sink is stuck in its first write. */
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    vrt_pipeline_stats st;
    ASSERT_OK(vrt_pipeline_get_stats(p, 0, &st));
    ASSERT_EQ(st.results, FRAMES);
    gate_open(&g);
    ASSERT_OK(vrt_pipeline_finish(p, "test", err, sizeof(err)));
    ASSERT_EQ(g.finished, 1);
    vrt_pipeline_output_stats os;
    ASSERT_OK(vrt_pipeline_get_output_stats(p, 0, &os));
    ASSERT_STREQ(os.name, "stuck");
    ASSERT_EQ(os.written, (uint64_t)g.n);
    ASSERT_EQ(os.written + os.dropped, FRAMES);
    /* At most the one it was stuck on plus `depth` waiting ones got through ... */
    ASSERT_TRUE(g.n >= depth && g.n <= depth + 1);
    /* ... and those waiting were the newest, in order. */
    for (int k = 0; k < depth; k++)
        ASSERT_EQ(g.seq[g.n - depth + k], (uint64_t)(FRAMES - depth + k));
    ASSERT_EQ(g.destroyed, 0);
    vrt_pipeline_destroy(&p);
    ASSERT_EQ(g.destroyed, 1);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
}

TEST(stuck_sink_never_delays_the_frame_path_depth_1) {
    run_stuck_sink(1);
}

TEST(stuck_sink_keeps_the_newest_depth_4) {
    run_stuck_sink(4);
}

/* ---- JSON lines ---- */

typedef struct expect {
    char lines[FRAMES][16384];
    int n;
    const vrt_pipeline_t *p;
} expect;

static void format_expected(void *user, const vrt_pipeline_result *r) {
    expect *e = user;
    if (e->n >= FRAMES) return;
    vrt_json w;
    vrt_json_init_buffer(&w, e->lines[e->n], sizeof(e->lines[0]) - 1);
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_sink_json_result(e->p, r, &w);
    if (vrt_json_finish(&w) == VRT_OK) e->n++;
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ASSERT_TRUE(f != NULL);
    static char buf[1 << 20];
    *n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*n] = 0;
    fclose(f);
    return buf;
}

TEST(jsonl_sink_writes_the_lines_on_result_would) {
    static expect e;
    memset(&e, 0, sizeof(e));
    char path[] = "/tmp/vrt_test_sink_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    vrt_pipeline_t *p = make(format_expected, &e);
    e.p = p;
    char uri[128], err[512];
    snprintf(uri, sizeof(uri), "jsonl:%s", path);
    ASSERT_OK(vrt_sink_add(p, uri, NULL, err, sizeof(err)));
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_finish(p, "frames", err, sizeof(err)));
    ASSERT_EQ(e.n, FRAMES);
    size_t n = 0;
    char *text = slurp(path, &n);
    char *line = text;
    for (int i = 0; i < FRAMES; i++) {
        char *nl = strchr(line, '\n');
        ASSERT_TRUE(nl != NULL);
        *nl = 0;
        if (strcmp(line, e.lines[i]))
            vrt_test_fail(__FILE__, __LINE__, "line %d:\n%s\nwant\n%s", i, line, e.lines[i]);
        line = nl + 1;
    }
    ASSERT_CONTAINS(line, "{\"type\":\"summary\"");
    char want[300];
    snprintf(want, sizeof(want), "\"sinks\":[{\"name\":\"jsonl:%s\",\"written\":%d,\"dropped\":0,\"lost\":0,",
             path, FRAMES);
    ASSERT_CONTAINS(line, want);
    ASSERT_TRUE(strchr(line, '\n') == line + strlen(line) - 1); /* exactly one summary line */
    vrt_pipeline_destroy(&p);
    unlink(path);
}

TEST(sink_uris_are_checked) {
    vrt_pipeline_t *p = make(NULL, NULL);
    char err[512];
    ASSERT_STATUS(vrt_sink_add(p, "foo://broker/topic", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "output 'foo://broker/topic': unknown kind");
    ASSERT_CONTAINS(
        err, "jsonl:PATH|-, report:PATH.html, display://0, http://127.0.0.1:8080, mqtt://HOST:1883/TOPIC");
    /* The URI's form is checked before anything is opened (where the sink is built). */
    static const char *const bad[][3] = {
        {"http", "http://127.0.0.1", "expected http://ADDR:PORT"},
        {"mqtt", "mqtt://host:1883/a/#", "expected mqtt://HOST[:PORT]/TOPIC"},
        {"display", "display:0", "expected display://N"}};
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(vrt_sink_add(p, bad[i][1], NULL, err, sizeof(err)) != VRT_OK);
        ASSERT_CONTAINS(err, vrt_sink_available(bad[i][0]) ? bad[i][2] : "this build has no");
    }
    ASSERT_STATUS(vrt_sink_add(p, "jsonl:", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "no path given");
    ASSERT_TRUE(vrt_sink_add(p, "/nonexistent-dir/x.jsonl", NULL, err, sizeof(err)) != VRT_OK);
    ASSERT_CONTAINS(err, "/nonexistent-dir/x.jsonl: cannot open for writing");
    ASSERT_TRUE(vrt_sink_add(p, "report:/nonexistent-dir/r.html", NULL, err, sizeof(err)) != VRT_OK);
    ASSERT_EQ(vrt_pipeline_num_outputs(p), 0);
    char path[] = "/tmp/vrt_test_sink_XXXXXX.html";
    int fd = mkstemps(path, 5);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    ASSERT_OK(vrt_sink_add(p, path, NULL, err, sizeof(err))); /* by extension: the report */
    vrt_pipeline_output_stats os;
    ASSERT_OK(vrt_pipeline_get_output_stats(p, 0, &os));
    ASSERT_TRUE(!strncmp(os.name, "report:", 7));
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_STATUS(vrt_sink_add(p, "-", NULL, err, sizeof(err)), VRT_EBUSY); /* after start */
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_finish(p, "frames", err, sizeof(err)));
    size_t n = 0;
    char *html = slurp(path, &n);
    ASSERT_CONTAINS(html, "<section id=\"timeline\">");
    ASSERT_CONTAINS(html, "</body></html>");
    vrt_pipeline_destroy(&p);
    unlink(path);
}

/* ---- nothing allocated per result with sinks attached ---- */

typedef struct window {
    int n, from, to;
    vrt_alloc_stats a0, a1;
} window;

static void count_window(void *user, const vrt_pipeline_result *r) {
    (void)r;
    window *w = user;
    if (w->n == w->from) w->a0 = vrt_alloc_counting_stats();
    if (w->n == w->to) w->a1 = vrt_alloc_counting_stats();
    w->n++;
}

TEST(sinks_allocate_nothing_per_result) {
    static gated g;
    memset(&g, 0, sizeof(g));
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    static window w;
    memset(&w, 0, sizeof(w));
    w.from = 4;
    w.to = 14;
    vrt_alloc_counting_begin();
    vrt_pipeline_t *p = make(count_window, &w);
    char err[512];
    ASSERT_OK(vrt_sink_add(p, "jsonl:/dev/null", NULL, err, sizeof(err)));
    vrt_pipeline_output o; /* stuck: every result after the first displaces one */
    memset(&o, 0, sizeof(o));
    o.name = "stuck";
    o.ctx = &g;
    o.write = gated_write;
    o.want_frame = 1; /* the frame copies circulate too */
    ASSERT_OK(vrt_pipeline_add_output(p, &o, err, sizeof(err)));
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    gate_open(&g);
    ASSERT_OK(vrt_pipeline_finish(p, "frames", err, sizeof(err)));
    vrt_pipeline_output_stats os;
    ASSERT_OK(vrt_pipeline_get_output_stats(p, 1, &os));
    vrt_pipeline_destroy(&p);
    vrt_alloc_counting_end();
    ASSERT_TRUE(w.n > w.to);
    ASSERT_TRUE(os.dropped > 0); /* the drop path ran inside the window too */
    ASSERT_TRUE(w.a0.allocs > 0);
    ASSERT_EQ(w.a1.allocs - w.a0.allocs, 0);
    ASSERT_EQ(w.a1.frees - w.a0.frees, 0);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
}

/* ---- frames to the outputs that want them ---- */

typedef struct frames_seen {
    int n, with_frame, numbers_match;
    uint32_t w, h;
} frames_seen;

static void frames_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    frames_seen *s = ctx;
    s->n++;
    if (!r->frame) return;
    s->with_frame++;
    s->w = r->frame->width;
    s->h = r->frame->height;
    uint64_t num = 0;
    if (vrt_synthetic_decode_number(r->frame, &num) == VRT_OK && (int64_t)num == r->frame_number &&
        r->frame->sequence == r->sequence)
        s->numbers_match++;
}

TEST(outputs_that_want_frames_get_copies) {
    static frames_seen a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    vrt_pipeline_t *p = make(NULL, NULL);
    char err[256];
    vrt_pipeline_output o;
    memset(&o, 0, sizeof(o));
    o.name = "frames";
    o.depth = FRAMES; /* keeps every result: each one is checked */
    o.want_frame = 1;
    o.ctx = &a;
    o.write = frames_write;
    ASSERT_OK(vrt_pipeline_add_output(p, &o, err, sizeof(err)));
    o.name = "no-frames";
    o.want_frame = 0;
    o.ctx = &b;
    ASSERT_OK(vrt_pipeline_add_output(p, &o, err, sizeof(err)));
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_finish(p, "frames", err, sizeof(err)));
    vrt_pipeline_output_stats os;
    ASSERT_OK(vrt_pipeline_get_output_stats(p, 0, &os));
    ASSERT_EQ(os.written + os.dropped, FRAMES);
    ASSERT_EQ(os.latency.count, os.written);
    ASSERT_TRUE(os.written > 0 && os.latency.p50 > 0);
    ASSERT_EQ(a.with_frame, a.n);
    ASSERT_EQ(a.numbers_match, a.n);
    ASSERT_EQ(a.w, 160);
    ASSERT_EQ(a.h, 120);
    ASSERT_EQ(b.n, FRAMES);
    ASSERT_EQ(b.with_frame, 0);
    vrt_pipeline_destroy(&p);
}

/* ---- an output asks the run to stop ---- */

typedef struct stopper {
    vrt_pipeline_t *p;
    int n;
} stopper;

static void stopper_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p, (void)r;
    stopper *s = ctx;
    if (++s->n == 3) vrt_pipeline_request_stop(s->p, "window closed");
    if (s->n == 4) vrt_pipeline_request_stop(s->p, "second"); /* the first reason stays */
}

TEST(an_output_can_stop_the_run) {
    const char *model = vrt_test_data_or_skip(MODEL);
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile_path();
    pp.threads = 1;
    pp.warmup = 0;
    vrt_pipeline_t *p = NULL;
    char err[512];
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    ASSERT_OK(
        vrt_pipeline_add_source(p, "synthetic:?width=160&height=120&fps=50", NULL, NULL, err, sizeof(err)));
    static stopper s;
    s.p = p;
    s.n = 0;
    vrt_pipeline_output o;
    memset(&o, 0, sizeof(o));
    o.name = "stopper";
    o.ctx = &s;
    o.write = stopper_write;
    ASSERT_OK(vrt_pipeline_add_output(p, &o, err, sizeof(err)));
    ASSERT_TRUE(vrt_pipeline_stop_requested(p) == NULL);
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000)); /* the source never ends: only the request ends the wait */
    ASSERT_STREQ(vrt_pipeline_stop_requested(p), "window closed");
    ASSERT_OK(vrt_pipeline_stop(p));
    ASSERT_STREQ(vrt_pipeline_stop_requested(p), "window closed");
    vrt_pipeline_destroy(&p);
}

int main(void) {
    VRT_RUN(stuck_sink_never_delays_the_frame_path_depth_1);
    VRT_RUN(stuck_sink_keeps_the_newest_depth_4);
    VRT_RUN(jsonl_sink_writes_the_lines_on_result_would);
    VRT_RUN(sink_uris_are_checked);
    VRT_RUN(sinks_allocate_nothing_per_result);
    VRT_RUN(outputs_that_want_frames_get_copies);
    VRT_RUN(an_output_can_stop_the_run);
    return vrt_test_finish();
}
