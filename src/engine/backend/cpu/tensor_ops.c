/* CPU reference kernels: byte-generic data movement (Concat, Split, Slice,
 * Transpose, Gather, Tile, Pad, DepthToSpace, SpaceToDepth), Cast,
 * ConstantOfShape and Range. */
#include <math.h>
#include <string.h>

#include "bcast.h"
#include "kernels_tensor.h"

#define VRT__COPY_MAX_DIMS (2 * VRT__MAX_DIMS)

static void vrt__strides(const vrt__shape *s, int64_t *st) {
    int64_t v = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
        st[i] = v;
        v *= s->d[i];
    }
}

static inline void vrt__copy_elems(uint8_t *dst, int64_t ds, const uint8_t *src, int64_t ss, int64_t n,
                                   size_t e) {
    if (ds == 1 && ss == 1) {
        memcpy(dst, src, (size_t)n * e);
        return;
    }
    switch (e) {
    case 1:
        for (int64_t i = 0; i < n; i++)
            dst[i * ds] = src[i * ss];
        break;
    case 4:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + i * ds * 4, src + i * ss * 4, 4);
        break;
    case 8:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + i * ds * 8, src + i * ss * 8, 8);
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + i * ds * (int64_t)e, src + i * ss * (int64_t)e, e);
        break;
    }
}

/* Copies a box of dims[] elements: dst[sum i_k*dst_st[k]] = src[sum i_k*src_st[k]]
 * (strides in elements, source strides may be negative or 0). Dims of size 1
 * are dropped and neighbours merged where both sides are contiguous. */
static void vrt__strided_copy(int nd, const int64_t *dims, const uint8_t *src, const int64_t *sst,
                              uint8_t *dst, const int64_t *dst_st, size_t e) {
    int64_t d[VRT__COPY_MAX_DIMS], ss[VRT__COPY_MAX_DIMS], ds[VRT__COPY_MAX_DIMS];
    int m = 0;
    for (int i = 0; i < nd; i++) {
        if (dims[i] == 0) return;
        if (dims[i] == 1) continue;
        if (m > 0 && ss[m - 1] == sst[i] * dims[i] && ds[m - 1] == dst_st[i] * dims[i]) {
            d[m - 1] *= dims[i];
            ss[m - 1] = sst[i];
            ds[m - 1] = dst_st[i];
            continue;
        }
        d[m] = dims[i];
        ss[m] = sst[i];
        ds[m] = dst_st[i];
        m++;
    }
    if (m == 0) {
        memcpy(dst, src, e);
        return;
    }
    int64_t idx[VRT__COPY_MAX_DIMS] = {0};
    int64_t so = 0, dof = 0;
    for (;;) {
        vrt__copy_elems(dst + dof * (int64_t)e, ds[m - 1], src + so * (int64_t)e, ss[m - 1], d[m - 1], e);
        int k = m - 2;
        for (; k >= 0; k--) {
            idx[k]++;
            so += ss[k];
            dof += ds[k];
            if (idx[k] < d[k]) break;
            so -= idx[k] * ss[k];
            dof -= idx[k] * ds[k];
            idx[k] = 0;
        }
        if (k < 0) break;
    }
}

/* Copy into a dense destination. */
static void vrt__gather_copy(int nd, const int64_t *dims, const uint8_t *src, const int64_t *sst,
                             uint8_t *dst, size_t e) {
    int64_t dst_st[VRT__COPY_MAX_DIMS], v = 1;
    for (int i = nd - 1; i >= 0; i--) {
        dst_st[i] = v;
        v *= dims[i];
    }
    vrt__strided_copy(nd, dims, src, sst, dst, dst_st, e);
}

/* ---- Concat / Split ----------------------------------------------------------- */

vrt_status vrt__cpu_concat(int64_t axis, int n, const void *const *xs, const vrt__shape *shapes, size_t elem,
                           void *y) {
    vrt__shape so;
    vrt_status st = vrt__concat_out_shape(axis, n, shapes, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    int a = 0;
    vrt__axis_index(axis, so.ndim, &a);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++)
        outer *= so.d[i];
    for (int i = a + 1; i < so.ndim; i++)
        inner *= so.d[i];
    size_t orow = (size_t)(so.d[a] * inner) * elem;
    size_t pos = 0;
    for (int k = 0; k < n; k++) {
        size_t chunk = (size_t)(shapes[k].d[a] * inner) * elem;
        const uint8_t *src = xs[k];
        uint8_t *dst = (uint8_t *)y + pos;
        pos += chunk;
        if (outer == 1 && src == dst) continue; /* written there by its producer (concat in place) */
        for (int64_t o = 0; o < outer && chunk; o++)
            memcpy(dst + (size_t)o * orow, src + (size_t)o * chunk, chunk);
    }
    return VRT_OK;
}

vrt_status vrt__cpu_split(int64_t axis, const void *x, const vrt__shape *sx, size_t elem, int n,
                          const int64_t *sizes, void *const *ys) {
    int a = 0;
    if (!vrt__shape_valid(sx) || n < 1 || elem == 0 || vrt__axis_index(axis, sx->ndim, &a)) return VRT_EINVAL;
    int64_t sum = 0;
    for (int k = 0; k < n; k++) {
        if (sizes[k] < 0) return VRT_EINVAL;
        sum += sizes[k];
    }
    if (sum != sx->d[a]) return VRT_EINVAL;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++)
        outer *= sx->d[i];
    for (int i = a + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    size_t irow = (size_t)(sx->d[a] * inner) * elem, pos = 0;
    for (int k = 0; k < n; k++) {
        size_t chunk = (size_t)(sizes[k] * inner) * elem;
        uint8_t *dst = ys[k];
        const uint8_t *src = (const uint8_t *)x + pos;
        for (int64_t o = 0; o < outer && chunk; o++)
            memcpy(dst + (size_t)o * chunk, src + (size_t)o * irow, chunk);
        pos += chunk;
    }
    return VRT_OK;
}

/* ---- Slice --------------------------------------------------------------------- */

vrt_status vrt__cpu_slice(const vrt__slice_params *p, const void *x, const vrt__shape *sx, size_t elem,
                          void *y) {
    int64_t start[VRT__MAX_DIMS], step[VRT__MAX_DIMS], count[VRT__MAX_DIMS], xs[VRT__MAX_DIMS];
    vrt_status st = vrt__slice_resolve(p, sx, start, step, count);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    vrt__strides(sx, xs);
    int64_t base = 0, sst[VRT__MAX_DIMS];
    for (int i = 0; i < sx->ndim; i++) {
        if (count[i] == 0) return VRT_OK;
        base += start[i] * xs[i];
        sst[i] = step[i] * xs[i];
    }
    vrt__gather_copy(sx->ndim, count, (const uint8_t *)x + base * (int64_t)elem, sst, y, elem);
    return VRT_OK;
}

/* ---- Transpose ------------------------------------------------------------------ */

typedef struct {
    int nd;
    int64_t dims[VRT__MAX_DIMS], sst[VRT__MAX_DIMS], dst_st[VRT__MAX_DIMS];
    const uint8_t *x;
    uint8_t *y;
    size_t e;
} vrt__transpose_job;

/* Each task copies a range of indices along the outermost output dim. */
static void vrt__transpose_chunk(void *ctx, int64_t lo, int64_t hi) {
    const vrt__transpose_job *j = ctx;
    int64_t dims[VRT__MAX_DIMS];
    memcpy(dims, j->dims, sizeof(dims));
    dims[0] = hi - lo;
    vrt__strided_copy(j->nd, dims, j->x + lo * j->sst[0] * (int64_t)j->e, j->sst,
                      j->y + lo * j->dst_st[0] * (int64_t)j->e, j->dst_st, j->e);
}

vrt_status vrt__cpu_transpose(vrt__threadpool *tp, const int64_t *perm, int nperm, const void *x,
                              const vrt__shape *sx, size_t elem, void *y) {
    int pm[VRT__MAX_DIMS];
    if (!vrt__shape_valid(sx) || elem == 0 || vrt__transpose_perm(perm, nperm, sx->ndim, pm))
        return VRT_EINVAL;
    int64_t xs[VRT__MAX_DIMS];
    vrt__strides(sx, xs);
    int nd = sx->ndim;
    if (nd == 0) {
        memcpy(y, x, elem);
        return VRT_OK;
    }
    vrt__transpose_job j;
    j.nd = nd;
    j.x = x;
    j.y = y;
    j.e = elem;
    int64_t v = 1;
    for (int i = nd - 1; i >= 0; i--) {
        j.dims[i] = sx->d[pm[i]];
        j.sst[i] = xs[pm[i]];
        j.dst_st[i] = v;
        v *= j.dims[i];
    }
    if (v == 0) return VRT_OK;
    vrt__parallel_ranges(tp, j.dims[0], v >= (1 << 16) ? 2 : INT64_MAX, vrt__transpose_chunk, &j);
    return VRT_OK;
}

/* ---- Gather --------------------------------------------------------------------- */

vrt_status vrt__cpu_gather(int64_t axis, const void *x, const vrt__shape *sx, size_t elem,
                           const void *indices, vrt__dtype idt, const vrt__shape *si, void *y) {
    vrt__shape so;
    vrt_status st = vrt__gather_out_shape(axis, sx, si, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    if (idt != VRT__DT_INT64 && idt != VRT__DT_INT32) return VRT_EUNSUPPORTED;
    int a = 0;
    vrt__axis_index(axis, sx->ndim, &a);
    int64_t outer = 1, inner = 1, n = sx->d[a], ni = vrt__shape_numel(si);
    for (int i = 0; i < a; i++)
        outer *= sx->d[i];
    for (int i = a + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    size_t row = (size_t)inner * elem;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t k = 0; k < ni; k++) {
            int64_t ix = idt == VRT__DT_INT64 ? ((const int64_t *)indices)[k] : ((const int32_t *)indices)[k];
            if (ix < -n || ix >= n) return VRT_EINVAL;
            if (ix < 0) ix += n;
            memcpy((uint8_t *)y + (size_t)(o * ni + k) * row, (const uint8_t *)x + (size_t)(o * n + ix) * row,
                   row);
        }
    }
    return VRT_OK;
}

/* ---- Tile ----------------------------------------------------------------------- */

vrt_status vrt__cpu_tile(const void *x, const vrt__shape *sx, size_t elem, const int64_t *repeats, void *y) {
    vrt__shape so;
    vrt_status st = vrt__tile_out_shape(sx, repeats, sx->ndim, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    int64_t xs[VRT__MAX_DIMS], dims[VRT__COPY_MAX_DIMS], sst[VRT__COPY_MAX_DIMS];
    vrt__strides(sx, xs);
    /* Output axis i is (repeat, index) pairs: a 2n-D copy with stride 0 on repeats. */
    for (int i = 0; i < sx->ndim; i++) {
        dims[2 * i] = repeats[i];
        sst[2 * i] = 0;
        dims[2 * i + 1] = sx->d[i];
        sst[2 * i + 1] = xs[i];
    }
    if (sx->ndim == 0) {
        memcpy(y, x, elem);
        return VRT_OK;
    }
    vrt__gather_copy(2 * sx->ndim, dims, x, sst, y, elem);
    return VRT_OK;
}

/* ---- Pad ------------------------------------------------------------------------ */

/* Maps output coordinate o to the (cropped) input; -1 = constant padding. */
static inline int64_t vrt__pad_map(vrt__pad_mode mode, int64_t o, int64_t pb, int64_t cs, int64_t dl) {
    int64_t i = o - pb;
    if (i >= 0 && i < dl) return cs + i;
    switch (mode) {
    case VRT__PAD_CONSTANT: return -1;
    case VRT__PAD_EDGE: return cs + (i < 0 ? 0 : dl - 1);
    case VRT__PAD_WRAP: return cs + ((i % dl) + dl) % dl;
    default:
        if (dl == 1) return cs;
        /* reflect without repeating the edge, as numpy's 'reflect' */
        {
            int64_t period = 2 * (dl - 1);
            i = ((i % period) + period) % period;
            if (i >= dl) i = period - i;
            return cs + i;
        }
    }
}

vrt_status vrt__cpu_pad(const vrt__pad_params *p, const void *x, const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    vrt_status st = vrt__pad_out_shape(p, sx, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    if (p->mode < VRT__PAD_CONSTANT || p->mode > VRT__PAD_WRAP) return VRT_EUNSUPPORTED;
    int nd = sx->ndim;
    int64_t pb[VRT__MAX_DIMS], cs[VRT__MAX_DIMS], dl[VRT__MAX_DIMS], xs[VRT__MAX_DIMS];
    vrt__strides(sx, xs);
    for (int i = 0; i < nd; i++) {
        int64_t b = p->pads[i], e = p->pads[i + nd];
        pb[i] = b > 0 ? b : 0;
        cs[i] = b < 0 ? -b : 0;
        dl[i] = sx->d[i] - cs[i] - (e < 0 ? -e : 0);
        if (dl[i] < 0) return VRT_EINVAL;
        if (dl[i] == 0 && so.d[i] > 0 && p->mode != VRT__PAD_CONSTANT) return VRT_EINVAL;
    }
    int64_t total = vrt__shape_numel(&so);
    if (total == 0) return VRT_OK;
    uint8_t *out = y;
    const uint8_t *in = x;
    if (nd == 0) {
        memcpy(out, in, elem);
        return VRT_OK;
    }
    int64_t inner = so.d[nd - 1];
    int64_t idx[VRT__MAX_DIMS] = {0};
    for (int64_t row = 0; row < total / inner; row++) {
        /* source row: -1 when any outer coordinate is in constant padding */
        int64_t srow = 0;
        for (int i = 0; i < nd - 1; i++) {
            int64_t m = vrt__pad_map(p->mode, idx[i], pb[i], cs[i], dl[i]);
            if (m < 0) {
                srow = -1;
                break;
            }
            srow += m * xs[i];
        }
        uint8_t *orow = out + (size_t)(row * inner) * elem;
        int last = nd - 1;
        for (int64_t o = 0; o < inner; o++) {
            int64_t m = srow < 0 ? -1 : vrt__pad_map(p->mode, o, pb[last], cs[last], dl[last]);
            if (m < 0) {
                if (p->value)
                    memcpy(orow + (size_t)o * elem, p->value, elem);
                else
                    memset(orow + (size_t)o * elem, 0, elem);
            } else if (o == pb[last] && o + dl[last] <= inner) {
                /* the interior of the row in one copy */
                memcpy(orow + (size_t)o * elem, in + (size_t)(srow + m) * elem, (size_t)dl[last] * elem);
                o += dl[last] - 1;
            } else {
                memcpy(orow + (size_t)o * elem, in + (size_t)(srow + m) * elem, elem);
            }
        }
        for (int i = nd - 2; i >= 0; i--) {
            if (++idx[i] < so.d[i]) break;
            idx[i] = 0;
        }
    }
    return VRT_OK;
}

/* ---- DepthToSpace / SpaceToDepth ------------------------------------------------ */

vrt_status vrt__cpu_depth_to_space(int64_t b, int crd, const void *x, const vrt__shape *sx, size_t elem,
                                   void *y) {
    vrt__shape so;
    vrt_status st = vrt__depth_to_space_out_shape(b, sx, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    int64_t N = sx->d[0], C = sx->d[1], H = sx->d[2], W = sx->d[3], Co = C / (b * b);
    /* Output viewed as [N, Co, H, b1, W, b2]; source strides of each. */
    int64_t dims[6] = {N, Co, H, b, W, b};
    int64_t sst[6];
    sst[0] = C * H * W;
    sst[2] = W;
    sst[4] = 1;
    if (crd) { /* input [N, Co, b1, b2, H, W] */
        sst[1] = b * b * H * W;
        sst[3] = b * H * W;
        sst[5] = H * W;
    } else { /* DCR: input [N, b1, b2, Co, H, W] */
        sst[1] = H * W;
        sst[3] = b * Co * H * W;
        sst[5] = Co * H * W;
    }
    vrt__gather_copy(6, dims, x, sst, y, elem);
    return VRT_OK;
}

vrt_status vrt__cpu_space_to_depth(int64_t b, const void *x, const vrt__shape *sx, size_t elem, void *y) {
    vrt__shape so;
    vrt_status st = vrt__space_to_depth_out_shape(b, sx, &so);
    if (st || elem == 0) return st ? st : VRT_EINVAL;
    int64_t N = sx->d[0], C = sx->d[1], H = sx->d[2], W = sx->d[3];
    /* Output viewed as [N, b1, b2, C, H/b, W/b] from input [N, C, H/b, b1, W/b, b2]. */
    int64_t dims[6] = {N, b, b, C, H / b, W / b};
    int64_t sst[6] = {C * H * W, W, 1, H * W, b * W, b};
    vrt__gather_copy(6, dims, x, sst, y, elem);
    return VRT_OK;
}

/* ---- Cast ----------------------------------------------------------------------- */

typedef struct {
    int is_float; /* value in f, else in i (u64 flags an unsigned 64-bit source) */
    int is_u64;
    double f;
    int64_t i;
} vrt__scalar;

static inline vrt__scalar vrt__load(vrt__dtype t, const uint8_t *p) {
    vrt__scalar s = {0, 0, 0.0, 0};
    switch (t) {
    case VRT__DT_FLOAT: {
        float v;
        memcpy(&v, p, 4);
        s.is_float = 1;
        s.f = v;
        break;
    }
    case VRT__DT_DOUBLE: {
        memcpy(&s.f, p, 8);
        s.is_float = 1;
        break;
    }
    case VRT__DT_FLOAT16: {
        uint16_t h;
        memcpy(&h, p, 2);
        s.is_float = 1;
        s.f = vrt__half_to_float(h);
        break;
    }
    case VRT__DT_INT64: memcpy(&s.i, p, 8); break;
    case VRT__DT_UINT64:
        memcpy(&s.i, p, 8);
        s.is_u64 = 1;
        break;
    case VRT__DT_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        s.i = v;
        break;
    }
    case VRT__DT_UINT32: {
        uint32_t v;
        memcpy(&v, p, 4);
        s.i = v;
        break;
    }
    case VRT__DT_INT16: {
        int16_t v;
        memcpy(&v, p, 2);
        s.i = v;
        break;
    }
    case VRT__DT_UINT16: {
        uint16_t v;
        memcpy(&v, p, 2);
        s.i = v;
        break;
    }
    case VRT__DT_INT8: s.i = (int8_t)p[0]; break;
    case VRT__DT_UINT8: s.i = p[0]; break;
    case VRT__DT_BOOL: s.i = p[0] != 0; break;
    default: break;
    }
    return s;
}

/* Float to integer: truncate toward zero and saturate into [lo, hi]; NaN -> 0. */
static inline int64_t vrt__f2i(double f, double lo, double hi) {
    if (f != f) return 0;
    f = trunc(f);
    if (f <= lo) return (int64_t)lo;
    if (f >= hi) return hi >= 9223372036854775807.0 ? INT64_MAX : (int64_t)hi;
    return (int64_t)f;
}

static inline void vrt__store(vrt__dtype t, uint8_t *p, vrt__scalar s) {
    double f = s.is_float ? s.f : (s.is_u64 ? (double)(uint64_t)s.i : (double)s.i);
    switch (t) {
    case VRT__DT_FLOAT: {
        float v = (float)f;
        memcpy(p, &v, 4);
        return;
    }
    case VRT__DT_DOUBLE: memcpy(p, &f, 8); return;
    case VRT__DT_FLOAT16: {
        uint16_t h = vrt__float_to_half((float)f);
        memcpy(p, &h, 2);
        return;
    }
    case VRT__DT_BOOL: p[0] = s.is_float ? (s.f != 0) : (s.i != 0); return;
    default: break;
    }
    int64_t i;
    uint64_t u = 0;
    int unsigned_big = 0;
    if (s.is_float) {
        switch (t) {
        case VRT__DT_INT64: i = vrt__f2i(f, -9223372036854775808.0, 9223372036854775807.0); break;
        case VRT__DT_UINT64:
            if (f != f || f <= 0) {
                i = 0;
            } else if (f >= 18446744073709551615.0) {
                u = UINT64_MAX;
                unsigned_big = 1;
                i = 0;
            } else {
                u = (uint64_t)trunc(f);
                unsigned_big = 1;
                i = 0;
            }
            break;
        case VRT__DT_INT32: i = vrt__f2i(f, INT32_MIN, INT32_MAX); break;
        case VRT__DT_UINT32: i = vrt__f2i(f, 0, UINT32_MAX); break;
        case VRT__DT_INT16: i = vrt__f2i(f, INT16_MIN, INT16_MAX); break;
        case VRT__DT_UINT16: i = vrt__f2i(f, 0, UINT16_MAX); break;
        case VRT__DT_INT8: i = vrt__f2i(f, INT8_MIN, INT8_MAX); break;
        case VRT__DT_UINT8: i = vrt__f2i(f, 0, UINT8_MAX); break;
        default: i = 0; break;
        }
    } else {
        i = s.i; /* integer to integer wraps (two's complement), as numpy */
    }
    if (!unsigned_big) u = (uint64_t)i;
    switch (t) {
    case VRT__DT_INT64:
    case VRT__DT_UINT64: memcpy(p, &u, 8); break;
    case VRT__DT_INT32:
    case VRT__DT_UINT32: {
        uint32_t v = (uint32_t)u;
        memcpy(p, &v, 4);
        break;
    }
    case VRT__DT_INT16:
    case VRT__DT_UINT16: {
        uint16_t v = (uint16_t)u;
        memcpy(p, &v, 2);
        break;
    }
    case VRT__DT_INT8:
    case VRT__DT_UINT8: p[0] = (uint8_t)u; break;
    default: break;
    }
}

static int vrt__cast_type_ok(vrt__dtype t) {
    return t != VRT__DT_STRING && t != VRT__DT_UNDEFINED && vrt__dtype_size(t) > 0;
}

vrt_status vrt__cpu_cast(vrt__dtype from, const void *x, vrt__dtype to, void *y, int64_t n) {
    if (!vrt__cast_type_ok(from) || !vrt__cast_type_ok(to)) return VRT_EUNSUPPORTED;
    if (n < 0) return VRT_EINVAL;
    size_t fs = vrt__dtype_size(from), ts = vrt__dtype_size(to);
    if (from == to) {
        if (x != y) memmove(y, x, (size_t)n * fs);
        return VRT_OK;
    }
    /* The boundary conversions of fp16 models get straight loops. */
    if (from == VRT__DT_FLOAT16 && to == VRT__DT_FLOAT) {
        const uint16_t *h = x;
        float *f = y;
        for (int64_t i = 0; i < n; i++)
            f[i] = vrt__half_to_float(h[i]);
        return VRT_OK;
    }
    if (from == VRT__DT_FLOAT && to == VRT__DT_FLOAT16) {
        const float *f = x;
        uint16_t *h = y;
        for (int64_t i = 0; i < n; i++)
            h[i] = vrt__float_to_half(f[i]);
        return VRT_OK;
    }
    const uint8_t *src = x;
    uint8_t *dst = y;
    for (int64_t i = 0; i < n; i++)
        vrt__store(to, dst + (size_t)i * ts, vrt__load(from, src + (size_t)i * fs));
    return VRT_OK;
}

vrt_status vrt__cpu_constant_of_shape(const void *value, size_t elem, void *y, int64_t n) {
    if (n < 0 || elem == 0) return VRT_EINVAL;
    uint8_t *out = y;
    if (!value) {
        memset(out, 0, (size_t)n * elem);
        return VRT_OK;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(out + (size_t)i * elem, value, elem);
    return VRT_OK;
}

/* ---- Range ---------------------------------------------------------------------- */

vrt_status vrt__range_count(vrt__dtype dt, const void *start, const void *limit, const void *delta,
                            int64_t *n) {
    double s, l, d;
    switch (dt) {
    case VRT__DT_FLOAT:
        s = *(const float *)start, l = *(const float *)limit, d = *(const float *)delta;
        break;
    case VRT__DT_DOUBLE:
        s = *(const double *)start, l = *(const double *)limit, d = *(const double *)delta;
        break;
    case VRT__DT_INT64:
    case VRT__DT_INT32:
    case VRT__DT_INT16: {
        vrt__scalar a = vrt__load(dt, start), b = vrt__load(dt, limit), c = vrt__load(dt, delta);
        if (c.i == 0) return VRT_EINVAL;
        /* exact integer ceil((limit - start) / delta) */
        __int128 num = (__int128)b.i - a.i, den = c.i;
        __int128 q = num / den;
        if ((num % den) != 0 && ((num < 0) == (den < 0))) q++;
        *n = q > 0 ? (int64_t)q : 0;
        return VRT_OK;
    }
    default: return VRT_EUNSUPPORTED;
    }
    if (d == 0 || d != d || s != s || l != l) return VRT_EINVAL;
    double c = ceil((l - s) / d);
    if (c > 9.0e15) return VRT_ERANGE;
    *n = c > 0 ? (int64_t)c : 0;
    return VRT_OK;
}

vrt_status vrt__cpu_range(vrt__dtype dt, const void *start, const void *delta, int64_t n, void *y) {
    if (n < 0) return VRT_EINVAL;
    switch (dt) {
    case VRT__DT_FLOAT: {
        /* ONNX's reference accumulates start + i*delta in the type itself */
        float s = *(const float *)start, d = *(const float *)delta;
        for (int64_t i = 0; i < n; i++)
            ((float *)y)[i] = s + (float)i * d;
        return VRT_OK;
    }
    case VRT__DT_DOUBLE: {
        double s = *(const double *)start, d = *(const double *)delta;
        for (int64_t i = 0; i < n; i++)
            ((double *)y)[i] = s + (double)i * d;
        return VRT_OK;
    }
    case VRT__DT_INT64:
    case VRT__DT_INT32:
    case VRT__DT_INT16: {
        vrt__scalar s = vrt__load(dt, start), d = vrt__load(dt, delta);
        size_t e = vrt__dtype_size(dt);
        for (int64_t i = 0; i < n; i++) {
            vrt__scalar v = {0, 0, 0.0, (int64_t)((uint64_t)s.i + (uint64_t)i * (uint64_t)d.i)};
            vrt__store(dt, (uint8_t *)y + (size_t)i * e, v);
        }
        return VRT_OK;
    }
    default: return VRT_EUNSUPPORTED;
    }
}
