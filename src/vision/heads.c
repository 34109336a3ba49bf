/* The head registry: one row per task head (vision/head.h). A new head adds
 * its row here; src/vision/README.md has the whole recipe. */
#include <stdio.h>
#include <string.h>

#include "vision/heads_impl.h"

/* The CUDA twins exist only in a CUDA build; registering them is the one
 * place that knows. */
#if defined(VRT_HAVE_CUDA)
#define CUDA_TWIN(x) (&(x))
#else
#define CUDA_TWIN(x) NULL
#endif

static const vrt__head k_heads[] = {
    {"classify",
     VRT_TASK_CLASSIFY,
     VRT_RESULT_CLASSES,
     sizeof(vrt_class_result),
     {"scores"},
     vrt__head_classify_configure,
     &vrt__head_classify_cpu,
     CUDA_TWIN(vrt__head_classify_cuda),
     NULL},
    {"detect-yolox",
     VRT_TASK_DETECT_YOLOX,
     VRT_RESULT_DETECTIONS,
     sizeof(vrt_detections),
     {"output"},
     vrt__head_yolo_configure,
     &vrt__head_yolo_cpu,
     CUDA_TWIN(vrt__head_yolo_cuda),
     NULL},
    {"detect-yolov8",
     VRT_TASK_DETECT_YOLOV8,
     VRT_RESULT_DETECTIONS,
     sizeof(vrt_detections),
     {"output"},
     vrt__head_yolo_configure,
     &vrt__head_yolo_cpu,
     CUDA_TWIN(vrt__head_yolo_cuda),
     NULL},
    {"detect-ssd",
     VRT_TASK_DETECT_SSD,
     VRT_RESULT_DETECTIONS,
     sizeof(vrt_detections),
     {"scores", "boxes"},
     vrt__head_ssd_configure,
     &vrt__head_ssd_cpu,
     CUDA_TWIN(vrt__head_ssd_cuda),
     NULL},
    {"detect-ssd-raw",
     VRT_TASK_DETECT_SSD_RAW,
     VRT_RESULT_DETECTIONS,
     sizeof(vrt_detections),
     {"scores", "boxes"},
     vrt__head_ssd_configure,
     &vrt__head_ssd_cpu,
     CUDA_TWIN(vrt__head_ssd_cuda),
     NULL},
    {"detect-detr",
     VRT_TASK_DETECT_DETR,
     VRT_RESULT_DETECTIONS,
     sizeof(vrt_detections),
     {"logits", "pred_boxes"},
     vrt__head_detr_configure,
     &vrt__head_detr_cpu,
     CUDA_TWIN(vrt__head_detr_cuda),
     NULL},
    {"depth",
     VRT_TASK_DEPTH,
     VRT_RESULT_DENSE,
     0,
     {"depth"},
     vrt__head_depth_configure,
     &vrt__head_depth_cpu,
     CUDA_TWIN(vrt__head_depth_cuda),
     vrt__head_depth_layout},
    {"segment-yolov8",
     VRT_TASK_SEGMENT_YOLOV8,
     VRT_RESULT_DETECTIONS,
     0,
     {"output", "protos"},
     vrt__head_yoloseg_configure,
     &vrt__head_yoloseg_cpu,
     CUDA_TWIN(vrt__head_yoloseg_cuda),
     vrt__head_yoloseg_layout},
    {"pose-yolov8",
     VRT_TASK_POSE_YOLOV8,
     VRT_RESULT_KEYPOINTS,
     0,
     {"output"},
     vrt__head_pose_configure,
     &vrt__head_pose_cpu,
     CUDA_TWIN(vrt__head_pose_cuda),
     vrt__head_pose_layout},
    {"segment-argmax",
     VRT_TASK_SEGMENT_ARGMAX,
     VRT_RESULT_DENSE,
     0,
     {"scores"},
     vrt__head_argmax_configure,
     &vrt__head_argmax_cpu,
     CUDA_TWIN(vrt__head_argmax_cuda),
     vrt__head_argmax_layout},
};
#define NHEADS ((int)(sizeof(k_heads) / sizeof(k_heads[0])))

const vrt__head *vrt__head_find(const char *task) {
    for (int i = 0; task && i < NHEADS; i++)
        if (!strcmp(k_heads[i].task, task)) return &k_heads[i];
    return NULL;
}

const vrt__head *vrt__head_at(int i) {
    return i >= 0 && i < NHEADS ? &k_heads[i] : NULL;
}

const vrt__head *vrt__head_for(vrt_task id) {
    for (int i = 0; i < NHEADS; i++)
        if (k_heads[i].id == id) return &k_heads[i];
    return NULL;
}

const char *vrt__head_names(char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < NHEADS && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? (i + 1 < NHEADS ? ", " : " or ") : "",
                              k_heads[i].task);
    return buf;
}

static int head_num_outputs(const vrt__head *h) {
    int n = 0;
    while (n < VRT__HEAD_MAX_OUTPUTS && h->outputs[n])
        n++;
    return n;
}

static int output_named(const vrt_model_tensor_info *outs, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (outs[i].name && !strcmp(outs[i].name, name)) return i;
    return -1;
}

/* The model's output names ("'a', 'b'") into buf. */
static const char *output_names(const vrt_model_tensor_info *outs, int n, char *buf, size_t cap) {
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s'%s'", i ? ", " : "", outs[i].name ? outs[i].name : "");
    return buf;
}

/* Index of the model output for role r, or -1 with err set. */
static int pick_output(const vrt__head *h, const vrt_profile *prof, const vrt_model_tensor_info *outs, int n,
                       int r, char *err, size_t cap) {
    const int nr = head_num_outputs(h);
    char names[256];
    for (int k = 0; k < prof->num_outputs; k++) {
        const vrt_profile_output *po = &prof->outputs[k];
        if (strcmp(po->role, h->outputs[r]) && !(nr == 1 && !po->role[0])) continue;
        int i = output_named(outs, n, po->name);
        if (i < 0)
            vrt_errbuf_set(
                err, cap, "profile '%s': output '%s' (the %s head's %s) is not among the model's outputs: %s",
                prof->name, po->name, h->task, h->outputs[r], output_names(outs, n, names, sizeof(names)));
        return i;
    }
    if (nr > 1) { /* a one-output head keeps output 0 unless the profile says */
        int i = output_named(outs, n, h->outputs[r]);
        if (i >= 0) return i;
    }
    if (r < n && (nr == 1 || n == nr)) return r;
    vrt_errbuf_set(
        err, cap,
        "profile '%s': task %s reads %d outputs (%s%s%s) but the model has %d (%s); name them with "
        "outputs = role=name",
        prof->name, h->task, nr, h->outputs[0], nr > 1 ? ", " : "", nr > 1 ? h->outputs[1] : "", n,
        output_names(outs, n, names, sizeof(names)));
    return -1;
}

vrt_status vrt__head_bind(const vrt__head *h, const vrt_profile *prof, const vrt_model_tensor_info *outs,
                          int n, int batch, vrt__head_params *hp, char *err, size_t cap) {
    const int nr = head_num_outputs(h);
    for (int k = 0; k < prof->num_outputs; k++) {
        int known = nr == 1 && !prof->outputs[k].role[0];
        for (int r = 0; r < nr; r++)
            known |= !strcmp(prof->outputs[k].role, h->outputs[r]);
        if (!known) {
            vrt_errbuf_set(err, cap, "profile '%s': outputs names role '%s'; task %s reads %s%s%s",
                           prof->name, prof->outputs[k].role, h->task, h->outputs[0], nr > 1 ? " and " : "",
                           nr > 1 ? h->outputs[1] : "");
            return VRT_EINVAL;
        }
    }
    memset(hp, 0, sizeof(*hp));
    hp->task = prof->task;
    hp->batch = batch;
    hp->num_outputs = nr;
    hp->input_w = prof->pre.width;
    hp->input_h = prof->pre.height;
    vrt_model_tensor_info sel[VRT__HEAD_MAX_OUTPUTS];
    for (int r = 0; r < nr; r++) {
        int i = pick_output(h, prof, outs, n, r, err, cap);
        if (i < 0) return VRT_EINVAL;
        sel[r] = outs[i];
        hp->outputs[r] = i;
        if (batch > 1 && (outs[i].ndim < 1 || outs[i].dims[0] != batch)) {
            vrt_errbuf_set(err, cap,
                           "model output '%s' does not have the batch (%d) as its first dimension (a model "
                           "exported with batch 1 fixed in a Reshape cannot run batched)",
                           outs[i].name, batch);
            return VRT_EUNSUPPORTED;
        }
        size_t c = 1;
        for (int d = 0; d < outs[i].ndim; d++)
            c *= (size_t)(outs[i].dims[d] > 0 ? outs[i].dims[d] : 1);
        hp->out_counts[r] = c / (size_t)(batch > 0 ? batch : 1);
    }
    hp->out_count = hp->out_counts[0];
    vrt_status st = h->configure(prof, sel, hp, err, cap);
    if (!st) vrt__head_set_frame(h, hp, 0, 0);
    return st;
}

void vrt__head_set_frame(const vrt__head *h, vrt__head_params *hp, int frame_w, int frame_h) {
    hp->frame_w = frame_w > 0 ? frame_w : (int)hp->input_w;
    hp->frame_h = frame_h > 0 ? frame_h : (int)hp->input_h;
    memset(&hp->layout, 0, sizeof(hp->layout));
    hp->layout.bytes = h->result_bytes;
    if (h->layout) h->layout(hp);
}

vrt_status vrt__head_check_labels(const vrt_profile *prof, const vrt__head_params *hp,
                                  const vrt_labels_t *labels, char *err, size_t cap) {
    int n = vrt_labels_count(labels);
    if (!labels || hp->num_classes <= 0 || n >= hp->num_classes) return VRT_OK;
    vrt_errbuf_set(err, cap,
                   "labels %s has %d name%s but the model's output has %d classes (profile '%s', task %s); "
                   "use a labels file with one name per class, or none",
                   vrt_labels_source(labels), n, n == 1 ? "" : "s", hp->num_classes, prof->name,
                   vrt_task_name(prof->task));
    return VRT_EINVAL;
}
