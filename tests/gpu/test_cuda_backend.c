/*
 * CUDA backend tests (label gpu; exit 77 without a GPU):
 *  - ONNX node conformance: every test of onnx-index/cnn_op_tests.txt that
 *    the CPU backend passes must also pass on CUDA (same tolerances as the
 *    conformance runner: rtol 1e-3, atol 1e-4; ints exact);
 *  - SqueezeNet fp16 and YOLOX-Nano reproduce test_data_set_* and match the
 *    CPU backend;
 *  - CUDA graph replay vs eager: bit-identical outputs, over several runs
 *    with different inputs;
 *  - the cuDNN algorithm cache is written, then reused (same choices, no
 *    timing on the second prepare).
 */
#include <math.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/backend/cuda/cuda_inspect.h"
#include "harness.h"
#include "model/internal.h"
#include "model/ir.h"
#include "model/plan.h"
#include "vrt/engine.h"

#define MAXT 16

static int is_float(int dt) {
    return dt == VRT__DT_FLOAT || dt == VRT__DT_FLOAT16;
}

static double elem_f(int dt, const void *p, int64_t i) {
    if (dt == VRT__DT_FLOAT16) return vrt__half_to_float(((const uint16_t *)p)[i]);
    return ((const float *)p)[i];
}

/* 1 when got (dtype of want) matches want within atol + rtol*|want|. */
static int close_to(const vrt__tensor *want, const void *got, double rtol, double atol, double *worst) {
    int64_t n = vrt__shape_numel(&want->shape);
    *worst = 0;
    if (is_float(want->dtype)) {
        int ok = 1;
        for (int64_t i = 0; i < n; i++) {
            double a = elem_f(want->dtype, got, i), b = elem_f(want->dtype, want->data, i);
            if (isnan(a) && isnan(b)) continue;
            if (isinf(b) && a == b) continue;
            double d = fabs(a - b);
            if (!(d <= atol + rtol * fabs(b))) ok = 0;
            if (!(d <= *worst)) *worst = d;
        }
        return ok;
    }
    return memcmp(got, want->data, (size_t)n * vrt__dtype_size(want->dtype)) == 0;
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

/* Loads the model like the conformance runner (parameter inputs bound as
 * constants when the loader asks for it). */
static vrt_status load_ir(const char *model, vrt__tensor *ins, int nin, vrt__ir **ir, char *err, size_t cap) {
    vrt__ir_params ip;
    memset(&ip, 0, sizeof(ip));
    vrt_status st = vrt__ir_load_onnx(model, &ip, ir, err, cap);
    if (st == VRT_EUNSUPPORTED && strstr(err, "constant") && nin > 1) {
        ip.const_inputs = ins + (strstr(err, "Range") ? 0 : 1);
        ip.n_const_inputs = nin - (strstr(err, "Range") ? 0 : 1);
        st = vrt__ir_load_onnx(model, &ip, ir, err, cap);
    }
    return st;
}

typedef struct run_result {
    int ok;    /* ran */
    int match; /* every output matched the reference */
    void *out[MAXT];
    size_t nbytes[MAXT];
    int nout;
    double worst;
    int refused; /* the engine refused the model's element types on this backend */
    char why[600];
} run_result;

/* CUDA math for run_set (fp32 unless a test says otherwise) and the other
 * engine options every run_set and bk_open uses (main() reruns tests with
 * some of them changed). */
static vrt_precision g_precision = VRT_PRECISION_FP32;
static vrt_engine_options g_opt;
/* Math of bk_open (main() reruns a test with fp16). */
static vrt_precision g_bk_precision = VRT_PRECISION_FP32;

static void result_free(run_result *r) {
    for (int k = 0; k < MAXT; k++)
        vrt_free(r->out[k]);
    memset(r, 0, sizeof(*r));
}

/* Runs data set `set` of a test folder on `backend`; outputs kept in r. */
static void run_set(const char *model, const char *setdir, const char *backend, double rtol, double atol,
                    run_result *r) {
    memset(r, 0, sizeof(*r));
    vrt__tensor ins[MAXT], outs[MAXT];
    memset(ins, 0, sizeof(ins));
    memset(outs, 0, sizeof(outs));
    char p[1700], err[2048] = "";
    int nin = count_files(setdir, "input"), nout = count_files(setdir, "output");
    vrt__ir *ir = NULL;
    vrt_engine_t *e = NULL;
    if (nin > MAXT || nout > MAXT) goto out;
    for (int k = 0; k < nin; k++) {
        snprintf(p, sizeof(p), "%s/input_%d.pb", setdir, k);
        if (vrt__tensor_load_pb(p, &ins[k], err, sizeof(err))) goto out;
    }
    for (int k = 0; k < nout; k++) {
        snprintf(p, sizeof(p), "%s/output_%d.pb", setdir, k);
        if (vrt__tensor_load_pb(p, &outs[k], err, sizeof(err))) goto out;
    }
    if (load_ir(model, ins, nin, &ir, err, sizeof(err))) {
        snprintf(r->why, sizeof(r->why), "load: %s", err);
        goto out;
    }
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = backend;
    ep.threads = 2;
    ep.options = g_opt;
    ep.options.precision = g_precision;
    vrt_status st = vrt__engine_open_ir(ir, &ep, &e, err, sizeof(err));
    ir = NULL;
    if (st) {
        /* engine.c: "... has data type X, which the cuda backend does not support; the cpu backend does" */
        /* backend_cuda.c: "node '...' (Op, opset N): data type X is not supported by the CUDA backend;
         * supported: ..." */
        r->refused = st == VRT_EUNSUPPORTED &&
                     ((strstr(err, "which the") && strstr(err, "backend does not support")) ||
                      strstr(err, "is not supported by the CUDA backend; supported:") ||
                      strstr(err, "mixed input types"));
        snprintf(r->why, sizeof(r->why), "open: %s", err);
        goto out;
    }
    int ei = vrt_engine_num_inputs(e), eo = vrt_engine_num_outputs(e);
    if (ei > MAXT || eo > MAXT) goto out;
    vrt_engine_tensor tin[MAXT], tout[MAXT];
    for (int i = 0; i < ei; i++) {
        vrt_model_tensor_info info;
        vrt_engine_input_info(e, i, &info);
        int k = -1;
        for (int q = 0; q < nin && k < 0; q++)
            if (ins[q].name && !strcmp(ins[q].name, info.name)) k = q;
        if (k < 0 && i < nin) k = i;
        if (k < 0) goto out;
        tin[i].data = ins[k].data, tin[i].dtype = ins[k].dtype, tin[i].nbytes = ins[k].nbytes;
    }
    int no = nout < eo ? nout : eo;
    for (int k = 0; k < no; k++) {
        r->out[k] = vrt_malloc(outs[k].nbytes + 8);
        r->nbytes[k] = outs[k].nbytes;
        tout[k].data = r->out[k], tout[k].dtype = outs[k].dtype, tout[k].nbytes = outs[k].nbytes;
    }
    r->nout = no;
    if ((st = vrt_engine_run(e, tin, ei, tout, no))) {
        snprintf(r->why, sizeof(r->why), "run: %s", vrt_engine_last_error(e));
        goto out;
    }
    r->ok = 1;
    r->match = no > 0;
    for (int k = 0; k < no; k++) {
        double w;
        if (!close_to(&outs[k], r->out[k], rtol, atol, &w)) {
            r->match = 0;
            snprintf(r->why, sizeof(r->why), "output %d differs (max abs diff %.3g)", k, w);
        }
        if (w > r->worst) r->worst = w;
    }
out:
    vrt_engine_destroy(&e);
    vrt__ir_destroy(&ir);
    for (int k = 0; k < MAXT; k++)
        vrt__tensor_free(&ins[k]), vrt__tensor_free(&outs[k]);
}

static const char *data_dir(void) {
    const char *d = getenv("VRT_DATA");
    return d && d[0] ? d : VRT_SOURCE_DIR "/../shared/data";
}

/* Extracts onnx.tar.xz into ./onnx once; returns the node folder or NULL. */
static const char *onnx_node_dir(void) {
    static char dir[1200];
    char cwd[800], tar[1100], cmd[4000];
    struct stat st;
    if (!getcwd(cwd, sizeof(cwd))) return NULL;
    snprintf(dir, sizeof(dir), "%s/onnx/node", cwd);
    char mark[1300];
    snprintf(mark, sizeof(mark), "%s/onnx/.extracted", cwd);
    if (stat(mark, &st) == 0) return dir;
    snprintf(tar, sizeof(tar), "%s/onnx.tar.xz", data_dir());
    if (access(tar, R_OK)) return NULL;
    snprintf(cmd, sizeof(cmd), "tar xJf '%s' -C '%s' && touch '%s'", tar, cwd, mark);
    return system(cmd) == 0 ? dir : NULL;
}

/* Every ONNX node test the CPU backend passes must pass on CUDA: no refusal
 * is accepted. That includes the element types the engine holds in a wider
 * type (model/lowp.h: double, bfloat16, float8/float4 as fp32,
 * 4-/2-bit ints as int8/uint8), which the CUDA backend converts at its
 * boundary with the CPU's functions and casts with the same rounding
 * (vrt__cuda_cast_node). */
TEST(node_tests_cpu_passes_cuda_passes) {
    const char *list = vrt_test_data_or_skip("onnx-index/cnn_op_tests.txt");
    const char *node = onnx_node_dir();
    if (!node) vrt_test_skip("onnx.tar.xz not found under %s", data_dir());
    FILE *f = fopen(list, "r");
    ASSERT_TRUE(f != NULL);
    char name[256];
    int n = 0, cpu_pass = 0, cuda_pass = 0, bad = 0;
    g_precision =
        VRT_PRECISION_FP32; /* node tests stay fp32 (an earlier failed fp16 test may have left it set) */
    while (fscanf(f, "%255s", name) == 1) {
        char dir[1500], model[1600], set[1600];
        snprintf(dir, sizeof(dir), "%s/%s", node, name);
        snprintf(model, sizeof(model), "%s/model.onnx", dir);
        snprintf(set, sizeof(set), "%s/test_data_set_0", dir);
        if (access(model, R_OK)) continue;
        n++;
        run_result rc, rg;
        run_set(model, set, "cpu", 1e-3, 1e-4, &rc);
        if (!rc.match) {
            result_free(&rc);
            continue;
        }
        cpu_pass++;
        run_set(model, set, "cuda", 1e-3, 1e-4, &rg);
        if (rg.match) {
            cuda_pass++;
        } else if (rg.refused) {
            /* The CPU runs it, so the CUDA backend must too. */
            bad++;
            printf("  CUDA FAIL %s: refused: %s\n", name, rg.why);
        } else {
            bad++;
            printf("  CUDA FAIL %s: %s\n", name, rg.why);
        }
        result_free(&rc);
        result_free(&rg);
    }
    fclose(f);
    printf("  node tests: %d listed, CPU passes %d, CUDA passes %d of those, %d failed\n", n, cpu_pass,
           cuda_pass, bad);
    ASSERT_EQ(cuda_pass, cpu_pass);
    ASSERT_TRUE(cpu_pass > 0);
    ASSERT_EQ(bad, 0);
}

static const char *data_dir(void);

static void model_sets(const char *rel, double rtol, double atol, double cpu_rtol, double cpu_tol) {
    const char *mdir = vrt_test_data_or_skip(rel);
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    int sets = 0;
    for (int si = 0;; si++) {
        char set[1300];
        snprintf(set, sizeof(set), "%s/test_data_set_%d", mdir, si);
        if (access(set, R_OK)) break;
        run_result rg, rc;
        run_set(model, set, "cuda", rtol, atol, &rg);
        if (!rg.ok) printf("  %s: %s\n", set, rg.why);
        ASSERT_TRUE(rg.ok);
        printf("  %s set %d: CUDA max abs diff vs reference %.3g\n", rel, si, rg.worst);
        if (!rg.match) printf("  %s\n", rg.why);
        ASSERT_TRUE(rg.match);
        /* Against the CPU backend on the same input. */
        run_set(model, set, "cpu", rtol, atol, &rc);
        ASSERT_TRUE(rc.ok);
        ASSERT_EQ(rc.nout, rg.nout);
        for (int k = 0; k < rg.nout; k++) {
            vrt__tensor t;
            memset(&t, 0, sizeof(t));
            /* Compare the two backends: both fp32 or both fp16 at the boundary. */
            t.dtype = rel[strlen(rel) - 1] == '6' ? VRT__DT_FLOAT16 : VRT__DT_FLOAT;
            t.shape.ndim = 1;
            t.shape.d[0] = (int64_t)(rc.nbytes[k] / vrt__dtype_size(t.dtype));
            t.data = rc.out[k];
            double w;
            int ok = close_to(&t, rg.out[k], cpu_rtol, cpu_tol, &w);
            printf("  %s set %d output %d: CUDA vs CPU max abs diff %.3g\n", rel, si, k, w);
            ASSERT_TRUE(ok);
        }
        result_free(&rg);
        result_free(&rc);
        sets++;
    }
    ASSERT_TRUE(sets > 0);
}

TEST(squeezenet_fp16_reference_and_cpu) {
    g_precision = VRT_PRECISION_FP32;
    model_sets("models/squeezenet1.0_fp16", 0, 1e-3, 0, 1e-3);
}
TEST(yolox_nano_reference_and_cpu) {
    g_precision = VRT_PRECISION_FP32;
    /* CUDA vs CPU: each is within (1e-3, 1e-4) of the reference, so they may differ by twice that
     * (fp32 summation orders differ with the timed algorithm choices: 1.7e-4 seen on an H100). */
    model_sets("models/yolox_nano", 1e-3, 1e-4, 2e-3, 2e-4);
}

/* fp16 NHWC storage (precision FP16): conv chains held in fp16 with fp32
 * accumulation. Documented tolerances: SqueezeNet (softmax probabilities, fp16
 * at the boundary) atol 4e-3 against the reference and the fp32 CPU backend;
 * YOLOX-Nano raw head outputs (box terms up to ~1e2, logits) rtol 3e-2 +
 * atol 3e-2: fp16 rounding (2^-11 relative) compounds over ~80 layers. */
TEST(squeezenet_fp16_storage) {
    g_precision = VRT_PRECISION_FP16;
    model_sets("models/squeezenet1.0_fp16", 0, 4e-3, 0, 4e-3);
    g_precision = VRT_PRECISION_FP32;
}
/* YOLOX-Nano in fp16 NHWC against the reference (onnxruntime fp32). The
 * max difference over ALL anchors is large (~0.65 on box terms of
 * background anchors) and is fp16 precision, not a bug: an fp16 emulation of
 * the model in onnxruntime (bench/gpu/fp16_emulate.py: weights and every
 * tensor our fp16 path holds rounded to fp16, fp32 arithmetic) differs from
 * fp32 by 0.56 / 0.53 / 0.54 on sets 0-2 (PyTorch-style model.half():
 * 0.55 / 0.47 / 0.44), in the same places. What detection needs stays
 * close: on the anchors that can become detections (obj * best class >=
 * 0.3) the emulation's box terms move by <= 0.014 grid cells and the score
 * by <= 0.023. Tolerances here: about 4x the emulation's (box 0.06, score
 * 0.06 on scoring anchors; obj/class 0.2 and box 1.5 on all anchors). */
TEST(yolox_nano_fp16_storage) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    int sets = 0;
    for (int si = 0;; si++) {
        char set[1300], p[1400], err[1024] = "";
        snprintf(set, sizeof(set), "%s/test_data_set_%d", mdir, si);
        if (access(set, R_OK)) break;
        vrt__tensor want;
        memset(&want, 0, sizeof(want));
        snprintf(p, sizeof(p), "%s/output_0.pb", set);
        ASSERT_OK(vrt__tensor_load_pb(p, &want, err, sizeof(err)));
        ASSERT_EQ((int)want.dtype, (int)VRT__DT_FLOAT);
        run_result rg;
        g_precision = VRT_PRECISION_FP16;
        run_set(model, set, "cuda", 1e9, 1e9, &rg); /* tolerances below */
        g_precision = VRT_PRECISION_FP32;
        if (!rg.ok) printf("  %s: %s\n", set, rg.why);
        ASSERT_TRUE(rg.ok);
        int64_t rows = (int64_t)(want.nbytes / 4 / 85);
        ASSERT_TRUE(rows > 0);
        const float *w = want.data, *g = rg.out[0];
        double box_all = 0, oc_all = 0, box_hot = 0, score_hot = 0;
        int hot = 0;
        for (int64_t a = 0; a < rows; a++) {
            const float *x = w + a * 85, *y = g + a * 85;
            float cw = 0, cg = 0;
            for (int k = 5; k < 85; k++)
                cw = x[k] > cw ? x[k] : cw, cg = y[k] > cg ? y[k] : cg;
            for (int k = 0; k < 85; k++) {
                double d = fabs((double)x[k] - y[k]);
                if (k < 4)
                    box_all = d > box_all ? d : box_all;
                else
                    oc_all = d > oc_all ? d : oc_all;
            }
            if (x[4] * cw >= 0.3f) {
                hot++;
                for (int k = 0; k < 4; k++)
                    box_hot = fmax(box_hot, fabs((double)x[k] - y[k]));
                score_hot = fmax(score_hot, fabs((double)x[4] * cw - (double)y[4] * cg));
            }
        }
        printf("  yolox fp16 set %d: all anchors: box %.3g obj/class %.3g; %d scoring anchors: box %.3g "
               "score %.3g\n",
               si, box_all, oc_all, hot, box_hot, score_hot);
        ASSERT_TRUE(hot > 0);
        ASSERT_TRUE(box_hot <= 0.06);
        ASSERT_TRUE(score_hot <= 0.06);
        ASSERT_TRUE(oc_all <= 0.2);
        ASSERT_TRUE(box_all <= 1.5);
        result_free(&rg);
        vrt__tensor_free(&want);
        sets++;
    }
    ASSERT_TRUE(sets > 0);
}

/* ---- backend-level helpers (graph and cache tests need the context) ---- */

typedef struct bk {
    vrt__ir *ir;
    vrt__plan *plan;
    void *ctx;
} bk;

static void bk_open_o(bk *b, const char *model, const vrt_engine_options *opt) {
    char err[1024] = "";
    memset(b, 0, sizeof(*b));
    ASSERT_OK(vrt__ir_load_onnx(model, NULL, &b->ir, err, sizeof(err)));
    vrt__pass_opts po;
    vrt__pass_default_opts(&po);
    ASSERT_OK(vrt__passes_run(b->ir, &po, NULL, err, sizeof(err)));
    ASSERT_OK(vrt__plan_build(b->ir, &b->plan, err, sizeof(err)));
    vrt__backend_params bp = {.threads = 0, .device = 0, .opt = *opt};
    vrt_status st = vrt__backend_cuda.prepare(b->ir, b->plan, &bp, &b->ctx, err, sizeof(err));
    if (st) printf("  prepare: %s\n", err);
    ASSERT_OK(st);
}

static void bk_open_p(bk *b, const char *model, vrt_precision precision) {
    vrt_engine_options o = g_opt;
    o.precision = precision;
    bk_open_o(b, model, &o);
}

/* g_bk_precision: fp32 unless main() reruns a test in fp16. */
static void bk_open(bk *b, const char *model) {
    bk_open_p(b, model, g_bk_precision);
}

static void bk_close(bk *b) {
    if (b->ctx) vrt__backend_cuda.destroy(b->ctx);
    vrt__plan_destroy(&b->plan);
    vrt__ir_destroy(&b->ir);
}

/* One inference through the backend table; in/out fp32 of the given sizes. */
static void bk_infer(bk *b, const float *in, size_t in_bytes, float *out, size_t out_bytes) {
    ASSERT_OK(vrt__backend_cuda.set_input(b->ctx, 0, in, VRT__DT_FLOAT, in_bytes, NULL));
    ASSERT_OK(vrt__backend_cuda.run(b->ctx, NULL));
    ASSERT_OK(vrt__backend_cuda.get_output(b->ctx, 0, out, VRT__DT_FLOAT, out_bytes, NULL));
    ASSERT_OK(vrt__backend_cuda.sync(b->ctx, NULL));
}

TEST(graph_replay_is_bit_exact_with_eager) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    const size_t in_n = 3 * 416 * 416, out_n = 3549 * 85;
    float *in = vrt_malloc(in_n * 4), *a = vrt_malloc(out_n * 4), *g = vrt_malloc(out_n * 4),
          *first = vrt_malloc(out_n * 4);
    ASSERT_TRUE(in && a && g && first);
    bk eager, graph;
    /* One fresh algorithm cache for both engines: the graph engine reuses the
     * eager one's timed choices (under a sanitizer, timing them again can pick
     * another tile or algorithm, whose bits differ legitimately). */
    char dir[1200], cmd[1400];
    snprintf(dir, sizeof(dir), "%s/algo-cache-graph", vrt_test_tmpdir());
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
    vrt_engine_options o = g_opt;
    o.precision = g_bk_precision;
    o.cache_dir = dir;
    o.graphs = VRT_SWITCH_OFF;
    bk_open_o(&eager, model, &o);
    o.graphs = VRT_SWITCH_ON;
    bk_open_o(&graph, model, &o);
    uint32_t seed = 12345;
    for (int it = 0; it < 5; it++) {
        for (size_t i = 0; i < in_n; i++) {
            seed = seed * 1664525u + 1013904223u;
            in[i] = (float)(seed >> 8) / (float)(1u << 24) * 255.0f;
        }
        bk_infer(&eager, in, in_n * 4, a, out_n * 4);
        bk_infer(&graph, in, in_n * 4, g, out_n * 4);
        ASSERT_TRUE(memcmp(a, g, out_n * 4) == 0);
        if (it == 0)
            memcpy(first, g, out_n * 4);
        else
            ASSERT_TRUE(memcmp(first, g, out_n * 4) != 0); /* each replay saw its own input */
    }
    vrt__cuda_backend_stats sg, se;
    vrt__cuda_backend_info(graph.ctx, &sg);
    vrt__cuda_backend_info(eager.ctx, &se);
    if (!sg.graph_active) printf("  graph not active: %s\n", vrt__backend_cuda.last_error(graph.ctx));
    ASSERT_TRUE(sg.graph_active);
    ASSERT_TRUE(!se.graph_active);
    bk_close(&eager);
    bk_close(&graph);
    vrt_free(in), vrt_free(a), vrt_free(g), vrt_free(first);
}

TEST(algo_cache_written_then_reused) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500], dir[1200];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    snprintf(dir, sizeof(dir), "%s/algo-cache", vrt_test_tmpdir());
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
    vrt_engine_options o = g_opt;
    o.precision = g_bk_precision;
    o.cache_dir = dir;
    bk b1, b2;
    bk_open_o(&b1, model, &o);
    vrt__cuda_backend_stats s1, s2;
    vrt__cuda_backend_info(b1.ctx, &s1);
    int n = vrt__cuda_backend_n_engines(b1.ctx);
    ASSERT_TRUE(n > 0);
    ASSERT_TRUE(s1.cache_misses > 0); /* hits here: convs of the same shape as an earlier one */
    ASSERT_TRUE(access(s1.cache_path, R_OK) == 0);
    bk_open_o(&b2, model, &o);
    vrt__cuda_backend_info(b2.ctx, &s2);
    ASSERT_STREQ(s1.cache_path, s2.cache_path);
    ASSERT_EQ(s2.cache_misses, 0);
    ASSERT_EQ(s2.cache_hits, s1.cache_misses + s1.cache_hits);
    printf("  choose: %.1f ms timed, %.1f ms from cache (%s)\n", s1.choose_ms, s2.choose_ms, s1.cache_path);
    ASSERT_TRUE(s2.choose_ms < s1.choose_ms);
    /* Same choices: the lines differ only in the ", from cache" suffix. */
    ASSERT_EQ(vrt__cuda_backend_n_engines(b2.ctx), n);
    for (int i = 0; i < n; i++) {
        char l1[600], l2[600];
        ASSERT_TRUE(vrt__cuda_backend_engine(b1.ctx, i, l1, sizeof(l1)) != NULL);
        ASSERT_TRUE(vrt__cuda_backend_engine(b2.ctx, i, l2, sizeof(l2)) != NULL);
        if (i < 3) printf("  %s\n", l2);
        /* The first prepare also reads back choices it made for an earlier
         * conv of the same shape; the second reads every one. */
        char *suffix = strstr(l2, ", from cache");
        if (strstr(l1, "Conv")) ASSERT_TRUE(suffix != NULL);
        if (suffix) *suffix = 0;
        if ((suffix = strstr(l1, ", from cache"))) *suffix = 0;
        ASSERT_STREQ(l1, l2);
    }
    /* Both produce the same result. */
    const size_t in_n = 3 * 416 * 416, out_n = 3549 * 85;
    float *in = vrt_calloc(in_n, 4), *o1 = vrt_malloc(out_n * 4), *o2 = vrt_malloc(out_n * 4);
    for (size_t i = 0; i < in_n; i++)
        in[i] = (float)(i % 251);
    bk_infer(&b1, in, in_n * 4, o1, out_n * 4);
    bk_infer(&b2, in, in_n * 4, o2, out_n * 4);
    ASSERT_TRUE(memcmp(o1, o2, out_n * 4) == 0);
    vrt_free(in), vrt_free(o1), vrt_free(o2);
    bk_close(&b1);
    bk_close(&b2);
}

/* The fp16 NHWC plan's options on YOLOX-Nano. (1) Channel Concats stay fp16
 * NHWC (option half_concat, on by default), SPP max pools on our kernel as
 * a cascade of 5x5 pools: a Concat is a copy, fp16 -> fp32 -> fp16 is exact
 * and so is max pooling in any order, so with the same cuDNN algorithms
 * (read from the cache the first context wrote) the result is bit-identical
 * to (0): conversions around each Concat, cuDNN's pooling of each window. (2) The default plan
 * (in-place Concats written by our implicit-GEMM convs, own convs where they
 * are faster, fp16 Add/Resize/MaxPool) and (3) our conv for every conv
 * (conv = OWN) differ from (1) only by fp16 rounding in other kernels. */
static int count_engines(void *ctx, const char *what) {
    int k = 0;
    char l[800];
    for (int i = 0; i < vrt__cuda_backend_n_engines(ctx); i++)
        if (vrt__cuda_backend_engine(ctx, i, l, sizeof(l)) && strstr(l, what)) k++;
    return k;
}

static vrt_engine_options plan_opts(const char *dir, vrt_switch half_concat, vrt_switch in_place,
                                    vrt_conv_impl conv) {
    vrt_engine_options o = g_opt;
    o.precision = VRT_PRECISION_FP16;
    o.cache_dir = dir;
    o.half_concat = half_concat;
    o.concat_in_place = in_place;
    o.conv = conv;
    return o;
}

TEST(fp16_plan_options_agree) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500], dir[1200], cmd[1400];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    snprintf(dir, sizeof(dir), "%s/algo-cache-hcat", vrt_test_tmpdir());
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
    bk b[4];
    vrt_engine_options opt = plan_opts(dir, VRT_SWITCH_OFF, VRT_SWITCH_OFF, VRT_CONV_CUDNN);
    opt.own_maxpool = VRT_SWITCH_OFF; /* and the SPP pools on cuDNN, each on its own input */
    opt.spp_cascade = VRT_SWITCH_OFF;
    opt.focus = VRT_SWITCH_OFF;
    bk_open_o(&b[0], model, &opt);
    opt.half_concat = VRT_SWITCH_ON;
    bk_open_o(&b[1], model, &opt);
    opt = plan_opts(dir, VRT_SWITCH_ON, VRT_SWITCH_ON, VRT_CONV_AUTO);
    bk_open_o(&b[2], model, &opt);
    opt = plan_opts(dir, VRT_SWITCH_ON, VRT_SWITCH_ON, VRT_CONV_OWN);
    bk_open_o(&b[3], model, &opt);
    vrt__cuda_backend_stats s1;
    vrt__cuda_backend_info(b[1].ctx, &s1);
    int conv[4], own[4], inplace[4];
    for (int k = 0; k < 4; k++) {
        conv[k] = count_engines(b[k].ctx, "conversion");
        own[k] = count_engines(b[k].ctx, "): own igemm");
        inplace[k] = count_engines(b[k].ctx, "in-place Concat");
    }
    printf("  convs with layout conversions: %d / %d / %d / %d; own igemm convs: %d / %d / %d / %d; writing "
           "in-place Concats: %d / %d\n",
           conv[0], conv[1], conv[2], conv[3], own[0], own[1], own[2], own[3], inplace[2], inplace[3]);
    ASSERT_TRUE(conv[1] < conv[0]);
    ASSERT_EQ(own[0] + own[1], 0);
    ASSERT_TRUE(inplace[2] > 0 && inplace[2] == inplace[3]);
    ASSERT_EQ(count_engines(b[2].ctx, "reads the Focus slices"), 1);
    ASSERT_EQ(count_engines(b[0].ctx, "reads the Focus slices"), 0);
    ASSERT_EQ(own[3], count_engines(b[3].ctx, "Conv") - count_engines(b[3].ctx, "own depthwise kernel"));
    const size_t in_n = 3 * 416 * 416, out_n = 3549 * 85;
    float *in = vrt_malloc(in_n * 4), *o[4];
    ASSERT_TRUE(in != NULL);
    uint32_t seed = 777;
    for (size_t i = 0; i < in_n; i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = (float)(seed >> 8) / (float)(1u << 24) * 255.0f;
    }
    for (int k = 0; k < 4; k++) {
        o[k] = vrt_malloc(out_n * 4);
        ASSERT_TRUE(o[k] != NULL);
        bk_infer(&b[k], in, in_n * 4, o[k], out_n * 4);
    }
    for (int k = 1; k < 4; k++) {
        double worst = 0;
        for (size_t i = 0; i < out_n; i++)
            worst = fmax(worst, fabs((double)o[0][i] - o[k][i]));
        printf("  plan %d: max abs diff to plan 0: %.3g\n", k, worst);
        if (k == 1 && s1.cache_misses == 0)
            ASSERT_TRUE(memcmp(o[0], o[1], out_n * 4) == 0);
        else
            ASSERT_TRUE(worst <= 1.5); /* fp16 noise (see yolox_nano_fp16_storage) */
    }
    vrt_free(in);
    for (int k = 0; k < 4; k++) {
        vrt_free(o[k]);
        bk_close(&b[k]);
    }
}

TEST(errors_name_the_problem) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    bk b;
    bk_open(&b, model);
    float x[4] = {0};
    ASSERT_STATUS(vrt__backend_cuda.set_input(b.ctx, 0, x, VRT__DT_FLOAT, sizeof(x), NULL), VRT_EINVAL);
    ASSERT_CONTAINS(vrt__backend_cuda.last_error(b.ctx), "images");
    bk_close(&b);
}

/* precision AUTO (the default): fp16 NHWC for convolution-heavy models,
 * fp32 for small ones; explicit values win. (The environment override
 * VRT_CUDA_MATH, applied by the engine only to AUTO, is tested in
 * tests/unit/test_engine_options.c: it is read once per process.) */
TEST(precision_auto_and_explicit) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    vrt__cuda_backend_stats st;
    bk b;
    /* Convolution networks run fp16 NHWC under auto (YOLOX's fp16 difference
     * is precision: yolox_nano_fp16_storage). */
    bk_open_p(&b, model, VRT_PRECISION_AUTO);
    vrt__cuda_backend_info(b.ctx, &st);
    ASSERT_STREQ(st.math, "fp16");
    bk_close(&b);
    char sq[1500];
    snprintf(sq, sizeof(sq), "%s", vrt_test_onnx_in(vrt_test_data_or_skip("models/squeezenet1.0_fp16")));
    bk_open_p(&b, sq, VRT_PRECISION_AUTO);
    vrt__cuda_backend_info(b.ctx, &st);
    ASSERT_STREQ(st.math, "fp16");
    bk_close(&b);
    bk_open_p(&b, model, VRT_PRECISION_TF32);
    vrt__cuda_backend_info(b.ctx, &st);
    ASSERT_STREQ(st.math, "tf32");
    bk_close(&b);
    bk_open_p(&b, model, VRT_PRECISION_FP32);
    vrt__cuda_backend_info(b.ctx, &st);
    ASSERT_STREQ(st.math, "fp32");
    bk_close(&b);
    /* A one-Conv model (ONNX node test) stays fp32 under auto. */
    const char *node = onnx_node_dir();
    if (node) {
        char one[1600];
        snprintf(one, sizeof(one), "%s/test_basic_conv_with_padding/model.onnx", node);
        if (!access(one, R_OK)) {
            bk_open_p(&b, one, VRT_PRECISION_AUTO);
            vrt__cuda_backend_info(b.ctx, &st);
            ASSERT_STREQ(st.math, "fp32");
            bk_close(&b);
        }
    }
}

/* fp16 NHWC storage on the single-node tests of the ops that can run there,
 * with documented per-op tolerances (|got - want| <= atol + rtol |want|):
 *   Conv                 rtol 1e-2, atol 1e-2: inputs and weights rounded to
 *                        fp16 (2^-11 relative each), fp32 accumulation, output
 *                        rounded to fp16;
 *   MaxPool              rtol 1e-3, atol 1e-3: one fp16 rounding of the input;
 *   AveragePool, GlobalAveragePool
 *                        rtol 2e-3, atol 1e-3: input rounding plus the sum.
 * Every other op stays fp32 in this mode (its node tests are the fp32 run). */
TEST(node_tests_fp16_per_op_tolerances) {
    const char *list = vrt_test_data_or_skip("onnx-index/cnn_op_tests.txt");
    const char *node = onnx_node_dir();
    if (!node) vrt_test_skip("onnx.tar.xz not found under %s", data_dir());
    static const struct {
        const char *prefix;
        double rtol, atol;
    } tol[] = {{"test_conv", 1e-2, 1e-2},
               {"test_basic_conv", 1e-2, 1e-2},
               {"test_maxpool_2d", 1e-3, 1e-3},
               {"test_averagepool_2d", 2e-3, 1e-3},
               {"test_globalaveragepool", 2e-3, 1e-3}};
    FILE *f = fopen(list, "r");
    ASSERT_TRUE(f != NULL);
    char name[256];
    int tried = 0, pass = 0, bad = 0;
    g_precision = VRT_PRECISION_FP16;
    while (fscanf(f, "%255s", name) == 1) {
        int k = -1;
        for (int q = 0; q < (int)(sizeof(tol) / sizeof(tol[0])) && k < 0; q++)
            if (!strncmp(name, tol[q].prefix, strlen(tol[q].prefix))) k = q;
        if (k < 0) continue;
        char model[1600], set[1600];
        snprintf(model, sizeof(model), "%s/%s/model.onnx", node, name);
        snprintf(set, sizeof(set), "%s/%s/test_data_set_0", node, name);
        if (access(model, R_OK)) continue;
        run_result rc, rg;
        g_precision = VRT_PRECISION_FP32;
        run_set(model, set, "cpu", 1e-3, 1e-4, &rc);
        g_precision = VRT_PRECISION_FP16;
        if (rc.match) {
            tried++;
            run_set(model, set, "cuda", tol[k].rtol, tol[k].atol, &rg);
            if (rg.match) {
                pass++;
            } else if (rg.refused) {
                printf("  skip %s: %s\n", name, rg.why);
            } else {
                bad++;
                printf("  CUDA fp16 FAIL %s: %s\n", name, rg.why);
            }
            result_free(&rg);
        }
        result_free(&rc);
    }
    g_precision = VRT_PRECISION_FP32;
    fclose(f);
    printf("  fp16 node tests: %d tried, %d pass\n", tried, pass);
    ASSERT_TRUE(tried > 0);
    ASSERT_EQ(bad, 0);
}

int main(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    VRT_RUN(errors_name_the_problem);
    VRT_RUN(graph_replay_is_bit_exact_with_eager);
    g_bk_precision = VRT_PRECISION_FP16;
    VRT_RUN(graph_replay_is_bit_exact_with_eager); /* again with fp16 NHWC storage */
    g_bk_precision = VRT_PRECISION_FP32;
    VRT_RUN(algo_cache_written_then_reused);
    VRT_RUN(squeezenet_fp16_reference_and_cpu);
    VRT_RUN(yolox_nano_reference_and_cpu);
    VRT_RUN(squeezenet_fp16_storage);
    VRT_RUN(precision_auto_and_explicit);
    VRT_RUN(node_tests_fp16_per_op_tolerances);
    VRT_RUN(yolox_nano_fp16_storage);
    VRT_RUN(fp16_plan_options_agree);
    g_opt.conv = VRT_CONV_OWN; /* again with our conv for every conv */
    VRT_RUN(yolox_nano_fp16_storage);
    g_opt.conv = VRT_CONV_AUTO;
    VRT_RUN(node_tests_cpu_passes_cuda_passes);
    return vrt_test_finish();
}
