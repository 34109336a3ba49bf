/* ROI batch pre-processing: box i of one frame -> image i of an N-batch
 * tensor. The boxes live in GPU memory (a detector's result, typically), so
 * the box rounding and the geometry of vrt_preprocess_geometry_for are
 * recomputed here per image, in the same double arithmetic (IEEE division,
 * rint/trunc/floor/ceil are exact on both sides). */
#include <math.h>

#include "vision/cuda/preprocess_impl.cuh"

static __device__ __forceinline__ double vrt__d_size_round(double v, int round) {
    return round ? rint(v) : trunc(v);
}

/* Box -> region and geometry, as vrt_preprocess_rois + vrt_preprocess_geometry_for.
 * Returns 0 (and a zero geometry) where the CPU version would refuse the box. */
static __device__ int vrt__d_roi_geometry(const vrt_preprocess_params &p, vrt_box b, uint32_t fw, uint32_t fh,
                                          vrt__d_region *r, vrt_preprocess_geometry *g) {
    memset(g, 0, sizeof(*g));
    memset(r, 0, sizeof(*r));
    g->frame_w = fw;
    g->frame_h = fh;
    if (!(isfinite(b.x1) && isfinite(b.y1) && isfinite(b.x2) && isfinite(b.y2))) return 0;
    double x1 = floor((double)b.x1), y1 = floor((double)b.y1), x2 = ceil((double)b.x2),
           y2 = ceil((double)b.y2);
    if (x1 < 0) x1 = 0;
    if (y1 < 0) y1 = 0;
    if (x2 > fw) x2 = fw;
    if (y2 > fh) y2 = fh;
    if (__dsub_rn(x2, x1) < 1 || __dsub_rn(y2, y1) < 1) return 0;
    const uint32_t rx = (uint32_t)x1, ry = (uint32_t)y1;
    const uint32_t w = (uint32_t)__dsub_rn(x2, x1), h = (uint32_t)__dsub_rn(y2, y1);
    const uint32_t W = p.width, H = p.height;
    double rwd = 0, rhd = 0, sx = 0, sy = 0;
    int32_t offx = 0, offy = 0;
    switch (p.resize) {
    case VRT_RESIZE_STRETCH:
        rwd = W;
        rhd = H;
        sx = __ddiv_rn((double)W, (double)w);
        sy = __ddiv_rn((double)H, (double)h);
        break;
    case VRT_RESIZE_CROP: {
        uint64_t S = p.resize_shorter ? p.resize_shorter : (W > H ? W : H);
        if (w <= h) {
            rwd = (double)S;
            rhd = vrt__d_size_round(__ddiv_rn((double)(S * h), (double)w), p.round_size);
            sx = sy = __ddiv_rn((double)S, (double)w);
        } else {
            rhd = (double)S;
            rwd = vrt__d_size_round(__ddiv_rn((double)(S * w), (double)h), p.round_size);
            sx = sy = __ddiv_rn((double)S, (double)h);
        }
        if (!(rwd >= 1 && rhd >= 1 && rwd <= (double)(1u << 20) && rhd <= (double)(1u << 20))) return 0;
        offx = -(int32_t)rint(__ddiv_rn(__dsub_rn(rwd, (double)W), 2.0));
        offy = -(int32_t)rint(__ddiv_rn(__dsub_rn(rhd, (double)H), 2.0));
        break;
    }
    default: { /* LETTERBOX */
        double rxs = __ddiv_rn((double)W, (double)w), rys = __ddiv_rn((double)H, (double)h);
        double rr = rxs < rys ? rxs : rys;
        rwd = vrt__d_size_round(__dmul_rn((double)w, rr), p.round_size);
        rhd = vrt__d_size_round(__dmul_rn((double)h, rr), p.round_size);
        if (rwd < 1) rwd = 1;
        if (rhd < 1) rhd = 1;
        if (rwd > W) rwd = W;
        if (rhd > H) rhd = H;
        sx = sy = rr;
        if (p.placement == VRT_PLACE_CENTER) {
            offx = (int32_t)((W - (uint32_t)rwd) / 2);
            offy = (int32_t)((H - (uint32_t)rhd) / 2);
        }
        break;
    }
    }
    if (!(rwd >= 1 && rhd >= 1 && rwd <= (double)(1u << 20) && rhd <= (double)(1u << 20))) return 0;
    r->rx = rx;
    r->ry = ry;
    r->sw = w;
    r->sh = h;
    r->rw = (uint32_t)rwd;
    r->rh = (uint32_t)rhd;
    r->off_x = offx;
    r->off_y = offy;
    r->valid = 1;
    g->scale_x = sx;
    g->scale_y = sy;
    g->offset_x = offx;
    g->offset_y = offy;
    g->resized_w = r->rw;
    g->resized_h = r->rh;
    g->off_x = offx;
    g->off_y = offy;
    g->roi_x = rx;
    g->roi_y = ry;
    g->roi_w = w;
    g->roi_h = h;
    return 1;
}

static __global__ void vrt__k_rois(vrt__cuda_src src, const vrt_box *boxes, vrt_preprocess_params p,
                                   void *out, size_t image_bytes, vrt_preprocess_geometry *geoms) {
    const int i = blockIdx.z;
    /* Every thread of the image derives the same region (a few double ops;
     * cheaper than a separate launch and a workspace). */
    vrt__d_region r;
    vrt_preprocess_geometry g;
    vrt__d_roi_geometry(p, boxes[i], src.width, src.height, &r, &g);
    if (geoms && blockIdx.x == 0 && blockIdx.y == 0 && threadIdx.x == 0 && threadIdx.y == 0) geoms[i] = g;
    uint32_t ox = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t oy = blockIdx.y * blockDim.y + threadIdx.y;
    if (ox >= p.width || oy >= p.height) return;
    vrt__d_pre_pixel(src, r, p, ox, oy, (uint8_t *)out + image_bytes * (size_t)i);
}

extern "C" cudaError_t vrt__cuda_rois_launch(const vrt__cuda_src *src, const vrt_box *boxes, int n,
                                             const vrt_preprocess_params *p, void *out,
                                             vrt_preprocess_geometry *geoms, cudaStream_t s) {
    if (n <= 0) return cudaSuccess;
    size_t image_bytes = (size_t)p->width * p->height * 3 * (p->dtype == VRT_TENSOR_F16 ? 2 : 4);
    dim3 block(32, 8);
    dim3 grid((p->width + block.x - 1) / block.x, (p->height + block.y - 1) / block.y, (unsigned)n);
    vrt__k_rois<<<grid, block, 0, s>>>(*src, boxes, *p, out, image_bytes, geoms);
    return cudaGetLastError();
}
