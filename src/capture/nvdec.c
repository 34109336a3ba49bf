/*
 * capture/nvdec.c - H.264 / HEVC decoded on the GPU's video engines (NVDEC) through the driver's
 * libnvcuvid.so.1, loaded with dlopen (nvdec_api.h): no Video Codec SDK or CUDA toolkit is needed to
 * build or run it. Raw elementary streams (Annex-B: .h264 .264 .h265 .265 .hevc) are read here
 * without FFmpeg; containers (.mp4 .mkv .mov ...) and network streams (rtsp:// ...) are demuxed by
 * FFmpeg with the FFmpeg source's opening code and keys (file.c, vrt__demux_*), whose packets the
 * h264_mp4toannexb / hevc_mp4toannexb filters turn into Annex-B access units; their frames carry
 * the container's pts, and live streams are not paced.
 *
 * URI: file:PATH.h264?decode=nvdec&pace=native&loop=1&fps=30&device=0   (decode=auto picks this
 * source for elementary streams when NVDEC is usable; source.c, vrt__decode_pick)
 *
 * Path of a frame: the file is memory-mapped and cut into access units (annexb.c); each access
 * unit goes to NVIDIA's parser (cuvidParseVideoData), which calls back to decode pictures
 * (cuvidDecodePicture) and to hand them out in display order; read() maps the next picture
 * (cuvidMapVideoFrame64: NV12, cropped to the display area), copies it with two cuMemcpy2DAsync
 * into a page-locked NV12 frame of a fixed pool and hands that out (VRT_MEM_PINNED), which the
 * session's upload reads at full PCIe speed. Only 8-bit 4:2:0 video is delivered (NV12).
 *
 * Timing: with pace=native an access unit is handed to the decoder at its due time (the stream's
 * frame rate from the SPS VUI, fps= to override, 25 when neither says), as a network camera's
 * packet would arrive; a frame's timestamp_ns is when its access unit went to the decoder, so the
 * pipeline's exposure -> result latency is decode-to-result. pts_ns is the display index times
 * the frame period (raw streams carry no timestamps).
 *
 * Threads: a source is driven by one thread; every call that touches the GPU runs with the
 * device's primary context (the one the CUDA runtime and so the sessions use) pushed on that
 * thread. Nothing is allocated per frame: the pool, the parser, the decoder and its surfaces are
 * made at open and start.
 */
#include "source-impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "annexb.h"
#include "nvdec_api.h"

#define NV_POOL 4   /* frames the consumer may hold at once */
#define NV_QUEUE 32 /* decoded pictures waiting for read(), display order */
#define NV_EXTRA_SURFACES                                                                                    \
    4 /* decode surfaces beyond the stream's minimum (pictures waiting in the queue)                         \
       */
#define NV_MAX_SURFACES 32
#define NV_PROBE_UNITS 1024 /* access units read at open looking for the sequence header */
#define NV_PACE_RESYNC_NS 1000000000LL
#define NV_DEFAULT_FPS 25.0 /* FFmpeg's raw H.264/HEVC demuxers assume the same */
#define NVDEC_KEYS "decode, pace, loop, fps, device"

/* ---- the page-locked frame pool --------------------------------------------- */

/* Frames outlive the source (a consumer may hold one after close): the pool counts the source's
 * reference and one per frame out, and the last release frees it. */
typedef struct nv_pool {
    const nv_api *api;
    nv_CUcontext ctx;
    int dev;
    _Atomic int refs;
    uint8_t *mem[NV_POOL];
    _Atomic int busy[NV_POOL];
    vrt_frame frames[NV_POOL];
} nv_pool;

static void pool_put(nv_pool *pl) {
    if (atomic_fetch_sub_explicit(&pl->refs, 1, memory_order_acq_rel) != 1) return;
    nv_CUcontext dummy;
    int pushed = pl->api->cuCtxPushCurrent(pl->ctx) == 0;
    for (int i = 0; i < NV_POOL; i++)
        if (pl->mem[i]) pl->api->cuMemFreeHost(pl->mem[i]);
    if (pushed) pl->api->cuCtxPopCurrent(&dummy);
    pl->api->cuDevicePrimaryCtxRelease(pl->dev);
    vrt_free(pl);
}

static void pool_release(void *ctx, vrt_frame *f) {
    nv_pool *pl = ctx;
    atomic_store_explicit(&pl->busy[f->buffer_index], 0, memory_order_release);
    pool_put(pl);
}

/* The context is current. Takes a reference on the primary context of its own. */
static vrt_status pool_create(const nv_api *a, nv_CUcontext ctx, int dev, uint32_t w, uint32_t h,
                              nv_pool **out, char *err, size_t cap) {
    nv_pool *pl = vrt_calloc(1, sizeof(*pl));
    if (!pl) return VRT_ENOMEM;
    nv_CUcontext c2;
    if (a->cuDevicePrimaryCtxRetain(&c2, dev)) {
        vrt_free(pl);
        vrt_errbuf_set(err, cap, "cuDevicePrimaryCtxRetain failed");
        return VRT_EDEVICE;
    }
    pl->api = a;
    pl->ctx = ctx;
    pl->dev = dev;
    atomic_init(&pl->refs, 1);
    size_t bytes = vrt_frame_size_for(VRT_FMT_NV12, w, h);
    for (int i = 0; i < NV_POOL; i++) {
        void *m = NULL;
        nv_CUresult r = a->cuMemHostAlloc(&m, bytes, NV_CU_MEMHOSTALLOC_PORTABLE);
        if (r) {
            vrt_errbuf_set(err, cap, "cuMemHostAlloc of %zu bytes: %s", bytes, vrt__nvdec_cu_name(a, r));
            pool_put(pl);
            return VRT_ENOMEM;
        }
        pl->mem[i] = m;
        vrt_frame *f = &pl->frames[i];
        vrt_frame_layout(f, VRT_FMT_NV12, w, h, m);
        f->memory = VRT_MEM_PINNED;
        f->buffer_index = i;
        f->release = pool_release;
        f->release_ctx = pl;
    }
    *out = pl;
    return VRT_OK;
}

static vrt_frame *pool_get(nv_pool *pl) {
    for (int i = 0; i < NV_POOL; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&pl->busy[i], &expect, 1)) {
            atomic_fetch_add_explicit(&pl->refs, 1, memory_order_relaxed);
            vrt_frame *f = &pl->frames[i];
            atomic_store_explicit((_Atomic int *)&f->refs, 1, memory_order_relaxed);
            return f;
        }
    }
    return NULL;
}

/* ---- the source ---------------------------------------------------------------- */

typedef struct nv_pic {
    nv_disp_info d;
} nv_pic;

typedef struct nv_priv {
    const nv_api *api;
    vrt__annexb es;      /* raw elementary streams */
    vrt__demux *dm;      /* containers and network streams (FFmpeg demuxes, file.c), else NULL */
    vrt__demux_info dmi; /* its stream */
    vrt__es_codec codec;
    int dev;
    nv_CUcontext ctx;
    int ctx_retained;
    nv_CUstream stream;
    nv_CUvideoparser parser;
    nv_CUvideodecoder dec;
    nv_video_format fmt; /* the stream's, from the probe at open */
    int have_fmt, probing;
    int keep_probe; /* network streams: no seeking back, so the probe's pictures are shown */
    unsigned surfaces;
    uint32_t w, h; /* delivered size: the display area, even */
    nv_pool *pool;

    /* Pictures decoded, waiting for read() (a ring). */
    nv_pic q[NV_QUEUE];
    int qhead, qn;

    /* The access unit read from the file but not yet given to the decoder (pacing). */
    int have_au;
    const uint8_t *au;
    size_t au_len;
    int64_t au_pts_ns; /* the demuxer's pts; -1 for raw streams */
    int eos_sent;
    uint64_t pass_pics; /* pictures handed out by the parser since the last rewind */

    /* Timeline. */
    int pace, loop;
    double fps; /* the rate of pts and pacing */
    int paced;
    int64_t pace_t0_ns;
    uint64_t pace_k0, fed; /* access units given to the decoder */
    uint64_t seq, shown;

    vrt_status cb_st; /* the first failure inside a parser callback */
    char name[256];
} nv_priv;

static void count_error(vrt_source_t *s) {
    atomic_fetch_add_explicit((_Atomic uint64_t *)&s->stats.errors, 1, memory_order_relaxed);
}

static vrt_status cu_fail(vrt_source_t *s, nv_CUresult r, const char *call) {
    nv_priv *p = s->priv;
    VRT__SRC_ERR(s, "%s: %s failed: %s", p->name, call, vrt__nvdec_cu_name(p->api, r));
    return VRT_EDEVICE;
}

static vrt_status push_ctx(vrt_source_t *s) {
    nv_priv *p = s->priv;
    nv_CUresult r = p->api->cuCtxPushCurrent(p->ctx);
    return r ? cu_fail(s, r, "cuCtxPushCurrent") : VRT_OK;
}

static void pop_ctx(nv_priv *p) {
    nv_CUcontext c;
    p->api->cuCtxPopCurrent(&c);
}

/* The checks and the decoder for the stream's format (the context is current). */
static vrt_status create_decoder(vrt_source_t *s, nv_priv *p) {
    const nv_api *a = p->api;
    const nv_video_format *f = &p->fmt;
    const char *cn = f->codec == NV_CODEC_HEVC ? "HEVC" : "H.264";
    if (f->chroma_format != NV_CHROMA_420 || f->bit_depth_luma_minus8 || f->bit_depth_chroma_minus8) {
        VRT__SRC_ERR(
            s,
            "%s: %s %d-bit with chroma format %d: the NVDEC source delivers 8-bit 4:2:0 (NV12) only; "
            "use decode=cpu",
            p->name, cn, 8 + f->bit_depth_luma_minus8, f->chroma_format);
        return VRT_ENOTSUP;
    }
    nv_decode_caps c;
    memset(&c, 0, sizeof(c));
    c.eCodecType = f->codec;
    c.eChromaFormat = f->chroma_format;
    nv_CUresult r = a->cuvidGetDecoderCaps(&c);
    if (r) return cu_fail(s, r, "cuvidGetDecoderCaps");
    if (!c.bIsSupported || f->coded_width > c.nMaxWidth || f->coded_height > c.nMaxHeight ||
        f->coded_width < c.nMinWidth || f->coded_height < c.nMinHeight ||
        (f->coded_width >> 4) * (f->coded_height >> 4) > c.nMaxMBCount) {
        VRT__SRC_ERR(s,
                     "%s: this GPU's NVDEC does not decode %s %ux%u (supported %d, sizes %ux%u..%ux%u); "
                     "use decode=cpu",
                     p->name, cn, f->coded_width, f->coded_height, c.bIsSupported, c.nMinWidth, c.nMinHeight,
                     c.nMaxWidth, c.nMaxHeight);
        return VRT_ENOTSUP;
    }
    int dw = f->display_area.right - f->display_area.left, dh = f->display_area.bottom - f->display_area.top;
    p->w = (uint32_t)(dw > 0 ? dw : (int)f->coded_width) & ~1u; /* NV12 needs even sizes */
    p->h = (uint32_t)(dh > 0 ? dh : (int)f->coded_height) & ~1u;
    if (p->w < 2 || p->h < 2) {
        VRT__SRC_ERR(s, "%s: display area %dx%d too small", p->name, dw, dh);
        return VRT_EBADDATA;
    }
    /* Drivers before the field existed leave it 0: then the H.264 worst case (16 references + 1) and
     * room, as NVIDIA's samples allocate. */
    unsigned n = (f->min_num_decode_surfaces ? (unsigned)f->min_num_decode_surfaces : 17) + NV_EXTRA_SURFACES;
    p->surfaces = n > NV_MAX_SURFACES ? NV_MAX_SURFACES : n;
    nv_decode_create_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.ulWidth = ci.ulMaxWidth = f->coded_width;
    ci.ulHeight = ci.ulMaxHeight = f->coded_height;
    ci.ulNumDecodeSurfaces = p->surfaces;
    ci.CodecType = f->codec;
    ci.ChromaFormat = f->chroma_format;
    ci.ulCreationFlags = NV_CREATE_PREFER_CUVID;
    ci.display_area.left = (short)f->display_area.left;
    ci.display_area.top = (short)f->display_area.top;
    ci.display_area.right = (short)(f->display_area.left + (int)p->w);
    ci.display_area.bottom = (short)(f->display_area.top + (int)p->h);
    ci.OutputFormat = NV_SURFACE_NV12;
    ci.DeinterlaceMode = f->progressive_sequence ? NV_DEINTERLACE_WEAVE : NV_DEINTERLACE_ADAPTIVE;
    ci.ulTargetWidth = p->w;
    ci.ulTargetHeight = p->h;
    ci.ulNumOutputSurfaces = 2;
    r = a->cuvidCreateDecoder(&p->dec, &ci);
    if (r) {
        p->dec = NULL;
        return cu_fail(s, r, "cuvidCreateDecoder");
    }
    return VRT_OK;
}

/* ---- parser callbacks (inside cuvidParseVideoData, on the reading thread) ---- */

static int on_sequence(void *user, nv_video_format *f) {
    vrt_source_t *s = user;
    nv_priv *p = s->priv;
    if (p->probing && !p->dec) {
        /* The probe at open: the decoder is made here, so the probe's pictures decode normally
         * (the parser treats a refused picture as an error) and are then ignored. */
        p->fmt = *f;
        p->have_fmt = 1;
        vrt_status st = create_decoder(s, p);
        if (st) {
            p->cb_st = st;
            return 0;
        }
        return (int)p->surfaces;
    }
    /* The same stream again (loop=1, repeated parameter sets): keep the decoder. */
    if (f->codec == p->fmt.codec && f->coded_width == p->fmt.coded_width &&
        f->coded_height == p->fmt.coded_height && f->chroma_format == p->fmt.chroma_format &&
        f->bit_depth_luma_minus8 == p->fmt.bit_depth_luma_minus8)
        return (int)p->surfaces;
    if (!p->cb_st) {
        VRT__SRC_ERR(s,
                     "%s: the stream changes format mid-way (%ux%u -> %ux%u): not supported by the NVDEC "
                     "source; use decode=cpu",
                     p->name, p->fmt.coded_width, p->fmt.coded_height, f->coded_width, f->coded_height);
        p->cb_st = VRT_ENOTSUP;
    }
    return 0;
}

static int on_decode(void *user, nv_CUVIDPICPARAMS *pic) {
    vrt_source_t *s = user;
    nv_priv *p = s->priv;
    if (!p->dec) return 0;
    nv_CUresult r = p->api->cuvidDecodePicture(p->dec, pic);
    if (r) {
        count_error(s);
        if (!p->cb_st) p->cb_st = cu_fail(s, r, "cuvidDecodePicture");
        return 0;
    }
    return 1;
}

static int on_display(void *user, nv_disp_info *d) {
    vrt_source_t *s = user;
    nv_priv *p = s->priv;
    if ((p->probing && !p->keep_probe) || !d) return 1;
    if (p->qn == NV_QUEUE) { /* cannot happen: read() drains the queue before feeding more */
        count_error(s);
        p->qhead = (p->qhead + 1) % NV_QUEUE;
        p->qn--;
    }
    p->q[(p->qhead + p->qn) % NV_QUEUE].d = *d;
    p->qn++;
    p->pass_pics++;
    return 1;
}

static vrt_status make_parser(vrt_source_t *s, nv_priv *p) {
    nv_parser_params pp;
    memset(&pp, 0, sizeof(pp));
    pp.CodecType = p->codec == VRT__ES_HEVC ? NV_CODEC_HEVC : NV_CODEC_H264;
    pp.ulMaxNumDecodeSurfaces = p->surfaces ? p->surfaces : NV_MAX_SURFACES;
    pp.ulErrorThreshold = 100; /* decode pictures with damaged bits too (concealed) rather than skip them */
    pp.ulMaxDisplayDelay = 0;  /* hand out each picture as soon as its order allows */
    pp.pUserData = s;
    pp.pfnSequenceCallback = on_sequence;
    pp.pfnDecodePicture = on_decode;
    pp.pfnDisplayPicture = on_display;
    nv_CUresult r = p->api->cuvidCreateVideoParser(&p->parser, &pp);
    if (r) {
        p->parser = NULL;
        return cu_fail(s, r, "cuvidCreateVideoParser");
    }
    return VRT_OK;
}

static void drop_parser(nv_priv *p) {
    if (p->parser) p->api->cuvidDestroyVideoParser(p->parser);
    p->parser = NULL;
}

/* One access unit (or the end of the stream: data NULL) to the parser; ts_ns: its arrival. */
static vrt_status feed(vrt_source_t *s, nv_priv *p, const uint8_t *data, size_t len, int64_t ts_ns) {
    nv_source_packet pk;
    memset(&pk, 0, sizeof(pk));
    if (data) {
        pk.flags = NV_PKT_TIMESTAMP | NV_PKT_ENDOFPICTURE; /* whole access units: decode at once */
        pk.payload = data;
        pk.payload_size = len;
        pk.timestamp = ts_ns / 100; /* the parser's default 10 MHz clock */
    } else {
        pk.flags = NV_PKT_ENDOFSTREAM;
    }
    p->cb_st = VRT_OK;
    nv_CUresult r = p->api->cuvidParseVideoData(p->parser, &pk);
    if (p->cb_st) return p->cb_st;
    if (r && !p->probing) count_error(s); /* a damaged unit: skipped */
    return VRT_OK;
}

/* ---- open -------------------------------------------------------------------------- */

static vrt_status parse_keys(vrt_source_t *s, nv_priv *p, vrt__uri *u) {
    vrt_status st;
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
    int64_t loop = s->params.loop, dev = 0;
    if ((st = vrt__uri_get_int(u, "loop", &loop, s->err, sizeof(s->err)))) return st;
    if ((st = vrt__uri_get_int(u, "device", &dev, s->err, sizeof(s->err)))) return st;
    if ((st = vrt__uri_get_double(u, "fps", &s->params.fps, s->err, sizeof(s->err)))) return st;
    if (loop < 0 || loop > 1 || dev < 0 || dev > 255 || s->params.fps < 0 || s->params.fps > 10000) {
        VRT__SRC_ERR(s, "loop=%lld device=%lld fps=%g: expected loop 0|1, device 0..255, fps 0..10000",
                     (long long)loop, (long long)dev, s->params.fps);
        return VRT_EINVAL;
    }
    s->params.loop = (int)loop;
    p->dev = (int)dev;
    return vrt__uri_check_unused(u, NVDEC_KEYS, s->err, sizeof(s->err));
}

/* The next access unit of the file or stream; *pts -1 for raw streams (they carry none). */
static vrt_status next_unit(vrt_source_t *s, nv_priv *p, const uint8_t **data, size_t *len, int64_t *pts) {
    if (p->dm) return vrt__demux_read(p->dm, s, data, len, pts);
    size_t off;
    int key;
    vrt_status st = vrt__annexb_next(&p->es, &off, len, &key);
    if (st) return st;
    *data = p->es.data + off;
    *pts = -1;
    return VRT_OK;
}

/* Reads access units until the parser reports the sequence header (on_sequence makes the decoder
 * then), and starts over: start() makes a fresh parser from the first unit. A network stream
 * cannot start over: its parser is kept and goes on from there, the probe's pictures queued. */
static vrt_status probe(vrt_source_t *s, nv_priv *p) {
    vrt_status st = make_parser(s, p);
    if (st) return st;
    p->probing = 1;
    p->keep_probe = p->dm && p->dmi.network;
    const uint8_t *d;
    size_t len;
    int64_t pts;
    vrt_status rd = VRT_OK;
    for (int i = 0; i < NV_PROBE_UNITS && !p->have_fmt && !st; i++) {
        if ((rd = next_unit(s, p, &d, &len, &pts)) != VRT_OK) break;
        st = feed(s, p, d, len, pts > 0 ? pts : 0);
    }
    p->probing = 0;
    if (rd && rd != VRT_EOF) return rd; /* a stream that failed: its message */
    if (!p->keep_probe) drop_parser(p);
    if (!st && !p->keep_probe)
        st = p->dm ? vrt__demux_rewind(p->dm, 0) : (vrt__annexb_rewind(&p->es), VRT_OK);
    if (st == VRT_ENOTSUP) VRT__SRC_ERR(s, "%s: cannot seek back to the start after the probe", p->name);
    if (st) return st;
    if (!p->have_fmt) {
        VRT__SRC_ERR(s, "%s: no %s sequence header (SPS) in the first %d access units", p->name,
                     vrt__annexb_codec_name(p->codec), NV_PROBE_UNITS);
        return VRT_EBADDATA;
    }
    return VRT_OK;
}

static void fill_info(vrt_source_t *s, nv_priv *p) {
    double fps = p->fmt.frame_rate.numerator && p->fmt.frame_rate.denominator
                     ? (double)p->fmt.frame_rate.numerator / p->fmt.frame_rate.denominator
                     : 0;
    if (p->dm && p->dmi.fps > 0) fps = p->dmi.fps; /* the container's rate */
    p->fps = s->params.fps > 0 ? s->params.fps : fps > 0 ? fps : NV_DEFAULT_FPS;
    p->pace = s->params.pace && !(p->dm && p->dmi.live); /* live streams come at their own rate */
    p->loop = s->params.loop;
    snprintf(s->info.driver, sizeof(s->info.driver), "nvdec %s", p->codec == VRT__ES_HEVC ? "hevc" : "h264");
    s->info.fourcc = VRT_FMT_NV12;
    s->info.width = p->w;
    s->info.height = p->h;
    s->info.fps = fps > 0 ? fps : p->fps;
    s->info.frame_count = p->dm ? p->dmi.frame_count : -1;
    s->info.driver_timestamps = 0;
    s->info.monotonic_timestamps = 1;
    s->info.buffers = NV_POOL;
    s->info.mode = VRT_MODE_ALL;
    s->params.mode = VRT_MODE_ALL;
    s->params.width = p->w;
    s->params.height = p->h;
    s->params.fourcc = VRT_FMT_NV12;
}

/* What the caller asked for that this source cannot give (it delivers the stream's own size in NV12). */
static vrt_status check_wanted(vrt_source_t *s, nv_priv *p) {
    const vrt_source_params *w = &s->params;
    char b[8];
    if (w->fourcc && w->fourcc != VRT_FMT_NV12) {
        VRT__SRC_ERR(s, "%s: NVDEC delivers NV12; format %s needs decode=cpu (FFmpeg)", p->name,
                     vrt_fourcc_name(w->fourcc, b));
        return VRT_ENOTSUP;
    }
    if ((w->width && w->width != p->w) || (w->height && w->height != p->h)) {
        VRT__SRC_ERR(s, "%s: NVDEC delivers the stream's size %ux%u; %ux%u needs decode=cpu (FFmpeg scales)",
                     p->name, p->w, p->h, w->width, w->height);
        return VRT_ENOTSUP;
    }
    return VRT_OK;
}

static vrt_status open_gpu(vrt_source_t *s, nv_priv *p) {
    const nv_api *a = p->api;
    if (p->dev >= a->devices) {
        VRT__SRC_ERR(s, "%s: device=%d but the driver reports %d GPU%s", p->name, p->dev, a->devices,
                     a->devices == 1 ? "" : "s");
        return VRT_ENODEV;
    }
    nv_CUresult r = a->cuDevicePrimaryCtxRetain(&p->ctx, p->dev);
    if (r) return cu_fail(s, r, "cuDevicePrimaryCtxRetain");
    p->ctx_retained = 1;
    vrt_status st = push_ctx(s);
    if (st) return st;
    r = a->cuStreamCreate(&p->stream, NV_CU_STREAM_NON_BLOCKING);
    if (r) {
        p->stream = NULL;
        st = cu_fail(s, r, "cuStreamCreate");
    }
    if (!st) st = probe(s, p);
    if (!st) st = check_wanted(s, p);
    if (!st) {
        char e[256] = "";
        st = pool_create(a, p->ctx, p->dev, p->w, p->h, &p->pool, e, sizeof(e));
        if (st) VRT__SRC_ERR(s, "%s: %s", p->name, e);
    }
    pop_ctx(p);
    return st;
}

static vrt_status nvdec_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *prm) {
    (void)prm; /* s->params holds a copy; URI keys override it */
    nv_priv *p = vrt_calloc(1, sizeof(*p));
    if (!p) {
        VRT__SRC_ERR(s, "out of memory");
        return VRT_ENOMEM;
    }
    s->priv = p;
    /* URLs may hold a password: named by their scheme until the demuxer gives the cleaned URL. */
    if (!strcmp(u->scheme, "file"))
        snprintf(p->name, sizeof(p->name), "%s", u->path);
    else
        snprintf(p->name, sizeof(p->name), "%s stream", u->scheme);
    /* Raw elementary streams are read here; containers and network streams demuxed by FFmpeg. */
    p->codec = strcmp(u->scheme, "file") ? VRT__ES_NONE : vrt__annexb_codec_for_path(u->path);
    vrt_status st = p->codec ? parse_keys(s, p, u) : VRT_OK;
    if (st) return st;
    char e[384] = "";
    p->api = vrt__nvdec_api(e, sizeof(e));
    if (!p->api) {
        VRT__SRC_ERR(s, "%s: %s", p->name, e);
        return VRT_ENOSYS;
    }
    if (p->codec) {
        st = vrt__annexb_open(&p->es, u->path, p->codec, s->err, sizeof(s->err));
    } else if (!(st = vrt__demux_open(&p->dm, s, u, &p->dmi))) {
        snprintf(p->name, sizeof(p->name), "%s", p->dmi.name);
        p->codec = p->dmi.codec == 2 ? VRT__ES_HEVC : VRT__ES_H264;
        p->dev = p->dmi.device;
    }
    if (st) return st;
    if ((st = open_gpu(s, p))) return st;
    fill_info(s, p);
    return VRT_OK;
}

/* ---- reading ------------------------------------------------------------------------- */

/* n frame periods in ns (computed whole, so that timestamps do not drift by rounding). */
static int64_t frames_ns(const nv_priv *p, uint64_t n) {
    return (int64_t)((double)n * 1e9 / p->fps);
}

/* When the pending access unit is due (pace=native), else now. */
static int64_t due_time(nv_priv *p, int64_t now) {
    if (!p->pace) return now;
    if (!p->paced) {
        p->paced = 1;
        p->pace_t0_ns = now;
        p->pace_k0 = p->fed;
    }
    int64_t due = p->pace_t0_ns + frames_ns(p, p->fed - p->pace_k0);
    if (due - now > NV_PACE_RESYNC_NS || now - due > NV_PACE_RESYNC_NS) {
        /* A consumer that fell far behind: restart the schedule rather than burst to catch up. */
        p->pace_t0_ns = now;
        p->pace_k0 = p->fed;
        due = now;
    }
    return due;
}

/* The end of the file: flush the decoder's last pictures, then loop or end. */
static vrt_status at_end(vrt_source_t *s, nv_priv *p) {
    if (!p->eos_sent) {
        p->eos_sent = 1;
        return feed(s, p, NULL, 0, 0);
    }
    if (!p->loop || !p->pass_pics) { /* a pass without a picture would loop for ever */
        VRT__SRC_ERR(s, "%s: end of file", p->name);
        return VRT_EOF;
    }
    /* A fresh parser for the next pass: the old one has seen the end of the stream. */
    drop_parser(p);
    vrt_status st = make_parser(s, p);
    if (st) return st;
    if (p->dm && vrt__demux_rewind(p->dm, 1) != VRT_OK) {
        VRT__SRC_ERR(s, "%s: loop=1 but the input cannot seek back to the start", p->name);
        return VRT_EOF;
    }
    if (!p->dm) vrt__annexb_rewind(&p->es);
    p->eos_sent = 0;
    p->pass_pics = 0;
    return VRT_OK;
}

/* Feeds access units until a picture is ready (the context is current). */
static vrt_status fill_queue(vrt_source_t *s, nv_priv *p, int timeout_ms) {
    while (p->qn == 0) {
        vrt_status st;
        if (!p->have_au) {
            st = next_unit(s, p, &p->au, &p->au_len, &p->au_pts_ns);
            if (st == VRT_EOF) {
                if ((st = at_end(s, p))) return st;
                continue;
            }
            if (st) return st;
            p->have_au = 1;
        }
        int64_t now = vrt_now_ns();
        int64_t due = due_time(p, now);
        if (due > now) {
            if (timeout_ms >= 0 && due > now + (int64_t)timeout_ms * 1000000) {
                if (timeout_ms > 0) vrt_sleep_until_ns(now + (int64_t)timeout_ms * 1000000);
                return VRT_EAGAIN; /* the unit stays pending for the next read */
            }
            vrt_sleep_until_ns(due);
            now = due;
        }
        p->have_au = 0;
        p->fed++;
        /* The parser carries a unit's time to its picture: the container's pts, or for raw
         * streams (no timestamps) when the unit went to the decoder. */
        if ((st = feed(s, p, p->au, p->au_len, p->au_pts_ns >= 0 ? p->au_pts_ns : now))) return st;
    }
    return VRT_OK;
}

/* Maps the oldest queued picture and copies it into f (the context is current). */
static vrt_status copy_out(vrt_source_t *s, nv_priv *p, const nv_disp_info *d, vrt_frame *f) {
    const nv_api *a = p->api;
    if (a->cuvidGetDecodeStatus) {
        nv_decode_status ds;
        memset(&ds, 0, sizeof(ds));
        if (a->cuvidGetDecodeStatus(p->dec, d->picture_index, &ds) == 0 &&
            (ds.decodeStatus == NV_DECODE_STATUS_ERROR ||
             ds.decodeStatus == NV_DECODE_STATUS_ERROR_CONCEALED))
            count_error(s);
    }
    nv_proc_params pp;
    memset(&pp, 0, sizeof(pp));
    pp.progressive_frame = d->progressive_frame;
    pp.top_field_first = d->top_field_first;
    pp.unpaired_field = d->repeat_first_field < 0;
    pp.output_stream = p->stream;
    unsigned long long dptr = 0;
    unsigned pitch = 0;
    nv_CUresult r = a->cuvidMapVideoFrame64(p->dec, d->picture_index, &dptr, &pitch, &pp);
    if (r) return cu_fail(s, r, "cuvidMapVideoFrame64");
    nv_memcpy2d m;
    memset(&m, 0, sizeof(m));
    m.srcMemoryType = NV_CU_MEMORYTYPE_DEVICE;
    m.srcDevice = dptr;
    m.srcPitch = pitch;
    m.dstMemoryType = NV_CU_MEMORYTYPE_HOST;
    m.dstHost = f->planes[0].data;
    m.dstPitch = f->planes[0].stride;
    m.WidthInBytes = p->w;
    m.Height = p->h;
    r = a->cuMemcpy2DAsync(&m, p->stream);
    /* The chroma plane follows the luma rows, whose count the decoder rounds up to even. */
    m.srcDevice = dptr + (unsigned long long)pitch * ((p->h + 1) & ~1u);
    m.dstHost = f->planes[1].data;
    m.dstPitch = f->planes[1].stride;
    m.Height = p->h / 2;
    if (!r) r = a->cuMemcpy2DAsync(&m, p->stream);
    if (!r) r = a->cuStreamSynchronize(p->stream);
    nv_CUresult ru = a->cuvidUnmapVideoFrame64(p->dec, dptr);
    if (r) return cu_fail(s, r, "cuMemcpy2DAsync of the decoded picture");
    if (ru) return cu_fail(s, ru, "cuvidUnmapVideoFrame64");
    return VRT_OK;
}

static vrt_status nvdec_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    nv_priv *p = s->priv;
    vrt_status st = push_ctx(s);
    if (st) return st;
    st = fill_queue(s, p, timeout_ms);
    vrt_frame *f = NULL;
    if (!st && !(f = pool_get(p->pool))) {
        VRT__SRC_ERR(s, "%s: all %d frames are held by the caller; unref frames before reading more", p->name,
                     NV_POOL);
        st = VRT_ENOSPC;
    }
    if (!st) {
        const nv_disp_info d = p->q[p->qhead].d;
        st = copy_out(s, p, &d, f);
        p->qhead = (p->qhead + 1) % NV_QUEUE; /* a picture that failed to copy is dropped */
        p->qn--;
        if (!st && p->dm) { /* the container's pts; delivered now, as the FFmpeg source stamps */
            f->pts_ns = d.timestamp * 100;
            f->timestamp_ns = vrt_now_ns();
        } else if (!st) {
            /* When its access unit went to the decoder (the parser carries the packet's time). */
            f->timestamp_ns = d.timestamp > 0 ? d.timestamp * 100 : vrt_now_ns();
            f->pts_ns = frames_ns(p, p->shown);
        }
        p->shown++;
    }
    pop_ctx(p);
    if (st) {
        vrt_frame_unref(&f);
        return st;
    }
    f->bytesused = vrt_frame_size_for(VRT_FMT_NV12, p->w, p->h);
    f->ts_from_driver = 0;
    f->dequeue_ns = vrt_now_ns();
    f->sequence = p->seq++;
    *out = f;
    return VRT_OK;
}

static vrt_status nvdec_start(vrt_source_t *s) {
    nv_priv *p = s->priv;
    p->paced = 0; /* the pacing schedule starts at the first read */
    if (p->parser) return VRT_OK;
    vrt_status st = push_ctx(s);
    if (st) return st;
    st = make_parser(s, p);
    pop_ctx(p);
    return st;
}

static vrt_status nvdec_stop(vrt_source_t *s) {
    nv_priv *p = s->priv;
    p->paced = 0; /* a restart continues where it stopped, on a new schedule */
    return VRT_OK;
}

static void nvdec_close(vrt_source_t *s) {
    nv_priv *p = s->priv;
    if (!p) return;
    if (p->ctx_retained) {
        int pushed = p->api->cuCtxPushCurrent(p->ctx) == 0;
        drop_parser(p);
        if (p->dec) p->api->cuvidDestroyDecoder(p->dec);
        if (p->stream) p->api->cuStreamDestroy(p->stream);
        if (pushed) pop_ctx(p);
        if (p->pool) pool_put(p->pool); /* frames still held keep it until released */
        p->api->cuDevicePrimaryCtxRelease(p->dev);
    }
    vrt__annexb_close(&p->es);
    vrt__demux_close(&p->dm);
    vrt_free(p);
    s->priv = NULL;
}

const vrt__source_vtbl vrt__source_nvdec = {
    .kind = "file",
    .open = nvdec_open,
    .start = nvdec_start,
    .read = nvdec_read,
    .stop = nvdec_stop,
    .close = nvdec_close,
};

/* ---- which source reads a file (source.c) ------------------------------------------- */

/* decode= of the URI: in the query for files, in the fragment (our keys) for network URLs. */
static vrt_status decode_key(vrt__uri *u, char *val, size_t vcap, char *err, size_t cap) {
    val[0] = 0;
    if (!strcmp(u->scheme, "file")) {
        const char *d = vrt__uri_get(u, "decode");
        if (d) snprintf(val, vcap, "%s", d);
        return VRT_OK;
    }
    const char *hash = strchr(u->path, '#');
    if (!hash) return VRT_OK;
    vrt__uri *fu = vrt_calloc(1, sizeof(*fu));
    if (!fu) return VRT_ENOMEM;
    char q[1100];
    snprintf(q, sizeof(q), "file:?%s", hash + 1);
    vrt_status st = vrt__uri_parse(fu, q, err, cap); /* the FFmpeg source reports bad fragments */
    const char *d = st ? NULL : vrt__uri_get(fu, "decode");
    if (d) snprintf(val, vcap, "%s", d);
    vrt_free(fu);
    return VRT_OK;
}

vrt_status vrt__decode_pick(vrt__uri *u, vrt_decode_mode dflt, const vrt__source_vtbl **vt, int *fallback,
                            char *err, size_t cap) {
    *vt = &vrt__source_file;
    *fallback = 0;
    char d[32];
    vrt_status st = decode_key(u, d, sizeof(d), err, cap);
    if (st) return st;
    if (d[0] && strcasecmp(d, "auto") && strcasecmp(d, "nvdec") && strcasecmp(d, "cpu")) {
        vrt_errbuf_set(err, cap, "'decode=%s': expected auto, nvdec or cpu", d);
        return VRT_EINVAL;
    }
    vrt_decode_mode m = !d[0] || !strcasecmp(d, "auto") ? dflt
                        : !strcasecmp(d, "cpu")         ? VRT_DECODE_CPU
                                                        : VRT_DECODE_NVDEC;
    if (m == VRT_DECODE_CPU) return VRT_OK;
    if (m == VRT_DECODE_NVDEC) {
        *vt = &vrt__source_nvdec;
        return VRT_OK;
    }
    /* auto: NVDEC where the driver loads, and FFmpeg where it then refuses the stream (another
     * codec, a format or size only FFmpeg gives). Without FFmpeg, raw elementary streams go to
     * NVDEC anyway, whose error says what is missing. */
    char e[8];
#ifdef VRT_HAVE_FFMPEG
    if (vrt__nvdec_api(e, sizeof(e))) {
        *vt = &vrt__source_nvdec;
        *fallback = 1;
    }
#else
    (void)e;
    if (!strcmp(u->scheme, "file") && vrt__annexb_codec_for_path(u->path) != VRT__ES_NONE)
        *vt = &vrt__source_nvdec;
#endif
    return VRT_OK;
}
