/*
 * vrt inspect - describe an ONNX model: inputs and outputs, opsets,
 * producer, op histogram, parameters, FLOPs, the memory plan (arena next to
 * the naive sum), weight bytes, the fusions the passes applied and any
 * unsupported op.
 *
 * Three views of the same file: a lenient scan (onnx_scan.h: what the file
 * declares, also when the library refuses it), the loaded model (vrt/model.h:
 * static shapes, FLOPs from the IR's per-node shapes) and an engine on the
 * CPU backend (vrt/engine.h: passes and memory plan).
 */
#include <string.h>

#include "commands.h"
#include "core/checked.h"
#include "engine/backend.h"
#include "model/ir.h"
#include "model/ops.h"
#include "model_util.h"
#include "onnx_scan.h"
#include "vrt/engine.h"
#include "vrt/image.h"
#include "vrt/json.h"
#include "vrt/model.h"

enum {
    OPT_JSON = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_HEIGHT,
    OPT_WIDTH,
    OPT_BATCH,
    OPT_BACKEND,
};

void cmd_inspect_help(FILE *f) {
    fputs("usage: vrt inspect MODEL [--height H] [--width W] [--batch N] [--backend cpu|cuda] [--json]\n\n"
          "Describes the ONNX model MODEL: its inputs and outputs with shapes and element\n"
          "types, the opsets it imports, the producer, the op histogram, the parameter count\n"
          "and weight bytes, the FLOPs of one inference, the activation memory after planning\n"
          "(one arena with reuse) next to the naive sum of every tensor, and the fusions the\n"
          "graph passes applied (BatchNorm folding, activation and residual fusion, views, and the\n"
          "transformer patterns: attention, LayerNorm, GELU, MatMul+bias).\n\n"
          "FLOPs convention: 2 x multiply-accumulates for Conv, ConvTranspose, Gemm and MatMul;\n"
          "pools: one per window element; global pools and reductions: one per input element;\n"
          "reshapes and other data movement: none; every other op: one per output element.\n"
          "Counted on the graph as loaded (before fusion), bias additions not counted.\n\n"
          "A model with unsupported ops is still described as far as the file allows (declared\n"
          "inputs/outputs, op histogram, initializer sizes), the unsupported ops are listed,\n"
          "and the exit status is 1.\n\n"
          "options:\n"
          "      --height H          fix the input height (4-D N,C,H,W inputs) before planning\n"
          "      --width W           fix the input width\n"
          "      --batch N           fix the batch size (a symbolic batch is 1 otherwise)\n"
          "      --backend NAME      prepare on cpu (default) or cuda; cuda also lists the chosen\n"
          "                          engine per Conv/Gemm (cuDNN algorithm or own kernel, math,\n"
          "                          workspace, time measured at the choice) and, when precision\n"
          "                          auto chose fp16, the nodes the fp16 guard kept fp32 and why\n"
          "      --json              print one JSON object on stdout (schema in README.md)\n"
          "  -v, --verbose           more messages; -q, --quiet: errors only\n"
          "      --log-level LEVEL   error, warn, info, debug or trace (default: warn)\n"
          "  -h, --help              this help\n\n"
          "exit status: 0 described; 1 the model does not load (unsupported op, corrupt file,\n"
          "impossible size), after printing what could be read; 2 usage error\n\n"
          "examples:\n"
          "  vrt inspect yolox_nano.onnx\n"
          "  vrt inspect yolox_nano.onnx --height 640 --width 640\n"
          "  vrt inspect model.onnx --json | python3 -m json.tool\n",
          f);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *human_bytes(double b, char *buf, size_t cap) {
    if (b >= 1024.0 * 1024 * 1024)
        snprintf(buf, cap, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024)
        snprintf(buf, cap, "%.2f MiB", b / (1024.0 * 1024));
    else if (b >= 1024.0)
        snprintf(buf, cap, "%.1f KiB", b / 1024.0);
    else
        snprintf(buf, cap, "%.0f B", b);
    return buf;
}

static const char *human_count(double v, char *buf, size_t cap) {
    if (v >= 1e9)
        snprintf(buf, cap, "%.3f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, cap, "%.3f M", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, cap, "%.3f k", v / 1e3);
    else
        snprintf(buf, cap, "%.0f", v);
    return buf;
}

/* The library's message for an unsupported op ends with "supported ops: A, B, ...". */
static int op_in_supported_list(const char *list, const char *op) {
    size_t n = strlen(op);
    for (const char *p = list; (p = strstr(p, op)); p += n) {
        int start = p == list || p[-1] == ' ' || p[-1] == ',';
        int end = p[n] == 0 || p[n] == ',' || p[n] == ' ' || p[n] == '(' || p[n] == ';';
        if (start && end) return 1;
    }
    return 0;
}

/* Marks unsupported ops of the scan from the load error: other domains, ops
 * missing from the supported list the error gives, and the op it names. */
static int find_unsupported(const cli_onnx_scan *s, const char *err, unsigned char *mark) {
    const char *list = strstr(err, "supported ops: ");
    if (list) list += strlen("supported ops: ");
    int any = 0;
    for (int i = 0; i < s->n_ops; i++) {
        const cli_scan_op *o = &s->ops[i];
        char quoted[80];
        snprintf(quoted, sizeof(quoted), "op '%s'", o->op);
        mark[i] = o->domain[0] != 0 || (list && !op_in_supported_list(list, o->op)) ||
                  (strstr(err, "not supported") && strstr(err, quoted));
        any |= mark[i];
    }
    return any;
}

typedef struct inspect_info {
    const char *path;
    size_t file_bytes;
    int scanned;
    cli_onnx_scan scan;
    vrt_model_t *model;
    vrt_engine_t *engine;
    vrt_engine_stats stats;
    int64_t flops, macs;
    unsigned char *unsupported; /* per scan op */
    const char *error;          /* load failure, or NULL */
} inspect_info;

static void dims_scan(const cli_scan_value *v, char *buf, size_t cap) {
    if (v->ndim < 0) {
        snprintf(buf, cap, "(no shape)");
        return;
    }
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < v->ndim && i < CLI_SCAN_MAX_DIMS && n < cap; i++) {
        if (v->dims[i] >= 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)v->dims[i]);
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "",
                                  v->dim_param[i][0] ? v->dim_param[i] : "?");
    }
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* ---- text --------------------------------------------------------------------------------- */

static void print_tensors_text(const inspect_info *in, int outputs) {
    char sh[256], tb[32];
    printf("%s:\n", outputs ? "outputs" : "inputs");
    if (in->model) {
        int n = outputs ? vrt_model_num_outputs(in->model) : vrt_model_num_inputs(in->model);
        for (int i = 0; i < n; i++) {
            vrt_model_tensor_info ti;
            if (outputs)
                vrt_model_output(in->model, i, &ti);
            else
                vrt_model_input(in->model, i, &ti);
            printf("  %-24s %-8s %s\n", ti.name, vrt_dtype_name(ti.dtype),
                   cli_dims_str(ti.dims, ti.ndim, sh, sizeof(sh)));
        }
    } else if (in->scanned) {
        int n = outputs ? in->scan.n_outputs : in->scan.n_inputs;
        const cli_scan_value *v = outputs ? in->scan.outputs : in->scan.inputs;
        for (int i = 0; i < n; i++) {
            dims_scan(&v[i], sh, sizeof(sh));
            printf("  %-24s %-8s %s (as declared)\n", v[i].name,
                   cli_onnx_type_name(v[i].elem_type, tb, sizeof(tb)), sh);
        }
    }
}

/* --backend cuda: the math mode, the engine chosen for each Conv/Gemm and the
 * fp16 guard's kept nodes. */
static void print_cuda_engines(const vrt_engine_t *e) {
    int is_auto = 0;
    const char *math = vrt_engine_precision(e, &is_auto);
    int n = vrt_engine_num_choices(e);
    printf("\nCUDA engines (math %s%s; %d conv/gemm steps):\n", math,
           is_auto ? ", chosen by precision=auto" : "", n);
    char line[700], sum[2048];
    for (int i = 0; i < n; i++)
        if (vrt_engine_choice(e, i, line, sizeof(line))) printf("  %s\n", line);
    if (vrt_engine_step_summary(e, sum, sizeof(sum))) printf("\n%s\n", sum);
    /* precision=auto on fp16: what the fp16 guard compared and kept in fp32. */
    if (vrt_engine_fp32_kept(e, -1, line, sizeof(line))) {
        int k = vrt_engine_num_fp32_kept(e);
        printf("\n%s%s\n", line, k ? ":" : "");
        for (int i = 0; i < k; i++)
            if (vrt_engine_fp32_kept(e, i, line, sizeof(line))) printf("  %s\n", line);
    }
}

static void print_text(const inspect_info *in) {
    char a[64], b[64], c2[64];
    printf("model: %s (%s)\n", in->path, human_bytes((double)in->file_bytes, a, sizeof(a)));
    if (in->scanned) {
        printf("producer: %s%s%s, ir_version %lld\n", in->scan.producer[0] ? in->scan.producer : "(none)",
               in->scan.producer_version[0] ? " " : "", in->scan.producer_version,
               (long long)in->scan.ir_version);
        printf("opsets:");
        for (int i = 0; i < in->scan.n_opsets; i++)
            printf("%s %s %lld", i ? "," : "",
                   in->scan.opsets[i].domain[0] ? in->scan.opsets[i].domain : "ai.onnx",
                   (long long)in->scan.opsets[i].version);
        printf("\n");
    }
    print_tensors_text(in, 0);
    print_tensors_text(in, 1);
    if (in->scanned) {
        printf("ops (%d nodes in the file", in->scan.n_nodes);
        if (in->model) printf(", %d after loading", vrt_model_num_nodes(in->model));
        printf("):\n");
        for (int i = 0; i < in->scan.n_ops; i++)
            printf("  %-22s %5d%s%s%s\n", in->scan.ops[i].op, in->scan.ops[i].count,
                   in->scan.ops[i].domain[0] ? "  domain " : "", in->scan.ops[i].domain,
                   in->unsupported && in->unsupported[i] ? "  UNSUPPORTED" : "");
    }
    if (in->model && in->scanned)
        printf("parameters: %lld used by the ops (%lld in all %d initializers, shape constants included)\n",
               (long long)vrt_model_param_count(in->model), (long long)in->scan.init_params,
               in->scan.n_initializers);
    else if (in->model)
        printf("parameters: %lld\n", (long long)vrt_model_param_count(in->model));
    else if (in->scanned)
        printf("parameters: %lld (all initializers)\n", (long long)in->scan.init_params);
    if (in->scanned) {
        printf("weights: %s in the file%s", human_bytes((double)in->scan.init_bytes, a, sizeof(a)),
               in->scan.external_data ? " (some in external data files)" : "");
        if (in->engine)
            printf(", %s as held by the %s backend (fp32)",
                   human_bytes((double)in->stats.weight_bytes, b, sizeof(b)), in->stats.backend);
        printf("\n");
    }
    if (in->model)
        printf("FLOPs: %s (%s MACs in Conv/ConvTranspose/Gemm/MatMul; see --help for the convention)\n",
               human_count((double)in->flops, a, sizeof(a)), human_count((double)in->macs, b, sizeof(b)));
    if (in->engine) {
        const vrt_engine_stats *s = &in->stats;
        printf("memory plan: arena %s, naive sum %s (%.1f%% of naive), constants %s\n",
               human_bytes((double)s->arena_bytes, a, sizeof(a)),
               human_bytes((double)s->naive_bytes, b, sizeof(b)),
               s->naive_bytes ? 100.0 * (double)s->arena_bytes / (double)s->naive_bytes : 0.0,
               human_bytes((double)s->const_bytes, c2, sizeof(c2)));
        printf("passes: %d BatchNorm folded, %d activations fused, %d residual Adds fused, %d no-ops "
               "removed, %d views, "
               "%d dead nodes removed; %d steps to run\n",
               s->bn_folded, s->act_fused, s->residual_fused, s->noops_removed, s->views, s->dead_removed,
               s->nodes);
        printf("transformer patterns: %d attention, %d LayerNorm chains, %d Add+LayerNorm, %d GELU, "
               "%d MatMul+bias\n",
               s->attention_fused, s->layernorm_fused, s->add_layernorm_fused, s->gelu_fused,
               s->matmul_bias_fused);
        if (s->qdq_conv_fused)
            printf("quantized: %d QDQ Conv patterns run as integer convs\n", s->qdq_conv_fused);
        printf("fusions:%s\n", s->n_fusions ? "" : " none");
        for (int i = 0; i < s->n_fusions && i < 24; i++) {
            const char *fu = vrt_engine_fusion(in->engine, i);
            if (fu) printf("  %s\n", fu);
        }
        if (s->n_fusions > 24) printf("  ... and %d more (--json lists all)\n", s->n_fusions - 24);
    }
    int nu = 0;
    for (int i = 0; in->unsupported && i < in->scan.n_ops; i++)
        nu += in->unsupported[i];
    printf("unsupported ops:%s",
           nu ? "" : (in->error ? " none (the model did not load: see the error below)" : " none"));
    for (int i = 0, k = 0; in->unsupported && i < in->scan.n_ops; i++)
        if (in->unsupported[i])
            printf("%s %s%s%s", k++ ? "," : "", in->scan.ops[i].domain, in->scan.ops[i].domain[0] ? "." : "",
                   in->scan.ops[i].op);
    printf("\n");
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void json_tensors(vrt_json *w, const inspect_info *in, int outputs) {
    char tb[32];
    vrt_json_key(w, outputs ? "outputs" : "inputs");
    vrt_json_begin_array(w);
    if (in->model) {
        int n = outputs ? vrt_model_num_outputs(in->model) : vrt_model_num_inputs(in->model);
        for (int i = 0; i < n; i++) {
            vrt_model_tensor_info ti;
            if (outputs)
                vrt_model_output(in->model, i, &ti);
            else
                vrt_model_input(in->model, i, &ti);
            vrt_json_begin_object(w);
            vrt_json_kv_string(w, "name", ti.name);
            vrt_json_kv_string(w, "dtype", vrt_dtype_name(ti.dtype));
            vrt_json_key(w, "shape");
            vrt_json_begin_array(w);
            for (int d = 0; d < ti.ndim; d++)
                vrt_json_int(w, ti.dims[d]);
            vrt_json_end_array(w);
            vrt_json_end_object(w);
        }
    } else if (in->scanned) {
        int n = outputs ? in->scan.n_outputs : in->scan.n_inputs;
        const cli_scan_value *v = outputs ? in->scan.outputs : in->scan.inputs;
        for (int i = 0; i < n; i++) {
            vrt_json_begin_object(w);
            vrt_json_kv_string(w, "name", v[i].name);
            vrt_json_kv_string(w, "dtype", cli_onnx_type_name(v[i].elem_type, tb, sizeof(tb)));
            vrt_json_key(w, "shape");
            if (v[i].ndim < 0) {
                vrt_json_null(w);
            } else {
                vrt_json_begin_array(w);
                for (int d = 0; d < v[i].ndim && d < CLI_SCAN_MAX_DIMS; d++) {
                    if (v[i].dims[d] >= 0)
                        vrt_json_int(w, v[i].dims[d]);
                    else
                        vrt_json_string(w, v[i].dim_param[d]);
                }
                vrt_json_end_array(w);
            }
            vrt_json_end_object(w);
        }
    }
    vrt_json_end_array(w);
}

static int print_json(const inspect_info *in) {
    vrt_json w;
    vrt_json_init_file(&w, stdout);
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "model", in->path);
    vrt_json_kv_uint(&w, "file_bytes", in->file_bytes);
    vrt_json_kv_bool(&w, "loaded", in->model != NULL);
    if (in->error)
        vrt_json_kv_string(&w, "error", in->error);
    else
        vrt_json_kv_null(&w, "error");
    if (in->scanned) {
        vrt_json_kv_int(&w, "ir_version", in->scan.ir_version);
        vrt_json_kv_string(&w, "producer", in->scan.producer);
        vrt_json_kv_string(&w, "producer_version", in->scan.producer_version);
        vrt_json_key(&w, "opsets");
        vrt_json_begin_array(&w);
        for (int i = 0; i < in->scan.n_opsets; i++) {
            vrt_json_begin_object(&w);
            vrt_json_kv_string(&w, "domain",
                               in->scan.opsets[i].domain[0] ? in->scan.opsets[i].domain : "ai.onnx");
            vrt_json_kv_int(&w, "version", in->scan.opsets[i].version);
            vrt_json_end_object(&w);
        }
        vrt_json_end_array(&w);
    }
    json_tensors(&w, in, 0);
    json_tensors(&w, in, 1);
    if (in->scanned) {
        vrt_json_kv_int(&w, "nodes", in->scan.n_nodes);
        vrt_json_key(&w, "ops");
        vrt_json_begin_object(&w);
        for (int i = 0; i < in->scan.n_ops; i++) {
            char key[140];
            snprintf(key, sizeof(key), "%s%s%s", in->scan.ops[i].domain, in->scan.ops[i].domain[0] ? "." : "",
                     in->scan.ops[i].op);
            vrt_json_kv_int(&w, key, in->scan.ops[i].count);
        }
        vrt_json_end_object(&w);
        vrt_json_kv_int(&w, "weight_bytes_file", in->scan.init_bytes);
        vrt_json_kv_int(&w, "initializers", in->scan.n_initializers);
        vrt_json_kv_int(&w, "params_initializers", in->scan.init_params);
    }
    vrt_json_key(&w, "unsupported_ops");
    vrt_json_begin_array(&w);
    for (int i = 0; in->unsupported && i < in->scan.n_ops; i++)
        if (in->unsupported[i]) vrt_json_string(&w, in->scan.ops[i].op);
    vrt_json_end_array(&w);
    if (in->model) {
        vrt_json_kv_int(&w, "nodes_loaded", vrt_model_num_nodes(in->model));
        vrt_json_kv_int(&w, "params", vrt_model_param_count(in->model));
        vrt_json_kv_int(&w, "flops", in->flops);
        vrt_json_kv_int(&w, "macs", in->macs);
    } else if (in->scanned) {
        vrt_json_kv_int(&w, "params", in->scan.init_params);
    }
    if (in->engine) {
        const vrt_engine_stats *s = &in->stats;
        vrt_json_key(&w, "plan");
        vrt_json_begin_object(&w);
        vrt_json_kv_string(&w, "backend", s->backend);
        vrt_json_kv_int(&w, "steps", s->nodes);
        vrt_json_kv_uint(&w, "arena_bytes", s->arena_bytes);
        vrt_json_kv_uint(&w, "naive_bytes", s->naive_bytes);
        vrt_json_kv_uint(&w, "const_bytes", s->const_bytes);
        vrt_json_kv_uint(&w, "weight_bytes", s->weight_bytes);
        vrt_json_end_object(&w);
        vrt_json_key(&w, "passes");
        vrt_json_begin_object(&w);
        vrt_json_kv_int(&w, "bn_folded", s->bn_folded);
        vrt_json_kv_int(&w, "act_fused", s->act_fused);
        vrt_json_kv_int(&w, "residual_fused", s->residual_fused);
        vrt_json_kv_int(&w, "noops_removed", s->noops_removed);
        vrt_json_kv_int(&w, "views", s->views);
        vrt_json_kv_int(&w, "dead_removed", s->dead_removed);
        vrt_json_kv_int(&w, "attention_fused", s->attention_fused);
        vrt_json_kv_int(&w, "layernorm_fused", s->layernorm_fused);
        vrt_json_kv_int(&w, "add_layernorm_fused", s->add_layernorm_fused);
        vrt_json_kv_int(&w, "gelu_fused", s->gelu_fused);
        vrt_json_kv_int(&w, "matmul_bias_fused", s->matmul_bias_fused);
        vrt_json_kv_int(&w, "qdq_conv_fused", s->qdq_conv_fused);
        vrt_json_end_object(&w);
        vrt_json_key(&w, "fusions");
        vrt_json_begin_array(&w);
        for (int i = 0; i < s->n_fusions; i++) {
            const char *fu = vrt_engine_fusion(in->engine, i);
            if (fu) vrt_json_string(&w, fu);
        }
        vrt_json_end_array(&w);
    }
    vrt_json_end_object(&w);
    return cli_json_print_end(&w);
}

/* ---- command ------------------------------------------------------------------------------ */

int cmd_inspect(cli_ctx *ctx, int argc, char **argv) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {"height", required_argument, NULL, OPT_HEIGHT},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {NULL, 0, NULL, 0},
    };
    int json = 0;
    const char *backend = "cpu";
    int64_t height = 0, width = 0, batch = 0;
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS, opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (c) {
        case 'h': cmd_inspect_help(stdout); return 0;
        case OPT_JSON: json = 1; break;
        case OPT_HEIGHT:
            if ((rc = cli_parse_i64(ctx, "--height", optarg, 1, 1 << 16, &height))) return rc;
            break;
        case OPT_WIDTH:
            if ((rc = cli_parse_i64(ctx, "--width", optarg, 1, 1 << 16, &width))) return rc;
            break;
        case OPT_BATCH:
            if ((rc = cli_parse_i64(ctx, "--batch", optarg, 1, 1 << 16, &batch))) return rc;
            break;
        case OPT_BACKEND:
            if ((rc = cli_parse_backend(ctx, optarg, &backend))) return rc;
            break;
        default: return cli_getopt_error(ctx, c, argc, argv, opts);
        }
    }
    if (optind >= argc) return cli_usage_error(ctx, "no MODEL given (vrt inspect MODEL)");
    const char *path = argv[optind++];
    if (optind < argc)
        return cli_usage_error(ctx, "unexpected argument '%s' (one MODEL at a time)", argv[optind]);
    cli_setup_logging(ctx);

    inspect_info in;
    memset(&in, 0, sizeof(in));
    in.path = path;
    char err[4096] = "", serr[512] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vrt_image_read_file(path, 0, &buf, &len, err, sizeof(err)) != VRT_OK) return cli_error("%s", err);
    in.file_bytes = len;
    in.scanned = cli_onnx_scan_buffer(buf, len, &in.scan, serr, sizeof(serr)) == VRT_OK;
    vrt_free(buf);

    vrt_model_params mp;
    vrt_model_default_params(&mp);
    mp.batch = batch;
    mp.height = height;
    mp.width = width;
    if (vrt_model_load(path, &mp, &in.model, err, sizeof(err)) != VRT_OK) {
        if (!in.scanned) return cli_error_about(path, err[0] ? err : serr);
        in.error = err;
        in.unsupported = vrt_calloc((size_t)in.scan.n_ops + 1, 1);
        if (in.unsupported) find_unsupported(&in.scan, err, in.unsupported);
    } else {
        vrt__ir_params ip;
        memset(&ip, 0, sizeof(ip));
        ip.batch = batch;
        ip.height = height;
        ip.width = width;
        vrt__ir *ir = NULL;
        char ierr[512];
        if (vrt__ir_load_onnx(path, &ip, &ir, ierr, sizeof(ierr)) == VRT_OK) {
            for (int i = 0; i < ir->n_nodes; i++) {
                int64_t m;
                in.flops = vrt__add_sat_i64(in.flops, vrt__op_flops(ir, &ir->nodes[i], &m));
                in.macs = vrt__add_sat_i64(in.macs, m);
            }
            vrt__ir_destroy(&ir);
        }
        vrt_engine_params ep;
        vrt_engine_default_params(&ep);
        ep.threads = 1;
        ep.batch = batch;
        ep.height = height;
        ep.width = width;
        ep.backend = backend;
        if (vrt_engine_open(path, &ep, &in.engine, err, sizeof(err)) != VRT_OK)
            in.error = err;
        else
            vrt_engine_get_stats(in.engine, &in.stats);
    }

    rc = json ? print_json(&in) : (print_text(&in), 0);
    if (!json && in.engine && !strcmp(backend, "cuda")) print_cuda_engines(in.engine);
    fflush(stdout);
    if (in.error && !rc) rc = cli_error_about(path, in.error);
    vrt_free(in.unsupported);
    if (in.scanned) cli_onnx_scan_free(&in.scan);
    vrt_engine_destroy(&in.engine);
    vrt_model_destroy(&in.model);
    return rc;
}
