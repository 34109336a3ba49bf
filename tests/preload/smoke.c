/* Runs under LD_PRELOAD=vrt_fake_v4l2_preload with VRT_FAKE_V4L2 set (see
 * CMakeLists.txt): the library's real system-call path must see the fake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/v4l2.h"

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) {                                                                                          \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                                     \
            return 1;                                                                                        \
        }                                                                                                    \
    } while (0)

int main(void) {
    const char *pre = getenv("LD_PRELOAD");
    if (!getenv("VRT_FAKE_V4L2") || !pre || !strstr(pre, "vrt_fake_v4l2_preload")) {
        printf("[ SKIP ] not running under the fake V4L2 preload library\n");
        return 77;
    }
    char err[512];
    vrt_v4l2_device **list = NULL;
    int n = 0;
    CHECK(vrt_v4l2_list(NULL, &list, &n, err, sizeof(err)) == VRT_OK);
    CHECK(n == 2); /* video1 is a metadata node */
    CHECK(!strcmp(list[0]->path, "/dev/video0") && !strcmp(list[1]->path, "/dev/video3"));
    CHECK(list[0]->num_formats == 2 && list[1]->num_formats == 1);
    CHECK(list[1]->formats[0].fourcc == VRT_FMT_MJPEG && list[1]->formats[0].compressed);
    vrt_v4l2_list_free(&list, n);

    vrt_source_t *s = NULL;
    CHECK(vrt_source_open(&s, "/dev/video0?width=320&height=240&mode=all", NULL, err, sizeof(err)) == VRT_OK);
    CHECK(vrt_source_start(s) == VRT_OK);
    uint64_t last = 0;
    for (int i = 0; i < 4; i++) {
        vrt_frame *f = NULL;
        vrt_status st = vrt_source_read(s, &f, 2000);
        if (st) printf("read: %s: %s\n", vrt_status_name(st), vrt_source_last_error(s));
        CHECK(st == VRT_OK);
        CHECK(f->width == 320 && f->height == 240 && f->fourcc == VRT_FMT_YUYV);
        CHECK(!memcmp(f->planes[0].data + 8, "VRTF", 4));
        uint64_t seq = 0;
        for (int b = 0; b < 8; b++)
            seq |= (uint64_t)f->planes[0].data[b] << (8 * b);
        CHECK(seq == f->sequence);
        CHECK(i == 0 || seq > last);
        last = seq;
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    printf("preload smoke: ok\n");
    return 0;
}
