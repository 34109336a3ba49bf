/* The transformer models and Ultralytics detectors of scripts/make-models (Depth Anything V2,
 * DETR-ResNet-50, YOLOv8n, YOLO11n, YOLO12n; small variants committed in tests/models) on the
 * CPU backend against onnxruntime's outputs on a real photo: max abs difference relative to
 * each output's max |value| at most 1e-4. `test_models_xf DIR` checks the full-size models
 * that `scripts/make-models --full DIR` wrote instead (those present). */
#include "models_xf.h"

static const char *g_root;

static void run_model(const char *name) {
    xf_case c;
    if (!xf_load(&c, g_root, name)) vrt_test_skip("%s/%s: not there (scripts/make-models)", g_root, name);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_engine_t *e = xf_run(&c, &p);
    xf_check_ref(&c, "cpu", 1e-4);
    vrt_engine_destroy(&e);
    xf_free(&c);
}

TEST(depth_anything_v2) {
    run_model("depth_anything_v2");
}
TEST(detr_resnet50) {
    run_model("detr_resnet50");
}
TEST(yolov8n) {
    run_model("yolov8n");
}
TEST(yolo11n) {
    run_model("yolo11n");
}
TEST(yolo12n) {
    run_model("yolo12n");
}

int main(int argc, char **argv) {
    g_root = xf_root(argc, argv);
    VRT_RUN(depth_anything_v2);
    VRT_RUN(detr_resnet50);
    VRT_RUN(yolov8n);
    VRT_RUN(yolo11n);
    VRT_RUN(yolo12n);
    return vrt_test_finish();
}
