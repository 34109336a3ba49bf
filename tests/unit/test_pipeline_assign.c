/* Streams over several GPUs (src/pipeline/assign.h), several simulated
 * devices, no GPU: the greedy assignment keeps device totals within one
 * source's load of each other (checked against the optimum of a brute force
 * over every assignment for small cases), adding or removing a source moves
 * only that source while the totals stay within the threshold, a large
 * imbalance is repaired with few moves, one device takes everything, and
 * with more devices than sources each source gets a device of its own.
 * pipeline_two_devices_cpu: a cpu pipeline given devices {0, 0} spreads four
 * equal streams two and two (the backend ignores the ordinals), all frames
 * processed, the weights loaded once per logical device. */
#include "harness.h"

#include "pipeline/assign.h"
#include "vrt/pipeline.h"

static void totals_of(const double *load, int n, int ndev, const int *dev, double *t) {
    vrt__assign_totals(load, n, ndev, dev, t);
}

static double spread(const double *t, int ndev) {
    double lo = t[0], hi = t[0];
    for (int d = 1; d < ndev; d++) {
        lo = t[d] < lo ? t[d] : lo;
        hi = t[d] > hi ? t[d] : hi;
    }
    return hi - lo;
}

/* Smallest possible maximum device total, by trying every assignment. */
static double brute_best_max(const double *load, int n, int ndev) {
    int dev[12] = {0};
    double best = 1e300;
    for (;;) {
        double t[VRT__ASSIGN_MAX_DEVICES] = {0};
        for (int i = 0; i < n; i++)
            t[dev[i]] += load[i];
        double m = 0;
        for (int d = 0; d < ndev; d++)
            m = t[d] > m ? t[d] : m;
        best = m < best ? m : best;
        int i = 0;
        while (i < n && ++dev[i] == ndev)
            dev[i++] = 0;
        if (i == n) break;
    }
    return best;
}

TEST(load_estimate) {
    ASSERT_NEAR(vrt__assign_load(30, 2.5), 75.0, 1e-9);
    ASSERT_NEAR(vrt__assign_load(25, 0), 25.0, 1e-9); /* unknown cost: 1 per frame */
    ASSERT_NEAR(vrt__assign_load(0, 3), 3.0, 1e-9);   /* unknown rate: 1 frame per second */
}

TEST(balanced_totals) {
    /* Cameras of 30, 25, 15 and 60 fps on two model costs. */
    const double load[8] = {30, 30, 25 * 2, 15, 60, 60 * 2, 25, 15 * 2};
    int dev[8];
    double t[VRT__ASSIGN_MAX_DEVICES];
    for (int ndev = 2; ndev <= 4; ndev++) {
        vrt__assign_devices(load, 8, ndev, dev, t);
        double sum = 0, maxw = 0;
        for (int i = 0; i < 8; i++) {
            ASSERT_TRUE(dev[i] >= 0 && dev[i] < ndev);
            sum += load[i];
            maxw = load[i] > maxw ? load[i] : maxw;
        }
        double s2 = 0, chk[VRT__ASSIGN_MAX_DEVICES];
        totals_of(load, 8, ndev, dev, chk);
        for (int d = 0; d < ndev; d++) {
            ASSERT_NEAR(t[d], chk[d], 1e-9);
            ASSERT_TRUE(t[d] > 0);
            s2 += t[d];
        }
        ASSERT_NEAR(s2, sum, 1e-9);
        ASSERT_TRUE(spread(t, ndev) <= maxw + 1e-9);
        /* Greedy largest-first is within 4/3 of the optimal largest device total. */
        double hi = 0;
        for (int d = 0; d < ndev; d++)
            hi = t[d] > hi ? t[d] : hi;
        ASSERT_TRUE(hi <= brute_best_max(load, 8, ndev) * 4.0 / 3.0 + 1e-9);
    }
    /* Equal loads: the counts differ by at most one. */
    const double eq[7] = {1, 1, 1, 1, 1, 1, 1};
    vrt__assign_devices(eq, 7, 3, dev, t);
    ASSERT_NEAR(t[0], 3, 1e-9);
    ASSERT_NEAR(t[1], 2, 1e-9);
    ASSERT_NEAR(t[2], 2, 1e-9);
}

TEST(stable_on_add_and_remove) {
    double load[10] = {30, 30, 30, 30, 30, 30, 25, 25, 0, 0};
    int dev[10], before[10];
    vrt__assign_devices(load, 8, 2, dev, NULL);
    dev[8] = dev[9] = -1;
    /* A 30 fps camera joins: it goes to the lighter device, nobody else moves. */
    double t[VRT__ASSIGN_MAX_DEVICES];
    totals_of(load, 10, 2, dev, t);
    int lighter = t[0] <= t[1] ? 0 : 1;
    for (int i = 0; i < 10; i++)
        before[i] = dev[i];
    load[8] = 30;
    ASSERT_EQ(vrt__assign_add(load, 10, 2, dev, 8, VRT__ASSIGN_THRESHOLD), 0);
    ASSERT_EQ(dev[8], lighter);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ(dev[i], before[i]);
    /* One of the heavier device leaves: only it changes. */
    ASSERT_EQ(dev[2], lighter);
    ASSERT_EQ(vrt__assign_remove(load, 10, 2, dev, 2, VRT__ASSIGN_THRESHOLD), 0);
    ASSERT_EQ(dev[2], -1);
    for (int i = 0; i < 9; i++)
        if (i != 2) ASSERT_EQ(dev[i], i == 8 ? lighter : before[i]);
    /* Every source of device 0 leaves: the spread passes the threshold, the
     * fewest moves bring device 0 back into use. */
    int left = 0;
    for (int i = 0; i < 9; i++)
        if (dev[i] == 0) vrt__assign_remove(load, 10, 2, dev, i, 1e9); /* huge threshold: no moves */
    for (int i = 0; i < 9; i++)
        left += dev[i] == 1;
    ASSERT_TRUE(left >= 2);
    load[9] = 1;
    int moved = vrt__assign_add(load, 10, 2, dev, 9, VRT__ASSIGN_THRESHOLD);
    ASSERT_EQ(dev[9], 0); /* the new one goes to the empty device */
    totals_of(load, 10, 2, dev, t);
    ASSERT_TRUE(moved >= 1 && moved <= left / 2 + 1);
    ASSERT_TRUE(spread(t, 2) <= 30 + 1e-9);
}

TEST(one_device) {
    const double load[5] = {10, 20, 30, 40, 50};
    int dev[5];
    double t[VRT__ASSIGN_MAX_DEVICES];
    vrt__assign_devices(load, 5, 1, dev, t);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(dev[i], 0);
    ASSERT_NEAR(t[0], 150, 1e-9);
    ASSERT_EQ(vrt__assign_remove(load, 5, 1, dev, 2, VRT__ASSIGN_THRESHOLD), 0);
    ASSERT_EQ(vrt__assign_add(load, 5, 1, dev, 2, VRT__ASSIGN_THRESHOLD), 0);
    ASSERT_EQ(dev[2], 0);
}

TEST(more_devices_than_sources) {
    const double load[3] = {5, 50, 20};
    int dev[3];
    double t[VRT__ASSIGN_MAX_DEVICES];
    vrt__assign_devices(load, 3, 5, dev, t);
    ASSERT_NE(dev[0], dev[1]);
    ASSERT_NE(dev[0], dev[2]);
    ASSERT_NE(dev[1], dev[2]);
    ASSERT_EQ(dev[1], 0); /* heaviest first, to the lowest index */
    int idle = 0;
    for (int d = 0; d < 5; d++)
        idle += t[d] == 0;
    ASSERT_EQ(idle, 2);
    vrt__assign_devices(load, 0, 3, dev, t); /* no sources: nothing to do */
    ASSERT_NEAR(t[0] + t[1] + t[2], 0, 1e-12);
}

static void count(void *user, const vrt_pipeline_result *r) {
    (void)r;
    (*(int *)user)++;
}

TEST(pipeline_two_devices_cpu) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char profile[1024], err[512];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    static const int devices[2] = {0, 0};
    static int n;
    n = 0;
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = 3;
    pp.devices = devices;
    pp.ndevices = 2;
    pp.on_result = count;
    pp.user = &n;
    vrt_pipeline_t *p = NULL;
    if (vrt_pipeline_create(&p, &pp, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    for (int i = 0; i < 4; i++)
        ASSERT_OK(vrt_pipeline_add_source(p, "synthetic:?fps=30&width=160&height=120", NULL, NULL, err,
                                          sizeof(err)));
    ASSERT_OK(vrt_pipeline_start(p));
    ASSERT_OK(vrt_pipeline_wait(p, 120000));
    ASSERT_OK(vrt_pipeline_stop(p));
    int per[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        vrt_pipeline_stats st;
        ASSERT_OK(vrt_pipeline_get_stats(p, i, &st));
        ASSERT_EQ(st.results, 3);
        ASSERT_EQ(st.device, -1);
        ASSERT_TRUE(st.device_slot == 0 || st.device_slot == 1);
        per[st.device_slot]++;
    }
    ASSERT_EQ(per[0], 2);
    ASSERT_EQ(per[1], 2);
    ASSERT_EQ(n, 12);
    vrt_pipeline_info in;
    vrt_pipeline_get_info(p, &in);
    ASSERT_EQ(in.ndevices, 2);
    ASSERT_EQ(in.weight_users, 2);
    vrt_pipeline_destroy(&p);
    /* A bad list is refused at create, naming the field. */
    static const int bad[1] = {-1};
    pp.devices = bad;
    pp.ndevices = 1;
    ASSERT_STATUS(vrt_pipeline_create(&p, &pp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "params.devices[0] = -1");
}

int main(void) {
    VRT_RUN(load_estimate);
    VRT_RUN(balanced_totals);
    VRT_RUN(stable_on_add_and_remove);
    VRT_RUN(one_device);
    VRT_RUN(more_devices_than_sources);
    VRT_RUN(pipeline_two_devices_cpu);
    return vrt_test_finish();
}
