/* Priorities (vrt/thread.h vrt_priority; engine, session and pipeline
 * options), CPU side:
 * - the level names parse and print;
 * - vrt_thread_set_priority raises the calling thread to nice -10 where the
 *   process may (checked with getpriority on that thread), else answers
 *   VRT_EPERM with a message naming CAP_SYS_NICE and leaves it unchanged;
 * - a CPU engine opened with priority HIGH raises exactly its worker threads
 *   (counted in /proc/self/task), a NORMAL one none, a shared engine takes
 *   its own priority, and the results are the same bit for bit;
 * - in a pipeline with batching on, a HIGH stream runs alone (the two other
 *   streams are batched), every stream processes every frame, its stats
 *   and the JSON summary say what took effect, and the setter refuses a bad
 *   index, a bad level and a started pipeline.
 * The CUDA side (stream priorities) is tests/gpu/test_cuda_priority.c. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vrt/engine.h"
#include "vrt/pipeline.h"
#include "vrt/sink.h"
#include "vrt/thread.h"

#define MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

/* Threads of this process whose nice value is `nice` (field 19 of /proc/self/task/TID/stat). */
static int threads_at_nice(int nice) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[300], buf[1024];
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = 0;
        const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
        if (!p) continue;
        /* After ") ": state is field 3; nice is field 19, i.e. the 17th after the state. */
        p += 2;
        for (int k = 0; k < 16 && p; k++)
            if ((p = strchr(p, ' '))) p++;
        if (p && atoi(p) == nice) n++;
    }
    closedir(d);
    return n;
}

typedef struct probe {
    vrt_status st, st_normal, st_bad;
    int before, after;
    char err[512];
} probe;

static void *probe_main(void *arg) {
    probe *pr = arg;
    id_t tid = (id_t)syscall(SYS_gettid);
    pr->st_normal = vrt_thread_set_priority(VRT_PRIORITY_NORMAL, pr->err, sizeof(pr->err));
    pr->st_bad = vrt_thread_set_priority((vrt_priority)7, pr->err, sizeof(pr->err));
    pr->err[0] = 0;
    pr->before = getpriority(PRIO_PROCESS, tid);
    pr->st = vrt_thread_set_priority(VRT_PRIORITY_HIGH, pr->err, sizeof(pr->err));
    pr->after = getpriority(PRIO_PROCESS, tid);
    return NULL;
}

/* Tries in a thread of its own (this one keeps its priority): 1 when raising is permitted here. */
static int can_raise(probe *out) {
    probe pr;
    memset(&pr, 0, sizeof(pr));
    pthread_t t;
    if (pthread_create(&t, NULL, probe_main, &pr)) vrt_test_fail(__FILE__, __LINE__, "pthread_create");
    pthread_join(t, NULL);
    if (out) *out = pr;
    return pr.st == VRT_OK;
}

TEST(level_names) {
    ASSERT_EQ(vrt_priority_parse("high"), VRT_PRIORITY_HIGH);
    ASSERT_EQ(vrt_priority_parse("HIGH"), VRT_PRIORITY_HIGH);
    ASSERT_EQ(vrt_priority_parse("normal"), VRT_PRIORITY_NORMAL);
    ASSERT_EQ(vrt_priority_parse("urgent"), -1);
    ASSERT_EQ(vrt_priority_parse(""), -1);
    ASSERT_EQ(vrt_priority_parse(NULL), -1);
    ASSERT_STREQ(vrt_priority_name(VRT_PRIORITY_HIGH), "high");
    ASSERT_STREQ(vrt_priority_name(VRT_PRIORITY_NORMAL), "normal");
    ASSERT_TRUE(vrt_priority_name((vrt_priority)5) == NULL);
}

TEST(thread_priority_raised_or_refused_with_reason) {
    probe pr;
    int ok = can_raise(&pr);
    ASSERT_OK(pr.st_normal);
    ASSERT_EQ(pr.st_bad, VRT_EINVAL);
    if (ok) {
        ASSERT_EQ(pr.after, VRT_PRIORITY_HIGH_NICE);
    } else {
        /* No CAP_SYS_NICE here: refused, unchanged, and the message says what would work. */
        ASSERT_EQ(pr.st, VRT_EPERM);
        ASSERT_EQ(pr.after, pr.before);
        ASSERT_CONTAINS(pr.err, "CAP_SYS_NICE");
        ASSERT_CONTAINS(pr.err, "ulimit -e");
    }
    fprintf(stderr, "  raising a thread's priority here: %s\n", ok ? "permitted" : pr.err);
}

static vrt_engine_t *open_engine(const char *model, vrt_engine_t *base, vrt_priority prio) {
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.threads = 3; /* two workers and the caller */
    ep.priority = prio;
    vrt_engine_t *e = NULL;
    char err[512];
    vrt_status st = base ? vrt_engine_open_shared(base, &ep, &e, err, sizeof(err))
                         : vrt_engine_open(model, &ep, &e, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "engine open: %s", err);
    return e;
}

static void run_engine(vrt_engine_t *e, float *in, float *out) {
    vrt_engine_tensor ti = {in, VRT_DTYPE_FLOAT, 3 * 224 * 224 * sizeof(float)};
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, 1000 * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
}

TEST(cpu_engine_raises_its_workers) {
    const char *model = vrt_test_data_or_skip(MODEL);
    int ok = can_raise(NULL);
    int base = threads_at_nice(VRT_PRIORITY_HIGH_NICE);
    ASSERT_TRUE(base >= 0);
    vrt_engine_t *normal = open_engine(model, NULL, VRT_PRIORITY_NORMAL);
    ASSERT_EQ(threads_at_nice(VRT_PRIORITY_HIGH_NICE), base);
    vrt_engine_stats s;
    ASSERT_OK(vrt_engine_get_stats(normal, &s));
    ASSERT_EQ(s.priority, VRT_PRIORITY_NORMAL);
    ASSERT_EQ(s.priority_applied, 0);
    ASSERT_EQ(s.priority_value, 0);

    vrt_engine_t *high = open_engine(model, NULL, VRT_PRIORITY_HIGH);
    ASSERT_OK(vrt_engine_get_stats(high, &s));
    ASSERT_EQ(s.priority, VRT_PRIORITY_HIGH);
    ASSERT_EQ(s.priority_applied, ok);
    ASSERT_EQ(s.priority_value, ok ? VRT_PRIORITY_HIGH_NICE : 0);
    ASSERT_EQ(threads_at_nice(VRT_PRIORITY_HIGH_NICE), base + (ok ? 2 : 0)); /* its two workers, no more */

    /* A shared engine takes its own priority, whatever its base's. */
    vrt_engine_t *shared = open_engine(NULL, normal, VRT_PRIORITY_HIGH);
    ASSERT_OK(vrt_engine_get_stats(shared, &s));
    ASSERT_EQ(s.priority_applied, ok);
    ASSERT_EQ(threads_at_nice(VRT_PRIORITY_HIGH_NICE), base + (ok ? 4 : 0));

    /* Priority changes when work runs, never what it computes. */
    static float in[3 * 224 * 224], a[1000], b[1000], c[1000];
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        in[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    run_engine(normal, in, a);
    run_engine(high, in, b);
    run_engine(shared, in, c);
    ASSERT_TRUE(memcmp(a, b, sizeof(a)) == 0);
    ASSERT_TRUE(memcmp(a, c, sizeof(a)) == 0);
    vrt_engine_destroy(&shared);
    vrt_engine_destroy(&high);
    vrt_engine_destroy(&normal);
    ASSERT_EQ(threads_at_nice(VRT_PRIORITY_HIGH_NICE), base);
}

#define NS 3
#define NF 6

static void count(void *user, const vrt_pipeline_result *r) {
    int *n = user;
    if (r->stream >= 0 && r->stream < NS) n[r->stream]++;
}

TEST(pipeline_high_stream_runs_alone) {
    const char *model = vrt_test_data_or_skip(MODEL);
    int ok = can_raise(NULL);
    char profile[1024], err[512];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    int n[NS] = {0};
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    pp.threads = 2; /* one worker per engine: stream 0's is raised */
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = NF;
    pp.batch_sources = VRT_BATCH_ON;
    pp.on_result = count;
    pp.user = n;
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    for (int i = 0; i < NS; i++)
        if (vrt_pipeline_add_source(p, "synthetic:?width=160&height=120&fps=200&format=YUYV", NULL, NULL, err,
                                    sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    ASSERT_EQ(vrt_pipeline_set_priority(p, NS, VRT_PRIORITY_HIGH), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_pipeline_last_error(p), "stream index");
    ASSERT_EQ(vrt_pipeline_set_priority(p, 0, (vrt_priority)9), VRT_EINVAL);
    ASSERT_OK(vrt_pipeline_set_priority(p, 0, VRT_PRIORITY_HIGH));
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_EQ(vrt_pipeline_set_priority(p, 1, VRT_PRIORITY_HIGH), VRT_EBUSY);
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_stop(p));
    vrt_pipeline_batch_stats bs;
    vrt_pipeline_get_batch_stats(p, &bs);
    ASSERT_EQ(bs.sources, 2); /* streams 1 and 2; stream 0 has a session of its own */
    for (int i = 0; i < NS; i++) {
        vrt_pipeline_stats st;
        ASSERT_OK(vrt_pipeline_get_stats(p, i, &st));
        ASSERT_EQ(st.results, NF);
        ASSERT_EQ(n[i], NF);
        ASSERT_EQ(st.priority, i == 0 ? VRT_PRIORITY_HIGH : VRT_PRIORITY_NORMAL);
        ASSERT_EQ(st.priority_applied, i == 0 && ok);
        ASSERT_EQ(st.threads_raised, i == 0 && ok ? 2 : 0);
    }
    static char buf[1 << 16];
    vrt_json w;
    vrt_json_init_buffer(&w, buf, sizeof(buf));
    ASSERT_OK(vrt_sink_json_summary(p, "test", &w));
    ASSERT_CONTAINS(buf, "\"priority\":\"high\"");
    ASSERT_CONTAINS(buf, "\"priority\":\"normal\"");
    vrt_pipeline_destroy(&p);
}

int main(void) {
    VRT_RUN(level_names);
    VRT_RUN(thread_priority_raised_or_refused_with_reason);
    VRT_RUN(cpu_engine_raises_its_workers);
    VRT_RUN(pipeline_high_stream_runs_alone);
    return vrt_test_finish();
}
