/* Pipeline (vrt/pipeline.h) on the CPU backend with SqueezeNet and the
 * synthetic source: results name the frame they came from (the number drawn
 * in the pixels equals the sequence), drops are exact (results + drops =
 * frames the source made), newest-frame age bound, the all-frames policy,
 * zero allocations in steady state, stop while running, errors. */
#include <pthread.h>

#include "harness.h"

#include <stdatomic.h>
#include <string.h>

#include "vrt/pipeline.h"

#define MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

static const char *profile_path(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    return p;
}

#define MAXR 4096

typedef struct collector {
    /* Two streams deliver from two processing threads: the callback holds mu (all-zero memory
     * is PTHREAD_MUTEX_INITIALIZER on Linux, so a memset collector is ready). The main thread
     * reads the fields after the pipeline has joined its threads. */
    pthread_mutex_t mu;
    int n;
    int bad_number; /* results whose pixel number differs from the sequence */
    int out_of_order;
    uint64_t seq[MAXR];
    uint64_t dropped_before[MAXR];
    int64_t age[MAXR], process[MAXR];
    int classes_ok;
    /* allocation window */
    int window_from, window_to;
    vrt_alloc_stats a0, a1;
} collector;

static void collect_locked(collector *c, const vrt_pipeline_result *r);

static void collect(void *user, const vrt_pipeline_result *r) {
    collector *c = user;
    pthread_mutex_lock(&c->mu);
    collect_locked(c, r);
    pthread_mutex_unlock(&c->mu);
}

/* The results so far, read while the processing threads may still add some. */
static int collected(collector *c) {
    pthread_mutex_lock(&c->mu);
    int n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static void collect_locked(collector *c, const vrt_pipeline_result *r) {
    if (c->n < MAXR) {
        c->seq[c->n] = r->sequence;
        c->dropped_before[c->n] = r->dropped_before;
        c->age[c->n] = r->t.launch_ns - r->t.exposure_ns;
        c->process[c->n] = r->t.done_ns - r->t.launch_ns;
    }
    if (r->frame_number != (int64_t)r->sequence) c->bad_number++;
    if (c->n && r->sequence <= c->seq[c->n - 1]) c->out_of_order++;
    if (r->classes && r->classes->count == 5 && r->classes->score[0] >= r->classes->score[4]) c->classes_ok++;
    if (c->window_to) {
        if (c->n == c->window_from) c->a0 = vrt_alloc_counting_stats();
        if (c->n == c->window_to) c->a1 = vrt_alloc_counting_stats();
    }
    c->n++;
}

static vrt_pipeline_t *make(const char *model, collector *c, vrt_pipeline_policy policy, const char *uri) {
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile_path();
    pp.threads = 1;
    pp.policy = policy;
    pp.on_result = collect;
    pp.user = c;
    vrt_pipeline_t *p = NULL;
    char err[512];
    vrt_status st = vrt_pipeline_create(&p, &pp, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    st = vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    return p;
}

TEST(newest_drops_are_exact) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static collector c;
    memset(&c, 0, sizeof(c));
    /* 100 fps for 1.5 s: far faster than SqueezeNet on a CPU, so most frames are dropped. */
    vrt_pipeline_t *p =
        make(model, &c, VRT_POLICY_NEWEST, "synthetic:?fps=100&frames=150&width=320&height=240");
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 20000));
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_stats st;
    ASSERT_OK(vrt_pipeline_get_stats(p, 0, &st));
    ASSERT_STREQ(st.state, "eof");
    ASSERT_EQ(st.results, (uint64_t)c.n);
    ASSERT_TRUE(c.n >= 2);
    ASSERT_TRUE(st.dropped > 0);
    /* Every frame the source made was either processed or dropped, counted once. */
    ASSERT_EQ(st.results + st.dropped, 150);
    ASSERT_EQ(st.discarded, 0);
    ASSERT_EQ(c.bad_number, 0);
    ASSERT_EQ(c.out_of_order, 0);
    ASSERT_EQ(c.classes_ok, c.n);
    /* Per-result drop counts add up with the frames before the first result. */
    uint64_t sum = c.seq[0];
    for (int i = 0; i < c.n; i++)
        sum += c.dropped_before[i];
    ASSERT_EQ(sum, st.dropped);
    ASSERT_EQ(c.seq[c.n - 1], 149); /* the last frame made is processed (drained at EOF) */
    /* Newest mode: a frame waits at most one frame period plus the previous frame's
     * processing (plus scheduling slack on a shared machine). */
    for (int i = 1; i < c.n; i++) {
        int64_t bound = 10000000 + c.process[i - 1] + 25000000;
        if (c.age[i] > bound)
            vrt_test_fail(__FILE__, __LINE__, "result %d: age %.3f ms > bound %.3f ms", i, c.age[i] / 1e6,
                          bound / 1e6);
    }
    ASSERT_EQ(st.stage[VRT_STAGE_E2E].count, st.results);
    ASSERT_EQ(st.stage[VRT_STAGE_PERIOD].count, st.results - 1);
    ASSERT_TRUE(st.stage[VRT_STAGE_INFER].p50 > 0);
    ASSERT_TRUE(st.stage[VRT_STAGE_E2E].p50 >= st.stage[VRT_STAGE_INFER].p50);
    vrt_pipeline_record recs[64];
    size_t n = vrt_pipeline_stream_records(p, 0, recs, 64);
    ASSERT_EQ(n, (size_t)(c.n < 64 ? c.n : 64));
    ASSERT_EQ(recs[n - 1].sequence, 149);
    vrt_pipeline_destroy(&p);
    ASSERT_TRUE(p == NULL);
}

TEST(all_policy_processes_every_frame) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static collector c;
    memset(&c, 0, sizeof(c));
    vrt_pipeline_t *p = make(model, &c, VRT_POLICY_ALL, "synthetic:?fps=0&frames=12&width=320&height=240");
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 20000));
    vrt_pipeline_stop(p);
    vrt_pipeline_stats st;
    ASSERT_OK(vrt_pipeline_get_stats(p, 0, &st));
    ASSERT_EQ(st.results, 12);
    ASSERT_EQ(st.dropped, 0);
    ASSERT_EQ(c.n, 12);
    for (int i = 0; i < 12; i++)
        ASSERT_EQ(c.seq[i], (uint64_t)i);
    ASSERT_EQ(c.bad_number, 0);
    vrt_pipeline_destroy(&p);
}

TEST(no_allocations_in_steady_state) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static collector c;
    memset(&c, 0, sizeof(c));
    c.window_from = 4;
    c.window_to = 14;
    vrt_alloc_counting_begin();
    /* As fast as the source can draw: the capture thread also displaces frames. */
    vrt_pipeline_t *p = make(model, &c, VRT_POLICY_NEWEST, "synthetic:?fps=0&width=320&height=240");
    ASSERT_OK(vrt_pipeline_start(p));
    for (int i = 0; i < 400 && collected(&c) <= c.window_to; i++)
        vrt_pipeline_wait(p, 50);
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_stats st;
    vrt_pipeline_get_stats(p, 0, &st);
    vrt_pipeline_destroy(&p);
    vrt_alloc_counting_end();
    ASSERT_TRUE(c.n > c.window_to);
    ASSERT_TRUE(st.displaced > 0);
    ASSERT_TRUE(c.a0.allocs > 0); /* the counter saw the setup */
    ASSERT_EQ(c.a1.allocs - c.a0.allocs, 0);
    ASSERT_EQ(c.a1.frees - c.a0.frees, 0);
}

TEST(stop_while_running_and_two_streams) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static collector c;
    memset(&c, 0, sizeof(c));
    vrt_pipeline_t *p = make(model, &c, VRT_POLICY_NEWEST, "synthetic:?fps=30&width=320&height=240");
    char err[256];
    int idx = -1;
    ASSERT_OK(
        vrt_pipeline_add_source(p, "synthetic:?fps=10&width=160&height=120", NULL, &idx, err, sizeof(err)));
    ASSERT_EQ(idx, 1);
    ASSERT_EQ(vrt_pipeline_num_streams(p), 2);
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_STATUS(vrt_pipeline_add_source(p, "synthetic:", NULL, NULL, err, sizeof(err)), VRT_EBUSY);
    ASSERT_STATUS(vrt_pipeline_wait(p, 700), VRT_EAGAIN);
    ASSERT_OK(vrt_pipeline_stop(p));
    ASSERT_OK(vrt_pipeline_stop(p)); /* idempotent */
    vrt_pipeline_stats a, b;
    ASSERT_OK(vrt_pipeline_get_stats(p, 0, &a));
    ASSERT_OK(vrt_pipeline_get_stats(p, 1, &b));
    ASSERT_STREQ(a.state, "stopped");
    ASSERT_TRUE(a.results > 0 && b.results > 0);
    ASSERT_EQ(a.info.width, 320);
    ASSERT_EQ(b.info.width, 160);
    ASSERT_EQ((uint64_t)c.n, a.results + b.results);
    ASSERT_TRUE(b.results <= 9); /* 10 fps for ~0.7 s */
    ASSERT_STATUS(vrt_pipeline_get_stats(p, 2, &a), VRT_EINVAL);
    vrt_pipeline_destroy(&p);
}

TEST(errors_name_the_thing) {
    char err[512];
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    vrt_pipeline_t *p = NULL;
    ASSERT_STATUS(vrt_pipeline_create(&p, &pp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "model");
    pp.model = "x.onnx";
    ASSERT_STATUS(vrt_pipeline_create(&p, &pp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "profile");
    pp.profile = "/nonexistent/x.conf";
    ASSERT_TRUE(vrt_pipeline_create(&p, &pp, err, sizeof(err)) != VRT_OK);
    ASSERT_CONTAINS(err, "/nonexistent/x.conf");
    ASSERT_TRUE(p == NULL);
    pp.profile = profile_path();
    /* A model that is not there, next to the real one (whose folder has the labels). */
    const char *real = vrt_test_data_or_skip(MODEL);
    char missing[1024];
    snprintf(missing, sizeof(missing), "%s", real);
    snprintf(strrchr(missing, '/') + 1, 64, "missing.onnx");
    pp.model = missing;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    ASSERT_TRUE(vrt_pipeline_add_source(p, "synthetic:?colour=3", NULL, NULL, err, sizeof(err)) != VRT_OK);
    ASSERT_CONTAINS(err, "colour");
    ASSERT_STATUS(vrt_pipeline_start(p), VRT_EINVAL); /* no sources */
    ASSERT_CONTAINS(vrt_pipeline_last_error(p), "no sources");
    ASSERT_OK(vrt_pipeline_add_source(p, "synthetic:", NULL, NULL, err, sizeof(err)));
    ASSERT_TRUE(vrt_pipeline_start(p) != VRT_OK); /* x.onnx does not exist */
    ASSERT_CONTAINS(vrt_pipeline_last_error(p), "missing.onnx");
    vrt_pipeline_destroy(&p);
    vrt_pipeline_destroy(&p); /* NULL-safe */
    ASSERT_STREQ(vrt_stage_name(VRT_STAGE_E2E), "e2e");
    ASSERT_TRUE(vrt_stage_name(VRT_STAGE_COUNT) == NULL);
}

int main(void) {
    VRT_RUN(errors_name_the_thing);
    VRT_RUN(newest_drops_are_exact);
    VRT_RUN(all_policy_processes_every_frame);
    VRT_RUN(no_allocations_in_steady_state);
    VRT_RUN(stop_while_running_and_two_streams);
    return vrt_test_finish();
}
