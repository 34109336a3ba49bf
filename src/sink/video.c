/* video.c - the video half of vrt/writer.h through FFmpeg: the container
 * by the file's extension (libavformat), the encoder tried in order
 * (h264_nvenc when the CUDA driver is there, libx264, mjpeg), frames
 * converted with libswscale to the encoder's YUV 4:2:0, time stamps from the
 * frames. Runs on an output's own thread or in a tool's loop, never on the
 * frame path. */
#include "writer-impl.h"

#include <dlfcn.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/source-impl.h"
#include "vrt/image.h"

struct vrt__video {
    char path[1024];
    vrt_writer_params p;
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
    vrt_frame *rgb; /* MJPEG frames are decoded here first */
    char codec[32];
    uint32_t w, h; /* the frames' size */
    int avi;       /* AVI: a constant-rate container, time base 1/fps */
    int64_t ts0;   /* first frame's timestamp_ns */
    int64_t last_pts;
    int64_t interval; /* last pts step: the duration given to a packet (the last frame's too) */
    uint64_t count;
    int header;
};

static const char *fferr(int e, char *buf, size_t cap) {
    av_strerror(e, buf, cap);
    return buf;
}

vrt_status vrt__video_open(vrt__video **out, const char *path, const vrt_writer_params *p, char *err,
                           size_t cap) {
    *out = NULL;
    vrt__ffmpeg_route_log();
    vrt__video *v = vrt_calloc(1, sizeof(*v));
    if (!v) return VRT_ENOMEM;
    snprintf(v->path, sizeof(v->path), "%s", path);
    v->p = *p;
    char eb[128];
    int e = avformat_alloc_output_context2(&v->oc, NULL, NULL, path);
    if (e < 0 || !v->oc) {
        vrt_errbuf_set(err, cap, "output '%s': FFmpeg has no muxer for this extension (%s)", path,
                       fferr(e, eb, sizeof(eb)));
        vrt_free(v);
        return VRT_EINVAL;
    }
    v->avi = !strcmp(v->oc->oformat->name, "avi");
    e = avio_open(&v->oc->pb, path, AVIO_FLAG_WRITE);
    if (e < 0) {
        vrt_errbuf_set(err, cap, "output '%s': cannot create the file (%s)", path, fferr(e, eb, sizeof(eb)));
        avformat_free_context(v->oc);
        vrt_free(v);
        return VRT_EACCES;
    }
    *out = v;
    return VRT_OK;
}

const char *vrt__video_codec(const vrt__video *v) {
    return v ? v->codec : "";
}

/* NVENC needs the CUDA driver library; without it the encoder only fails after logging. */
static int have_cuda_driver(void) {
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) return 0;
    dlclose(h);
    return 1;
}

static AVCodecContext *try_encoder(vrt__video *v, const char *name) {
    const AVCodec *c = avcodec_find_encoder_by_name(name);
    if (!c) return NULL;
    AVCodecContext *x = avcodec_alloc_context3(c);
    if (!x) return NULL;
    int fps = (int)(v->p.fps + 0.5);
    x->width = (int)v->w;
    x->height = (int)v->h;
    x->time_base = v->avi ? (AVRational){1, fps > 0 ? fps : 30} : (AVRational){1, 1000};
    x->framerate = (AVRational){(int)(v->p.fps * 1000 + 0.5), 1000};
    x->gop_size = 2 * (fps > 0 ? fps : 30);
    x->pix_fmt = c->id == AV_CODEC_ID_MJPEG ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    if (v->p.bitrate_kbps > 0) x->bit_rate = (int64_t)v->p.bitrate_kbps * 1000;
    if (c->id == AV_CODEC_ID_MJPEG) {
        int q = 2 + (100 - v->p.quality) * 29 / 100; /* quality 100 -> qscale 2, 1 -> 30 */
        x->flags |= AV_CODEC_FLAG_QSCALE;
        x->global_quality = FF_QP2LAMBDA * q;
        x->qmin = x->qmax = q;
    }
    if (!strcmp(name, "libx264")) {
        /* A live recording: cheap on the CPU, a packet per frame (no lookahead, no B-frames). */
        av_opt_set(x->priv_data, "preset", "veryfast", 0);
        av_opt_set(x->priv_data, "tune", "zerolatency", 0);
    }
    if (v->oc->oformat->flags & AVFMT_GLOBALHEADER) x->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(x, c, NULL) < 0) {
        avcodec_free_context(&x);
        return NULL;
    }
    snprintf(v->codec, sizeof(v->codec), "%s", name);
    return x;
}

/* Stream, encoder and buffers for the first frame's size. */
static vrt_status start(vrt__video *v, const vrt_frame *f, char *err, size_t cap) {
    /* 4:2:0 needs even sizes: an odd last row or column is left out. */
    v->w = f->width & ~1u;
    v->h = f->height & ~1u;
    if (v->w < 2 || v->h < 2) {
        vrt_errbuf_set(err, cap, "output '%s': frames of %ux%u are too small for a video", v->path, f->width,
                       f->height);
        return VRT_EINVAL;
    }
    const char *want = v->p.codec && v->p.codec[0] && strcmp(v->p.codec, "auto") ? v->p.codec : NULL;
    const char *order[3] = {"h264_nvenc", "libx264", "mjpeg"};
    for (int i = 0; !v->enc && i < 3; i++)
        if (!want && (i || have_cuda_driver())) v->enc = try_encoder(v, order[i]);
    if (want) v->enc = try_encoder(v, want);
    if (!v->enc) {
        vrt_errbuf_set(err, cap, "output '%s': no video encoder could be opened (%s)", v->path,
                       want ? want : "tried h264_nvenc, libx264, mjpeg");
        return VRT_ENOSYS;
    }
    v->st = avformat_new_stream(v->oc, NULL);
    v->frame = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->st || !v->frame || !v->pkt) return VRT_ENOMEM;
    v->st->time_base = v->enc->time_base;
    v->st->avg_frame_rate = v->enc->framerate;
    int e = avcodec_parameters_from_context(v->st->codecpar, v->enc);
    char eb[128];
    if (e >= 0) e = avformat_write_header(v->oc, NULL);
    if (e < 0) {
        vrt_errbuf_set(err, cap, "output '%s': cannot start the %s stream (%s)", v->path, v->codec,
                       fferr(e, eb, sizeof(eb)));
        return VRT_EIO;
    }
    v->header = 1;
    v->frame->format = v->enc->pix_fmt;
    v->frame->width = (int)v->w;
    v->frame->height = (int)v->h;
    if (av_frame_get_buffer(v->frame, 0) < 0) return VRT_ENOMEM;
    v->ts0 = f->timestamp_ns;
    v->last_pts = -1;
    return VRT_OK;
}

/* Encoder packets out to the file. */
static vrt_status drain(vrt__video *v, char *err, size_t cap) {
    for (;;) {
        int e = avcodec_receive_packet(v->enc, v->pkt);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) return VRT_OK;
        char eb[128];
        if (e >= 0) {
            if (v->pkt->duration <= 0) v->pkt->duration = v->interval;
            av_packet_rescale_ts(v->pkt, v->enc->time_base, v->st->time_base);
            v->pkt->stream_index = v->st->index;
            e = av_interleaved_write_frame(v->oc, v->pkt);
        }
        if (e < 0) {
            vrt_errbuf_set(err, cap, "output '%s': writing the video failed (%s)", v->path,
                           fferr(e, eb, sizeof(eb)));
            return VRT_EIO;
        }
    }
}

static enum AVPixelFormat av_format_of(uint32_t fourcc) {
    switch (fourcc) {
    case VRT_FMT_YUYV: return AV_PIX_FMT_YUYV422;
    case VRT_FMT_UYVY: return AV_PIX_FMT_UYVY422;
    case VRT_FMT_NV12: return AV_PIX_FMT_NV12;
    case VRT_FMT_RGB24: return AV_PIX_FMT_RGB24;
    case VRT_FMT_BGR24: return AV_PIX_FMT_BGR24;
    case VRT_FMT_GREY: return AV_PIX_FMT_GRAY8;
    default: return AV_PIX_FMT_NONE;
    }
}

/* The frame's presentation time in the encoder's time base: from the frame's time stamp when
 * it has one, else the frame count at the nominal rate; always increasing. */
static int64_t next_pts(vrt__video *v, const vrt_frame *f) {
    double t = f->timestamp_ns > 0 && v->ts0 > 0 ? (double)(f->timestamp_ns - v->ts0) / 1e9
                                                 : (double)v->count / v->p.fps;
    int64_t pts = (int64_t)(t * (v->avi ? (double)v->enc->time_base.den : 1000.0) + 0.5);
    if (pts <= v->last_pts) pts = v->last_pts + 1;
    v->interval = v->last_pts >= 0 ? pts - v->last_pts : v->avi ? 1 : (int64_t)(1000.0 / v->p.fps + 0.5);
    v->last_pts = pts;
    return pts;
}

vrt_status vrt__video_write(vrt__video *v, const vrt_frame *f, char *err, size_t cap) {
    vrt_status st;
    if (!v->enc && (st = start(v, f, err, cap))) return st;
    if ((f->width & ~1u) != v->w || (f->height & ~1u) != v->h) {
        vrt_errbuf_set(err, cap, "output '%s': a %ux%u frame in a %ux%u video", v->path, f->width, f->height,
                       v->w, v->h);
        return VRT_EINVAL;
    }
    const vrt_frame *in = f;
    if (f->fourcc == VRT_FMT_MJPEG) {
        if (!v->rgb && (st = vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &v->rgb))) return st;
        if ((st = vrt_image_convert(f, v->rgb, err, cap))) return st;
        in = v->rgb;
    }
    enum AVPixelFormat fmt = av_format_of(in->fourcc);
    if (fmt == AV_PIX_FMT_NONE) {
        char b[8];
        vrt_errbuf_set(err, cap, "output '%s': frames in %s cannot be encoded", v->path,
                       vrt_fourcc_name(in->fourcc, b));
        return VRT_EINVAL;
    }
    v->sws = sws_getCachedContext(v->sws, (int)v->w, (int)v->h, fmt, (int)v->w, (int)v->h, v->enc->pix_fmt,
                                  SWS_BILINEAR, NULL, NULL, NULL);
    if (!v->sws || av_frame_make_writable(v->frame) < 0) return VRT_ENOMEM;
    const uint8_t *planes[4] = {in->planes[0].data, in->planes[1].data, NULL, NULL};
    int strides[4] = {(int)in->planes[0].stride, (int)in->planes[1].stride, 0, 0};
    sws_scale(v->sws, planes, strides, 0, (int)v->h, v->frame->data, v->frame->linesize);
    v->frame->pts = next_pts(v, f);
    char eb[128];
    int e = avcodec_send_frame(v->enc, v->frame);
    if (e < 0) {
        vrt_errbuf_set(err, cap, "output '%s': encoding failed (%s)", v->path, fferr(e, eb, sizeof(eb)));
        return VRT_EIO;
    }
    v->count++;
    return drain(v, err, cap);
}

vrt_status vrt__video_close(vrt__video **pv, int remove, char *err, size_t cap) {
    if (!pv || !*pv) return VRT_OK;
    vrt__video *v = *pv;
    vrt_status st = VRT_OK;
    if (v->enc && avcodec_send_frame(v->enc, NULL) >= 0) st = drain(v, err, cap);
    if (v->header) {
        int e = av_write_trailer(v->oc);
        char eb[128];
        if (e < 0 && !st) {
            vrt_errbuf_set(err, cap, "output '%s': writing the trailer failed (%s)", v->path,
                           fferr(e, eb, sizeof(eb)));
            st = VRT_EIO;
        }
    }
    avio_closep(&v->oc->pb);
    if (remove) unlink(v->path);
    avformat_free_context(v->oc);
    avcodec_free_context(&v->enc);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    sws_freeContext(v->sws);
    vrt_frame_unref(&v->rgb);
    vrt_free(v);
    *pv = NULL;
    return st;
}
