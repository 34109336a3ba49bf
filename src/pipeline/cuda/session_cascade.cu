/* The cascade's two small kernels (cuda/session_cascade.h). One warp selects: each
 * lane tests one detection, a ballot and a prefix count give each taken one
 * its crop row, in detection order (the CPU twin's loop). */
#include "pipeline/cuda/session_cascade.h"

static __global__ void vrt__k_cascade_select(const vrt_detections *det, vrt__cascade_rule r, vrt_box *boxes,
                                             vrt__cascade_result *sec) {
    const int lane = threadIdx.x;
    int count = det->count;
    if (count > VRT_DETECT_MAX) count = VRT_DETECT_MAX;
    int n = 0; /* the same in every lane */
    for (int base = 0; base < count && n < r.max_batch; base += 32) {
        const int i = base + lane;
        const int take = i < count && vrt__cascade_pick(&r, &det->det[i].box, det->det[i].class_id);
        const unsigned m = __ballot_sync(0xffffffffu, take);
        const int pos = n + __popc(m & ((1u << lane) - 1u));
        if (take && pos < r.max_batch) {
            sec->det[pos] = i;
            boxes[pos] = det->det[i].box;
        }
        n += __popc(m);
    }
    if (n > r.max_batch) n = r.max_batch;
    for (int j = n + lane; j < r.max_batch; j += 32) {
        boxes[j] = vrt_box{0.f, 0.f, 0.f, 0.f};
        sec->det[j] = -1;
    }
    if (lane == 0) {
        sec->n = n;
        sec->k = r.topk;
    }
}

static __global__ void vrt__k_cascade_attach(const vrt_class_result *cls, int max_batch, int k,
                                             vrt__cascade_result *sec) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x;
    const int j = t / k, q = t % k;
    if (j >= max_batch || j >= sec->n) return;
    sec->index[j][q] = cls[j].index[q];
    sec->score[j][q] = cls[j].score[q];
}

extern "C" cudaError_t vrt__cascade_select_launch(const vrt_detections *det, const vrt__cascade_rule *rule,
                                                  vrt_box *boxes, vrt__cascade_result *sec, cudaStream_t s) {
    vrt__k_cascade_select<<<1, 32, 0, s>>>(det, *rule, boxes, sec);
    return cudaGetLastError();
}

extern "C" cudaError_t vrt__cascade_attach_launch(const vrt_class_result *cls, const vrt__cascade_rule *rule,
                                                  vrt__cascade_result *sec, cudaStream_t s) {
    const int n = rule->max_batch * rule->topk;
    vrt__k_cascade_attach<<<(n + 127) / 128, 128, 0, s>>>(cls, rule->max_batch, rule->topk, sec);
    return cudaGetLastError();
}
