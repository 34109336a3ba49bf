/*
 * ONNX conformance runner: loads each test folder's model, feeds its
 * test_data_set_N/input_K.pb, runs the engine (CPU backend) and compares
 * every output_*.pb (floats: |got - want| <= atol + rtol * |want|, NaN ==
 * NaN; integers and bools exactly). Prints PASS / FAIL / SKIP(unsupported:
 * reason) per test and a summary.
 *
 *   vrt_onnx_runner node LIST EXPECTED_FAILURES MIN_PASS   node tests named in LIST
 *   vrt_onnx_runner dirs RTOL ATOL DIR...                   test folders (every one must pass)
 *   vrt_onnx_runner qdirs STEPS ATOL DIR...                 quantized models: 8-/16-bit ints within
 *                                                           STEPS quantization steps, floats within ATOL
 *   vrt_onnx_runner light                                   onnx/light/NAME.onnx vs NAME_output_0.pb
 *   vrt_onnx_runner extract                                 only extract the data (ctest fixture)
 *
 * The ONNX test data is extracted once from $VRT_DATA/onnx.tar.xz into the
 * current folder (the build tree); exit 77 (skip) when it is absent. DIR
 * arguments that start with "data:" are relative to $VRT_DATA, "onnx:" to
 * the extracted onnx/ folder.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"
#include "model/lowp.h"
#include "model/ir.h"
#include "onnx_data.h"
#include "vrt/engine.h"

#define MAXT 16

static char g_onnx[1024];

static const char *data_dir(void) {
    const char *d = getenv("VRT_DATA");
    return d && d[0] ? d : VRT_SOURCE_DIR "/../shared/data";
}

/* The archive is extracted once into <cwd>/onnx (the build tree's tests/
 * folder) by the shared helper (tests/lib/onnx_data.c: lock + marker), so
 * test order and ctest -j never matter; ctest runs `onnx_extract` first
 * as a fixture. */
static int onnx_root(void) {
    return vrt_test_onnx_root(g_onnx, sizeof(g_onnx)) != NULL;
}

typedef enum { R_PASS, R_FAIL, R_SKIP } result;

/* float, float16, double: compared with the tolerances (the engine computes
 * in fp32). bfloat16/float8/float4: compared by value, exactly (NaN == NaN,
 * whatever its bits). */
static int is_float(int dt) {
    return dt == VRT__DT_FLOAT || dt == VRT__DT_FLOAT16 || dt == VRT__DT_DOUBLE;
}

static double elem_f(const vrt__tensor *t, int64_t i) {
    if (t->dtype == VRT__DT_FLOAT16) return vrt__half_to_float(((const uint16_t *)t->data)[i]);
    if (t->dtype == VRT__DT_DOUBLE) return ((const double *)t->data)[i];
    if (t->dtype == VRT__DT_BFLOAT16) return vrt__lowp_to_float(t->dtype, ((const uint16_t *)t->data)[i]);
    if (vrt__dtype_is_lowp_float(t->dtype))
        return vrt__lowp_to_float(t->dtype, ((const uint8_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}

/* qdirs: 8-/16-bit integer outputs may differ by this many steps (a
 * quantized model's rounding ties fall differently when two engines sum in
 * another order); 0 everywhere else. */
static int g_int_steps;

static int within_steps(const vrt__tensor *want, const void *got, int64_t i) {
    int32_t a, b;
    switch (want->dtype) {
    case VRT__DT_UINT8: a = ((const uint8_t *)got)[i], b = ((const uint8_t *)want->data)[i]; break;
    case VRT__DT_INT8: a = ((const int8_t *)got)[i], b = ((const int8_t *)want->data)[i]; break;
    case VRT__DT_UINT16: a = ((const uint16_t *)got)[i], b = ((const uint16_t *)want->data)[i]; break;
    case VRT__DT_INT16: a = ((const int16_t *)got)[i], b = ((const int16_t *)want->data)[i]; break;
    default: return 0;
    }
    return abs(a - b) <= g_int_steps;
}

/* Compares got (bytes of dtype want->dtype) with want. */
static int compare(const vrt__tensor *want, const void *got, double rtol, double atol, char *why,
                   size_t cap) {
    int64_t n = vrt__shape_numel(&want->shape);
    if (vrt__dtype_is_lowp_float(want->dtype)) rtol = 0, atol = 0;
    if (is_float(want->dtype) || vrt__dtype_is_lowp_float(want->dtype)) {
        vrt__tensor g = *want;
        g.data = (void *)got;
        double worst = 0;
        int64_t bad = -1;
        for (int64_t i = 0; i < n; i++) {
            double a = elem_f(&g, i), b = elem_f(want, i);
            if (isnan(a) && isnan(b)) continue;
            if (isinf(b) && a == b) continue;
            double d = fabs(a - b);
            if (!(d <= atol + rtol * fabs(b))) {
                if (bad < 0 || !(d <= worst)) worst = d, bad = i;
            }
        }
        if (bad >= 0) {
            snprintf(why, cap, "element %lld: got %.7g, want %.7g (max abs diff %.3g)", (long long)bad,
                     elem_f(&g, bad), elem_f(want, bad), worst);
            return 0;
        }
        return 1;
    }
    size_t es = vrt__dtype_size(want->dtype);
    for (int64_t i = 0; i < n; i++)
        if (memcmp((const uint8_t *)got + i * es, (const uint8_t *)want->data + i * es, es) &&
            !(g_int_steps && within_steps(want, got, i))) {
            snprintf(why, cap, "element %lld differs (exact compare, %s)", (long long)i,
                     vrt__dtype_name(want->dtype));
            return 0;
        }
    return 1;
}

static int count_files(const char *dir, const char *prefix) {
    int n = 0;
    char p[1500];
    for (;;) {
        snprintf(p, sizeof(p), "%s/%s_%d.pb", dir, prefix, n);
        if (access(p, R_OK)) return n;
        n++;
    }
}

/* Runs one model file against its data sets (dirs of input_*.pb/output_*.pb).
 * For light/ networks sets is NULL and want_out is the single output file. */
static result run_model(const char *model, const char *testdir, const char *want_out, double rtol,
                        double atol, char *why, size_t cap, double *ms) {
    char set[1500], p[1700], err[2048] = "";
    vrt__tensor ins[MAXT], outs[MAXT];
    int nin = 0, nout = 0;
    result res = R_PASS;
    vrt_engine_t *e = NULL;
    vrt__ir *ir = NULL;
    memset(ins, 0, sizeof(ins));
    memset(outs, 0, sizeof(outs));
    snprintf(set, sizeof(set), "%s/test_data_set_0", testdir ? testdir : "");
    if (testdir) {
        nin = count_files(set, "input");
        nout = count_files(set, "output");
    } else {
        nout = 1;
    }
    if (nin > MAXT || nout > MAXT) {
        snprintf(why, cap, "unsupported: too many inputs/outputs");
        return R_SKIP;
    }
    for (int k = 0; k < nin; k++) {
        snprintf(p, sizeof(p), "%s/input_%d.pb", set, k);
        if (vrt__tensor_load_pb(p, &ins[k], err, sizeof(err))) {
            snprintf(why, cap, "unsupported: input %d: %s", k, err);
            res = R_SKIP;
            goto out;
        }
    }
    vrt__ir_params ip;
    memset(&ip, 0, sizeof(ip));
    vrt_status st = vrt__ir_load_onnx(model, &ip, &ir, err, sizeof(err));
    if (st == VRT_EUNSUPPORTED && strstr(err, "constant") && nin >= 1) {
        /* Node tests feed shapes/axes/pads as inputs: bind them as constants. */
        int from = strstr(err, "Range") || nin == 1 ? 0 : 1;
        ip.const_inputs = ins + from;
        ip.n_const_inputs = nin - from;
        st = vrt__ir_load_onnx(model, &ip, &ir, err, sizeof(err));
        if (st == VRT_EUNSUPPORTED &&
            strstr(err, "constant")) { /* the first input is a parameter too (ConstantOfShape) */
            ip.const_inputs = ins;
            ip.n_const_inputs = nin;
            st = vrt__ir_load_onnx(model, &ip, &ir, err, sizeof(err));
        }
    }
    if (st) {
        snprintf(why, cap, "unsupported: %s", err);
        res = st == VRT_EUNSUPPORTED ? R_SKIP : R_FAIL;
        goto out;
    }
    if ((st = vrt__engine_open_ir(ir, NULL, &e, err, sizeof(err)))) {
        ir = NULL;
        snprintf(why, cap, "%s: %s", st == VRT_EUNSUPPORTED ? "unsupported" : "prepare failed", err);
        res = st == VRT_EUNSUPPORTED ? R_SKIP : R_FAIL;
        goto out;
    }
    ir = NULL;
    int ei = vrt_engine_num_inputs(e), eo = vrt_engine_num_outputs(e);
    vrt_engine_tensor tin[MAXT], tout[MAXT];
    void *bufs[MAXT] = {0};
    if (ei > MAXT || eo > MAXT) {
        snprintf(why, cap, "unsupported: too many inputs/outputs");
        res = R_SKIP;
        goto out;
    }
    for (int i = 0; i < ei; i++) {
        vrt_model_tensor_info info;
        vrt_engine_input_info(e, i, &info);
        int k = -1;
        for (int q = 0; q < nin && k < 0; q++)
            if (ins[q].name && !strcmp(ins[q].name, info.name)) k = q;
        if (k < 0 && i < nin) k = i;
        if (k < 0 && !testdir && nin < MAXT) {
            /* light/ networks ship no input: their reference outputs are for zeros. */
            k = nin++;
            ins[k].dtype = (vrt__dtype)info.dtype;
            ins[k].shape.ndim = info.ndim;
            for (int q = 0; q < info.ndim; q++)
                ins[k].shape.d[q] = info.dims[q];
            ins[k].nbytes = (size_t)vrt__shape_numel(&ins[k].shape) * vrt__dtype_size(ins[k].dtype);
            ins[k].data = vrt_calloc(1, ins[k].nbytes + 1);
            if (!ins[k].data) {
                snprintf(why, cap, "out of memory");
                res = R_FAIL;
                goto out;
            }
        }
        if (k < 0) {
            snprintf(why, cap, "no test data for input '%s'", info.name);
            res = R_FAIL;
            goto out;
        }
        tin[i].data = ins[k].data;
        tin[i].dtype = ins[k].dtype;
        tin[i].nbytes = ins[k].nbytes;
    }
    int sets = 0;
    for (int si = 0;; si++) {
        if (testdir) {
            snprintf(set, sizeof(set), "%s/test_data_set_%d", testdir, si);
            if (access(set, R_OK)) break;
            if (si > 0) { /* reload inputs of this set (same names/order) */
                for (int i = 0; i < ei; i++) {
                    int k = -1;
                    vrt_model_tensor_info info;
                    vrt_engine_input_info(e, i, &info);
                    for (int q = 0; q < nin && k < 0; q++)
                        if (ins[q].name && !strcmp(ins[q].name, info.name)) k = q;
                    if (k < 0) k = i;
                    vrt__tensor_free(&ins[k]);
                    snprintf(p, sizeof(p), "%s/input_%d.pb", set, k);
                    if (vrt__tensor_load_pb(p, &ins[k], err, sizeof(err))) {
                        snprintf(why, cap, "%s: %s", p, err);
                        res = R_FAIL;
                        goto out;
                    }
                    tin[i].data = ins[k].data, tin[i].dtype = ins[k].dtype, tin[i].nbytes = ins[k].nbytes;
                }
            }
        } else if (si > 0) {
            break;
        }
        for (int k = 0; k < nout; k++) {
            vrt__tensor_free(&outs[k]);
            if (testdir)
                snprintf(p, sizeof(p), "%s/output_%d.pb", set, k);
            else
                snprintf(p, sizeof(p), "%s", want_out);
            if (vrt__tensor_load_pb(p, &outs[k], err, sizeof(err))) {
                snprintf(why, cap, "unsupported: output %d: %s", k, err);
                res = R_SKIP;
                goto out;
            }
        }
        int no = nout < eo ? nout : eo;
        for (int k = 0; k < no; k++) {
            vrt_free(bufs[k]);
            bufs[k] = vrt_malloc(outs[k].nbytes + 8);
            tout[k].data = bufs[k];
            tout[k].dtype = outs[k].dtype;
            tout[k].nbytes = outs[k].nbytes;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        st = vrt_engine_run(e, tin, ei, tout, no);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (ms) *ms += (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (st) {
            snprintf(why, cap, "run failed: %s", vrt_engine_last_error(e));
            res = R_FAIL;
            for (int k = 0; k < no; k++)
                vrt_free(bufs[k]);
            goto out;
        }
        for (int k = 0; k < no && res == R_PASS; k++) {
            char w[400];
            if (!compare(&outs[k], bufs[k], rtol, atol, w, sizeof(w))) {
                snprintf(why, cap, "set %d output %d: %s", si, k, w);
                res = R_FAIL;
            }
        }
        sets++;
        if (res != R_PASS) break;
    }
    for (int k = 0; k < MAXT; k++)
        vrt_free(bufs[k]);
    if (res == R_PASS && sets == 0) {
        snprintf(why, cap, "no test data sets");
        res = R_FAIL;
    }
out:
    vrt_engine_destroy(&e);
    vrt__ir_destroy(&ir);
    for (int k = 0; k < MAXT; k++)
        vrt__tensor_free(&ins[k]), vrt__tensor_free(&outs[k]);
    return res;
}

static const char *model_in(const char *dir, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/model.onnx", dir);
    if (!access(buf, R_OK)) return buf;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *e;
    const char *r = NULL;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".onnx")) {
            snprintf(buf, cap, "%s/%s", dir, e->d_name);
            r = buf;
            break;
        }
    }
    closedir(d);
    return r;
}

/* Expected-failure list: "name<space>reason" per line, '#' comments. */
typedef struct xfail {
    char name[128];
    int hit;
} xfail;

static int load_xfail(const char *path, xfail *x, int cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f) && n < cap) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char name[128];
        if (sscanf(line, "%127s", name) != 1) continue;
        snprintf(x[n].name, sizeof(x[n].name), "%s", name);
        x[n++].hit = 0;
    }
    fclose(f);
    return n;
}

static int mode_node(const char *list, const char *xf, double min_pass) {
    static xfail xs[1024];
    int nx = load_xfail(xf, xs, 1024);
    if (nx < 0) {
        fprintf(stderr, "cannot read %s\n", xf);
        return 1;
    }
    FILE *f = fopen(list, "r");
    if (!f) {
        printf("SKIP: no test list %s\n", list);
        return 77;
    }
    char line[256];
    int total = 0, pass = 0, fail = 0, skip = 0, unlisted = 0, xpass = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        total++;
        char dir[1400], model[1600], why[2400] = "";
        snprintf(dir, sizeof(dir), "%s/node/%s", g_onnx, line);
        result r = model_in(dir, model, sizeof(model))
                       ? run_model(model, dir, NULL, 1e-3, 1e-4, why, sizeof(why), NULL)
                       : R_SKIP;
        int listed = -1;
        for (int i = 0; i < nx; i++)
            if (!strcmp(xs[i].name, line)) listed = i;
        if (listed >= 0) xs[listed].hit = 1;
        if (r == R_PASS) {
            pass++;
            printf("PASS %s\n", line);
            if (listed >= 0) {
                xpass++;
                printf("  warning: %s is listed in expected_failures.txt but passes\n", line);
            }
        } else {
            if (r == R_FAIL)
                fail++;
            else
                skip++;
            printf("%s %s: %.600s%s\n", r == R_FAIL ? "FAIL" : "SKIP", line, why,
                   listed >= 0 ? " (expected)" : " (NOT LISTED)");
            if (listed < 0) unlisted++;
        }
    }
    fclose(f);
    double rate = total ? (double)pass / total : 0;
    printf("summary: %d tests, %d pass, %d fail, %d skip (unsupported); pass rate %.1f%% (need %.1f%%); %d "
           "failures not in "
           "expected_failures.txt; %d listed but passing\n",
           total, pass, fail, skip, 100 * rate, 100 * min_pass, unlisted, xpass);
    /* The list must be exact: a listed test that passes fails the run too. */
    return rate >= min_pass && unlisted == 0 && xpass == 0 ? 0 : 1;
}

static void resolve_dir(const char *arg, char *out, size_t cap) {
    if (!strncmp(arg, "data:", 5))
        snprintf(out, cap, "%s/%s", data_dir(), arg + 5);
    else if (!strncmp(arg, "onnx:", 5))
        snprintf(out, cap, "%s/%s", g_onnx, arg + 5);
    else
        snprintf(out, cap, "%s", arg);
}

static int mode_dirs(double rtol, double atol, int argc, char **argv) {
    int pass = 0, bad = 0, run = 0;
    for (int i = 0; i < argc; i++) {
        char dir[1400], model[1600], why[2400] = "";
        resolve_dir(argv[i], dir, sizeof(dir));
        if (access(dir, R_OK)) {
            printf("SKIP %s: not found\n", dir);
            continue;
        }
        run++;
        double ms = 0;
        result r = model_in(dir, model, sizeof(model))
                       ? run_model(model, dir, NULL, rtol, atol, why, sizeof(why), &ms)
                       : R_SKIP;
        if (r == R_PASS)
            pass++, printf("PASS %s (%.1f ms in run)\n", argv[i], ms);
        else
            bad++, printf("%s %s: %s\n", r == R_FAIL ? "FAIL" : "SKIP", argv[i], why);
    }
    printf("summary: %d run, %d pass, %d not passing\n", run, pass, bad);
    if (!run) return 77;
    return bad ? 1 : 0;
}

static int mode_light(void) {
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s/light", g_onnx);
    DIR *d = opendir(dir);
    if (!d) return 77;
    struct dirent *e;
    int pass = 0, bad = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".onnx")) continue;
        char model[1500], want[1500], why[2400] = "";
        snprintf(model, sizeof(model), "%s/%s", dir, e->d_name);
        snprintf(want, sizeof(want), "%s/%.*s_output_0.pb", dir, (int)(l - 5), e->d_name);
        double ms = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        result r = run_model(model, NULL, want, 1e-3, 1e-4, why, sizeof(why), &ms);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double total = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (r == R_PASS)
            pass++, printf("PASS %s (run %.0f ms, total %.0f ms)\n", e->d_name, ms, total);
        else
            bad++, printf("%s %s: %s\n", r == R_FAIL ? "FAIL" : "SKIP", e->d_name, why);
        fflush(stdout);
    }
    closedir(d);
    printf("summary: %d light networks pass, %d do not\n", pass, bad);
    return bad || !pass ? 1 : 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr,
                "usage: %s node LIST XFAIL MIN | dirs RTOL ATOL DIR... | qdirs STEPS ATOL DIR... | light\n",
                argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "extract")) {
        /* The ctest fixture: extracts when the archive is there. Always 0, so
         * the tests that need the data still run (and skip themselves). */
        if (!onnx_root()) printf("onnx.tar.xz not extracted (absent or failed): %s\n", data_dir());
        return 0;
    }
    int need_onnx = strcmp(argv[1], "dirs") != 0 && strcmp(argv[1], "qdirs") != 0;
    for (int i = 4; !need_onnx && i < argc; i++)
        need_onnx = !strncmp(argv[i], "onnx:", 5);
    if (!onnx_root()) {
        if (need_onnx) {
            printf("SKIP: %s/onnx.tar.xz not found (set VRT_DATA)\n", data_dir());
            return 77;
        }
    }
    if (!strcmp(argv[1], "node") && argc >= 5) {
        char list[1400];
        resolve_dir(argv[2], list, sizeof(list));
        return mode_node(list, argv[3], atof(argv[4]));
    }
    if (!strcmp(argv[1], "dirs") && argc >= 5)
        return mode_dirs(atof(argv[2]), atof(argv[3]), argc - 4, argv + 4);
    if (!strcmp(argv[1], "qdirs") && argc >= 5) {
        g_int_steps = atoi(argv[2]);
        return mode_dirs(0, atof(argv[3]), argc - 4, argv + 4);
    }
    if (!strcmp(argv[1], "light")) return mode_light();
    fprintf(stderr, "bad arguments\n");
    return 2;
}
