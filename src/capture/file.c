/*
 * capture/file.c - video files and network streams through FFmpeg (libavformat,
 * libavcodec, libswscale).
 *
 * URIs:
 *   file:PATH?key=value&...   or a plain PATH
 *     pace=native|none   deliver at the stream's rate (native) or as fast as decoded (default none)
 *     loop=0|1           seek back to the start at the end instead of VRT_EOF
 *     start=SECONDS      begin at this presentation time (frames before it are decoded and dropped)
 *     threads=N          decoder threads (default 2, frame threading)
 *     format=, width=, height=   output format and size (converted/scaled with swscale);
 *                        width or height alone keeps the aspect ratio
 *     fps=               with pace=native: deliver at this rate instead of the stream's timestamps
 *     decode=auto|cpu|nvdec   H.264/HEVC files and streams go to the NVDEC source (nvdec.c) with
 *                        nvdec, and with auto (the default; vrt_source_params.decode says what auto
 *                        means) when NVDEC is usable; cpu keeps them here (source.c picks). The
 *                        NVDEC source demuxes containers and streams through vrt__demux_* below.
 *   rtsp://, rtsps://, http(s)://, rtmp://, udp://, tcp://, srt://  (the whole URL goes to FFmpeg)
 *     Our own keys go in the URL fragment, which is never sent to a server, so they cannot clash
 *     with a server's query parameters:  rtsp://cam/stream?channel=1#rtsp_transport=udp&timeout=3
 *     The keys above, plus
 *     rtsp_transport=tcp|udp|udp_multicast|http   (default tcp: no lost packets behind NAT/Wi-Fi)
 *     timeout=SECONDS    connect and per-read timeout (default 5); a dead server never blocks
 *                        open() or read() longer than this (enforced with an AVIOInterruptCB)
 *     low_latency=0|1    nobuffer/low-delay flags and slice-only decoder threading (frame
 *                        threading delays output by threads-1 frames). Default 1 for live
 *                        protocols (rtsp, rtmp, udp, tcp, srt), 0 for http(s).
 *
 * read(timeout_ms): decoding a file is synchronous, so timeout_ms only bounds the pacing wait
 * (pace=native: VRT_EAGAIN when the next frame is not due in time). On network streams a read
 * blocks until the next frame or timeout= seconds (VRT_ETIMEDOUT): interrupting a demuxer in
 * the middle of a packet would corrupt its state, so shorter waits belong to a reader thread
 * (the pipeline's capture thread) rather than to read() itself.
 *
 * Frames come from a fixed pool made at open; the decoder's AVPacket/AVFrame and the swscale
 * context are reused, so nothing of ours is allocated per frame. A frame that was decoded but
 * could not be handed out (pool exhausted: VRT_ENOSPC; pacing not due within timeout_ms:
 * VRT_EAGAIN) is kept and delivered by the next read, so no frame is lost.
 */
#include "source-impl.h"

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define FILE_POOL_FRAMES 4
#define FILE_MAX_READ_ERRORS 16          /* consecutive demux errors before a file is treated as ended */
#define FILE_PACE_RESYNC_NS 1000000000LL /* pacing re-anchors when this far off schedule */

#define FILE_KEYS "pace, loop, start, threads, format, width, height, fps, decode"
#define STREAM_KEYS FILE_KEYS ", rtsp_transport, timeout, low_latency"
#define DEMUX_KEYS ", device" /* the NVDEC source's own, read here for its container input */

typedef struct file_priv {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frm;
    struct SwsContext *sws;
    vrt_frame_pool_t *pool;
    int sidx;      /* video stream index */
    AVRational tb; /* its time base */
    int network;
    int live; /* low-latency settings in use */
    int pace, loop;
    int threads;      /* decoder threads */
    double pace_fps;  /* fps= override for pacing; 0: stream timestamps */
    int64_t start_ns; /* start= as stream time, ns; skip frames before it */
    int64_t io_timeout_ns;
    _Atomic int64_t deadline_ns; /* for the interrupt callback; 0: none */

    /* Output. */
    uint32_t out_cc, out_w, out_h;
    enum AVPixelFormat out_fmt;
    /* What the swscale context was made for. */
    int sws_fmt, sws_w, sws_h, sws_cs, sws_range;

    /* Decoder state. */
    int draining;       /* NULL packet sent: the decoder is flushing */
    int read_errors;    /* consecutive demux errors */
    int have_dec;       /* frm holds a decoded frame not yet converted */
    int64_t dec_pts_ns; /* its output pts (offset applied) */
    vrt_frame *out;     /* converted frame waiting for its pacing time / the caller */

    /* Timeline. */
    uint64_t seq;
    int64_t frame_dur_ns;
    int64_t pts_offset_ns; /* added to the stream's pts (grows at each loop) */
    int64_t last_pts_ns;   /* last output pts (offset applied); INT64_MIN before the first */
    int rebase;            /* first frame after a loop: recompute pts_offset_ns */
    int paced;             /* pacing anchor valid */
    int64_t pace_t0_ns, pace_pts0_ns;
    uint64_t pace_seq0;

    /* The demuxer alone (vrt__demux_open, the NVDEC source's input): no decoder; packets go
     * through the Annex-B filter. */
    int demux;
    int device; /* device= (NVDEC's GPU) */
    AVBSFContext *bsf;
    AVPacket *au;       /* the access unit handed out, valid until the next read */
    int64_t max_pts_ns; /* largest pts handed out (offset applied); INT64_MIN before the first */

    char name[256]; /* path or URL with any password hidden, for messages */
} file_priv;

/* ---- FFmpeg logging goes through vrt_log ------------------------------- */

/* FFmpeg's log callback is process-wide; installing it once is constant configuration.
 * FFmpeg's own lines are detail: this source reports every failure itself as a status with
 * a message, so FFmpeg errors are logged at INFO and its warnings at DEBUG (a truncated file
 * otherwise floods stderr with h264 concealment messages). */
static void ff_log_cb(void *avcl, int level, const char *fmt, va_list vl) {
    vrt_log_level l = level <= AV_LOG_ERROR     ? VRT_LOG_INFO
                      : level <= AV_LOG_WARNING ? VRT_LOG_DEBUG
                                                : VRT_LOG_TRACE;
    if (level > AV_LOG_VERBOSE || !vrt_log_enabled(l)) return;
    char line[1024];
    int prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    if (n) vrt_log(l, "ffmpeg", "%s", line);
}

static pthread_once_t g_ff_once = PTHREAD_ONCE_INIT;
static void ff_init_once(void) {
    av_log_set_callback(ff_log_cb);
}

void vrt__ffmpeg_route_log(void) {
    pthread_once(&g_ff_once, ff_init_once);
}

/* ---- helpers ------------------------------------------------------------- */

static int is_network_scheme(const char *scheme) {
    static const char *k[] = {"rtsp", "rtsps", "http", "https", "rtmp", "udp", "tcp", "srt"};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        if (!strcmp(scheme, k[i])) return 1;
    return 0;
}

/* Copies a URL hiding the password of "scheme://user:pass@host" so it never lands in logs. */
static void redact_url(char *dst, size_t cap, const char *url) {
    const char *ss = strstr(url, "://");
    const char *at = ss ? strchr(ss + 3, '@') : NULL;
    const char *slash = ss ? strchr(ss + 3, '/') : NULL;
    const char *colon = ss ? memchr(ss + 3, ':', at ? (size_t)(at - (ss + 3)) : 0) : NULL;
    if (at && (!slash || at < slash) && colon)
        snprintf(dst, cap, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(dst, cap, "%s", url);
}

static const char *av_err(int e, char *buf, size_t cap) {
    av_strerror(e, buf, cap);
    return buf;
}

static vrt_status status_from_av(int e) {
    if (e == AVERROR_EOF) return VRT_EOF;
    if (e == AVERROR_EXIT) return VRT_ETIMEDOUT; /* our interrupt callback fired */
    if (e == AVERROR_INVALIDDATA || e == AVERROR_STREAM_NOT_FOUND) return VRT_EBADDATA;
    if (e == AVERROR_DECODER_NOT_FOUND || e == AVERROR_DEMUXER_NOT_FOUND || e == AVERROR_PROTOCOL_NOT_FOUND)
        return VRT_ENOTSUP;
    if (e == AVERROR_HTTP_NOT_FOUND) return VRT_ENOENT;
    if (e == AVERROR_HTTP_UNAUTHORIZED || e == AVERROR_HTTP_FORBIDDEN) return VRT_EACCES;
    if (e == AVERROR_HTTP_BAD_REQUEST || e == AVERROR_HTTP_OTHER_4XX || e == AVERROR_HTTP_SERVER_ERROR)
        return VRT_EPROTO;
    if (e < 0 && e > -4096) return vrt_status_from_errno(-e);
    return VRT_EIO;
}

static enum AVPixelFormat av_fmt_for(uint32_t cc) {
    switch (cc) {
    case VRT_FMT_YUYV: return AV_PIX_FMT_YUYV422;
    case VRT_FMT_UYVY: return AV_PIX_FMT_UYVY422;
    case VRT_FMT_NV12: return AV_PIX_FMT_NV12;
    case VRT_FMT_RGB24: return AV_PIX_FMT_RGB24;
    case VRT_FMT_BGR24: return AV_PIX_FMT_BGR24;
    case VRT_FMT_GREY: return AV_PIX_FMT_GRAY8;
    default: return AV_PIX_FMT_NONE;
    }
}

/* The default output keeps the stream's own sampling where a frame.h format has it, so no
 * colour detail is invented or thrown away: 4:2:0 video (nearly all H.264/HEVC/VP9/AV1) ->
 * NV12, the layout GPUs and V4L2 cameras use for 4:2:0 and what the GPU pre-processing reads
 * directly; 4:2:2 -> YUYV; grey -> GREY; RGB/palette -> RGB24. 4:4:4 and anything else -> NV12.
 * Sizes NV12 cannot hold (odd width or height) fall back to RGB24. */
static uint32_t default_fourcc(enum AVPixelFormat f, uint32_t w, uint32_t h) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    uint32_t cc = VRT_FMT_NV12;
    if (d) {
        if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL))
            cc = VRT_FMT_RGB24;
        else if (d->nb_components <= 2)
            cc = VRT_FMT_GREY; /* gray, gray+alpha */
        else if (d->log2_chroma_w == 1 && d->log2_chroma_h == 0)
            cc = VRT_FMT_YUYV;
    }
    if (!vrt_frame_size_for(cc, w, h)) cc = VRT_FMT_RGB24;
    return cc;
}

static int interrupt_cb(void *ctx) {
    file_priv *p = ctx;
    int64_t d = atomic_load_explicit(&p->deadline_ns, memory_order_relaxed);
    return d > 0 && vrt_now_ns() > d;
}

static void arm_deadline(file_priv *p) {
    if (p->network)
        atomic_store_explicit(&p->deadline_ns, vrt_now_ns() + p->io_timeout_ns, memory_order_relaxed);
}

static void disarm_deadline(file_priv *p) {
    atomic_store_explicit(&p->deadline_ns, 0, memory_order_relaxed);
}

static int64_t to_ns(int64_t ts, AVRational tb) {
    return av_rescale_q(ts, tb, (AVRational){1, 1000000000});
}

static void count_error(vrt_source_t *s) {
    atomic_fetch_add_explicit((_Atomic uint64_t *)&s->stats.errors, 1, memory_order_relaxed);
}

/* ---- open ------------------------------------------------------------------ */

static vrt_status parse_bool(vrt_source_t *s, vrt__uri *u, const char *key, int *out) {
    const char *v = vrt__uri_get(u, key);
    if (!v) return VRT_OK;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        *out = 0;
    else {
        VRT__SRC_ERR(s, "'%s=%s': expected 0 or 1", key, v);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

/* Reads our keys (from the query for files, the fragment for URLs) into s->params and p. */
static vrt_status parse_keys(vrt_source_t *s, file_priv *p, vrt__uri *u, char *transport, size_t tcap) {
    vrt_status st;
    if ((st = vrt__source_common_keys(s, u))) return st;
    const char *pace = vrt__uri_get(u, "pace");
    if (pace) {
        if (!strcasecmp(pace, "native") || !strcmp(pace, "1"))
            s->params.pace = 1;
        else if (!strcasecmp(pace, "none") || !strcmp(pace, "0"))
            s->params.pace = 0;
        else {
            VRT__SRC_ERR(s, "'pace=%s': expected native or none", pace);
            return VRT_EINVAL;
        }
    }
    (void)vrt__uri_get(u, "decode"); /* read by source.c, which chose this source */
    if ((st = parse_bool(s, u, "loop", &s->params.loop))) return st;
    double start = 0;
    if ((st = vrt__uri_get_double(u, "start", &start, s->err, sizeof(s->err)))) return st;
    if (start < 0 || start > 1e9) {
        VRT__SRC_ERR(s, "'start=%g': expected seconds >= 0", start);
        return VRT_EINVAL;
    }
    p->start_ns = (int64_t)(start * 1e9);
    int64_t threads = 2; /* two cores are common on the small boxes this runs on; FFmpeg's auto
                          * (cores+1) fights the pipeline's own threads for CPU */
    if ((st = vrt__uri_get_int(u, "threads", &threads, s->err, sizeof(s->err)))) return st;
    if (threads < 1 || threads > 64) {
        VRT__SRC_ERR(s, "'threads=%lld': expected 1..64", (long long)threads);
        return VRT_EINVAL;
    }
    p->threads = (int)threads;
    if (p->demux) {
        int64_t dev = 0;
        if ((st = vrt__uri_get_int(u, "device", &dev, s->err, sizeof(s->err)))) return st;
        if (dev < 0 || dev > 255) {
            VRT__SRC_ERR(s, "'device=%lld': expected a GPU ordinal 0..255", (long long)dev);
            return VRT_EINVAL;
        }
        p->device = (int)dev;
    }
    if (p->network) {
        double timeout = 5;
        if ((st = vrt__uri_get_double(u, "timeout", &timeout, s->err, sizeof(s->err)))) return st;
        if (timeout <= 0 || timeout > 3600) {
            VRT__SRC_ERR(s, "'timeout=%g': expected seconds in (0, 3600]", timeout);
            return VRT_EINVAL;
        }
        p->io_timeout_ns = (int64_t)(timeout * 1e9);
        const char *tr = vrt__uri_get(u, "rtsp_transport");
        if (tr) {
            if (strcmp(tr, "tcp") && strcmp(tr, "udp") && strcmp(tr, "udp_multicast") && strcmp(tr, "http") &&
                strcmp(tr, "https")) {
                VRT__SRC_ERR(s, "'rtsp_transport=%s': expected tcp, udp, udp_multicast, http or https", tr);
                return VRT_EINVAL;
            }
            snprintf(transport, tcap, "%s", tr);
        }
        if ((st = parse_bool(s, u, "low_latency", &p->live))) return st;
    }
    char known[160];
    snprintf(known, sizeof(known), "%s%s", p->network ? STREAM_KEYS : FILE_KEYS, p->demux ? DEMUX_KEYS : "");
    return vrt__uri_check_unused(u, known, s->err, sizeof(s->err));
}

static int pick_video_stream(AVFormatContext *fmt) {
    int best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (best >= 0 && !(fmt->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) return best;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return -1;
}

static void describe_streams(AVFormatContext *fmt, char *buf, size_t cap) {
    buf[0] = 0;
    size_t n = 0;
    for (unsigned i = 0; i < fmt->nb_streams && n + 32 < cap; i++) {
        AVStream *st = fmt->streams[i];
        const char *type = av_get_media_type_string(st->codecpar->codec_type);
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) type = "cover art";
        n += (size_t)snprintf(buf + n, cap - n, "%s%s (%s)", i ? ", " : "", type ? type : "unknown",
                              avcodec_get_name(st->codecpar->codec_id));
    }
    if (!fmt->nb_streams) snprintf(buf, cap, "none");
}

static vrt_status open_input(vrt_source_t *s, file_priv *p, const char *url, const char *transport) {
    char eb[128];
    p->fmt = avformat_alloc_context();
    if (!p->fmt) {
        VRT__SRC_ERR(s, "%s: out of memory", p->name);
        return VRT_ENOMEM;
    }
    p->fmt->interrupt_callback.callback = interrupt_cb;
    p->fmt->interrupt_callback.opaque = p;
    AVDictionary *opts = NULL;
    if (p->network) {
        /* FFmpeg's own socket timeouts are a backstop set past our deadline: the interrupt
         * callback fires first and gives a clear "timed out" rather than a protocol's guess
         * (rtsp reports a silent server as "invalid data"). */
        char us[32];
        snprintf(us, sizeof(us), "%lld", (long long)(p->io_timeout_ns / 1000 * 3 / 2 + 200000));
        av_dict_set(&opts, "rw_timeout", us, 0); /* generic AVIO read/write timeout, us */
        av_dict_set(&opts, "timeout", us, 0);    /* rtsp/http/tcp/udp socket timeout, us */
        if (!strncasecmp(url, "rtsp", 4)) av_dict_set(&opts, "rtsp_transport", transport, 0);
        if (p->live) {
            av_dict_set(&opts, "fflags", "nobuffer", 0);
            av_dict_set(&opts, "analyzeduration", "1000000", 0); /* 1 s instead of 5 s before frame 1 */
        }
    }
    int64_t t0 = vrt_now_ns();
    arm_deadline(p);
    int e = avformat_open_input(&p->fmt, url, NULL, &opts); /* frees fmt on failure */
    av_dict_free(&opts);
    if (e < 0) {
        disarm_deadline(p);
        vrt_status st = status_from_av(e);
        if (p->network && vrt_now_ns() - t0 >= p->io_timeout_ns) st = VRT_ETIMEDOUT;
        if (st == VRT_ETIMEDOUT)
            VRT__SRC_ERR(s, "%s: no answer within %.3g s (is the server up? raise timeout=)", p->name,
                         p->io_timeout_ns / 1e9);
        else if (p->network)
            VRT__SRC_ERR(s, "%s: cannot open stream: %s (check the URL and that the server runs%s)", p->name,
                         av_err(e, eb, sizeof(eb)),
                         !strncasecmp(url, "rtsp", 4) ? "; try #rtsp_transport=udp or tcp" : "");
        else if (st == VRT_EBADDATA || st == VRT_ENOTSUP || st == VRT_EIO) {
            st = VRT_EBADDATA;
            VRT__SRC_ERR(s,
                         "%s: not a video file FFmpeg can read (%s); use a container such as mp4, mkv, "
                         "mov, avi, webm or ts with H.264, HEVC, VP9, AV1, MPEG-4 or MJPEG video, "
                         "or image: for JPEG/PNG pictures",
                         p->name, av_err(e, eb, sizeof(eb)));
        } else
            VRT__SRC_ERR(s, "%s: cannot open: %s", p->name, av_err(e, eb, sizeof(eb)));
        return st;
    }
    e = avformat_find_stream_info(p->fmt, NULL);
    disarm_deadline(p);
    if (e < 0) {
        vrt_status st = status_from_av(e);
        if (st == VRT_ETIMEDOUT)
            VRT__SRC_ERR(s, "%s: no stream data within %.3g s (raise timeout=)", p->name,
                         p->io_timeout_ns / 1e9);
        else
            VRT__SRC_ERR(s, "%s: cannot read stream information: %s", p->name, av_err(e, eb, sizeof(eb)));
        return st == VRT_EOF ? VRT_EBADDATA : st;
    }
    p->sidx = pick_video_stream(p->fmt);
    if (p->sidx < 0) {
        char desc[256];
        describe_streams(p->fmt, desc, sizeof(desc));
        VRT__SRC_ERR(s,
                     "%s: no video stream (streams: %s); give a file or stream with video, or "
                     "image: for pictures",
                     p->name, desc);
        return VRT_EBADDATA;
    }
    for (unsigned i = 0; i < p->fmt->nb_streams; i++)
        if ((int)i != p->sidx) p->fmt->streams[i]->discard = AVDISCARD_ALL; /* demuxer skips them */
    p->tb = p->fmt->streams[p->sidx]->time_base;
    return VRT_OK;
}

static vrt_status open_decoder(vrt_source_t *s, file_priv *p, int threads) {
    char eb[128];
    AVStream *st = p->fmt->streams[p->sidx];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        VRT__SRC_ERR(s, "%s: no decoder for video codec '%s' in this FFmpeg build; re-encode to H.264",
                     p->name, avcodec_get_name(st->codecpar->codec_id));
        return VRT_ENOTSUP;
    }
    p->dec = avcodec_alloc_context3(codec);
    if (!p->dec) {
        VRT__SRC_ERR(s, "%s: out of memory", p->name);
        return VRT_ENOMEM;
    }
    int e = avcodec_parameters_to_context(p->dec, st->codecpar);
    if (e < 0) {
        VRT__SRC_ERR(s, "%s: bad codec parameters: %s", p->name, av_err(e, eb, sizeof(eb)));
        return VRT_EBADDATA;
    }
    p->dec->pkt_timebase = p->tb;
    p->dec->thread_count = threads;
    if (p->live) {
        /* Frame threading holds threads-1 frames back; live sources want each frame at once. */
        p->dec->thread_type = FF_THREAD_SLICE;
        p->dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
    } else {
        p->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    }
    e = avcodec_open2(p->dec, codec, NULL);
    if (e < 0) {
        VRT__SRC_ERR(s, "%s: cannot open the %s decoder: %s", p->name, codec->name,
                     av_err(e, eb, sizeof(eb)));
        return status_from_av(e) == VRT_ENOMEM ? VRT_ENOMEM : VRT_EBADDATA;
    }
    return VRT_OK;
}

static vrt_status seek_to(file_priv *p, int64_t ns) {
    AVStream *st = p->fmt->streams[p->sidx];
    int64_t ts = av_rescale_q(ns, (AVRational){1, 1000000000}, p->tb);
    if (st->start_time != AV_NOPTS_VALUE) ts += st->start_time;
    arm_deadline(p);
    int e = av_seek_frame(p->fmt, p->sidx, ts, AVSEEK_FLAG_BACKWARD);
    if (e < 0 && ns == 0) e = av_seek_frame(p->fmt, -1, 0, AVSEEK_FLAG_BYTE); /* no index: rewind bytes */
    disarm_deadline(p);
    if (e < 0) return VRT_ENOTSUP;
    if (p->dec) avcodec_flush_buffers(p->dec);
    if (p->bsf) av_bsf_flush(p->bsf);
    p->draining = 0;
    p->read_errors = 0;
    return VRT_OK;
}

/* A network URL: our keys come after '#'; the name is the URL without credentials. */
static vrt_status open_network_keys(vrt_source_t *s, file_priv *p, const vrt__uri *u, char *url,
                                    size_t url_cap, char *transport, size_t tcap) {
    /* Defaults: live protocols get low-latency settings; http(s) is mostly files served. */
    p->live = strcmp(u->scheme, "http") && strcmp(u->scheme, "https");
    snprintf(url, url_cap, "%s", u->path);
    char *hash = strchr(url, '#');
    vrt__uri *fu = vrt_calloc(1, sizeof(*fu));
    if (!fu) {
        VRT__SRC_ERR(s, "out of memory");
        return VRT_ENOMEM;
    }
    vrt_status st = VRT_OK;
    if (hash) {
        *hash = 0;
        char q[1100];
        snprintf(q, sizeof(q), "file:?%s", hash + 1);
        st = vrt__uri_parse(fu, q, s->err, sizeof(s->err));
    }
    if (!st) {
        snprintf(fu->scheme, sizeof(fu->scheme), "%s", u->scheme);
        redact_url(p->name, sizeof(p->name), url);
        st = parse_keys(s, p, fu, transport, tcap);
    }
    vrt_free(fu);
    if (!st) snprintf(s->info.kind, sizeof(s->info.kind), "stream");
    return st;
}

/* A local file: the keys, and a path that exists and is not a folder. */
static vrt_status open_file_keys(vrt_source_t *s, file_priv *p, vrt__uri *u, char *url, size_t url_cap,
                                 char *transport, size_t tcap) {
    snprintf(url, url_cap, "%s", u->path);
    snprintf(p->name, sizeof(p->name), "%s", u->path);
    vrt_status st = parse_keys(s, p, u, transport, tcap);
    if (st) return st;
    struct stat sb;
    if (!url[0]) {
        VRT__SRC_ERR(s, "empty file path; give file:PATH or a path to a video file");
        return VRT_EINVAL;
    }
    if (stat(url, &sb) != 0) {
        vrt_status es = vrt_status_from_errno(errno);
        VRT__SRC_ERR(s, "%s: %s%s", url, strerror(errno),
                     es == VRT_ENOENT ? " (no such video file; check the path)" : "");
        return es;
    }
    if (S_ISDIR(sb.st_mode)) {
        VRT__SRC_ERR(s, "%s: is a folder; give a video file, or image:%s for the pictures in it", url, url);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

/* The configure step: output size (width/height keys; one alone keeps the
 * aspect ratio, rounded to even) and raw format, the frame pool, the packet
 * and frame of the decoder. */
static vrt_status choose_output(vrt_source_t *s, file_priv *p) {
    uint32_t nw = (uint32_t)p->dec->width, nh = (uint32_t)p->dec->height;
    if (!nw || !nh) {
        VRT__SRC_ERR(s, "%s: video size unknown (stream without a size); the stream may be damaged", p->name);
        return VRT_EBADDATA;
    }
    uint32_t ow = s->params.width, oh = s->params.height;
    if (ow && !oh) oh = (uint32_t)((((uint64_t)ow * nh + nw / 2) / nw + 1) & ~1ULL);
    if (oh && !ow) ow = (uint32_t)((((uint64_t)oh * nw + nh / 2) / nh + 1) & ~1ULL);
    if (!ow) ow = nw;
    if (!oh) oh = nh;
    uint32_t cc = s->params.fourcc ? s->params.fourcc : default_fourcc(p->dec->pix_fmt, ow, oh);
    char cb[8];
    if (!vrt_fourcc_is_raw(cc)) {
        VRT__SRC_ERR(s,
                     "%s: output format %s not available from files (decoded frames are raw); "
                     "use NV12, YUYV, UYVY, RGB24, BGR24 or GREY",
                     p->name, vrt_fourcc_name(cc, cb));
        return VRT_ENOTSUP;
    }
    if (!vrt_frame_size_for(cc, ow, oh)) {
        VRT__SRC_ERR(s,
                     "%s: size %ux%u not possible in %s (NV12 needs an even width and height, "
                     "YUYV/UYVY an even width); pass width=/height=",
                     p->name, ow, oh, vrt_fourcc_name(cc, cb));
        return VRT_EINVAL;
    }
    p->out_cc = cc;
    p->out_w = ow;
    p->out_h = oh;
    p->out_fmt = av_fmt_for(cc);
    vrt_frame_pool_params pp;
    vrt_frame_pool_default_params(&pp);
    pp.fourcc = cc;
    pp.width = ow;
    pp.height = oh;
    pp.count = FILE_POOL_FRAMES;
    vrt_status st = vrt_frame_pool_create(&p->pool, &pp);
    if (st) {
        VRT__SRC_ERR(s, "%s: cannot allocate %u frames of %ux%u %s", p->name, pp.count, ow, oh,
                     vrt_fourcc_name(cc, cb));
        return st;
    }
    p->pkt = av_packet_alloc();
    p->frm = av_frame_alloc();
    if (!p->pkt || !p->frm) {
        VRT__SRC_ERR(s, "%s: out of memory", p->name);
        return VRT_ENOMEM;
    }
    return VRT_OK;
}

/* Rate, frame count and the rest of s->info once the output is chosen. */
static void fill_info(vrt_source_t *s, file_priv *p) {
    AVStream *vs = p->fmt->streams[p->sidx];
    AVRational fr = av_guess_frame_rate(p->fmt, vs, NULL);
    double fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0;
    p->frame_dur_ns = fps > 0 ? (int64_t)(1e9 / fps) : 40000000;
    int64_t count = vs->nb_frames > 0 ? vs->nb_frames : -1;
    if (count < 0 && fps > 0) {
        double dur = -1;
        if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
            dur = (double)vs->duration * av_q2d(vs->time_base);
        else if (p->fmt->duration != AV_NOPTS_VALUE && p->fmt->duration > 0)
            dur = (double)p->fmt->duration / AV_TIME_BASE;
        if (dur > 0) count = (int64_t)(dur * fps + 0.5);
    }
    snprintf(s->info.driver, sizeof(s->info.driver), "%s", p->dec->codec->name);
    s->info.fourcc = p->out_cc;
    s->info.width = p->out_w;
    s->info.height = p->out_h;
    s->info.fps = fps;
    s->info.frame_count = count;
    s->info.driver_timestamps = 0;
    s->info.monotonic_timestamps = 1;
    s->info.buffers = FILE_POOL_FRAMES;
    s->info.mode = VRT_MODE_ALL; /* files deliver every frame */
    s->params.mode = VRT_MODE_ALL;
    s->params.width = p->out_w;
    s->params.height = p->out_h;
    s->params.fourcc = p->out_cc;
}

/* The steps the FFmpeg source and the NVDEC source's demuxer share: keys, then the input
 * opened and its video stream picked. p is s->priv (freed by file_close). */
static vrt_status open_common(vrt_source_t *s, file_priv *p, vrt__uri *u) {
    p->last_pts_ns = INT64_MIN;
    p->max_pts_ns = INT64_MIN;
    p->network = is_network_scheme(u->scheme);
    p->io_timeout_ns = 5000000000LL;
    char url[1024];
    char transport[16] = "tcp";
    vrt_status st = p->network ? open_network_keys(s, p, u, url, sizeof(url), transport, sizeof(transport))
                               : open_file_keys(s, p, u, url, sizeof(url), transport, sizeof(transport));
    if (st) return st;
    snprintf(s->info.name, sizeof(s->info.name), "%s", p->name);
    p->pace = s->params.pace;
    p->loop = s->params.loop;
    p->pace_fps = s->params.fps;
    return open_input(s, p, url, transport);
}

static vrt_status file_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *prm) {
    (void)prm; /* s->params already holds a copy; URI keys override it below */
    vrt__ffmpeg_route_log();
    file_priv *p = vrt_calloc(1, sizeof(*p));
    if (!p) {
        VRT__SRC_ERR(s, "out of memory");
        return VRT_ENOMEM;
    }
    s->priv = p;
    vrt_status st = open_common(s, p, u);
    if (st) return st;
    if ((st = open_decoder(s, p, p->threads))) return st;
    if ((st = choose_output(s, p))) return st;
    fill_info(s, p);
    if (p->start_ns > 0 && seek_to(p, p->start_ns) != VRT_OK) {
        VRT__SRC_ERR(s, "%s: cannot seek to start=%.3f s (not seekable)", p->name, p->start_ns / 1e9);
        return VRT_ENOTSUP;
    }
    return VRT_OK;
}

/* ---- reading ----------------------------------------------------------------- */

/* Loops back to the start; VRT_EOF with a message when the input cannot seek. */
static vrt_status do_loop(vrt_source_t *s, file_priv *p) {
    if (seek_to(p, p->start_ns) != VRT_OK) {
        VRT__SRC_ERR(s, "%s: loop=1 but the input cannot seek back to the start", p->name);
        return VRT_EOF;
    }
    p->rebase = 1;
    return VRT_OK;
}

/* The next packet of the video stream into p->pkt. VRT_EOF at the end (files: also after
 * FILE_MAX_READ_ERRORS damaged stretches in a row); other failures with a message. */
static vrt_status read_video_packet(vrt_source_t *s, file_priv *p) {
    char eb[128];
    for (;;) {
        arm_deadline(p);
        int e = av_read_frame(p->fmt, p->pkt);
        disarm_deadline(p);
        if (e < 0) {
            if (e == AVERROR_EXIT) {
                count_error(s);
                VRT__SRC_ERR(s, "%s: no data for %.3g s (server gone? raise timeout=)", p->name,
                             p->io_timeout_ns / 1e9);
                return VRT_ETIMEDOUT;
            }
            if (e != AVERROR_EOF) {
                count_error(s);
                if (p->network && !(p->fmt->pb && avio_feof(p->fmt->pb))) {
                    VRT__SRC_ERR(s, "%s: read failed: %s", p->name, av_err(e, eb, sizeof(eb)));
                    return status_from_av(e) == VRT_EOF ? VRT_EIO : status_from_av(e);
                }
                /* Files: a damaged stretch; try on a few times, then take it as the end. */
                if (++p->read_errors < FILE_MAX_READ_ERRORS && !(p->fmt->pb && avio_feof(p->fmt->pb)))
                    continue;
            }
            return VRT_EOF;
        }
        p->read_errors = 0;
        if (p->pkt->stream_index != p->sidx) {
            av_packet_unref(p->pkt);
            continue;
        }
        if (p->pkt->flags & AV_PKT_FLAG_CORRUPT) count_error(s);
        return VRT_OK;
    }
}

/* Decodes the next frame into p->frm and sets p->dec_pts_ns. */
static vrt_status decode_next(vrt_source_t *s, file_priv *p) {
    int progress_guard = 0;
    for (;;) {
        int e = avcodec_receive_frame(p->dec, p->frm);
        if (e == 0) {
            if (p->frm->decode_error_flags || (p->frm->flags & AV_FRAME_FLAG_CORRUPT)) count_error(s);
            int64_t ts = p->frm->best_effort_timestamp;
            int64_t raw;
            if (ts == AV_NOPTS_VALUE) {
                raw = p->last_pts_ns == INT64_MIN ? 0 : p->last_pts_ns - p->pts_offset_ns + p->frame_dur_ns;
            } else {
                AVStream *vs = p->fmt->streams[p->sidx];
                if (vs->start_time != AV_NOPTS_VALUE) ts -= vs->start_time;
                raw = to_ns(ts, p->tb);
            }
            if (raw < p->start_ns - p->frame_dur_ns / 2) { /* before start=: decoded only to reach it */
                av_frame_unref(p->frm);
                continue;
            }
            if (p->rebase) {
                p->rebase = 0;
                if (p->last_pts_ns != INT64_MIN) p->pts_offset_ns = p->last_pts_ns + p->frame_dur_ns - raw;
            }
            int64_t pts = raw + p->pts_offset_ns;
            /* Damaged timestamps must not make time run backwards for consumers. */
            if (p->last_pts_ns != INT64_MIN && pts <= p->last_pts_ns) pts = p->last_pts_ns + 1;
            p->last_pts_ns = pts;
            p->dec_pts_ns = pts;
            return VRT_OK;
        }
        if (e == AVERROR_EOF) {
            if (p->loop && p->last_pts_ns != INT64_MIN) {
                vrt_status st = do_loop(s, p);
                if (st) return st;
                if (++progress_guard > 2) break; /* nothing decodable after a seek: stop */
                continue;
            }
            VRT__SRC_ERR(s, "%s: end of %s", p->name, p->network ? "stream" : "file");
            return VRT_EOF;
        }
        if (e != AVERROR(EAGAIN)) {
            count_error(s); /* a damaged frame: skip it, keep going */
            if (p->draining) {
                VRT__SRC_ERR(s, "%s: end of %s after decode errors", p->name, p->network ? "stream" : "file");
                return VRT_EOF;
            }
            continue;
        }
        /* The decoder wants input. */
        if (p->draining) return VRT_EOF; /* cannot happen with a conforming decoder */
        vrt_status st = read_video_packet(s, p);
        if (st == VRT_EOF) {
            avcodec_send_packet(p->dec, NULL); /* drain the frames still in the decoder */
            p->draining = 1;
            continue;
        }
        if (st) return st;
        e = avcodec_send_packet(p->dec, p->pkt);
        av_packet_unref(p->pkt);
        if (e < 0 && e != AVERROR(EAGAIN)) count_error(s); /* undecodable packet: skipped */
    }
    VRT__SRC_ERR(s, "%s: loop=1 but nothing decodable after seeking back", p->name);
    return VRT_EOF;
}

static vrt_status convert(vrt_source_t *s, file_priv *p, vrt_frame *f) {
    AVFrame *in = p->frm;
    int fmt = in->format;
    int range = in->color_range == AVCOL_RANGE_JPEG;
    /* Deprecated full-range "J" formats: same layout, range given separately. */
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P:
        fmt = AV_PIX_FMT_YUV420P;
        range = 1;
        break;
    case AV_PIX_FMT_YUVJ422P:
        fmt = AV_PIX_FMT_YUV422P;
        range = 1;
        break;
    case AV_PIX_FMT_YUVJ444P:
        fmt = AV_PIX_FMT_YUV444P;
        range = 1;
        break;
    case AV_PIX_FMT_YUVJ440P:
        fmt = AV_PIX_FMT_YUV440P;
        range = 1;
        break;
    default: break;
    }
    int cs = in->colorspace;
    if (!p->sws || fmt != p->sws_fmt || in->width != p->sws_w || in->height != p->sws_h || cs != p->sws_cs ||
        range != p->sws_range) {
        /* Made once at the first frame; again only if the stream changes format mid-way. */
        sws_freeContext(p->sws);
        int scaling = (uint32_t)in->width != p->out_w || (uint32_t)in->height != p->out_h;
        p->sws = sws_getContext(in->width, in->height, (enum AVPixelFormat)fmt, (int)p->out_w, (int)p->out_h,
                                p->out_fmt, scaling ? SWS_BILINEAR : SWS_BICUBIC, NULL, NULL, NULL);
        if (!p->sws) {
            VRT__SRC_ERR(s, "%s: cannot convert %s %dx%d to %ux%u", p->name,
                         av_get_pix_fmt_name((enum AVPixelFormat)fmt), in->width, in->height, p->out_w,
                         p->out_h);
            return VRT_ENOTSUP;
        }
        int sws_cs = cs == AVCOL_SPC_BT709                                       ? SWS_CS_ITU709
                     : (cs == AVCOL_SPC_BT2020_NCL || cs == AVCOL_SPC_BT2020_CL) ? SWS_CS_BT2020
                     : cs == AVCOL_SPC_FCC                                       ? SWS_CS_FCC
                     : cs == AVCOL_SPC_SMPTE240M                                 ? SWS_CS_SMPTE240M
                                                                                 : SWS_CS_DEFAULT;
        const int *coef = sws_getCoefficients(sws_cs);
        /* Output ranges follow the library's convention (vrt/image.h): NV12/YUYV/UYVY are
         * limited range (Y 16..235), GREY and RGB full range; full-range (JPEG) input is
         * compressed, limited-range input expanded to GREY. The matrix is the stream's. */
        int dst_range = p->out_cc == VRT_FMT_GREY || p->out_cc == VRT_FMT_RGB24 || p->out_cc == VRT_FMT_BGR24;
        sws_setColorspaceDetails(p->sws, coef, range, coef, dst_range, 0, 1 << 16, 1 << 16);
        p->sws_fmt = fmt;
        p->sws_w = in->width;
        p->sws_h = in->height;
        p->sws_cs = cs;
        p->sws_range = range;
    }
    uint8_t *dst[4] = {0};
    int dst_stride[4] = {0};
    for (int i = 0; i < f->num_planes && i < VRT_FRAME_MAX_PLANES; i++) {
        dst[i] = f->planes[i].data;
        dst_stride[i] = (int)f->planes[i].stride;
    }
    int h = sws_scale(p->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, dst, dst_stride);
    if (h <= 0) {
        count_error(s);
        VRT__SRC_ERR(s, "%s: conversion to %ux%u failed", p->name, p->out_w, p->out_h);
        return VRT_EIO;
    }
    return VRT_OK;
}

static vrt_status file_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    file_priv *p = s->priv;
    vrt_status st;
    if (!p->out) {
        if (!p->have_dec) {
            if ((st = decode_next(s, p))) return st;
            p->have_dec = 1;
        }
        vrt_frame *f = NULL;
        if (vrt_frame_pool_get(p->pool, &f) != VRT_OK) {
            VRT__SRC_ERR(s, "%s: all %d frames are held by the caller; unref frames before reading more",
                         p->name, FILE_POOL_FRAMES);
            return VRT_ENOSPC;
        }
        st = convert(s, p, f);
        av_frame_unref(p->frm);
        p->have_dec = 0;
        if (st) {
            vrt_frame_unref(&f);
            return st;
        }
        f->pts_ns = p->dec_pts_ns;
        p->out = f;
    }
    if (p->pace) {
        int64_t now = vrt_now_ns();
        if (!p->paced) {
            p->paced = 1;
            p->pace_t0_ns = now;
            p->pace_pts0_ns = p->out->pts_ns;
            p->pace_seq0 = p->seq;
        }
        int64_t due = p->pace_fps > 0
                          ? p->pace_t0_ns + (int64_t)((double)(p->seq - p->pace_seq0) * 1e9 / p->pace_fps)
                          : p->pace_t0_ns + (p->out->pts_ns - p->pace_pts0_ns);
        if (due - now > FILE_PACE_RESYNC_NS || now - due > FILE_PACE_RESYNC_NS) {
            /* A timestamp jump or a consumer that fell far behind: restart the schedule here
             * rather than sleep for ages or burst frames out to catch up. */
            p->pace_t0_ns = now;
            p->pace_pts0_ns = p->out->pts_ns;
            p->pace_seq0 = p->seq;
            due = now;
        }
        if (due > now) {
            if (timeout_ms >= 0 && due > now + (int64_t)timeout_ms * 1000000) {
                if (timeout_ms > 0) vrt_sleep_until_ns(now + (int64_t)timeout_ms * 1000000);
                return VRT_EAGAIN; /* the frame stays ready for the next read */
            }
            vrt_sleep_until_ns(due);
        }
    }
    vrt_frame *f = p->out;
    p->out = NULL;
    f->timestamp_ns = vrt_now_ns();
    f->dequeue_ns = f->timestamp_ns;
    f->ts_from_driver = 0;
    f->sequence = p->seq++;
    *out = f;
    return VRT_OK;
}

static vrt_status file_start(vrt_source_t *s) {
    file_priv *p = s->priv;
    p->paced = 0; /* the pacing schedule starts at the first read */
    return VRT_OK;
}

static vrt_status file_stop(vrt_source_t *s) {
    file_priv *p = s->priv;
    p->paced = 0;
    return VRT_OK;
}

static void free_priv(file_priv *p) {
    vrt_frame_unref(&p->out);
    sws_freeContext(p->sws);
    av_frame_free(&p->frm);
    av_packet_free(&p->pkt);
    avcodec_free_context(&p->dec);
    av_bsf_free(&p->bsf);
    av_packet_free(&p->au);
    avformat_close_input(&p->fmt);
    vrt_frame_pool_destroy(&p->pool); /* frames still held keep their memory until unref'd */
    vrt_free(p);
}

static void file_close(vrt_source_t *s) {
    if (!s->priv) return;
    free_priv(s->priv);
    s->priv = NULL;
}

const vrt__source_vtbl vrt__source_file = {
    .kind = "file",
    .open = file_open,
    .start = file_start,
    .read = file_read,
    .stop = file_stop,
    .close = file_close,
};

/* ---- the demuxer alone: the NVDEC source's input for containers and streams ---------- */

/* A vrt__demux is a file_priv in demux mode: no decoder, no output pool. */
static file_priv *dm(vrt__demux *d) {
    return (file_priv *)(void *)d;
}

/* The Annex-B filter of the stream's codec (demuxers of mp4/mkv/mov give length-prefixed NAL
 * units with the parameter sets in extradata; NVDEC's parser reads Annex-B). */
static vrt_status open_bsf(vrt_source_t *s, file_priv *p) {
    const AVCodecParameters *cp = p->fmt->streams[p->sidx]->codecpar;
    const char *name = cp->codec_id == AV_CODEC_ID_H264   ? "h264_mp4toannexb"
                       : cp->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb"
                                                          : NULL;
    if (!name) {
        VRT__SRC_ERR(s, "%s: video codec '%s': decode=nvdec takes H.264 or HEVC video; use decode=cpu",
                     p->name, avcodec_get_name(cp->codec_id));
        return VRT_ENOTSUP;
    }
    const AVBitStreamFilter *f = av_bsf_get_by_name(name);
    if (!f) {
        VRT__SRC_ERR(s, "%s: this FFmpeg build has no %s bitstream filter; use decode=cpu", p->name, name);
        return VRT_ENOTSUP;
    }
    char eb[128];
    int e = av_bsf_alloc(f, &p->bsf);
    if (e >= 0) e = avcodec_parameters_copy(p->bsf->par_in, cp);
    if (e >= 0) {
        p->bsf->time_base_in = p->tb;
        e = av_bsf_init(p->bsf);
    }
    if (e < 0) {
        VRT__SRC_ERR(s, "%s: %s: %s", p->name, name, av_err(e, eb, sizeof(eb)));
        return status_from_av(e) == VRT_ENOMEM ? VRT_ENOMEM : VRT_EBADDATA;
    }
    p->pkt = av_packet_alloc();
    p->au = av_packet_alloc();
    if (!p->pkt || !p->au) {
        VRT__SRC_ERR(s, "%s: out of memory", p->name);
        return VRT_ENOMEM;
    }
    return VRT_OK;
}

static void demux_info(file_priv *p, vrt__demux_info *info) {
    AVStream *vs = p->fmt->streams[p->sidx];
    AVRational fr = av_guess_frame_rate(p->fmt, vs, NULL);
    memset(info, 0, sizeof(*info));
    info->codec = vs->codecpar->codec_id == AV_CODEC_ID_HEVC ? 2 : 1;
    info->width = (uint32_t)vs->codecpar->width;
    info->height = (uint32_t)vs->codecpar->height;
    info->fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0;
    p->frame_dur_ns = info->fps > 0 ? (int64_t)(1e9 / info->fps) : 40000000;
    info->frame_count = vs->nb_frames > 0 ? vs->nb_frames : -1;
    info->network = p->network;
    info->live = p->live;
    info->device = p->device;
    info->name = p->name;
}

vrt_status vrt__demux_open(vrt__demux **out, vrt_source_t *s, vrt__uri *u, vrt__demux_info *info) {
    *out = NULL;
    vrt__ffmpeg_route_log();
    file_priv *p = vrt_calloc(1, sizeof(*p));
    if (!p) {
        VRT__SRC_ERR(s, "out of memory");
        return VRT_ENOMEM;
    }
    p->demux = 1;
    vrt_status st = open_common(s, p, u);
    if (!st) st = open_bsf(s, p);
    if (!st && p->start_ns > 0 && seek_to(p, p->start_ns) != VRT_OK) {
        VRT__SRC_ERR(s, "%s: cannot seek to start=%.3f s (not seekable)", p->name, p->start_ns / 1e9);
        st = VRT_ENOTSUP;
    }
    if (st) {
        free_priv(p);
        return st;
    }
    demux_info(p, info);
    *out = (vrt__demux *)(void *)p;
    return VRT_OK;
}

/* The access unit's pts in ns: from the stream's start, continued across loops. */
static int64_t au_pts_ns(file_priv *p, const AVPacket *pk) {
    int64_t ts = pk->pts != AV_NOPTS_VALUE ? pk->pts : pk->dts;
    int64_t raw;
    if (ts == AV_NOPTS_VALUE) {
        raw = p->max_pts_ns == INT64_MIN ? 0 : p->max_pts_ns - p->pts_offset_ns + p->frame_dur_ns;
    } else {
        AVStream *vs = p->fmt->streams[p->sidx];
        if (vs->start_time != AV_NOPTS_VALUE) ts -= vs->start_time;
        raw = to_ns(ts, p->tb);
    }
    if (p->rebase) { /* the first unit after a loop: a key frame, the earliest of its pass */
        p->rebase = 0;
        if (p->max_pts_ns != INT64_MIN) p->pts_offset_ns = p->max_pts_ns + p->frame_dur_ns - raw;
    }
    int64_t pts = raw + p->pts_offset_ns;
    if (p->max_pts_ns == INT64_MIN || pts > p->max_pts_ns) p->max_pts_ns = pts;
    return pts;
}

vrt_status vrt__demux_read(vrt__demux *d, vrt_source_t *s, const uint8_t **data, size_t *len,
                           int64_t *pts_ns) {
    file_priv *p = dm(d);
    av_packet_unref(p->au);
    for (;;) {
        int e = av_bsf_receive_packet(p->bsf, p->au);
        if (e == 0) {
            *data = p->au->data;
            *len = (size_t)p->au->size;
            *pts_ns = au_pts_ns(p, p->au);
            return VRT_OK;
        }
        if (e == AVERROR_EOF) {
            VRT__SRC_ERR(s, "%s: end of %s", p->name, p->network ? "stream" : "file");
            return VRT_EOF;
        }
        if (e != AVERROR(EAGAIN)) { /* a packet the filter refused: skipped */
            count_error(s);
            continue;
        }
        if (p->draining) return VRT_EOF;
        vrt_status st = read_video_packet(s, p);
        if (st == VRT_EOF) {
            av_bsf_send_packet(p->bsf, NULL); /* the filter's last units */
            p->draining = 1;
            continue;
        }
        if (st) return st;
        if (av_bsf_send_packet(p->bsf, p->pkt) < 0) {
            count_error(s);
            av_packet_unref(p->pkt);
        }
    }
}

vrt_status vrt__demux_rewind(vrt__demux *d, int loop) {
    file_priv *p = dm(d);
    av_packet_unref(p->au);
    if (seek_to(p, p->start_ns) != VRT_OK) return VRT_ENOTSUP;
    if (loop) {
        p->rebase = 1;
    } else { /* back to the start of the timeline (after the probe at open) */
        p->max_pts_ns = INT64_MIN;
        p->pts_offset_ns = 0;
    }
    return VRT_OK;
}

void vrt__demux_close(vrt__demux **pd) {
    if (!pd || !*pd) return;
    free_priv(dm(*pd));
    *pd = NULL;
}
