/*
 * vrt infer - run a model on image files: a classifier's top-k with labels,
 * or a detector's boxes with class names, with the time of each stage.
 *
 * The model's profile (models/<name>.conf, vrt/profile.h) says how to
 * pre-process (size, colour order, resize mode, normalisation, layout, fp16)
 * and which task to run after the network; nothing model-specific is coded
 * here.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "model_util.h"
#include "vrt/engine.h"
#include "vrt/head.h"
#include "vrt/image.h"
#include "vrt/json.h"
#include "vrt/overlay.h"
#include "vrt/profile.h"
#include "vrt/result.h"
#include "vrt/vision.h"
#include "vrt/writer.h"

enum {
    OPT_JSON = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_PROFILE,
    OPT_TOPK,
    OPT_BACKEND,
    OPT_THREADS,
    OPT_SCORE,
    OPT_IOU,
    OPT_OVERLAY,
    OPT_ALPHA,
};

void cmd_infer_help(FILE *f) {
    fputs("usage: vrt infer MODEL IMAGE... [OUTPUT] [--profile FILE] [--topk K] [--score S] [--iou T]\n"
          "                 [--backend cpu|cuda] [--threads N] [--json] [-o OUTPUT] [--overlay LIST]\n"
          "                 [--alpha A]\n\n"
          "Runs the ONNX model MODEL on each IMAGE (JPEG or PNG) and prints, for a classifier,\n"
          "the top-k classes with their labels and scores, for a detector (YOLOX, YOLOv8, SSD, DETR)\n"
          "the boxes in image pixels with class names and scores (YOLOv8-seg: mask areas,\n"
          "YOLOv8-pose: keypoints), for a depth model the depth statistics, for a semantic\n"
          "segmentation model the classes by area. Each image\n"
          "also gets its time: pre-processing, model and post-processing, in milliseconds.\n\n"
          "The profile says how the image becomes the network's input and what the output\n"
          "means: size, colour order, resize/crop/letterbox, mean/std, layout, fp16, the task,\n"
          "the labels file and thresholds (see models/*.conf and include/vrt/profile.h).\n"
          "Without --profile, models/NAME.conf is used where NAME starts the model's file name:\n"
          "SqueezeNet_fp16.onnx -> squeezenet.conf, yolox_nano.onnx -> yolox.conf; without one,\n"
          "an Ultralytics export configures itself from its ONNX metadata (task, names, imgsz).\n"
          "Files the profile names (labels) are looked for next to the model, then next to the\n"
          "profile; a profile without labels takes the model's metadata names when it has them.\n\n"
          "With an OUTPUT, each image is also written with the result drawn on it (boxes in class\n"
          "colours, labels and scores; a classifier's top classes): out.jpg or out.png (one\n"
          "image), dir/ (dir/NAME.jpg per input), frames/%06d.jpg (numbered) or a video\n"
          "(out.mp4, .mkv, .avi). The last IMAGE is taken as the OUTPUT, like detectnet's\n"
          "'input output', when it names an output form and does not exist yet, or ends in '/'\n"
          "or holds a %d; -o says it explicitly (and overwrites).\n\n"
          "options:\n"
          "      --profile FILE      pre/post-processing profile (default: by the model's name)\n"
          "      --topk K            classifier: classes to print, 1..64 (default: the profile's)\n"
          "      --score S           detector: keep boxes with score > S (default: the profile's)\n"
          "      --iou T             detector: NMS IoU threshold 0..1 (default: the profile's)\n"
          "      --backend NAME      cpu (default) or cuda (when built with CUDA and a GPU exists)\n"
          "      --threads N         CPU threads, 0 = all cores (default 0)\n"
          "      --json              one JSON object per image on stdout (schema in README.md)\n"
          "  -o, --output OUTPUT     write the annotated images there (forms above)\n"
          "      --overlay LIST      what to draw: box,lines,labels,conf,hud,mask,keypoints,depth\n"
          "                          (comma-separated) or none (default:\n"
          "                          box,labels,conf,mask,keypoints,depth)\n"
          "      --alpha A           opacity of the box tint, 0..255 (default 64; 0: outlines only)\n"
          "  -v, --verbose           more messages; -q, --quiet: errors only\n"
          "      --log-level LEVEL   error, warn, info, debug or trace (default: warn)\n"
          "  -h, --help              this help\n\n"
          "exit status: 0 every image ran; 1 the model, profile or labels failed, or any image\n"
          "failed to load (the others are still reported); 2 usage error\n\n"
          "examples:\n"
          "  vrt infer models/downloads/SqueezeNet_fp16.onnx dog.jpg --topk 3\n"
          "  vrt infer yolox_nano.onnx street.jpg --score 0.5 --json\n"
          "  vrt infer my_resnet.onnx cat.png --profile models/resnet50.conf\n"
          "  vrt infer yolox_nano.onnx street.jpg street_boxes.jpg\n"
          "  vrt infer yolox_nano.onnx photos/*.jpg -o annotated/\n",
          f);
}

#define INFER_MAX_OUTPUTS 16

typedef struct infer_ctx {
    vrt_profile prof;
    char profile_path[VRT_PROFILE_PATH_MAX];
    const char *model_path;
    vrt_engine_t *engine;
    vrt_engine_params ep;
    vrt_labels_t *labels;
    vrt_head_t *head;
    int in_index;
    void *in_buf;
    size_t in_bytes;
    int n_out; /* model outputs (all are fetched; the head picks its own) */
    float *out_buf[INFER_MAX_OUTPUTS];
    size_t out_count[INFER_MAX_OUTPUTS];
    int json;
    vrt_writer_t *writer;   /* -o: annotated images, or NULL */
    vrt_overlay_t *overlay; /* with writer */
    const char *output;
} infer_ctx;

/* Checks the profile against the model's input and sizes the buffers. */
static int setup_io(infer_ctx *c) {
    const vrt_profile *p = &c->prof;
    int nin = vrt_engine_num_inputs(c->engine);
    c->in_index = -1;
    for (int i = 0; i < nin; i++) {
        vrt_model_tensor_info ti;
        vrt_engine_input_info(c->engine, i, &ti);
        if (!p->input[0] || !strcmp(p->input, ti.name)) {
            c->in_index = i;
            break;
        }
    }
    if (c->in_index < 0)
        return cli_error("%s: profile %s names input '%s', which the model does not have", c->model_path,
                         c->profile_path, p->input);
    if (nin != 1)
        return cli_error("%s: the model has %d inputs; vrt infer feeds models with one image input",
                         c->model_path, nin);
    vrt_model_tensor_info in;
    vrt_engine_input_info(c->engine, c->in_index, &in);
    int64_t want[4] = {1, 3, p->pre.height, p->pre.width};
    if (p->pre.layout == VRT_LAYOUT_NHWC) {
        want[1] = p->pre.height;
        want[2] = p->pre.width;
        want[3] = 3;
    }
    int ok = in.ndim == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = in.dims[i] == want[i];
    if (!ok) {
        char a[96], b[96];
        return cli_error(
            "%s: input '%s' is %s but profile %s makes %s (%s); fix width/height/layout in the profile",
            c->model_path, in.name, cli_dims_str(in.dims, in.ndim, a, sizeof(a)), c->profile_path,
            cli_dims_str(want, 4, b, sizeof(b)), p->pre.layout == VRT_LAYOUT_NHWC ? "nhwc" : "nchw");
    }
    c->in_bytes = vrt_preprocess_output_size(&p->pre);
    c->in_buf = vrt_malloc(c->in_bytes);
    if (!c->in_buf) return cli_error("out of memory for the model's input");
    c->n_out = vrt_engine_num_outputs(c->engine);
    if (c->n_out > INFER_MAX_OUTPUTS) c->n_out = INFER_MAX_OUTPUTS; /* heads read among the first */
    for (int k = 0; k < c->n_out; k++) {
        vrt_model_tensor_info out;
        vrt_engine_output_info(c->engine, k, &out);
        c->out_count[k] = 1;
        for (int i = 0; i < out.ndim; i++)
            c->out_count[k] *= (size_t)out.dims[i];
        c->out_buf[k] = vrt_malloc((c->out_count[k] ? c->out_count[k] : 1) * sizeof(float));
        if (!c->out_buf[k]) return cli_error("out of memory for the model's output %d", k);
    }
    return 0;
}

/* The profile's task head over the model's output (after the labels). */
static int open_head(infer_ctx *c) {
    vrt_model_tensor_info outs[INFER_MAX_OUTPUTS];
    for (int k = 0; k < c->n_out; k++)
        vrt_engine_output_info(c->engine, k, &outs[k]);
    char err[512], a[96];
    if (vrt_head_open(&c->prof, outs, c->n_out, c->labels, &c->head, err, sizeof(err)) != VRT_OK)
        return cli_error("%s: the outputs (%s %s%s) do not fit profile %s (%s): %s", c->model_path,
                         outs[0].name, cli_dims_str(outs[0].dims, outs[0].ndim, a, sizeof(a)),
                         c->n_out > 1 ? ", ..." : "", c->profile_path, vrt_task_name(c->prof.task), err);
    return 0;
}

typedef struct image_result {
    uint32_t w, h;
    double t_pre, t_model, t_post;
    const vrt_result *res; /* the head's, valid until the next image */
    vrt_frame *frame;      /* the decoded image (RGB24), kept for the output */
    char saved[1200];      /* the annotated image's path ("" if none) */
} image_result;

static int run_image(infer_ctx *c, const char *path, image_result *r, char *err, size_t cap) {
    int64_t t0 = vrt_now_ns();
    vrt_frame *f = NULL;
    vrt_status st = vrt_image_load(path, 0, &f, err, cap);
    if (st != VRT_OK) return -1;
    r->w = f->width;
    r->h = f->height;
    vrt_preprocess_geometry g;
    st = vrt_preprocess_frame(f, &c->prof.pre, c->in_buf, c->in_bytes, &g, err, cap);
    r->frame = f;
    if (st != VRT_OK) return -1;
    int64_t t1 = vrt_now_ns();
    vrt_engine_tensor in = {
        c->in_buf, c->prof.pre.dtype == VRT_TENSOR_F16 ? VRT_DTYPE_FLOAT16 : VRT_DTYPE_FLOAT, c->in_bytes};
    vrt_engine_tensor out[INFER_MAX_OUTPUTS];
    for (int k = 0; k < c->n_out; k++)
        out[k] = (vrt_engine_tensor){c->out_buf[k], VRT_DTYPE_FLOAT, c->out_count[k] * sizeof(float)};
    st = vrt_engine_run(c->engine, &in, 1, out, c->n_out);
    if (st != VRT_OK) {
        snprintf(err, cap, "%s: running the model failed: %s", path, vrt_engine_last_error(c->engine));
        return -1;
    }
    int64_t t2 = vrt_now_ns();
    if (vrt_head_reserve(c->head, (int)r->w, (int)r->h) != VRT_OK ||
        vrt_head_run(c->head, (const float *const *)c->out_buf, c->out_count, c->n_out, &g, &r->res) !=
            VRT_OK) {
        snprintf(err, cap, "%s: %s failed: %s", path, vrt_task_name(c->prof.task),
                 vrt_head_last_error(c->head));
        return -1;
    }
    int64_t t3 = vrt_now_ns();
    r->t_pre = (double)(t1 - t0) / 1e6;
    r->t_model = (double)(t2 - t1) / 1e6;
    r->t_post = (double)(t3 - t2) / 1e6;
    return 0;
}

/* Label of a result entry, or "class N". */
static const char *label_at(const vrt_result *res, int i, int cls, char *buf, size_t cap) {
    const char *l = vrt_result_label(res, i);
    if (l) return l;
    snprintf(buf, cap, "class %d", cls);
    return buf;
}

/* Keypoints and mask area of detection i (pose, instance segmentation). */
static void print_extras(const vrt_result *res, int i) {
    const int k = vrt_result_num_keypoints(res);
    if (k > 0) {
        printf("    keypoints:");
        for (int j = 0; j < k; j++) {
            float x, y, s;
            vrt_result_keypoint(res, i, j, &x, &y, &s);
            printf(" (%.0f,%.0f %.2f)", x, y, s);
        }
        printf("\n");
    }
    int w, h;
    size_t stride;
    const uint8_t *m = vrt_result_map(res, VRT_MAP_INSTANCES, &w, &h, &stride, NULL);
    if (!m) return;
    long area = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            area += m[(size_t)y * stride + (size_t)x] == i + 1;
    printf("    mask: %ld pixels\n", area);
}

/* Depth stats, or the classes a segmentation map covers most. */
static void print_dense(const char *path, const image_result *r) {
    const vrt_result *res = r->res;
    float mn, mx, mean;
    if (vrt_result_depth_stats(res, &mn, &mx, &mean) == VRT_OK) {
        printf("%s (%ux%u): depth (relative inverse) min %.4g max %.4g mean %.4g\n", path, r->w, r->h, mn, mx,
               mean);
        return;
    }
    int w, h;
    size_t stride;
    const uint8_t *m = vrt_result_map(res, VRT_MAP_CLASSES, &w, &h, &stride, NULL);
    if (!m) return;
    long count[256] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            count[m[(size_t)y * stride + (size_t)x]]++;
    printf("%s (%ux%u): segmentation, classes by area:\n", path, r->w, r->h);
    for (int shown = 0; shown < 5; shown++) {
        int best = 0;
        for (int c = 1; c < 256; c++)
            if (count[c] > count[best]) best = c;
        if (!count[best]) break;
        printf("  class %-4d %5.1f%%\n", best, 100.0 * (double)count[best] / ((double)w * h));
        count[best] = 0;
    }
}

static void print_text(const char *path, const image_result *r) {
    char lb[32];
    const vrt_result *res = r->res;
    const int n = vrt_result_count(res);
    if (vrt_result_kind(res) == VRT_RESULT_CLASSES) {
        printf("%s (%ux%u):\n", path, r->w, r->h);
        for (int i = 0; i < n; i++) {
            int index = -1;
            float score = 0;
            vrt_result_class(res, i, &index, &score);
            printf("  %d. %-8.4f %s [%d]\n", i + 1, score, label_at(res, i, index, lb, sizeof(lb)), index);
        }
    } else if (vrt_result_kind(res) == VRT_RESULT_DETECTIONS ||
               vrt_result_kind(res) == VRT_RESULT_KEYPOINTS) {
        printf("%s (%ux%u): %d detection%s\n", path, r->w, r->h, n, n == 1 ? "" : "s");
        for (int i = 0; i < n; i++) {
            vrt_detection d;
            vrt_result_detection(res, i, &d);
            printf("  %-16s %.3f  x1 %.1f y1 %.1f x2 %.1f y2 %.1f  (w %.1f h %.1f)\n",
                   label_at(res, i, d.class_id, lb, sizeof(lb)), d.score, d.box.x1, d.box.y1, d.box.x2,
                   d.box.y2, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1);
            print_extras(res, i);
        }
    } else if (vrt_result_kind(res) == VRT_RESULT_DENSE) {
        print_dense(path, r);
    } else {
        printf("%s (%ux%u): a %s result\n", path, r->w, r->h, vrt_result_type_name(vrt_result_kind(res)));
    }
    printf("  time: pre %.2f ms, model %.2f ms, post %.2f ms, total %.2f ms\n", r->t_pre, r->t_model,
           r->t_post, r->t_pre + r->t_model + r->t_post);
    if (r->saved[0]) printf("  saved: %s\n", r->saved);
}

/* The result drawn on the image (in place: the frame is ours) and written to the output. */
static int save_annotated(infer_ctx *c, const char *path, image_result *r, char *err, size_t cap) {
    if (!c->writer) return 0;
    char e2[512];
    if (vrt_overlay_render(c->overlay, r->frame, r->frame, r->res, NULL, e2, sizeof(e2)) ||
        vrt_writer_write(c->writer, r->frame, path, r->saved, sizeof(r->saved), e2, sizeof(e2))) {
        snprintf(err, cap, "%s: %s", path, e2);
        return -1;
    }
    if (!r->saved[0]) snprintf(r->saved, sizeof(r->saved), "%s", c->output);
    return 0;
}

static void json_classes(vrt_json *w, const vrt_result *res) {
    char lb[32];
    vrt_json_key(w, "classes");
    vrt_json_begin_array(w);
    for (int i = 0; i < vrt_result_count(res); i++) {
        int index = -1;
        float score = 0;
        vrt_result_class(res, i, &index, &score);
        vrt_json_begin_object(w);
        vrt_json_kv_int(w, "index", index);
        vrt_json_kv_string(w, "label", label_at(res, i, index, lb, sizeof(lb)));
        vrt_json_kv_double(w, "score", score);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
}

static void json_detections(vrt_json *w, const vrt_result *res) {
    char lb[32];
    vrt_json_kv_int(w, "candidates", vrt_result_candidates(res));
    vrt_json_key(w, "detections");
    vrt_json_begin_array(w);
    for (int i = 0; i < vrt_result_count(res); i++) {
        vrt_detection d;
        vrt_result_detection(res, i, &d);
        vrt_json_begin_object(w);
        vrt_json_kv_int(w, "class_id", d.class_id);
        vrt_json_kv_string(w, "label", label_at(res, i, d.class_id, lb, sizeof(lb)));
        vrt_json_kv_double(w, "score", d.score);
        vrt_json_key(w, "box");
        vrt_json_begin_array(w);
        vrt_json_double(w, d.box.x1);
        vrt_json_double(w, d.box.y1);
        vrt_json_double(w, d.box.x2);
        vrt_json_double(w, d.box.y2);
        vrt_json_end_array(w);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
}

static void print_json(const infer_ctx *c, const char *path, const image_result *r, const char *error) {
    vrt_json w;
    vrt_json_init_file(&w, stdout);
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "image", path);
    vrt_json_kv_string(&w, "model", c->model_path);
    vrt_json_kv_string(&w, "profile", c->profile_path);
    vrt_json_kv_string(&w, "task", vrt_task_name(c->prof.task));
    vrt_json_kv_string(&w, "backend", c->ep.backend);
    if (error) {
        vrt_json_kv_string(&w, "error", error);
    } else {
        vrt_json_kv_uint(&w, "width", r->w);
        vrt_json_kv_uint(&w, "height", r->h);
        if (vrt_result_kind(r->res) == VRT_RESULT_CLASSES)
            json_classes(&w, r->res);
        else if (vrt_result_kind(r->res) == VRT_RESULT_DETECTIONS ||
                 vrt_result_kind(r->res) == VRT_RESULT_KEYPOINTS)
            json_detections(&w, r->res);
        vrt_result_json_extras(r->res, &w); /* keypoints, masks, depth, segmentation */
        vrt_json_key(&w, "time_ms");
        vrt_json_begin_object(&w);
        vrt_json_kv_double(&w, "pre", r->t_pre);
        vrt_json_kv_double(&w, "model", r->t_model);
        vrt_json_kv_double(&w, "post", r->t_post);
        vrt_json_kv_double(&w, "total", r->t_pre + r->t_model + r->t_post);
        vrt_json_end_object(&w);
        if (r->saved[0]) vrt_json_kv_string(&w, "output", r->saved);
    }
    vrt_json_end_object(&w);
    vrt_json_newline(&w);
    vrt_json_finish(&w);
}

/* detectnet's 'input output': the last argument is the output when it names an output form and
 * is not an existing image (an existing out.jpg stays an input; -o overwrites it). */
static int positional_output(const char *a) {
    if (!vrt_writer_recognizes(a)) return 0;
    size_t n = strlen(a);
    return a[n - 1] == '/' || strchr(a, '%') || access(a, F_OK) != 0;
}

/* The output and the overlay, before the model loads: a bad output fails at once. */
static int open_output(infer_ctx *c, const vrt_overlay_params *op, int n_images) {
    char err[1024];
    vrt_writer_params wp;
    vrt_writer_default_params(&wp);
    if (vrt_writer_open(&c->writer, c->output, &wp, err, sizeof(err))) return cli_error("%s", err);
    if (vrt_writer_get_kind(c->writer) == VRT_WRITER_IMAGE && n_images > 1) {
        vrt_writer_close(&c->writer, err, sizeof(err));
        return cli_error("output '%s': %d images into one file; give a folder (out/), numbered files "
                         "(out/%%03d.jpg) or a video (out.mp4)",
                         c->output, n_images);
    }
    if (vrt_overlay_create(&c->overlay, op, err, sizeof(err))) return cli_error("%s", err);
    return 0;
}

static void infer_cleanup(infer_ctx *c) {
    char err[512];
    if (c->writer && vrt_writer_close(&c->writer, err, sizeof(err))) cli_error("%s", err);
    vrt_overlay_destroy(&c->overlay);
    vrt_head_destroy(&c->head);
    vrt_labels_destroy(&c->labels);
    vrt_engine_destroy(&c->engine);
    vrt_free(c->in_buf);
    for (int k = 0; k < c->n_out; k++)
        vrt_free(c->out_buf[k]);
}

int cmd_infer(cli_ctx *ctx, int argc, char **argv) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"topk", required_argument, NULL, OPT_TOPK},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"score", required_argument, NULL, OPT_SCORE},
        {"iou", required_argument, NULL, OPT_IOU},
        {"output", required_argument, NULL, 'o'},
        {"overlay", required_argument, NULL, OPT_OVERLAY},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {NULL, 0, NULL, 0},
    };
    infer_ctx c;
    memset(&c, 0, sizeof(c));
    vrt_engine_default_params(&c.ep);
    const char *profile_arg = NULL;
    int64_t topk = 0, threads = 0, alpha = -1;
    double score = -1, iou = -1;
    vrt_overlay_params op;
    vrt_overlay_default_params(&op);
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int ch;
    while ((ch = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS "o:", opts)) != -1) {
        if (ch == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (ch) {
        case 'h': cmd_infer_help(stdout); return 0;
        case OPT_JSON: c.json = 1; break;
        case OPT_PROFILE: profile_arg = optarg; break;
        case OPT_TOPK:
            if ((rc = cli_parse_i64(ctx, "--topk", optarg, 1, VRT_TOPK_MAX, &topk))) return rc;
            break;
        case OPT_THREADS:
            if ((rc = cli_parse_i64(ctx, "--threads", optarg, 0, 1024, &threads))) return rc;
            break;
        case OPT_SCORE:
            if ((rc = cli_parse_double(ctx, "--score", optarg, 0, 1, &score))) return rc;
            break;
        case OPT_IOU:
            if ((rc = cli_parse_double(ctx, "--iou", optarg, 0, 1, &iou))) return rc;
            break;
        case OPT_BACKEND:
            if ((rc = cli_parse_backend(ctx, optarg, &c.ep.backend))) return rc;
            break;
        case 'o':
            if (c.output)
                return cli_usage_error(ctx, "one --output for vrt infer (a folder takes many images)");
            c.output = optarg;
            break;
        case OPT_OVERLAY: {
            char e[256];
            if (vrt_overlay_parse_flags(optarg, &op.flags, e, sizeof(e)))
                return cli_usage_error(ctx, "--%s", e);
            break;
        }
        case OPT_ALPHA:
            if ((rc = cli_parse_i64(ctx, "--alpha", optarg, 0, 255, &alpha))) return rc;
            op.alpha = (int)alpha;
            break;
        default: return cli_getopt_error(ctx, ch, argc, argv, opts);
        }
    }
    if (optind >= argc) return cli_usage_error(ctx, "no MODEL given (vrt infer MODEL IMAGE...)");
    c.model_path = argv[optind++];
    if (optind >= argc) return cli_usage_error(ctx, "no IMAGE given (vrt infer MODEL IMAGE...)");
    if (!c.output && argc - optind >= 2 && positional_output(argv[argc - 1])) c.output = argv[--argc];
    cli_setup_logging(ctx);

    /* The output first: a bad one fails before anything is loaded. */
    if (c.output && (rc = open_output(&c, &op, argc - optind))) {
        infer_cleanup(&c);
        return rc;
    }
    char err[2048] = "";
    if (cli_check_model_file(c.model_path, err, sizeof(err)) ||
        cli_load_profile(c.model_path, profile_arg, &c.prof, c.profile_path, sizeof(c.profile_path), err,
                         sizeof(err))) {
        infer_cleanup(&c);
        return cli_error("%s", err);
    }
    if (topk) c.prof.topk = (int)topk;
    if (score >= 0) c.prof.det.score_threshold = (float)score;
    if (iou >= 0) c.prof.det.iou_threshold = (float)iou;
    if (ctx->verbosity > 0)
        cli_info(ctx, "profile %s (%s, %s)", c.profile_path, c.prof.name, vrt_task_name(c.prof.task));

    c.ep.threads = (int)threads;
    c.ep.batch = 1;
    if (c.prof.pre.layout == VRT_LAYOUT_NCHW) {
        c.ep.height = c.prof.pre.height;
        c.ep.width = c.prof.pre.width;
    }
    int64_t t0 = vrt_now_ns();
    if (vrt_engine_open(c.model_path, &c.ep, &c.engine, err, sizeof(err)) != VRT_OK) {
        infer_cleanup(&c);
        return cli_error_about(c.model_path, err);
    }
    vrt_engine_stats es;
    vrt_engine_get_stats(c.engine, &es);
    if (ctx->verbosity > 0)
        cli_info(ctx, "%s loaded on %s (%d steps, arena %zu bytes) in %.1f ms", c.model_path, es.backend,
                 es.nodes, es.arena_bytes, (double)(vrt_now_ns() - t0) / 1e6);
    if ((rc = setup_io(&c))) {
        infer_cleanup(&c);
        return rc;
    }
    if (vrt_profile_load_labels(&c.prof, c.model_path, &c.labels, err, sizeof(err)) != VRT_OK)
        rc = cli_error("%s", err);

    if (!rc) rc = open_head(&c);
    if (rc) {
        infer_cleanup(&c);
        return rc;
    }

    int failed = 0;
    for (; optind < argc; optind++) {
        const char *path = argv[optind];
        image_result r;
        memset(&r, 0, sizeof(r));
        err[0] = 0;
        if (run_image(&c, path, &r, err, sizeof(err)) || save_annotated(&c, path, &r, err, sizeof(err))) {
            vrt_frame_unref(&r.frame);
            failed++;
            cli_error("%s", err);
            if (c.json) print_json(&c, path, NULL, err);
            continue;
        }
        vrt_frame_unref(&r.frame);
        if (c.json)
            print_json(&c, path, &r, NULL);
        else
            print_text(path, &r);
        fflush(stdout);
    }
    infer_cleanup(&c);
    return failed ? CLI_EXIT_RUNTIME : 0;
}
