/* The overlay's CPU twin (vrt/overlay.h) on synthetic frames, checked pixel by
 * pixel against values computed here from the documented rules:
 * - box outlines in the class colour at the box's edges, the inside tinted
 *   at alpha, the outside untouched;
 * - the label above the box: its background in the class colour and every
 *   glyph pixel equal to the font's coverage blended by hand (the text is
 *   there, at the right place, in the right letters);
 * - `lines` leaves the inside alone; `none` draws nothing;
 * - a classifier's top class and the HUD at the top-left;
 * - a YUYV source renders as its RGB24 conversion would;
 * - flag parsing and bad parameters. */
#include "harness.h"

#include <string.h>

#include "vision/overlay_font.h"
#include "vision/result_impl.h"
#include "vrt/image.h"
#include "vrt/overlay.h"

#define W 320
#define H 240
#define GREY 100

#include "overlay_px_util.h"

/* A detections result with one box of class 0 (colour FF3838) at [40, 200) x [50, 180). */
static void one_box(vrt_result *r, vrt_detections *d) {
    memset(d, 0, sizeof(*d));
    d->count = 1;
    d->det[0].box = (vrt_box){40, 50, 200, 180};
    d->det[0].score = 0.9f;
    d->det[0].class_id = 0;
    vrt__result_init(r, VRT_RESULT_DETECTIONS, VRT_TASK_DETECT_YOLOX, NULL, NULL);
    r->payload = d;
}

TEST(box_outline_tint_and_outside) {
    vrt_overlay_t *ov = NULL;
    char err[256];
    ASSERT_OK(vrt_overlay_create(&ov, NULL, err, sizeof(err)));
    vrt_frame *f = grey_frame(), *out = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &out));
    vrt_result r;
    vrt_detections d;
    one_box(&r, &d);
    ASSERT_OK(vrt_overlay_render(ov, f, out, &r, NULL, err, sizeof(err)));
    /* 2 px outlines inside the box (240 lines: line width 2). */
    for (int k = 0; k < 2; k++) {
        ASSERT_PX(out, 40 + k, 120, 0xFF, 0x38, 0x38);
        ASSERT_PX(out, 199 - k, 120, 0xFF, 0x38, 0x38);
        ASSERT_PX(out, 120, 50 + k, 0xFF, 0x38, 0x38);
        ASSERT_PX(out, 120, 179 - k, 0xFF, 0x38, 0x38);
    }
    /* Inside: tinted at the default alpha 64. */
    ASSERT_PX(out, 120, 120, blend(GREY, 0xFF, 64), blend(GREY, 0x38, 64), blend(GREY, 0x38, 64));
    ASSERT_PX(out, 42, 52, blend(GREY, 0xFF, 64), blend(GREY, 0x38, 64), blend(GREY, 0x38, 64));
    /* Outside, also right next to the box: untouched. */
    ASSERT_PX(out, 39, 120, GREY, GREY, GREY);
    ASSERT_PX(out, 200, 120, GREY, GREY, GREY);
    ASSERT_PX(out, 120, 180, GREY, GREY, GREY);
    ASSERT_PX(out, 300, 10, GREY, GREY, GREY);
    /* The source frame is not modified. */
    ASSERT_PX(f, 40, 120, GREY, GREY, GREY);
    vrt_frame_unref(&f);
    vrt_frame_unref(&out);
    vrt_overlay_destroy(&ov);
    ASSERT_TRUE(ov == NULL);
}

/* The label "class 0 0.90" sits on a box of the class colour above the box; its text, white on
 * red, starts 2 px in. Every pixel of its glyph cells is the font's coverage blended by hand. */
TEST(label_text_is_the_font) {
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, NULL, NULL, 0));
    vrt_frame *f = grey_frame();
    vrt_result r;
    vrt_detections d;
    one_box(&r, &d);
    ASSERT_OK(vrt_overlay_render(ov, f, f, &r, NULL, NULL, 0));
    const char *text = "class 0 0.90";
    const int tx = 42, ty = 50 - VRT__FONT_H;
    int ink = 0;
    for (size_t i = 0; i < strlen(text); i++)
        for (int gy = 0; gy < VRT__FONT_H; gy++)
            for (int cx = 0; cx < VRT__FONT_W; cx++) {
                char h = vrt__font_rows[(text[i] - VRT__FONT_FIRST) * VRT__FONT_H + gy][cx];
                int cov = (h >= 'A' ? h - 'A' + 10 : h - '0') * 17;
                int a = cov + (cov >> 7);
                ink += cov > 128;
                ASSERT_PX(f, tx + (int)i * VRT__FONT_W + cx, ty + gy, blend(0xFF, 255, a),
                          blend(0x38, 255, a), blend(0x38, 255, a));
            }
    ASSERT_TRUE(ink > 100); /* real letters, not an empty cell */
    /* The label's padding left of the text and right after it: the class colour. */
    ASSERT_PX(f, 40, ty + 8, 0xFF, 0x38, 0x38);
    ASSERT_PX(f, tx + 12 * VRT__FONT_W + 1, ty + 8, 0xFF, 0x38, 0x38);
    ASSERT_PX(f, tx + 12 * VRT__FONT_W + 2, ty + 8, GREY, GREY, GREY);
    vrt_frame_unref(&f);
    vrt_overlay_destroy(&ov);
}

TEST(lines_and_none) {
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    char err[256];
    ASSERT_OK(vrt_overlay_parse_flags("lines", &p.flags, err, sizeof(err)));
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &p, err, sizeof(err)));
    vrt_frame *f = grey_frame();
    vrt_result r;
    vrt_detections d;
    one_box(&r, &d);
    ASSERT_OK(vrt_overlay_render(ov, f, f, &r, NULL, NULL, 0));
    ASSERT_PX(f, 40, 120, 0xFF, 0x38, 0x38);
    ASSERT_PX(f, 120, 120, GREY, GREY, GREY); /* no tint */
    ASSERT_PX(f, 45, 40, GREY, GREY, GREY);   /* no label */
    vrt_overlay_destroy(&ov);

    ASSERT_OK(vrt_overlay_parse_flags("none", &p.flags, err, sizeof(err)));
    ASSERT_EQ(p.flags, 0);
    ASSERT_OK(vrt_overlay_create(&ov, &p, err, sizeof(err)));
    vrt_frame *g = grey_frame();
    ASSERT_OK(vrt_overlay_render(ov, g, g, &r, NULL, NULL, 0));
    ASSERT_EQ(vrt_overlay_num_primitives(ov), 0);
    for (int y = 0; y < H; y += 7)
        for (int x = 0; x < W; x += 5)
            ASSERT_PX(g, x, y, GREY, GREY, GREY);
    vrt_frame_unref(&f);
    vrt_frame_unref(&g);
    vrt_overlay_destroy(&ov);
}

static int count_differing(const vrt_frame *f, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = px(f, x, y);
            n += p[0] != GREY || p[1] != GREY || p[2] != GREY;
        }
    return n;
}

/* Top class at the top-left, under the HUD line; nothing else drawn. */
TEST(classes_and_hud) {
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    ASSERT_OK(vrt_overlay_parse_flags("labels,conf,hud", &p.flags, NULL, 0));
    p.max_classes = 1;
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &p, NULL, 0));
    vrt_class_result c;
    memset(&c, 0, sizeof(c));
    c.count = 2;
    c.index[0] = 3, c.score[0] = 0.75f;
    c.index[1] = 4, c.score[1] = 0.2f;
    vrt_result r;
    vrt__result_init(&r, VRT_RESULT_CLASSES, VRT_TASK_CLASSIFY, NULL, NULL);
    r.payload = &c;
    vrt_overlay_info info;
    memset(&info, 0, sizeof(info));
    info.hud = 1;
    info.fps = 29.97;
    info.e2e_p50_ms = 12.5;
    info.e2e_p99_ms = 20.25;
    info.drops = 3;
    vrt_frame *f = grey_frame();
    ASSERT_OK(vrt_overlay_render(ov, f, f, &r, &info, NULL, 0));
    /* HUD: "30.0 fps  e2e p50 12.5 p99 20.2 ms  drops 3" (42 chars) on black at 160/255, wider
     * than this frame: clipped at its right edge. */
    int hud_w = W;
    ASSERT_PX(f, 1, 1, blend(GREY, 0, 160), blend(GREY, 0, 160), blend(GREY, 0, 160));
    ASSERT_PX(f, hud_w - 1, 1, blend(GREY, 0, 160), blend(GREY, 0, 160), blend(GREY, 0, 160));
    ASSERT_PX(f, 1, VRT__FONT_H - 1, blend(GREY, 0, 160), blend(GREY, 0, 160), blend(GREY, 0, 160));
    /* Class 3's colour (FFB21D) behind "class 3 0.75" on the second line. */
    ASSERT_PX(f, 0, VRT__FONT_H + 1, 0xFF, 0xB2, 0x1D);
    int cls_w = 4 + 12 * VRT__FONT_W;
    ASSERT_PX(f, cls_w, VRT__FONT_H + 1, GREY, GREY, GREY);
    ASSERT_EQ(count_differing(f, 0, 2 * VRT__FONT_H, W, H), 0); /* max_classes 1: one line only */
    vrt_frame_unref(&f);
    vrt_overlay_destroy(&ov);
}

/* From YUYV: the same picture as converting to RGB24 first and drawing in place. */
TEST(yuyv_source_equals_converted) {
    vrt_frame *y = NULL, *a = NULL, *b = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_YUYV, W, H, &y));
    for (size_t i = 0; i < (size_t)y->planes[0].stride * H; i++)
        y->planes[0].data[i] = (uint8_t)(i * 37 + (i >> 9));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &a));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &b));
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, NULL, NULL, 0));
    vrt_result r;
    vrt_detections d;
    one_box(&r, &d);
    ASSERT_OK(vrt_overlay_render(ov, y, a, &r, NULL, NULL, 0));
    ASSERT_OK(vrt_image_convert(y, b, NULL, 0));
    ASSERT_OK(vrt_overlay_render(ov, b, b, &r, NULL, NULL, 0));
    ASSERT_EQ(memcmp(a->planes[0].data, b->planes[0].data, (size_t)W * H * 3), 0);
    vrt_frame_unref(&y);
    vrt_frame_unref(&a);
    vrt_frame_unref(&b);
    vrt_overlay_destroy(&ov);
}

/* Boxes partly outside the frame are clipped; a box's label stays inside the frame. */
TEST(clipping) {
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, NULL, NULL, 0));
    vrt_detections d;
    vrt_result r;
    one_box(&r, &d);
    d.det[0].box = (vrt_box){-50, -20, 1000, 1000};
    vrt_frame *f = grey_frame();
    ASSERT_OK(vrt_overlay_render(ov, f, f, &r, NULL, NULL, 0));
    /* Label inside the top edge at x 0; no outline visible on the clipped sides. */
    ASSERT_PX(f, 0, 0, 0xFF, 0x38, 0x38);
    ASSERT_PX(f, W - 1, H - 1, blend(GREY, 0xFF, 64), blend(GREY, 0x38, 64), blend(GREY, 0x38, 64));
    vrt_frame_unref(&f);
    vrt_overlay_destroy(&ov);
}

TEST(flags_and_params) {
    unsigned fl = 0;
    char err[256];
    ASSERT_OK(vrt_overlay_parse_flags("box,labels,conf,hud", &fl, err, sizeof(err)));
    ASSERT_EQ(fl, VRT_OVERLAY_BOX | VRT_OVERLAY_LABELS | VRT_OVERLAY_CONF | VRT_OVERLAY_HUD);
    ASSERT_STATUS(vrt_overlay_parse_flags("box,boxes", &fl, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "'boxes'");
    ASSERT_CONTAINS(err, "labels");
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    p.alpha = 300;
    vrt_overlay_t *ov = NULL;
    ASSERT_STATUS(vrt_overlay_create(&ov, &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "alpha");
    ASSERT_TRUE(ov == NULL);
    vrt_overlay_default_params(&p);
    ASSERT_OK(vrt_overlay_create(&ov, &p, err, sizeof(err)));
    vrt_frame *f = grey_frame(), *small = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W / 2, H / 2, &small));
    ASSERT_STATUS(vrt_overlay_render(ov, f, small, NULL, NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "RGB24");
    vrt_frame_unref(&f);
    vrt_frame_unref(&small);
    vrt_overlay_destroy(&ov);
    vrt_overlay_destroy(NULL);
}

int main(void) {
    VRT_RUN(box_outline_tint_and_outside);
    VRT_RUN(label_text_is_the_font);
    VRT_RUN(lines_and_none);
    VRT_RUN(classes_and_hud);
    VRT_RUN(yuyv_source_equals_converted);
    VRT_RUN(clipping);
    VRT_RUN(flags_and_params);
    return vrt_test_finish();
}
