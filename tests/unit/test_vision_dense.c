/* The heads beyond classes and boxes (detect-detr, depth, segment-argmax,
 * segment-yolov8, pose-yolov8) through the public vrt/head.h on random
 * outputs, against plain double-precision references written here from the
 * documented definitions (softmax, torch-style bilinear resampling with
 * align_corners=False, greedy class-wise NMS, the geometry back to the
 * frame), and their result accessors (maps, stats, median, keypoints). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vrt/head.h"
#include "vrt/json.h"
#include "vrt/profile.h"
#include "vrt/result.h"

static uint32_t g_seed = 12345;
static float frand(float lo, float hi) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(g_seed >> 8) / (float)(1u << 24);
}

static void profile(vrt_profile *p, const char *text) {
    char err[256];
    vrt_profile_default(p);
    ASSERT_OK(vrt_profile_parse(text, strlen(text), "t.conf", p, err, sizeof(err)));
}

static void geom(const vrt_profile *p, uint32_t fw, uint32_t fh, vrt_preprocess_geometry *g) {
    char err[256];
    ASSERT_OK(vrt_preprocess_geometry_for(&p->pre, fw, fh, g, err, sizeof(err)));
}

static vrt_head_t *open_head(const vrt_profile *p, vrt_model_tensor_info *outs, int n) {
    vrt_head_t *h = NULL;
    char err[512];
    if (vrt_head_open(p, outs, n, NULL, &h, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "%s", err);
    return h;
}

/* Input pixel -> frame pixel, as the docs of vrt/vision.h say. */
static double to_frame_x(const vrt_preprocess_geometry *g, double x) {
    return (x - g->offset_x) / g->scale_x + g->roi_x;
}
static double to_frame_y(const vrt_preprocess_geometry *g, double y) {
    return (y - g->offset_y) / g->scale_y + g->roi_y;
}

/* torch.nn.functional.interpolate(bilinear, align_corners=False) at frame
 * pixel (x, y) of a map of mw x mh over an input of iw x ih; NaN outside
 * the input. */
static double ref_sample(const float *m, int mw, int mh, int iw, int ih, const vrt_preprocess_geometry *g,
                         int x, int y, int *valid) {
    double xi = (x + 0.5 - g->roi_x) * g->scale_x + g->offset_x;
    double yi = (y + 0.5 - g->roi_y) * g->scale_y + g->offset_y;
    *valid = xi >= 0 && xi < iw && yi >= 0 && yi < ih;
    double u = xi * mw / iw - 0.5, v = yi * mh / ih - 0.5;
    if (u < 0) u = 0;
    if (v < 0) v = 0;
    int x0 = (int)u, y0 = (int)v;
    int x1 = x0 + 1 < mw ? x0 + 1 : mw - 1, y1 = y0 + 1 < mh ? y0 + 1 : mh - 1;
    if (x0 > mw - 1) x0 = mw - 1;
    if (y0 > mh - 1) y0 = mh - 1;
    double fx = u - x0, fy = v - y0;
    if (x0 == mw - 1) fx = 0;
    if (y0 == mh - 1) fy = 0;
    return (1 - fy) * ((1 - fx) * m[y0 * mw + x0] + fx * m[y0 * mw + x1]) +
           fy * ((1 - fx) * m[y1 * mw + x0] + fx * m[y1 * mw + x1]);
}

/* ---- DETR ------------------------------------------------------------------ */

TEST(detr_against_reference) {
    enum { Q = 40, C = 6 };
    vrt_profile p;
    profile(&p, "task = detect-detr\nwidth = 64\nheight = 48\nresize = letterbox\nplacement = center\n"
                "score_threshold = 0.3\nmax_detections = 10\n");
    float logits[Q * (C + 1)], boxes[Q * 4];
    for (int i = 0; i < Q * (C + 1); i++)
        logits[i] = frand(-3, 5);
    for (int q = 0; q < Q; q++) {
        boxes[4 * q] = frand(0.1f, 0.9f), boxes[4 * q + 1] = frand(0.1f, 0.9f);
        boxes[4 * q + 2] = frand(0.05f, 0.5f), boxes[4 * q + 3] = frand(0.05f, 0.5f);
    }
    vrt_model_tensor_info outs[2] = {{.name = "logits", .ndim = 3, .dims = {1, Q, C + 1}},
                                     {.name = "pred_boxes", .ndim = 3, .dims = {1, Q, 4}}};
    vrt_head_t *h = open_head(&p, outs, 2);
    vrt_preprocess_geometry g;
    geom(&p, 320, 200, &g);
    const float *bufs[2] = {logits, boxes};
    size_t counts[2] = {Q * (C + 1), Q * 4};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_head_run(h, bufs, counts, 2, &g, &r));
    ASSERT_EQ(vrt_result_kind(r), VRT_RESULT_DETECTIONS);
    /* Reference: every query's best real class, sorted by score (stable). */
    double score[Q];
    int cls[Q], order[Q], n = 0;
    for (int q = 0; q < Q; q++) {
        const float *l = logits + q * (C + 1);
        double mx = l[0], sum = 0;
        for (int k = 1; k <= C; k++)
            mx = fmax(mx, l[k]);
        for (int k = 0; k <= C; k++)
            sum += exp(l[k] - mx);
        cls[q] = 0;
        for (int k = 0; k < C; k++)
            if (l[k] > l[cls[q]]) cls[q] = k;
        score[q] = exp(l[cls[q]] - mx) / sum;
        if (score[q] > 0.3) order[n++] = q;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && score[order[j]] > score[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    ASSERT_TRUE(n > 10);
    ASSERT_EQ(vrt_result_candidates(r), n);
    ASSERT_EQ(vrt_result_count(r), 10);
    for (int i = 0; i < 10; i++) {
        vrt_detection d;
        ASSERT_OK(vrt_result_detection(r, i, &d));
        const int q = order[i];
        ASSERT_EQ(d.class_id, cls[q]);
        ASSERT_NEAR(d.score, score[q], 1e-6);
        const float *b = boxes + 4 * q;
        double x1 = to_frame_x(&g, (b[0] - b[2] / 2) * 64), x2 = to_frame_x(&g, (b[0] + b[2] / 2) * 64);
        double y1 = to_frame_y(&g, (b[1] - b[3] / 2) * 48), y2 = to_frame_y(&g, (b[1] + b[3] / 2) * 48);
        ASSERT_NEAR(d.box.x1, fmin(fmax(x1, 0), 320), 1e-3);
        ASSERT_NEAR(d.box.x2, fmin(fmax(x2, 0), 320), 1e-3);
        ASSERT_NEAR(d.box.y1, fmin(fmax(y1, 0), 200), 1e-3);
        ASSERT_NEAR(d.box.y2, fmin(fmax(y2, 0), 200), 1e-3);
    }
    /* A profile whose outputs do not fit says which and what it expects. */
    vrt_head_destroy(&h);
    char err[512];
    outs[1].dims[2] = 5;
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "pred_boxes");
}

/* ---- depth ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void depth_case(const char *prof_text, uint32_t fw, uint32_t fh, int expect_nan) {
    enum { MW = 12, MH = 9 };
    vrt_profile p;
    profile(&p, prof_text);
    float out[MH * MW];
    for (int i = 0; i < MH * MW; i++)
        out[i] = frand(0.5f, 20.0f);
    vrt_model_tensor_info info = {.name = "depth", .ndim = 3, .dims = {1, MH, MW}};
    vrt_head_t *h = open_head(&p, &info, 1);
    ASSERT_OK(vrt_head_reserve(h, (int)fw, (int)fh));
    vrt_preprocess_geometry g;
    geom(&p, fw, fh, &g);
    const float *bufs[1] = {out};
    size_t counts[1] = {MH * MW};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_head_run(h, bufs, counts, 1, &g, &r));
    ASSERT_EQ(vrt_result_kind(r), VRT_RESULT_DENSE);
    int w = 0, hh = 0;
    size_t stride = 0, cstride = 0, nstride = 0;
    vrt_map_type t;
    const uint8_t *raw = vrt_result_map(r, VRT_MAP_DEPTH_RAW, &w, &hh, &stride, &t);
    const uint8_t *nrm = vrt_result_map(r, VRT_MAP_DEPTH, NULL, NULL, &nstride, NULL);
    const uint8_t *col = vrt_result_map(r, VRT_MAP_DEPTH_COLOR, NULL, NULL, &cstride, NULL);
    ASSERT_TRUE(raw && nrm && col);
    ASSERT_EQ(t, VRT_MAP_F32);
    ASSERT_EQ(w, (int)fw);
    ASSERT_EQ(hh, (int)fh);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int nvalid = 0, nnan = 0;
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            int valid;
            double v = ref_sample(out, MW, MH, (int)p.pre.width, (int)p.pre.height, &g, x, y, &valid);
            float got = ((const float *)(raw + y * stride))[x];
            if (!valid) {
                ASSERT_TRUE(isnan(got));
                nnan++;
                continue;
            }
            ASSERT_NEAR(got, v, 1e-4);
            lo = fmin(lo, v), hi = fmax(hi, v), sum += v, nvalid++;
        }
    ASSERT_EQ(nnan > 0, expect_nan);
    float mn, mx, mean;
    ASSERT_OK(vrt_result_depth_stats(r, &mn, &mx, &mean));
    ASSERT_NEAR(mn, lo, 1e-4);
    ASSERT_NEAR(mx, hi, 1e-4);
    ASSERT_NEAR(mean, sum / nvalid, 1e-3);
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            float rv = ((const float *)(raw + y * stride))[x], nv = ((const float *)(nrm + y * nstride))[x];
            const uint8_t *c = col + y * cstride + 3 * x;
            if (isnan(rv)) {
                ASSERT_TRUE(isnan(nv) && c[0] == 0 && c[1] == 0 && c[2] == 0);
                continue;
            }
            ASSERT_NEAR(nv, (rv - lo) / (hi - lo), 1e-5);
        }
    /* The extremes get the colour map's ends (turbo: dark blue .. dark red). */
    int seen_lo = 0, seen_hi = 0;
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            float nv = ((const float *)(nrm + y * nstride))[x];
            const uint8_t *c = col + y * cstride + 3 * x;
            if (nv == 0.0f) {
                seen_lo = 1;
                ASSERT_TRUE(c[0] == 48 && c[1] == 18 && c[2] == 59);
            }
            if (nv == 1.0f) {
                seen_hi = 1;
                ASSERT_TRUE(c[0] > c[2] && c[0] > 100);
            }
        }
    ASSERT_TRUE(seen_lo && seen_hi);
    /* Median in a box, against a sort. */
    vrt_box b = {fw * 0.2f, fh * 0.3f, fw * 0.7f, fh * 0.9f};
    double vals[200 * 200];
    int nv = 0;
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            float rv = ((const float *)(raw + y * stride))[x];
            if (x + 0.5 >= b.x1 && x + 0.5 < b.x2 && y + 0.5 >= b.y1 && y + 0.5 < b.y2 && !isnan(rv))
                vals[nv++] = rv;
        }
    qsort(vals, (size_t)nv, sizeof(double), cmp_double);
    double med = nv % 2 ? vals[nv / 2] : (vals[nv / 2 - 1] + vals[nv / 2]) / 2;
    float mraw, mnorm;
    ASSERT_OK(vrt_result_depth_median(r, &b, &mraw, &mnorm));
    ASSERT_NEAR(mraw, med, 1e-5);
    ASSERT_NEAR(mnorm, (med - mn) / (mx - mn), 1e-5);
    vrt_box none = {-10, -10, -5, -5};
    ASSERT_STATUS(vrt_result_depth_median(r, &none, &mraw, NULL), VRT_ENOENT);
    /* Accessors of other kinds answer no. */
    ASSERT_TRUE(vrt_result_map(r, VRT_MAP_CLASSES, NULL, NULL, NULL, NULL) == NULL);
    ASSERT_EQ(vrt_result_num_keypoints(r), 0);
    /* A larger frame than reserved is refused, not written past the end. */
    vrt_preprocess_geometry g2;
    geom(&p, fw * 2, fh * 2, &g2);
    ASSERT_STATUS(vrt_head_run(h, bufs, counts, 1, &g2, &r), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_head_last_error(h), "vrt_head_reserve");
    vrt_head_destroy(&h);
}

TEST(depth_against_reference) {
    depth_case("task = depth\nwidth = 48\nheight = 36\nresize = letterbox\nplacement = center\n", 101, 60, 0);
    depth_case("task = depth\nwidth = 48\nheight = 36\nresize = stretch\n", 30, 50, 0);
    /* A centre crop: the frame's sides are not seen (NaN). */
    depth_case("task = depth\nwidth = 36\nheight = 36\nresize = crop\n", 90, 60, 1);
}

/* ---- segment-argmax ------------------------------------------------------- */

TEST(argmax_against_reference) {
    enum { C = 5, MW = 10, MH = 8 };
    vrt_profile p;
    profile(&p, "task = segment-argmax\nwidth = 40\nheight = 32\nresize = letterbox\n");
    static float out[C * MH * MW];
    for (int i = 0; i < C * MH * MW; i++)
        out[i] = frand(-4, 4);
    vrt_model_tensor_info info = {.name = "scores", .ndim = 4, .dims = {1, C, MH, MW}};
    vrt_head_t *h = open_head(&p, &info, 1);
    ASSERT_OK(vrt_head_reserve(h, 77, 50));
    vrt_preprocess_geometry g;
    geom(&p, 77, 50, &g);
    const float *bufs[1] = {out};
    size_t counts[1] = {C * MH * MW};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_head_run(h, bufs, counts, 1, &g, &r));
    int w, hh;
    size_t stride;
    vrt_map_type t;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_CLASSES, &w, &hh, &stride, &t);
    ASSERT_TRUE(m != NULL);
    ASSERT_EQ(t, VRT_MAP_U8);
    ASSERT_EQ(w, 77);
    int checked = 0, seen[C] = {0};
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            double best = -INFINITY, second = -INFINITY;
            int bc = 0, valid;
            for (int c = 0; c < C; c++) {
                double v = ref_sample(out + c * MH * MW, MW, MH, 40, 32, &g, x, y, &valid);
                if (v > best)
                    second = best, best = v, bc = c;
                else if (v > second)
                    second = v;
            }
            if (best - second < 1e-4) continue; /* a tie within float rounding */
            ASSERT_EQ(m[y * stride + x], bc);
            seen[bc] = 1;
            checked++;
        }
    ASSERT_TRUE(checked > 77 * 50 * 9 / 10);
    for (int c = 0; c < C; c++)
        ASSERT_TRUE(seen[c]);
    vrt_head_destroy(&h);
}

/* ---- YOLOv8 seg and pose: a plain greedy NMS ---------------------------------- */

typedef struct ref_det {
    double score, box[4];
    int cls, anchor;
} ref_det;

static double ref_iou(const double *a, const double *b) {
    double aw = a[2] - a[0], ah = a[3] - a[1], bw = b[2] - b[0], bh = b[3] - b[1];
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (aw <= 0 || ah <= 0 || bw <= 0 || bh <= 0 || iw <= 0 || ih <= 0) return 0;
    return iw * ih / (aw * ah + bw * bh - iw * ih);
}

static int ref_before(const ref_det *a, const ref_det *b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->cls != b->cls) return a->cls < b->cls;
    return a->anchor < b->anchor;
}

/* YOLOv8 layout [4+C+extra, N]: boxes in input pixels, kept detections best first. */
static int ref_nms(const float *o, int N, int C, double thr, double iou, int K, ref_det *out) {
    static ref_det all[4096];
    int n = 0, kept = 0;
    for (int c = 0; c < C; c++) {
        int n0 = n;
        for (int a = 0; a < N; a++) {
            double s = o[(4 + c) * N + a];
            if (!(s > thr)) continue;
            double cx = o[a], cy = o[N + a], w = o[2 * N + a], h = o[3 * N + a];
            all[n++] = (ref_det){s, {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, c, a};
        }
        for (int i = n0 + 1; i < n; i++)
            for (int j = i; j > n0 && ref_before(&all[j], &all[j - 1]); j--) {
                ref_det t = all[j];
                all[j] = all[j - 1];
                all[j - 1] = t;
            }
        for (int i = n0; i < n; i++) {
            if (all[i].anchor < 0) continue;
            out[kept++] = all[i];
            for (int j = i + 1; j < n; j++)
                if (all[j].anchor >= 0 && ref_iou(all[i].box, all[j].box) > iou) all[j].anchor = -1;
        }
    }
    for (int i = 1; i < kept; i++)
        for (int j = i; j > 0 && ref_before(&out[j], &out[j - 1]); j--) {
            ref_det t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return kept < K ? kept : K;
}

/* Boxes well apart in score, scattered over the input. */
static void fill_yolo(float *o, int N, int C, int extra, float W, float H) {
    for (int a = 0; a < N; a++) {
        o[a] = frand(0.1f * W, 0.9f * W), o[N + a] = frand(0.1f * H, 0.9f * H);
        o[2 * N + a] = frand(0.1f * W, 0.5f * W), o[3 * N + a] = frand(0.1f * H, 0.5f * H);
        for (int c = 0; c < C; c++)
            o[(4 + c) * N + a] = frand(0, 1);
        for (int k = 0; k < extra; k++)
            o[(4 + C + k) * N + a] = frand(-2, 2);
    }
}

static void check_boxes(const vrt_result *r, const ref_det *ref, int n, const vrt_preprocess_geometry *g) {
    ASSERT_EQ(vrt_result_count(r), n);
    for (int i = 0; i < n; i++) {
        vrt_detection d;
        ASSERT_OK(vrt_result_detection(r, i, &d));
        ASSERT_EQ(d.class_id, ref[i].cls);
        ASSERT_NEAR(d.score, ref[i].score, 1e-6);
        ASSERT_NEAR(d.box.x1, fmin(fmax(to_frame_x(g, ref[i].box[0]), 0), g->frame_w), 1e-3);
        ASSERT_NEAR(d.box.y2, fmin(fmax(to_frame_y(g, ref[i].box[3]), 0), g->frame_h), 1e-3);
    }
}

TEST(yolov8_seg_against_reference) {
    enum { N = 60, C = 3, M = 4, PW = 16, PH = 12 };
    vrt_profile p;
    profile(&p, "task = segment-yolov8\nwidth = 64\nheight = 48\nresize = letterbox\nplacement = center\n"
                "score_threshold = 0.6\niou_threshold = 0.5\nmask_threshold = 0.5\n");
    static float o[(4 + C + M) * N], pr[M * PH * PW];
    fill_yolo(o, N, C, M, 64, 48);
    for (int i = 0; i < M * PH * PW; i++)
        pr[i] = frand(-3, 3);
    vrt_model_tensor_info outs[2] = {{.name = "output0", .ndim = 3, .dims = {1, 4 + C + M, N}},
                                     {.name = "output1", .ndim = 4, .dims = {1, M, PH, PW}}};
    vrt_head_t *h = open_head(&p, outs, 2);
    ASSERT_OK(vrt_head_reserve(h, 130, 90));
    vrt_preprocess_geometry g;
    geom(&p, 130, 90, &g);
    const float *bufs[2] = {o, pr};
    size_t counts[2] = {(4 + C + M) * N, M * PH * PW};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_head_run(h, bufs, counts, 2, &g, &r));
    static ref_det ref[256];
    int n = ref_nms(o, N, C, 0.6, 0.5, 100, ref);
    ASSERT_TRUE(n >= 3);
    check_boxes(r, ref, n, &g);
    int w, hh;
    size_t stride;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_INSTANCES, &w, &hh, &stride, NULL);
    ASSERT_TRUE(m != NULL);
    ASSERT_EQ(w, 130);
    int inside = 0, on = 0;
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++) {
            int want = 0, near_edge = 0;
            for (int i = 0; i < n && !want; i++) {
                vrt_detection d;
                vrt_result_detection(r, i, &d);
                if (!(x + 0.5 >= d.box.x1 && x + 0.5 < d.box.x2 && y + 0.5 >= d.box.y1 && y + 0.5 < d.box.y2))
                    continue;
                double acc = 0;
                int valid;
                for (int k = 0; k < M; k++)
                    acc += o[(4 + C + k) * N + ref[i].anchor] *
                           ref_sample(pr + k * PH * PW, PW, PH, 64, 48, &g, x, y, &valid);
                if (fabs(acc) < 1e-4) near_edge = 1;
                if (1 / (1 + exp(-acc)) > 0.5) want = i + 1;
                inside++;
            }
            if (near_edge) continue;
            ASSERT_EQ(m[y * stride + x], want);
            on += want > 0;
        }
    ASSERT_TRUE(inside > 0 && on > 0);
    /* JSON: detection 0's mask as run lengths over its region equals the map. */
    static char buf[1 << 18];
    vrt_json jw;
    vrt_json_init_buffer(&jw, buf, sizeof(buf));
    vrt_json_begin_object(&jw);
    vrt_result_json_extras(r, &jw);
    vrt_json_end_object(&jw);
    ASSERT_OK(vrt_json_finish(&jw));
    const char *q = strstr(buf, "\"region\":[");
    ASSERT_TRUE(q != NULL);
    char *e;
    int rx = (int)strtol(q + 10, &e, 10), ry = (int)strtol(e + 1, &e, 10);
    int rw = (int)strtol(e + 1, &e, 10), rh = (int)strtol(e + 1, &e, 10);
    q = strstr(e, "\"rle\":[") + 7;
    long pos = 0, total = (long)rw * rh;
    int cur = 0;
    while (*q != ']') {
        long run = strtol(q, &e, 10);
        for (long k = 0; k < run; k++, pos++) {
            ASSERT_TRUE(pos < total);
            int x = rx + (int)(pos % rw), y = ry + (int)(pos / rw);
            ASSERT_EQ(m[y * stride + x] == 1, cur);
        }
        cur = !cur;
        q = *e == ',' ? e + 1 : e;
    }
    ASSERT_EQ(pos, total);
    vrt_head_destroy(&h);
}

TEST(yolov8_pose_against_reference) {
    enum { N = 50, K = 17 };
    vrt_profile p;
    profile(&p, "task = pose-yolov8\nwidth = 64\nheight = 64\nresize = letterbox\nscore_threshold = 0.5\n"
                "iou_threshold = 0.6\n");
    static float o[(5 + 3 * K) * N];
    fill_yolo(o, N, 1, 3 * K, 64, 64);
    vrt_model_tensor_info info = {.name = "output0", .ndim = 3, .dims = {1, 5 + 3 * K, N}};
    vrt_head_t *h = open_head(&p, &info, 1);
    vrt_preprocess_geometry g;
    geom(&p, 200, 100, &g);
    const float *bufs[1] = {o};
    size_t counts[1] = {(5 + 3 * K) * N};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_head_run(h, bufs, counts, 1, &g, &r));
    ASSERT_EQ(vrt_result_kind(r), VRT_RESULT_KEYPOINTS);
    ASSERT_EQ(vrt_result_num_keypoints(r), K);
    static ref_det ref[256];
    int n = ref_nms(o, N, 1, 0.5, 0.6, 100, ref);
    ASSERT_TRUE(n >= 3);
    check_boxes(r, ref, n, &g);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < K; j++) {
            float x, y, s;
            ASSERT_OK(vrt_result_keypoint(r, i, j, &x, &y, &s));
            const int a = ref[i].anchor;
            ASSERT_NEAR(x, to_frame_x(&g, o[(5 + 3 * j) * N + a]), 1e-3);
            ASSERT_NEAR(y, to_frame_y(&g, o[(6 + 3 * j) * N + a]), 1e-3);
            ASSERT_NEAR(s, o[(7 + 3 * j) * N + a], 0);
        }
    ASSERT_STATUS(vrt_result_keypoint(r, n, 0, NULL, NULL, NULL), VRT_EINVAL);
    ASSERT_STATUS(vrt_result_keypoint(r, 0, K, NULL, NULL, NULL), VRT_EINVAL);
    vrt_head_destroy(&h);
    /* 17 keypoints do not fit 50 channels. */
    char err[512];
    info.dims[1] = 50;
    ASSERT_STATUS(vrt_head_open(&p, &info, 1, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "output0");
}

int main(void) {
    VRT_RUN(detr_against_reference);
    VRT_RUN(depth_against_reference);
    VRT_RUN(argmax_against_reference);
    VRT_RUN(yolov8_seg_against_reference);
    VRT_RUN(yolov8_pose_against_reference);
    return vrt_test_finish();
}
