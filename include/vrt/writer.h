/*
 * vrt/writer.h - frames to files: still images and video, chosen by the
 * target's form (the table below). `vrt capture -o`, `vrt infer IMAGE OUT`
 * and the image/video sinks of `vrt run` (vrt/sink.h) all write through it.
 *
 *   out.jpg, out.png, out.ppm   one image; each write replaces it (the last frame stays)
 *   dir/                        a folder (created): dir/frame_000000.jpg, ... or dir/NAME.jpg
 *                               when the write names the frame (vrt infer: the input's name)
 *   frames/%06d.jpg             numbered files: one printf integer conversion (%d, %06d, ...)
 *                               takes the frame count; the folder is created
 *   out.mp4, out.mkv, out.avi   video through FFmpeg (libavformat/libavcodec): H.264 with
 *                               h264_nvenc when the driver offers it, else libx264, else
 *                               MJPEG; time stamps from the frames (timestamp_ns), so the
 *                               video plays at the rate the frames came; the trailer is
 *                               written by vrt_writer_close (also after Ctrl-C, when the
 *                               caller closes it on its way out)
 *
 * Lifecycle: vrt_writer_open (checks the target now: an unknown extension, a
 * folder that cannot be made or a file that cannot be created fails here,
 * naming the target and what would work) -> vrt_writer_write per frame ->
 * vrt_writer_close (flushes, writes the video trailer, frees).
 * Frames: any raw format of vrt/frame.h, or MJPEG; every frame of a video
 * has the first frame's size (another size is VRT_EINVAL naming both).
 * Memory: a video writer allocates its encoder and conversion buffers at the
 * first frame; an image writer encodes each frame into a new buffer (this is
 * for the output's own thread, never the frame path). Threading: one thread
 * at a time per writer.
 */
#ifndef VRT_WRITER_H
#define VRT_WRITER_H

#include "vrt/export.h"
#include "vrt/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_writer vrt_writer_t;

typedef enum vrt_writer_kind {
    VRT_WRITER_IMAGE = 0,   /* one file, replaced by every write */
    VRT_WRITER_FOLDER = 1,  /* dir/ */
    VRT_WRITER_PATTERN = 2, /* numbered files */
    VRT_WRITER_VIDEO = 3,
} vrt_writer_kind;

typedef struct vrt_writer_params {
    int quality;            /* JPEG quality 1..100 (images and the MJPEG fallback); 0: 90 */
    const char *folder_ext; /* image type in a folder: "jpg" (default), "png", "ppm", "raw" */
    const char *codec;      /* video encoder: NULL or "auto" (default: h264_nvenc, libx264, mjpeg) or an
                             * FFmpeg encoder name (e.g. "libx264", "mjpeg", "mpeg4") */
    double fps;             /* video: nominal rate for the container and the encoder's rate control;
                             * 0: 30. Time stamps still come from the frames. */
    int bitrate_kbps;       /* video: 0 = the encoder's default quality (x264: crf 23) */
} vrt_writer_params;

VRT_API void vrt_writer_default_params(vrt_writer_params *p);

/* 1 when target has one of the forms above (by its text only: a trailing '/', a
 * printf integer conversion, or a known image/video extension), else 0. */
VRT_API int vrt_writer_recognizes(const char *target);

/* Opens target (see the table). p may be NULL. On failure *out is NULL and err names the
 * target and what would work. */
VRT_API vrt_status vrt_writer_open(vrt_writer_t **out, const char *target, const vrt_writer_params *p,
                                   char *err, size_t cap);
VRT_API vrt_writer_kind vrt_writer_get_kind(const vrt_writer_t *w);
/* Video: the encoder in use ("h264_nvenc", "libx264", "mjpeg", ...) once the first frame is
 * written, else ""; images: the extension ("jpg", "png", ...). Owned by the writer. */
VRT_API const char *vrt_writer_codec(const vrt_writer_t *w);
/* Frames written so far. */
VRT_API uint64_t vrt_writer_frames(const vrt_writer_t *w);

/* Writes f. name (may be NULL) names the file in a folder target (its extension is replaced
 * by the folder's image type); otherwise frame_NNNNNN is used. The path written, for images,
 * goes to path_out (may be NULL). */
VRT_API vrt_status vrt_writer_write(vrt_writer_t *w, const vrt_frame *f, const char *name, char *path_out,
                                    size_t path_cap, char *err, size_t cap);

/* Flushes and writes the trailer (video), frees the writer; NULL-safe; sets *w = NULL. A
 * video that got no frame is removed (an empty file would not play). */
VRT_API vrt_status vrt_writer_close(vrt_writer_t **w, char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
