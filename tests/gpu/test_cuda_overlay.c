/* The overlay's GPU twin (vrt_cuda_overlay_render) against the CPU twin
 * (vrt_overlay_render): random frames of every raw format with padded
 * strides and odd sizes, results with many random boxes (overlapping, partly
 * or wholly outside the frame, several classes, labels, secondary labels:
 * more primitives than one kernel block stages at once), a classifier's
 * top classes and the HUD: the RGB24 pictures must be equal byte for byte.
 * Maps and keypoints too: instance masks, a class map, depth (NaN cells,
 * inset and blend) and pose skeletons of random people, on frames whose
 * size grows and shrinks (the map staging grows). Two renders in a row
 * check the reuse of the staging buffers. Exits 77
 * (skip) without a usable GPU. */
#include <cuda_runtime.h>
#include <math.h>

#include "../unit/overlay_dense_util.h"
#include "harness.h"
#include "vision/result_impl.h"
#include "vrt/image.h"
#include "vrt/overlay.h"
#include "vrt/vision_cuda.h"

#define CK(call)                                                                                             \
    do {                                                                                                     \
        cudaError_t _e = (call);                                                                             \
        if (_e != cudaSuccess) vrt_test_fail(__FILE__, __LINE__, "%s: %s", #call, cudaGetErrorString(_e));   \
    } while (0)

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static cudaStream_t g_stream;

static const uint32_t k_formats[] = {VRT_FMT_YUYV,  VRT_FMT_UYVY,  VRT_FMT_NV12,
                                     VRT_FMT_RGB24, VRT_FMT_BGR24, VRT_FMT_GREY};

/* Host frame with padded strides (random pixels) and its GPU copy with the same layout. */
static void make_pair(uint32_t fourcc, uint32_t w, uint32_t h, vrt_frame *hf, vrt_frame *df, uint8_t **hbuf,
                      uint8_t **dbuf) {
    uint32_t row = fourcc == VRT_FMT_GREY || fourcc == VRT_FMT_NV12     ? w
                   : fourcc == VRT_FMT_RGB24 || fourcc == VRT_FMT_BGR24 ? 3 * w
                                                                        : 2 * w;
    uint32_t s0 = row + 24, s1 = w + 24;
    size_t p0 = (size_t)s0 * h, p1 = fourcc == VRT_FMT_NV12 ? (size_t)s1 * (h / 2) : 0;
    *hbuf = malloc(p0 + p1);
    ASSERT_TRUE(*hbuf != NULL);
    for (size_t i = 0; i < p0 + p1; i++)
        (*hbuf)[i] = (uint8_t)rnd();
    CK(cudaMalloc((void **)dbuf, p0 + p1));
    CK(cudaMemcpy(*dbuf, *hbuf, p0 + p1, cudaMemcpyHostToDevice));
    vrt_frame *fs[2] = {hf, df};
    uint8_t *bases[2] = {*hbuf, *dbuf};
    for (int k = 0; k < 2; k++) {
        vrt_frame *f = fs[k];
        memset(f, 0, sizeof(*f));
        f->fourcc = fourcc;
        f->width = w;
        f->height = h;
        f->num_planes = fourcc == VRT_FMT_NV12 ? 2 : 1;
        f->planes[0] = (vrt_plane){bases[k], s0, (uint32_t)p0};
        if (fourcc == VRT_FMT_NV12) f->planes[1] = (vrt_plane){bases[k] + p0, s1, (uint32_t)p1};
        f->bytesused = p0 + p1;
        f->memory = k ? VRT_MEM_DEVICE : VRT_MEM_HOST;
        f->buffer_index = -1;
    }
}

static void random_boxes(vrt_detections *d, uint32_t w, uint32_t h, int n) {
    memset(d, 0, sizeof(*d));
    d->count = n;
    for (int i = 0; i < n; i++) {
        float x1 = (float)((int)(rnd() % (w + 80)) - 40) + (float)(rnd() % 100) / 100.0f;
        float y1 = (float)((int)(rnd() % (h + 80)) - 40) + (float)(rnd() % 100) / 100.0f;
        d->det[i].box = (vrt_box){x1, y1, x1 + 3 + (float)(rnd() % w), y1 + 3 + (float)(rnd() % h)};
        d->det[i].score = (float)(rnd() % 1000) / 1000.0f;
        d->det[i].class_id = (int)(rnd() % 90);
    }
}

/* Renders r on both twins and compares the pictures. */
static void compare(vrt_overlay_t *ov, uint32_t fourcc, uint32_t w, uint32_t h, const vrt_result *r,
                    const vrt_overlay_info *info) {
    vrt_frame hs, ds;
    uint8_t *hbuf, *dbuf;
    make_pair(fourcc, w, h, &hs, &ds, &hbuf, &dbuf);
    vrt_frame *cpu = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &cpu));
    char err[512];
    ASSERT_OK(vrt_overlay_render(ov, &hs, cpu, r, info, err, sizeof(err)));
    int prims = vrt_overlay_num_primitives(ov);
    uint8_t *dout = NULL;
    uint32_t stride = 3 * w + 8;
    CK(cudaMalloc((void **)&dout, (size_t)stride * h));
    vrt_frame dd;
    memset(&dd, 0, sizeof(dd));
    ASSERT_OK(vrt_frame_layout(&dd, VRT_FMT_RGB24, w, h, dout));
    dd.planes[0].stride = stride;
    dd.memory = VRT_MEM_DEVICE;
    ASSERT_OK(vrt_cuda_overlay_render(ov, &ds, &dd, r, info, g_stream, err, sizeof(err)));
    ASSERT_EQ(vrt_overlay_num_primitives(ov), prims);
    uint8_t *back = malloc((size_t)stride * h);
    CK(cudaMemcpyAsync(back, dout, (size_t)stride * h, cudaMemcpyDeviceToHost, g_stream));
    CK(cudaStreamSynchronize(g_stream));
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *a = cpu->planes[0].data + (size_t)y * cpu->planes[0].stride,
                      *b = back + (size_t)y * stride;
        for (uint32_t x = 0; x < 3 * w; x++)
            if (a[x] != b[x])
                vrt_test_fail(__FILE__, __LINE__,
                              "format %08x %ux%u: pixel (%u, %u) channel %u: cpu %d gpu %d", fourcc, w, h,
                              x / 3, y, x % 3, a[x], b[x]);
    }
    free(back);
    cudaFree(dout);
    cudaFree(dbuf);
    free(hbuf);
    vrt_frame_unref(&cpu);
}

TEST(detections_every_format) {
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    ASSERT_OK(vrt_overlay_parse_flags("box,labels,conf,hud", &p.flags, NULL, 0));
    vrt_overlay_t *ov = NULL;
    char err[256];
    ASSERT_OK(vrt_overlay_create(&ov, &p, err, sizeof(err)));
    ASSERT_OK(vrt_cuda_overlay_init(ov, err, sizeof(err)));
    static const char *subs[] = {"golden retriever", NULL, "tabby cat", "x"};
    vrt_overlay_info info = {1, 29.97, 11.25, 19.5, 7, subs, 4};
    for (size_t k = 0; k < sizeof(k_formats) / sizeof(k_formats[0]); k++) {
        uint32_t w = 40 + rnd() % 900, h = 30 + rnd() % 700;
        if (k_formats[k] != VRT_FMT_RGB24 && k_formats[k] != VRT_FMT_BGR24 && k_formats[k] != VRT_FMT_GREY)
            w &= ~1u;
        if (k_formats[k] == VRT_FMT_NV12) h &= ~1u;
        static vrt_detections d;
        random_boxes(&d, w, h, 1 + (int)(rnd() % 120));
        vrt_result r;
        vrt__result_init(&r, VRT_RESULT_DETECTIONS, VRT_TASK_DETECT_YOLOX, NULL, NULL);
        r.payload = &d;
        compare(ov, k_formats[k], w, h, &r, &info);
        compare(ov, k_formats[k], w, h, &r, NULL); /* again: the staging is reused */
    }
    vrt_overlay_destroy(&ov);
}

TEST(classes_lines_and_big_frames) {
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    ASSERT_OK(vrt_overlay_parse_flags("lines,labels,hud", &p.flags, NULL, 0));
    p.max_classes = 5;
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &p, NULL, 0));
    ASSERT_OK(vrt_cuda_overlay_init(ov, NULL, 0));
    vrt_class_result c;
    memset(&c, 0, sizeof(c));
    c.count = 5;
    for (int i = 0; i < 5; i++)
        c.index[i] = i * 7, c.score[i] = 0.5f / (float)(i + 1);
    vrt_result r;
    vrt__result_init(&r, VRT_RESULT_CLASSES, VRT_TASK_CLASSIFY, NULL, NULL);
    r.payload = &c;
    vrt_overlay_info info = {1, 60.0, 3.5, 4.25, 0, NULL, 0};
    compare(ov, VRT_FMT_NV12, 1920, 1080, &r, &info); /* font scale 2, line width 3 */
    static vrt_detections d;
    random_boxes(&d, 1280, 720, VRT_DETECT_MAX);
    vrt__result_init(&r, VRT_RESULT_DETECTIONS, VRT_TASK_DETECT_YOLOX, NULL, NULL);
    r.payload = &d;
    compare(ov, VRT_FMT_YUYV, 1280, 720, &r, &info);
    compare(ov, VRT_FMT_RGB24, 1280, 720, NULL, &info); /* no result: the HUD only */
    vrt_overlay_destroy(&ov);
}

/* Random maps and keypoints on r for a w x h frame, kind k: 0 instances, 1 classes, 2 depth, 3 pose. */
static void *random_dense(vrt_result *r, int k, uint32_t w, uint32_t h, vrt_detections *d) {
    random_boxes(d, w, h, 1 + (int)(rnd() % 40));
    uint8_t *m = NULL;
    size_t stride = 0;
    float *f = NULL;
    void *mem = k == 0   ? ovd_instances(r, d, (int)w, (int)h, &m, &stride)
                : k == 1 ? ovd_classes(r, (int)w, (int)h, &m, &stride)
                : k == 2 ? ovd_depth(r, (int)w, (int)h, &f, &stride)
                         : ovd_pose(r, d, 17, &f);
    for (uint32_t y = 0; m && y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            m[(size_t)y * stride + x] =
                (uint8_t)(k == 0 ? (rnd() % 3 ? 0 : 1 + rnd() % (uint32_t)d->count) : rnd());
    for (uint32_t y = 0; k == 2 && y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            f[(size_t)y * (stride / 4) + x] = rnd() % 50 ? (float)(rnd() % 1100) / 1000.0f - 0.05f : NAN;
    for (int i = 0; k == 3 && i < d->count * 17; i++) {
        f[3 * i] = (float)(rnd() % (w + 40)) - 20.0f + (float)(rnd() % 100) / 100.0f;
        f[3 * i + 1] = (float)(rnd() % (h + 40)) - 20.0f + (float)(rnd() % 100) / 100.0f;
        f[3 * i + 2] = (float)(rnd() % 1000) / 1000.0f;
    }
    return mem;
}

TEST(masks_keypoints_depth) {
    static const char *sets[] = {"mask", "box,labels,mask,keypoints,depth,hud", "keypoints,lines", "depth"};
    vrt_overlay_info info = {1, 30.0, 9.5, 12.0, 1, NULL, 0};
    for (int db = 0; db < 2; db++)
        for (int s = 0; s < 4; s++) {
            vrt_overlay_params p;
            vrt_overlay_default_params(&p);
            ASSERT_OK(vrt_overlay_parse_flags(sets[s], &p.flags, NULL, 0));
            p.depth_blend = db;
            p.mask_alpha = s == 2 ? 255 : 110;
            vrt_overlay_t *ov = NULL;
            ASSERT_OK(vrt_overlay_create(&ov, &p, NULL, 0));
            ASSERT_OK(vrt_cuda_overlay_init(ov, NULL, 0));
            for (int k = 0; k < 4; k++) {
                uint32_t fourcc = k_formats[rnd() % (sizeof(k_formats) / sizeof(k_formats[0]))];
                uint32_t w = (40 + rnd() % 1300) & ~1u, h = (30 + rnd() % 700) & ~1u;
                static vrt_detections d;
                vrt_result r;
                void *mem = random_dense(&r, k, w, h, &d);
                compare(ov, fourcc, w, h, &r, &info);
                compare(ov, fourcc, w, h, &r, NULL);
                free(mem);
            }
            vrt_overlay_destroy(&ov);
        }
}

TEST(errors_name_the_problem) {
    vrt_overlay_t *ov = NULL;
    char err[256] = "";
    ASSERT_OK(vrt_overlay_create(&ov, NULL, NULL, 0));
    vrt_frame hs, ds;
    uint8_t *hbuf, *dbuf;
    make_pair(VRT_FMT_YUYV, 64, 48, &hs, &ds, &hbuf, &dbuf);
    ASSERT_STATUS(vrt_cuda_overlay_render(ov, &ds, &ds, NULL, NULL, g_stream, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "vrt_cuda_overlay_init");
    ASSERT_OK(vrt_cuda_overlay_init(ov, err, sizeof(err)));
    ASSERT_STATUS(vrt_cuda_overlay_render(ov, &ds, &ds, NULL, NULL, g_stream, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "RGB24");
    cudaFree(dbuf);
    free(hbuf);
    vrt_overlay_destroy(&ov);
}

int main(void) {
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev < 1) {
        printf("SKIP: no usable GPU (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    if (cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking) != cudaSuccess) {
        printf("SKIP: cannot create a CUDA stream\n");
        return 77;
    }
    VRT_RUN(errors_name_the_problem);
    VRT_RUN(detections_every_format);
    VRT_RUN(classes_lines_and_big_frames);
    VRT_RUN(masks_keypoints_depth);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
