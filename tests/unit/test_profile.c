/* Model profiles: the shipped files carry the recipes of expected.json, and
 * malformed files fail with file:line messages. */
#include <unistd.h>

#include "harness.h"
#include "vrt/profile.h"

static void load_shipped(const char *name, vrt_profile *p) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/models/%s", VRT_SOURCE_DIR, name);
    vrt_status st = vrt_profile_load(path, p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", name, err);
}

TEST(shipped_profiles) {
    vrt_profile p;
    load_shipped("squeezenet.conf", &p);
    ASSERT_EQ(p.task, VRT_TASK_CLASSIFY);
    ASSERT_STREQ(p.input, "data_0");
    ASSERT_EQ(p.pre.width, 224);
    ASSERT_EQ(p.pre.color, VRT_COLOR_BGR);
    ASSERT_EQ(p.pre.resize, VRT_RESIZE_CROP);
    ASSERT_EQ(p.pre.resize_shorter, 256);
    ASSERT_EQ(p.pre.round_size, 1);
    ASSERT_NEAR(p.pre.mean[0], 104, 0);
    ASSERT_NEAR(p.pre.mean[2], 123, 0);
    ASSERT_NEAR(p.pre.std[1], 1, 0);
    ASSERT_NEAR(p.pre.scale, 1, 0);
    ASSERT_EQ(p.pre.dtype, VRT_TENSOR_F16);
    ASSERT_EQ(p.softmax, 0);
    ASSERT_EQ(p.topk, 5);
    ASSERT_STREQ(p.labels, "Labels.txt");
    ASSERT_STREQ(p.name, "squeezenet1.0-fp16");

    load_shipped("yolox.conf", &p);
    ASSERT_EQ(p.task, VRT_TASK_DETECT_YOLOX);
    ASSERT_EQ(p.det.kind, VRT_DETECT_YOLOX);
    ASSERT_EQ(p.pre.resize, VRT_RESIZE_LETTERBOX);
    ASSERT_EQ(p.pre.placement, VRT_PLACE_TOP_LEFT);
    ASSERT_NEAR(p.pre.pad_value, 114, 0);
    ASSERT_EQ(p.pre.round_size, 0);
    ASSERT_EQ(p.det.input_w, 416);
    ASSERT_EQ(p.det.num_strides, 3);
    ASSERT_EQ(p.det.strides[2], 32);
    ASSERT_NEAR(p.det.score_threshold, 0.3, 1e-7);
    ASSERT_NEAR(p.det.iou_threshold, 0.45, 1e-7);
    ASSERT_EQ(p.det.apply_sigmoid, 0);

    load_shipped("resnet50.conf", &p);
    ASSERT_EQ(p.pre.color, VRT_COLOR_RGB);
    ASSERT_NEAR(p.pre.scale, 1.0 / 255.0, 1e-9);
    ASSERT_NEAR(p.pre.mean[0], 0.485, 1e-7);
    ASSERT_NEAR(p.pre.std[2], 0.225, 1e-7);
    ASSERT_EQ(p.softmax, 1);
}

static vrt_status parse(const char *text, vrt_profile *p, char *err, size_t cap) {
    vrt_profile_default(p);
    return vrt_profile_parse(text, strlen(text), "t.conf", p, err, cap);
}

TEST(parse_errors_name_file_and_line) {
    vrt_profile p;
    char err[1024];
    ASSERT_OK(parse("# c\n; c\n\n  width = 320  \nheight=240\nmean = 1\nstd = 2\ntask = detect-yolov8\n", &p,
                    err, sizeof(err)));
    ASSERT_EQ(p.pre.width, 320);
    ASSERT_EQ(p.det.input_h, 240);
    ASSERT_EQ(p.det.kind, VRT_DETECT_YOLOV8);
    ASSERT_NEAR(p.pre.mean[2], 1, 0);
    ASSERT_NEAR(p.pre.std[1], 2, 0);

    ASSERT_STATUS(parse("width = 2\ncolour = rgb\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "t.conf:2: unknown key 'colour'; known: name, model");
    ASSERT_CONTAINS(err, "color");
    ASSERT_STATUS(parse("color = rgba\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "t.conf:1: bad value 'rgba' for 'color'; use rgb or bgr");
    ASSERT_STATUS(parse("mean = 1, 2\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "t.conf:1:");
    ASSERT_STATUS(parse("std = 1, 0, 1\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("\nwidth = 0\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "t.conf:2:");
    ASSERT_STATUS(parse("topk = 65\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("width = 12x\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("strides = 8, 16.5\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("just words\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "expected 'key = value'");
    ASSERT_STATUS(parse("[input]\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("scale = 1\nscale = 2\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "t.conf:2: key 'scale' given twice (first on line 1)");
    ASSERT_STATUS(parse("scale = 1/0\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_OK(parse("guided_radius = 8\nguided_eps = 1/100\n", &p, err, sizeof(err)));
    ASSERT_EQ(p.guided.radius, 8);
    ASSERT_NEAR(p.guided.eps, 0.01, 1e-9);
    ASSERT_STATUS(parse("guided_radius = 17\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(parse("guided_eps = 0\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_EQ(p.depth_refine.radius, 0);
    ASSERT_OK(parse("depth_refine_radius = 4\ndepth_refine_eps = 0.0005\n", &p, err, sizeof(err)));
    ASSERT_EQ(p.depth_refine.radius, 4);
    ASSERT_NEAR(p.depth_refine.eps, 0.0005, 1e-9);
    ASSERT_STATUS(parse("depth_refine_radius = 17\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "depth_refine_radius");
    ASSERT_STATUS(parse("depth_refine_eps = -1\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_OK(parse("interpolation = area\n", &p, err, sizeof(err)));
    ASSERT_EQ(p.pre.interp, VRT_INTERP_AREA);
    ASSERT_STATUS(parse("interpolation = cubic\n", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "bilinear");
    ASSERT_OK(parse("scale = 1/255\n", &p, err, sizeof(err)));
    ASSERT_NEAR(p.pre.scale, 1.0 / 255.0, 1e-9);
    ASSERT_STATUS(vrt_profile_load("/nonexistent.conf", &p, err, sizeof(err)), VRT_ENOENT);
    ASSERT_STREQ(vrt_task_name(VRT_TASK_DETECT_YOLOX), "detect-yolox");
}

TEST(resolve_files) {
    vrt_profile p;
    char path[1024], out[1024], err[1024];
    load_shipped("squeezenet.conf", &p);
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    ASSERT_OK(vrt_profile_resolve(&p, p.labels, model, out, sizeof(out), err, sizeof(err)));
    ASSERT_CONTAINS(out, "squeezenet1.0_fp16/Labels.txt");
    /* Relative to the profile's folder. */
    ASSERT_OK(vrt_profile_resolve(&p, "yolox.conf", NULL, out, sizeof(out), err, sizeof(err)));
    snprintf(path, sizeof(path), "%s/models/yolox.conf", VRT_SOURCE_DIR);
    ASSERT_STREQ(out, path);
    ASSERT_STATUS(vrt_profile_resolve(&p, "nope.txt", model, out, sizeof(out), err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "nope.txt' not found; tried");
}

/* The tiny Ultralytics-like export of tests/cli/models/make_models.py (generated into
 * VRT_GEN_MODELS/models by ctest's fixture gen_cli_models; skipped without it). */
TEST(ultralytics_metadata) {
    char meta[1024], bare[1024], err[1024];
    snprintf(meta, sizeof(meta), "%s/models/yolov8_meta.onnx", VRT_GEN_MODELS);
    snprintf(bare, sizeof(bare), "%s/models/yolov8_bare.onnx", VRT_GEN_MODELS);
    if (access(meta, R_OK) || access(bare, R_OK))
        vrt_test_skip("%s not generated (needs a Python with the onnx package: apt install python3-onnx, "
                      "then ctest -R gen_cli_models)",
                      meta);
    vrt_model_metadata_t *md = NULL;
    ASSERT_OK(vrt_model_metadata_load(meta, &md, err, sizeof(err)));
    ASSERT_EQ(vrt_model_metadata_count(md), 7);
    ASSERT_STREQ(vrt_model_metadata_key(md, 0), "description");
    ASSERT_STREQ(vrt_model_metadata_get(md, "task"), "detect");
    ASSERT_STREQ(vrt_model_metadata_get(md, "imgsz"), "[64, 64]");
    ASSERT_TRUE(vrt_model_metadata_get(md, "nope") == NULL);
    vrt_profile p;
    ASSERT_OK(vrt_profile_from_metadata(md, meta, &p, err, sizeof(err)));
    vrt_model_metadata_destroy(&md);
    ASSERT_TRUE(md == NULL);
    ASSERT_EQ(p.task, VRT_TASK_DETECT_YOLOV8);
    ASSERT_EQ(p.det.kind, VRT_DETECT_YOLOV8);
    ASSERT_EQ(p.pre.width, 64);
    ASSERT_EQ(p.det.input_h, 64);
    ASSERT_EQ(p.pre.resize, VRT_RESIZE_LETTERBOX);
    ASSERT_EQ(p.pre.placement, VRT_PLACE_CENTER);
    ASSERT_EQ(p.pre.round_size, 1);
    ASSERT_NEAR(p.pre.pad_value, 114, 0);
    ASSERT_NEAR(p.pre.scale, 1.0 / 255.0, 1e-9);
    ASSERT_EQ(p.det.num_strides, 3);
    ASSERT_EQ(p.det.strides[2], 32);
    ASSERT_STREQ(p.model, meta);
    vrt_labels_t *l = NULL;
    ASSERT_OK(vrt_profile_load_labels(&p, meta, &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 3);
    ASSERT_STREQ(vrt_labels_get(l, 2), "bird's nest");
    ASSERT_CONTAINS(vrt_labels_source(l), "yolov8_meta.onnx metadata 'names'");
    vrt_labels_destroy(&l);
    /* Without metadata: ENOENT (a profile is needed), no labels. */
    ASSERT_STATUS(vrt_profile_from_model(bare, &p, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "no 'task' in the model's metadata");
    ASSERT_OK(vrt_profile_load_labels(&p, bare, &l, err, sizeof(err)));
    ASSERT_TRUE(l == NULL);
    ASSERT_STATUS(vrt_model_metadata_load("/nonexistent.onnx", &md, err, sizeof(err)), VRT_ENOENT);
    ASSERT_STATUS(vrt_model_metadata_load(VRT_SOURCE_DIR, &md, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "not a regular file");
    snprintf(meta, sizeof(meta), "%s/models/yolox.conf", VRT_SOURCE_DIR); /* text is not protobuf */
    ASSERT_STATUS(vrt_model_metadata_load(meta, &md, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_TRUE(md == NULL);
}

TEST(names_literals) {
    char err[512];
    vrt_labels_t *l = NULL;
    ASSERT_OK(vrt_labels_from_names(" ['a', \"b\\\"c\", 'd\\'e' ,] ", "t", &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 3);
    ASSERT_STREQ(vrt_labels_get(l, 1), "b\"c");
    ASSERT_STREQ(vrt_labels_get(l, 2), "d'e");
    vrt_labels_destroy(&l);
    ASSERT_OK(vrt_labels_from_names("{0: 'x', 3: 'y'}", "t", &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 4);
    ASSERT_TRUE(vrt_labels_get(l, 1) == NULL);
    ASSERT_STREQ(vrt_labels_get(l, 3), "y");
    vrt_labels_destroy(&l);
    ASSERT_STATUS(vrt_labels_from_names("{0: 'x', 1: y}", "m.onnx", &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "m.onnx: class names are not a Python dict or list of strings (at character 12)");
    ASSERT_STATUS(vrt_labels_from_names("{}", "m.onnx", &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_STATUS(vrt_labels_from_names("{0: 'unterminated}", "m.onnx", &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_TRUE(l == NULL);
}

TEST(empty_profile_refused) {
    char path[256], err[512];
    snprintf(path, sizeof(path), "/tmp/vrt_test_empty_%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("# only a comment\n\n", f);
    fclose(f);
    vrt_profile p;
    ASSERT_STATUS(vrt_profile_load(path, &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "sets no keys");
    remove(path);
}

int main(void) {
    VRT_RUN(shipped_profiles);
    VRT_RUN(parse_errors_name_file_and_line);
    VRT_RUN(resolve_files);
    VRT_RUN(ultralytics_metadata);
    VRT_RUN(names_literals);
    VRT_RUN(empty_profile_refused);
    return vrt_test_finish();
}
