/* Every task head of the head table (vision/head.h): its CUDA twin against
 * its CPU twin on the same model outputs, two batch rows at once, compared
 * through the result accessors (vrt/result.h). A new head adds a row to
 * k_cases with an output shape and a filler. Exits 77 without a GPU. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vision/head.h"
#include "vision/result_impl.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static float frand(float lo, float hi) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((g_rng >> 40) & 0xffffff) / (float)0x1000000;
}

#define CK(call)                                                                                             \
    do {                                                                                                     \
        cudaError_t _e = (call);                                                                             \
        if (_e != cudaSuccess) vrt_test_fail(__FILE__, __LINE__, "%s: %s", #call, cudaGetErrorString(_e));   \
    } while (0)

/* Distinct scores (no ties), so both twins must agree on the order. */
static void fill_classify(float *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        o[i] = frand(-8, 8);
}

/* YOLOX [N, 5 + C]: a few confident anchors with distinct scores, the rest below the threshold. */
static void fill_yolox(float *o, size_t n) {
    const int per = 5 + 4;
    for (size_t a = 0; a < n / per; a++) {
        float *r = o + a * per;
        r[0] = frand(0, 1), r[1] = frand(0, 1), r[2] = frand(-0.5f, 1.5f), r[3] = frand(-0.5f, 1.5f);
        r[4] = a % 7 ? 0.01f : 0.5f + 0.4f * frand(0, 1);
        for (int c = 0; c < 4; c++)
            r[5 + c] = frand(0, 1);
    }
}

/* YOLOv8 [4 + C, N]: boxes on a coarse grid, distinct class scores. */
static void fill_yolov8(float *o, size_t n) {
    const size_t N = n / (4 + 4);
    for (size_t a = 0; a < N; a++) {
        o[a] = (float)(a % 8) * 40 + frand(0, 8);
        o[N + a] = (float)(a / 8 % 8) * 40 + frand(0, 8);
        o[2 * N + a] = frand(8, 60);
        o[3 * N + a] = frand(8, 60);
        for (int c = 0; c < 4; c++)
            o[(4 + c) * N + a] = frand(0, 1);
    }
}

/* SSD scores [N, 3] (softmax probabilities or logits) and boxes [N, 4]:
 * corners in 0..1 on a coarse grid (detect-ssd) or location encodings (raw). */
static void fill_ssd_scores(float *o, size_t n, int logits) {
    for (size_t a = 0; a < n / 3; a++) {
        float *r = o + a * 3;
        r[0] = frand(0.5f, 4), r[1] = a % 5 ? frand(-4, 0) : frand(0, 4), r[2] = frand(-4, 4);
        if (logits) continue;
        float m = fmaxf(r[0], fmaxf(r[1], r[2])), e0 = expf(r[0] - m), e1 = expf(r[1] - m),
              e2 = expf(r[2] - m);
        r[0] = e0 / (e0 + e1 + e2), r[1] = e1 / (e0 + e1 + e2), r[2] = e2 / (e0 + e1 + e2);
    }
}
static void fill_ssd(float *o, size_t n) {
    fill_ssd_scores(o, n, 0);
}
static void fill_ssd_logits(float *o, size_t n) {
    fill_ssd_scores(o, n, 1);
}
static void fill_ssd_boxes(float *o, size_t n) {
    for (size_t a = 0; a < n / 4; a++) {
        float *b = o + a * 4, x = (float)(a % 8) / 8 + frand(0, 0.05f),
              y = (float)(a / 8 % 8) / 8 + frand(0, 0.05f);
        b[0] = x, b[1] = y, b[2] = x + frand(0.05f, 0.3f), b[3] = y + frand(0.05f, 0.3f);
    }
}
static void fill_ssd_loc(float *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        o[i] = frand(-1.5f, 1.5f);
}

/* DETR logits [Q, 6] and boxes [Q, 4] (cx, cy, w, h in 0..1). */
static void fill_detr_logits(float *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        o[i] = frand(-3, 5);
}
static void fill_detr_boxes(float *o, size_t n) {
    for (size_t q = 0; q < n / 4; q++) {
        float *b = o + 4 * q;
        b[0] = frand(0.1f, 0.9f), b[1] = frand(0.1f, 0.9f), b[2] = frand(0.05f, 0.5f),
        b[3] = frand(0.05f, 0.5f);
    }
}
static void fill_any(float *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        o[i] = frand(-3, 3);
}
static void fill_depth(float *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        o[i] = frand(0.5f, 20);
}
/* YOLOv8 [4 + C + X, N] over a 64x64 input: boxes, C scores, X extras. */
static void fill_yolov8_extra(float *o, size_t n, int C, int X) {
    const size_t N = n / (size_t)(4 + C + X);
    for (size_t a = 0; a < N; a++) {
        o[a] = frand(6, 58), o[N + a] = frand(6, 58), o[2 * N + a] = frand(6, 30),
        o[3 * N + a] = frand(6, 30);
        for (int c = 0; c < C; c++)
            o[(4 + c) * N + a] = frand(0, 1);
        for (int k = 0; k < X; k++)
            o[(4 + C + k) * N + a] = frand(-2, 2);
    }
}
static void fill_seg(float *o, size_t n) {
    fill_yolov8_extra(o, n, 3, 4);
}
static void fill_pose(float *o, size_t n) {
    fill_yolov8_extra(o, n, 1, 51);
}

typedef struct head_case {
    const char *task;
    int nout;           /* outputs the head reads (1 or 2) */
    int ndim[2];        /* of each */
    int64_t dims[2][4]; /* one frame's outputs (batch 1 first) */
    uint32_t input;     /* network input width = height */
    void (*fill[2])(float *o, size_t n);
    const char *profile;       /* extra profile text, or NULL */
    uint32_t frame_w, frame_h; /* 0: no geometry (boxes in input pixels); else a frame of this size */
} head_case;

static const head_case k_cases[] = {
    {"classify", 1, {2}, {{1, 1000, 0}}, 224, {fill_classify}, NULL, 0, 0},
    {"detect-yolox", 1, {3}, {{1, 84, 9}}, 64, {fill_yolox}, NULL, 0, 0}, /* strides 8/16/32 over 64x64: 84
                                                                             anchors */
    {"detect-yolov8", 1, {3}, {{1, 8, 2100}}, 320, {fill_yolov8}, NULL, 0, 0}, /* strides 8/16/32 over 320x320
                                                                                */
    {"detect-ssd", 2, {3, 3}, {{1, 640, 3}, {1, 640, 4}}, 320, {fill_ssd, fill_ssd_boxes}, NULL, 0, 0},
    /* strides 16/32 over 64x64 with 2 + 1 sizes: 16 * 2 + 4 = 36 priors */
    {"detect-ssd-raw",
     2,
     {3, 3},
     {{1, 36, 3}, {1, 36, 4}},
     64,
     {fill_ssd_logits, fill_ssd_loc},
     "strides = 16, 32\nssd_min_sizes = 12, 20; 40\nsoftmax = 1\n",
     0,
     0},
    /* The heads with frame geometry: a 100x70 frame letterboxed into 64x64. */
    {"detect-detr",
     2,
     {3, 3},
     {{1, 50, 6}, {1, 50, 4}},
     64,
     {fill_detr_logits, fill_detr_boxes},
     "resize = letterbox\nplacement = center\nscore_threshold = 0.3\n",
     100,
     70},
    {"depth",
     1,
     {4},
     {{1, 1, 24, 20}},
     64,
     {fill_depth},
     "resize = letterbox\nplacement = center\n",
     100,
     70},
    {"segment-argmax", 1, {4}, {{1, 5, 16, 16}}, 64, {fill_any}, "resize = letterbox\n", 100, 70},
    {"segment-yolov8",
     2,
     {3, 4},
     {{1, 11, 200}, {1, 4, 16, 16}},
     64,
     {fill_seg, fill_any},
     "resize = letterbox\nplacement = center\nscore_threshold = 0.7\n",
     100,
     70},
    {"pose-yolov8",
     1,
     {3},
     {{1, 56, 100}},
     64,
     {fill_pose},
     "resize = crop\nscore_threshold = 0.6\n",
     100,
     70},
    /* A crop: part of the frame is not seen (NaN depth). */
    {"depth", 1, {3}, {{1, 32, 32}}, 64, {fill_depth}, "resize = crop\ncolormap = inferno\n", 90, 60},
};

/* Maps of both results byte for byte (NaN equals NaN). */
static void compare_maps(const vrt_result *c, const vrt_result *g, const char *task, int row) {
    static const vrt_map_id ids[] = {VRT_MAP_DEPTH, VRT_MAP_DEPTH_RAW, VRT_MAP_DEPTH_COLOR, VRT_MAP_CLASSES,
                                     VRT_MAP_INSTANCES};
    for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        int w, h, w2, h2;
        size_t st, st2;
        vrt_map_type t;
        const uint8_t *a = vrt_result_map(c, ids[k], &w, &h, &st, &t);
        const uint8_t *b = vrt_result_map(g, ids[k], &w2, &h2, &st2, NULL);
        ASSERT_EQ(a == NULL, b == NULL);
        if (!a) continue;
        ASSERT_EQ(w, w2);
        ASSERT_EQ(st, st2);
        long diff = 0;
        for (int y = 0; y < h; y++) {
            if (t == VRT_MAP_F32) {
                const float *fa = (const float *)(a + (size_t)y * st),
                            *fb = (const float *)(b + (size_t)y * st);
                for (int x = 0; x < w; x++)
                    diff += !(fa[x] == fb[x] || (isnan(fa[x]) && isnan(fb[x])));
            } else {
                diff += memcmp(a + (size_t)y * st, b + (size_t)y * st,
                               (size_t)w * (t == VRT_MAP_RGB8 ? 3 : 1)) != 0;
            }
        }
        if (diff)
            vrt_test_fail(__FILE__, __LINE__, "%s row %d: map %s differs (%ld %s)", task, row,
                          vrt_map_name(ids[k]), diff, t == VRT_MAP_F32 ? "pixels" : "rows");
    }
    float a[3], b[3];
    if (vrt_result_depth_stats(c, &a[0], &a[1], &a[2]) == VRT_OK) {
        ASSERT_OK(vrt_result_depth_stats(g, &b[0], &b[1], &b[2]));
        ASSERT_TRUE(a[0] == b[0] && a[1] == b[1]);
        ASSERT_NEAR(a[2], b[2], 1e-5 * fabs(a[2]));
    }
    const int nk = vrt_result_num_keypoints(c);
    ASSERT_EQ(nk, vrt_result_num_keypoints(g));
    for (int i = 0; i < vrt_result_count(c); i++)
        for (int j = 0; j < nk; j++) {
            float xc, yc, sc, xg, yg, sg;
            ASSERT_OK(vrt_result_keypoint(c, i, j, &xc, &yc, &sc));
            ASSERT_OK(vrt_result_keypoint(g, i, j, &xg, &yg, &sg));
            ASSERT_TRUE(xc == xg && yc == yg && sc == sg);
        }
}

static void compare(const vrt_result *c, const vrt_result *g, const char *task, int row) {
    ASSERT_EQ(vrt_result_kind(c), vrt_result_kind(g));
    if (vrt_result_count(c) != vrt_result_count(g))
        vrt_test_fail(__FILE__, __LINE__, "%s row %d: cpu %d entries, cuda %d", task, row,
                      vrt_result_count(c), vrt_result_count(g));
    ASSERT_TRUE(vrt_result_count(c) > 0 || vrt_result_kind(c) == VRT_RESULT_DENSE);
    compare_maps(c, g, task, row);
    for (int i = 0; i < vrt_result_count(c); i++) {
        if (vrt_result_kind(c) == VRT_RESULT_CLASSES) {
            int ic, ig;
            float sc, sg;
            ASSERT_OK(vrt_result_class(c, i, &ic, &sc));
            ASSERT_OK(vrt_result_class(g, i, &ig, &sg));
            ASSERT_EQ(ic, ig);
            ASSERT_NEAR(sc, sg, 1e-6 * fabs(sc) + 1e-9);
        } else {
            vrt_detection a, b;
            ASSERT_OK(vrt_result_detection(c, i, &a));
            ASSERT_OK(vrt_result_detection(g, i, &b));
            ASSERT_EQ(a.class_id, b.class_id);
            ASSERT_NEAR(a.score, b.score, 1e-5);
            ASSERT_NEAR(a.box.x1, b.box.x1, 1e-3);
            ASSERT_NEAR(a.box.y1, b.box.y1, 1e-3);
            ASSERT_NEAR(a.box.x2, b.box.x2, 1e-3);
            ASSERT_NEAR(a.box.y2, b.box.y2, 1e-3);
        }
    }
}

static void run_case(const head_case *hc, cudaStream_t stream) {
    enum { B = 2 };
    const vrt__head *h = vrt__head_find(hc->task);
    ASSERT_TRUE(h != NULL && h->cuda != NULL);
    vrt_profile p;
    vrt_profile_default(&p);
    p.task = h->id;
    p.pre.width = p.pre.height = hc->input;
    char err[512] = "";
    if (hc->profile)
        ASSERT_OK(vrt_profile_parse(hc->profile, strlen(hc->profile), "case", &p, err, sizeof(err)));
    vrt_model_tensor_info out[2];
    memset(out, 0, sizeof(out));
    static const char *names[2] = {"scores", "boxes"};
    size_t n[2] = {0, 0};
    for (int j = 0; j < hc->nout; j++) {
        out[j].name = names[j];
        out[j].ndim = hc->ndim[j];
        n[j] = 1;
        for (int i = 0; i < hc->ndim[j]; i++)
            out[j].dims[i] = hc->dims[j][i] * (i == 0 ? B : 1), n[j] *= (size_t)hc->dims[j][i];
    }
    vrt__head_params hp;
    if (vrt__head_bind(h, &p, out, hc->nout, B, &hp, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", hc->task, err);
    vrt_preprocess_geometry geom, *gp = NULL;
    if (hc->frame_w) {
        ASSERT_OK(vrt_preprocess_geometry_for(&p.pre, hc->frame_w, hc->frame_h, &geom, err, sizeof(err)));
        vrt__head_set_frame(h, &hp, (int)hc->frame_w, (int)hc->frame_h);
        gp = &geom;
    }
    void *cctx = NULL, *gctx = NULL;
    if (h->cpu->create) ASSERT_OK(h->cpu->create(&hp, &cctx, err, sizeof(err)));
    if (h->cuda->create(&hp, &gctx, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", hc->task, err);
    float *o[2] = {NULL, NULL}, *dout[2] = {NULL, NULL};
    for (int j = 0; j < hc->nout; j++) {
        o[j] = malloc(n[j] * B * sizeof(float));
        ASSERT_TRUE(o[j] != NULL);
        for (int k = 0; k < B; k++)
            hc->fill[j](o[j] + (size_t)k * n[j], n[j]);
        CK(cudaMalloc((void **)&dout[j], n[j] * B * sizeof(float)));
        CK(cudaMemcpyAsync(dout[j], o[j], n[j] * B * sizeof(float), cudaMemcpyHostToDevice, stream));
    }
    uint8_t *cres = calloc(B, hp.layout.bytes), *gres = calloc(B, hp.layout.bytes);
    ASSERT_TRUE(cres && gres);
    void *dres = NULL;
    CK(cudaMalloc(&dres, B * hp.layout.bytes));
    CK(cudaMemsetAsync(dres, 0, B * hp.layout.bytes, stream));
    if (h->cuda->enqueue(gctx, &hp, (const float *const *)dout, gp, dres, stream, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s enqueue: %s", hc->task, err);
    CK(cudaMemcpyAsync(gres, dres, B * hp.layout.bytes, cudaMemcpyDeviceToHost, stream));
    CK(cudaStreamSynchronize(stream));
    for (int k = 0; k < B; k++) {
        const float *row[2] = {o[0] + (size_t)k * n[0], o[1] ? o[1] + (size_t)k * n[1] : NULL};
        ASSERT_OK(h->cpu->run(cctx, &hp, row, gp, cres + (size_t)k * hp.layout.bytes, err, sizeof(err)));
        vrt_result rc, rg;
        vrt__result_init(&rc, h->kind, h->id, NULL, &hp.layout);
        vrt__result_init(&rg, h->kind, h->id, NULL, &hp.layout);
        rc.payload = cres + (size_t)k * hp.layout.bytes;
        rg.payload = gres + (size_t)k * hp.layout.bytes;
        compare(&rc, &rg, hc->task, k);
    }
    printf("%s: %d rows, cuda == cpu\n", hc->task, B);
    for (int j = 0; j < hc->nout; j++) {
        cudaFree(dout[j]);
        free(o[j]);
    }
    cudaFree(dres);
    free(cres);
    free(gres);
    if (h->cpu->destroy) h->cpu->destroy(&cctx);
    if (h->cuda->destroy) h->cuda->destroy(&gctx);
}

TEST(every_head_cuda_equals_cpu) {
    cudaStream_t stream;
    CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    for (size_t i = 0; i < sizeof(k_cases) / sizeof(k_cases[0]); i++)
        run_case(&k_cases[i], stream);
    /* Every head of the table with a CUDA twin has a case here. */
    for (int i = 0; vrt__head_at(i); i++) {
        const vrt__head *h = vrt__head_at(i);
        int found = 0;
        for (size_t k = 0; k < sizeof(k_cases) / sizeof(k_cases[0]); k++)
            found |= !strcmp(k_cases[k].task, h->task);
        if (h->cuda && !found) vrt_test_fail(__FILE__, __LINE__, "head '%s' has no case in k_cases", h->task);
    }
    CK(cudaStreamDestroy(stream));
}

int main(void) {
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev < 1) {
        printf("SKIP: no usable GPU\n");
        return 77;
    }
    VRT_RUN(every_head_cuda_equals_cpu);
    return vrt_test_finish();
}
