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
    {"classify", VRT_TASK_CLASSIFY, VRT_RESULT_CLASSES, sizeof(vrt_class_result),
     vrt__head_classify_configure, &vrt__head_classify_cpu, CUDA_TWIN(vrt__head_classify_cuda)},
    {"detect-yolox", VRT_TASK_DETECT_YOLOX, VRT_RESULT_DETECTIONS, sizeof(vrt_detections),
     vrt__head_yolo_configure, &vrt__head_yolo_cpu, CUDA_TWIN(vrt__head_yolo_cuda)},
    {"detect-yolov8", VRT_TASK_DETECT_YOLOV8, VRT_RESULT_DETECTIONS, sizeof(vrt_detections),
     vrt__head_yolo_configure, &vrt__head_yolo_cpu, CUDA_TWIN(vrt__head_yolo_cuda)},
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
