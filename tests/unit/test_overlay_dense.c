/* The overlay's CPU twin (vrt/overlay.h) on results with maps and keypoints,
 * checked pixel by pixel against values computed here from the documented
 * rules (c' = (c * (256 - a) + col * a + 128) >> 8):
 * - segment-yolov8 instance masks blended at mask_alpha in their
 *   detection's class colour, under the box tint; nothing outside the masks;
 * - a segment-argmax class map: every pixel in its class's colour;
 * - pose: the COCO skeleton's limbs between confident keypoints in the
 *   person's colour, keypoints as discs with a white rim, nothing for a
 *   keypoint under 0.5 or a limb that ends in one;
 * - depth: the inset (bottom-right quarter) and the blend in the depth
 *   head's turbo colours (vrt__colormap_turbo at round(255 n), the nearest
 *   entry 254), NaN cells not drawn;
 * - the flags mask, keypoints, depth and the new parameters. */
#include "harness.h"

#include <math.h>
#include <string.h>

#include "overlay_dense_util.h"
#include "vision/dense.h"
#include "vrt/image.h"
#include "vrt/overlay.h"

#define W 320
#define H 240
#define GREY 100

#include "overlay_px_util.h"

/* Pixel = GREY blended with colour c at alpha a. */
#define ASSERT_BLEND(f, x, y, c, a)                                                                          \
    ASSERT_PX(f, x, y, blend(GREY, (c)[0], a), blend(GREY, (c)[1], a), blend(GREY, (c)[2], a))
#define ASSERT_GREY(f, x, y) ASSERT_PX(f, x, y, GREY, GREY, GREY)

/* An overlay drawing `flags` (mask_alpha ma, depth_blend db) of r onto a grey frame. */
static vrt_frame *render(const char *flags, int ma, int db, const vrt_result *r) {
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    char err[256];
    ASSERT_OK(vrt_overlay_parse_flags(flags, &p.flags, err, sizeof(err)));
    if (ma >= 0) p.mask_alpha = ma;
    p.depth_blend = db;
    vrt_overlay_t *ov = NULL;
    ASSERT_OK(vrt_overlay_create(&ov, &p, err, sizeof(err)));
    vrt_frame *f = grey_frame(), *out = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &out));
    ASSERT_OK(vrt_overlay_render(ov, f, out, r, NULL, err, sizeof(err)));
    vrt_frame_unref(&f);
    vrt_overlay_destroy(&ov);
    return out;
}

static void fill(uint8_t *map, size_t stride, int x0, int y0, int x1, int y1, uint8_t v) {
    for (int y = y0; y < y1; y++)
        memset(map + (size_t)y * stride + x0, v, (size_t)(x1 - x0));
}

/* Detection 0: class 0 at [40, 200) x [50, 180); detection 1: class 5 at [210, 300) x [20, 100). */
static void two_boxes(vrt_detections *d) {
    memset(d, 0, sizeof(*d));
    d->count = 2;
    d->det[0] = (vrt_detection){{40, 50, 200, 180}, 0.9f, 0};
    d->det[1] = (vrt_detection){{210, 20, 300, 100}, 0.8f, 5};
}

TEST(instance_masks_blended) {
    vrt_detections d;
    two_boxes(&d);
    vrt_result r;
    uint8_t *map;
    size_t stride;
    void *mem = ovd_instances(&r, &d, W, H, &map, &stride);
    fill(map, stride, 60, 70, 100, 110, 1); /* detection 0's mask */
    fill(map, stride, 220, 30, 250, 60, 2); /* detection 1's */
    uint8_t c0[3], c5[3];
    vrt_overlay_class_color(0, c0);
    vrt_overlay_class_color(5, c5);
    vrt_frame *out = render("mask", -1, 0, &r); /* default mask_alpha 110 */
    ASSERT_BLEND(out, 60, 70, c0, 110);
    ASSERT_BLEND(out, 99, 109, c0, 110);
    ASSERT_BLEND(out, 230, 40, c5, 110);
    ASSERT_GREY(out, 59, 90);
    ASSERT_GREY(out, 100, 90);
    ASSERT_GREY(out, 150, 150); /* inside the box, outside the mask: no box drawn with "mask" */
    ASSERT_GREY(out, 250, 45);
    vrt_frame_unref(&out);
    out = render("mask", 255, 0, &r); /* 255: opaque */
    ASSERT_PX(out, 80, 90, c0[0], c0[1], c0[2]);
    vrt_frame_unref(&out);
    /* With the box: the tint goes over the mask. */
    out = render("box,mask", -1, 0, &r);
    ASSERT_PX(out, 80, 90, blend(blend(GREY, c0[0], 110), c0[0], 64),
              blend(blend(GREY, c0[1], 110), c0[1], 64), blend(blend(GREY, c0[2], 110), c0[2], 64));
    ASSERT_BLEND(out, 150, 150, c0, 64);
    vrt_frame_unref(&out);
    out = render("box", -1, 0, &r); /* no mask flag: the box only */
    ASSERT_BLEND(out, 80, 90, c0, 64);
    vrt_frame_unref(&out);
    free(mem);
}

TEST(class_map_every_pixel) {
    vrt_result r;
    uint8_t *map;
    size_t stride;
    void *mem = ovd_classes(&r, W, H, &map, &stride);
    fill(map, stride, W / 2, 0, W, H, 3);
    fill(map, stride, 10, 200, 30, 220, 200);
    uint8_t c0[3], c3[3], c200[3];
    vrt_overlay_class_color(0, c0);
    vrt_overlay_class_color(3, c3);
    vrt_overlay_class_color(200, c200);
    vrt_frame *out = render("mask", 90, 0, &r);
    ASSERT_BLEND(out, 0, 0, c0, 90); /* class 0 is a class (background, wall, road) */
    ASSERT_BLEND(out, W / 2 - 1, 100, c0, 90);
    ASSERT_BLEND(out, W / 2, 100, c3, 90);
    ASSERT_BLEND(out, W - 1, H - 1, c3, 90);
    ASSERT_BLEND(out, 20, 210, c200, 90);
    vrt_frame_unref(&out);
    out = render("box,labels", -1, 0, &r);
    ASSERT_GREY(out, 20, 210);
    vrt_frame_unref(&out);
    free(mem);
}

static void set_kp(float *kp, int j, float x, float y, float s) {
    kp[3 * j] = x, kp[3 * j + 1] = y, kp[3 * j + 2] = s;
}

TEST(keypoints_and_skeleton) {
    vrt_detections d;
    two_boxes(&d);
    d.count = 1;
    vrt_result r;
    float *kp;
    void *mem = ovd_pose(&r, &d, 17, &kp);
    set_kp(kp, 5, 100.2f, 100.4f, 0.9f);  /* left shoulder: rounds to (100, 100) */
    set_kp(kp, 6, 160.0f, 100.0f, 0.8f);  /* right shoulder */
    set_kp(kp, 7, 100.0f, 160.0f, 0.3f);  /* left elbow, not confident: neither it nor limb 5-7 */
    set_kp(kp, 12, 160.0f, 140.0f, 0.6f); /* right hip: limb 6-12 */
    uint8_t col[3];
    vrt_overlay_class_color(0 + 1 + 0, col); /* person i of class c: the colour of c + 1 + i */
    vrt_frame *out = render("keypoints", -1, 0, &r);
    /* Limb 5-6 (240 lines: half width 1). */
    ASSERT_PX(out, 130, 100, col[0], col[1], col[2]);
    ASSERT_PX(out, 130, 99, col[0], col[1], col[2]);
    ASSERT_PX(out, 130, 101, col[0], col[1], col[2]);
    ASSERT_GREY(out, 130, 102);
    ASSERT_GREY(out, 130, 98);
    /* Limb 6-12: vertical at x = 160. */
    ASSERT_PX(out, 160, 120, col[0], col[1], col[2]);
    ASSERT_PX(out, 161, 120, col[0], col[1], col[2]);
    ASSERT_GREY(out, 162, 120);
    /* Keypoint 5: disc of radius 3 in the colour inside a white rim to radius 4. */
    ASSERT_PX(out, 100, 100, col[0], col[1], col[2]);
    ASSERT_PX(out, 100, 103, col[0], col[1], col[2]);
    ASSERT_PX(out, 100, 104, 255, 255, 255);
    ASSERT_PX(out, 100, 96, 255, 255, 255);
    ASSERT_PX(out, 97, 98, 255, 255, 255); /* 3^2 + 2^2 = 13: > 9, <= 16: the rim */
    ASSERT_GREY(out, 100, 105);
    ASSERT_GREY(out, 97, 97); /* 9 + 9 = 18 > 16 */
    /* Keypoint 7 and limb 5-7 are not drawn; nor keypoints of score 0 at (0, 0). */
    ASSERT_GREY(out, 100, 160);
    ASSERT_GREY(out, 100, 130);
    ASSERT_GREY(out, 0, 0);
    /* Keypoints off: nothing of it. */
    vrt_frame_unref(&out);
    out = render("mask,depth", -1, 0, &r);
    ASSERT_GREY(out, 130, 100);
    ASSERT_GREY(out, 100, 100);
    vrt_frame_unref(&out);
    free(mem);
}

/* The depth colour of normalised depth n: the head's colour index round(255 n) (VRT_MAP_DEPTH_COLOR's
 * colour under turbo), the nearest entry 254. */
static const uint8_t *depth_color(float n) {
    int i = (int)(n * 255.0f + 0.5f);
    return vrt__colormap_turbo[i < 0 ? 0 : i > 254 ? 254 : i];
}

/* Depth n = x / (W - 1) (near on the right), NaN (cropped away) from row 200 down. */
static float depth_at(int x, int y) {
    return y >= 200 ? NAN : (float)x / (float)(W - 1);
}

TEST(depth_inset_and_blend) {
    vrt_result r;
    float *map;
    size_t stride;
    void *mem = ovd_depth(&r, W, H, &map, &stride);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            map[(size_t)y * (stride / 4) + (size_t)x] = depth_at(x, y);
    /* The inset: the bottom-right quarter [240, 320) x [180, 240), the map scaled by 1/4, opaque. */
    vrt_frame *out = render("depth", -1, 0, &r);
    int drawn = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float n = x >= 240 && y >= 180 ? depth_at(4 * (x - 240), 4 * (y - 180)) : NAN;
            if (isnan(n)) {
                ASSERT_GREY(out, x, y);
                continue;
            }
            const uint8_t *c = depth_color(n);
            ASSERT_PX(out, x, y, c[0], c[1], c[2]);
            drawn++;
        }
    ASSERT_EQ(drawn, 80 * 50); /* rows 180..229 show map rows 0..196; 230.. NaN ones */
    vrt_frame_unref(&out);
    /* Blended over the whole frame at 154 / 256. */
    out = render("depth", -1, 1, &r);
    for (int y = 0; y < H; y += 7)
        for (int x = 0; x < W; x++) {
            if (y >= 200) {
                ASSERT_GREY(out, x, y);
                continue;
            }
            ASSERT_BLEND(out, x, y, depth_color(depth_at(x, y)), 154);
        }
    /* The two ends of the map are turbo's ends. */
    ASSERT_BLEND(out, 0, 0, vrt__colormap_turbo[0], 154);
    ASSERT_BLEND(out, W - 1, 0, vrt__colormap_turbo[254], 154);
    vrt_frame_unref(&out);
    out = render("box,labels,mask,keypoints", -1, 1, &r);
    ASSERT_GREY(out, 100, 100);
    vrt_frame_unref(&out);
    free(mem);
}

TEST(flags_and_params) {
    unsigned fl = 0;
    char err[256];
    ASSERT_OK(vrt_overlay_parse_flags("mask,keypoints,depth", &fl, err, sizeof(err)));
    ASSERT_EQ(fl, VRT_OVERLAY_MASK | VRT_OVERLAY_KEYPOINTS | VRT_OVERLAY_DEPTH);
    ASSERT_STATUS(vrt_overlay_parse_flags("box,masks", &fl, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "'masks'");
    ASSERT_CONTAINS(err, "keypoints");
    vrt_overlay_params p;
    vrt_overlay_default_params(&p);
    ASSERT_EQ(p.flags & (VRT_OVERLAY_MASK | VRT_OVERLAY_KEYPOINTS | VRT_OVERLAY_DEPTH),
              VRT_OVERLAY_MASK | VRT_OVERLAY_KEYPOINTS | VRT_OVERLAY_DEPTH);
    ASSERT_EQ(p.mask_alpha, 110);
    ASSERT_EQ(p.depth_blend, 0);
    p.mask_alpha = 256;
    vrt_overlay_t *ov = NULL;
    ASSERT_STATUS(vrt_overlay_create(&ov, &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "mask_alpha");
    ASSERT_TRUE(ov == NULL);
    vrt_overlay_default_params(&p);
    p.depth_blend = 2;
    ASSERT_STATUS(vrt_overlay_create(&ov, &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "depth_blend");
}

int main(void) {
    VRT_RUN(instance_masks_blended);
    VRT_RUN(class_map_every_pixel);
    VRT_RUN(keypoints_and_skeleton);
    VRT_RUN(depth_inset_and_blend);
    VRT_RUN(flags_and_params);
    return vrt_test_finish();
}
