/* Kernels of the heads beyond boxes, each the CUDA twin of a CPU function
 * in ../head_dense.c, ../head_detr.c or ../head_yolo_seg.c, with the
 * per-pixel arithmetic shared through ../dense.h (explicit round-to-nearest
 * intrinsics, no FMA contraction) so the results equal the CPU's:
 *   depth:   sample (one thread per frame pixel, raw map, min/max/sum/count
 *            by block reduction + atomics) -> colour (normalised map, colour
 *            image, the stats header); with a refinement, the sampled map
 *            goes to a scratch map, the guided filter (guided.cu) writes the
 *            raw map, then stats and colour from it;
 *   argmax:  one thread per frame pixel over the classes;
 *   detr:    one block: per query softmax + best class, then each
 *            candidate's rank by counting the keys before it (score
 *            descending, query ascending), the best max_detections written;
 *   masks:   one thread per frame pixel over the kept detections (after
 *            the NMS of nms.cu wrote them and their anchors);
 *   pose:    one thread per (detection, keypoint).
 * No allocation, no synchronisation: capturable into the session's graph. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vision/colormap_data.h"
#include "vision/cuda/vision_cuda.h"

static __constant__ uint8_t vrt__k_turbo[256][3] = VRT__COLORMAP_TURBO_DATA;
static __constant__ uint8_t vrt__k_inferno[256][3] = VRT__COLORMAP_INFERNO_DATA;

/* Floats as ascending unsigned keys (NaN never reaches these). */
static __device__ __forceinline__ uint32_t vrt__d_fkey(float f) {
    uint32_t u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static __device__ __forceinline__ float vrt__d_keyf(uint32_t k) {
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    return __uint_as_float(u);
}

/* ---- depth ------------------------------------------------------------------ */

typedef struct vrt__depth_ws {
    uint32_t lo, hi; /* keys */
    double sum;
    int count;
} vrt__depth_ws;

typedef struct vrt__depth_maps {
    size_t raw, norm, color;       /* offsets; color 0 with no colour map */
    size_t raw_s, norm_s, color_s; /* strides */
} vrt__depth_maps;

static __global__ void vrt__k_depth_init(vrt__depth_ws *ws) {
    ws->lo = 0xffffffffu;
    ws->hi = 0;
    ws->sum = 0.0;
    ws->count = 0;
}

/* Frame pixel i's raw depth: sampled from the network output (out), or read
 * back from the raw map (out NULL: after the refinement), written to dst
 * (row stride dst_s bytes; NULL: not written); with ws, the valid
 * (non-NaN) values' min/max/sum/count by block reduction + atomics. */
static __global__ void __launch_bounds__(256)
    vrt__k_depth_sample(const float *out, vrt__dense_geom g, const uint8_t *src, size_t src_s, uint8_t *dst,
                        size_t dst_s, vrt__depth_ws *ws) {
    __shared__ uint32_t s_lo[256], s_hi[256];
    __shared__ double s_sum[256];
    __shared__ int s_n[256];
    const int t = threadIdx.x;
    const long i = (long)blockIdx.x * blockDim.x + t;
    uint32_t lo = 0xffffffffu, hi = 0;
    double sum = 0.0;
    int n = 0;
    if (i < (long)g.frame_w * g.frame_h) {
        const int px = (int)(i % g.frame_w), py = (int)(i / g.frame_w);
        float v;
        if (out) {
            vrt__dense_taps tp = vrt__dense_taps_at(&g, px, py);
            v = tp.valid ? vrt__dense_sample(out, &tp) : __int_as_float(0x7fc00000);
        } else {
            v = ((const float *)(src + (size_t)py * src_s))[px];
        }
        if (dst) ((float *)(dst + (size_t)py * dst_s))[px] = v;
        if (!isnan(v)) {
            lo = hi = vrt__d_fkey(v);
            sum = v;
            n = 1;
        }
    }
    if (!ws) return;
    s_lo[t] = lo, s_hi[t] = hi, s_sum[t] = sum, s_n[t] = n;
    __syncthreads();
    for (int d = 128; d > 0; d >>= 1) {
        if (t < d) {
            s_lo[t] = min(s_lo[t], s_lo[t + d]);
            s_hi[t] = max(s_hi[t], s_hi[t + d]);
            s_sum[t] += s_sum[t + d];
            s_n[t] += s_n[t + d];
        }
        __syncthreads();
    }
    if (t == 0 && s_n[0]) {
        atomicMin(&ws->lo, s_lo[0]);
        atomicMax(&ws->hi, s_hi[0]);
        atomicAdd(&ws->sum, s_sum[0]);
        atomicAdd(&ws->count, s_n[0]);
    }
}

static __global__ void vrt__k_depth_color(vrt__dense_geom g, vrt__depth_maps m, int colormap, uint8_t *res,
                                          const vrt__depth_ws *ws) {
    const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    const int n = ws->count;
    const float mn = n ? vrt__d_keyf(ws->lo) : 0.0f, mx = n ? vrt__d_keyf(ws->hi) : 0.0f;
    if (i == 0) {
        vrt__depth_stats *st = (vrt__depth_stats *)res;
        st->min = mn;
        st->max = mx;
        st->mean = n ? __double2float_rn(ws->sum / n) : 0.0f;
        st->valid = n;
    }
    if (i >= (long)g.frame_w * g.frame_h) return;
    const int px = (int)(i % g.frame_w), py = (int)(i / g.frame_w);
    const float rv = ((const float *)(res + m.raw + (size_t)py * m.raw_s))[px];
    const bool nan = isnan(rv);
    const float nv = nan ? rv : vrt__dense_norm(rv, mn, mx);
    ((float *)(res + m.norm + (size_t)py * m.norm_s))[px] = nv;
    if (!m.color) return;
    uint8_t *c = res + m.color + (size_t)py * m.color_s + 3 * (size_t)px;
    const int k = nan ? 0 : vrt__dense_color_index(nv);
    for (int j = 0; j < 3; j++)
        c[j] = nan ? 0 : colormap == VRT_COLORMAP_INFERNO ? vrt__k_inferno[k][j] : vrt__k_turbo[k][j];
}

static const vrt__result_map *vrt__find(const vrt__result_layout *l, vrt_map_id id) {
    for (int i = 0; i < l->num_maps; i++)
        if (l->maps[i].id == id) return &l->maps[i];
    return NULL;
}

extern "C" cudaError_t vrt__cuda_depth_launch(const float *out, const vrt__dense_geom *dg,
                                              const vrt__result_layout *l, int colormap, void *ws, void *res,
                                              float *raw_to, cudaStream_t s) {
    const vrt__result_map *r = vrt__find(l, VRT_MAP_DEPTH_RAW), *n = vrt__find(l, VRT_MAP_DEPTH),
                          *c = vrt__find(l, VRT_MAP_DEPTH_COLOR);
    if (!r || !n) return cudaErrorInvalidValue;
    vrt__depth_maps m = {r->offset, n->offset, c ? c->offset : 0, r->stride, n->stride, c ? c->stride : 0};
    const long px = (long)dg->frame_w * dg->frame_h;
    const unsigned blocks = (unsigned)((px + 255) / 256);
    uint8_t *raw = (uint8_t *)res + m.raw;
    if (raw_to) { /* the raw map only, into raw_to (frame_w floats a row): the refinement's input */
        vrt__k_depth_sample<<<blocks, 256, 0, s>>>(out, *dg, NULL, 0, (uint8_t *)raw_to,
                                                   (size_t)dg->frame_w * sizeof(float), NULL);
        return cudaGetLastError();
    }
    vrt__k_depth_init<<<1, 1, 0, s>>>((vrt__depth_ws *)ws);
    /* out NULL: the raw map is already in res (refined): stats from it */
    vrt__k_depth_sample<<<blocks, 256, 0, s>>>(out, *dg, raw, m.raw_s, out ? raw : NULL, m.raw_s,
                                               (vrt__depth_ws *)ws);
    vrt__k_depth_color<<<blocks, 256, 0, s>>>(*dg, m, colormap, (uint8_t *)res, (const vrt__depth_ws *)ws);
    return cudaGetLastError();
}

/* ---- segment-argmax ------------------------------------------------------------ */

static __global__ void vrt__k_argmax(const float *out, int C, vrt__dense_geom g, size_t off, size_t stride,
                                     uint8_t *res) {
    const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)g.frame_w * g.frame_h) return;
    const int px = (int)(i % g.frame_w), py = (int)(i / g.frame_w);
    vrt__dense_taps tp = vrt__dense_taps_at(&g, px, py);
    const size_t plane = (size_t)g.map_w * (size_t)g.map_h;
    int best = 0;
    float bv = vrt__dense_sample(out, &tp);
    for (int c = 1; c < C; c++) {
        float v = vrt__dense_sample(out + (size_t)c * plane, &tp);
        if (v > bv || (isnan(bv) && !isnan(v))) best = c, bv = v;
    }
    res[off + (size_t)py * stride + (size_t)px] = (uint8_t)best;
}

extern "C" cudaError_t vrt__cuda_argmax_launch(const float *out, int C, const vrt__dense_geom *dg,
                                               const vrt__result_layout *l, void *res, cudaStream_t s) {
    const vrt__result_map *m = vrt__find(l, VRT_MAP_CLASSES);
    if (!m) return cudaErrorInvalidValue;
    const long px = (long)dg->frame_w * dg->frame_h;
    vrt__k_argmax<<<(unsigned)((px + 255) / 256), 256, 0, s>>>(out, C, *dg, m->offset, m->stride,
                                                               (uint8_t *)res);
    return cudaGetLastError();
}

/* ---- boxes back to the frame (as vrt__detections_to_frame) ------------------- */

typedef struct vrt__frame_map {
    int has_geom, clip;
    double offx, offy, scx, scy;
    uint32_t roi_x, roi_y;
    float W, H; /* clip bounds */
} vrt__frame_map;

static vrt__frame_map vrt__frame_map_make(const vrt_preprocess_geometry *g, int clip, uint32_t in_w,
                                          uint32_t in_h) {
    vrt__frame_map f;
    memset(&f, 0, sizeof(f));
    f.clip = clip;
    f.W = (float)(g ? g->frame_w : in_w);
    f.H = (float)(g ? g->frame_h : in_h);
    if (g) {
        f.has_geom = 1;
        f.offx = g->offset_x, f.offy = g->offset_y, f.scx = g->scale_x, f.scy = g->scale_y;
        f.roi_x = g->roi_x, f.roi_y = g->roi_y;
    }
    return f;
}

static __device__ __forceinline__ float vrt__d_to_frame(float v, double off, double sc, uint32_t roi) {
    return __double2float_rn(__dadd_rn(__ddiv_rn(__dsub_rn((double)v, off), sc), (double)roi));
}

static __device__ void vrt__d_box_to_frame(const vrt__frame_map &f, vrt_box *b) {
    if (f.has_geom) {
        b->x1 = vrt__d_to_frame(b->x1, f.offx, f.scx, f.roi_x);
        b->x2 = vrt__d_to_frame(b->x2, f.offx, f.scx, f.roi_x);
        b->y1 = vrt__d_to_frame(b->y1, f.offy, f.scy, f.roi_y);
        b->y2 = vrt__d_to_frame(b->y2, f.offy, f.scy, f.roi_y);
    }
    if (f.clip) {
        b->x1 = fminf(fmaxf(b->x1, 0.0f), f.W);
        b->x2 = fminf(fmaxf(b->x2, 0.0f), f.W);
        b->y1 = fminf(fmaxf(b->y1, 0.0f), f.H);
        b->y2 = fminf(fmaxf(b->y2, 0.0f), f.H);
    }
}

/* ---- DETR -------------------------------------------------------------------- */

#define VRT__DETR_THREADS 256

/* As vrt__detr_query (head_detr.c). */
static __device__ void vrt__d_detr_query(const float *l, const float *box, int C, float W, float H,
                                         float *score, int *cls, vrt_box *b) {
    float mx = l[0];
    for (int k = 1; k <= C; k++)
        mx = fmaxf(mx, l[k]);
    float sum = 0.0f;
    for (int k = 0; k <= C; k++)
        sum = __fadd_rn(sum, __double2float_rn(exp((double)__fsub_rn(l[k], mx))));
    int best = 0;
    for (int k = 1; k < C; k++)
        if (l[k] > l[best]) best = k;
    *cls = best;
    *score = __fdiv_rn(__double2float_rn(exp((double)__fsub_rn(l[best], mx))), sum);
    const float hw = __fmul_rn(0.5f, box[2]), hh = __fmul_rn(0.5f, box[3]);
    b->x1 = __fmul_rn(__fsub_rn(box[0], hw), W);
    b->y1 = __fmul_rn(__fsub_rn(box[1], hh), H);
    b->x2 = __fmul_rn(__fadd_rn(box[0], hw), W);
    b->y2 = __fmul_rn(__fadd_rn(box[1], hh), H);
}

static __global__ void __launch_bounds__(VRT__DETR_THREADS)
    vrt__k_detr(const float *logits, const float *boxes, int Q, int C, int K, float thr, float W, float H,
                vrt__frame_map f, vrt_detections *out) {
    extern __shared__ unsigned long long keys[];
    __shared__ int ncand;
    const int t = threadIdx.x;
    if (t == 0) ncand = 0;
    __syncthreads();
    for (int q = t; q < Q; q += blockDim.x) {
        float s;
        int c;
        vrt_box b;
        vrt__d_detr_query(logits + (size_t)q * (size_t)(C + 1), boxes + 4 * (size_t)q, C, W, H, &s, &c, &b);
        const bool pass = s > thr;
        keys[q] = pass ? ((unsigned long long)(~vrt__d_fkey(s)) << 32) | (uint32_t)q : ~0ull;
        if (pass) atomicAdd(&ncand, 1);
    }
    __syncthreads();
    for (int q = t; q < Q; q += blockDim.x) {
        const unsigned long long k = keys[q];
        if (k == ~0ull) continue;
        int rank = 0;
        for (int j = 0; j < Q && rank < K; j++)
            rank += keys[j] < k;
        if (rank >= K) continue;
        float s;
        int c;
        vrt_box b;
        vrt__d_detr_query(logits + (size_t)q * (size_t)(C + 1), boxes + 4 * (size_t)q, C, W, H, &s, &c, &b);
        vrt__d_box_to_frame(f, &b);
        out->det[rank].box = b;
        out->det[rank].score = s;
        out->det[rank].class_id = c;
    }
    if (t == 0) {
        out->count = min(ncand, K);
        out->candidates = ncand;
    }
}

extern "C" cudaError_t vrt__cuda_detr_launch(const float *logits, const float *boxes,
                                             const vrt_detect_params *p, const vrt_preprocess_geometry *g,
                                             vrt_detections *out, cudaStream_t s) {
    const int Q = p->num_anchors;
    vrt__frame_map f = vrt__frame_map_make(g, p->clip, p->input_w, p->input_h);
    vrt__k_detr<<<1, VRT__DETR_THREADS, (size_t)Q * sizeof(unsigned long long), s>>>(
        logits, boxes, Q, p->num_classes, p->max_detections, p->score_threshold, (float)p->input_w,
        (float)p->input_h, f, out);
    return cudaGetLastError();
}

/* ---- segment-yolov8 masks, pose-yolov8 keypoints ---------------------------------- */

static __global__ void vrt__k_seg_masks(const float *out0, int N, int C, int M, const float *protos,
                                        vrt__dense_geom g, float lt, const int *anchors, size_t off,
                                        size_t stride, uint8_t *res) {
    const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)g.frame_w * g.frame_h) return;
    const int px = (int)(i % g.frame_w), py = (int)(i / g.frame_w);
    const vrt_detections *d = (const vrt_detections *)res;
    const size_t n = (size_t)N, plane = (size_t)g.map_w * (size_t)g.map_h;
    const float *coef0 = out0 + (size_t)(4 + C) * n;
    int v = 0;
    bool have_taps = false;
    vrt__dense_taps tp;
    for (int k = 0; k < d->count && !v; k++) {
        if (!vrt__dense_in_box(&d->det[k].box, px, py)) continue;
        if (!have_taps) tp = vrt__dense_taps_at(&g, px, py), have_taps = true;
        float acc = 0.0f;
        for (int m = 0; m < M; m++)
            acc = __fadd_rn(acc, __fmul_rn(coef0[(size_t)m * n + (size_t)anchors[k]],
                                           vrt__dense_sample(protos + (size_t)m * plane, &tp)));
        if (acc > lt) v = k + 1;
    }
    res[off + (size_t)py * stride + (size_t)px] = (uint8_t)v;
}

extern "C" cudaError_t vrt__cuda_seg_masks_launch(const float *out0, int N, int C, int M, const float *protos,
                                                  const vrt__dense_geom *dg, float logit_thr,
                                                  const int *anchors, const vrt__result_layout *l, void *res,
                                                  cudaStream_t s) {
    const vrt__result_map *m = vrt__find(l, VRT_MAP_INSTANCES);
    if (!m) return cudaErrorInvalidValue;
    const long px = (long)dg->frame_w * dg->frame_h;
    vrt__k_seg_masks<<<(unsigned)((px + 255) / 256), 256, 0, s>>>(
        out0, N, C, M, protos, *dg, logit_thr, anchors, m->offset, m->stride, (uint8_t *)res);
    return cudaGetLastError();
}

static __global__ void vrt__k_pose(const float *out0, int N, int C, int K, int maxdet, vrt__frame_map f,
                                   const int *anchors, size_t kp_off, uint8_t *res) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= maxdet * K) return;
    const int det = i / K, j = i % K;
    const vrt_detections *d = (const vrt_detections *)res;
    if (det >= d->count) return;
    const size_t n = (size_t)N, a = (size_t)anchors[det];
    const float *k0 = out0 + (size_t)(4 + C) * n;
    float *p = (float *)(res + kp_off) + (size_t)i * 3;
    float x = k0[(size_t)(3 * j) * n + a], y = k0[(size_t)(3 * j + 1) * n + a];
    if (f.has_geom) {
        x = vrt__d_to_frame(x, f.offx, f.scx, f.roi_x);
        y = vrt__d_to_frame(y, f.offy, f.scy, f.roi_y);
    }
    p[0] = x;
    p[1] = y;
    p[2] = k0[(size_t)(3 * j + 2) * n + a];
}

extern "C" cudaError_t vrt__cuda_pose_launch(const float *out0, int N, int C,
                                             const vrt_preprocess_geometry *g, const int *anchors,
                                             const vrt__result_layout *l, void *res, cudaStream_t s) {
    vrt__frame_map f = vrt__frame_map_make(g, 0, 0, 0);
    const int total = l->max_detections * l->num_keypoints;
    vrt__k_pose<<<(unsigned)((total + 255) / 256), 256, 0, s>>>(
        out0, N, C, l->num_keypoints, l->max_detections, f, anchors, l->keypoints_offset, (uint8_t *)res);
    return cudaGetLastError();
}
