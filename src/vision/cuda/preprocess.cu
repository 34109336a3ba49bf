/* Whole-frame pre-processing: raw frame in GPU memory -> network input tensor
 * in one kernel, one thread per output pixel (all three channels). The
 * geometry comes from the host (vrt_preprocess_geometry_for), so it is the
 * CPU twin's by construction. */
#include "vision/cuda/preprocess_impl.cuh"

static __global__ void vrt__k_preprocess(vrt__cuda_src src, vrt__d_region r, vrt_preprocess_params p,
                                         void *out) {
    uint32_t ox = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t oy = blockIdx.y * blockDim.y + threadIdx.y;
    if (ox >= p.width || oy >= p.height) return;
    vrt__d_pre_pixel(src, r, p, ox, oy, out);
}

extern "C" cudaError_t vrt__cuda_preprocess_launch(const vrt__cuda_src *src, const vrt_preprocess_params *p,
                                                   const vrt_preprocess_geometry *g, void *out,
                                                   cudaStream_t s) {
    vrt__d_region r;
    r.rx = 0;
    r.ry = 0;
    r.sw = src->width;
    r.sh = src->height;
    r.rw = g->resized_w;
    r.rh = g->resized_h;
    r.off_x = g->off_x;
    r.off_y = g->off_y;
    r.valid = 1;
    dim3 block(32, 8);
    dim3 grid((p->width + block.x - 1) / block.x, (p->height + block.y - 1) / block.y);
    vrt__k_preprocess<<<grid, block, 0, s>>>(*src, r, *p, out);
    return cudaGetLastError();
}
