/* Guided filter, CUDA twin of src/vision/guided.c (vrt/vision.h): the box
 * means as separable passes, four kernels per call, each channel in grid z:
 *   H1 (one block per row segment of GF_HSEG pixels): the guide I and the
 *       input p of the segment and its reflected halo are fetched once into
 *       shared memory, the products I I and I p made, then each quantity's
 *       prefix sums over the segment in double (a block scan) give every
 *       horizontal window sum as one difference: hI, hp, hII, hIp (floats,
 *       as the CPU twin's row pass rounds them);
 *   V1 (one block per 32x32 tile): the tile's columns with a reflected halo
 *       of r rows in shared memory; one thread per (column, quantity) walks
 *       down with a running sum in double -> the four means -> a, b;
 *   H2, V2: the same two passes over a and b -> q = m(a) I + m(b), written
 *       as a float map or as 8 bits of an RGB24 frame.
 * Per pixel that is a constant number of additions whatever the radius
 * (the CPU twin's running sums), against (2r + 1) per pass for direct
 * window sums. The box sums of the guide's quantities (multiples of 2^-39
 * below 2^11) are exact in double in any order, so they equal the CPU
 * twin's bit for bit; sums of arbitrary floats (a, b, a map p) agree within
 * double rounding. The per-pixel formulas are guided_impl.h's.
 * Scratch per channel: 6 maps (hI/hA, hp/hB, hII, hIp, a, b). */
#include "vision/cuda/vision_cuda.h"
#include "vision/guided_impl.h"

#define GF_HSEG 1024 /* H: outputs per block */
#define GF_HT 256    /* H: threads */
#define GF_VW 32     /* V: tile width (one warp of columns) */
#define GF_VH 32     /* V: tile height */
#define GF_VT 256    /* V: threads */
#define GF_MAPS 6    /* scratch maps per channel */

typedef struct gf_args {
    vrt__cuda_src g; /* guide frame (and p for the frame filter) */
    int r;
    float eps;
    const float *src; /* map filter: p; NULL: the frame's channels */
    size_t src_stride;
    float *dst; /* map filter output */
    size_t dst_stride;
    uint8_t *rgb; /* frame filter output (RGB24) */
    size_t rgb_stride;
    float *maps; /* scratch: GF_MAPS maps of w x h per channel */
} gf_args;

static __device__ __forceinline__ float gf_guide(const vrt__cuda_src &g, int32_t x, int32_t y, int ch,
                                                 float *p) {
    int rgb[3];
    vrt__px_fetch_rgb_planes(g.fourcc, g.p0, g.s0, g.p1, g.s1, (uint32_t)x, (uint32_t)y, rgb);
    if (p) *p = __fdiv_rn((float)rgb[ch], 255.0f);
    return vrt__gf_luma(rgb);
}

/* P[0] = 0, P[i + 1] = v[0] + ... + v[i] for i < L, in double: each thread
 * sums a run of consecutive values, a warp scan and the warps' totals give
 * its start. Every thread of the block calls it; P is complete on return. */
static __device__ void gf_prefix(const float *v, int L, double *P, double *wsum) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int E = (L + GF_HT - 1) / GF_HT, b = threadIdx.x * E, e = min(b + E, L);
    double s = 0.0;
    for (int i = b; i < e; i++)
        s = __dadd_rn(s, (double)v[i]);
    double inc = s;
    for (int o = 1; o < 32; o <<= 1) {
        const double t = __shfl_up_sync(0xffffffffu, inc, o);
        if (lane >= o) inc = __dadd_rn(inc, t);
    }
    if (lane == 31) wsum[warp] = inc;
    __syncthreads();
    double ex = __shfl_up_sync(0xffffffffu, inc, 1); /* the warp's sum before this thread's run */
    if (lane == 0) ex = 0.0;
    double run = 0.0;
    for (int k = 0; k < warp; k++)
        run = __dadd_rn(run, wsum[k]);
    run = __dadd_rn(run, ex);
    if (threadIdx.x == 0) P[0] = 0.0;
    for (int i = b; i < e; i++) {
        run = __dadd_rn(run, (double)v[i]);
        P[i + 1] = run;
    }
    __syncthreads();
}

/* H1 (MODE 0: I, p -> hI, hp, hII, hIp) and H2 (MODE 1: a, b -> hA, hB) for
 * row blockIdx.y, columns [blockIdx.x * GF_HSEG, + GF_HSEG), channel blockIdx.z. */
template <int MODE> static __global__ void __launch_bounds__(GF_HT) gf_hpass(gf_args a) {
    constexpr int NQ = MODE == 0 ? 4 : 2;
    extern __shared__ double gf_hsm[];
    __shared__ double wsum[GF_HT / 32];
    const int r = a.r, ch = blockIdx.z;
    const int32_t w = (int32_t)a.g.width, h = (int32_t)a.g.height, y = blockIdx.y;
    const int32_t x0 = blockIdx.x * GF_HSEG;
    const int nout = min(GF_HSEG, w - x0), L = nout + 2 * r;
    const size_t n = (size_t)w * h, row = (size_t)y * w;
    float *maps = a.maps + (size_t)GF_MAPS * n * ch;
    double *P = gf_hsm;                          /* L + 1 prefix sums */
    float *v = (float *)(gf_hsm + GF_HSEG + 33); /* NQ runs of L values */
    for (int i = threadIdx.x; i < L; i += GF_HT) {
        const int32_t gx = vrt__gf_reflect(x0 - r + i, w);
        if (MODE == 0) {
            float p;
            const float I = gf_guide(a.g, gx, y, ch, a.src ? NULL : &p);
            if (a.src) p = a.src[(size_t)y * a.src_stride + gx];
            v[i] = I;
            v[L + i] = p;
            v[2 * L + i] = __fmul_rn(I, I);
            v[3 * L + i] = __fmul_rn(I, p);
        } else {
            v[i] = maps[4 * n + row + gx];
            v[L + i] = maps[5 * n + row + gx];
        }
    }
    __syncthreads();
    for (int q = 0; q < NQ; q++) {
        gf_prefix(v + q * L, L, P, wsum);
        /* hI/hA -> map 0, hp/hB -> 1, hII -> 2, hIp -> 3 */
        for (int x = threadIdx.x; x < nout; x += GF_HT)
            maps[q * n + row + x0 + x] = __double2float_rn(__dsub_rn(P[x + 2 * r + 1], P[x]));
        __syncthreads(); /* P is rewritten by the next quantity */
    }
}

/* V1 (MODE 0: hI, hp, hII, hIp -> a, b) and V2 (MODE 1: hA, hB -> q) for the
 * GF_VW x GF_VH tile (blockIdx.x, blockIdx.y), channel blockIdx.z. */
template <int MODE> static __global__ void __launch_bounds__(GF_VT) gf_vpass(gf_args a) {
    constexpr int NQ = MODE == 0 ? 4 : 2;
    extern __shared__ float gf_vsm[]; /* NQ x R rows x GF_VW */
    const int r = a.r, ch = blockIdx.z, R = GF_VH + 2 * r;
    const int32_t w = (int32_t)a.g.width, h = (int32_t)a.g.height;
    const int32_t x0 = blockIdx.x * GF_VW, y0 = blockIdx.y * GF_VH;
    const int nrows = min(GF_VH, h - y0);
    const size_t n = (size_t)w * h;
    float *maps = a.maps + (size_t)GF_MAPS * n * ch;
    for (int i = threadIdx.x; i < NQ * R * GF_VW; i += GF_VT) {
        const int c = i % GF_VW, j = (i / GF_VW) % R, q = i / (GF_VW * R);
        const int32_t x = x0 + c;
        gf_vsm[i] = x < w ? maps[q * n + (size_t)vrt__gf_reflect(y0 - r + j, h) * w + x] : 0.0f;
    }
    __syncthreads();
    if (threadIdx.x < NQ * GF_VW) { /* one column of one quantity: its window means, in place */
        float *col = gf_vsm + (threadIdx.x / GF_VW) * R * GF_VW + threadIdx.x % GF_VW;
        const double k = (double)(2 * r + 1) * (double)(2 * r + 1);
        double s = 0.0;
        for (int j = 0; j <= 2 * r; j++)
            s = __dadd_rn(s, (double)col[j * GF_VW]);
        for (int j = 0; j < nrows; j++) {
            const float m = vrt__gf_mean(s, k);
            if (j + 1 < nrows)
                s = __dadd_rn(s, __dsub_rn((double)col[(j + 2 * r + 1) * GF_VW], (double)col[j * GF_VW]));
            col[j * GF_VW] = m;
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < nrows * GF_VW; i += GF_VT) {
        const int c = i % GF_VW, j = i / GF_VW;
        const int32_t x = x0 + c, y = y0 + j;
        if (x >= w) continue;
        const float *m = gf_vsm + j * GF_VW + c; /* quantity q's mean at m[q * R * GF_VW] */
        const size_t at = (size_t)y * w + x;
        if (MODE == 0) {
            float A, B;
            vrt__gf_coeffs(m[0], m[R * GF_VW], m[2 * R * GF_VW], m[3 * R * GF_VW], a.eps, &A, &B);
            maps[4 * n + at] = A;
            maps[5 * n + at] = B;
        } else {
            const float q = vrt__gf_out(m[0], m[R * GF_VW], gf_guide(a.g, x, y, 0, NULL));
            if (a.dst)
                a.dst[(size_t)y * a.dst_stride + x] = q;
            else
                a.rgb[(size_t)y * a.rgb_stride + 3 * (size_t)x + ch] = vrt__gf_to8(q);
        }
    }
}

extern "C" cudaError_t vrt__cuda_guided_launch(const vrt__cuda_src *guide, int radius, float eps,
                                               const float *src, size_t src_stride, float *dst,
                                               size_t dst_stride, uint8_t *rgb, size_t rgb_stride,
                                               float *scratch, cudaStream_t s) {
    gf_args a;
    a.g = *guide;
    a.r = radius;
    a.eps = eps;
    a.src = src;
    a.src_stride = src_stride;
    a.dst = dst;
    a.dst_stride = dst_stride;
    a.rgb = rgb;
    a.rgb_stride = rgb_stride;
    a.maps = scratch;
    const unsigned chans = src ? 1 : 3, w = guide->width, h = guide->height;
    const int L = GF_HSEG + 2 * radius, R = GF_VH + 2 * radius;
    /* H: the prefix sums (GF_HSEG + 33 doubles, room for any radius) then NQ runs of L floats */
    const size_t hs1 = (GF_HSEG + 33) * sizeof(double) + (size_t)4 * L * sizeof(float);
    const size_t hs2 = (GF_HSEG + 33) * sizeof(double) + (size_t)2 * L * sizeof(float);
    const dim3 hgrid((w + GF_HSEG - 1) / GF_HSEG, h, chans);
    const dim3 vgrid((w + GF_VW - 1) / GF_VW, (h + GF_VH - 1) / GF_VH, chans);
    gf_hpass<0><<<hgrid, GF_HT, hs1, s>>>(a);
    gf_vpass<0><<<vgrid, GF_VT, (size_t)4 * R * GF_VW * sizeof(float), s>>>(a);
    gf_hpass<1><<<hgrid, GF_HT, hs2, s>>>(a);
    gf_vpass<1><<<vgrid, GF_VT, (size_t)2 * R * GF_VW * sizeof(float), s>>>(a);
    return cudaGetLastError();
}
