/* Private: checks shared by the CPU and CUDA twins of the vision layer. */
#ifndef VRT_VISION_IMPL_H
#define VRT_VISION_IMPL_H

#include "vrt/frame.h"

/* Checks a raw frame for pre-processing: format, memory kind (on_gpu: the
 * CUDA twin, which needs device or mapped page-locked memory; else host
 * memory), size and plane strides. Messages start with `who`. */
vrt_status vrt__vision_check_frame(const vrt_frame *f, const char *who, int on_gpu, char *err, size_t cap);

#endif
