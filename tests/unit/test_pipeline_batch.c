/* Pipeline (vrt/pipeline.h) with several streams on one model, CPU backend:
 * - unbatched: two synthetic streams share the model weights (the summary
 *   says "weight_users": 2);
 * - batch_sources: three synthetic streams of the same size run as one
 *   batch-3 model run per tick; every (stream, frame) result equals the
 *   unbatched run's result for the same frame; the summary carries the
 *   batched vs unbatched calibration. */
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

int main(void) {
    VRT_RUN(streams_share_weights);
    VRT_RUN(batched_sources_equal_unbatched);
    return vrt_test_finish();
}
