/* video_none.c - the video half of vrt/writer.h in a build without FFmpeg:
 * a video target fails at open saying how to get it. */
#include "writer-impl.h"

vrt_status vrt__video_open(vrt__video **out, const char *path, const vrt_writer_params *p, char *err,
                           size_t cap) {
    (void)p;
    *out = NULL;
    vrt_errbuf_set(
        err, cap,
        "output '%s': this build has no video output (FFmpeg not found at build time: install "
        "libavformat-dev libavcodec-dev libswscale-dev and rebuild), or write images (out.jpg, dir/)",
        path);
    return VRT_ENOSYS;
}

vrt_status vrt__video_write(vrt__video *v, const vrt_frame *f, char *err, size_t cap) {
    (void)v, (void)f, (void)err, (void)cap;
    return VRT_ENOSYS;
}

const char *vrt__video_codec(const vrt__video *v) {
    (void)v;
    return "";
}

vrt_status vrt__video_close(vrt__video **v, int remove, char *err, size_t cap) {
    (void)remove, (void)err, (void)cap;
    if (v) *v = NULL;
    return VRT_OK;
}
