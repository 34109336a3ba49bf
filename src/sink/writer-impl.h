/* writer-impl.h - private: the video half of vrt/writer.h (video.c with
 * FFmpeg, video_none.c without), called by writer.c. */
#ifndef VRT_SINK_WRITER_IMPL_H
#define VRT_SINK_WRITER_IMPL_H

#include "vrt/writer.h"

typedef struct vrt__video vrt__video;

/* Opens the container file now (so a bad path fails at open); the stream and the encoder are
 * made at the first frame, when the size is known. */
vrt_status vrt__video_open(vrt__video **out, const char *path, const vrt_writer_params *p, char *err,
                           size_t cap);
vrt_status vrt__video_write(vrt__video *v, const vrt_frame *f, char *err, size_t cap);
const char *vrt__video_codec(const vrt__video *v);
/* Flushes the encoder, writes the trailer, closes and frees; remove: delete the file (no frame). */
vrt_status vrt__video_close(vrt__video **v, int remove, char *err, size_t cap);

#endif
