/* image: source on /work/shared/data/images: folder, single file, glob, loop,
 * EOF, pacing, formats, and the errors for missing, empty and corrupt input. */
#include "harness.h"
#include "vrt/image.h"
#include "vrt/source.h"

#include <sys/stat.h>

static vrt_source_t *open_ok(const char *uri) {
    vrt_source_t *s = NULL;
    char err[512] = "";
    vrt_status st = vrt_source_open(&s, uri, NULL, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    ASSERT_OK(vrt_source_start(s));
    return s;
}

TEST(folder_in_sorted_order_then_eof) {
    const char *dir = vrt_test_data_or_skip("images/darknet");
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s?fps=0", dir);
    vrt_source_t *s = open_ok(uri);
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_STREQ(in.kind, "image");
    ASSERT_EQ(in.frame_count, 7);
    ASSERT_EQ(in.fourcc, VRT_FMT_RGB24);
    /* dog, eagle, giraffe, horses, kite, person, scream: sizes from `file`. */
    static const uint32_t sz[7][2] = {{768, 576},  {773, 512}, {500, 500}, {773, 512},
                                      {1352, 900}, {640, 424}, {352, 448}};
    vrt_frame *held = NULL;
    for (int i = 0; i < 7; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_EQ(f->width, sz[i][0]);
        ASSERT_EQ(f->height, sz[i][1]);
        ASSERT_EQ(f->sequence, i);
        ASSERT_EQ(f->fourcc, VRT_FMT_RGB24);
        if (i == 0) {
            /* Pixels are the decoder's. */
            char p[1200];
            snprintf(p, sizeof(p), "%s/dog.jpg", dir);
            vrt_frame *ref = NULL;
            ASSERT_OK(vrt_image_load(p, 0, &ref, NULL, 0));
            ASSERT_TRUE(memcmp(ref->planes[0].data, f->planes[0].data, 768 * 576 * 3) == 0);
            vrt_frame_unref(&ref);
            held = f;
        } else {
            vrt_frame_unref(&f);
        }
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 100), VRT_EOF);
    vrt_source_stats st;
    vrt_source_get_stats(s, &st);
    ASSERT_EQ(st.delivered, 7);
    /* A frame held past destroy stays valid (checked under ASan). */
    vrt_source_destroy(&s);
    ASSERT_EQ(held->width, 768);
    volatile uint8_t sink = held->planes[0].data[768 * 576 * 3 - 1];
    (void)sink;
    vrt_frame_unref(&held);
}

TEST(single_file_loop_and_format) {
    const char *png = vrt_test_data_or_skip("images/winml/kitten_224.png");
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s?fps=0&loop=1&format=NV12", png);
    vrt_source_t *s = open_ok(uri);
    vrt_frame *ref = NULL;
    ASSERT_OK(vrt_image_load(png, VRT_FMT_NV12, &ref, NULL, 0));
    vrt_alloc_counting_begin();
    for (uint64_t i = 0; i < 10; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_EQ(f->sequence, i);
        ASSERT_EQ(f->fourcc, VRT_FMT_NV12);
        ASSERT_TRUE(memcmp(ref->planes[0].data, f->planes[0].data, 224 * 224 * 3 / 2) == 0);
        vrt_frame_unref(&f);
    }
    vrt_alloc_stats st = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(st.allocs, 0); /* nothing decoded or allocated per frame */
    vrt_frame_unref(&ref);
    vrt_source_destroy(&s);
}

TEST(glob_and_odd_sizes_cropped_for_yuyv) {
    const char *dir = vrt_test_data_or_skip("images/darknet");
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s/[eh]*.jpg?fps=0&format=YUYV", dir);
    vrt_source_t *s = open_ok(uri);
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_EQ(in.frame_count, 2); /* eagle, horses */
    for (int i = 0; i < 2; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_EQ(f->fourcc, VRT_FMT_YUYV);
        ASSERT_EQ(f->width, 772); /* 773 cropped to even */
        ASSERT_EQ(f->height, 512);
        vrt_frame_unref(&f);
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 100), VRT_EOF);
    vrt_source_destroy(&s);
    /* MJPEG hands out the files' bytes. */
    snprintf(uri, sizeof(uri), "image:%s/dog.jpg?fps=0&format=MJPEG", dir);
    s = open_ok(uri);
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    ASSERT_EQ(f->fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(f->bytesused, 163759);
    ASSERT_EQ(f->width, 768);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
}

TEST(pacing_at_fps) {
    const char *png = vrt_test_data_or_skip("images/winml/kitten_224.png");
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s?fps=50&loop=1", png);
    vrt_source_t *s = open_ok(uri);
    int64_t t0 = vrt_now_ns(), first = 0;
    for (int i = 0; i < 8; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        if (i == 0)
            first = f->timestamp_ns;
        else
            ASSERT_EQ(f->timestamp_ns - first, (int64_t)i * 20000000);
        vrt_frame_unref(&f);
    }
    double ms = (vrt_now_ns() - t0) / 1e6;
    ASSERT_TRUE(ms >= 135 && ms < 400); /* 7 periods of 20 ms */
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EAGAIN);
    vrt_source_destroy(&s);
}

TEST(errors_name_the_path) {
    char err[512] = "";
    vrt_source_t *s = NULL;
    ASSERT_STATUS(vrt_source_open(&s, "image:/no/such/place.jpg", NULL, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "/no/such/place.jpg");
    ASSERT_STATUS(vrt_source_open(&s, "image:/no/such/*.jpg", NULL, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "/no/such/*.jpg");
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/empty", vrt_test_tmpdir());
    mkdir(dir, 0700);
    char uri[700];
    snprintf(uri, sizeof(uri), "image:%s", dir);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, dir);
    ASSERT_CONTAINS(err, ".jpg");
    /* A folder with one good and one corrupt image. */
    snprintf(dir, sizeof(dir), "%s/mixed", vrt_test_tmpdir());
    mkdir(dir, 0700);
    const char *good = vrt_test_data_or_skip("images/winml/kitten_224.png");
    vrt_frame *k = NULL;
    ASSERT_OK(vrt_image_load(good, 0, &k, NULL, 0));
    char p[700];
    snprintf(p, sizeof(p), "%s/a.png", dir);
    ASSERT_OK(vrt_image_save(k, p, 0, NULL, 0));
    vrt_frame_unref(&k);
    snprintf(p, sizeof(p), "%s/b.jpg", dir);
    FILE *fp = fopen(p, "wb");
    fwrite("\xFF\xD8\xFF\xE0garbage", 1, 11, fp);
    fclose(fp);
    snprintf(uri, sizeof(uri), "image:%s", dir);
    ASSERT_STATUS(vrt_source_open(&s, uri, NULL, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, p);
    ASSERT_TRUE(s == NULL);
    ASSERT_STATUS(vrt_source_open(&s, "image:/tmp?speed=2", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "known: fps");
}

int main(void) {
    VRT_RUN(folder_in_sorted_order_then_eof);
    VRT_RUN(single_file_loop_and_format);
    VRT_RUN(glob_and_odd_sizes_cropped_for_yuyv);
    VRT_RUN(pacing_at_fps);
    VRT_RUN(errors_name_the_path);
    return vrt_test_finish();
}
