/* consumer.c - a program built against an INSTALLED visionrt (tests/install/test_install.py), once
 * with pkg-config and once with find_package(visionrt): the headers compile on their own, the
 * library links (libjpeg inside it included) and, given MODEL PROFILE IMAGE, a CPU session
 * classifies the image; it prints "top1 INDEX SCORE" for the test to compare with `vrt infer`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/core.h"
#include "vrt/image.h"
#include "vrt/session.h"

static int fail(const char *what, int st, const char *err) {
    fprintf(stderr, "consumer: %s: %s (%s)\n", what, vrt_status_str(st), err ? err : "");
    return 1;
}

/* A solid-colour RGB frame through libvrt's JPEG encoder and decoder. */
static int jpeg_round_trip(void) {
    char err[256] = "";
    vrt_frame *f = NULL, *g = NULL;
    uint8_t *jpg = NULL;
    size_t n = 0;
    int st = vrt_image_alloc(VRT_FMT_RGB24, 64, 48, &f);
    if (st) return fail("vrt_image_alloc", st, NULL);
    vrt_image_fill_rect(f, 0, 0, 64, 48, 200, 100, 50);
    st = vrt_jpeg_encode(f, 95, &jpg, &n, err, sizeof err);
    if (st) return fail("vrt_jpeg_encode", st, err);
    st = vrt_jpeg_decode(jpg, n, VRT_FMT_RGB24, &g, err, sizeof err);
    if (st) return fail("vrt_jpeg_decode", st, err);
    const uint8_t *p = g->planes[0].data + 20 * g->planes[0].stride + 30 * 3;
    int ok =
        g->width == 64 && g->height == 48 && abs(p[0] - 200) < 6 && abs(p[1] - 100) < 6 && abs(p[2] - 50) < 6;
    printf("jpeg %zu bytes, pixel %d %d %d\n", n, p[0], p[1], p[2]);
    vrt_free(jpg);
    vrt_frame_unref(&f);
    vrt_frame_unref(&g);
    return ok ? 0 : fail("JPEG round trip changed the pixels", VRT_EBADDATA, NULL);
}

static int classify(const char *model, const char *profile, const char *image) {
    char err[1024] = "";
    vrt_frame *img = NULL;
    int st = vrt_image_load(image, VRT_FMT_RGB24, &img, err, sizeof err);
    if (st) return fail("vrt_image_load", st, err);
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = "cpu";
    p.fourcc = VRT_FMT_RGB24;
    p.width = img->width;
    p.height = img->height;
    vrt_session_t *s = NULL;
    st = vrt_session_open(model, profile, NULL, &p, &s, err, sizeof err);
    if (st) return fail("vrt_session_open", st, err);
    const vrt_result *r = NULL;
    st = vrt_session_run(s, img, &r);
    if (st) return fail("vrt_session_run", st, vrt_session_last_error(s));
    int cls = -1;
    float score = 0;
    vrt_result_class(r, 0, &cls, &score);
    printf("top1 %d %.6f\n", cls, score);
    vrt_session_destroy(&s);
    vrt_frame_unref(&img);
    return 0;
}

int main(int argc, char **argv) {
    if (strcmp(vrt_version(), VRT_VERSION_STRING)) {
        fprintf(stderr, "consumer: header version %s, library %s\n", VRT_VERSION_STRING, vrt_version());
        return 1;
    }
    printf("visionrt %s\n", vrt_version());
    if (jpeg_round_trip()) return 1;
    if (argc == 4) return classify(argv[1], argv[2], argv[3]);
    return 0;
}
