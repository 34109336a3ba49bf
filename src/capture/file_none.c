/* Stand-in for the FFmpeg file/stream source in builds without FFmpeg. */
#include "source-impl.h"

static vrt_status none_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *p) {
    (void)p;
    VRT__SRC_ERR(s,
                 "%s: video files and streams need FFmpeg, and this build has none "
                 "(install libavformat-dev libavcodec-dev libswscale-dev and rebuild); "
                 "image:, synthetic: and v4l2: sources work",
                 u->path);
    return VRT_ENOSYS;
}
static vrt_status none_start(vrt_source_t *s) {
    (void)s;
    return VRT_ENOSYS;
}
static vrt_status none_read(vrt_source_t *s, vrt_frame **out, int t) {
    (void)s;
    (void)out;
    (void)t;
    return VRT_ENOSYS;
}
static vrt_status none_stop(vrt_source_t *s) {
    (void)s;
    return VRT_OK;
}
static void none_close(vrt_source_t *s) {
    (void)s;
}

const vrt__source_vtbl vrt__source_file = {
    .kind = "file",
    .open = none_open,
    .start = none_start,
    .read = none_read,
    .stop = none_stop,
    .close = none_close,
};

vrt_status vrt__demux_open(vrt__demux **out, vrt_source_t *s, vrt__uri *u, vrt__demux_info *info) {
    (void)info;
    *out = NULL;
    VRT__SRC_ERR(
        s,
        "%s: containers and streams need FFmpeg to demux, and this build has none; NVDEC reads "
        "raw .h264/.h265 streams without it (ffmpeg -i IN -c:v copy -bsf:v h264_mp4toannexb OUT.h264)",
        u->path);
    return VRT_ENOSYS;
}
vrt_status vrt__demux_read(vrt__demux *d, vrt_source_t *s, const uint8_t **data, size_t *len,
                           int64_t *pts_ns) {
    (void)d;
    (void)s;
    (void)data;
    (void)len;
    (void)pts_ns;
    return VRT_ENOSYS;
}
vrt_status vrt__demux_rewind(vrt__demux *d, int loop) {
    (void)d;
    (void)loop;
    return VRT_ENOSYS;
}
void vrt__demux_close(vrt__demux **d) {
    if (d) *d = NULL;
}
