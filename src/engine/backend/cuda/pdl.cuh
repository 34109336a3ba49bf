// Programmatic dependent launch (Hopper+): our fp16 NHWC kernels are launched
// with cudaLaunchAttributeProgrammaticStreamSerialization, so inside a CUDA
// graph the next kernel is scheduled while the previous one still runs
// instead of after it completed (the launch gap of a tiny kernel is a large
// part of its cost). Correctness: every kernel launched this way first waits
// (griddepcontrol.wait: all prerequisite grids complete, their memory
// visible) and only then lets its own dependents launch. Kernels launched
// without the attribute (cuDNN's, the rest of ours) keep full dependencies.
// vrt__cuda_set_pdl() turns it on (the backend: compute capability >= 9
// unless vrt_engine_options.pdl says otherwise).
#ifndef VRT_CUDA_PDL_CUH
#define VRT_CUDA_PDL_CUH

#include <cuda_runtime.h>

extern "C" int vrt__cuda_pdl_enabled(void);

__device__ __forceinline__ void vrt__pdl_enter() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

template <typename... Exp, typename... Act>
static inline cudaError_t vrt__pdl_launch(void (*kernel)(Exp...), dim3 grid, dim3 block, cudaStream_t s,
                                          Act &&...args) {
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = 0;
    cfg.stream = s;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at;
    cfg.numAttrs = vrt__cuda_pdl_enabled() ? 1 : 0;
    return cudaLaunchKernelEx(&cfg, kernel, static_cast<Act &&>(args)...);
}

#endif
