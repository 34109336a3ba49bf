/* Helpers shared by the picture tests (tests/unit/test_session_render.c on
 * the CPU, tests/gpu/test_pictures_cuda.c on the GPU): a session's
 * vrt_session_render and a pipeline's pictures against the CPU overlay
 * (vrt_overlay_render) of the same result on the same frame. YOLOX-Nano on
 * a photo with a dog, so boxes and labels are drawn. */
#ifndef VRT_TEST_PICTURES_UTIL_H
#define VRT_TEST_PICTURES_UTIL_H

#include <pthread.h>
#include <stdatomic.h>

#include "session_test_util.h"
#include "vrt/overlay.h"
#include "vrt/pipeline.h"

#define PT_MODEL "models/yolox_nano/yolox_nano.onnx"
#define PT_IMAGE "images/jetson/dog_2.jpg"

static const char *pt_profile(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/yolox.conf", VRT_SOURCE_DIR);
    return p;
}

/* Bytes that differ between two RGB24 frames of the same size. */
static size_t pt_diff(const vrt_frame *a, const vrt_frame *b) {
    size_t n = 0;
    for (uint32_t y = 0; y < a->height; y++) {
        const uint8_t *ra = a->planes[0].data + (size_t)y * a->planes[0].stride;
        const uint8_t *rb = b->planes[0].data + (size_t)y * b->planes[0].stride;
        for (uint32_t x = 0; x < 3 * a->width; x++)
            n += ra[x] != rb[x];
    }
    return n;
}

static void pt_overlay_params(vrt_overlay_params *op, const char *flags) {
    vrt_overlay_default_params(op);
    ASSERT_OK(vrt_overlay_parse_flags(flags, &op->flags, NULL, 0));
    op->alpha = 80;
}

/* A session of `backend` with pictures: submit the frame on slot 1, render; the picture must equal
 * the CPU overlay of the session's result on the same frame, byte for byte, and show boxes. */
static void pt_check_session(const char *backend, uint32_t fourcc) {
    const char *model = vrt_test_data_or_skip(PT_MODEL);
    vrt_frame *f = st_load_frame(PT_IMAGE, fourcc, 640, 480);
    vrt_overlay_params op;
    pt_overlay_params(&op, "box,labels,conf,hud");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.fourcc = fourcc;
    p.threads = 2;
    p.overlay = &op;
    vrt_session_t *s = NULL;
    char err[512];
    if (vrt_session_open(model, pt_profile(), NULL, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_submit(s, 1, f));
    vrt_frame *pic = NULL, *ref = NULL, *plain = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 640, 480, &pic));
    /* In flight: no picture yet. */
    if (!strcmp(backend, "cuda")) ASSERT_STATUS(vrt_session_render(s, 1, NULL, pic), VRT_EBUSY);
    ASSERT_OK(vrt_session_wait(s, 1, &r));
    fprintf(stderr, "  %s: %d detections\n", backend, vrt_result_count(r));
    ASSERT_TRUE(vrt_result_count(r) >= 1);
    vrt_overlay_info info = {1, 29.5, 12.25, 20.5, 3, NULL, 0};
    if (vrt_session_render(s, 1, &info, pic))
        vrt_test_fail(__FILE__, __LINE__, "render: %s", vrt_session_last_error(s));
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &op, NULL, 0));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 640, 480, &ref));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 640, 480, &plain));
    ASSERT_OK(vrt_overlay_render(ov, f, ref, r, &info, NULL, 0));
    ASSERT_TRUE(vrt_overlay_num_primitives(ov) >= 4 + 1); /* an outlined box and the HUD */
    ASSERT_EQ(pt_diff(pic, ref), 0);
    ASSERT_OK(vrt_image_convert(f, plain, NULL, 0));
    ASSERT_TRUE(pt_diff(pic, plain) > 1000); /* something was drawn */
    /* What one picture costs (bench/gpu/outputs.sh reads this line): draw + download. */
    int64_t t0 = vrt_now_ns();
    for (int k = 0; k < 50; k++)
        ASSERT_OK(vrt_session_render(s, 1, &info, pic));
    char fb[8];
    fprintf(stderr, "  render 640x480 %s: %.3f ms (%s, mean of 50: draw + download)\n",
            vrt_fourcc_name(fourcc, fb), (double)(vrt_now_ns() - t0) / 50 / 1e6, backend);
    /* Wrong picture: RGB24 of the session's size only. */
    vrt_frame *small = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &small));
    ASSERT_STATUS(vrt_session_render(s, 1, NULL, small), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_session_last_error(s), "RGB24 640x480");
    vrt_frame_unref(&small);
    vrt_overlay_destroy(&ov);
    vrt_frame_unref(&pic);
    vrt_frame_unref(&ref);
    vrt_frame_unref(&plain);
    vrt_session_destroy(&s);
    /* Without params.overlay: no pictures, and the message says why. */
    p.overlay = NULL;
    ASSERT_OK(vrt_session_open(model, pt_profile(), NULL, &p, &s, err, sizeof(err)));
    ASSERT_OK(vrt_session_run(s, f, &r));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 640, 480, &pic));
    ASSERT_STATUS(vrt_session_render(s, 0, NULL, pic), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_session_last_error(s), "params.overlay");
    vrt_frame_unref(&pic);
    vrt_session_destroy(&s);
    vrt_frame_unref(&f);
}

/* ---- a pipeline's pictures --------------------------------------------------
 * on_result keeps a copy of each raw frame by result index; a drawing output
 * (overlay set) compares each picture it gets with the CPU overlay of its own
 * copy of the result on that raw frame. A second output wants the frames as
 * they are and must get them so. */
#define PT_FRAMES 8

typedef struct pt_run {
    vrt_frame *raw[PT_FRAMES];
    vrt_overlay_t *ov; /* the CPU twin, on the drawing output's thread */
    vrt_frame *ref;
    _Atomic int pictures, annotated, equal, rgb, plain_frames, plain_annotated, drawn;
    int distinct;            /* raw frames that differ from the one before (a source whose frames change) */
    _Atomic int plain_equal; /* plain frames equal to on_result's copy of their frame */
} pt_run;

static void pt_on_result(void *user, const vrt_pipeline_result *r) {
    pt_run *t = user;
    if (r->index < PT_FRAMES && !t->raw[r->index]) {
        vrt_frame *c = NULL;
        ASSERT_OK(vrt_image_alloc(r->frame->fourcc, r->frame->width, r->frame->height, &c));
        for (int k = 0; k < c->num_planes; k++) /* same format and size: row by row (strides may differ) */
            for (uint32_t y = 0; y < c->planes[k].size / c->planes[k].stride; y++)
                memcpy(c->planes[k].data + (size_t)y * c->planes[k].stride,
                       r->frame->planes[k].data + (size_t)y * r->frame->planes[k].stride,
                       c->planes[k].stride);
        t->raw[r->index] = c;
    }
}

static void pt_draw_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    pt_run *t = ctx;
    if (!r->frame || r->index >= PT_FRAMES || !t->raw[r->index]) return;
    t->pictures++;
    t->annotated += r->annotated;
    if (!r->annotated) return; /* the CPU backend: the output draws itself (the sinks do) */
    t->rgb += r->frame->fourcc == VRT_FMT_RGB24;
    if (!t->ref && vrt_image_alloc(VRT_FMT_RGB24, r->width, r->height, &t->ref)) return;
    if (vrt_overlay_render(t->ov, t->raw[r->index], t->ref, r->result, NULL, NULL, 0)) return;
    t->drawn += vrt_overlay_num_primitives(t->ov) >= 4;
    t->equal += pt_diff(r->frame, t->ref) == 0;
}

static void pt_plain_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    pt_run *t = ctx;
    if (!r->frame) return;
    t->plain_frames += r->frame->fourcc == VRT_FMT_YUYV;
    const vrt_frame *raw = r->index < PT_FRAMES ? t->raw[r->index] : NULL;
    t->plain_equal += raw && r->frame->fourcc == raw->fourcc &&
                      r->frame->planes[0].stride == raw->planes[0].stride &&
                      !memcmp(r->frame->planes[0].data, raw->planes[0].data, raw->planes[0].size);
    t->plain_annotated += r->annotated;
}

/* Runs PT_FRAMES frames of source `uri` through a pipeline of `backend` with a drawing output and a
 * plain one; fills t. */
static void pt_run_pipeline_uri(const char *backend, const char *uri, pt_run *t) {
    const char *model = vrt_test_data_or_skip(PT_MODEL);
    memset(t, 0, sizeof(*t));
    vrt_overlay_params op;
    pt_overlay_params(&op, "box,labels,conf");
    ASSERT_OK(vrt_overlay_create(&t->ov, &op, NULL, 0));
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = pt_profile();
    pp.backend = backend;
    pp.threads = 2;
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = PT_FRAMES;
    pp.on_result = pt_on_result;
    pp.user = t;
    vrt_pipeline_t *p = NULL;
    char err[512];
    if (vrt_pipeline_create(&p, &pp, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    if (vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "add_source %s: %s", uri, err);
    vrt_pipeline_output draw = {.name = "draw",
                                .depth = 2 * PT_FRAMES,
                                .want_frame = 1,
                                .overlay = &op,
                                .ctx = t,
                                .write = pt_draw_write};
    vrt_pipeline_output plain = {
        .name = "plain", .depth = 2 * PT_FRAMES, .want_frame = 1, .ctx = t, .write = pt_plain_write};
    ASSERT_OK(vrt_pipeline_add_output(p, &draw, err, sizeof(err)));
    ASSERT_OK(vrt_pipeline_add_output(p, &plain, err, sizeof(err)));
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_destroy(&p);
    for (int i = 1; i < PT_FRAMES; i++)
        t->distinct +=
            t->raw[i] && t->raw[i - 1] &&
            memcmp(t->raw[i]->planes[0].data, t->raw[i - 1]->planes[0].data, t->raw[i]->planes[0].size);
    for (int i = 0; i < PT_FRAMES; i++)
        vrt_frame_unref(&t->raw[i]);
    vrt_frame_unref(&t->ref);
    vrt_overlay_destroy(&t->ov);
}

/* PT_FRAMES frames of the photo (YUYV at its own size, as a camera's). */
static void pt_run_pipeline(const char *backend, pt_run *t) {
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s?loop=1&fps=30&format=YUYV", vrt_test_data_or_skip(PT_IMAGE));
    pt_run_pipeline_uri(backend, uri, t);
}

/* PT_FRAMES frames of a synthetic source whose every frame differs (a moving pattern and the frame
 * number), as fast as it can make them: the next frame is uploaded right behind a picture that
 * was only started, so a picture drawn from the wrong frame shows. */
#define PT_SYNTHETIC "synthetic:?width=640&height=480&format=YUYV&fps=0&mode=all"

/* ---- batches (cross-stream batching) -----------------------------------------
 * SqueezeNet (its graph takes any batch; the YOLOX-Nano export fixes batch 1):
 * three photos, each its own top class, so a picture drawn from the wrong
 * batch position shows another photo and other labels. */
#define PB_MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"
#define PB_N 3

static const char *pb_profile(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    return p;
}

/* A batch-3 session of `backend` with pictures: the three photos in one submission; the picture of
 * each position equals the CPU overlay of that position's result on that position's photo byte for
 * byte; the three differ; vrt_session_render is position 0; a position the last submission did not
 * fill is refused. */
static void pt_check_batch_session(const char *backend, uint32_t fourcc) {
    const char *model = vrt_test_data_or_skip(PB_MODEL);
    vrt_frame *f[PB_N], *pic[PB_N], *ref = NULL, *first = NULL;
    for (int k = 0; k < PB_N; k++) {
        f[k] = st_load_frame(st_images[k], fourcc, 320, 240);
        ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &pic[k]));
    }
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &ref));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &first));
    vrt_overlay_params op;
    pt_overlay_params(&op, "labels,conf,hud");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.fourcc = fourcc;
    p.width = 320;
    p.height = 240;
    p.threads = 2;
    p.batch = PB_N;
    p.overlay = &op;
    vrt_session_t *s = NULL;
    char err[512];
    if (vrt_session_open(model, pb_profile(), NULL, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "open %s batch %d: %s", backend, PB_N, err);
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &op, NULL, 0));
    const vrt_frame *const frames[PB_N] = {f[0], f[1], f[2]};
    const vrt_result *r[PB_N];
    int n = 0;
    ASSERT_OK(vrt_session_submit_batch(s, 1, frames, PB_N));
    ASSERT_OK(vrt_session_wait_batch(s, 1, r, &n));
    ASSERT_EQ(n, PB_N);
    vrt_overlay_info info = {1, 29.5, 12.25, 20.5, 3, NULL, 0};
    for (int k = 0; k < PB_N; k++) {
        int cls = -1;
        float score = 0;
        ASSERT_OK(vrt_result_class(r[k], 0, &cls, &score));
        ASSERT_EQ(cls, st_top1[k]); /* each position has its own photo's result */
        if (vrt_session_render_at(s, 1, k, &info, pic[k]))
            vrt_test_fail(__FILE__, __LINE__, "render_at %d: %s", k, vrt_session_last_error(s));
        ASSERT_OK(vrt_overlay_render(ov, f[k], ref, r[k], &info, NULL, 0));
        ASSERT_TRUE(vrt_overlay_num_primitives(ov) >= 2); /* the HUD and the class lines */
        ASSERT_EQ(pt_diff(pic[k], ref), 0);
    }
    ASSERT_TRUE(pt_diff(pic[0], pic[1]) > 1000 && pt_diff(pic[1], pic[2]) > 1000);
    ASSERT_OK(vrt_session_render(s, 1, &info, first));
    ASSERT_EQ(pt_diff(first, pic[0]), 0);
    fprintf(stderr, "  %s batch %d: every position's picture equals the CPU overlay\n", backend, PB_N);
    /* Two frames submitted: position 2 holds nothing of this submission. */
    ASSERT_OK(vrt_session_submit_batch(s, 1, frames, 2));
    ASSERT_OK(vrt_session_wait_batch(s, 1, r, &n));
    ASSERT_OK(vrt_session_render_at(s, 1, 1, &info, pic[1]));
    ASSERT_STATUS(vrt_session_render_at(s, 1, 2, &info, pic[2]), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_session_last_error(s), "position 2");
    ASSERT_STATUS(vrt_session_render_at(s, 1, -1, &info, pic[2]), VRT_EINVAL);
    vrt_overlay_destroy(&ov);
    vrt_session_destroy(&s);
    for (int k = 0; k < PB_N; k++) {
        vrt_frame_unref(&f[k]);
        vrt_frame_unref(&pic[k]);
    }
    vrt_frame_unref(&ref);
    vrt_frame_unref(&first);
}

/* ---- pictures not waited for (vrt_session_render_start) ----------------------
 * One slot, so every frame goes through the same slot and its device frame: the photos in turn,
 * and after each result the picture is only started, then the next photo is submitted at once on
 * that slot (nothing waits for the picture). Another thread waits for the pictures by ticket, as
 * a sink does; each must be its own frame with its own result (the CPU overlay of that result on
 * that photo, byte for byte), not the next photo that overwrote the slot meanwhile. The pictures
 * are page-locked with vrt_session_host_register (CUDA: the downloads are asynchronous). */
#define PO_FRAMES 6

typedef struct po_waiter {
    vrt_session_t *s;
    uint64_t tickets[PO_FRAMES];
    vrt_status st[PO_FRAMES];
} po_waiter;

static void *po_wait_main(void *arg) {
    po_waiter *w = arg;
    for (int i = 0; i < PO_FRAMES; i++)
        w->st[i] = vrt_session_render_wait(w->s, w->tickets[i]);
    return NULL;
}

static void pt_check_render_order(const char *backend, uint32_t fourcc) {
    const char *model = vrt_test_data_or_skip(PB_MODEL);
    vrt_frame *f[PB_N], *pic[PO_FRAMES], *ref[PO_FRAMES];
    for (int k = 0; k < PB_N; k++)
        f[k] = st_load_frame(st_images[k], fourcc, 320, 240);
    vrt_overlay_params op;
    pt_overlay_params(&op, "labels,conf,hud");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.fourcc = fourcc;
    p.width = 320;
    p.height = 240;
    p.threads = 2;
    p.slots = 1;
    p.overlay = &op;
    vrt_session_t *s = NULL;
    char err[512];
    if (vrt_session_open(model, pb_profile(), NULL, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &op, NULL, 0));
    for (int i = 0; i < PO_FRAMES; i++) {
        ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &pic[i]));
        ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 320, 240, &ref[i]));
        if (vrt_session_host_register(s, pic[i]->planes[0].data, pic[i]->planes[0].size))
            vrt_test_fail(__FILE__, __LINE__, "host_register: %s", vrt_session_last_error(s));
    }
    ASSERT_STATUS(vrt_session_render_wait(s, 1), VRT_EINVAL); /* nothing started yet */
    po_waiter w = {.s = s};
    vrt_overlay_info info = {1, 29.5, 12.25, 20.5, 3, NULL, 0};
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_submit(s, 0, f[0]));
    for (int i = 0; i < PO_FRAMES; i++) {
        ASSERT_OK(vrt_session_wait(s, 0, &r));
        int cls = -1;
        float score = 0;
        ASSERT_OK(vrt_result_class(r, 0, &cls, &score));
        ASSERT_EQ(cls, st_top1[i % PB_N]);
        ASSERT_OK(vrt_overlay_render(ov, f[i % PB_N], ref[i], r, &info, NULL, 0));
        if (vrt_session_render_start(s, 0, 0, &info, pic[i], &w.tickets[i]))
            vrt_test_fail(__FILE__, __LINE__, "render_start %d: %s", i, vrt_session_last_error(s));
        ASSERT_EQ(w.tickets[i], (uint64_t)(i + 1));
        if (i + 1 < PO_FRAMES) ASSERT_OK(vrt_session_submit(s, 0, f[(i + 1) % PB_N])); /* at once */
        if (i + 1 < PO_FRAMES && !strcmp(backend, "cuda"))
            ASSERT_STATUS(vrt_session_render_start(s, 0, 0, &info, pic[i], NULL), VRT_EBUSY);
    }
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, po_wait_main, &w), 0);
    pthread_join(th, NULL);
    for (int i = 0; i < PO_FRAMES; i++) {
        ASSERT_OK(w.st[i]);
        ASSERT_EQ(pt_diff(pic[i], ref[i]), 0);
    }
    ASSERT_TRUE(pt_diff(pic[0], pic[1]) > 1000 && pt_diff(pic[1], pic[2]) > 1000);
    ASSERT_STATUS(vrt_session_render_wait(s, 0), VRT_EINVAL);
    ASSERT_STATUS(vrt_session_render_wait(s, PO_FRAMES + 1), VRT_EINVAL);
    fprintf(stderr, "  %s: %d pictures started without waiting, each its own frame\n", backend, PO_FRAMES);
    for (int i = 0; i < PO_FRAMES; i++) {
        vrt_session_host_unregister(s, pic[i]->planes[0].data);
        vrt_frame_unref(&pic[i]);
        vrt_frame_unref(&ref[i]);
    }
    vrt_overlay_destroy(&ov);
    vrt_session_destroy(&s);
    for (int k = 0; k < PB_N; k++)
        vrt_frame_unref(&f[k]);
}

/* A pipeline of three photo streams of one size batched into one group (VRT_BATCH_ON), with a
 * drawing output: each result's frame (CPU: the frame as it came; CUDA: the picture drawn on the
 * GPU at the frame's batch position) is checked against on_result's copy of that stream's frame,
 * and a picture against the CPU overlay of the result the output got on that frame. */
#define PB_FRAMES 6
static const char *const pb_photos[PB_N] = {"images/jetson/cat_3.jpg", "images/jetson/dog_0.jpg",
                                            "images/jetson/peds_2.jpg"}; /* all 500x375 */

typedef struct pb_run {
    vrt_frame *raw[PB_N][PB_FRAMES];
    vrt_overlay_t *ov; /* the CPU twin, on the drawing output's thread */
    vrt_frame *ref;
    _Atomic int pictures, annotated, equal, raw_equal, drawn, bad;
    vrt_pipeline_batch_stats batch;
} pb_run;

static void pb_on_result(void *user, const vrt_pipeline_result *r) {
    pb_run *t = user;
    if (r->stream < 0 || r->stream >= PB_N || r->index >= PB_FRAMES || t->raw[r->stream][r->index]) return;
    vrt_frame *c = NULL;
    ASSERT_OK(vrt_image_alloc(r->frame->fourcc, r->frame->width, r->frame->height, &c));
    for (uint32_t y = 0; y < r->height; y++)
        memcpy(c->planes[0].data + (size_t)y * c->planes[0].stride,
               r->frame->planes[0].data + (size_t)y * r->frame->planes[0].stride, (size_t)r->width * 2);
    t->raw[r->stream][r->index] = c;
}

/* Bytes that differ between two YUYV frames of the same size. */
static size_t pb_diff_yuyv(const vrt_frame *a, const vrt_frame *b) {
    size_t n = 0;
    for (uint32_t y = 0; y < a->height; y++)
        for (uint32_t x = 0; x < 2 * a->width; x++)
            n += a->planes[0].data[(size_t)y * a->planes[0].stride + x] !=
                 b->planes[0].data[(size_t)y * b->planes[0].stride + x];
    return n;
}

static void pb_draw_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    pb_run *t = ctx;
    if (!r->frame || r->stream < 0 || r->stream >= PB_N || r->index >= PB_FRAMES) return;
    const vrt_frame *raw = t->raw[r->stream][r->index];
    if (!raw) return;
    t->pictures++;
    t->annotated += r->annotated;
    if (!t->ref && vrt_image_alloc(VRT_FMT_RGB24, r->width, r->height, &t->ref)) return;
    if (vrt_overlay_render(t->ov, raw, t->ref, r->result, NULL, NULL, 0)) {
        t->bad++;
        return;
    }
    t->drawn += vrt_overlay_num_primitives(t->ov) >= 1; /* the class lines */
    if (r->annotated)
        t->equal += r->frame->fourcc == VRT_FMT_RGB24 && pt_diff(r->frame, t->ref) == 0;
    else
        t->raw_equal += r->frame->fourcc == VRT_FMT_YUYV && pb_diff_yuyv(r->frame, raw) == 0;
}

static void pb_run_pipeline(const char *backend, pb_run *t) {
    const char *model = vrt_test_data_or_skip(PB_MODEL);
    memset(t, 0, sizeof(*t));
    vrt_overlay_params op;
    pt_overlay_params(&op, "labels,conf");
    ASSERT_OK(vrt_overlay_create(&t->ov, &op, NULL, 0));
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = pb_profile();
    pp.backend = backend;
    pp.threads = 2;
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = PB_FRAMES;
    pp.batch_sources = VRT_BATCH_ON;
    pp.batch_deadline_ns = 200000000; /* wait long for the others: batches of several frames */
    pp.on_result = pb_on_result;
    pp.user = t;
    vrt_pipeline_t *p = NULL;
    char err[512], uri[1200];
    if (vrt_pipeline_create(&p, &pp, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    for (int i = 0; i < PB_N; i++) {
        snprintf(uri, sizeof(uri), "image:%s?loop=1&fps=20&format=YUYV", vrt_test_data_or_skip(pb_photos[i]));
        if (vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add_source %s: %s", uri, err);
    }
    vrt_pipeline_output draw = {.name = "draw",
                                .depth = 4 * PB_FRAMES,
                                .want_frame = 1,
                                .overlay = &op,
                                .ctx = t,
                                .write = pb_draw_write};
    ASSERT_OK(vrt_pipeline_add_output(p, &draw, err, sizeof(err)));
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 120000));
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_get_batch_stats(p, &t->batch);
    vrt_pipeline_destroy(&p);
    fprintf(stderr,
            "  %s: %d pictures (%d drawn on the GPU), batches: %d group(s), %llu runs of %llu frames\n",
            backend, (int)t->pictures, (int)t->annotated, t->batch.groups, (unsigned long long)t->batch.runs,
            (unsigned long long)t->batch.frames);
    for (int i = 0; i < PB_N; i++)
        for (int k = 0; k < PB_FRAMES; k++)
            vrt_frame_unref(&t->raw[i][k]);
    vrt_frame_unref(&t->ref);
    vrt_overlay_destroy(&t->ov);
}

#endif
