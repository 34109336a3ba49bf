/* image_impl.h - private helpers shared by the image layer's files. */
#ifndef VRT_IMAGE_IMPL_H
#define VRT_IMAGE_IMPL_H

#include <stdint.h>

/* Why vrt_frame_size_for(cc, w, h) is 0, for messages: "is larger than
 * 16384x16384", "needs even sizes", ... (a constant string). */
const char *vrt__frame_size_problem(uint32_t cc, uint32_t w, uint32_t h);

#endif
