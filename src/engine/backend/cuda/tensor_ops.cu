/* CUDA twins of the CPU data-movement kernels (byte-generic): Concat, Split,
 * Slice, Transpose, Gather, Expand, Tile, Pad, DepthToSpace, SpaceToDepth.
 * Shape checks reuse the CPU *_out_shape functions, so both backends accept
 * and refuse the same things. */
#include <string.h>

#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/tensor_ops.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

#define VRT__CUK_COPY_DIMS (2 * VRT__MAX_DIMS + 1)

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

static int vrt__axis(int64_t axis, int ndim, int *out) {
    if (axis < -ndim || axis >= ndim) return 1;
    *out = (int)(axis < 0 ? axis + ndim : axis);
    return 0;
}

static void vrt__strides(const vrt__shape *s, int64_t *st) {
    int64_t v = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
        st[i] = v;
        v *= s->d[i];
    }
}

/* ---- strided gather into a dense output ---------------------------------------- */

/* y[dense index of (i_0..i_{nd-1})] = x[sum i_k * sst[k]] (element units of T). */
struct vrt__cuk_strided {
    int nd;
    int64_t dim[VRT__CUK_COPY_DIMS];
    int64_t sst[VRT__CUK_COPY_DIMS];
};

template <typename T> __global__ void vrt__k_strided(const T *x, T *y, int64_t n, vrt__cuk_strided s) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t r = i, off = 0;
        for (int k = s.nd - 1; k >= 0; k--) {
            int64_t d = s.dim[k];
            off += (r % d) * s.sst[k];
            r /= d;
        }
        y[i] = x[off];
    }
}

/* Word type for a copy whose every byte offset is a multiple of `align`. */
static int vrt__cuk_word(size_t align) {
    if (align % 8 == 0) return 8;
    if (align % 4 == 0) return 4;
    if (align % 2 == 0) return 2;
    return 1;
}

/* dims/sst in elements of `elem` bytes; x may be offset to the first element
 * (strides may be negative or 0). Empty boxes launch nothing. */
static vrt_status vrt__cuk_gather_copy(cudaStream_t st, const char *op, int nd, const int64_t *dims,
                                       const uint8_t *x, const int64_t *sst, uint8_t *y, size_t elem) {
    vrt__cuk_strided s;
    memset(&s, 0, sizeof(s));
    int m = 0;
    int64_t total = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] == 0) return VRT_OK;
        total *= dims[i];
        if (dims[i] == 1) continue;
        if (m > 0 && s.sst[m - 1] == sst[i] * dims[i]) {
            s.dim[m - 1] *= dims[i];
            s.sst[m - 1] = sst[i];
            continue;
        }
        s.dim[m] = dims[i];
        s.sst[m] = sst[i];
        m++;
    }
    /* Split elements into words: the innermost dim gets a word dim when
     * contiguous; otherwise a trailing dim over the element's words. */
    uintptr_t align = (uintptr_t)x | (uintptr_t)y | (uintptr_t)elem;
    int w = vrt__cuk_word((size_t)align);
    int64_t per = (int64_t)elem / w;
    if (m == 0) {
        s.dim[0] = 1;
        s.sst[0] = 0;
        m = 1;
    }
    for (int i = 0; i < m; i++)
        s.sst[i] *= per;
    if (per > 1) {
        if (s.sst[m - 1] == per) {
            s.dim[m - 1] *= per;
            s.sst[m - 1] = 1;
        } else {
            s.dim[m] = per;
            s.sst[m] = 1;
            m++;
        }
    }
    s.nd = m;
    int64_t n = total * per;
    unsigned g = vrt__cuk_blocks(n);
    switch (w) {
    case 8:
        vrt__k_strided<uint64_t><<<g, VRT__CUK_THREADS, 0, st>>>((const uint64_t *)x, (uint64_t *)y, n, s);
        break;
    case 4:
        vrt__k_strided<uint32_t><<<g, VRT__CUK_THREADS, 0, st>>>((const uint32_t *)x, (uint32_t *)y, n, s);
        break;
    case 2:
        vrt__k_strided<uint16_t><<<g, VRT__CUK_THREADS, 0, st>>>((const uint16_t *)x, (uint16_t *)y, n, s);
        break;
    default: vrt__k_strided<uint8_t><<<g, VRT__CUK_THREADS, 0, st>>>(x, y, n, s); break;
    }
    return VRT__CUK_CHECK(op);
}

/* ---- 2-D copy (Concat / Split) ------------------------------------------------- */

template <typename T>
__global__ void vrt__k_copy2d(const T *x, int64_t spitch, T *y, int64_t dpitch, int64_t rows, int64_t cols) {
    VRT__CUK_GRID_LOOP(i, rows * cols) {
        int64_t r = i / cols, c = i % cols;
        y[r * dpitch + c] = x[r * spitch + c];
    }
}

/* All sizes in bytes. */
static vrt_status vrt__cuk_copy2d(cudaStream_t st, const char *op, const uint8_t *x, size_t spitch,
                                  uint8_t *y, size_t dpitch, int64_t rows, size_t width) {
    if (rows == 0 || width == 0) return VRT_OK;
    int w = vrt__cuk_word((size_t)((uintptr_t)x | (uintptr_t)y | spitch | dpitch | width));
    int64_t cols = (int64_t)(width / w), sp = (int64_t)(spitch / w), dp = (int64_t)(dpitch / w);
    unsigned g = vrt__cuk_blocks(rows * cols);
    switch (w) {
    case 8:
        vrt__k_copy2d<uint64_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint64_t *)x, sp, (uint64_t *)y, dp, rows, cols);
        break;
    case 4:
        vrt__k_copy2d<uint32_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint32_t *)x, sp, (uint32_t *)y, dp, rows, cols);
        break;
    case 2:
        vrt__k_copy2d<uint16_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint16_t *)x, sp, (uint16_t *)y, dp, rows, cols);
        break;
    default: vrt__k_copy2d<uint8_t><<<g, VRT__CUK_THREADS, 0, st>>>(x, sp, y, dp, rows, cols); break;
    }
    return VRT__CUK_CHECK(op);
}

extern "C" vrt_status vrt__cuda_concat(void *stream, int64_t axis, int n, const void *const *xs,
                                       const vrt__shape *shapes, size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__concat_out_shape(axis, n, shapes, &so))
        return VRT__CUK_FAIL("Concat", VRT_EINVAL,
                             "inputs differ outside the axis, bad axis or element size 0");
    if (!stream) return vrt__cuk_no_stream("Concat");
    int a = 0;
    vrt__axis(axis, so.ndim, &a);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++)
        outer *= so.d[i];
    for (int i = a + 1; i < so.ndim; i++)
        inner *= so.d[i];
    size_t orow = (size_t)(so.d[a] * inner) * elem, pos = 0;
    for (int k = 0; k < n; k++) {
        size_t chunk = (size_t)(shapes[k].d[a] * inner) * elem;
        vrt_status st = vrt__cuk_copy2d(vrt__cuk_stream(stream), "Concat", (const uint8_t *)xs[k], chunk,
                                        (uint8_t *)y + pos, orow, outer, chunk);
        if (st) return st;
        pos += chunk;
    }
    return VRT_OK;
}

extern "C" vrt_status vrt__cuda_split(void *stream, int64_t axis, const void *x, const vrt__shape *sx,
                                      size_t elem, int n, const int64_t *sizes, void *const *ys) {
    int a = 0;
    if (sx->ndim < 0 || sx->ndim > VRT__MAX_DIMS || n < 1 || elem == 0 || vrt__axis(axis, sx->ndim, &a))
        return VRT__CUK_FAIL("Split", VRT_EINVAL, "bad shape, axis, output count or element size");
    int64_t sum = 0;
    for (int k = 0; k < n; k++) {
        if (sizes[k] < 0) return VRT__CUK_FAIL("Split", VRT_EINVAL, "negative split size");
        sum += sizes[k];
    }
    if (sum != sx->d[a])
        return VRT__CUK_FAIL("Split", VRT_EINVAL, "split sizes do not add up to the axis length");
    if (!stream) return vrt__cuk_no_stream("Split");
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++)
        outer *= sx->d[i];
    for (int i = a + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    size_t irow = (size_t)(sx->d[a] * inner) * elem, pos = 0;
    for (int k = 0; k < n; k++) {
        size_t chunk = (size_t)(sizes[k] * inner) * elem;
        vrt_status st = vrt__cuk_copy2d(vrt__cuk_stream(stream), "Split", (const uint8_t *)x + pos, irow,
                                        (uint8_t *)ys[k], chunk, outer, chunk);
        if (st) return st;
        pos += chunk;
    }
    return VRT_OK;
}

/* ---- Slice ---------------------------------------------------------------------- */

extern "C" vrt_status vrt__cuda_slice(void *stream, const vrt__slice_params *p, const void *x,
                                      const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__slice_out_shape(p, sx, &so))
        return VRT__CUK_FAIL("Slice", VRT_EINVAL, "bad axes, zero step or element size 0");
    if (!stream) return vrt__cuk_no_stream("Slice");
    /* Recompute each axis' clamped start the way the CPU twin does. */
    int64_t start[VRT__MAX_DIMS], step[VRT__MAX_DIMS], xs[VRT__MAX_DIMS];
    for (int i = 0; i < sx->ndim; i++) {
        start[i] = 0;
        step[i] = 1;
    }
    for (int k = 0; k < p->n; k++) {
        int a = 0;
        vrt__axis(p->axes[k], sx->ndim, &a);
        int64_t d = sx->d[a], s = p->starts[k], t = p->steps[k];
        if (s < 0) s += d;
        if (s < 0) s = 0;
        if (t > 0) {
            if (s > d) s = d;
        } else if (s > d - 1) {
            s = d - 1;
        }
        start[a] = s;
        step[a] = t;
    }
    vrt__strides(sx, xs);
    int64_t base = 0, sst[VRT__MAX_DIMS];
    for (int i = 0; i < sx->ndim; i++) {
        if (so.d[i] == 0) return VRT_OK;
        base += start[i] * xs[i];
        sst[i] = step[i] * xs[i];
    }
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "Slice", sx->ndim, so.d,
                                (const uint8_t *)x + base * (int64_t)elem, sst, (uint8_t *)y, elem);
}

/* ---- Transpose ---------------------------------------------------------------------- */

extern "C" vrt_status vrt__cuda_transpose(void *stream, const int64_t *perm, int nperm, const void *x,
                                          const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__transpose_out_shape(perm, nperm, sx, &so))
        return VRT__CUK_FAIL("Transpose", VRT_EINVAL, "perm is not a permutation of the input's axes");
    if (!stream) return vrt__cuk_no_stream("Transpose");
    int nd = sx->ndim;
    int64_t xs[VRT__MAX_DIMS], sst[VRT__MAX_DIMS];
    vrt__strides(sx, xs);
    for (int i = 0; i < nd; i++) {
        int a = nperm == 0 ? nd - 1 - i : 0;
        if (nperm) vrt__axis(perm[i], nd, &a);
        sst[i] = xs[a];
    }
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "Transpose", nd, so.d, (const uint8_t *)x, sst,
                                (uint8_t *)y, elem);
}

/* ---- Gather ------------------------------------------------------------------------ */

template <typename T, typename I>
__global__ void vrt__k_gather(const T *x, T *y, const I *idx, int64_t n_total, int64_t ni, int64_t n,
                              int64_t row) {
    VRT__CUK_GRID_LOOP(i, n_total) {
        int64_t w = i % row, t = i / row;
        int64_t k = t % ni, o = t / ni;
        int64_t ix = (int64_t)idx[k];
        if (ix < 0) ix += n;
        ix = ix < 0 ? 0 : (ix >= n ? n - 1 : ix);
        y[i] = x[(o * n + ix) * row + w];
    }
}

template <typename T>
static void vrt__cuk_gather_launch(cudaStream_t st, const void *x, void *y, const void *idx, int i64,
                                   int64_t total, int64_t ni, int64_t n, int64_t row) {
    unsigned g = vrt__cuk_blocks(total);
    if (i64)
        vrt__k_gather<T, int64_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const T *)x, (T *)y, (const int64_t *)idx, total, ni, n, row);
    else
        vrt__k_gather<T, int32_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const T *)x, (T *)y, (const int32_t *)idx, total, ni, n, row);
}

extern "C" vrt_status vrt__cuda_gather(void *stream, int64_t axis, const void *x, const vrt__shape *sx,
                                       size_t elem, const void *indices, vrt__dtype idt, const vrt__shape *si,
                                       void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__gather_out_shape(axis, sx, si, &so))
        return VRT__CUK_FAIL("Gather", VRT_EINVAL, "bad axis or shapes");
    if (idt != VRT__DT_INT64 && idt != VRT__DT_INT32)
        return VRT__CUK_FAIL("Gather", VRT_EUNSUPPORTED, "indices must be int64 or int32");
    if (!stream) return vrt__cuk_no_stream("Gather");
    int a = 0;
    vrt__axis(axis, sx->ndim, &a);
    int64_t outer = 1, inner = 1, n = sx->d[a], ni = vrt__shape_numel(si);
    for (int i = 0; i < a; i++)
        outer *= sx->d[i];
    for (int i = a + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    if (outer * ni * inner == 0) return VRT_OK;
    if (n == 0) return VRT__CUK_FAIL("Gather", VRT_EINVAL, "gathering from an empty axis");
    size_t rowb = (size_t)inner * elem;
    int w = vrt__cuk_word((size_t)((uintptr_t)x | (uintptr_t)y | rowb));
    int64_t row = (int64_t)(rowb / w), total = outer * ni * row;
    int i64 = idt == VRT__DT_INT64;
    cudaStream_t st = vrt__cuk_stream(stream);
    switch (w) {
    case 8: vrt__cuk_gather_launch<uint64_t>(st, x, y, indices, i64, total, ni, n, row); break;
    case 4: vrt__cuk_gather_launch<uint32_t>(st, x, y, indices, i64, total, ni, n, row); break;
    case 2: vrt__cuk_gather_launch<uint16_t>(st, x, y, indices, i64, total, ni, n, row); break;
    default: vrt__cuk_gather_launch<uint8_t>(st, x, y, indices, i64, total, ni, n, row); break;
    }
    return VRT__CUK_CHECK("Gather");
}

/* ---- Expand / Tile -------------------------------------------------------------------- */

extern "C" vrt_status vrt__cuda_expand(void *stream, const void *x, const vrt__shape *sx, size_t elem,
                                       void *y, const vrt__shape *sy) {
    if (elem == 0 || !vrt__broadcasts_to(sx, sy) || sy->ndim > VRT__MAX_DIMS)
        return VRT__CUK_FAIL("Expand", VRT_EINVAL, "input does not broadcast to the output shape");
    if (!stream) return vrt__cuk_no_stream("Expand");
    int nd = sy->ndim;
    int64_t sst[VRT__MAX_DIMS], stride = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int j = i - (nd - sx->ndim);
        int64_t d = j >= 0 ? sx->d[j] : 1;
        sst[i] = (d == 1) ? 0 : stride;
        stride *= d;
    }
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "Expand", nd, sy->d, (const uint8_t *)x, sst,
                                (uint8_t *)y, elem);
}

extern "C" vrt_status vrt__cuda_tile(void *stream, const void *x, const vrt__shape *sx, size_t elem,
                                     const int64_t *repeats, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__tile_out_shape(sx, repeats, sx->ndim, &so))
        return VRT__CUK_FAIL("Tile", VRT_EINVAL, "repeats must be one non-negative value per axis");
    if (!stream) return vrt__cuk_no_stream("Tile");
    int64_t xs[VRT__MAX_DIMS], dims[2 * VRT__MAX_DIMS], sst[2 * VRT__MAX_DIMS];
    vrt__strides(sx, xs);
    for (int i = 0; i < sx->ndim; i++) {
        dims[2 * i] = repeats[i];
        sst[2 * i] = 0;
        dims[2 * i + 1] = sx->d[i];
        sst[2 * i + 1] = xs[i];
    }
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "Tile", 2 * sx->ndim, dims, (const uint8_t *)x, sst,
                                (uint8_t *)y, elem);
}

/* ---- Pad -------------------------------------------------------------------------------- */

struct vrt__cuk_pad {
    int nd, mode;
    int64_t od[VRT__MAX_DIMS], pb[VRT__MAX_DIMS], cs[VRT__MAX_DIMS], dl[VRT__MAX_DIMS], xs[VRT__MAX_DIMS];
    uint8_t value[16];
};

__device__ __forceinline__ int64_t vrt__cuk_pad_map(int mode, int64_t o, int64_t pb, int64_t cs, int64_t dl) {
    int64_t i = o - pb;
    if (i >= 0 && i < dl) return cs + i;
    switch (mode) {
    case VRT__PAD_CONSTANT: return -1;
    case VRT__PAD_EDGE: return cs + (i < 0 ? 0 : dl - 1);
    case VRT__PAD_WRAP: return cs + ((i % dl) + dl) % dl;
    default: {
        if (dl == 1) return cs;
        int64_t period = 2 * (dl - 1);
        i = ((i % period) + period) % period;
        if (i >= dl) i = period - i;
        return cs + i;
    }
    }
}

/* One thread per output element; elem bytes copied as `elem/sizeof(T)` words. */
template <typename T> __global__ void vrt__k_pad(const T *x, T *y, int64_t n, int per, vrt__cuk_pad p) {
    VRT__CUK_GRID_LOOP(i, n * per) {
        int64_t e = i / per, w = i % per;
        int64_t r = e, src = 0;
        bool pad = false;
        for (int k = p.nd - 1; k >= 0; k--) {
            int64_t o = r % p.od[k];
            r /= p.od[k];
            int64_t m = vrt__cuk_pad_map(p.mode, o, p.pb[k], p.cs[k], p.dl[k]);
            if (m < 0)
                pad = true;
            else
                src += m * p.xs[k];
        }
        if (pad) {
            T v;
            memcpy(&v, p.value + w * sizeof(T), sizeof(T));
            y[i] = v;
        } else {
            y[i] = x[src * per + w];
        }
    }
}

extern "C" vrt_status vrt__cuda_pad(void *stream, const vrt__pad_params *p, const void *x,
                                    const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__pad_out_shape(p, sx, &so))
        return VRT__CUK_FAIL("Pad", VRT_EINVAL, "pads give a negative size or element size 0");
    if (p->mode < VRT__PAD_CONSTANT || p->mode > VRT__PAD_WRAP)
        return VRT__CUK_FAIL("Pad", VRT_EUNSUPPORTED,
                             "unknown mode; supported: constant, reflect, edge, wrap");
    if (elem > 16) return VRT__CUK_FAIL("Pad", VRT_EUNSUPPORTED, "elements wider than 16 bytes");
    int nd = sx->ndim;
    vrt__cuk_pad k;
    memset(&k, 0, sizeof(k));
    k.nd = nd;
    k.mode = (int)p->mode;
    vrt__strides(sx, k.xs);
    for (int i = 0; i < nd; i++) {
        int64_t b = p->pads[i], e = p->pads[i + nd];
        k.od[i] = so.d[i];
        k.pb[i] = b > 0 ? b : 0;
        k.cs[i] = b < 0 ? -b : 0;
        k.dl[i] = sx->d[i] - k.cs[i] - (e < 0 ? -e : 0);
        if (k.dl[i] < 0)
            return VRT__CUK_FAIL("Pad", VRT_EINVAL, "negative pads crop more than the axis holds");
        if (k.dl[i] == 0 && so.d[i] > 0 && p->mode != VRT__PAD_CONSTANT)
            return VRT__CUK_FAIL("Pad", VRT_EINVAL, "reflect/edge/wrap padding of an empty axis");
    }
    if (p->value) memcpy(k.value, p->value, elem);
    if (!stream) return vrt__cuk_no_stream("Pad");
    int64_t total = vrt__shape_numel(&so);
    if (total == 0) return VRT_OK;
    if (nd == 0) return vrt__cuda_copy(stream, x, y, elem);
    int w = vrt__cuk_word((size_t)((uintptr_t)x | (uintptr_t)y | elem));
    int per = (int)(elem / w);
    cudaStream_t st = vrt__cuk_stream(stream);
    unsigned g = vrt__cuk_blocks(total * per);
    switch (w) {
    case 8:
        vrt__k_pad<uint64_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint64_t *)x, (uint64_t *)y, total, per, k);
        break;
    case 4:
        vrt__k_pad<uint32_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint32_t *)x, (uint32_t *)y, total, per, k);
        break;
    case 2:
        vrt__k_pad<uint16_t>
            <<<g, VRT__CUK_THREADS, 0, st>>>((const uint16_t *)x, (uint16_t *)y, total, per, k);
        break;
    default:
        vrt__k_pad<uint8_t><<<g, VRT__CUK_THREADS, 0, st>>>((const uint8_t *)x, (uint8_t *)y, total, per, k);
        break;
    }
    return VRT__CUK_CHECK("Pad");
}

/* ---- DepthToSpace / SpaceToDepth ---------------------------------------------------------- */

extern "C" vrt_status vrt__cuda_depth_to_space(void *stream, int64_t b, int crd, const void *x,
                                               const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__depth_to_space_out_shape(b, sx, &so))
        return VRT__CUK_FAIL("DepthToSpace", VRT_EINVAL, "needs 4-D NCHW with C divisible by blocksize^2");
    if (!stream) return vrt__cuk_no_stream("DepthToSpace");
    int64_t N = sx->d[0], C = sx->d[1], H = sx->d[2], W = sx->d[3], Co = C / (b * b);
    int64_t dims[6] = {N, Co, H, b, W, b};
    int64_t sst[6];
    sst[0] = C * H * W;
    sst[2] = W;
    sst[4] = 1;
    if (crd) {
        sst[1] = b * b * H * W;
        sst[3] = b * H * W;
        sst[5] = H * W;
    } else {
        sst[1] = H * W;
        sst[3] = b * Co * H * W;
        sst[5] = Co * H * W;
    }
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "DepthToSpace", 6, dims, (const uint8_t *)x, sst,
                                (uint8_t *)y, elem);
}

extern "C" vrt_status vrt__cuda_space_to_depth(void *stream, int64_t b, const void *x, const vrt__shape *sx,
                                               size_t elem, void *y) {
    vrt__shape so;
    if (elem == 0 || vrt__space_to_depth_out_shape(b, sx, &so))
        return VRT__CUK_FAIL("SpaceToDepth", VRT_EINVAL,
                             "needs 4-D NCHW with H and W divisible by blocksize");
    if (!stream) return vrt__cuk_no_stream("SpaceToDepth");
    int64_t N = sx->d[0], C = sx->d[1], H = sx->d[2], W = sx->d[3];
    int64_t dims[6] = {N, b, b, C, H / b, W / b};
    int64_t sst[6] = {C * H * W, W, 1, H * W, b * W, b};
    return vrt__cuk_gather_copy(vrt__cuk_stream(stream), "SpaceToDepth", 6, dims, (const uint8_t *)x, sst,
                                (uint8_t *)y, elem);
}
