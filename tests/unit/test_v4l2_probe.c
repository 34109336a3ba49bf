/* Probing and listing V4L2 devices through the fake device. Expected values
 * come from the fake's configuration, written out here independently. */
#include <linux/videodev2.h>

#include "lib/fake_v4l2.h"
#include "harness.h"
#include "vrt/v4l2.h"

static const vrt_v4l2_control *find_ctrl(const vrt_v4l2_device *d, const char *key) {
    for (int i = 0; i < d->num_controls; i++)
        if (!strcmp(d->controls[i].c.key, key)) return &d->controls[i];
    return NULL;
}

TEST(probe_lists_formats_sizes_intervals_controls) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV,MJPG,NV12:640x480,1280x720:30,15,5"), 0);
    vrt_v4l2_device *d = NULL;
    char err[256];
    ASSERT_OK(vrt_v4l2_probe("/dev/video0", vrt_fake_v4l2_ops(k), &d, err, sizeof(err)));
    ASSERT_STREQ(d->path, "/dev/video0");
    ASSERT_STREQ(d->driver, "vrt_fake");
    ASSERT_STREQ(d->card, "Fake Camera");
    ASSERT_STREQ(d->bus_info, "platform:vrt-fake-0");
    ASSERT_TRUE(d->is_capture);
    ASSERT_TRUE(d->has_streaming);
    ASSERT_TRUE(d->device_caps & V4L2_CAP_VIDEO_CAPTURE);
    ASSERT_EQ(d->num_formats, 3);
    ASSERT_EQ(d->formats[0].fourcc, VRT_FMT_YUYV);
    ASSERT_EQ(d->formats[1].fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(d->formats[2].fourcc, VRT_FMT_NV12);
    ASSERT_STREQ(d->formats[0].description, "YUYV 4:2:2");
    ASSERT_EQ(d->formats[0].compressed, 0);
    ASSERT_EQ(d->formats[1].compressed, 1);
    static const uint32_t sizes[2][2] = {{640, 480}, {1280, 720}};
    static const uint32_t rates[3] = {30, 15, 5};
    for (int f = 0; f < 3; f++) {
        ASSERT_EQ(d->formats[f].num_sizes, 2);
        for (int s = 0; s < 2; s++) {
            const vrt_v4l2_frame_size *fs = &d->formats[f].sizes[s];
            ASSERT_EQ(fs->kind, VRT_V4L2_SIZE_DISCRETE);
            ASSERT_EQ(fs->width, sizes[s][0]);
            ASSERT_EQ(fs->height, sizes[s][1]);
            ASSERT_EQ(fs->intervals_kind, VRT_V4L2_SIZE_DISCRETE);
            ASSERT_EQ(fs->num_intervals, 3);
            for (int r = 0; r < 3; r++) {
                ASSERT_EQ(fs->intervals[r].num, 1);
                ASSERT_EQ(fs->intervals[r].den, rates[r]);
            }
        }
    }
    ASSERT_EQ(d->cur_fourcc, VRT_FMT_YUYV);
    ASSERT_EQ(d->cur_width, 640);
    ASSERT_EQ(d->cur_height, 480);
    ASSERT_EQ(d->cur_bytesperline, 1280);
    ASSERT_EQ(d->cur_sizeimage, 640 * 480 * 2);
    ASSERT_NEAR(d->cur_fps, 30, 1e-9);
    ASSERT_TRUE(d->can_set_fps);

    ASSERT_EQ(d->num_controls, 7);
    const vrt_v4l2_control *ae = find_ctrl(d, "auto_exposure");
    ASSERT_TRUE(ae != NULL);
    ASSERT_EQ(ae->c.type, VRT_CTRL_MENU);
    ASSERT_EQ(ae->num_menu, 2); /* items 0 and 2 do not exist, as with uvcvideo */
    ASSERT_EQ(ae->menu[0].index, 1);
    ASSERT_STREQ(ae->menu[0].name, "Manual Mode");
    ASSERT_EQ(ae->menu[1].index, 3);
    ASSERT_STREQ(ae->menu[1].name, "Aperture Priority Mode");
    const vrt_v4l2_control *wb = find_ctrl(d, "white_balance_automatic");
    ASSERT_TRUE(wb != NULL);
    ASSERT_EQ(wb->c.type, VRT_CTRL_BOOL);
    ASSERT_EQ(wb->c.value, 1);
    const vrt_v4l2_control *br = find_ctrl(d, "brightness");
    ASSERT_TRUE(br != NULL);
    ASSERT_EQ(br->c.min, -64);
    ASSERT_EQ(br->c.max, 64);
    ASSERT_TRUE(find_ctrl(d, "exposure_time_absolute") != NULL);
    ASSERT_TRUE(find_ctrl(d, "user_controls") == NULL);
    vrt_fake_v4l2_state st;
    vrt_fake_v4l2_get_state(k, "/dev/video0", &st);
    ASSERT_EQ(st.open_fds, 0); /* probe closed the device */
    vrt_v4l2_device_free(&d);
    ASSERT_TRUE(d == NULL);
    vrt_v4l2_device_free(&d); /* NULL-safe */
    vrt_fake_v4l2_destroy(&k);
}

TEST(probe_errors_and_metadata_nodes) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video1:YUYV:320x240:30:not_capture"), 0);
    vrt_v4l2_device *d = NULL;
    char err[256];
    ASSERT_STATUS(vrt_v4l2_probe("/dev/video7", vrt_fake_v4l2_ops(k), &d, err, sizeof(err)), VRT_ENOENT);
    ASSERT_TRUE(d == NULL);
    ASSERT_CONTAINS(err, "/dev/video7: no such device");
    ASSERT_OK(vrt_v4l2_probe("/dev/video1", vrt_fake_v4l2_ops(k), &d, err, sizeof(err)));
    ASSERT_EQ(d->is_capture, 0);
    ASSERT_TRUE(d->device_caps & V4L2_CAP_META_CAPTURE);
    ASSERT_EQ(d->num_formats, 0);
    ASSERT_STREQ(vrt_v4l2_cap_name(V4L2_CAP_META_CAPTURE), "meta_capture");
    ASSERT_STREQ(vrt_v4l2_cap_name(V4L2_CAP_STREAMING), "streaming");
    vrt_v4l2_device_free(&d);
    vrt_fake_v4l2_destroy(&k);
}

TEST(list_finds_capture_nodes_only) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV:640x480:30 /dev/video1:YUYV:640x480:30:not_capture "
                                        "/dev/video4:MJPG:1920x1080,1280x720:60,30"),
              0);
    vrt_v4l2_device **list = NULL;
    int n = -1;
    char err[256];
    ASSERT_OK(vrt_v4l2_list(vrt_fake_v4l2_ops(k), &list, &n, err, sizeof(err)));
    ASSERT_EQ(n, 2);
    ASSERT_STREQ(list[0]->path, "/dev/video0");
    ASSERT_STREQ(list[1]->path, "/dev/video4");
    ASSERT_EQ(list[1]->formats[0].fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(list[1]->formats[0].sizes[0].width, 1920);
    ASSERT_EQ(list[1]->formats[0].sizes[1].intervals[0].den, 60);
    vrt_v4l2_list_free(&list, n);
    ASSERT_TRUE(list == NULL);
    vrt_fake_v4l2_destroy(&k);

    /* No devices at all: success with an empty list. */
    k = vrt_fake_v4l2_create();
    ASSERT_OK(vrt_v4l2_list(vrt_fake_v4l2_ops(k), &list, &n, err, sizeof(err)));
    ASSERT_EQ(n, 0);
    ASSERT_TRUE(list == NULL);
    vrt_fake_v4l2_destroy(&k);
}

TEST(fake_spec_parsing) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:XYZ:640x480:30"), -1);
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV:640:30"), -1);
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV"), -1);
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV:640x480:30:bogus"), -1);
    ASSERT_EQ(vrt_fake_v4l2_has_path(k, "/dev/video0"), 0);
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, "/dev/video0:YUYV:640x480:30:unplug_after=3"), 0);
    ASSERT_EQ(vrt_fake_v4l2_has_path(k, "/dev/video0"), 1);
    vrt_fake_v4l2_destroy(&k);
}

int main(void) {
    VRT_RUN(probe_lists_formats_sizes_intervals_controls);
    VRT_RUN(probe_errors_and_metadata_nodes);
    VRT_RUN(list_finds_capture_nodes_only);
    VRT_RUN(fake_spec_parsing);
    return vrt_test_finish();
}
