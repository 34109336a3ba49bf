/* YOLOX / YOLOv8 decode + class-aware NMS on the GPU into one fixed-size
 * vrt_detections, as vrt_detector_run computes it (postprocess.c).
 *
 * Six launches, no allocation, no host synchronisation (capturable):
 *   1. init:    zero the per-class counters.
 *   2. count:   one thread per (anchor, class): decode the anchor's box (class
 *               0's thread), score the pair, count candidates per class.
 *   3. scan:    one block: exclusive scan of the counts -> class segments.
 *   4. scatter: the same scores again, each candidate's key into its class
 *               segment. Key = (score descending, anchor ascending) as one
 *               ascending 64-bit integer, so the order is total and the
 *               atomics' arbitrary placement does not matter after the sort.
 *   5. nms:     one block per class: bitonic sort of the segment (shared
 *               memory when it fits, else in place in the workspace), then
 *               greedy NMS in that order until max_detections are kept.
 *   6. merge:   one block per class: each kept detection's rank in the final
 *               list (score desc, class asc, anchor asc: the order in which
 *               the CPU's insertion leaves them) by binary search in every
 *               class's kept list; ranks < max_detections are written.
 *
 * The SSD heads (head_ssd.c) run the same passes 1-6 after one pre-pass
 * (vrt__k_ssd_prep, one thread per anchor) that writes the decoded boxes
 * (raw: priors and variances) and, for logits, the softmax per anchor; their
 * pairs pass reads the foreground classes 1..C-1 and reports the model's
 * class ids (class_base 1).
 *
 * Exactness: box decode, scores and IoU use explicit round-to-nearest
 * intrinsics in the CPU's operation order (no FMA contraction), so scores
 * and NMS decisions are the CPU's. exp() is computed in double and rounded
 * to float, which equals glibc's expf except in rare last-bit cases. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vision/cuda/vision_cuda.h"

#define VRT__NMS_THREADS 256 /* >= VRT_DETECT_MAX: one thread per kept slot in merge */
#define VRT__NMS_SORT_SHARED 4096

/* Workspace layout: each part 256-byte aligned. */
typedef struct vrt__nms_ws {
    int *counts;              /* [C] candidates per class */
    int *offsets;             /* [C + 1] exclusive scan of counts */
    int *cursor;              /* [C] scatter positions */
    int *kept_count;          /* [C] */
    int *misc;                /* [0]: total kept */
    float4 *box;              /* [N] decoded boxes in input pixels */
    unsigned long long *keys; /* [N * C] candidate keys, class segments */
    unsigned long long *kept; /* [C * max_det] kept keys per class, in order */
    float *prob;              /* SSD with softmax: [N * (C + 1)] per anchor (background first) */
} vrt__nms_ws;

static size_t vrt__al(size_t v) {
    return (v + 255) & ~(size_t)255;
}

/* prob: floats of the SSD raw head's softmax scratch (0 for the others). */
static size_t vrt__nms_layout(const vrt_detect_params *p, size_t prob, uint8_t *base, vrt__nms_ws *ws) {
    const size_t C = (size_t)p->num_classes, N = (size_t)p->num_anchors, K = (size_t)p->max_detections;
    size_t off = 0;
#define VRT__PART(field, type, count)                                                                        \
    do {                                                                                                     \
        if (ws) ws->field = (type *)(base + off);                                                            \
        off += vrt__al(sizeof(type) * (count));                                                              \
    } while (0)
    VRT__PART(counts, int, C);
    VRT__PART(offsets, int, C + 1);
    VRT__PART(cursor, int, C);
    VRT__PART(kept_count, int, C);
    VRT__PART(misc, int, 4);
    VRT__PART(box, float4, N);
    VRT__PART(keys, unsigned long long, N *C);
    VRT__PART(kept, unsigned long long, C *K);
    VRT__PART(prob, float, prob);
#undef VRT__PART
    return off;
}

extern "C" size_t vrt__cuda_detect_workspace(const vrt_detect_params *p) {
    return vrt__nms_layout(p, 0, NULL, NULL);
}

/* The SSD heads' NMS runs over the foreground classes (C - 1). */
static vrt_detect_params vrt__ssd_nms_params(const vrt_detect_params *p) {
    vrt_detect_params q = *p;
    q.num_classes = p->num_classes - 1;
    return q;
}

extern "C" size_t vrt__cuda_ssd_workspace(const vrt_detect_params *p, int softmax) {
    vrt_detect_params q = vrt__ssd_nms_params(p);
    return vrt__nms_layout(&q, softmax ? (size_t)p->num_anchors * (size_t)p->num_classes : 0, NULL, NULL);
}

/* Kind of the SSD heads in vrt__nms_cfg (not a vrt_detect_kind): boxes are
 * decoded before the pairs pass, the score of (a, c) is src[a * (C + 1) + c + 1]. */
#define VRT__NMS_SSD 100

/* The parameters the kernels need, by value. */
typedef struct vrt__nms_cfg {
    int kind, C, N, K, apply_sigmoid, clip;
    int class_base; /* reported class id = c + class_base */
    float thr, iou;
    int num_strides;
    int strides[VRT_DETECT_MAX_STRIDES];
    uint32_t input_w, input_h;
    int has_geom;
    double offx, offy, scx, scy;
    uint32_t roi_x, roi_y, frame_w, frame_h;
    int *anchors; /* device, or NULL: the anchor of each detection written */
} vrt__nms_cfg;

/* exp in double, rounded once: glibc's expf is also (almost always) the
 * correctly rounded value; CUDA's expf may be 2 ulp off. */
static __device__ __forceinline__ float vrt__d_expf(float x) {
    return __double2float_rn(exp((double)x));
}
static __device__ __forceinline__ float vrt__d_sigm(float x) {
    return __fdiv_rn(1.0f, __fadd_rn(1.0f, vrt__d_expf(-x)));
}

/* Score of (anchor a, class c), as class_score() with obj recomputed. */
static __device__ __forceinline__ float vrt__d_pair_score(const vrt__nms_cfg &g, const float *o, int a,
                                                          int c) {
    float s, obj;
    if (g.kind == VRT__NMS_SSD) return o[(size_t)a * (size_t)(g.C + 1) + (size_t)c + 1];
    if (g.kind == VRT_DETECT_YOLOX) {
        const float *r = o + (size_t)a * (size_t)(5 + g.C);
        s = r[5 + c];
        obj = g.apply_sigmoid ? vrt__d_sigm(r[4]) : r[4];
    } else {
        s = o[(size_t)(4 + c) * (size_t)g.N + (size_t)a];
        obj = 1.0f;
    }
    if (g.apply_sigmoid) s = vrt__d_sigm(s);
    return __fmul_rn(s, obj);
}

/* Ascending key = score descending (+0 and -0 equal, as the CPU compares
 * them), then anchor ascending. Scores here are > a finite threshold: no NaN. */
static __device__ __forceinline__ unsigned long long vrt__d_key(float s, int a) {
    if (s == 0.0f) s = 0.0f;
    uint32_t u = __float_as_uint(s);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u); /* ascending with s */
    return ((unsigned long long)(~u) << 32) | (uint32_t)a;
}
static __device__ __forceinline__ float vrt__d_key_score(unsigned long long k) {
    uint32_t u = ~(uint32_t)(k >> 32);
    u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
    return __uint_as_float(u);
}

static __global__ void vrt__k_nms_init(vrt__nms_ws ws, int C) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < C; i += gridDim.x * blockDim.x)
        ws.counts[i] = 0;
    if (blockIdx.x == 0 && threadIdx.x < 4) ws.misc[threadIdx.x] = 0;
}

/* Pass 1 (scatter = 0): decode boxes, count. Pass 2 (scatter = 1): keys. */
static __global__ void vrt__k_nms_pairs(vrt__nms_cfg g, const float *o, vrt__nms_ws ws, int scatter) {
    const size_t total = (size_t)g.N * (size_t)g.C;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        int a, c;
        /* Thread order follows the memory order of the scores (coalesced). */
        if (g.kind != VRT_DETECT_YOLOV8) {
            a = (int)(i / (size_t)g.C);
            c = (int)(i % (size_t)g.C);
        } else {
            c = (int)(i / (size_t)g.N);
            a = (int)(i % (size_t)g.N);
        }
        if (!scatter && c == 0 && g.kind != VRT__NMS_SSD) {
            float cx, cy, w, h;
            if (g.kind == VRT_DETECT_YOLOX) {
                const float *r = o + (size_t)a * (size_t)(5 + g.C);
                int rem = a, gx = 0, gy = 0, st = 1;
                for (int k = 0; k < g.num_strides; k++) {
                    st = g.strides[k];
                    int gw = (int)g.input_w / st, gh = (int)g.input_h / st;
                    if (rem < gw * gh) {
                        gx = rem % gw;
                        gy = rem / gw;
                        break;
                    }
                    rem -= gw * gh;
                }
                const float s = (float)st;
                cx = __fmul_rn(__fadd_rn(r[0], (float)gx), s);
                cy = __fmul_rn(__fadd_rn(r[1], (float)gy), s);
                w = __fmul_rn(vrt__d_expf(r[2]), s);
                h = __fmul_rn(vrt__d_expf(r[3]), s);
            } else {
                cx = o[(size_t)a];
                cy = o[(size_t)g.N + (size_t)a];
                w = o[2 * (size_t)g.N + (size_t)a];
                h = o[3 * (size_t)g.N + (size_t)a];
            }
            const float hw = __fmul_rn(0.5f, w), hh = __fmul_rn(0.5f, h);
            ws.box[a] =
                make_float4(__fsub_rn(cx, hw), __fsub_rn(cy, hh), __fadd_rn(cx, hw), __fadd_rn(cy, hh));
        }
        float s = vrt__d_pair_score(g, o, a, c);
        if (!(s > g.thr)) continue;
        if (!scatter) {
            atomicAdd(&ws.counts[c], 1);
        } else {
            int pos = atomicAdd(&ws.cursor[c], 1);
            ws.keys[pos] = vrt__d_key(s, a);
        }
    }
}

/* One block of 1024: exclusive scan of counts[0..C) into offsets and cursor. */
static __global__ void __launch_bounds__(1024) vrt__k_nms_scan(vrt__nms_ws ws, int C) {
    __shared__ int warp_sums[32];
    __shared__ int carry;
    const int t = threadIdx.x, lane = t & 31, wid = t >> 5;
    if (t == 0) carry = 0;
    __syncthreads();
    for (int base = 0; base < C; base += 1024) {
        int v = base + t < C ? ws.counts[base + t] : 0;
        int x = v;
        for (int d = 1; d < 32; d <<= 1) {
            int y = __shfl_up_sync(0xffffffffu, x, d);
            if (lane >= d) x += y;
        }
        if (lane == 31) warp_sums[wid] = x;
        __syncthreads();
        if (wid == 0) {
            int w = warp_sums[lane];
            for (int d = 1; d < 32; d <<= 1) {
                int y = __shfl_up_sync(0xffffffffu, w, d);
                if (lane >= d) w += y;
            }
            warp_sums[lane] = w; /* inclusive over warps */
        }
        __syncthreads();
        int excl = carry + (wid ? warp_sums[wid - 1] : 0) + x - v;
        if (base + t < C) {
            ws.offsets[base + t] = excl;
            ws.cursor[base + t] = excl;
        }
        __syncthreads();
        if (t == 0) carry += warp_sums[31];
        __syncthreads();
    }
    if (t == 0) ws.offsets[C] = carry;
}

/* Ascending bitonic sort of k[0..n) with virtual +inf padding to a power of
 * two: every compare-exchange puts the smaller key at the lower index (the
 * first step of each merge compares mirrored pairs), so padding never moves
 * and pairs reaching past n are skipped. */
static __device__ void vrt__d_bitonic(unsigned long long *k, int n) {
    int P = 1;
    while (P < n)
        P <<= 1;
    for (int size = 2; size <= P; size <<= 1) {
        const int half = size >> 1;
        for (int i = threadIdx.x; i < P / 2; i += blockDim.x) {
            int blk = i / half, off = i % half;
            int a = blk * size + off, b = blk * size + size - 1 - off;
            if (b < n && k[a] > k[b]) {
                unsigned long long t = k[a];
                k[a] = k[b];
                k[b] = t;
            }
        }
        __syncthreads();
        for (int j = half >> 1; j >= 1; j >>= 1) {
            for (int i = threadIdx.x; i < P / 2; i += blockDim.x) {
                int a = (i / j) * 2 * j + (i % j), b = a + j;
                if (b < n && k[a] > k[b]) {
                    unsigned long long t = k[a];
                    k[a] = k[b];
                    k[b] = t;
                }
            }
            __syncthreads();
        }
    }
}

/* As vrt_box_iou (kept box a, candidate b), same operation order. */
static __device__ __forceinline__ float vrt__d_iou(float4 a, float4 b) {
    float aw = __fsub_rn(a.z, a.x), ah = __fsub_rn(a.w, a.y), bw = __fsub_rn(b.z, b.x),
          bh = __fsub_rn(b.w, b.y);
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0)) return 0.0f;
    float iw = __fsub_rn(fminf(a.z, b.z), fmaxf(a.x, b.x));
    float ih = __fsub_rn(fminf(a.w, b.w), fmaxf(a.y, b.y));
    if (!(iw > 0 && ih > 0)) return 0.0f;
    float inter = __fmul_rn(iw, ih);
    return __fdiv_rn(inter, __fsub_rn(__fadd_rn(__fmul_rn(aw, ah), __fmul_rn(bw, bh)), inter));
}

static __global__ void __launch_bounds__(VRT__NMS_THREADS) vrt__k_nms_class(vrt__nms_cfg g, vrt__nms_ws ws) {
    __shared__ unsigned long long skeys[VRT__NMS_SORT_SHARED];
    __shared__ float4 kbox[VRT_DETECT_MAX];
    __shared__ float4 cbox[VRT__NMS_THREADS];
    __shared__ int alive_s[VRT__NMS_THREADS];
    const int c = blockIdx.x, t = threadIdx.x;
    const int beg = ws.offsets[c], n = ws.offsets[c + 1] - beg;
    unsigned long long *keys = ws.keys + beg;
    unsigned long long *kept_keys = ws.kept + (size_t)c * (size_t)g.K;
    if (n == 0) {
        if (t == 0) ws.kept_count[c] = 0;
        return;
    }
    if (n <= VRT__NMS_SORT_SHARED) {
        for (int i = t; i < n; i += blockDim.x)
            skeys[i] = keys[i];
        __syncthreads();
        keys = skeys;
    }
    vrt__d_bitonic(keys, n);

    int kept = 0;
    for (int base = 0; base < n && kept < g.K; base += VRT__NMS_THREADS) {
        const int i = base + t;
        bool alive = i < n;
        unsigned long long key = 0;
        float4 b = make_float4(0, 0, 0, 0);
        if (alive) {
            key = keys[i];
            b = ws.box[(uint32_t)key];
            /* Suppressed by a box kept in an earlier chunk? */
            for (int k = 0; k < kept; k++)
                if (vrt__d_iou(kbox[k], b) > g.iou) {
                    alive = false;
                    break;
                }
        }
        cbox[t] = b;
        alive_s[t] = alive;
        __syncthreads();
        /* In order within the chunk: each survivor is kept and suppresses the
         * later ones. alive_s[j] is final once iteration j starts (only
         * entries > j are written in iteration j, then a barrier). */
        const int m = min(VRT__NMS_THREADS, n - base);
        for (int j = 0; j < m; j++) {
            if (!alive_s[j]) continue;
            if (t == j) {
                kbox[kept] = b;
                kept_keys[kept] = key;
            }
            kept++;
            if (kept == g.K) break;
            if (alive && t > j && vrt__d_iou(cbox[j], b) > g.iou) {
                alive = false;
                alive_s[t] = 0;
            }
            __syncthreads();
        }
        __syncthreads();
    }
    if (t == 0) {
        ws.kept_count[c] = kept;
        atomicAdd(&ws.misc[0], kept);
    }
}

/* Number of entries of a (ascending keys, n) whose score ranks before
 * score-part hi: strictly (hi greater) or, when ties count, also equal. */
static __device__ __forceinline__ int vrt__d_count_before(const unsigned long long *a, int n, uint32_t hi,
                                                          bool ties) {
    int lo = 0, up = n;
    while (lo < up) {
        int mid = (lo + up) >> 1;
        uint32_t h = (uint32_t)(a[mid] >> 32);
        if (h < hi || (ties && h == hi))
            lo = mid + 1;
        else
            up = mid;
    }
    return lo;
}

static __global__ void __launch_bounds__(VRT__NMS_THREADS)
    vrt__k_nms_merge(vrt__nms_cfg g, vrt__nms_ws ws, vrt_detections *out) {
    const int c = blockIdx.x, j = threadIdx.x;
    if (c == 0 && j == 0) {
        int k = ws.misc[0];
        out->count = k < g.K ? k : g.K;
        out->candidates = ws.offsets[g.C];
    }
    if (j >= ws.kept_count[c]) return;
    const unsigned long long key = ws.kept[(size_t)c * g.K + j];
    const uint32_t hi = (uint32_t)(key >> 32);
    int rank = j;
    for (int o = 0; o < g.C && rank < g.K; o++) {
        if (o == c) continue;
        rank += vrt__d_count_before(ws.kept + (size_t)o * g.K, ws.kept_count[o], hi, o < c);
    }
    if (rank >= g.K) return;
    float4 b = ws.box[(uint32_t)key];
    float x1 = b.x, y1 = b.y, x2 = b.z, y2 = b.w;
    if (g.has_geom) {
        x1 = __double2float_rn(__dadd_rn(__ddiv_rn(__dsub_rn((double)x1, g.offx), g.scx), (double)g.roi_x));
        x2 = __double2float_rn(__dadd_rn(__ddiv_rn(__dsub_rn((double)x2, g.offx), g.scx), (double)g.roi_x));
        y1 = __double2float_rn(__dadd_rn(__ddiv_rn(__dsub_rn((double)y1, g.offy), g.scy), (double)g.roi_y));
        y2 = __double2float_rn(__dadd_rn(__ddiv_rn(__dsub_rn((double)y2, g.offy), g.scy), (double)g.roi_y));
    }
    if (g.clip) {
        float W = g.has_geom ? (float)g.frame_w : (float)g.input_w;
        float H = g.has_geom ? (float)g.frame_h : (float)g.input_h;
        x1 = fminf(fmaxf(x1, 0.0f), W);
        x2 = fminf(fmaxf(x2, 0.0f), W);
        y1 = fminf(fmaxf(y1, 0.0f), H);
        y2 = fminf(fmaxf(y2, 0.0f), H);
    }
    vrt_detection *d = &out->det[rank];
    d->box.x1 = x1;
    d->box.y1 = y1;
    d->box.x2 = x2;
    d->box.y2 = y2;
    d->score = vrt__d_key_score(key);
    d->class_id = c + g.class_base;
    if (g.anchors) g.anchors[rank] = (int)(uint32_t)key;
}

static vrt__nms_cfg vrt__nms_config(const vrt_detect_params *p, const vrt_preprocess_geometry *geom) {
    vrt__nms_cfg g;
    memset(&g, 0, sizeof(g));
    g.kind = (int)p->kind;
    g.C = p->num_classes;
    g.N = p->num_anchors;
    g.K = p->max_detections;
    g.apply_sigmoid = p->apply_sigmoid;
    g.clip = p->clip;
    g.thr = p->score_threshold;
    g.iou = p->iou_threshold;
    g.num_strides = p->num_strides;
    for (int i = 0; i < VRT_DETECT_MAX_STRIDES; i++)
        g.strides[i] = p->strides[i];
    g.input_w = p->input_w;
    g.input_h = p->input_h;
    if (geom) {
        g.has_geom = 1;
        g.offx = geom->offset_x;
        g.offy = geom->offset_y;
        g.scx = geom->scale_x;
        g.scy = geom->scale_y;
        g.roi_x = geom->roi_x;
        g.roi_y = geom->roi_y;
        g.frame_w = geom->frame_w;
        g.frame_h = geom->frame_h;
    }
    return g;
}

/* Passes 1-6 over the scores in o (the model's output; SSD: boxes in ws.box already). */
static cudaError_t vrt__nms_launch(const vrt__nms_cfg &g, const float *output, const vrt__nms_ws &ws,
                                   vrt_detections *out, cudaStream_t s) {
    const size_t pairs = (size_t)g.N * (size_t)g.C;
    unsigned pair_blocks = (unsigned)((pairs + 255) / 256);
    if (pair_blocks > 65535u * 4u) pair_blocks = 65535u * 4u;
    unsigned init_blocks = (unsigned)((g.C + 255) / 256);
    if (init_blocks > 1024) init_blocks = 1024;
    vrt__k_nms_init<<<init_blocks, 256, 0, s>>>(ws, g.C);
    vrt__k_nms_pairs<<<pair_blocks, 256, 0, s>>>(g, output, ws, 0);
    vrt__k_nms_scan<<<1, 1024, 0, s>>>(ws, g.C);
    vrt__k_nms_pairs<<<pair_blocks, 256, 0, s>>>(g, output, ws, 1);
    vrt__k_nms_class<<<(unsigned)g.C, VRT__NMS_THREADS, 0, s>>>(g, ws);
    vrt__k_nms_merge<<<(unsigned)g.C, VRT__NMS_THREADS, 0, s>>>(g, ws, out);
    return cudaGetLastError();
}

extern "C" cudaError_t vrt__cuda_detect_launch(const vrt_detect_params *p, const float *output,
                                               const vrt_preprocess_geometry *geom, void *workspace,
                                               vrt_detections *out, cudaStream_t s) {
    return vrt__cuda_detect_launch_anchors(p, output, geom, workspace, out, NULL, s);
}

extern "C" cudaError_t vrt__cuda_detect_launch_anchors(const vrt_detect_params *p, const float *output,
                                                       const vrt_preprocess_geometry *geom, void *workspace,
                                                       vrt_detections *out, int *anchors, cudaStream_t s) {
    vrt__nms_ws ws;
    vrt__nms_layout(p, 0, (uint8_t *)workspace, &ws);
    vrt__nms_cfg g = vrt__nms_config(p, geom);
    g.anchors = anchors;
    return vrt__nms_launch(g, output, ws, out, s);
}

/* SSD pre-pass, one thread per anchor, in the CPU twin's operation order
 * (head_ssd.c): the box in input pixels into ws.box (raw: decoded with the
 * anchor's prior); with softmax the probabilities of its logits into ws.prob. */
static __global__ void vrt__k_ssd_prep(const float *scores, const float *boxes, const float *priors,
                                       int softmax, int N, int C, float cv, float sv, float W, float H,
                                       vrt__nms_ws ws) {
    const int a = blockIdx.x * blockDim.x + threadIdx.x;
    if (a >= N) return;
    const float *b = boxes + 4 * (size_t)a;
    float x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
    if (priors) {
        const float *p = priors + 4 * (size_t)a;
        float cx = __fadd_rn(__fmul_rn(__fmul_rn(b[0], cv), p[2]), p[0]);
        float cy = __fadd_rn(__fmul_rn(__fmul_rn(b[1], cv), p[3]), p[1]);
        float w = __fmul_rn(__double2float_rn(exp((double)__fmul_rn(b[2], sv))), p[2]);
        float h = __fmul_rn(__double2float_rn(exp((double)__fmul_rn(b[3], sv))), p[3]);
        const float hw = __fmul_rn(0.5f, w), hh = __fmul_rn(0.5f, h);
        x1 = __fsub_rn(cx, hw), y1 = __fsub_rn(cy, hh), x2 = __fadd_rn(cx, hw), y2 = __fadd_rn(cy, hh);
    }
    if (softmax) {
        const float *x = scores + (size_t)a * (size_t)C;
        float *y = ws.prob + (size_t)a * (size_t)C;
        float mx = x[0], sum = 0.0f;
        for (int k = 1; k < C; k++)
            mx = fmaxf(mx, x[k]);
        for (int k = 0; k < C; k++) {
            y[k] = __double2float_rn(exp((double)__fsub_rn(x[k], mx)));
            sum = __fadd_rn(sum, y[k]);
        }
        for (int k = 0; k < C; k++)
            y[k] = __fdiv_rn(y[k], sum);
    }
    ws.box[a] = make_float4(__fmul_rn(x1, W), __fmul_rn(y1, H), __fmul_rn(x2, W), __fmul_rn(y2, H));
}

extern "C" cudaError_t vrt__cuda_ssd_launch(const vrt_detect_params *p, const float *priors, int softmax,
                                            float cv, float sv, const float *scores, const float *boxes,
                                            const vrt_preprocess_geometry *geom, void *workspace,
                                            vrt_detections *out, cudaStream_t s) {
    vrt_detect_params q = vrt__ssd_nms_params(p);
    vrt__nms_ws ws;
    vrt__nms_layout(&q, softmax ? (size_t)p->num_anchors * (size_t)p->num_classes : 0, (uint8_t *)workspace,
                    &ws);
    vrt__nms_cfg g = vrt__nms_config(&q, geom);
    g.kind = VRT__NMS_SSD;
    g.class_base = 1;
    g.apply_sigmoid = 0;
    const int N = p->num_anchors;
    vrt__k_ssd_prep<<<(unsigned)((N + 255) / 256), 256, 0, s>>>(
        scores, boxes, priors, softmax, N, p->num_classes, cv, sv, (float)p->input_w, (float)p->input_h, ws);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    return vrt__nms_launch(g, softmax ? ws.prob : scores, ws, out, s);
}
