/*
 * vrt bench - latency of one model's inference (vrt_engine_run only: no
 * image decode, no pre- or post-processing) over N runs after a warm-up,
 * with synthetic inputs. bench/bench_cpu.py compares it with onnxruntime.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "model_util.h"
#include "vrt/engine.h"
#include "vrt/json.h"

enum {
    OPT_JSON = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_ITERS,
    OPT_WARMUP,
    OPT_BACKEND,
    OPT_THREADS,
    OPT_PRECISION,
};

void cmd_bench_help(FILE *f) {
    fputs("usage: vrt bench MODEL [--iters N] [--warmup W] [--threads N] [--backend cpu|cuda]\n"
          "                 [--precision auto|fp16|fp32|tf32] [--json]\n\n"
          "Times vrt_engine_run on MODEL (batch 1, the file's input size) with fixed\n"
          "pseudo-random inputs: W warm-up runs, then N timed runs; prints min, mean, p50,\n"
          "p90, p99 and max latency in milliseconds. Only the model is timed (no image\n"
          "decode, pre- or post-processing: see vrt infer for those).\n\n"
          "options:\n"
          "      --iters N           timed runs (default 50)\n"
          "      --warmup W          untimed runs first (default 5)\n"
          "      --threads N         CPU threads, 0 = all cores (default 0)\n"
          "      --backend NAME      cpu (default) or cuda\n"
          "      --precision P       cuda math: auto (default: fp16 for convolution networks),\n"
          "                          fp16, fp32 or tf32 (vrt_engine_options.precision)\n"
          "      --json              one JSON object on stdout\n"
          "  -h, --help              this help\n\n"
          "examples:\n"
          "  vrt bench yolox_nano.onnx --iters 100 --threads 2\n"
          "  bench/run-cpu            vrt next to onnxruntime, JSON in bench/results/\n",
          f);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, int n, double p) {
    int k = (int)ceil(p / 100.0 * n) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return v[k];
}

typedef struct bench_opts {
    const char *path; /* the model (argv) */
    int json;
    int64_t iters, warmup, threads;
    vrt_engine_params ep;
} bench_opts;

/* 0: run; -1: help printed (exit 0); else the exit status of a usage error. */
static int parse_bench_args(cli_ctx *ctx, int argc, char **argv, bench_opts *o) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {"iters", required_argument, NULL, OPT_ITERS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->iters = 50;
    o->warmup = 5;
    vrt_engine_default_params(&o->ep);
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS, opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (c) {
        case 'h': cmd_bench_help(stdout); return -1;
        case OPT_JSON: o->json = 1; break;
        case OPT_ITERS: rc = cli_parse_i64(ctx, "--iters", optarg, 1, 1000000, &o->iters); break;
        case OPT_WARMUP: rc = cli_parse_i64(ctx, "--warmup", optarg, 0, 1000000, &o->warmup); break;
        case OPT_THREADS: rc = cli_parse_i64(ctx, "--threads", optarg, 0, 1024, &o->threads); break;
        case OPT_BACKEND: rc = cli_parse_backend(ctx, optarg, &o->ep.backend); break;
        case OPT_PRECISION: rc = cli_parse_precision(ctx, optarg, &o->ep.options.precision); break;
        default: return cli_getopt_error(ctx, c, argc, argv, opts);
        }
        if (rc) return rc;
    }
    if (optind >= argc) return cli_usage_error(ctx, "no MODEL given (vrt bench MODEL)");
    o->path = argv[optind++];
    if (optind < argc)
        return cli_usage_error(ctx, "unexpected argument '%s' (one MODEL at a time)", argv[optind]);
    o->ep.threads = (int)o->threads;
    return 0;
}

/* One caller buffer per model input and output, in the engine's boundary type (fp16 tensors
 * are given as fp32); inputs get fixed pseudo-random values in [-1, 1]. 0 or the exit status. */
static int alloc_io(vrt_engine_t *e, vrt_engine_tensor *ins, int nin, vrt_engine_tensor *outs, int nout) {
    uint32_t seed = 12345;
    for (int i = 0; i < nin + nout; i++) {
        vrt_model_tensor_info ti;
        if (i < nin)
            vrt_engine_input_info(e, i, &ti);
        else
            vrt_engine_output_info(e, i - nin, &ti);
        size_t n = 1;
        for (int d = 0; d < ti.ndim; d++)
            n *= (size_t)ti.dims[d];
        int dt = ti.dtype == VRT_DTYPE_FLOAT16 ? VRT_DTYPE_FLOAT : ti.dtype;
        size_t es = dt == VRT_DTYPE_INT64 ? 8 : dt == VRT_DTYPE_INT32 || dt == VRT_DTYPE_FLOAT ? 4 : 1;
        vrt_engine_tensor *t = i < nin ? &ins[i] : &outs[i - nin];
        t->dtype = dt;
        t->nbytes = n * es;
        t->data = vrt_calloc(n ? n : 1, es);
        if (!t->data) return cli_error("out of memory for tensor '%s'", ti.name);
        if (i < nin && dt == VRT_DTYPE_FLOAT) {
            float *p = t->data;
            for (size_t k = 0; k < n; k++) {
                seed = seed * 1664525u + 1013904223u;
                p[k] = (float)((seed >> 8) & 0xffff) / 65535.0f * 2.0f - 1.0f;
            }
        }
    }
    return 0;
}

static void print_report(const bench_opts *o, const vrt_engine_t *e, const double *lat, double open_ms) {
    int n = (int)o->iters;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += lat[i];
    vrt_engine_stats s;
    vrt_engine_get_stats(e, &s);
    if (!o->json) {
        printf("%s on %s, %d threads, %lld runs after %lld warm-up:\n", o->path, s.backend, s.threads,
               (long long)o->iters, (long long)o->warmup);
        printf("  min %.2f ms, mean %.2f ms, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (open %.1f "
               "ms)\n",
               lat[0], sum / n, pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), lat[n - 1], open_ms);
        return;
    }
    vrt_json w;
    vrt_json_init_file(&w, stdout);
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "model", o->path);
    vrt_json_kv_string(&w, "backend", s.backend);
    vrt_json_kv_int(&w, "threads", s.threads);
    vrt_json_kv_int(&w, "iters", o->iters);
    vrt_json_kv_int(&w, "warmup", o->warmup);
    vrt_json_kv_double(&w, "open_ms", open_ms);
    vrt_json_kv_double(&w, "min_ms", lat[0]);
    vrt_json_kv_double(&w, "mean_ms", sum / n);
    vrt_json_kv_double(&w, "p50_ms", pct(lat, n, 50));
    vrt_json_kv_double(&w, "p90_ms", pct(lat, n, 90));
    vrt_json_kv_double(&w, "p99_ms", pct(lat, n, 99));
    vrt_json_kv_double(&w, "max_ms", lat[n - 1]);
    vrt_json_end_object(&w);
    vrt_json_newline(&w);
    vrt_json_finish(&w);
}

int cmd_bench(cli_ctx *ctx, int argc, char **argv) {
    bench_opts o;
    int rc = parse_bench_args(ctx, argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    cli_setup_logging(ctx);

    char err[2048];
    vrt_engine_t *e = NULL;
    int64_t t_open = vrt_now_ns();
    if (vrt_engine_open(o.path, &o.ep, &e, err, sizeof(err)) != VRT_OK) return cli_error_about(o.path, err);
    double open_ms = (double)(vrt_now_ns() - t_open) / 1e6;

    int nin = vrt_engine_num_inputs(e), nout = vrt_engine_num_outputs(e);
    vrt_engine_tensor *ins = vrt_calloc((size_t)nin + 1, sizeof(*ins));
    vrt_engine_tensor *outs = vrt_calloc((size_t)nout + 1, sizeof(*outs));
    double *lat = vrt_calloc((size_t)o.iters, sizeof(double));
    if (!ins || !outs || !lat)
        rc = cli_error("out of memory");
    else
        rc = alloc_io(e, ins, nin, outs, nout);
    for (int64_t i = 0; !rc && i < o.warmup + o.iters; i++) {
        int64_t t0 = vrt_now_ns();
        if (vrt_engine_run(e, ins, nin, outs, nout) != VRT_OK)
            rc = cli_error("%s: run failed: %s", o.path, vrt_engine_last_error(e));
        else if (i >= o.warmup)
            lat[i - o.warmup] = (double)(vrt_now_ns() - t0) / 1e6;
    }
    if (!rc) {
        qsort(lat, (size_t)o.iters, sizeof(double), cmp_double);
        print_report(&o, e, lat, open_ms);
    }
    for (int i = 0; ins && i < nin; i++)
        vrt_free(ins[i].data);
    for (int i = 0; outs && i < nout; i++)
        vrt_free(outs[i].data);
    vrt_free(ins);
    vrt_free(outs);
    vrt_free(lat);
    vrt_engine_destroy(&e);
    return rc;
}
