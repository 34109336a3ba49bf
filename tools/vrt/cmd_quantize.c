/*
 * vrt quantize - post-training INT8 quantization of an fp32 ONNX model into
 * a QDQ model (vrt/quantize.h): calibration images through the profile's
 * pre-processing, per-layer scales and sensitivities printed.
 */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vrt/quantize.h"

enum {
    OPT_CALIB = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_PROFILE,
    OPT_METHOD,
    OPT_PERCENTILE,
    OPT_MAX_SENS,
    OPT_SENS_IMAGES,
    OPT_THREADS,
};

void cmd_quantize_help(FILE *f) {
    fputs("usage: vrt quantize MODEL --calib IMAGE... [--profile FILE] [--method entropy|percentile|minmax]\n"
          "                    [--percentile P] [--max-sensitivity S] [--sensitivity-images N]\n"
          "                    [--threads N] -o OUTPUT.onnx\n\n"
          "Post-training INT8 quantization: runs the fp32 MODEL on the CPU backend over the\n"
          "calibration images (decoded and pre-processed as the profile says), picks every Conv's\n"
          "input and output range from their histograms, and writes a standard QDQ model\n"
          "(uint8 activations, int8 per-channel weights, int32 biases) that onnxruntime runs too\n"
          "and that visionrt runs as integer convolutions. Prints each Conv's scales and its\n"
          "sensitivity: the relative L2 change of the model's output when only that Conv is\n"
          "quantized; Convs above --max-sensitivity stay float and are listed, as do output\n"
          "layers (a Conv whose result reaches a model output through no other Conv: a\n"
          "detector's box and score predictions). Each int8 Conv's bias is corrected for the\n"
          "mean shift its weights' rounding causes on the calibration images.\n"
          "The model must be fp32 with opset 13 or newer.\n\n"
          "options:\n"
          "      --calib IMAGE...       calibration images (JPEG/PNG); every further non-option\n"
          "                             argument after MODEL is one too\n"
          "      --profile FILE         pre-processing profile (default: the model's metadata)\n"
          "      --method M             entropy (KL divergence, as TensorRT; default), percentile\n"
          "                             or minmax\n"
          "      --percentile P         percentile of |x| for --method percentile (default 99.99)\n"
          "      --max-sensitivity S    keep Convs whose sensitivity exceeds S float (default 0.25;\n"
          "                             0: quantize all)\n"
          "      --sensitivity-images N images used to measure sensitivity (default 4; 0: skip)\n"
          "      --threads N            CPU threads, 0 = all cores (default 0)\n"
          "  -o, --output FILE          the quantized model (required)\n"
          "  -h, --help                 this help\n\n"
          "examples:\n"
          "  vrt quantize squeezenet.onnx --calib images/*.jpg --profile models/squeezenet.conf \\\n"
          "      -o squeezenet.int8.onnx\n",
          f);
}

typedef struct qopts {
    const char *model, *out;
    const char **images;
    int n_images;
    int64_t threads, sens_images;
    vrt_quantize_params qp;
} qopts;

static int parse_method(const cli_ctx *ctx, const char *s, vrt_calib_method *m) {
    if (!strcmp(s, "entropy"))
        *m = VRT_CALIB_ENTROPY;
    else if (!strcmp(s, "percentile"))
        *m = VRT_CALIB_PERCENTILE;
    else if (!strcmp(s, "minmax"))
        *m = VRT_CALIB_MINMAX;
    else
        return cli_usage_error(ctx, "--method '%s': use entropy, percentile or minmax", s);
    return 0;
}

static int parse_opt(cli_ctx *ctx, int c, qopts *o) {
    switch (c) {
    case OPT_CALIB: o->images[o->n_images++] = optarg; return 0;
    case OPT_PROFILE: o->qp.profile = optarg; return 0;
    case OPT_METHOD: return parse_method(ctx, optarg, &o->qp.method);
    case OPT_PERCENTILE: return cli_parse_double(ctx, "--percentile", optarg, 1e-9, 100, &o->qp.percentile);
    case OPT_MAX_SENS:
        return cli_parse_double(ctx, "--max-sensitivity", optarg, 0, 1e9, &o->qp.max_sensitivity);
    case OPT_SENS_IMAGES:
        return cli_parse_i64(ctx, "--sensitivity-images", optarg, 0, 1000000, &o->sens_images);
    case OPT_THREADS: return cli_parse_i64(ctx, "--threads", optarg, 0, 1024, &o->threads);
    case 'o': o->out = optarg; return 0;
    default: return -2;
    }
}

/* 0: run; -1: help printed (exit 0); else the exit status of a usage error. */
static int parse_args(cli_ctx *ctx, int argc, char **argv, qopts *o) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"calib", required_argument, NULL, OPT_CALIB},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"method", required_argument, NULL, OPT_METHOD},
        {"percentile", required_argument, NULL, OPT_PERCENTILE},
        {"max-sensitivity", required_argument, NULL, OPT_MAX_SENS},
        {"sensitivity-images", required_argument, NULL, OPT_SENS_IMAGES},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    vrt_quantize_default_params(&o->qp);
    o->sens_images = o->qp.sensitivity_images;
    if (!(o->images = calloc((size_t)argc + 1, sizeof(char *)))) return cli_error("out of memory");
    int rc = cli_getopt_begin(ctx, argc, argv, opts), c;
    if (rc) return rc;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS "o:", opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        if (c == 'h') {
            cmd_quantize_help(stdout);
            return -1;
        }
        if ((rc = parse_opt(ctx, c, o)) == -2) return cli_getopt_error(ctx, c, argc, argv, opts);
        if (rc) return rc;
    }
    if (optind >= argc)
        return cli_usage_error(ctx, "no MODEL given (vrt quantize MODEL --calib IMAGE... -o OUT)");
    o->model = argv[optind++];
    while (optind < argc)
        o->images[o->n_images++] = argv[optind++];
    if (!o->out) return cli_usage_error(ctx, "no output given (-o MODEL.int8.onnx)");
    if (!o->n_images) return cli_usage_error(ctx, "no calibration images given (--calib IMAGE...)");
    o->qp.images = o->images;
    o->qp.n_images = o->n_images;
    o->qp.threads = (int)o->threads;
    o->qp.sensitivity_images = (int)o->sens_images;
    return 0;
}

static void on_progress(void *user, const char *stage, int done, int total) {
    (void)user;
    if (done < total)
        cli_status_line("%s %d/%d", stage, done + 1, total);
    else
        cli_status_clear();
}

static void print_report(const qopts *o, const vrt_quantize_report_t *r) {
    int n = vrt_quantize_report_layers(r), kept = 0;
    printf("%-36s %12s %12s %12s  %s\n", "conv", "input scale", "output scale", "sensitivity", "precision");
    for (int i = 0; i < n; i++) {
        vrt_quantize_layer l;
        if (vrt_quantize_report_layer(r, i, &l)) continue;
        printf("%-36s %12.6g %12.6g %12.4g  %s\n", l.name, l.x_scale, l.y_scale, l.sensitivity,
               l.quantized      ? "int8"
               : l.output_layer ? "float (output layer)"
                                : "float (too sensitive)");
        kept += !l.quantized;
    }
    printf("%d of %d convs quantized to int8", n - kept, n);
    if (kept) {
        printf("; kept float:");
        for (int i = 0; i < n; i++) {
            vrt_quantize_layer l;
            if (!vrt_quantize_report_layer(r, i, &l) && !l.quantized) printf(" %s", l.name);
        }
    }
    printf("\nwritten: %s\n", o->out);
}

int cmd_quantize(cli_ctx *ctx, int argc, char **argv) {
    qopts o;
    memset(&o, 0, sizeof(o));
    int rc = parse_args(ctx, argc, argv, &o);
    if (rc) {
        free(o.images);
        return rc < 0 ? 0 : rc;
    }
    cli_setup_logging(ctx);
    o.qp.progress = on_progress;
    char err[2048] = "";
    vrt_quantize_report_t *r = NULL;
    vrt_status st = vrt_quantize_model(o.model, o.out, &o.qp, &r, err, sizeof(err));
    cli_status_clear();
    if (st) {
        free(o.images);
        return cli_error_about(o.model, err[0] ? err : vrt_status_name(st));
    }
    print_report(&o, r);
    vrt_quantize_report_destroy(&r);
    free(o.images);
    return 0;
}
