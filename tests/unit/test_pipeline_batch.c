/* Pipeline (vrt/pipeline.h) with several streams on one model, CPU backend:
 * - unbatched: two synthetic streams share the model weights (the summary
 *   says "weight_users": 2);
 * - batch_sources: three synthetic streams of the same size run as one
 *   batch-3 model run per tick; every (stream, frame) result equals the
 *   unbatched run's result for the same frame; the summary carries the
 *   batched vs unbatched calibration;
 * - deadline batching (VRT_BATCH_ON) over streams of different rates: every
 *   frame of every stream is processed exactly once and its result equals
 *   the unbatched run's for the same stream and frame (a result given to
 *   the wrong stream would be another frame's: the synthetic frames differ),
 *   batches of several frames did happen; and a slow stream does not hold
 *   back the fast ones of its group. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "vrt/pipeline.h"
#include "vrt/sink.h"

#define MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"
#define NS 3
#define NF 6

static const char *profile_path(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    return p;
}

typedef struct rec {
    int have;
    int idx[5];
    float score[5];
} rec;

typedef struct col {
    rec r[NS][NF + 1];
    int n, bad;
} col;

static void on_result(void *user, const vrt_pipeline_result *r) {
    col *c = user;
    c->n++;
    if (r->stream < 0 || r->stream >= NS || r->sequence > NF || !r->classes || r->classes->count != 5 ||
        r->frame_number != (int64_t)r->sequence) {
        c->bad++;
        return;
    }
    rec *x = &c->r[r->stream][r->sequence];
    x->have = 1;
    for (int k = 0; k < 5; k++)
        x->idx[k] = r->classes->index[k], x->score[k] = r->classes->score[k];
}

static char *run(const char *model, int nsrc, int batch, col *c) {
    char err[512];
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile_path();
    pp.threads = 1;
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = NF;
    pp.batch_sources = batch;
    pp.on_result = on_result;
    pp.user = c;
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    for (int i = 0; i < nsrc; i++) {
        vrt_status st = vrt_pipeline_add_source(p, "synthetic:?width=160&height=120&fps=200&format=YUYV",
                                                NULL, NULL, err, sizeof(err));
        if (st) vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    }
    vrt_status st = vrt_pipeline_start(p);
    if (st) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_stop(p));
    for (int i = 0; i < nsrc; i++) {
        vrt_pipeline_stats s;
        ASSERT_OK(vrt_pipeline_get_stats(p, i, &s));
        ASSERT_EQ(s.results, NF);
    }
    static char buf[1 << 16];
    vrt_json w;
    vrt_json_init_buffer(&w, buf, sizeof(buf));
    ASSERT_OK(vrt_sink_json_summary(p, "test", &w));
    vrt_pipeline_destroy(&p);
    return buf;
}

TEST(streams_share_weights) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static col c;
    memset(&c, 0, sizeof(c));
    char *js = run(model, 2, 0, &c);
    ASSERT_EQ(c.bad, 0);
    ASSERT_EQ(c.n, 2 * NF);
    ASSERT_CONTAINS(js, "\"weight_users\":2");
    ASSERT_CONTAINS(js, "\"batching\":null");
}

TEST(batched_sources_equal_unbatched) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static col a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    run(model, NS, 0, &a);
    char *js = run(model, NS, 1, &b);
    ASSERT_EQ(a.bad + b.bad, 0);
    ASSERT_EQ(b.n, NS * NF);
    int compared = 0;
    for (int s = 0; s < NS; s++)
        for (int q = 0; q <= NF; q++) {
            if (!a.r[s][q].have && !b.r[s][q].have) continue;
            ASSERT_TRUE(a.r[s][q].have && b.r[s][q].have);
            for (int k = 0; k < 5; k++) {
                ASSERT_EQ(a.r[s][q].idx[k], b.r[s][q].idx[k]);
                ASSERT_NEAR(a.r[s][q].score[k], b.r[s][q].score[k], 1e-5);
            }
            compared++;
        }
    ASSERT_EQ(compared, NS * NF);
    ASSERT_CONTAINS(js, "\"batching\":{\"sources\":3,\"batched_ms\":");
    ASSERT_CONTAINS(js, "\"unbatched_ms\":");
    ASSERT_CONTAINS(js, "\"lowers_latency\":");
    char *bj = strstr(js, "\"batching\""), *end = bj ? strchr(bj, '}') : NULL;
    if (end) printf("%.*s}\n", (int)(end - bj), bj);
}

/* ---- deadline batching over streams of different rates ---------------------------------- */

#define NM 5
#define NQ 8

typedef struct mcol {
    int count[NM][NQ];
    float score[NM][NQ];
    int idx[NM][NQ];
    int64_t last_done[NM];
    int64_t exposure[NM][NQ];
    int bad;
} mcol;

static void on_mresult(void *user, const vrt_pipeline_result *r) {
    mcol *c = user;
    if (r->stream < 0 || r->stream >= NM || r->sequence >= NQ || !r->classes ||
        r->frame_number != (int64_t)r->sequence) {
        c->bad++;
        return;
    }
    c->count[r->stream][r->sequence]++;
    c->score[r->stream][r->sequence] = r->classes->score[0];
    c->idx[r->stream][r->sequence] = r->classes->index[0];
    c->last_done[r->stream] = r->t.done_ns;
    c->exposure[r->stream][r->sequence] = r->t.exposure_ns;
}

/* NM streams; stream k at rates[k] fps, frames[k] frames (policy ALL). */
static void run_mixed(const char *model, int mode, const double *rates, const int *frames, mcol *c,
                      vrt_pipeline_batch_stats *bs) {
    char err[512];
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile_path();
    pp.threads = 1;
    pp.policy = VRT_POLICY_ALL;
    pp.batch_sources = mode;
    pp.batch_deadline_ns = 3000000;
    pp.frame_timeout_ms = 30000; /* the slow stream below has 10 s between frames */
    pp.on_result = on_mresult;
    pp.user = c;
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    for (int i = 0; i < NM; i++) {
        char uri[160];
        snprintf(uri, sizeof(uri), "synthetic:?width=160&height=120&fps=%g&format=YUYV&frames=%d", rates[i],
                 frames[i]);
        vrt_status st = vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err));
        if (st) vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    }
    vrt_status st = vrt_pipeline_start(p);
    if (st) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 120000));
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_get_batch_stats(p, bs);
    vrt_pipeline_destroy(&p);
}

TEST(deadline_batching_every_frame_once_right_stream) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static const double rates[NM] = {200, 150, 120, 90, 60};
    static const int frames[NM] = {NQ, NQ, NQ, NQ, NQ};
    static mcol a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    vrt_pipeline_batch_stats sa, sb;
    run_mixed(model, VRT_BATCH_OFF, rates, frames, &a, &sa);
    run_mixed(model, VRT_BATCH_ON, rates, frames, &b, &sb);
    ASSERT_EQ(a.bad + b.bad, 0);
    ASSERT_EQ(sa.sources, 0);
    ASSERT_EQ(sb.sources, NM);
    ASSERT_EQ(sb.groups, 1);
    ASSERT_EQ(sb.nsizes, 4); /* 1, 2, 4, 8 for a group of 5 */
    ASSERT_EQ(sb.sizes[3], 8);
    ASSERT_EQ(sb.deadline_ns, 3000000);
    ASSERT_EQ(sb.frames, (uint64_t)(NM * NQ));
    ASSERT_TRUE(sb.runs < sb.frames); /* some runs carried several frames */
    for (int s = 0; s < NM; s++)
        for (int q = 0; q < NQ; q++) {
            ASSERT_EQ(a.count[s][q], 1);
            ASSERT_EQ(b.count[s][q], 1);
            ASSERT_EQ(a.idx[s][q], b.idx[s][q]);
            ASSERT_NEAR(a.score[s][q], b.score[s][q], 1e-5);
        }
    printf("deadline batching: %llu runs for %llu frames, %llu padded rows\n", (unsigned long long)sb.runs,
           (unsigned long long)sb.frames, (unsigned long long)sb.padded);
}

/* A stream at 0.1 fps in a group with fast ones: a group that waited for every stream would run
 * the fast streams' frame q only once the slow stream's frame q exists (10 q s after start); with
 * the deadline the fast streams (3 frames each) are done before the slow one's frame 2 is made
 * (20 s: room for a loaded machine and the sanitizer build, where 8 s was not enough). */
TEST(deadline_batching_slow_stream_does_not_hold_group) {
    const char *model = vrt_test_data_or_skip(MODEL);
    static const double rates[NM] = {100, 100, 100, 100, 0.1};
    static const int frames[NM] = {3, 3, 3, 3, 3};
    static mcol b;
    memset(&b, 0, sizeof(b));
    vrt_pipeline_batch_stats sb;
    run_mixed(model, VRT_BATCH_ON, rates, frames, &b, &sb);
    ASSERT_EQ(b.bad, 0);
    ASSERT_EQ(sb.frames, 15u);
    ASSERT_TRUE(b.exposure[NM - 1][2] > 0);
    for (int s = 0; s < NM - 1; s++) {
        ASSERT_EQ(b.count[s][2], 1);
        ASSERT_TRUE(b.last_done[s] < b.exposure[NM - 1][2]);
    }
}

int main(void) {
    VRT_RUN(streams_share_weights);
    VRT_RUN(batched_sources_equal_unbatched);
    VRT_RUN(deadline_batching_every_frame_once_right_stream);
    VRT_RUN(deadline_batching_slow_stream_does_not_hold_group);
    return vrt_test_finish();
}
