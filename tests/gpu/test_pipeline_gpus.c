/* Streams over several GPUs (vrt_pipeline_params.devices, `vrt run --gpus`)
 * with one GPU standing for two: devices {0, 0} are two logical devices on
 * CUDA ordinal 0. Four synthetic streams of equal rate are spread two and
 * two, every stream delivers all its frames with the right frame numbers,
 * each logical device loads the weights once (two engines over each copy),
 * and the CPU twin (devices ignored by the backend, the assignment the same)
 * gives the same spread. */
#include <cuda_runtime.h>

#include <string.h>

#include "harness.h"
#include "vrt/pipeline.h"

#define PC_MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

#define NS 4
#define NF 24

typedef struct counter {
    int n[NS], bad_number, slot[NS];
} counter;

static void count(void *user, const vrt_pipeline_result *r) {
    counter *c = user;
    if (r->stream < 0 || r->stream >= NS) return;
    c->n[r->stream]++;
    if (r->frame_number >= 0 && r->frame_number != (int64_t)r->sequence) c->bad_number++;
}

static void run_spread(const char *backend, counter *c) {
    const char *model = vrt_test_data_or_skip(PC_MODEL);
    char profile[1024], err[512];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    static const int devices[2] = {0, 0};
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    pp.backend = backend;
    pp.policy = VRT_POLICY_ALL; /* every frame processed: the twins see the same frames */
    pp.max_frames = NF;
    pp.devices = devices;
    pp.ndevices = 2;
    pp.on_result = count;
    pp.user = c;
    vrt_pipeline_t *p = NULL;
    if (vrt_pipeline_create(&p, &pp, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    for (int i = 0; i < NS; i++)
        if (vrt_pipeline_add_source(p, "synthetic:?fps=60&width=320&height=240", NULL, NULL, err,
                                    sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 120000));
    ASSERT_OK(vrt_pipeline_stop(p));
    int per[2] = {0, 0};
    for (int i = 0; i < NS; i++) {
        vrt_pipeline_stats st;
        ASSERT_OK(vrt_pipeline_get_stats(p, i, &st));
        ASSERT_EQ(st.results, NF);
        ASSERT_EQ(c->n[i], NF);
        ASSERT_TRUE(st.device_slot == 0 || st.device_slot == 1);
        ASSERT_EQ(st.device, strcmp(backend, "cuda") ? -1 : 0);
        ASSERT_NEAR(st.load, 60, 1e-9);
        per[st.device_slot]++;
        c->slot[i] = st.device_slot;
    }
    ASSERT_EQ(per[0], 2);
    ASSERT_EQ(per[1], 2);
    ASSERT_EQ(c->bad_number, 0);
    vrt_pipeline_info in;
    vrt_pipeline_get_info(p, &in);
    ASSERT_EQ(in.ndevices, 2);
    ASSERT_EQ(in.weight_users, 2); /* weights once per logical device, shared by its two streams */
    vrt_pipeline_destroy(&p);
}

TEST(one_gpu_as_two) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        cudaGetLastError();
        vrt_test_skip("no CUDA device");
    }
    static counter gpu, cpu;
    memset(&gpu, 0, sizeof(gpu));
    memset(&cpu, 0, sizeof(cpu));
    run_spread("cuda", &gpu);
    run_spread("cpu", &cpu);
    for (int i = 0; i < NS; i++)
        ASSERT_EQ(gpu.slot[i], cpu.slot[i]);
}

int main(void) {
    VRT_RUN(one_gpu_as_two);
    return vrt_test_finish();
}
