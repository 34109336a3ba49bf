/* vrt_engine_options and their environment overrides (core/options.h,
 * engine/options.c): an override fills only what the caller left AUTO / NULL,
 * an explicit value always wins, a bad value is refused naming the variable
 * and what it takes, an out-of-range field is refused, and vrt_engine_open
 * applies them. The variables are read once per process, so each case runs
 * in a child process started with its own environment (execve): nothing here
 * changes this process's environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/options.h"
#include "engine/backend.h"
#include "harness.h"
#include "vrt/engine.h"

extern char **environ;

/* ---- run in the child "overrides": the variables set to valid values ---- */

TEST(auto_fields_take_the_overrides) {
    vrt_engine_options o;
    memset(&o, 0, sizeof(o));
    char err[256] = "";
    ASSERT_OK(vrt__engine_options_apply_env(&o, err, sizeof(err)));
    ASSERT_EQ((int)o.precision, (int)VRT_PRECISION_FP32);
    ASSERT_EQ((int)o.graphs, (int)VRT_SWITCH_OFF);
    ASSERT_EQ((int)o.conv, (int)VRT_CONV_OWN);
    ASSERT_EQ((int)o.pdl, (int)VRT_SWITCH_ON);
    ASSERT_EQ((int)o.profile_ops, (int)VRT_SWITCH_AUTO); /* set but empty: unset */
    ASSERT_TRUE(o.cache_dir != NULL);
    ASSERT_STREQ(o.cache_dir, "/nonexistent/vrt-cache");
    /* Fields without a variable stay AUTO. */
    ASSERT_EQ((int)o.half_concat, (int)VRT_SWITCH_AUTO);
    ASSERT_EQ((int)o.fused_epilogue, (int)VRT_SWITCH_AUTO);
}

TEST(explicit_fields_win) {
    vrt_engine_options o;
    memset(&o, 0, sizeof(o));
    o.precision = VRT_PRECISION_FP16;
    o.graphs = VRT_SWITCH_ON;
    o.conv = VRT_CONV_CUDNN;
    o.pdl = VRT_SWITCH_OFF;
    o.profile_ops = VRT_SWITCH_ON;
    o.cache_dir = "/mine";
    char err[256] = "";
    ASSERT_OK(vrt__engine_options_apply_env(&o, err, sizeof(err)));
    ASSERT_EQ((int)o.precision, (int)VRT_PRECISION_FP16);
    ASSERT_EQ((int)o.graphs, (int)VRT_SWITCH_ON);
    ASSERT_EQ((int)o.conv, (int)VRT_CONV_CUDNN);
    ASSERT_EQ((int)o.pdl, (int)VRT_SWITCH_OFF);
    ASSERT_EQ((int)o.profile_ops, (int)VRT_SWITCH_ON);
    ASSERT_STREQ(o.cache_dir, "/mine");
}

TEST(reader_values_and_flags) {
    ASSERT_STREQ(vrt__env_get(VRT__ENV_CUDA_MATH), "fp32");
    ASSERT_EQ(vrt__env_flag(VRT__ENV_CUDA_GRAPHS), 0);
    ASSERT_EQ(vrt__env_flag(VRT__ENV_CUDA_PDL), 1);
    /* Set but empty counts as unset. */
    ASSERT_TRUE(vrt__env_get(VRT__ENV_PROFILE_OPS) == NULL);
    ASSERT_EQ(vrt__env_flag(VRT__ENV_PROFILE_OPS), -1);
    ASSERT_STREQ(vrt__env_name(VRT__ENV_CACHE_DIR), "VRT_CACHE_DIR");
    ASSERT_TRUE(vrt__env_get(VRT__ENV_COUNT) == NULL);
}

TEST(out_of_range_fields_refused) {
    vrt_engine_options o;
    memset(&o, 0, sizeof(o));
    o.spp_cascade = (vrt_switch)7;
    char err[256] = "";
    ASSERT_STATUS(vrt__engine_options_apply_env(&o, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "spp_cascade");
    memset(&o, 0, sizeof(o));
    o.precision = (vrt_precision)-1;
    ASSERT_STATUS(vrt__engine_options_apply_env(&o, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "precision");
}

/* ---- run in the child "bad": VRT_CUDA_MATH=half ---- */

TEST(bad_value_names_the_variable) {
    vrt_engine_options o;
    memset(&o, 0, sizeof(o));
    char err[256] = "";
    ASSERT_STATUS(vrt__engine_options_apply_env(&o, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "VRT_CUDA_MATH='half'");
    ASSERT_CONTAINS(err, "fp16, fp32, tf32 or auto");
    /* An explicit precision does not read the variable: no error. */
    o.precision = VRT_PRECISION_FP32;
    ASSERT_OK(vrt__engine_options_apply_env(&o, err, sizeof(err)));
}

TEST(engine_open_applies_the_overrides) {
    const char *model = vrt_test_data_or_skip("triples/mnist/model.onnx");
    char err[512] = "";
    vrt_engine_t *e = NULL;
    /* The cpu backend ignores the precision, but the engine checks the
     * environment before any backend sees it. */
    ASSERT_STATUS(vrt_engine_open(model, NULL, &e, err, sizeof(err)), VRT_EINVAL);
    ASSERT_TRUE(e == NULL);
    ASSERT_CONTAINS(err, "VRT_CUDA_MATH");
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.options.precision = VRT_PRECISION_FP32;
    ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
    vrt_engine_destroy(&e);
}

/* Runs this program again as `mode` with the VRT_ override variables replaced
 * by `vars`; returns its exit status (0 pass, 77 skipped, else failed). */
static int run_child(const char *self, const char *mode, const char *const *vars) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 16, sizeof(char *));
    if (!env) return 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "VRT_CUDA_", 9) && strncmp(environ[i], "VRT_CACHE_DIR=", 14) &&
            strncmp(environ[i], "VRT_PROFILE_OPS=", 16))
            env[k++] = environ[i];
    for (size_t i = 0; vars[i] && k < n + 15; i++)
        env[k++] = (char *)vars[i];
    env[k] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, (char *)mode, NULL};
        execve(self, argv, env);
        _exit(127);
    }
    free(env);
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws)) return 1;
    return WEXITSTATUS(ws);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "overrides")) {
        VRT_RUN(auto_fields_take_the_overrides);
        VRT_RUN(explicit_fields_win);
        VRT_RUN(reader_values_and_flags);
        VRT_RUN(out_of_range_fields_refused);
        return vrt_test_finish();
    }
    if (argc > 1 && !strcmp(argv[1], "bad")) {
        VRT_RUN(bad_value_names_the_variable);
        VRT_RUN(engine_open_applies_the_overrides);
        return vrt_test_finish();
    }
    static const char *const good[] = {"VRT_CUDA_MATH=fp32",
                                       "VRT_CUDA_GRAPHS=0",
                                       "VRT_CUDA_CONV=own",
                                       "VRT_CUDA_PDL=1",
                                       "VRT_PROFILE_OPS=",
                                       "VRT_CACHE_DIR=/nonexistent/vrt-cache",
                                       NULL};
    static const char *const bad[] = {"VRT_CUDA_MATH=half", NULL};
    const char *self = "/proc/self/exe";
    char path[4096];
    ssize_t len = readlink(self, path, sizeof(path) - 1);
    if (len > 0) {
        path[len] = 0;
        self = path;
    }
    int a = run_child(self, "overrides", good), b = run_child(self, "bad", bad);
    printf("children: overrides %d, bad value %d\n", a, b);
    if (a == 0 && (b == 0 || b == 77)) return 0;
    return 1;
}
