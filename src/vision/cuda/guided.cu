/* Guided filter, CUDA twin of src/vision/guided.c (vrt/vision.h): two
 * kernels per call, each over 32x8 output tiles and one channel (grid z):
 *   coeffs: the tile's guide and input with a reflected halo of r pixels in
 *           shared memory; each window's horizontal sum in double (rounded to
 *           float, as the CPU twin's row pass), then the vertical sums in
 *           double -> means of I, p, I I, I p -> a, b into scratch;
 *   output: the same box means of a and b -> q = m(a) I + m(b), written as
 *           a float map or as 8 bits of an RGB24 frame.
 * The per-pixel formulas are guided_impl.h's, shared with the CPU twin.
 * Shared memory: (2 (32 + 2r)(8 + 2r) + 4 * 32 (8 + 2r)) floats, 40 KB at r = 16. */
#include "vision/cuda/vision_cuda.h"
#include "vision/guided_impl.h"

#define GF_TW 32
#define GF_TH 8

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
    float *ab; /* scratch: a then b maps, per channel */
} gf_args;

static __device__ __forceinline__ float gf_guide(const vrt__cuda_src &g, int32_t x, int32_t y, int ch,
                                                 float *p) {
    int rgb[3];
    vrt__px_fetch_rgb_planes(g.fourcc, g.p0, g.s0, g.p1, g.s1, (uint32_t)x, (uint32_t)y, rgb);
    if (p) *p = __fdiv_rn((float)rgb[ch], 255.0f);
    return vrt__gf_luma(rgb);
}

/* The horizontal window sums (2r + 1 wide) of n rows of in (row pitch pw)
 * for GF_TW columns, into out (row pitch GF_TW); f selects what is summed. */
template <int Q>
static __device__ __forceinline__ void gf_hsum(const float *a, const float *b, int pw, int rows, int r,
                                               float *out) {
    for (int i = threadIdx.y * GF_TW + threadIdx.x; i < rows * GF_TW; i += GF_TW * GF_TH) {
        int y = i / GF_TW, x = i % GF_TW;
        double s = 0.0;
        for (int k = 0; k <= 2 * r; k++) {
            float va = a[y * pw + x + k];
            float v = Q == 0 ? va : Q == 1 ? __fmul_rn(va, va) : __fmul_rn(va, b[y * pw + x + k]);
            s = __dadd_rn(s, (double)v);
        }
        out[i] = __double2float_rn(s);
    }
}

/* Vertical sum (2r + 1 tall) of column x from row y of a GF_TW-pitch array, as a mean. */
static __device__ __forceinline__ float gf_vmean(const float *h, int x, int y, int r, double k) {
    double s = 0.0;
    for (int j = 0; j <= 2 * r; j++)
        s = __dadd_rn(s, (double)h[(y + j) * GF_TW + x]);
    return vrt__gf_mean(s, k);
}

static __global__ void gf_coeffs(gf_args a) {
    extern __shared__ float sm[];
    const int r = a.r, pw = GF_TW + 2 * r, ph = GF_TH + 2 * r, ch = blockIdx.z;
    const int32_t w = (int32_t)a.g.width, h = (int32_t)a.g.height;
    const int32_t x0 = blockIdx.x * GF_TW, y0 = blockIdx.y * GF_TH;
    float *sI = sm, *sP = sI + pw * ph, *hI = sP + pw * ph, *hP = hI + GF_TW * ph, *hII = hP + GF_TW * ph,
          *hIP = hII + GF_TW * ph;
    for (int i = threadIdx.y * GF_TW + threadIdx.x; i < pw * ph; i += GF_TW * GF_TH) {
        int32_t gx = vrt__gf_reflect(x0 - r + i % pw, w), gy = vrt__gf_reflect(y0 - r + i / pw, h);
        float p;
        sI[i] = gf_guide(a.g, gx, gy, ch, a.src ? NULL : &p);
        sP[i] = a.src ? a.src[(size_t)gy * a.src_stride + gx] : p;
    }
    __syncthreads();
    gf_hsum<0>(sI, sI, pw, ph, r, hI);
    gf_hsum<0>(sP, sP, pw, ph, r, hP);
    gf_hsum<1>(sI, sI, pw, ph, r, hII);
    gf_hsum<2>(sI, sP, pw, ph, r, hIP);
    __syncthreads();
    const int32_t x = x0 + threadIdx.x, y = y0 + threadIdx.y;
    if (x >= w || y >= h) return;
    const double k = (double)(2 * r + 1) * (double)(2 * r + 1);
    float A, B;
    vrt__gf_coeffs(gf_vmean(hI, threadIdx.x, threadIdx.y, r, k), gf_vmean(hP, threadIdx.x, threadIdx.y, r, k),
                   gf_vmean(hII, threadIdx.x, threadIdx.y, r, k),
                   gf_vmean(hIP, threadIdx.x, threadIdx.y, r, k), a.eps, &A, &B);
    const size_t n = (size_t)w * h, at = (size_t)y * w + x;
    a.ab[2 * n * ch + at] = A;
    a.ab[2 * n * ch + n + at] = B;
}

static __global__ void gf_output(gf_args a) {
    extern __shared__ float sm[];
    const int r = a.r, pw = GF_TW + 2 * r, ph = GF_TH + 2 * r, ch = blockIdx.z;
    const int32_t w = (int32_t)a.g.width, h = (int32_t)a.g.height;
    const int32_t x0 = blockIdx.x * GF_TW, y0 = blockIdx.y * GF_TH;
    const size_t n = (size_t)w * h;
    const float *A = a.ab + 2 * n * ch, *B = A + n;
    float *sA = sm, *sB = sA + pw * ph, *hA = sB + pw * ph, *hB = hA + GF_TW * ph;
    for (int i = threadIdx.y * GF_TW + threadIdx.x; i < pw * ph; i += GF_TW * GF_TH) {
        size_t at = (size_t)vrt__gf_reflect(y0 - r + i / pw, h) * w + vrt__gf_reflect(x0 - r + i % pw, w);
        sA[i] = A[at];
        sB[i] = B[at];
    }
    __syncthreads();
    gf_hsum<0>(sA, sA, pw, ph, r, hA);
    gf_hsum<0>(sB, sB, pw, ph, r, hB);
    __syncthreads();
    const int32_t x = x0 + threadIdx.x, y = y0 + threadIdx.y;
    if (x >= w || y >= h) return;
    const double k = (double)(2 * r + 1) * (double)(2 * r + 1);
    float q = vrt__gf_out(gf_vmean(hA, threadIdx.x, threadIdx.y, r, k),
                          gf_vmean(hB, threadIdx.x, threadIdx.y, r, k), gf_guide(a.g, x, y, 0, NULL));
    if (a.dst)
        a.dst[(size_t)y * a.dst_stride + x] = q;
    else
        a.rgb[(size_t)y * a.rgb_stride + 3 * (size_t)x + ch] = vrt__gf_to8(q);
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
    a.ab = scratch;
    const int pw = GF_TW + 2 * radius, ph = GF_TH + 2 * radius;
    dim3 block(GF_TW, GF_TH);
    dim3 grid((guide->width + GF_TW - 1) / GF_TW, (guide->height + GF_TH - 1) / GF_TH, src ? 1 : 3);
    gf_coeffs<<<grid, block, (size_t)(2 * pw * ph + 4 * GF_TW * ph) * sizeof(float), s>>>(a);
    gf_output<<<grid, block, (size_t)(2 * pw * ph + 2 * GF_TW * ph) * sizeof(float), s>>>(a);
    return cudaGetLastError();
}
