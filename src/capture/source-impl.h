/* Private: the table every source backend fills in, and URI helpers. */
#ifndef VRT_SOURCE_IMPL_H
#define VRT_SOURCE_IMPL_H

#include "vrt/source.h"

#define VRT__URI_MAX_KEYS 16

typedef struct vrt__uri {
    char scheme[16]; /* "v4l2", "file", "rtsp", "http", "https", "image", "synthetic" */
    char path[1024]; /* after "scheme:" (for rtsp/http: the whole URL without our own keys) */
    int nkeys;
    char keys[VRT__URI_MAX_KEYS][32];
    char vals[VRT__URI_MAX_KEYS][256];
    int used[VRT__URI_MAX_KEYS]; /* set by vrt__uri_get; leftovers are unknown keys */
} vrt__uri;

/* Parses a URI or plain path. Plain paths: /dev/video* -> v4l2, else file.
 * Returns VRT_EINVAL with a message in err for malformed input. */
vrt_status vrt__uri_parse(vrt__uri *u, const char *s, char *err, size_t cap);
/* Value of key or NULL; marks it used. */
const char *vrt__uri_get(vrt__uri *u, const char *key);
/* Typed getters: VRT_OK if absent (out unchanged) or parsed; VRT_EINVAL + err if malformed. */
vrt_status vrt__uri_get_int(vrt__uri *u, const char *key, int64_t *out, char *err, size_t cap);
vrt_status vrt__uri_get_double(vrt__uri *u, const char *key, double *out, char *err, size_t cap);
/* Fails naming the first unused key and listing `known` (a comma-separated list). */
vrt_status vrt__uri_check_unused(const vrt__uri *u, const char *known, char *err, size_t cap);

typedef struct vrt__source_vtbl {
    const char *kind;
    /* Applies the URI and params; on failure fills s->err. s->priv is the backend's. */
    vrt_status (*open)(vrt_source_t *s, vrt__uri *u, const vrt_source_params *p);
    /* Optional: capture into consumer buffers (bufs NULL: back to the source's own). Called only while
     * stopped; the backend checks them at start. NULL member: consumer buffers are VRT_ENOTSUP. */
    vrt_status (*set_buffers)(vrt_source_t *s, void *const *bufs, int count, size_t size);
    /* Allocates/binds buffers if needed and starts streaming. */
    vrt_status (*start)(vrt_source_t *s);
    vrt_status (*read)(vrt_source_t *s, vrt_frame **out, int timeout_ms);
    vrt_status (*stop)(vrt_source_t *s);
    /* Frees priv. Frames still held must stay valid until unref'd. */
    void (*close)(vrt_source_t *s);
    /* Optional (NULL: VRT_ENOTSUP). */
    vrt_status (*controls)(vrt_source_t *s, vrt_control *c, int cap, int *n);
    vrt_status (*control_get)(vrt_source_t *s, const char *name, int64_t *v);
    vrt_status (*control_set)(vrt_source_t *s, const char *name, int64_t v);
} vrt__source_vtbl;

/* The one MJPEG decoder of the capture layer (decode.c): when the consumer
 * wants a raw format and the backend delivers MJPEG, read() decodes each
 * frame it hands out into a frame from `pool` (sized at start). */
typedef struct vrt__source_decode {
    uint32_t fourcc;        /* 0: off; else the raw format MJPEG frames are decoded to */
    uint32_t auto_fourcc;   /* the backend's own choice (vrt__source_decode_to at open), else 0 */
    uint32_t delivered;     /* what the backend delivers (MJPEG when decoding) */
    vrt_frame_pool_t *pool; /* frames out keep it alive */
    uint64_t corrupt;       /* frames that did not decode */
} vrt__source_decode;

struct vrt_source {
    const vrt__source_vtbl *vt;
    void *priv;
    int started;
    vrt__source_decode dec;
    vrt_source_params params; /* after URI overrides are applied by the backend */
    vrt_source_info info;     /* filled by the backend at open */
    vrt_source_stats stats;   /* updated by the backend (atomic stores) */
    char err[512];
};

extern const vrt__source_vtbl vrt__source_v4l2;
extern const vrt__source_vtbl vrt__source_file; /* files and network streams */
extern const vrt__source_vtbl vrt__source_image;
extern const vrt__source_vtbl vrt__source_synthetic;
extern const vrt__source_vtbl vrt__source_nvdec; /* raw H.264/HEVC streams on NVDEC (nvdec.c) */

/* Which source reads a file or network stream (nvdec.c): decode=auto|nvdec|cpu of the URI (query
 * for files, fragment for URLs; auto or none means `dflt`, the params' decode): the NVDEC source
 * when asked, or with auto when the driver loads; else the FFmpeg one. *fallback 1: auto chose
 * NVDEC, so if it refuses the stream (vrt__decode_retry) the FFmpeg source is tried instead.
 * VRT_EINVAL with a message for a bad decode= value. */
vrt_status vrt__decode_pick(vrt__uri *u, vrt_decode_mode dflt, const vrt__source_vtbl **vt, int *fallback,
                            char *err, size_t cap);

/* Reads width=, height=, fps=, format= into s->params (marking them used);
 * fails with a message in s->err for malformed values. */
vrt_status vrt__source_common_keys(vrt_source_t *s, vrt__uri *u);

/* Backends: frames of this source arrive as MJPEG but the consumer asked for raw `fourcc` (V4L2
 * cameras without that format): read() decodes them (info.fourcc = fourcc, device_fourcc = MJPEG). */
void vrt__source_decode_to(vrt_source_t *s, uint32_t fourcc);
/* source.c: the decoding stage around the backend (decode.c). */
vrt_status vrt__decode_prepare(vrt_source_t *s);
vrt_status vrt__decode_read(vrt_source_t *s, vrt_frame **out, int timeout_ms);
void vrt__decode_free(vrt_source_t *s);

/* file.c (FFmpeg builds): FFmpeg's log lines go to vrt_log at lower levels (once per process;
 * the sink layer's video writer calls it too). */
void vrt__ffmpeg_route_log(void);

/* file.c (FFmpeg builds; file_none.c answers VRT_ENOSYS): a container file or network stream
 * demuxed by libavformat with the FFmpeg source's own opening code and keys (pace, loop, start,
 * fps, timeout, rtsp_transport, ... plus device=), its H.264/HEVC packets turned into Annex-B access
 * units by the h264_mp4toannexb / hevc_mp4toannexb filter: the NVDEC source's input for what is
 * not a raw elementary stream. Messages go to s->err, recoverable errors to s's stats; open
 * applies the URI's keys to s->params and names s->info. VRT_ENOTSUP for other codecs. */
typedef struct vrt__demux vrt__demux;
typedef struct vrt__demux_info {
    int codec; /* 1 H.264, 2 HEVC (vrt__es_codec) */
    uint32_t width, height;
    double fps;          /* the stream's rate; 0 if unknown */
    int64_t frame_count; /* -1 if unknown */
    int network;         /* a URL (rtsp://, http://, ...): no seeking back after the probe */
    int live;            /* low-latency protocols (rtsp, rtmp, udp, tcp, srt; low_latency=): never paced */
    int device;          /* device= */
    const char *name;    /* path, or URL without its password (the demuxer's) */
} vrt__demux_info;
vrt_status vrt__demux_open(vrt__demux **out, vrt_source_t *s, vrt__uri *u, vrt__demux_info *info);
/* The next access unit (valid until the next call) and its pts (ns from the stream's start,
 * continued across loops). VRT_EOF at the end, with a message. */
vrt_status vrt__demux_read(vrt__demux *d, vrt_source_t *s, const uint8_t **data, size_t *len,
                           int64_t *pts_ns);
/* Back to the start (start=): loop 1 continues the pts, 0 restarts them. VRT_ENOTSUP if not seekable. */
vrt_status vrt__demux_rewind(vrt__demux *d, int loop);
void vrt__demux_close(vrt__demux **d); /* NULL-safe */

#define VRT__SRC_ERR(s, ...) vrt_errbuf_set((s)->err, sizeof((s)->err), __VA_ARGS__)

#endif
