/* vrt/writer.h: the target's form picks what is written, checked by reading
 * the files back:
 * - one PNG (replaced by each write) decodes to the frame's pixels exactly;
 * - a folder gets frame_NNNNNN.png, or the given names with the folder's type;
 * - numbered files follow the pattern (its folder is made);
 * - a video (FFmpeg builds) of 12 frames 40 ms apart: read back with the file
 *   source, 12 frames of the right size whose pixels show the drawn square
 *   (lossy: within a tolerance), and frame times 40 ms apart;
 * - bad targets fail at open naming the target: unknown extension, a folder
 *   that is a file, a bad pattern; no file is left behind by an empty video. */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vrt/image.h"
#include "vrt/source.h"
#include "vrt/writer.h"

#define W 160
#define H 120

/* Grey frame with a red square at [40, 80) x [30, 70) shifted right by k pixels. */
static vrt_frame *picture(int k) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &f));
    memset(f->planes[0].data, 90, (size_t)f->planes[0].stride * H);
    ASSERT_OK(vrt_image_fill_rect(f, 40 + k, 30, 40, 40, 230, 20, 20));
    return f;
}

static int exists(const char *p) {
    return access(p, F_OK) == 0;
}

TEST(one_image_replaced) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/one.png", vrt_test_tmpdir());
    vrt_writer_t *w = NULL;
    ASSERT_OK(vrt_writer_open(&w, path, NULL, err, sizeof(err)));
    ASSERT_EQ(vrt_writer_get_kind(w), VRT_WRITER_IMAGE);
    vrt_frame *a = picture(0), *b = picture(20);
    ASSERT_OK(vrt_writer_write(w, a, NULL, NULL, 0, err, sizeof(err)));
    ASSERT_OK(vrt_writer_write(w, b, NULL, NULL, 0, err, sizeof(err)));
    ASSERT_EQ(vrt_writer_frames(w), 2);
    ASSERT_OK(vrt_writer_close(&w, err, sizeof(err)));
    ASSERT_TRUE(w == NULL);
    vrt_frame *back = NULL;
    ASSERT_OK(vrt_image_load(path, VRT_FMT_RGB24, &back, err, sizeof(err)));
    ASSERT_EQ(back->width, W);
    for (int y = 0; y < H; y++)
        ASSERT_EQ(memcmp(back->planes[0].data + (size_t)y * back->planes[0].stride,
                         b->planes[0].data + (size_t)y * b->planes[0].stride, 3 * W),
                  0);
    vrt_frame_unref(&back);
    vrt_frame_unref(&a);
    vrt_frame_unref(&b);
}

TEST(folder_and_pattern) {
    char dir[1024], pat[1024], p[1200], got[1200], err[512];
    snprintf(dir, sizeof(dir), "%s/made/sub/", vrt_test_tmpdir());
    vrt_writer_params wp;
    vrt_writer_default_params(&wp);
    wp.folder_ext = "png";
    vrt_writer_t *w = NULL;
    ASSERT_OK(vrt_writer_open(&w, dir, &wp, err, sizeof(err)));
    ASSERT_EQ(vrt_writer_get_kind(w), VRT_WRITER_FOLDER);
    vrt_frame *f = picture(0);
    ASSERT_OK(vrt_writer_write(w, f, NULL, got, sizeof(got), err, sizeof(err)));
    snprintf(p, sizeof(p), "%sframe_000000.png", dir);
    ASSERT_STREQ(got, p);
    ASSERT_OK(vrt_writer_write(w, f, "/some/where/dog.jpg", got, sizeof(got), err, sizeof(err)));
    snprintf(p, sizeof(p), "%sdog.png", dir);
    ASSERT_STREQ(got, p);
    ASSERT_TRUE(exists(p));
    ASSERT_OK(vrt_writer_close(&w, err, sizeof(err)));

    snprintf(pat, sizeof(pat), "%s/num/f%%03d.jpg", vrt_test_tmpdir());
    ASSERT_TRUE(vrt_writer_recognizes(pat));
    ASSERT_OK(vrt_writer_open(&w, pat, NULL, err, sizeof(err)));
    ASSERT_EQ(vrt_writer_get_kind(w), VRT_WRITER_PATTERN);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(vrt_writer_write(w, f, NULL, NULL, 0, err, sizeof(err)));
    ASSERT_OK(vrt_writer_close(&w, err, sizeof(err)));
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/num/f%03d.jpg", vrt_test_tmpdir(), i);
        ASSERT_TRUE(exists(p));
    }
    snprintf(p, sizeof(p), "%s/num/f003.jpg", vrt_test_tmpdir());
    ASSERT_TRUE(!exists(p));
    vrt_frame_unref(&f);
}

TEST(bad_targets) {
    char p[1200], err[512];
    vrt_writer_t *w = NULL;
    ASSERT_STATUS(vrt_writer_open(&w, "out.gif", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "'out.gif'");
    ASSERT_CONTAINS(err, "out.mp4");
    ASSERT_TRUE(w == NULL);
    ASSERT_TRUE(!vrt_writer_recognizes("out.gif"));
    ASSERT_STATUS(vrt_writer_open(&w, "a/%d_%d.jpg", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "%06d");
    snprintf(p, sizeof(p), "%s/plain_file", vrt_test_tmpdir());
    FILE *fp = fopen(p, "w");
    ASSERT_TRUE(fp != NULL);
    fclose(fp);
    snprintf(p, sizeof(p), "%s/plain_file/x.mp4", vrt_test_tmpdir());
    ASSERT_TRUE(vrt_writer_open(&w, p, NULL, err, sizeof(err)) != VRT_OK);
    ASSERT_CONTAINS(err, p);
    ASSERT_CONTAINS(err, "not a folder");
    snprintf(p, sizeof(p), "%s/plain_file/sub/", vrt_test_tmpdir());
    ASSERT_TRUE(vrt_writer_open(&w, p, NULL, err, sizeof(err)) != VRT_OK);
    ASSERT_CONTAINS(err, "cannot create the folder");
    ASSERT_TRUE(w == NULL);
}

#ifdef VRT_HAVE_FFMPEG
/* Mean absolute difference of the RGB24 frame g and picture(k) inside the square and outside. */
static void square_error(const vrt_frame *g, int k, double *in, double *out) {
    vrt_frame *want = picture(k);
    double s[2] = {0, 0};
    int n[2] = {0, 0};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int inside = x >= 42 + k && x < 78 + k && y >= 32 && y < 68;
            int edge = !inside && x >= 38 + k && x < 82 + k && y >= 28 && y < 72;
            if (edge) continue;
            for (int c = 0; c < 3; c++) {
                int a = g->planes[0].data[(size_t)y * g->planes[0].stride + 3 * x + c];
                int b = want->planes[0].data[(size_t)y * want->planes[0].stride + 3 * x + c];
                s[inside] += abs(a - b);
                n[inside]++;
            }
        }
    *in = s[1] / n[1];
    *out = s[0] / n[0];
    vrt_frame_unref(&want);
}

static void video_roundtrip(const char *ext, const char *codec) {
    char path[1024], err[512], uri[1200];
    snprintf(path, sizeof(path), "%s/v_%s.%s", vrt_test_tmpdir(), codec ? codec : "auto", ext);
    vrt_writer_params wp;
    vrt_writer_default_params(&wp);
    wp.codec = codec;
    wp.fps = 25;
    vrt_writer_t *w = NULL;
    ASSERT_OK(vrt_writer_open(&w, path, &wp, err, sizeof(err)));
    ASSERT_EQ(vrt_writer_get_kind(w), VRT_WRITER_VIDEO);
    for (int i = 0; i < 12; i++) {
        vrt_frame *f = picture(3 * i);
        f->timestamp_ns = 1000000000LL + 40000000LL * i;
        ASSERT_OK(vrt_writer_write(w, f, NULL, NULL, 0, err, sizeof(err)));
        vrt_frame_unref(&f);
    }
    printf("  %s: encoder %s\n", path, vrt_writer_codec(w));
    if (codec) ASSERT_STREQ(vrt_writer_codec(w), codec);
    ASSERT_OK(vrt_writer_close(&w, err, sizeof(err)));
    snprintf(uri, sizeof(uri), "file:%s?format=RGB24", path);
    vrt_source_params sp;
    vrt_source_default_params(&sp);
    sp.mode = VRT_MODE_ALL;
    vrt_source_t *s = NULL;
    ASSERT_OK(vrt_source_open(&s, uri, &sp, err, sizeof(err)));
    ASSERT_OK(vrt_source_start(s));
    int n = 0;
    int64_t pts[16];
    for (;;) {
        vrt_frame *g = NULL;
        vrt_status st = vrt_source_read(s, &g, 2000);
        if (st == VRT_EOF) break;
        ASSERT_OK(st);
        ASSERT_EQ(g->width, W);
        ASSERT_EQ(g->height, H);
        double in, out;
        square_error(g, 3 * n, &in, &out);
        if (in > 12 || out > 12)
            vrt_test_fail(__FILE__, __LINE__, "frame %d: error %.1f inside, %.1f outside", n, in, out);
        if (n < 16) pts[n] = g->pts_ns;
        n++;
        vrt_frame_unref(&g);
    }
    ASSERT_EQ(n, 12);
    for (int i = 1; i < 12; i++)
        ASSERT_NEAR((double)(pts[i] - pts[i - 1]) / 1e6, 40.0, 1.0);
    vrt_source_destroy(&s);
}

TEST(video_mp4_mkv_avi) {
    video_roundtrip("mp4", NULL);
    video_roundtrip("mkv", "libx264");
    video_roundtrip("avi", "mjpeg");
    /* No frame: no file. */
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/empty.mp4", vrt_test_tmpdir());
    vrt_writer_t *w = NULL;
    ASSERT_OK(vrt_writer_open(&w, path, NULL, err, sizeof(err)));
    ASSERT_TRUE(exists(path));
    ASSERT_OK(vrt_writer_close(&w, err, sizeof(err)));
    ASSERT_TRUE(!exists(path));
}
#endif

int main(void) {
    VRT_RUN(one_image_replaced);
    VRT_RUN(folder_and_pattern);
    VRT_RUN(bad_targets);
#ifdef VRT_HAVE_FFMPEG
    VRT_RUN(video_mp4_mkv_avi);
#endif
    return vrt_test_finish();
}
