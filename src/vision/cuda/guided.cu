/* Guided filter, CUDA twin of src/vision/guided.c (vrt/vision.h): one fused
 * kernel per call, one block per output tile of TW x TH pixels (and per RGB
 * channel in grid z for the frame filter), everything between the frame and
 * the output in shared memory:
 *   A: the guide's 8-bit luma L (and the channel C, or the float map p) of
 *      the tile plus a reflected halo of 2r on each side;
 *   B: the horizontal window sums of L, L^2 and C, L C (integers) or p, I p
 *      (double, rounded to float) along each row of A, for the columns of
 *      the tile plus r on each side;
 *   C: the vertical window sums of B -> mean(I), var(I), mean(p), cov(I, p)
 *      -> a and b for the tile plus r on each side;
 *   D, E: the same two passes over a and b (double) -> q = m(a) I + m(b),
 *      written as a float map or as one byte of an RGB24 frame.
 * Each pass gives every thread a run of outputs along one line (rows for
 * the horizontal passes, with an odd shared-memory pitch so that a warp's
 * rows fall in distinct banks; columns for the vertical ones) and slides a
 * running sum over it: a constant number of additions per pixel whatever
 * the radius.
 * The values of a and b in the halo are computed from the reflected input,
 * not copied: the reflected signal is mirror-symmetric about each border,
 * so are its window sums, and the sums of 8-bit quantities are exact
 * integers, so a(x) = a(reflect(x)) bit for bit, as the CPU twin's
 * reflected a map has it. Nothing in global memory but the frame, the
 * optional map and the output; the per-pixel formulas are guided_impl.h's. */
#include "vision/cuda/vision_cuda.h"
#include "vision/guided_impl.h"

#define GF_NT 256 /* threads per block */

typedef struct gf_args {
    vrt__cuda_src g; /* guide frame (and p for the frame filter) */
    int r, tw, th;   /* radius, tile */
    float eps;
    const float *src; /* map filter: p; NULL: the frame's channels */
    size_t src_stride;
    float *dst; /* map filter output */
    size_t dst_stride;
    uint8_t *rgb; /* frame filter output (RGB24) */
    size_t rgb_stride;
} gf_args;

/* The shared-memory plan of one tile (words of 4 bytes). */
typedef struct gf_plan {
    int iw, ih, aw, ah; /* A: (tw + 4r) x (th + 4r); a, b: (tw + 2r) x (th + 2r) */
    int pa, pb, pc, pd; /* row pitches (odd) of A, B, C, D */
    int a_words, b_words, c_words;
} gf_plan;

static __host__ __device__ gf_plan gf_plan_of(int r, int tw, int th, int map) {
    gf_plan p;
    p.iw = tw + 4 * r, p.ih = th + 4 * r, p.aw = tw + 2 * r, p.ah = th + 2 * r;
    p.pa = p.iw | 1, p.pb = p.aw | 1, p.pc = p.aw | 1, p.pd = tw | 1;
    p.a_words = (map ? 2 : 1) * p.ih * p.pa; /* L | C << 16, or L and p */
    p.b_words = 4 * p.ih * p.pb;             /* four quantities; later D (2 ah pd words) */
    p.c_words = 2 * p.ah * p.pc;             /* a, b */
    return p;
}

/* Each pass: thread t takes line t % lines and the t / lines-th run of len
 * outputs along it; the window of output j spans inputs j .. j + 2r. */

/* Horizontal pass over A (stage B). */
template <bool MAP>
static __device__ void gf_pass_b(const gf_plan &P, int r, const int *A, const float *Ap, const float *lut,
                                 int *B) {
    const int nseg = max(1, GF_NT / P.ih), len = (P.aw + nseg - 1) / nseg, n = P.ih * P.pb;
    float *Bf = (float *)B;
    for (int t = threadIdx.x; t < P.ih * nseg; t += GF_NT) {
        const int row = t % P.ih, j0 = (t / P.ih) * len, j1 = min(P.aw, j0 + len);
        if (j0 >= j1) continue;
        const int *a = A + row * P.pa;
        const float *ap = Ap + row * P.pa;
        int sl = 0, sll = 0, sc = 0, slc = 0;
        double sp = 0.0, sip = 0.0;
        for (int i = j0; i <= j0 + 2 * r; i++) {
            const int v = a[i], l = v & 0xffff;
            sl += l, sll += l * l;
            if (MAP) {
                sp = __dadd_rn(sp, (double)ap[i]);
                sip = __dadd_rn(sip, (double)__fmul_rn(lut[l], ap[i]));
            } else {
                sc += v >> 16, slc += l * (v >> 16);
            }
        }
        for (int j = j0; j < j1; j++) {
            if (j > j0) { /* slide: add column j + 2r, drop column j - 1 */
                const int v = a[j + 2 * r], u = a[j - 1], l = v & 0xffff, m = u & 0xffff;
                sl += l - m, sll += l * l - m * m;
                if (MAP) {
                    const float p = ap[j + 2 * r], q = ap[j - 1];
                    sp = __dadd_rn(sp, __dsub_rn((double)p, (double)q));
                    sip =
                        __dadd_rn(sip, __dsub_rn((double)__fmul_rn(lut[l], p), (double)__fmul_rn(lut[m], q)));
                } else {
                    sc += (v >> 16) - (u >> 16), slc += l * (v >> 16) - m * (u >> 16);
                }
            }
            const int at = row * P.pb + j;
            B[at] = sl, B[n + at] = sll;
            if (MAP) {
                Bf[2 * n + at] = __double2float_rn(sp);
                Bf[3 * n + at] = __double2float_rn(sip);
            } else {
                B[2 * n + at] = sc, B[3 * n + at] = slc;
            }
        }
    }
}

/* Vertical pass over B -> a, b (stage C). */
template <bool MAP>
static __device__ void gf_pass_c(const gf_plan &P, int r, float eps, const int *B, float *C) {
    const int nseg = max(1, GF_NT / P.aw), len = (P.ah + nseg - 1) / nseg, n = P.ih * P.pb;
    const int k = (2 * r + 1) * (2 * r + 1);
    const double invk = 1.0 / (double)k;
    const float *Bf = (const float *)B;
    for (int t = threadIdx.x; t < P.aw * nseg; t += GF_NT) {
        const int col = t % P.aw, j0 = (t / P.aw) * len, j1 = min(P.ah, j0 + len);
        if (j0 >= j1) continue;
        int sl = 0, sll = 0, sc = 0, slc = 0;
        double sp = 0.0, sip = 0.0;
        for (int i = j0; i <= j0 + 2 * r; i++) {
            const int at = i * P.pb + col;
            sl += B[at], sll += B[n + at];
            if (MAP) {
                sp = __dadd_rn(sp, (double)Bf[2 * n + at]);
                sip = __dadd_rn(sip, (double)Bf[3 * n + at]);
            } else {
                sc += B[2 * n + at], slc += B[3 * n + at];
            }
        }
        for (int j = j0; j < j1; j++) {
            if (j > j0) {
                const int ad = (j + 2 * r) * P.pb + col, su = (j - 1) * P.pb + col;
                sl += B[ad] - B[su], sll += B[n + ad] - B[n + su];
                if (MAP) {
                    sp = __dadd_rn(sp, __dsub_rn((double)Bf[2 * n + ad], (double)Bf[2 * n + su]));
                    sip = __dadd_rn(sip, __dsub_rn((double)Bf[3 * n + ad], (double)Bf[3 * n + su]));
                } else {
                    sc += B[2 * n + ad] - B[2 * n + su], slc += B[3 * n + ad] - B[3 * n + su];
                }
            }
            float a, b;
            if (MAP)
                vrt__gf_coeffsf(sl, sll, k, vrt__gf_mean(sp, invk), vrt__gf_mean(sip, invk), eps, &a, &b);
            else
                vrt__gf_coeffs8(sl, sll, sc, slc, k, eps, &a, &b);
            C[j * P.pc + col] = a;
            C[P.ah * P.pc + j * P.pc + col] = b;
        }
    }
}

/* Horizontal pass over a, b (stage D): double sums rounded to float. */
static __device__ void gf_pass_d(const gf_plan &P, int r, int tw, const float *C, float *D) {
    const int nseg = max(1, GF_NT / P.ah), len = (tw + nseg - 1) / nseg;
    const int nc = P.ah * P.pc, nd = P.ah * P.pd;
    for (int t = threadIdx.x; t < P.ah * nseg; t += GF_NT) {
        const int row = t % P.ah, j0 = (t / P.ah) * len, j1 = min(tw, j0 + len);
        if (j0 >= j1) continue;
        const float *c = C + row * P.pc;
        float *d = D + row * P.pd;
        double sa = 0.0, sb = 0.0;
        for (int i = j0; i <= j0 + 2 * r; i++) {
            sa = __dadd_rn(sa, (double)c[i]);
            sb = __dadd_rn(sb, (double)c[nc + i]);
        }
        for (int j = j0; j < j1; j++) {
            if (j > j0) {
                sa = __dadd_rn(sa, __dsub_rn((double)c[j + 2 * r], (double)c[j - 1]));
                sb = __dadd_rn(sb, __dsub_rn((double)c[nc + j + 2 * r], (double)c[nc + j - 1]));
            }
            d[j] = __double2float_rn(sa);
            d[nd + j] = __double2float_rn(sb);
        }
    }
}

/* Vertical pass over D -> q (stage E), written to the output. */
template <bool MAP>
static __device__ void gf_pass_e(const gf_plan &P, const gf_args &g, const int *A, const float *lut,
                                 const float *D, int32_t x0, int32_t y0) {
    const int r = g.r, tw = g.tw, th = min(g.th, (int)g.g.height - y0);
    const int nseg = max(1, GF_NT / tw), len = (th + nseg - 1) / nseg, nd = P.ah * P.pd;
    const double invk = 1.0 / ((double)(2 * r + 1) * (double)(2 * r + 1));
    for (int t = threadIdx.x; t < tw * nseg; t += GF_NT) {
        const int col = t % tw, j0 = (t / tw) * len, j1 = min(th, j0 + len);
        const int32_t x = x0 + col;
        if (j0 >= j1 || x >= (int32_t)g.g.width) continue;
        double sa = 0.0, sb = 0.0;
        for (int i = j0; i <= j0 + 2 * r; i++) {
            sa = __dadd_rn(sa, (double)D[i * P.pd + col]);
            sb = __dadd_rn(sb, (double)D[nd + i * P.pd + col]);
        }
        for (int j = j0; j < j1; j++) {
            if (j > j0) {
                const int ad = (j + 2 * r) * P.pd + col, su = (j - 1) * P.pd + col;
                sa = __dadd_rn(sa, __dsub_rn((double)D[ad], (double)D[su]));
                sb = __dadd_rn(sb, __dsub_rn((double)D[nd + ad], (double)D[nd + su]));
            }
            const int l = A[(j + 2 * r) * P.pa + col + 2 * r] & 0xffff;
            const float q = vrt__gf_out(vrt__gf_mean(sa, invk), vrt__gf_mean(sb, invk), lut[l]);
            const size_t y = (size_t)(y0 + j);
            if (MAP)
                g.dst[y * g.dst_stride + x] = q;
            else
                g.rgb[y * g.rgb_stride + 3 * (size_t)x + blockIdx.z] = vrt__gf_to8(q);
        }
    }
}

template <bool MAP> static __global__ void __launch_bounds__(GF_NT) gf_fused(gf_args g) {
    extern __shared__ int gf_sm[];
    __shared__ float lut[256];
    const int r = g.r;
    const gf_plan P = gf_plan_of(r, g.tw, g.th, MAP);
    const int32_t w = (int32_t)g.g.width, h = (int32_t)g.g.height;
    const int32_t x0 = blockIdx.x * g.tw, y0 = blockIdx.y * g.th;
    int *A = gf_sm;                         /* L | C << 16 (frame) or L (map) */
    float *Ap = (float *)(A + P.ih * P.pa); /* the map p (map) */
    int *B = gf_sm + P.a_words;
    float *C = (float *)(B + P.b_words);
    float *D = (float *)B; /* B is dead once C is written */
    for (int i = threadIdx.x; i < 256; i += GF_NT)
        lut[i] = vrt__gf_i(i);
    for (int i = threadIdx.x; i < P.ih * P.iw; i += GF_NT) {
        const int iy = i / P.iw, ix = i - iy * P.iw;
        const int32_t gx = vrt__gf_reflect(x0 - 2 * r + ix, w), gy = vrt__gf_reflect(y0 - 2 * r + iy, h);
        int rgb[3];
        vrt__px_fetch_rgb_planes(g.g.fourcc, g.g.p0, g.g.s0, g.g.p1, g.g.s1, (uint32_t)gx, (uint32_t)gy, rgb);
        const int l = vrt__gf_l8(rgb);
        if (MAP) {
            A[iy * P.pa + ix] = l;
            Ap[iy * P.pa + ix] = g.src[(size_t)gy * g.src_stride + gx];
        } else {
            A[iy * P.pa + ix] = l | rgb[blockIdx.z] << 16;
        }
    }
    __syncthreads();
    gf_pass_b<MAP>(P, r, A, Ap, lut, B);
    __syncthreads();
    gf_pass_c<MAP>(P, r, g.eps, B, C);
    __syncthreads();
    gf_pass_d(P, r, g.tw, C, D);
    __syncthreads();
    gf_pass_e<MAP>(P, g, A, lut, D, x0, y0);
}

static size_t gf_smem(int r, int tw, int th, int map) {
    const gf_plan p = gf_plan_of(r, tw, th, map);
    const size_t d_words = (size_t)2 * p.ah * p.pd;
    return sizeof(int) *
           ((size_t)p.a_words + (p.b_words > (int)d_words ? (size_t)p.b_words : d_words) + (size_t)p.c_words);
}

extern "C" cudaError_t vrt__cuda_guided_launch(const vrt__cuda_src *guide, int radius, float eps,
                                               const float *src, size_t src_stride, float *dst,
                                               size_t dst_stride, uint8_t *rgb, size_t rgb_stride,
                                               cudaStream_t s) {
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
    const int map = src != NULL;
    int dev = 0, optin = 48 << 10;
    cudaError_t e = cudaGetDevice(&dev);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
    if (e != cudaSuccess) return e;
    optin -= 256 * (int)sizeof(float) + 64; /* the static LUT and some slack */
    /* The largest tile whose plan fits the GPU (32 x 32 up to radius 16 on
     * sm_80 and newer with the map filter; smaller tiles elsewhere). */
    static const int tiles[][2] = {{32, 32}, {32, 16}, {16, 16}, {16, 8}, {8, 8}};
    size_t smem = 0;
    int ti = 0;
    for (; ti < 5; ti++)
        if ((smem = gf_smem(radius, tiles[ti][0], tiles[ti][1], map)) <= (size_t)optin) break;
    if (ti == 5) return cudaErrorInvalidConfiguration;
    a.tw = tiles[ti][0];
    a.th = tiles[ti][1];
    const void *fn = map ? (const void *)gf_fused<true> : (const void *)gf_fused<false>;
    if (smem > (48u << 10) &&
        (e = cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem)) != cudaSuccess)
        return e;
    const dim3 grid((guide->width + a.tw - 1) / a.tw, (guide->height + a.th - 1) / a.th, map ? 1 : 3);
    if (map)
        gf_fused<true><<<grid, GF_NT, smem, s>>>(a);
    else
        gf_fused<false><<<grid, GF_NT, smem, s>>>(a);
    return cudaGetLastError();
}
