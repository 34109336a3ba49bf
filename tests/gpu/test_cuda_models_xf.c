/*
 * The transformer models and Ultralytics detectors of scripts/make-models on the CUDA backend
 * (label gpu; exit 77 without a GPU), the twin of tests/unit/test_models_xf.c:
 *  - fp32 against onnxruntime's outputs: max abs difference / max |ref| at most 1e-4, and the
 *    CPU backend on the same input within the same bound;
 *  - fp16 (fp16 storage, fp32 accumulation) against CUDA fp32, per task:
 *      depth: max |fp16 - fp32| at most 1% of the fp32 depth range;
 *      DETR: logits within 2% of their largest magnitude; fp32's 5 best queries (class
 *        probability, no-object excluded) keep score (1e-2), class (unless tied within 1e-2) and
 *        box (1e-2), and those clearly in fp32's top 5 stay in fp16's;
 *      YOLO: the 20 best anchors of fp32 keep their class (unless fp32's two best classes are
 *        closer than 1e-2), their score within 1e-2 and their box within 1% of the input
 *        size (random weights put no score above a profile's threshold, so the best anchors
 *        stand in for the detections).
 * `test_cuda_models_xf DIR` checks the full-size models of `scripts/make-models --full DIR`.
 */
#include <cuda_runtime.h>

#include "models_xf.h"

static const char *g_root;

static vrt_engine_t *run_cuda(xf_case *c, vrt_precision prec) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = "cuda";
    p.options.precision = prec;
    return xf_run(c, &p);
}

/* Copies of c->got (which the next run overwrites). */
static void take(xf_case *c, float **dst) {
    for (int k = 0; k < c->n_out; k++) {
        dst[k] = c->got[k];
        c->got[k] = NULL;
    }
}

static void check_depth(const float *a, const float *b, size_t n) {
    float lo = b[0], hi = b[0];
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        lo = b[i] < lo ? b[i] : lo, hi = b[i] > hi ? b[i] : hi;
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst)) worst = d;
    }
    double range = hi - lo > 0 ? hi - lo : 1;
    printf("  depth fp16 vs fp32: max abs diff %.3g = %.3g%% of the range\n", worst, 100 * worst / range);
    ASSERT_TRUE(worst <= 0.01 * range);
}

/* DETR query score and class: the best class probability, the last (no-object) class excluded;
 * margin: that probability less the second best's. */
static void detr_scores(const float *logits, int nq, int nc, float *score, int *cls, float *margin) {
    for (int q = 0; q < nq; q++) {
        const float *l = logits + (size_t)q * nc;
        float mx = l[0];
        for (int k = 1; k < nc; k++)
            mx = l[k] > mx ? l[k] : mx;
        double sum = 0, best = 0, second = 0;
        int arg = 0;
        for (int k = 0; k < nc; k++) {
            double e = exp((double)l[k] - mx);
            sum += e;
            if (k == nc - 1) continue;
            if (e > best)
                second = best, best = e, arg = k;
            else if (e > second)
                second = e;
        }
        score[q] = (float)(best / sum);
        if (cls) cls[q] = arg;
        if (margin) margin[q] = (float)((best - second) / sum);
    }
}

static int cmp_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* fp16 against fp32, always on real numbers (random weights put many queries' scores within a
 * hair of each other, so rank alone may check nothing):
 *  - every logit: max |fp16 - fp32| at most 2% of max |fp32 logit|;
 *  - fp32's 5 best queries: score within 1e-2, the same class unless fp32's two best classes are
 *    closer than 1e-2, box within 1e-2 (boxes are 0..1);
 *  - a query inside fp32's top 5 by more than 1e-2 is inside fp16's top 5 (less 1e-2). */
static void check_detr(const xf_case *c, float *const *f16, float *const *f32) {
    int nq = (int)c->ref[0].shape.d[1], nc = (int)c->ref[0].shape.d[2];
    size_t nl = (size_t)nq * nc;
    double lmax = 0, ldiff = 0;
    for (size_t i = 0; i < nl; i++) {
        lmax = fmax(lmax, fabs((double)f32[0][i]));
        double d = fabs((double)f16[0][i] - f32[0][i]);
        if (!(d <= ldiff)) ldiff = d;
    }
    printf("  detr fp16 vs fp32: logits max abs diff %.3g of max |logit| %.3g\n", ldiff, lmax);
    ASSERT_TRUE(ldiff <= 0.02 * lmax);
    float *s16 = calloc((size_t)nq, 4), *s32 = calloc((size_t)nq, 4), *sorted = calloc((size_t)nq, 4);
    float *m32 = calloc((size_t)nq, 4);
    int *c16 = calloc((size_t)nq, sizeof(int)), *c32 = calloc((size_t)nq, sizeof(int));
    detr_scores(f16[0], nq, nc, s16, c16, NULL);
    detr_scores(f32[0], nq, nc, s32, c32, m32);
    memcpy(sorted, s32, (size_t)nq * 4);
    qsort(sorted, (size_t)nq, 4, cmp_desc);
    int top = nq < 5 ? nq : 5, best = 0, ranked = 0, same_class = 0;
    float cut = sorted[top - 1];
    for (int q = 0; q < nq; q++) {
        if (s32[q] < cut) continue;
        best++;
        ASSERT_NEAR(s16[q], s32[q], 1e-2);
        if (m32[q] >= 1e-2) {
            ASSERT_EQ(c16[q], c32[q]);
            same_class++;
        }
        for (int k = 0; k < 4; k++)
            ASSERT_NEAR(f16[1][q * 4 + k], f32[1][q * 4 + k], 1e-2);
        if (top < nq && s32[q] - sorted[top] < 1e-2) continue;
        ranked++;
        ASSERT_TRUE(s16[q] >= cut - 1e-2);
    }
    ASSERT_TRUE(best >= top);
    printf("  detr fp16 vs fp32: fp32's %d best queries keep score and box (%d their class, %d their rank; "
           "the others within 1e-2 of a tie)\n",
           best, same_class, ranked);
    free(s16), free(s32), free(sorted), free(m32), free(c16), free(c32);
}

static void check_yolo(const xf_case *c, const float *a16, const float *a32) {
    int rows = (int)c->ref[0].shape.d[1], n = (int)c->ref[0].shape.d[2], nc = rows - 4;
    double size = (double)c->in.shape.d[3];
    float *best = calloc((size_t)n, 4), *sorted = calloc((size_t)n, 4);
    for (int i = 0; i < n; i++) {
        best[i] = a32[4 * n + i];
        for (int k = 1; k < nc; k++)
            best[i] = a32[(4 + k) * n + i] > best[i] ? a32[(4 + k) * n + i] : best[i];
    }
    memcpy(sorted, best, (size_t)n * 4);
    qsort(sorted, (size_t)n, 4, cmp_desc);
    float cut = sorted[(n < 20 ? n : 20) - 1];
    int checked = 0;
    for (int i = 0; i < n; i++) {
        if (best[i] < cut) continue;
        checked++;
        int k32 = 0, k16 = 0;
        float second = -1;
        for (int k = 1; k < nc; k++) {
            if (a32[(4 + k) * n + i] > a32[(4 + k32) * n + i]) k32 = k;
            if (a16[(4 + k) * n + i] > a16[(4 + k16) * n + i]) k16 = k;
        }
        for (int k = 0; k < nc; k++)
            if (k != k32 && a32[(4 + k) * n + i] > second) second = a32[(4 + k) * n + i];
        if (best[i] - second >= 1e-2) ASSERT_EQ(k16, k32);
        ASSERT_NEAR(a16[(4 + k32) * n + i], a32[(4 + k32) * n + i], 1e-2);
        for (int r = 0; r < 4; r++)
            ASSERT_NEAR(a16[r * n + i], a32[r * n + i], 0.01 * size);
    }
    printf("  yolo fp16 vs fp32: %d best anchors (score >= %.4g) keep class, score and box\n", checked, cut);
    free(best), free(sorted);
}

static void run_model(const char *name) {
    xf_case c;
    if (!xf_load(&c, g_root, name)) vrt_test_skip("%s/%s: not there (scripts/make-models)", g_root, name);
    float *f32[XF_MAX_OUT] = {0}, *f16[XF_MAX_OUT] = {0}, *cpu[XF_MAX_OUT] = {0};
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_engine_t *e = xf_run(&c, &p);
    vrt_engine_destroy(&e);
    take(&c, cpu);
    e = run_cuda(&c, VRT_PRECISION_FP32);
    vrt_engine_destroy(&e);
    xf_check_ref(&c, "cuda fp32", 1e-4);
    for (int k = 0; k < c.n_out; k++) {
        size_t n = (size_t)vrt__shape_numel(&c.ref[k].shape);
        double r = xf_rel_err(c.got[k], cpu[k], n);
        printf("  cuda fp32 vs cpu output %d: %.3g\n", k, r);
        ASSERT_TRUE(r <= 1e-4);
    }
    take(&c, f32);
    e = run_cuda(&c, VRT_PRECISION_FP16);
    printf("  fp16 run: precision %s\n", vrt_engine_precision(e, NULL));
    vrt_engine_destroy(&e);
    take(&c, f16);
    if (!strncmp(name, "depth", 5))
        check_depth(f16[0], f32[0], (size_t)vrt__shape_numel(&c.ref[0].shape));
    else if (!strncmp(name, "detr", 4))
        check_detr(&c, f16, f32);
    else
        check_yolo(&c, f16[0], f32[0]);
    for (int k = 0; k < c.n_out; k++)
        free(f32[k]), free(f16[k]), free(cpu[k]);
    xf_free(&c);
}

TEST(depth_anything_v2) {
    run_model("depth_anything_v2");
}
TEST(detr_resnet50) {
    run_model("detr_resnet50");
}
TEST(yolov8n) {
    run_model("yolov8n");
}
TEST(yolo11n) {
    run_model("yolo11n");
}
TEST(yolo12n) {
    run_model("yolo12n");
}

int main(int argc, char **argv) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    g_root = xf_root(argc, argv);
    VRT_RUN(depth_anything_v2);
    VRT_RUN(detr_resnet50);
    VRT_RUN(yolov8n);
    VRT_RUN(yolo11n);
    VRT_RUN(yolo12n);
    return vrt_test_finish();
}
