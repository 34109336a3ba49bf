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
 * Payload: each head writes `result_bytes` per frame into storage the
 * session sized at open (CUDA: device memory, downloaded into page-locked
 * host memory of the slot); the session's result points at it (kinds and
 * payload structs: vision/result_impl.h).
 *
 * Adding a head: src/vision/README.md.
 */
#ifndef VRT_VISION_HEAD_H
#define VRT_VISION_HEAD_H

#include <stddef.h>

#include "vrt/engine.h"
#include "vrt/profile.h"
#include "vrt/result.h"

/* Everything a head's twins need, resolved once at open. */
typedef struct vrt__head_params {
    vrt_task task;
    int batch;             /* frames per model run (output rows) */
    size_t out_count;      /* fp32 values of output 0 for ONE frame */
    int num_classes;       /* classify: scores per row; detect: C */
    int topk, softmax;     /* classify */
    vrt_detect_params det; /* detect: kind, input size, classes and anchors filled in */
} vrt__head_params;

typedef struct vrt__head_cpu {
    /* ctx may stay NULL for a head without state. */
    vrt_status (*create)(const vrt__head_params *hp, void **ctx, char *err, size_t cap);
    /* One frame: out = its out_count values; res = result_bytes of payload. */
    vrt_status (*run)(void *ctx, const vrt__head_params *hp, const float *out,
                      const vrt_preprocess_geometry *g, void *res, char *err, size_t cap);
    void (*destroy)(void **ctx);
} vrt__head_cpu;

typedef struct vrt__head_cuda {
    /* Sizes and allocates device scratch once. */
    vrt_status (*create)(const vrt__head_params *hp, void **ctx, char *err, size_t cap);
    /* All hp->batch frames: dout = device output 0 (batch * out_count fp32),
     * dres = device payload (batch * result_bytes), on stream (cudaStream_t);
     * capturable into a CUDA graph. */
    vrt_status (*enqueue)(void *ctx, const vrt__head_params *hp, const float *dout,
                          const vrt_preprocess_geometry *g, void *dres, void *stream, char *err, size_t cap);
    void (*destroy)(void **ctx);
} vrt__head_cuda;

typedef struct vrt__head {
    const char *task;     /* the profile's `task` value */
    vrt_task id;          /* vrt/profile.h */
    vrt_result_type kind; /* what its results hold */
    size_t result_bytes;  /* payload of one frame */
    /* Checks output 0 of the model (dims with the batch first) against the
     * profile and fills hp (batch, out_count and task are set on entry). */
    vrt_status (*configure)(const vrt_profile *prof, const vrt_model_tensor_info *out, vrt__head_params *hp,
                            char *err, size_t cap);
    const vrt__head_cpu *cpu;
    const vrt__head_cuda *cuda; /* NULL when the build has no CUDA */
} vrt__head;

/* The head named `task` in a profile, or NULL. */
const vrt__head *vrt__head_find(const char *task);
/* Head i of the table (0, 1, ...), or NULL past the end (tests, listings). */
const vrt__head *vrt__head_at(int i);
/* The head registered for a task id, or NULL. */
const vrt__head *vrt__head_for(vrt_task id);
/* The registered heads' task names ("a, b or c") into buf; returns buf. */
const char *vrt__head_names(char *buf, size_t cap);

#endif
