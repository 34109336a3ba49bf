/* GPU twins of the vision layer (vrt/vision_cuda.h) against the CPU
 * reference (vrt/vision.h) on the same inputs: random frames of every format
 * with padded strides and odd sizes through every mode / layout / dtype, ROI
 * batches, top-k, YOLOX decode + NMS on the shared model output and YOLOX /
 * YOLOv8 decode + NMS on random score maps, and the whole chain captured in a
 * CUDA graph. Exits 77 (skip) without a usable GPU. */
#include <cuda_runtime.h>

#include "harness.h"
#include "model/ir.h"
#include "vrt/vision.h"
#include "vrt/vision_cuda.h"

static uint64_t g_rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}
static float frand(float lo, float hi) {
    return lo + (hi - lo) * (float)(rnd() & 0xffffff) / (float)0x1000000;
}

#define CK(call)                                                                                             \
    do {                                                                                                     \
        cudaError_t _e = (call);                                                                             \
        if (_e != cudaSuccess) vrt_test_fail(__FILE__, __LINE__, "%s: %s", #call, cudaGetErrorString(_e));   \
    } while (0)

static cudaStream_t g_stream;

/* A frame with padded strides in host memory and its copy in GPU memory. */
typedef struct dual_frame {
    vrt_frame h, d;
    uint8_t *hbuf, *dbuf;
    size_t size;
} dual_frame;

static void dual_make(dual_frame *df, uint32_t fourcc, uint32_t w, uint32_t h, uint32_t pad) {
    memset(df, 0, sizeof(*df));
    uint32_t row = fourcc == VRT_FMT_GREY || fourcc == VRT_FMT_NV12     ? w
                   : fourcc == VRT_FMT_RGB24 || fourcc == VRT_FMT_BGR24 ? 3 * w
                                                                        : 2 * w;
    uint32_t s0 = row + pad, s1 = w + pad;
    size_t p0 = (size_t)s0 * h, p1 = fourcc == VRT_FMT_NV12 ? (size_t)s1 * (h / 2) : 0;
    df->size = p0 + p1;
    df->hbuf = malloc(df->size);
    ASSERT_TRUE(df->hbuf != NULL);
    for (size_t i = 0; i < df->size; i++)
        df->hbuf[i] = (uint8_t)rnd();
    CK(cudaMalloc((void **)&df->dbuf, df->size));
    CK(cudaMemcpy(df->dbuf, df->hbuf, df->size, cudaMemcpyHostToDevice));
    CK(cudaDeviceSynchronize()); /* a pageable H2D copy may still be in flight; g_stream does not wait for it
                                  */
    vrt_frame *fs[2] = {&df->h, &df->d};
    uint8_t *bases[2] = {df->hbuf, df->dbuf};
    for (int k = 0; k < 2; k++) {
        vrt_frame *f = fs[k];
        f->fourcc = fourcc;
        f->width = w;
        f->height = h;
        f->num_planes = fourcc == VRT_FMT_NV12 ? 2 : 1;
        f->planes[0].data = bases[k];
        f->planes[0].stride = s0;
        f->planes[0].size = (uint32_t)p0;
        if (fourcc == VRT_FMT_NV12) {
            f->planes[1].data = bases[k] + p0;
            f->planes[1].stride = s1;
            f->planes[1].size = (uint32_t)p1;
        }
        f->bytesused = df->size;
        f->memory = k == 0 ? VRT_MEM_HOST : VRT_MEM_DEVICE;
        f->buffer_index = -1;
    }
}

static void dual_free(dual_frame *df) {
    free(df->hbuf);
    cudaFree(df->dbuf);
    memset(df, 0, sizeof(*df));
}

static const uint32_t k_formats[] = {VRT_FMT_YUYV,  VRT_FMT_UYVY,  VRT_FMT_NV12,
                                     VRT_FMT_RGB24, VRT_FMT_BGR24, VRT_FMT_GREY};

/* Frame sizes valid for the format, odd wherever the format allows. */
static void pick_size(uint32_t fourcc, uint32_t *w, uint32_t *h) {
    *w = 17 + rnd() % 300;
    *h = 13 + rnd() % 240;
    if (fourcc == VRT_FMT_YUYV || fourcc == VRT_FMT_UYVY || fourcc == VRT_FMT_NV12) *w &= ~1u;
    if (fourcc == VRT_FMT_NV12) *h &= ~1u;
}

static void random_params(vrt_preprocess_params *p, int mode) {
    vrt_preprocess_default_params(p);
    static const uint32_t sizes[][2] = {{224, 224}, {37, 29}, {416, 416}, {64, 48}, {31, 97}, {320, 200}};
    const uint32_t *s = sizes[rnd() % 6];
    p->width = s[0];
    p->height = s[1];
    p->resize = (vrt_resize_mode)mode;
    p->color = (vrt_color_order)(rnd() % 2);
    p->layout = (vrt_layout)(rnd() % 2);
    p->dtype = (vrt_tensor_type)(rnd() % 2);
    p->round_size = (int)(rnd() % 2);
    p->placement = (vrt_placement)(rnd() % 2);
    p->resize_shorter = mode == VRT_RESIZE_CROP && rnd() % 2 ? (uint32_t)(p->width + rnd() % 64) : 0;
    p->pad_value = (float)(rnd() % 256);
    p->interp = (vrt_interp)(rnd() % 2); /* bilinear or INTER_AREA (shrinking and growing sizes above) */
    if (rnd() % 2) {
        p->scale = 1.0f / 255.0f;
        const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++)
            p->mean[c] = mean[c], p->std[c] = sd[c];
    } else {
        p->scale = 1.0f;
        for (int c = 0; c < 3; c++)
            p->mean[c] = frand(0, 128), p->std[c] = frand(0.5f, 64);
    }
}

/* Elements that differ in bits, and the largest difference in units of
 * 1/std (one 8-bit step of the input before normalisation). */
typedef struct cmp_stats {
    size_t n, differ;
    double max_lsb;
} cmp_stats;

static void compare_tensor(const void *cpu, const void *gpu, const vrt_preprocess_params *p, size_t images,
                           cmp_stats *st) {
    const size_t plane = (size_t)p->width * p->height, n = plane * 3 * images;
    for (size_t i = 0; i < n; i++) {
        size_t pix = i % (plane * 3);
        int c = p->layout == VRT_LAYOUT_NCHW ? (int)(pix / plane) : (int)(pix % 3);
        double a, b;
        if (p->dtype == VRT_TENSOR_F16) {
            uint16_t x = ((const uint16_t *)cpu)[i], y = ((const uint16_t *)gpu)[i];
            if (x != y) st->differ++;
            a = vrt__half_to_float(x), b = vrt__half_to_float(y);
        } else {
            float x = ((const float *)cpu)[i], y = ((const float *)gpu)[i];
            if (memcmp(&x, &y, sizeof(x))) st->differ++;
            a = x, b = y;
        }
        double lsb = fabs(a - b) * fabs((double)p->std[c]) / (p->scale > 0 ? 255.0 * p->scale : 1.0);
        if (!(lsb <= st->max_lsb)) st->max_lsb = lsb; /* NaN sticks */
    }
    st->n += n;
}

TEST(preprocess_matches_cpu_every_format_mode_layout_dtype) {
    char err[512];
    cmp_stats st = {0, 0, 0.0};
    int runs = 0;
    for (int fi = 0; fi < 6; fi++) {
        for (int mode = 0; mode < 3; mode++) {
            for (int rep = 0; rep < 4; rep++) {
                uint32_t w, h;
                pick_size(k_formats[fi], &w, &h);
                dual_frame df;
                dual_make(&df, k_formats[fi], w, h, rnd() % 2 ? 0 : 1 + rnd() % 9);
                vrt_preprocess_params p;
                random_params(&p, mode);
                size_t sz = vrt_preprocess_output_size(&p);
                void *cpu = malloc(sz), *gpu = malloc(sz), *dout = NULL;
                CK(cudaMalloc(&dout, sz));
                CK(cudaMemset(dout, 0xff, sz));
                CK(cudaDeviceSynchronize()); /* legacy-stream memset: g_stream (non-blocking) does not wait
                                                for it */
                vrt_preprocess_geometry gc, gg;
                ASSERT_OK(vrt_preprocess_frame(&df.h, &p, cpu, sz, &gc, err, sizeof(err)));
                vrt_status s =
                    vrt_cuda_preprocess_frame(&df.d, &p, dout, sz, &gg, g_stream, err, sizeof(err));
                if (s) vrt_test_fail(__FILE__, __LINE__, "cuda preprocess: %s", err);
                CK(cudaMemcpyAsync(gpu, dout, sz, cudaMemcpyDeviceToHost, g_stream));
                CK(cudaStreamSynchronize(g_stream));
                ASSERT_TRUE(memcmp(&gc, &gg, sizeof(gc)) == 0);
                size_t before = st.differ;
                compare_tensor(cpu, gpu, &p, 1, &st);
                if (st.differ != before)
                    fprintf(stderr,
                            "  differs: fmt %d %ux%u -> %ux%u mode %d color %d layout %d dtype %d: %zu "
                            "elements\n",
                            fi, w, h, p.width, p.height, mode, p.color, p.layout, p.dtype,
                            st.differ - before);
                runs++;
                free(cpu);
                free(gpu);
                cudaFree(dout);
                dual_free(&df);
            }
        }
    }
    printf("  preprocess: %d runs, %zu elements, %zu not bit-identical, max diff %.3g LSB\n", runs, st.n,
           st.differ, st.max_lsb);
    ASSERT_TRUE(st.max_lsb <= 1.0);
    /* Same operations in the same order with the same rounding: bit-exact. */
    ASSERT_EQ(st.differ, 0);
}

TEST(rois_match_cpu_and_refused_boxes_are_padding) {
    char err[512];
    cmp_stats st = {0, 0, 0.0};
    for (int fi = 0; fi < 6; fi++) {
        for (int mode = 0; mode < 3; mode++) {
            uint32_t w, h;
            pick_size(k_formats[fi], &w, &h);
            dual_frame df;
            dual_make(&df, k_formats[fi], w, h, 3);
            vrt_preprocess_params p;
            random_params(&p, mode);
            if (p.width > 100) p.width = 96, p.height = 80; /* keep batches small */
            enum { N = 7 };
            vrt_box boxes[N];
            for (int i = 0; i < N - 1; i++) {
                float x1 = frand(-20, (float)w - 2), y1 = frand(-20, (float)h - 2);
                boxes[i].x1 = x1;
                boxes[i].y1 = y1;
                /* At least one whole pixel inside the frame. */
                boxes[i].x2 = (x1 < 0 ? 0 : x1) + frand(1.5f, (float)w);
                boxes[i].y2 = (y1 < 0 ? 0 : y1) + frand(1.5f, (float)h);
            }
            /* Fully outside the frame: refused by the CPU, padding on the GPU. */
            boxes[N - 1].x1 = (float)w + 5;
            boxes[N - 1].y1 = 0;
            boxes[N - 1].x2 = (float)w + 50;
            boxes[N - 1].y2 = 10;
            size_t one = vrt_preprocess_output_size(&p);
            uint8_t *cpu = malloc(one * N), *gpu = malloc(one * N);
            void *dout = NULL;
            vrt_box *dbox = NULL;
            vrt_preprocess_geometry *dgeo = NULL, gc[N], gg[N];
            CK(cudaMalloc(&dout, one * N));
            CK(cudaMalloc((void **)&dbox, sizeof(boxes)));
            CK(cudaMalloc((void **)&dgeo, sizeof(gg)));
            CK(cudaMemcpy(dbox, boxes, sizeof(boxes), cudaMemcpyHostToDevice));
            CK(cudaDeviceSynchronize());
            ASSERT_STATUS(vrt_preprocess_rois(&df.h, boxes, N, &p, cpu, one * N, gc, err, sizeof(err)),
                          VRT_EINVAL);
            ASSERT_CONTAINS(err, "ROI 6");
            ASSERT_OK(vrt_preprocess_rois(&df.h, boxes, N - 1, &p, cpu, one * N, gc, err, sizeof(err)));
            vrt_status s =
                vrt_cuda_preprocess_rois(&df.d, dbox, N, &p, dout, one * N, dgeo, g_stream, err, sizeof(err));
            if (s) vrt_test_fail(__FILE__, __LINE__, "cuda rois: %s", err);
            CK(cudaMemcpyAsync(gpu, dout, one * N, cudaMemcpyDeviceToHost, g_stream));
            CK(cudaMemcpyAsync(gg, dgeo, sizeof(gg), cudaMemcpyDeviceToHost, g_stream));
            CK(cudaStreamSynchronize(g_stream));
            for (int i = 0; i < N - 1; i++) {
                if (memcmp(&gc[i], &gg[i], sizeof(gc[i])))
                    vrt_test_fail(
                        __FILE__, __LINE__,
                        "ROI %d geometry: cpu %ux%u at %u,%u rw %u off %d, gpu %ux%u at %u,%u rw %u off %d",
                        i, gc[i].roi_w, gc[i].roi_h, gc[i].roi_x, gc[i].roi_y, gc[i].resized_w, gc[i].off_x,
                        gg[i].roi_w, gg[i].roi_h, gg[i].roi_x, gg[i].roi_y, gg[i].resized_w, gg[i].off_x);
            }
            compare_tensor(cpu, gpu, &p, N - 1, &st);
            ASSERT_EQ(gg[N - 1].roi_w, 0);
            ASSERT_EQ(gg[N - 1].roi_h, 0);
            /* The refused ROI: every element is the normalised pad value. */
            const uint8_t *last = gpu + one * (N - 1);
            size_t plane = (size_t)p.width * p.height;
            for (size_t i = 0; i < plane * 3; i++) {
                int c = p.layout == VRT_LAYOUT_NCHW ? (int)(i / plane) : (int)(i % 3);
                float want = (p.pad_value * p.scale - p.mean[c]) / p.std[c];
                float got = p.dtype == VRT_TENSOR_F16 ? vrt__half_to_float(((const uint16_t *)last)[i])
                                                      : ((const float *)last)[i];
                double tol = p.dtype == VRT_TENSOR_F16 ? fabs(want) * 1e-3 + 1e-3 : 0.0;
                if (!(fabs(got - want) <= tol)) {
                    vrt_test_fail(__FILE__, __LINE__, "refused ROI element %zu: %g, want pad %g", i, got,
                                  want);
                    break;
                }
            }
            free(cpu);
            free(gpu);
            cudaFree(dout);
            cudaFree(dbox);
            cudaFree(dgeo);
            dual_free(&df);
        }
    }
    printf("  rois: %zu elements, %zu not bit-identical, max diff %.3g LSB\n", st.n, st.differ, st.max_lsb);
    ASSERT_TRUE(st.max_lsb <= 1.0);
    ASSERT_EQ(st.differ, 0);
}

TEST(topk_matches_cpu) {
    char err[512];
    static const int ns[] = {1, 7, 33, 1000, 1001, 4099};
    static const int ks[] = {1, 5, 32};
    enum { ROWS = 4 };
    for (int ni = 0; ni < 6; ni++)
        for (int ki = 0; ki < 3; ki++)
            for (int dt = 0; dt < 2; dt++)
                for (int sm = 0; sm < 2; sm++) {
                    const int n = ns[ni], k = ks[ki];
                    size_t es = dt ? 2 : 4;
                    uint8_t *h = malloc((size_t)ROWS * n * es);
                    for (int i = 0; i < ROWS * n; i++) {
                        /* Coarse values for many ties, a few NaN and -inf. */
                        float v = (float)((int)(rnd() % 200) - 100) / 8.0f;
                        uint32_t r = rnd() % 97;
                        if (r == 0) v = NAN;
                        if (r == 1) v = -INFINITY;
                        if (dt)
                            ((uint16_t *)h)[i] = vrt__float_to_half(v);
                        else
                            ((float *)h)[i] = v;
                    }
                    void *dsc = NULL;
                    vrt_class_result *dres = NULL, gres[ROWS];
                    CK(cudaMalloc(&dsc, (size_t)ROWS * n * es));
                    CK(cudaMalloc((void **)&dres, sizeof(gres)));
                    CK(cudaMemcpy(dsc, h, (size_t)ROWS * n * es, cudaMemcpyHostToDevice));
                    CK(cudaDeviceSynchronize());
                    vrt_status s = vrt_cuda_topk(dsc, (vrt_tensor_type)dt, ROWS, n, k, sm, dres, g_stream,
                                                 err, sizeof(err));
                    if (s) vrt_test_fail(__FILE__, __LINE__, "cuda topk: %s", err);
                    CK(cudaMemcpyAsync(gres, dres, sizeof(gres), cudaMemcpyDeviceToHost, g_stream));
                    CK(cudaStreamSynchronize(g_stream));
                    for (int r = 0; r < ROWS; r++) {
                        vrt_class_result cres;
                        ASSERT_OK(vrt_topk(h + (size_t)r * n * es, (vrt_tensor_type)dt, n, k, sm, &cres));
                        ASSERT_EQ(gres[r].count, cres.count);
                        for (int j = 0; j < cres.count; j++) {
                            if (gres[r].index[j] != cres.index[j])
                                vrt_test_fail(__FILE__, __LINE__,
                                              "n %d k %d dt %d sm %d row %d rank %d: index %d vs cpu %d", n,
                                              k, dt, sm, r, j, gres[r].index[j], cres.index[j]);
                            float a = gres[r].score[j], b = cres.score[j];
                            if (sm)
                                ASSERT_NEAR(a, b, 1e-6 * fabs(b) + 1e-9);
                            else if (memcmp(&a, &b, sizeof(a)) && !(isnan(a) && isnan(b)))
                                vrt_test_fail(__FILE__, __LINE__, "score %g vs cpu %g", a, b);
                        }
                    }
                    free(h);
                    cudaFree(dsc);
                    cudaFree(dres);
                }
}

/* GPU detection result equals the CPU's: same count, classes and order;
 * scores within score_tol (0: bit-equal), boxes within a few ulp. */
static void compare_dets(const vrt_detections *c, const vrt_detections *g, double score_tol,
                         const char *what) {
    ASSERT_EQ(g->candidates, c->candidates);
    ASSERT_EQ(g->count, c->count);
    for (int i = 0; i < c->count; i++) {
        const vrt_detection *a = &c->det[i], *b = &g->det[i];
        if (a->class_id != b->class_id || !(fabs(a->score - b->score) <= score_tol)) {
            vrt_test_fail(__FILE__, __LINE__, "%s: det %d: cpu class %d score %.9g, gpu class %d score %.9g",
                          what, i, a->class_id, a->score, b->class_id, b->score);
            return;
        }
        const float *pa = &a->box.x1, *pb = &b->box.x1;
        /* A last-bit difference of exp(tw) moves x1 = cx - w / 2 by an ulp of
         * the box's largest coordinate, not of x1 itself. */
        double m = 1.0;
        for (int k = 0; k < 4; k++)
            m = fmax(m, fabs(pa[k]));
        for (int k = 0; k < 4; k++)
            if (!(fabs(pa[k] - pb[k]) <= 1e-6 * m)) {
                vrt_test_fail(__FILE__, __LINE__, "%s: det %d coord %d: cpu %.9g gpu %.9g", what, i, k, pa[k],
                              pb[k]);
                return;
            }
    }
}

/* Runs both detectors on the same host output (count floats). */
static void run_both(const vrt_detect_params *p, const float *o, size_t count,
                     const vrt_preprocess_geometry *geom, double score_tol, const char *what) {
    char err[512];
    vrt_detector_t *cd = NULL;
    vrt_cuda_detector_t *gd = NULL;
    ASSERT_OK(vrt_detector_create(&cd, p, err, sizeof(err)));
    ASSERT_OK(vrt_cuda_detector_create(&gd, p, err, sizeof(err)));
    ASSERT_EQ(vrt_cuda_detector_num_anchors(gd), vrt_detector_num_anchors(cd));
    static vrt_detections cres, gres;
    memset(&gres, 0, sizeof(gres));
    ASSERT_OK(vrt_detector_run(cd, o, count, geom, &cres));
    size_t wsz = vrt_cuda_detector_workspace_size(gd);
    void *ws = NULL, *dout = NULL;
    float *dsrc = NULL;
    CK(cudaMalloc(&ws, wsz));
    CK(cudaMalloc(&dout, sizeof(vrt_detections)));
    CK(cudaMalloc((void **)&dsrc, count * sizeof(float)));
    CK(cudaMemcpy(dsrc, o, count * sizeof(float), cudaMemcpyHostToDevice));
    CK(cudaDeviceSynchronize());
    /* Twice on the same workspace: no state may leak from one run to the next. */
    for (int rep = 0; rep < 2; rep++) {
        vrt_status s = vrt_cuda_detector_run(gd, dsrc, count, geom, ws, wsz, dout, g_stream);
        if (s) vrt_test_fail(__FILE__, __LINE__, "cuda detector: %s", vrt_cuda_detector_error(gd));
    }
    CK(cudaMemcpyAsync(&gres, dout, sizeof(gres), cudaMemcpyDeviceToHost, g_stream));
    CK(cudaStreamSynchronize(g_stream));
    compare_dets(&cres, &gres, score_tol, what);
    cudaFree(ws);
    cudaFree(dout);
    cudaFree(dsrc);
    vrt_detector_destroy(&cd);
    vrt_cuda_detector_destroy(&gd);
}

TEST(yolox_model_output_decode_nms_matches_cpu) {
    char err[512], rel[128];
    vrt_preprocess_params pp;
    vrt_preprocess_default_params(&pp);
    pp.width = pp.height = 416;
    pp.resize = VRT_RESIZE_LETTERBOX;
    pp.pad_value = 114;
    vrt_preprocess_geometry geo;
    ASSERT_OK(vrt_preprocess_geometry_for(&pp, 640, 427, &geo, err, sizeof(err)));
    for (int set = 0; set < 3; set++) {
        snprintf(rel, sizeof(rel), "models/yolox_nano/test_data_set_%d/output_0.pb", set);
        const char *path = vrt_test_data_or_skip(rel);
        vrt__tensor t;
        memset(&t, 0, sizeof(t));
        ASSERT_OK(vrt__tensor_load_pb(path, &t, err, sizeof(err)));
        size_t count = (size_t)vrt__shape_numel(&t.shape);
        ASSERT_EQ(count, 3549 * 85);
        const float thr[] = {0.3f, 0.01f, 0.001f};
        const int maxd[] = {100, VRT_DETECT_MAX, 5};
        for (int v = 0; v < 3; v++) {
            vrt_detect_params p;
            vrt_detect_default_params(&p);
            p.score_threshold = thr[v];
            p.max_detections = maxd[v];
            char what[64];
            snprintf(what, sizeof(what), "yolox set %d variant %d", set, v);
            run_both(&p, t.data, count, v == 2 ? NULL : &geo, 0.0, what);
        }
        vrt__tensor_free(&t);
    }
}

TEST(random_score_maps_decode_nms_match_cpu) {
    /* YOLOX layout with logits (sigmoid on both sides) and with probabilities. */
    for (int rep = 0; rep < 4; rep++) {
        vrt_detect_params p;
        vrt_detect_default_params(&p);
        p.input_w = 160;
        p.input_h = 96;
        p.num_classes = 5;
        p.apply_sigmoid = rep & 1;
        p.score_threshold = p.apply_sigmoid ? 0.2f : 0.05f;
        p.iou_threshold = 0.5f;
        p.max_detections = rep < 2 ? VRT_DETECT_MAX : 17;
        int n = (160 / 8) * (96 / 8) + (160 / 16) * (96 / 16) + (160 / 32) * (96 / 32);
        size_t count = (size_t)n * (5 + 5);
        float *o = malloc(count * sizeof(float));
        for (int a = 0; a < n; a++) {
            float *r = o + (size_t)a * 10;
            r[0] = frand(-1, 1);
            r[1] = frand(-1, 1);
            r[2] = frand(-1, 2);
            r[3] = frand(-1, 2);
            for (int k = 4; k < 10; k++)
                r[k] =
                    p.apply_sigmoid ? (float)((int)(rnd() % 64) - 40) / 16.0f : (float)(rnd() % 32) / 32.0f;
        }
        run_both(&p, o, count, NULL, p.apply_sigmoid ? 1e-6 : 0.0, "random yolox");
        free(o);
    }
    /* YOLOv8 layout: clustered boxes, quantised scores (ties across classes
     * and anchors), including a class with more candidates than the shared
     * memory sort holds (the in-place path). */
    static const int Ns[] = {300, 8400};
    static const int Cs[] = {7, 3};
    for (int rep = 0; rep < 4; rep++) {
        const int N = Ns[rep / 2], C = Cs[rep / 2];
        vrt_detect_params p;
        vrt_detect_default_params(&p);
        p.kind = VRT_DETECT_YOLOV8;
        p.input_w = p.input_h = 640;
        p.num_classes = C;
        p.num_anchors = N;
        p.apply_sigmoid = rep & 1;
        p.score_threshold = rep / 2 ? -1.0f : 0.25f; /* big case: every pair is a candidate */
        p.iou_threshold = rep & 1 ? 0.3f : 0.6f;
        p.max_detections = VRT_DETECT_MAX;
        p.clip = rep & 1;
        size_t count = (size_t)(4 + C) * N;
        float *o = malloc(count * sizeof(float));
        for (int a = 0; a < N; a++) {
            float cx = (float)(rnd() % 8) * 80 + frand(-15, 15),
                  cy = (float)(rnd() % 8) * 80 + frand(-15, 15);
            o[a] = cx;
            o[N + a] = cy;
            o[2 * N + a] = frand(10, 120);
            o[3 * N + a] = frand(10, 120);
            for (int c = 0; c < C; c++)
                o[(size_t)(4 + c) * N + a] =
                    p.apply_sigmoid ? (float)((int)(rnd() % 64) - 32) / 8.0f : (float)(rnd() % 20) / 20.0f;
        }
        vrt_preprocess_geometry geo, *gp = NULL;
        if (rep & 1) {
            vrt_preprocess_params pp;
            vrt_preprocess_default_params(&pp);
            pp.width = pp.height = 640;
            pp.resize = VRT_RESIZE_LETTERBOX;
            pp.placement = VRT_PLACE_CENTER;
            char err[256];
            ASSERT_OK(vrt_preprocess_geometry_for(&pp, 1280, 720, &geo, err, sizeof(err)));
            gp = &geo;
        }
        run_both(&p, o, count, gp, p.apply_sigmoid ? 1e-6 : 0.0, N > 4096 ? "yolov8 big" : "yolov8");
        free(o);
    }
}

/* Preprocess + decode/NMS captured once in a CUDA graph and replayed on two
 * different frames: each replay gives that frame's own direct result. */
TEST(graph_capture_replays_match_direct_calls) {
    char err[512];
    vrt_preprocess_params pp;
    vrt_preprocess_default_params(&pp);
    pp.width = pp.height = 416;
    pp.resize = VRT_RESIZE_LETTERBOX;
    pp.pad_value = 114;
    vrt_detect_params p;
    vrt_detect_default_params(&p);
    p.kind = VRT_DETECT_YOLOV8;
    p.num_classes = 3;
    p.num_anchors = 416 * 416 / 4 / 3; /* "model output" = the tensor itself, reinterpreted */
    p.score_threshold = 0.5f;
    p.input_w = p.input_h = 416;
    size_t count = (size_t)(4 + 3) * p.num_anchors;
    dual_frame f0, f1;
    dual_make(&f0, VRT_FMT_YUYV, 640, 480, 0);
    dual_make(&f1, VRT_FMT_YUYV, 640, 480, 0);
    uint8_t *slot = NULL;
    void *tensor = NULL, *ws = NULL, *dout = NULL;
    vrt_cuda_detector_t *gd = NULL;
    ASSERT_OK(vrt_cuda_detector_create(&gd, &p, err, sizeof(err)));
    size_t tsz = vrt_preprocess_output_size(&pp), wsz = vrt_cuda_detector_workspace_size(gd);
    ASSERT_TRUE(count * sizeof(float) <= tsz);
    CK(cudaMalloc((void **)&slot, f0.size));
    CK(cudaMalloc(&tensor, tsz));
    CK(cudaMalloc(&ws, wsz));
    CK(cudaMalloc(&dout, sizeof(vrt_detections)));
    vrt_frame sf = f0.d;
    sf.planes[0].data = slot;
    vrt_preprocess_geometry geo;
    ASSERT_OK(vrt_preprocess_geometry_for(&pp, 640, 480, &geo, err, sizeof(err)));

    static vrt_detections direct[2], replay[2];
    dual_frame *fr[2] = {&f0, &f1};
    for (int i = 0; i < 2; i++) {
        CK(cudaMemcpyAsync(slot, fr[i]->dbuf, fr[i]->size, cudaMemcpyDeviceToDevice, g_stream));
        ASSERT_OK(vrt_cuda_preprocess_frame(&sf, &pp, tensor, tsz, NULL, g_stream, err, sizeof(err)));
        ASSERT_OK(vrt_cuda_detector_run(gd, tensor, count, &geo, ws, wsz, dout, g_stream));
        CK(cudaMemcpyAsync(&direct[i], dout, sizeof(vrt_detections), cudaMemcpyDeviceToHost, g_stream));
        CK(cudaStreamSynchronize(g_stream));
    }
    ASSERT_TRUE(direct[0].candidates != direct[1].candidates || direct[0].count != direct[1].count ||
                memcmp(direct[0].det, direct[1].det, sizeof(vrt_detection) * (size_t)direct[0].count));

    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    CK(cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeGlobal));
    vrt_status s1 = vrt_cuda_preprocess_frame(&sf, &pp, tensor, tsz, NULL, g_stream, err, sizeof(err));
    vrt_status s2 = vrt_cuda_detector_run(gd, tensor, count, &geo, ws, wsz, dout, g_stream);
    CK(cudaStreamEndCapture(g_stream, &graph));
    ASSERT_OK(s1);
    ASSERT_OK(s2);
    CK(cudaGraphInstantiate(&exec, graph, 0));
    for (int i = 1; i >= 0; i--) {
        CK(cudaMemcpyAsync(slot, fr[i]->dbuf, fr[i]->size, cudaMemcpyDeviceToDevice, g_stream));
        CK(cudaMemsetAsync(dout, 0, sizeof(vrt_detections), g_stream));
        CK(cudaGraphLaunch(exec, g_stream));
        CK(cudaMemcpyAsync(&replay[i], dout, sizeof(vrt_detections), cudaMemcpyDeviceToHost, g_stream));
        CK(cudaStreamSynchronize(g_stream));
    }
    for (int i = 0; i < 2; i++)
        compare_dets(&direct[i], &replay[i], 0.0, "graph replay");
    printf("  graph: frame 0 %d detections of %d candidates, frame 1 %d of %d\n", direct[0].count,
           direct[0].candidates, direct[1].count, direct[1].candidates);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    cudaFree(slot);
    cudaFree(tensor);
    cudaFree(ws);
    cudaFree(dout);
    vrt_cuda_detector_destroy(&gd);
    dual_free(&f0);
    dual_free(&f1);
}

TEST(errors_name_the_problem) {
    char err[512];
    dual_frame df;
    dual_make(&df, VRT_FMT_YUYV, 64, 48, 0);
    vrt_preprocess_params p;
    vrt_preprocess_default_params(&p);
    void *dout = NULL;
    CK(cudaMalloc(&dout, vrt_preprocess_output_size(&p)));
    ASSERT_STATUS(vrt_cuda_preprocess_frame(&df.d, &p, dout, vrt_preprocess_output_size(&p), NULL, NULL, err,
                                            sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "stream");
    ASSERT_STATUS(vrt_cuda_preprocess_frame(&df.h, &p, dout, vrt_preprocess_output_size(&p), NULL, g_stream,
                                            err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "pageable host memory");
    ASSERT_STATUS(vrt_cuda_preprocess_frame(&df.d, &p, dout, 100, NULL, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "needs 602112");
    ASSERT_STATUS(vrt_cuda_topk(dout, VRT_TENSOR_F32, 1, 10, 33, 0, dout, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "k in 1..32");
    vrt_detect_params dp;
    vrt_detect_default_params(&dp);
    vrt_cuda_detector_t *gd = NULL;
    dp.strides[1] = 15;
    ASSERT_STATUS(vrt_cuda_detector_create(&gd, &dp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_TRUE(gd == NULL);
    ASSERT_CONTAINS(err, "stride 15");
    dp.strides[1] = 16;
    ASSERT_OK(vrt_cuda_detector_create(&gd, &dp, err, sizeof(err)));
    ASSERT_EQ(vrt_cuda_detector_num_anchors(gd), 3549);
    ASSERT_STATUS(vrt_cuda_detector_run(gd, dout, 3549 * 85, NULL, dout, 16, dout, g_stream), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_cuda_detector_error(gd), "workspace of 16 bytes");
    ASSERT_STATUS(vrt_cuda_detector_run(gd, dout, 10, NULL, dout, 16, dout, g_stream), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_cuda_detector_error(gd), "needs 301665");
    vrt_cuda_detector_destroy(&gd);
    vrt_cuda_detector_destroy(&gd);
    ASSERT_TRUE(gd == NULL);
    cudaFree(dout);
    dual_free(&df);
}

int main(void) {
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev < 1) {
        printf("SKIP: no usable GPU (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    if (cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking) != cudaSuccess) {
        printf("SKIP: cannot create a CUDA stream\n");
        return 77;
    }
    VRT_RUN(errors_name_the_problem);
    VRT_RUN(preprocess_matches_cpu_every_format_mode_layout_dtype);
    VRT_RUN(rois_match_cpu_and_refused_boxes_are_padding);
    VRT_RUN(topk_matches_cpu);
    VRT_RUN(yolox_model_output_decode_nms_matches_cpu);
    VRT_RUN(random_score_maps_decode_nms_match_cpu);
    VRT_RUN(graph_capture_replays_match_direct_calls);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
