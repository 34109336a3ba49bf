/*
 * Private: the task heads as a table. A head turns the model's output into
 * one frame's result (vrt/result.h) and comes in twins: a CPU function
 * (always built, the reference) and a CUDA one (enqueued on the session's
 * stream inside its graph). The profile's `task` key names the head
 * (vrt__head_find); the session drives whichever twin fits its backend and
 * never looks at the task itself.
 *
 * Lifecycle: configure (once at open: checks the model's output against
 * the profile, resolves every parameter into vrt__head_params) -> the
 * twin's create (sizes scratch / device workspace) -> run or enqueue per
 * frame (allocate nothing) -> destroy.
 *
 * Payload: each head writes hp->layout.bytes per frame into storage the
 * session sized at open (CUDA: device memory, downloaded into page-locked
 * host memory of the slot); the session's result points at it (kinds and
 * payload structs: vision/result_impl.h). A fixed-size head's layout is its
 * row's result_bytes; a head with maps at frame resolution (depth, masks)
 * or keypoints sizes it in its `layout` function for the frame size
 * (vrt__head_set_frame, once at open; the session's frames all have one size).
 *
 * Adding a head: src/vision/README.md.
 */
#ifndef VRT_VISION_HEAD_H
#define VRT_VISION_HEAD_H

#include <stddef.h>

#include "vrt/engine.h"
#include "vrt/profile.h"
#include "vrt/result.h"
#include "vision/result_impl.h"

/* Model outputs one head reads (SSD: scores and boxes). */
#define VRT__HEAD_MAX_OUTPUTS 4

/* Everything a head's twins need, resolved once at open. */
typedef struct vrt__head_params {
    vrt_task task;
    int batch;       /* frames per model run (output rows) */
    int num_outputs; /* model outputs the head reads, in the head's order (head->outputs) */
    int outputs[VRT__HEAD_MAX_OUTPUTS];       /* their indices among the model's outputs */
    size_t out_counts[VRT__HEAD_MAX_OUTPUTS]; /* fp32 values of each for ONE frame */
    size_t out_count;                         /* out_counts[0] */
    int num_classes;                          /* classify: scores per row; detect: C */
    int topk, softmax;                        /* classify */
    vrt_detect_params det;                    /* detect: kind, input size, classes and anchors filled in */
    vrt_ssd_params ssd;                       /* detect-ssd-raw: the prior spec */
    /* Dense heads: the network output's map size, the maps' frame size. */
    int map_c, map_h, map_w;   /* depth: 1 x H x W; argmax: C x H x W; segment-yolov8: the prototypes */
    uint32_t input_w, input_h; /* the network input (the profile's width, height) */
    int frame_w, frame_h;      /* what the maps cover (vrt__head_set_frame; default the input size) */
    vrt_colormap colormap;     /* depth */
    float mask_threshold;      /* segment-yolov8 */
    int num_keypoints;         /* pose-yolov8 */
    vrt__result_layout layout; /* the payload of one frame at frame_w x frame_h */
    /* depth: the raw map refined by the guided filter with the frame as the
     * guide (radius 0: off). Set by the session, which then calls the twin's
     * refine after run / enqueue (only then are the stats, the normalised
     * map and the colours made); vrt__head_bind leaves it off. */
    vrt_guided_params refine;
} vrt__head_params;

typedef struct vrt__head_cpu {
    /* ctx may stay NULL for a head without state. */
    vrt_status (*create)(const vrt__head_params *hp, void **ctx, char *err, size_t cap);
    /* One frame: out[j] = its out_counts[j] values of the head's output j;
     * res = result_bytes of payload. */
    vrt_status (*run)(void *ctx, const vrt__head_params *hp, const float *const *out,
                      const vrt_preprocess_geometry *g, void *res, char *err, size_t cap);
    void (*destroy)(void **ctx);
} vrt__head_cpu;

typedef struct vrt__head_cuda {
    /* Sizes and allocates device scratch once. */
    vrt_status (*create)(const vrt__head_params *hp, void **ctx, char *err, size_t cap);
    /* All hp->batch frames: dout[j] = the head's output j on the device
     * (batch * out_counts[j] fp32), dres = device payload (batch *
     * result_bytes), on stream (cudaStream_t); capturable into a CUDA graph. */
    vrt_status (*enqueue)(void *ctx, const vrt__head_params *hp, const float *const *dout,
                          const vrt_preprocess_geometry *g, void *dres, void *stream, char *err, size_t cap);
    void (*destroy)(void **ctx);
} vrt__head_cuda;

typedef struct vrt__head {
    const char *task;     /* the profile's `task` value */
    vrt_task id;          /* vrt/profile.h */
    vrt_result_type kind; /* what its results hold */
    size_t result_bytes;  /* payload of one frame */
    /* The outputs it reads, by role (the profile's `outputs = role=name`);
     * a role is matched to the model output of that name unless the profile
     * names another; a one-output head takes output 0 by default. */
    const char *outputs[VRT__HEAD_MAX_OUTPUTS];
    /* Checks the head's outputs (out[j] for role j, dims with the batch
     * first) against the profile and fills hp (task, batch, num_outputs,
     * outputs and out_counts are set on entry). */
    vrt_status (*configure)(const vrt_profile *prof, const vrt_model_tensor_info *out, vrt__head_params *hp,
                            char *err, size_t cap);
    const vrt__head_cpu *cpu;
    const vrt__head_cuda *cuda; /* NULL when the build has no CUDA */
    /* Sizes hp->layout for frames of hp->frame_w x hp->frame_h; NULL: the
     * fixed result_bytes. */
    void (*layout)(vrt__head_params *hp);
} vrt__head;

/* The depth head with hp->refine.radius > 0, after its run: res's raw map
 * refined by the guided filter with frame (raw, host, frame_w x frame_h) as
 * the guide, then its stats, normalised map and colours; ctx is the CPU
 * twin's (its create sized the scratch). */
vrt_status vrt__head_refine(void *ctx, const vrt__head_params *hp, const vrt_frame *frame, void *res,
                            char *err, size_t cap);
/* The CUDA twin, after enqueue, for batch row k (frame in device memory,
 * dres the whole batch's payload), on stream; capturable. CUDA builds only. */
vrt_status vrt__head_refine_cuda(void *ctx, const vrt__head_params *hp, int k, const vrt_frame *frame,
                                 void *dres, void *stream, char *err, size_t cap);

/* The head named `task` in a profile, or NULL. */
const vrt__head *vrt__head_find(const char *task);
/* Head i of the table (0, 1, ...), or NULL past the end (tests, listings). */
const vrt__head *vrt__head_at(int i);
/* The head registered for a task id, or NULL. */
const vrt__head *vrt__head_for(vrt_task id);
/* Picks the head's outputs among the model's n (the profile's `outputs`
 * pairs, else by role name, else by position) into hp (num_outputs,
 * outputs, out_counts for one frame of `batch`) and their infos into sel;
 * VRT_EINVAL naming the output and what the head expects. Then calls the
 * head's configure. */
vrt_status vrt__head_bind(const vrt__head *h, const vrt_profile *prof, const vrt_model_tensor_info *outs,
                          int n, int batch, vrt__head_params *hp, char *err, size_t cap);
/* VRT_EINVAL naming the labels' source when labels (may be NULL: no check)
 * has fewer names than hp->num_classes (set by the head's configure). */
vrt_status vrt__head_check_labels(const vrt_profile *prof, const vrt__head_params *hp,
                                  const vrt_labels_t *labels, char *err, size_t cap);
/* Sets the frame size the head's maps cover (0: the network input size)
 * and sizes hp->layout for it (vrt__head_bind calls it with 0 x 0). */
void vrt__head_set_frame(const vrt__head *h, vrt__head_params *hp, int frame_w, int frame_h);
/* The registered heads' task names ("a, b or c") into buf; returns buf. */
const char *vrt__head_names(char *buf, size_t cap);

#endif
