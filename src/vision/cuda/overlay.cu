/* The overlay's GPU twin: one thread per pixel fetches the source pixel
 * (pixel.h, the CPU conversion's arithmetic), applies every primitive of the
 * draw list that covers it in list order (overlay_draw.h, the function the
 * CPU twin calls) and writes the RGB24 copy. The list is staged through
 * shared memory a block-sized chunk at a time, so each primitive is read
 * from global memory once per block. */
#include "vision/cuda/overlay_cuda.h"
#include "vision/overlay_draw.h"
#include "vision/pixel.h"

#define VRT__OV_BLOCK_X 32
#define VRT__OV_BLOCK_Y 8
#define VRT__OV_CHUNK (VRT__OV_BLOCK_X * VRT__OV_BLOCK_Y)

static __global__ void vrt__k_overlay(vrt__cuda_src src, uint8_t *dst, uint32_t dst_stride,
                                      const vrt__ov_prim *prims, int n, vrt__ov_data d) {
    __shared__ vrt__ov_prim chunk[VRT__OV_CHUNK];
    int32_t x = (int32_t)(blockIdx.x * blockDim.x + threadIdx.x);
    int32_t y = (int32_t)(blockIdx.y * blockDim.y + threadIdx.y);
    int inside = x < (int32_t)src.width && y < (int32_t)src.height;
    int tid = threadIdx.y * blockDim.x + threadIdx.x;
    uint8_t px[3] = {0, 0, 0};
    if (inside) {
        int rgb[3];
        vrt__px_fetch_rgb_planes(src.fourcc, src.p0, src.s0, src.p1, src.s1, (uint32_t)x, (uint32_t)y, rgb);
        px[0] = (uint8_t)rgb[0], px[1] = (uint8_t)rgb[1], px[2] = (uint8_t)rgb[2];
    }
    for (int base = 0; base < n; base += VRT__OV_CHUNK) {
        int m = n - base < VRT__OV_CHUNK ? n - base : VRT__OV_CHUNK;
        __syncthreads();
        if (tid < m) chunk[tid] = prims[base + tid];
        __syncthreads();
        if (!inside) continue;
        for (int i = 0; i < m; i++) {
            const vrt__ov_prim *p = &chunk[i];
            if (x >= p->x0 && x < p->x1 && y >= p->y0 && y < p->y1) vrt__ov_apply(p, &d, x, y, px);
        }
    }
    if (!inside) return;
    uint8_t *o = dst + (size_t)y * dst_stride + 3 * (size_t)x;
    o[0] = px[0], o[1] = px[1], o[2] = px[2];
}

extern "C" cudaError_t vrt__cuda_overlay_launch(const vrt__cuda_src *src, uint8_t *dst, uint32_t dst_stride,
                                                const vrt__ov_prim *prims, int n, const vrt__ov_data *d,
                                                cudaStream_t s) {
    dim3 block(VRT__OV_BLOCK_X, VRT__OV_BLOCK_Y);
    dim3 grid((src->width + block.x - 1) / block.x, (src->height + block.y - 1) / block.y);
    vrt__k_overlay<<<grid, block, 0, s>>>(*src, dst, dst_stride, prims, n, *d);
    return cudaGetLastError();
}
