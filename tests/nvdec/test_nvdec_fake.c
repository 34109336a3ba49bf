/* The NVDEC source (src/capture/nvdec.c) against the fake driver of fake_nvdec.c (loaded from
 * LD_LIBRARY_PATH in place of libcuda.so.1 / libnvcuvid.so.1): streams written here in the fake's
 * format decode to pixels known by construction, so this checks, without a GPU, the probe at
 * open, the parser callbacks, the copy of the mapped picture (pitch, crop, chroma offset), the
 * frame pool, pts, loop=1, pace=native, the errors, and that everything is released. The real
 * decoder's pixels are tests/gpu/test_nvdec_cuda's. */
#include "harness.h"
#include "vrt/pipeline.h"
#include "vrt/source.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#ifdef VRT_HAVE_FFMPEG
#include <arpa/inet.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#endif

#define W 200
#define H 120

/* ---- the fake's stream format (fake_nvdec.c) ------------------------------------------ */

typedef struct stream {
    uint8_t d[8192];
    size_t n;
} stream;

static void put(stream *s, const uint8_t *b, size_t n) {
    static const uint8_t sc[4] = {0, 0, 0, 1};
    memcpy(s->d + s->n, sc, 4);
    memcpy(s->d + s->n + 4, b, n);
    s->n += 4 + n;
}

static void sps(stream *s, int w, int h) {
    uint8_t b[5] = {0x67, (uint8_t)(w >> 8), (uint8_t)w, (uint8_t)(h >> 8), (uint8_t)h};
    put(s, b, 5);
    uint8_t pps[2] = {0x68, 0xce};
    put(s, pps, 2);
}

/* Picture v: a first slice (and a second one, which the splitter keeps in the same unit). */
static void picture(stream *s, int v, int idr) {
    uint8_t a[4] = {(uint8_t)(idr ? 0x65 : 0x41), 0x88, (uint8_t)v, 0x11};
    put(s, a, 4);
    uint8_t b[4] = {(uint8_t)(idr ? 0x65 : 0x41), 0x2a, 0x55, 0x11};
    put(s, b, 4);
}

/* Writes n pictures (v = 0..n-1) at w x h, a size change to (w2, h2) before picture `change`. */
static const char *write_stream(const char *name, int n, int w, int h, int change, int w2, int h2) {
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s_%d.h264", vrt_test_tmpdir(), name, (int)getpid());
    stream s = {.n = 0};
    sps(&s, w, h);
    for (int i = 0; i < n; i++) {
        if (i == change) sps(&s, w2, h2);
        picture(&s, i, i == 0 || i == change);
    }
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(s.d, 1, s.n, f), s.n);
    fclose(f);
    return path;
}

/* The fake decoder's picture v, checked over the whole delivered frame. */
static void check_picture(const vrt_frame *f, int v) {
    ASSERT_EQ(f->fourcc, VRT_FMT_NV12);
    ASSERT_EQ(f->memory, VRT_MEM_PINNED);
    for (uint32_t y = 0; y < f->height; y++)
        for (uint32_t x = 0; x < f->width; x++)
            if (f->planes[0].data[y * f->planes[0].stride + x] != (uint8_t)(v + x + 2 * y))
                vrt_test_fail(__FILE__, __LINE__, "picture %d: Y(%u,%u) = %d, expected %d", v, x, y,
                              f->planes[0].data[y * f->planes[0].stride + x], (uint8_t)(v + x + 2 * y));
    for (uint32_t y = 0; y < f->height / 2; y++)
        for (uint32_t x = 0; x < f->width; x++)
            if (f->planes[1].data[y * f->planes[1].stride + x] != (uint8_t)(3 * v + x + y))
                vrt_test_fail(__FILE__, __LINE__, "picture %d: UV(%u,%u) wrong", v, x, y);
}

/* Live objects in the fake driver: all zero once every source and frame is gone. */
static void check_released(void) {
    void *cu = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    void *nv = dlopen("libnvcuvid.so.1", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_TRUE(cu && nv);
    void (*cuc)(int *) = (void (*)(int *))dlsym(cu, "fake_nvdec_counts");
    void (*nvc)(int *) = (void (*)(int *))dlsym(nv, "fake_nvcuvid_counts");
    ASSERT_TRUE(cuc && nvc); /* the fake driver, not a real one */
    int a[4], b[3];
    cuc(a);
    nvc(b);
    ASSERT_EQ(a[0], 0); /* primary-context references */
    ASSERT_EQ(a[1], 0); /* page-locked allocations */
    ASSERT_EQ(a[2], 0); /* streams */
    ASSERT_EQ(a[3], 0); /* contexts left pushed */
    ASSERT_EQ(b[0], 0); /* decoders */
    ASSERT_EQ(b[1], 0); /* parsers */
    ASSERT_EQ(b[2], 0); /* mapped pictures */
    dlclose(cu);
    dlclose(nv);
}

static vrt_source_t *open_ok(const char *path, const char *keys, const vrt_source_params *p) {
    char uri[1400], err[512];
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec%s%s", path, keys ? "&" : "", keys ? keys : "");
    vrt_source_t *s = NULL;
    vrt_status st = vrt_source_open(&s, uri, p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    ASSERT_OK(vrt_source_start(s));
    return s;
}

static vrt_frame *read_ok(vrt_source_t *s) {
    vrt_frame *f = NULL;
    vrt_status st = vrt_source_read(s, &f, -1);
    if (st) vrt_test_fail(__FILE__, __LINE__, "read: %s: %s", vrt_status_name(st), vrt_source_last_error(s));
    return f;
}

/* ---- tests ------------------------------------------------------------------------------ */

TEST(decodes_every_picture) {
    const char *path = write_stream("all", 10, W, H, -1, 0, 0);
    vrt_source_t *s = open_ok(path, NULL, NULL);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    ASSERT_EQ(info.fourcc, VRT_FMT_NV12);
    ASSERT_EQ(info.width, W); /* the display area of a 208x128 coded picture */
    ASSERT_EQ(info.height, H);
    ASSERT_NEAR(info.fps, 30, 1e-9);
    for (int i = 0; i < 10; i++) {
        vrt_frame *f = read_ok(s);
        ASSERT_EQ(f->sequence, i);
        ASSERT_NEAR((double)f->pts_ns, i * 1e9 / 30, 1);
        ASSERT_TRUE(f->timestamp_ns > 0 && f->timestamp_ns <= f->dequeue_ns);
        check_picture(f, i);
        vrt_frame_unref(&f);
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, -1), VRT_EOF);
    ASSERT_CONTAINS(vrt_source_last_error(s), "end of file");
    ASSERT_STATUS(vrt_source_read(s, &f, -1), VRT_EOF);
    vrt_source_stats st;
    vrt_source_get_stats(s, &st);
    ASSERT_EQ(st.delivered, 10);
    ASSERT_EQ(st.errors, 0);
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

TEST(odd_sizes_crop_to_even) {
    const char *path = write_stream("odd", 3, 101, 57, -1, 0, 0);
    vrt_source_t *s = open_ok(path, NULL, NULL);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.width, 100);
    ASSERT_EQ(info.height, 56);
    for (int i = 0; i < 3; i++) {
        vrt_frame *f = read_ok(s);
        check_picture(f, i);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

TEST(loop_continues_pts) {
    const char *path = write_stream("loop", 7, W, H, -1, 0, 0);
    vrt_source_t *s = open_ok(path, "loop=1", NULL);
    for (int i = 0; i < 30; i++) {
        vrt_frame *f = read_ok(s);
        ASSERT_EQ(f->sequence, i);
        ASSERT_NEAR((double)f->pts_ns, i * 1e9 / 30, 1);
        check_picture(f, i % 7);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

TEST(pool_and_lifetime) {
    const char *path = write_stream("pool", 10, W, H, -1, 0, 0);
    vrt_source_t *s = open_ok(path, NULL, NULL);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.buffers, 4);
    vrt_frame *held[4];
    for (int i = 0; i < 4; i++)
        held[i] = read_ok(s);
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, -1), VRT_ENOSPC);
    ASSERT_CONTAINS(vrt_source_last_error(s), "held by the caller");
    vrt_frame_unref(&held[0]);
    f = read_ok(s);
    check_picture(f, 4); /* the picture that found no frame was kept */
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    for (int i = 1; i < 4; i++) { /* frames outlive the source */
        check_picture(held[i], i);
        vrt_frame_unref(&held[i]);
    }
    check_released();
    unlink(path);
}

TEST(pace_native) {
    const char *path = write_stream("pace", 8, W, H, -1, 0, 0);
    vrt_source_t *s = open_ok(path, "pace=native&fps=50", NULL);
    int64_t t[8];
    for (int i = 0; i < 6; i++) {
        vrt_frame *f = read_ok(s);
        t[i] = f->timestamp_ns;
        vrt_frame_unref(&f);
    }
    for (int i = 1; i < 6; i++) /* each unit went to the decoder at its due time: 20 ms apart */
        ASSERT_NEAR((double)(t[i] - t[i - 1]), 20e6, 3e6);
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EAGAIN); /* not due yet */
    ASSERT_OK(vrt_source_read(s, &f, 100));
    check_picture(f, 6);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

TEST(format_change_is_an_error) {
    const char *path = write_stream("change", 6, W, H, 3, 320, 240);
    vrt_source_t *s = open_ok(path, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        vrt_frame *f = read_ok(s);
        check_picture(f, i);
        vrt_frame_unref(&f);
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, -1), VRT_ENOTSUP);
    ASSERT_CONTAINS(vrt_source_last_error(s), "changes format mid-way (208x128 -> 320x240)");
    ASSERT_CONTAINS(vrt_source_last_error(s), "decode=cpu");
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

TEST(refusals_and_auto) {
    const char *path = write_stream("refuse", 2, W, H, -1, 0, 0);
    char uri[1400], err[512];
    vrt_source_t *s = NULL;
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.fourcc = VRT_FMT_YUYV;
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec", path);
    ASSERT_STATUS(vrt_source_open(&s, uri, &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "NVDEC delivers NV12");
    vrt_source_default_params(&p);
    p.width = 640;
    ASSERT_STATUS(vrt_source_open(&s, uri, &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "200x120");
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec&device=1", path);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_ENODEV);
    ASSERT_CONTAINS(err, "device=1");
    /* No sequence header: nothing to decode. */
    char empty[1024];
    snprintf(empty, sizeof(empty), "%s/nosps_%d.h264", vrt_test_tmpdir(), (int)getpid());
    stream st = {.n = 0};
    picture(&st, 0, 1);
    FILE *f = fopen(empty, "wb");
    ASSERT_TRUE(f != NULL);
    fwrite(st.d, 1, st.n, f);
    fclose(f);
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec", empty);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "no H.264 sequence header");
    unlink(empty);
    /* decode=auto (the default) takes NVDEC where the driver answers: here the fake. */
    ASSERT_OK(vrt_source_open(&s, path, NULL, err, sizeof(err)));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
}

/* The pipeline takes NVDEC frames like any other: two paced streams into SqueezeNet on the CPU
 * backend, every frame processed (policy all), each result stamped with its frame's sequence. */
typedef struct got {
    int n[2];
    int in_order;
} got;

static void on_result(void *user, const vrt_pipeline_result *r) {
    got *g = user;
    if (r->stream < 0 || r->stream > 1) return;
    if ((int)r->sequence != g->n[r->stream]) g->in_order = 0;
    g->n[r->stream]++;
}

TEST(pipeline_runs_nvdec_streams) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char prof[1024], path[2][1024], err[512];
    snprintf(prof, sizeof(prof), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    for (int k = 0; k < 2; k++)
        snprintf(path[k], sizeof(path[k]), "%s", write_stream(k ? "pl1" : "pl0", 6 + 2 * k, W, H, -1, 0, 0));
    got g = {{0, 0}, 1};
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = prof;
    pp.backend = "cpu";
    pp.policy = VRT_POLICY_ALL;
    pp.on_result = on_result;
    pp.user = &g;
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    for (int k = 0; k < 2; k++) {
        char uri[1400];
        snprintf(uri, sizeof(uri), "file:%s?decode=nvdec&pace=native", path[k]);
        if (vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add %s: %s", uri, err);
    }
    ASSERT_OK(vrt_pipeline_start(p));
    while (vrt_pipeline_wait(p, 100) == VRT_EAGAIN) {
    }
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_stats st;
    ASSERT_OK(vrt_pipeline_get_stats(p, 1, &st));
    vrt_pipeline_destroy(&p);
    ASSERT_EQ(g.n[0], 6);
    ASSERT_EQ(g.n[1], 8);
    ASSERT_EQ(g.in_order, 1);
    check_released();
    for (int k = 0; k < 2; k++)
        unlink(path[k]);
}

/* ---- containers (FFmpeg demuxes, the Annex-B filter converts) ------------------------------ */

#ifdef VRT_HAVE_FFMPEG
/* Writes n fake pictures at w x h as the video track of an mp4 (codec: AV_CODEC_ID_H264, or
 * another id for the refusal checks): avcC extradata with the fake SPS/PPS, length-prefixed NAL
 * units, as muxers store H.264, so the source must convert to Annex-B for the parser. 30 fps. */
static const char *write_mp4(const char *name, int n, int w, int h, enum AVCodecID codec) {
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s_%d.mp4", vrt_test_tmpdir(), name, (int)getpid());
    AVFormatContext *oc = NULL;
    ASSERT_TRUE(avformat_alloc_output_context2(&oc, NULL, "mp4", path) >= 0);
    AVStream *st = avformat_new_stream(oc, NULL);
    ASSERT_TRUE(st != NULL);
    st->time_base = (AVRational){1, 30};
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = codec;
    st->codecpar->width = w;
    st->codecpar->height = h;
    if (codec == AV_CODEC_ID_H264) {
        const uint8_t avcc[] = {1,          0x42,
                                0,          0x1e,
                                0xff,       0xe1,
                                0,          5,
                                0x67,       (uint8_t)(w >> 8),
                                (uint8_t)w, (uint8_t)(h >> 8),
                                (uint8_t)h, 1,
                                0,          2,
                                0x68,       0xce};
        st->codecpar->extradata = av_mallocz(sizeof(avcc) + AV_INPUT_BUFFER_PADDING_SIZE);
        memcpy(st->codecpar->extradata, avcc, sizeof(avcc));
        st->codecpar->extradata_size = (int)sizeof(avcc);
    }
    ASSERT_TRUE(avio_open(&oc->pb, path, AVIO_FLAG_WRITE) >= 0);
    AVDictionary *opt = NULL;
    av_dict_set(&opt, "movflags", "+faststart", 0); /* index first: readable over http unseeked */
    ASSERT_TRUE(avformat_write_header(oc, &opt) >= 0);
    av_dict_free(&opt);
    AVPacket *pk = av_packet_alloc();
    for (int i = 0; i < n; i++) {
        uint8_t t = (uint8_t)(i == 0 ? 0x65 : 0x41);
        const uint8_t au[16] = {0, 0, 0, 4, t, 0x88, (uint8_t)i, 0x11, 0, 0, 0, 4, t, 0x2a, 0x55, 0x11};
        ASSERT_TRUE(av_new_packet(pk, sizeof(au)) >= 0);
        memcpy(pk->data, au, sizeof(au));
        pk->pts = pk->dts = i;
        pk->duration = 1;
        pk->flags = i == 0 ? AV_PKT_FLAG_KEY : 0;
        pk->stream_index = 0;
        av_packet_rescale_ts(pk, (AVRational){1, 30}, st->time_base);
        ASSERT_TRUE(av_interleaved_write_frame(oc, pk) >= 0);
    }
    av_packet_free(&pk);
    ASSERT_TRUE(av_write_trailer(oc) >= 0);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    return path;
}
#endif

TEST(container_into_nvdec) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: containers are not demuxed");
#else
    const char *path = write_mp4("mp4", 8, W, H, AV_CODEC_ID_H264);
    vrt_source_t *s = open_ok(path, "loop=1", NULL);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    ASSERT_EQ(info.width, W);
    ASSERT_EQ(info.height, H);
    ASSERT_NEAR(info.fps, 30, 1e-6);
    ASSERT_EQ(info.frame_count, 8);
    /* Every picture in order, pts from the container, continued across the loop. */
    for (int i = 0; i < 20; i++) {
        vrt_frame *f = read_ok(s);
        ASSERT_EQ(f->sequence, i);
        ASSERT_NEAR((double)f->pts_ns, i * 1e9 / 30, 1e3);
        check_picture(f, i % 8);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    check_released();
    /* decode=auto (the default) takes NVDEC for containers too where the driver answers. */
    char err[512];
    ASSERT_OK(vrt_source_open(&s, path, NULL, err, sizeof(err)));
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    vrt_source_destroy(&s);
    /* A format NVDEC does not give: auto hands it to FFmpeg, nvdec says why. */
    char uri[1400];
    snprintf(uri, sizeof(uri), "file:%s?format=RGB24&decode=nvdec", path);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "decode=cpu");
    check_released();
    unlink(path);
    /* Another codec: named, with what works. */
    path = write_mp4("mjpeg", 2, W, H, AV_CODEC_ID_MJPEG);
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec", path);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "video codec 'mjpeg'");
    ASSERT_CONTAINS(err, "use decode=cpu");
    check_released();
    /* ...and decode=auto falls back to FFmpeg for it. */
    ASSERT_OK(vrt_source_open(&s, path, NULL, err, sizeof(err)));
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "mjpeg");
    vrt_source_destroy(&s);
    check_released();
    unlink(path);
#endif
}

#ifdef VRT_HAVE_FFMPEG
/* python3 -m http.server on a free loopback port serving dir; 0 where it cannot start. */
static pid_t http_server(const char *dir, int *port) {
    if (system("command -v python3 >/dev/null 2>&1")) return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0) close(fd);
        return 0;
    }
    close(fd); /* free again for the server (a tiny race: the test then skips) */
    *port = ntohs(a.sin_port);
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", *port);
    pid_t pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, ps,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 200; i++) { /* up to 10 s for the interpreter */
        int c = socket(AF_INET, SOCK_STREAM, 0);
        int ok = connect(c, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(c);
        if (ok) return pid;
        usleep(50000);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    return 0;
}
#endif

/* A network stream into NVDEC (http here; rtsp:// takes the same path): no seeking back after
 * the probe, so the pictures decoded while probing are shown, none lost; pts from the container. */
TEST(network_stream_into_nvdec) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: streams are not demuxed");
#else
    const char *path = write_mp4("http", 6, W, H, AV_CODEC_ID_H264);
    char dir[1024], url[1400], err[512];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = 0;
    int port = 0;
    pid_t srv = http_server(dir, &port);
    if (!srv) SKIP("python3 -m http.server unavailable");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s#decode=nvdec&timeout=5", port, strrchr(path, '/') + 1);
    vrt_source_t *s = NULL;
    vrt_status st = vrt_source_open(&s, url, NULL, err, sizeof(err));
    if (st) {
        kill(srv, SIGTERM);
        waitpid(srv, NULL, 0);
        vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", url, vrt_status_name(st), err);
    }
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    ASSERT_STREQ(info.kind, "stream");
    ASSERT_OK(vrt_source_start(s));
    int n = 0;
    for (vrt_frame *f = NULL; (st = vrt_source_read(s, &f, -1)) == VRT_OK; n++) {
        ASSERT_EQ(f->sequence, n);
        ASSERT_NEAR((double)f->pts_ns, n * 1e9 / 30, 1e3);
        check_picture(f, n);
        vrt_frame_unref(&f);
    }
    ASSERT_STATUS(st, VRT_EOF);
    vrt_source_destroy(&s);
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    ASSERT_EQ(n, 6);
    check_released();
    unlink(path);
#endif
}

/* decode=auto follows the pipeline's backend: a CPU pipeline has FFmpeg decode even though
 * NVDEC (here the fake) is available; decode=nvdec in the URI still gets NVDEC. */
TEST(cpu_pipeline_auto_decodes_on_cpu) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: a CPU pipeline has no CPU decoder to choose");
#else
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char prof[1024], err[512], uri[1400];
    snprintf(prof, sizeof(prof), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = prof;
    pp.backend = "cpu";
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    const char *mp4 = write_mp4("plcpu", 3, W, H, AV_CODEC_ID_H264);
    for (int k = 0; k < 3; k++) {
        /* The fake's stream in an mp4: both decoders open it, so only the choice tells them apart. */
        if (k == 0) snprintf(uri, sizeof(uri), "%s", mp4);
        if (k == 1) snprintf(uri, sizeof(uri), "file:%s?decode=auto", mp4);
        if (k == 2)
            snprintf(uri, sizeof(uri), "file:%s?decode=nvdec", write_stream("plcpu", 3, W, H, -1, 0, 0));
        if (vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add %s: %s", uri, err);
        vrt_pipeline_stats st;
        ASSERT_OK(vrt_pipeline_get_stats(p, k, &st));
        ASSERT_STREQ(st.info.driver, k < 2 ? "h264" : "nvdec h264");
    }
    vrt_pipeline_destroy(&p);
    check_released();
    unlink(write_stream("plcpu", 3, W, H, -1, 0, 0));
    unlink(mp4);
#endif
}

int main(void) {
    /* Only against the fake: a real driver found first would make these checks meaningless. */
    void *cu = dlopen("libcuda.so.1", RTLD_NOW);
    if (!cu || !dlsym(cu, "fake_nvdec_counts")) {
        printf("the fake driver is not first on LD_LIBRARY_PATH (run through ctest)\n");
        return 77;
    }
    dlclose(cu);
    VRT_RUN(decodes_every_picture);
    VRT_RUN(odd_sizes_crop_to_even);
    VRT_RUN(loop_continues_pts);
    VRT_RUN(pool_and_lifetime);
    VRT_RUN(pace_native);
    VRT_RUN(format_change_is_an_error);
    VRT_RUN(refusals_and_auto);
    VRT_RUN(pipeline_runs_nvdec_streams);
    VRT_RUN(container_into_nvdec);
    VRT_RUN(network_stream_into_nvdec);
    VRT_RUN(cpu_pipeline_auto_decodes_on_cpu);
    return vrt_test_finish();
}
