/*
 * A fake NVIDIA driver for the NVDEC source's CPU tests (test_nvdec_fake): built twice, as
 * libcuda.so.1 (FAKE_CUDA: the CUDA driver calls src/capture/nvdec_api.c loads) and as
 * libnvcuvid.so.1 (FAKE_NVCUVID: the video parser and decoder), into a folder the test puts first
 * on LD_LIBRARY_PATH, so libvrt's dlopen finds them instead of a real driver. "Device" memory is
 * host memory, so the source's copies (cuMemcpy2DAsync) really move the bytes.
 *
 * Its video format, so that a test can write streams whose decode is known: H.264 Annex-B access
 * units; an SPS (NAL type 7) carries the display width and height as two 16-bit big-endian values
 * after its header byte (coded sizes are those rounded up to 16); a slice NAL (type 1 or 5) whose
 * first_mb_in_slice is 0 (first bit of the next byte set) starts a picture whose "content" v is the
 * byte after that. Decoding picture v fills its surface (coded size, pitch 256) with
 * Y(x, y) = v + x + 2y and interleaved UV(x, y) = 3v + x + y (mod 256), and each picture is shown
 * as soon as it is decoded (no reordering), carrying its packet's timestamp. Mapping a picture
 * crops the display area, as NVDEC's post-processing does, into one of ulNumOutputSurfaces output
 * buffers laid out like NVDEC's: pitch 256, chroma after (target height rounded up to even) rows.
 *
 * fake_nvdec_counts() (in the libcuda build) reports live objects so a test can check that all
 * is released; every call checks its arguments the way the real driver documents them and fails
 * with CUDA_ERROR_INVALID_VALUE (1) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define BAD 1 /* CUDA_ERROR_INVALID_VALUE */

#ifdef FAKE_CUDA
#include <stdatomic.h>
#include <stddef.h>

typedef struct memcpy2d {
    size_t srcXInBytes, srcY;
    int srcMemoryType;
    const void *srcHost;
    unsigned long long srcDevice;
    void *srcArray;
    size_t srcPitch;
    size_t dstXInBytes, dstY;
    int dstMemoryType;
    void *dstHost;
    unsigned long long dstDevice;
    void *dstArray;
    size_t dstPitch;
    size_t WidthInBytes, Height;
} memcpy2d;

static _Atomic int g_ctx_refs, g_host_allocs, g_streams, g_pushed;
static int g_ctx_dummy;

EXPORT int cuInit(unsigned f) {
    return f ? BAD : 0;
}
EXPORT int cuDeviceGetCount(int *n) {
    *n = 1;
    return 0;
}
EXPORT int cuDeviceGet(int *d, int i) {
    *d = i;
    return i == 0 ? 0 : 101; /* CUDA_ERROR_INVALID_DEVICE */
}
EXPORT int cuDevicePrimaryCtxRetain(void **ctx, int dev) {
    if (dev != 0) return 101;
    *ctx = &g_ctx_dummy;
    atomic_fetch_add(&g_ctx_refs, 1);
    return 0;
}
EXPORT int cuDevicePrimaryCtxRelease_v2(int dev) {
    return dev == 0 && atomic_fetch_sub(&g_ctx_refs, 1) > 0 ? 0 : BAD;
}
EXPORT int cuCtxPushCurrent_v2(void *ctx) {
    if (ctx != &g_ctx_dummy) return BAD;
    atomic_fetch_add(&g_pushed, 1);
    return 0;
}
EXPORT int cuCtxPopCurrent_v2(void **ctx) {
    if (atomic_fetch_sub(&g_pushed, 1) <= 0) return BAD;
    if (ctx) *ctx = &g_ctx_dummy;
    return 0;
}
EXPORT int cuStreamCreate(void **s, unsigned flags) {
    *s = malloc(1);
    atomic_fetch_add(&g_streams, 1);
    return flags == 1 ? 0 : BAD; /* the source asks for a non-blocking stream */
}
EXPORT int cuStreamDestroy_v2(void *s) {
    free(s);
    atomic_fetch_sub(&g_streams, 1);
    return 0;
}
EXPORT int cuStreamSynchronize(void *s) {
    return s ? 0 : BAD;
}
EXPORT int cuMemcpy2DAsync_v2(const memcpy2d *m, void *stream) {
    if (!stream || m->srcMemoryType != 2 || m->dstMemoryType != 1 || m->srcPitch < m->WidthInBytes ||
        m->dstPitch < m->WidthInBytes)
        return BAD;
    const uint8_t *src = (const uint8_t *)(uintptr_t)m->srcDevice;
    for (size_t y = 0; y < m->Height; y++)
        memcpy((uint8_t *)m->dstHost + y * m->dstPitch, src + y * m->srcPitch, m->WidthInBytes);
    return 0;
}
EXPORT int cuMemHostAlloc(void **p, size_t n, unsigned flags) {
    (void)flags;
    *p = malloc(n);
    atomic_fetch_add(&g_host_allocs, 1);
    return *p ? 0 : 2;
}
EXPORT int cuMemFreeHost(void *p) {
    free(p);
    atomic_fetch_sub(&g_host_allocs, 1);
    return 0;
}
EXPORT int cuGetErrorName(int r, const char **s) {
    *s = r == BAD ? "CUDA_ERROR_INVALID_VALUE" : "CUDA_ERROR_FAKE";
    return 0;
}
/* Live objects: primary-context references, host allocations, streams, contexts pushed. */
EXPORT void fake_nvdec_counts(int out[4]) {
    out[0] = g_ctx_refs;
    out[1] = g_host_allocs;
    out[2] = g_streams;
    out[3] = g_pushed;
}
#endif

#ifdef FAKE_NVCUVID
#include <stdatomic.h>

#define PITCH 256
#define MAX_SURF 64

typedef struct caps {
    int codec, chroma;
    unsigned depth, r1[3];
    unsigned char supported, nvdecs;
    unsigned short mask;
    unsigned max_w, max_h, max_mb;
    unsigned short min_w, min_h;
    unsigned char hist, bits;
    unsigned short bins;
    unsigned r3[10];
} caps;
typedef struct rect16 {
    short left, top, right, bottom;
} rect16;
typedef struct create_info {
    unsigned long w, h, surfaces;
    int codec, chroma;
    unsigned long flags, depth, intra, max_w, max_h, r1;
    rect16 display;
    int out_fmt, deint;
    unsigned long tw, th, out_surfaces;
    void *lock;
    rect16 target;
    unsigned long hist, r2[4];
} create_info;
typedef struct video_format {
    int codec;
    unsigned fr_num, fr_den;
    unsigned char progressive, depth_l, depth_c, min_surfaces;
    unsigned coded_w, coded_h;
    int left, top, right, bottom;
    int chroma;
    unsigned bitrate;
    int ar_x, ar_y;
    unsigned char vsd[4];
    unsigned seqhdr_len;
} video_format;
typedef struct packet {
    unsigned long flags, size;
    const unsigned char *data;
    long long ts;
} packet;
typedef struct disp_info {
    int idx, progressive, tff, repeat;
    long long ts;
} disp_info;
typedef struct parser_params {
    int codec;
    unsigned max_surfaces, clock, err_threshold, display_delay;
    unsigned bits;
    unsigned r1[4];
    void *user;
    int (*seq)(void *, video_format *);
    int (*decode)(void *, void *);
    int (*display)(void *, disp_info *);
    void *op, *sei, *r2[5], *ext;
} parser_params;
typedef struct proc_params {
    int progressive, second, tff, unpaired;
    unsigned rflags, rzero;
    unsigned long long raw_in;
    unsigned raw_in_pitch, raw_in_fmt;
    unsigned long long raw_out;
    unsigned raw_out_pitch, r1;
    void *stream;
} proc_params;

/* What the fake parser hands to the decoder for one picture. */
typedef struct pic {
    int idx, v;
} pic;

typedef struct decoder {
    create_info ci;
    uint8_t *surf[MAX_SURF];
    uint8_t *out[2];
    int mapped[2];
} decoder;

typedef struct parser {
    parser_params p;
    int have_fmt, w, h, surfaces, next;
} parser;

static _Atomic int g_decoders, g_parsers, g_maps;

EXPORT int cuvidGetDecoderCaps(caps *c) {
    c->supported = (c->codec == 4 || c->codec == 8) && c->chroma == 1 && c->depth == 0;
    c->nvdecs = 1;
    c->max_w = c->max_h = 4096;
    c->max_mb = 65536;
    c->min_w = 48;
    c->min_h = 16;
    return 0;
}

EXPORT int cuvidCreateDecoder(void **out, create_info *ci) {
    if (ci->surfaces < 1 || ci->surfaces > MAX_SURF || ci->tw & 1 || ci->th & 1 || ci->out_fmt != 0 ||
        ci->out_surfaces < 1 || ci->out_surfaces > 2 ||
        ci->tw != (unsigned long)(ci->display.right - ci->display.left) ||
        ci->th != (unsigned long)(ci->display.bottom - ci->display.top) || ci->w > PITCH)
        return BAD;
    decoder *d = calloc(1, sizeof(*d));
    d->ci = *ci;
    for (unsigned long i = 0; i < ci->surfaces; i++)
        d->surf[i] = calloc(PITCH, ci->h * 2);
    for (int i = 0; i < 2; i++)
        d->out[i] = calloc(PITCH, ci->th * 2 + 2);
    atomic_fetch_add(&g_decoders, 1);
    *out = d;
    return 0;
}

EXPORT int cuvidDestroyDecoder(void *h) {
    decoder *d = h;
    if (!d || d->mapped[0] || d->mapped[1]) return BAD;
    for (int i = 0; i < MAX_SURF; i++)
        free(d->surf[i]);
    free(d->out[0]);
    free(d->out[1]);
    free(d);
    atomic_fetch_sub(&g_decoders, 1);
    return 0;
}

EXPORT int cuvidDecodePicture(void *h, void *pp) {
    decoder *d = h;
    pic *p = pp;
    if (p->idx < 0 || (unsigned long)p->idx >= d->ci.surfaces) return BAD;
    uint8_t *s = d->surf[p->idx];
    for (unsigned long y = 0; y < d->ci.h; y++)
        for (unsigned long x = 0; x < d->ci.w; x++)
            s[y * PITCH + x] = (uint8_t)(p->v + x + 2 * y);
    uint8_t *uv = s + PITCH * d->ci.h;
    for (unsigned long y = 0; y < d->ci.h / 2; y++)
        for (unsigned long x = 0; x < d->ci.w; x++)
            uv[y * PITCH + x] = (uint8_t)(3 * p->v + x + y);
    return 0;
}

EXPORT int cuvidGetDecodeStatus(void *h, int idx, int *status) {
    (void)h;
    (void)idx;
    *status = 2; /* success */
    return 0;
}

EXPORT int cuvidMapVideoFrame64(void *h, int idx, unsigned long long *dptr, unsigned *pitch,
                                proc_params *pp) {
    decoder *d = h;
    if (!pp || !pp->stream || idx < 0 || (unsigned long)idx >= d->ci.surfaces) return BAD;
    int o = d->mapped[0] ? 1 : 0;
    if (d->mapped[o] || (unsigned long)o >= d->ci.out_surfaces) return BAD; /* too many maps at once */
    const uint8_t *s = d->surf[idx];
    uint8_t *t = d->out[o];
    const int l = d->ci.display.left, top = d->ci.display.top;
    const unsigned long th2 = (d->ci.th + 1) & ~1ul;
    for (unsigned long y = 0; y < d->ci.th; y++)
        memcpy(t + y * PITCH, s + (top + y) * PITCH + l, d->ci.tw);
    for (unsigned long y = 0; y < d->ci.th / 2; y++)
        memcpy(t + (th2 + y) * PITCH, s + PITCH * d->ci.h + (top / 2 + y) * PITCH + l, d->ci.tw);
    d->mapped[o] = 1;
    atomic_fetch_add(&g_maps, 1);
    *dptr = (unsigned long long)(uintptr_t)t;
    *pitch = PITCH;
    return 0;
}

EXPORT int cuvidUnmapVideoFrame64(void *h, unsigned long long dptr) {
    decoder *d = h;
    for (int o = 0; o < 2; o++)
        if (d->mapped[o] && (uintptr_t)d->out[o] == dptr) {
            d->mapped[o] = 0;
            atomic_fetch_sub(&g_maps, 1);
            return 0;
        }
    return BAD;
}

EXPORT int cuvidCreateVideoParser(void **out, parser_params *pp) {
    if (pp->codec != 4 || !pp->seq || !pp->decode || !pp->display || pp->max_surfaces < 1) return BAD;
    parser *p = calloc(1, sizeof(*p));
    p->p = *pp;
    p->surfaces = (int)pp->max_surfaces;
    atomic_fetch_add(&g_parsers, 1);
    *out = p;
    return 0;
}

EXPORT int cuvidDestroyVideoParser(void *h) {
    free(h);
    atomic_fetch_sub(&g_parsers, 1);
    return 0;
}

/* An SPS: the sequence callback when the size is new. */
static int on_sps(parser *p, const uint8_t *n, size_t len) {
    if (len < 5) return BAD;
    int w = n[1] << 8 | n[2], h = n[3] << 8 | n[4];
    if (p->have_fmt && w == p->w && h == p->h) return 0;
    video_format f;
    memset(&f, 0, sizeof(f));
    f.codec = 4;
    f.fr_num = 30;
    f.fr_den = 1;
    f.progressive = 1;
    f.min_surfaces = 4;
    f.coded_w = (unsigned)(w + 15) & ~15u;
    f.coded_h = (unsigned)(h + 15) & ~15u;
    f.right = w;
    f.bottom = h;
    f.chroma = 1;
    int r = p->p.seq(p->p.user, &f);
    if (r > 1) p->surfaces = r;
    p->have_fmt = r != 0;
    p->w = w;
    p->h = h;
    return 0;
}

EXPORT int cuvidParseVideoData(void *h, packet *pk) {
    parser *p = h;
    if (!pk->data) return pk->flags & 1 ? 0 : BAD;
    const uint8_t *d = pk->data;
    for (size_t i = 0; i + 3 < pk->size; i++) {
        if (d[i] || d[i + 1] || d[i + 2] != 1) continue;
        const uint8_t *n = d + i + 3;
        size_t left = pk->size - (i + 3);
        int t = n[0] & 0x1f;
        if (t == 7 && on_sps(p, n, left)) return BAD;
        if ((t == 1 || t == 5) && left >= 3 && (n[1] & 0x80) && p->have_fmt) {
            pic pc = {p->next, n[2]};
            p->next = (p->next + 1) % p->surfaces;
            if (p->p.decode(p->p.user, &pc)) {
                disp_info di = {pc.idx, 1, 0, 0, (pk->flags & 2) ? pk->ts : 0};
                p->p.display(p->p.user, &di);
            }
        }
    }
    return 0;
}

/* Live decoders, parsers and mapped frames. */
EXPORT void fake_nvcuvid_counts(int out[3]) {
    out[0] = g_decoders;
    out[1] = g_parsers;
    out[2] = g_maps;
}
#endif
