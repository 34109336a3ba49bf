/*
 * vrt run - the real-time pipeline: one or more sources -> model -> results,
 * with a live status line, per-stream latency summary, JSON lines and an
 * HTML report (vrt/pipeline.h, vrt/sink.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "core/options.h"
#include "model_util.h"
#include "vrt/json.h"
#include "vrt/sink.h"
#include "vrt/engine.h"
#include "vrt/pipeline.h"

#define DEFAULT_MODEL_REL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

void cmd_run_help(FILE *f) {
    fputs(
        "usage: vrt run [--source URI ...] [--model MODEL.onnx] [-o OUTPUT ...] [options] [INPUT "
        "[OUTPUT]]\n\n"
        "Runs a model on live frames: per source a capture thread hands the newest frame to a\n"
        "processing thread (older ones are dropped and counted), prints a live status line\n"
        "(fps, end-to-end p50/p99, drops, deadline misses) and a latency summary per stream.\n"
        "Without --source it uses " CLI_DEFAULT_DEVICE " if that opens, else " CLI_DEFAULT_FALLBACK ".\n"
        "Without --model it uses SqueezeNet from $VRT_DATA/" DEFAULT_MODEL_REL "\n"
        "or models/downloads/ (scripts/fetch-models).\n"
        "Ctrl-C (SIGINT) or SIGTERM stops cleanly: summary and report are still written.\n\n"
        "options:\n"
        "  -i, --source URI        a source (repeat for several streams, up to 64); see 'vrt help sources'\n"
        "  -m, --model FILE        ONNX model\n"
        "      --profile FILE      model profile (default: models/<name>.conf found from the model name)\n"
        "      --backend B         cuda, cpu or auto (default: auto = cuda when a GPU is present, else cpu)\n"
        "      --threads N         CPU backend threads (default: all cores)\n"
        "  -n, --frames N          stop each stream after N results\n"
        "  -d, --duration S        stop after S seconds\n"
        "      --policy P          newest (default): process the newest frame, drop older ones;\n"
        "                          all: process every frame in order (files)\n"
        "      --deadline-ms D     count results later than D ms after exposure as deadline misses\n"
        "  -p, --print             print every frame's result (top-k labels or boxes) on stdout\n"
        "      --json FILE|-       one JSON line per frame and a summary line (README: schema);\n"
        "                          '-' writes them to stdout (the human summary then goes to stderr)\n"
        "      --report FILE.html  self-contained HTML report with latency plots\n"
        "      --summary FILE      the JSON summary line only (as --json's last line), for benchmarks\n"
        "  -o, --output URI        an output, repeatable (each on its own thread, never slowing the\n"
        "                          frame path; 'vrt help outputs'): display://0 (a window; q, Esc or\n"
        "                          closing it stops the run), http://127.0.0.1:8080 (live web viewer,\n"
        "                          /stats, /metrics), mqtt://HOST:1883/TOPIC (one JSON message per\n"
        "                          result), out.mp4/.mkv/.avi (annotated video), out.jpg, dir/,\n"
        "                          frames/%06d.jpg (annotated images), FILE.jsonl, FILE.html, '-'\n"
        "                          (JSON lines on stdout)\n"
        "      --overlay LIST      what pictures show: box,lines,labels,conf,hud,mask,keypoints,\n"
        "                          depth (comma-separated) or none\n"
        "                          (default: box,labels,conf,hud,mask,keypoints,depth)\n"
        "      --alpha A           opacity of the box tint, 0..255 (default 64; 0: outlines only)\n"
        "      --listen ADDR       the web viewer binds ADDR (e.g. 0.0.0.0) instead of the URI's host\n"
        "      --headless          no window by default (without -o, an interactive run opens\n"
        "                          display://0 when a display is available)\n"
        "  -f, --format FMT        capture format for every source (YUYV, MJPG, ...)\n"
        "  -s, --size WxH          capture size for every source\n"
        "      --fps F             capture rate for every source\n"
        "      --buffers N         V4L2 driver buffers, 2..32 (default: 4)\n"
        "      --loop              files/images: start again at the end\n"
        "      --pace              files: deliver at the file's native rate (raw H.264/HEVC on\n"
        "                          NVDEC, decode=nvdec: each frame is timed from when its data went to\n"
        "                          the decoder, so end-to-end is decode-to-result)\n"
        "      --reconnect         cameras: reopen after an unplug (with back-off) instead of ending\n"
        "      --timeout S         end a stream when no frame arrives for S seconds (default: 5)\n"
        "      --batch MODE        off (default): one session per stream; on: frames of same-size\n"
        "                          streams ready within --batch-deadline-ms run as one model run\n"
        "                          (groups of up to 8, padded to batch 1/2/4/8); auto: on where a\n"
        "                          start-up calibration finds it faster. The model needs a dynamic\n"
        "                          batch axis (fixed batch 1: per stream, with a message)\n"
        "      --batch-deadline-ms D  longest wait of a ready frame for its group (default: a\n"
        "                          quarter of the frame period, at most 2 ms)\n"
        "      --batch-sources     the same as --batch on\n"
        "      --gpus all|0,1,...  cuda backend: spread the streams over these GPUs by load (fps),\n"
        "                          one engine per GPU; an ordinal may repeat (one GPU standing\n"
        "                          for several); all = every GPU found. Refused on the cpu backend\n"
        "      --memory-budget MB  fail at start, naming how many streams fit, when the sessions\n"
        "                          would need more (default: the GPU's free memory; cpu: none)\n"
        "      --priority LEVEL    high or normal, for the --source given just before it: a high\n"
        "                          stream runs alone (never batched) on a CUDA stream of the GPU's\n"
        "                          greatest priority, its CPU threads at nice -10 where permitted\n"
        "                          (CAP_SYS_NICE or ulimit -e >= 30; else a warning)\n"
        "      --records FILE      after the run, every stream's per-frame times as CSV (stream,\n"
        "                          sequence, exposure_ns, launch_ns, age_ns, process_ns, e2e_ns,\n"
        "                          dropped_before, deadline_miss; the newest 65536 per stream)\n"
        "cascade (a classifier on the detector's crops, e.g. YOLOX -> ResNet):\n"
        "      --secondary FILE    the classifier's profile (a classify .conf; its model key, or:)\n"
        "      --secondary-model F its ONNX file\n"
        "      --secondary-classes LIST  detector class ids to classify, e.g. 2,5,7 (default: all)\n"
        "      --secondary-min-size PX   skip boxes smaller than PX pixels (default: 1)\n"
        "      --secondary-batch N crops per frame, 1..64 (default: 16; CUDA runs the batch whole)\n"
        "      --secondary-topk K  classes per crop, 1..5 (default: the profile's, at most 5)\n"
        "two models on one frame (e.g. a detector + Depth Anything: each box gets its depth):\n"
        "      --parallel FILE     the second model's profile (any task; its model key, or:)\n"
        "      --parallel-model F  its ONNX file; it runs on the same frame (CUDA: a parallel\n"
        "                          branch of the frame's graph), results joined per frame\n"
        "      --refine-depth R[,EPS]  the depth map (of either model) refined by a guided filter\n"
        "                          with the frame as guide, radius R 1..16 (0: off), EPS its\n"
        "                          regularisation (default 0.001); overrides the profile's\n"
        "                          depth_refine_radius/_eps (CUDA: inside the frame's graph)\n"
        "  -v, --verbose; -q, --quiet (no status line); --log-level LEVEL; -h, --help\n\n"
        "examples:\n"
        "  vrt run                                         camera or synthetic, SqueezeNet\n"
        "  vrt run -i synthetic: -m SqueezeNet_fp16.onnx --frames 100 --print\n"
        "  vrt run -i /dev/video0 -i /dev/video2 -m yolox_nano.onnx --deadline-ms 50 --report run.html\n"
        "  vrt run -i video.mp4 --policy all --json frames.jsonl\n"
        "  vrt run -i 'cam1.h264?decode=nvdec' -i 'cam2.h264?decode=nvdec' --pace --loop -m yolox_nano.onnx\n"
        "                                                  raw H.264 decoded on the GPU (NVDEC)\n"
        "  vrt run /dev/video0 display://0 -m yolox_nano.onnx       a window with the results\n"
        "  vrt run -i synthetic: -o http://127.0.0.1:8080 -o mqtt://localhost/vrt/results\n"
        "  vrt run -i /dev/video0 --priority high -i a.mp4 -i b.mp4 --loop --pace --batch auto\n"
        "  vrt run -i video.mp4 -m yolox_nano.onnx --secondary models/squeezenet.conf \\\n"
        "          --secondary-model SqueezeNet_fp16.onnx --secondary-classes 16 --print\n"
        "  vrt run -i video.mp4 -m yolov8n.onnx --parallel models/depth-anything.conf \\\n"
        "          --parallel-model depth_anything_v2_small.onnx --json frames.jsonl\n\n"
        "exit status: 0 done (also when stopped by a signal), 1 runtime error (a stream failed,\n"
        "timed out or was unplugged; no results), 2 usage error\n",
        f);
}

/* ---- options -------------------------------------------------------------------- */

enum {
    OPT_PROFILE = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_BACKEND,
    OPT_THREADS,
    OPT_POLICY,
    OPT_DEADLINE,
    OPT_JSON,
    OPT_REPORT,
    OPT_FPS,
    OPT_BUFFERS,
    OPT_LOOP,
    OPT_PACE,
    OPT_RECONNECT,
    OPT_TIMEOUT,
    OPT_BATCH_SOURCES,
    OPT_LISTEN,
    OPT_HEADLESS,
    OPT_SECONDARY,
    OPT_SECONDARY_MODEL,
    OPT_SECONDARY_CLASSES,
    OPT_SECONDARY_MIN_SIZE,
    OPT_SECONDARY_BATCH,
    OPT_SECONDARY_TOPK,
    OPT_PARALLEL,
    OPT_PARALLEL_MODEL,
    OPT_REFINE_DEPTH,
    OPT_OVERLAY,
    OPT_ALPHA,
    OPT_SUMMARY,
    OPT_GPUS,
    OPT_BATCH,
    OPT_BATCH_DEADLINE,
    OPT_MEMORY_BUDGET,
    OPT_PRIORITY,
    OPT_RECORDS,
};

#define MAX_OUTPUTS 6

typedef struct run_opts {
    const char *sources[VRT_PIPELINE_MAX_STREAMS];
    vrt_priority priority[VRT_PIPELINE_MAX_STREAMS]; /* --priority after each --source */
    int nsources;
    const char *model;
    const char *profile;
    const char *backend;
    int64_t threads;
    int64_t frames;
    double duration;
    int policy_all;
    double deadline_ms;
    int print;
    const char *json;
    const char *report;
    const char *summary; /* --summary FILE: the JSON summary line only */
    const char *records; /* --records FILE: per-frame times, CSV, after the run */
    const char *gpus;    /* --gpus as given: "all" or a list of ordinals, checked after the backend */
    int gpu[VRT_PIPELINE_MAX_DEVICES], ngpus; /* the list (ngpus 0 with "all") */
    vrt_source_params sp;
    double timeout_s;
    int batch_sources;                /* vrt_pipeline_batch_mode */
    double batch_deadline_ms;         /* 0: the pipeline's default */
    double memory_budget_mib;         /* 0: the pipeline's default */
    const char *outputs[MAX_OUTPUTS]; /* -o and the positional OUTPUT */
    int noutputs;
    const char *listen;
    int headless;
    vrt_cascade_params cascade; /* used when cascade.profile_path is set */
    int cascade_classes[256];
    vrt_parallel_params parallel; /* used when parallel.profile_path is set */
    vrt_guided_params refine;     /* --refine-depth; used when refine_set */
    int refine_set;
    vrt_overlay_params overlay; /* what pictures (files, video, window, web) show */
} run_opts;

/* --secondary-classes "2,5,7" into o->cascade. */
static int parse_class_list(cli_ctx *ctx, const char *arg, run_opts *o) {
    int n = 0;
    const char *p = arg;
    while (*p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 255 || (*end && *end != ','))
            return cli_usage_error(ctx,
                                   "--secondary-classes '%s': give detector class ids 0..255 separated by "
                                   "commas, e.g. 0,2,16",
                                   arg);
        if (n >= 256) return cli_usage_error(ctx, "--secondary-classes: at most 256 ids");
        o->cascade_classes[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (!n) return cli_usage_error(ctx, "--secondary-classes needs at least one class id");
    o->cascade.classes = o->cascade_classes;
    o->cascade.num_classes = n;
    return 0;
}

/* --refine-depth "R" or "R,EPS" into o->refine. */
static int parse_refine(cli_ctx *ctx, const char *arg, run_opts *o) {
    char *end = NULL;
    long r = strtol(arg, &end, 10);
    double eps = 0.001;
    if (end != arg && *end == ',') {
        const char *e = end + 1;
        eps = strtod(e, &end);
        if (end == e) end = (char *)e - 1; /* nothing after the comma: an error below */
    }
    if (end == arg || *end || r < 0 || r > VRT_GUIDED_MAX_RADIUS || !(eps > 0) || eps > 1e6)
        return cli_usage_error(ctx,
                               "--refine-depth '%s': give the radius 0..%d and optionally eps > 0, e.g. 8 or "
                               "8,0.001",
                               arg, VRT_GUIDED_MAX_RADIUS);
    o->refine.radius = (int)r;
    o->refine.eps = (float)eps;
    o->refine_set = 1;
    return 0;
}

/* The cascade options into o->cascade and the second model's into
 * o->parallel: 0 handled, > 0 a usage error's exit code, -1 neither. */
static int parse_cascade_opt(cli_ctx *ctx, int c, run_opts *o) {
    int64_t v;
    double d;
    int rc;
    switch (c) {
    case OPT_SECONDARY:
        if (!*optarg)
            return cli_usage_error(ctx, "--secondary needs a classify profile, e.g. models/resnet50.conf");
        o->cascade.profile_path = optarg;
        return 0;
    case OPT_SECONDARY_MODEL: o->cascade.model = optarg; return 0;
    case OPT_PARALLEL: /* a second model on the frame */
        if (!*optarg)
            return cli_usage_error(ctx, "--parallel needs a profile, e.g. models/depth-anything.conf");
        o->parallel.profile_path = optarg;
        return 0;
    case OPT_PARALLEL_MODEL: o->parallel.model = optarg; return 0;
    case OPT_REFINE_DEPTH: return parse_refine(ctx, optarg, o);
    case OPT_SECONDARY_CLASSES: return parse_class_list(ctx, optarg, o);
    case OPT_SECONDARY_MIN_SIZE:
        if ((rc = cli_parse_double(ctx, "--secondary-min-size", optarg, 0, 1e6, &d))) return rc;
        o->cascade.min_size = (float)d;
        return 0;
    case OPT_SECONDARY_BATCH:
        if ((rc = cli_parse_i64(ctx, "--secondary-batch", optarg, 1, VRT_CASCADE_MAX, &v))) return rc;
        o->cascade.max_batch = (int)v;
        return 0;
    case OPT_SECONDARY_TOPK:
        if ((rc = cli_parse_i64(ctx, "--secondary-topk", optarg, 1, VRT_CASCADE_TOPK, &v))) return rc;
        o->cascade.topk = (int)v;
        return 0;
    default: return -1;
    }
}

/* The source options (--format, --size, --fps, --buffers, --loop, --pace,
 * --reconnect) into sp: 0 handled, > 0 a usage error's exit code, -1 not a
 * source option. */
static int parse_source_opt(cli_ctx *ctx, int c, vrt_source_params *sp) {
    int64_t i64;
    int rc;
    switch (c) {
    case 'f': return cli_parse_fourcc(ctx, "--format", optarg, &sp->fourcc);
    case 's': return cli_parse_size(ctx, "--size", optarg, &sp->width, &sp->height);
    case OPT_FPS: return cli_parse_double(ctx, "--fps", optarg, 0.001, 10000, &sp->fps);
    case OPT_BUFFERS:
        if ((rc = cli_parse_i64(ctx, "--buffers", optarg, 2, 32, &i64))) return rc;
        sp->buffers = (int)i64;
        return 0;
    case OPT_LOOP: sp->loop = 1; return 0;
    case OPT_PACE: sp->pace = 1; return 0;
    case OPT_RECONNECT: sp->reconnect = 1; return 0;
    default: return -1;
    }
}

static int add_output_arg(cli_ctx *ctx, run_opts *o, const char *uri) {
    if (!*uri) return cli_usage_error(ctx, "--output needs a URI, e.g. display://0 or http://127.0.0.1:8080");
    if (o->noutputs >= MAX_OUTPUTS) return cli_usage_error(ctx, "too many outputs (at most %d)", MAX_OUTPUTS);
    o->outputs[o->noutputs++] = uri;
    return 0;
}

/* -o, --listen, --headless: 0 handled, > 0 a usage error's exit code, -1 not an output option. */
static int parse_output_opt(cli_ctx *ctx, int c, run_opts *o) {
    switch (c) {
    case 'o': return add_output_arg(ctx, o, optarg);
    case OPT_LISTEN:
        if (!*optarg) return cli_usage_error(ctx, "--listen needs an address, e.g. 0.0.0.0 or 127.0.0.1");
        o->listen = optarg;
        return 0;
    case OPT_HEADLESS: o->headless = 1; return 0;
    case OPT_OVERLAY: {
        char e[256];
        if (vrt_overlay_parse_flags(optarg, &o->overlay.flags, e, sizeof(e)))
            return cli_usage_error(ctx, "--%s", e);
        return 0;
    }
    case OPT_ALPHA: {
        int64_t a;
        int rc = cli_parse_i64(ctx, "--alpha", optarg, 0, 255, &a);
        if (!rc) o->overlay.alpha = (int)a;
        return rc;
    }
    default: return -1;
    }
}

/* Positional INPUT [OUTPUT] after the options, as in `detectnet /dev/video0 display://0`. */
static int parse_positional(cli_ctx *ctx, int argc, char **argv, run_opts *o) {
    int rc;
    if (optind < argc) {
        if (o->nsources >= VRT_PIPELINE_MAX_STREAMS)
            return cli_usage_error(ctx, "too many sources (at most %d)", VRT_PIPELINE_MAX_STREAMS);
        o->sources[o->nsources++] = argv[optind++];
    }
    if (optind < argc && (rc = add_output_arg(ctx, o, argv[optind++]))) return rc;
    if (optind < argc)
        return cli_usage_error(ctx,
                               "unexpected argument '%s' (vrt run [INPUT [OUTPUT]]; more sources go "
                               "after --source, more outputs after -o)",
                               argv[optind]);
    for (int i = 0; i < o->noutputs; i++)
        if (o->print && !strcmp(o->outputs[i], "-"))
            return cli_usage_error(ctx, "--print and -o - both write to stdout; give -o a file name");
    return 0;
}

/* --gpus all|0,1,...: the syntax here, the ordinals against the GPUs there are once the backend is known. */
static int parse_gpus(cli_ctx *ctx, const char *arg, run_opts *o) {
    o->gpus = arg;
    o->ngpus = 0;
    if (!strcasecmp(arg, "all")) return 0;
    const char *q = arg;
    do {
        char *end = NULL;
        long v = strtol(q, &end, 10);
        if (end == q || v < 0 || v > 1000 || (*end && *end != ',') || o->ngpus >= VRT_PIPELINE_MAX_DEVICES)
            return cli_usage_error(ctx, "--gpus '%s': give 'all' or up to %d GPU ordinals, e.g. 0,1", arg,
                                   VRT_PIPELINE_MAX_DEVICES);
        o->gpu[o->ngpus++] = (int)v;
        q = *end ? end + 1 : end;
    } while (*q);
    return 0;
}

/* --priority LEVEL: for the --source just before it (getopt keeps the options' order). */
static int parse_priority(cli_ctx *ctx, const char *arg, run_opts *o) {
    int v = vrt_priority_parse(arg);
    if (v < 0) return cli_usage_error(ctx, "--priority '%s' unknown; use high or normal", arg);
    if (!o->nsources)
        return cli_usage_error(ctx,
                               "--priority %s applies to the --source before it; give it after the "
                               "source, e.g. -i /dev/video0 --priority high",
                               arg);
    o->priority[o->nsources - 1] = (vrt_priority)v;
    return 0;
}

/* Options for many streams (--summary, --records, batching, memory, priorities): 0
 * handled, > 0 a usage error's exit code, -1 not one of them. */
static int parse_scale_opt(cli_ctx *ctx, int c, run_opts *o) {
    switch (c) {
    case OPT_PRIORITY: return parse_priority(ctx, optarg, o);
    case OPT_RECORDS:
        if (!*optarg) return cli_usage_error(ctx, "--records needs a file name, e.g. records.csv");
        o->records = optarg;
        return 0;
    case OPT_BATCH_SOURCES: o->batch_sources = VRT_BATCH_ON; return 0;
    case OPT_BATCH:
        if (!strcasecmp(optarg, "off"))
            o->batch_sources = VRT_BATCH_OFF;
        else if (!strcasecmp(optarg, "on"))
            o->batch_sources = VRT_BATCH_ON;
        else if (!strcasecmp(optarg, "auto"))
            o->batch_sources = VRT_BATCH_AUTO;
        else
            return cli_usage_error(ctx, "--batch '%s' unknown; use off, on or auto", optarg);
        return 0;
    case OPT_MEMORY_BUDGET:
        return cli_parse_double(ctx, "--memory-budget", optarg, 0.001, 1e9, &o->memory_budget_mib);
    case OPT_BATCH_DEADLINE:
        return cli_parse_double(ctx, "--batch-deadline-ms", optarg, 0.001, 1000, &o->batch_deadline_ms);
    case OPT_GPUS: return parse_gpus(ctx, optarg, o);
    case OPT_SUMMARY:
        if (!*optarg) return cli_usage_error(ctx, "--summary needs a file name, e.g. summary.json");
        o->summary = optarg;
        return 0;
    default: return -1;
    }
}

/* The run's own options (sources, model, backend, limits, result files): 0 handled, > 0 a usage
 * error's exit code, -1 not one of them. */
static int parse_main_opt(cli_ctx *ctx, int c, run_opts *o) {
    switch (c) {
    case 'i':
        if (o->nsources >= VRT_PIPELINE_MAX_STREAMS)
            return cli_usage_error(ctx, "too many --source options (at most %d)", VRT_PIPELINE_MAX_STREAMS);
        if (!*optarg) return cli_usage_error(ctx, "--source needs a URI, e.g. /dev/video0 or synthetic:");
        o->sources[o->nsources++] = optarg;
        return 0;
    case 'm': o->model = optarg; return 0;
    case OPT_PROFILE: o->profile = optarg; return 0;
    case OPT_BACKEND:
        if (strcmp(optarg, "cpu") && strcmp(optarg, "cuda") && strcmp(optarg, "auto"))
            return cli_usage_error(ctx, "--backend '%s' unknown; use cuda, cpu or auto", optarg);
        o->backend = optarg;
        return 0;
    case OPT_THREADS: return cli_parse_i64(ctx, "--threads", optarg, 0, 1024, &o->threads);
    case 'n': return cli_parse_i64(ctx, "--frames", optarg, 1, INT64_MAX / 2, &o->frames);
    case 'd': return cli_parse_double(ctx, "--duration", optarg, 0.001, 1e7, &o->duration);
    case OPT_POLICY:
        if (!strcasecmp(optarg, "newest"))
            o->policy_all = 0;
        else if (!strcasecmp(optarg, "all"))
            o->policy_all = 1;
        else
            return cli_usage_error(ctx, "--policy '%s' unknown; use newest or all", optarg);
        return 0;
    case OPT_DEADLINE: return cli_parse_double(ctx, "--deadline-ms", optarg, 0.001, 1e7, &o->deadline_ms);
    case 'p': o->print = 1; return 0;
    case OPT_JSON:
        if (!*optarg) return cli_usage_error(ctx, "--json needs a file name or '-'");
        o->json = optarg;
        return 0;
    case OPT_REPORT:
        if (!*optarg) return cli_usage_error(ctx, "--report needs a file name, e.g. run.html");
        o->report = optarg;
        return 0;
    case OPT_TIMEOUT: return cli_parse_double(ctx, "--timeout", optarg, 0.01, 86400, &o->timeout_s);
    default: return -1;
    }
}

static int parse_run_args(cli_ctx *ctx, int argc, char **argv, run_opts *o) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"source", required_argument, NULL, 'i'},
        {"model", required_argument, NULL, 'm'},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"frames", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"deadline-ms", required_argument, NULL, OPT_DEADLINE},
        {"print", no_argument, NULL, 'p'},
        {"json", required_argument, NULL, OPT_JSON},
        {"report", required_argument, NULL, OPT_REPORT},
        {"format", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},
        {"fps", required_argument, NULL, OPT_FPS},
        {"buffers", required_argument, NULL, OPT_BUFFERS},
        {"loop", no_argument, NULL, OPT_LOOP},
        {"pace", no_argument, NULL, OPT_PACE},
        {"reconnect", no_argument, NULL, OPT_RECONNECT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"batch-sources", no_argument, NULL, OPT_BATCH_SOURCES},
        {"output", required_argument, NULL, 'o'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"headless", no_argument, NULL, OPT_HEADLESS},
        {"secondary", required_argument, NULL, OPT_SECONDARY},
        {"secondary-model", required_argument, NULL, OPT_SECONDARY_MODEL},
        {"secondary-classes", required_argument, NULL, OPT_SECONDARY_CLASSES},
        {"secondary-min-size", required_argument, NULL, OPT_SECONDARY_MIN_SIZE},
        {"secondary-batch", required_argument, NULL, OPT_SECONDARY_BATCH},
        {"secondary-topk", required_argument, NULL, OPT_SECONDARY_TOPK},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"parallel-model", required_argument, NULL, OPT_PARALLEL_MODEL},
        {"refine-depth", required_argument, NULL, OPT_REFINE_DEPTH},
        {"overlay", required_argument, NULL, OPT_OVERLAY},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"summary", required_argument, NULL, OPT_SUMMARY},
        {"gpus", required_argument, NULL, OPT_GPUS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"batch-deadline-ms", required_argument, NULL, OPT_BATCH_DEADLINE},
        {"memory-budget", required_argument, NULL, OPT_MEMORY_BUDGET},
        {"priority", required_argument, NULL, OPT_PRIORITY},
        {"records", required_argument, NULL, OPT_RECORDS},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    vrt_source_default_params(&o->sp);
    vrt_cascade_default_params(&o->cascade);
    vrt_overlay_default_params(&o->overlay);
    o->overlay.flags |= VRT_OVERLAY_HUD;
    o->backend = "auto";
    o->timeout_s = 5.0;
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS "i:m:n:d:pf:s:o:", opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (c) {
        case 'h': cmd_run_help(stdout); return -1;
        default:
            if ((rc = parse_main_opt(ctx, c, o)) > 0) return rc;
            if (rc < 0 && (rc = parse_output_opt(ctx, c, o)) > 0) return rc;
            if (rc < 0 && (rc = parse_cascade_opt(ctx, c, o)) > 0) return rc;
            if (rc < 0 && (rc = parse_scale_opt(ctx, c, o)) > 0) return rc;
            if (rc < 0 && (rc = parse_source_opt(ctx, c, &o->sp)) > 0) return rc;
            if (rc < 0) return cli_getopt_error(ctx, c, argc, argv, opts);
            break;
        }
    }
    if ((rc = parse_positional(ctx, argc, argv, o))) return rc;
    if (!o->cascade.profile_path && (o->cascade.model || o->cascade.num_classes))
        return cli_usage_error(ctx, "--secondary-model and --secondary-classes need --secondary PROFILE (the "
                                    "classifier's classify profile)");
    if (o->parallel.model && !o->parallel.profile_path)
        return cli_usage_error(ctx, "--parallel-model needs --parallel PROFILE (the second model's profile)");
    if (o->json && o->print && !strcmp(o->json, "-"))
        return cli_usage_error(ctx, "--print and --json - both write to stdout; give --json a file name");
    return 0;
}

/* ---- model lookup ------------------------------------------------------------- */

static int file_exists(const char *p) {
    return access(p, R_OK) == 0;
}

static int find_default_model(char *out, size_t cap) {
    const char *data = vrt__env_get(VRT__ENV_DATA);
    if (data) {
        snprintf(out, cap, "%s/%s", data, DEFAULT_MODEL_REL);
        if (file_exists(out)) return 0;
    }
    /* The developers' ../shared/data layout is reached only through VRT_DATA. */
    static const char *const cands[] = {
        "models/downloads/squeezenet1.0_fp16/SqueezeNet_fp16.onnx",
        "models/downloads/SqueezeNet_fp16.onnx",
    };
    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        if (file_exists(cands[i])) {
            snprintf(out, cap, "%s", cands[i]);
            return 0;
        }
    }
    return -1;
}

/* ---- callbacks ---------------------------------------------------------------- */

typedef struct run_state {
    const run_opts *o;
    vrt_pipeline_t *pl;
    FILE *human; /* stdout, or stderr with --json - */
    char pbuf[VRT_PIPELINE_MAX_STREAMS][2048];
    int live;
} run_state;

/* The result's top 3 classes or first 8 boxes after b[0..n); returns the new length. */
static size_t print_result(const vrt_result *res, char *b, size_t cap, size_t n) {
    const int count = vrt_result_count(res);
    if (vrt_result_kind(res) == VRT_RESULT_CLASSES) {
        for (int i = 0; i < count && i < 3 && n < cap; i++) {
            int index = -1;
            float score = 0;
            vrt_result_class(res, i, &index, &score);
            const char *l = vrt_result_label(res, i);
            char tmp[32];
            if (!l) {
                snprintf(tmp, sizeof(tmp), "class %d", index);
                l = tmp;
            }
            /* '|' between classes: ImageNet labels have commas ("tench, Tinca tinca"). */
            n += (size_t)snprintf(b + n, cap - n, "%s %s %.3f", i ? " |" : ":", l, score);
        }
    } else if (vrt_result_kind(res) == VRT_RESULT_DETECTIONS && n < cap) {
        n += (size_t)snprintf(b + n, cap - n, ": %d detections", count);
        for (int i = 0; i < count && i < 8 && n < cap; i++) {
            vrt_detection d;
            vrt_result_detection(res, i, &d);
            const char *l = vrt_result_label(res, i);
            n += (size_t)snprintf(b + n, cap - n, "%s %s %.2f [%.0f,%.0f,%.0f,%.0f]", i ? " |" : "",
                                  l ? l : "?", d.score, d.box.x1, d.box.y1, d.box.x2, d.box.y2);
            int sc = -1;
            float ss = 0;
            if (n < cap && vrt_result_secondary(res, i, 0, &sc, &ss) == VRT_OK) {
                const char *sl = vrt_result_secondary_label(res, i, 0);
                n += (size_t)snprintf(b + n, cap - n, " (%s %.2f)", sl ? sl : "?", ss);
            }
            float dn = 0;
            if (n < cap && vrt_result_object_depth(res, i, NULL, &dn) == VRT_OK)
                n += (size_t)snprintf(b + n, cap - n, " depth %.2f", dn);
        }
    } else if (vrt_result_task(res) == VRT_TASK_DEPTH && n < cap) {
        float mn = 0, mx = 0, mean = 0;
        vrt_result_depth_stats(res, &mn, &mx, &mean);
        n += (size_t)snprintf(b + n, cap - n, ": depth min %.3g max %.3g mean %.3g", mn, mx, mean);
    }
    const vrt_result *par = vrt_result_parallel(res);
    if (par && n < cap) { /* the second model on the same frame */
        n += (size_t)snprintf(b + n, cap - n, " || %s", vrt_task_name(vrt_result_task(par)));
        n = print_result(par, b, cap, n);
    }
    return n;
}

static void on_result(void *user, const vrt_pipeline_result *r) {
    run_state *rs = user;
    if (rs->o->print) {
        char *b = rs->pbuf[r->stream];
        size_t cap = sizeof(rs->pbuf[0]), n = 0;
        n += (size_t)snprintf(b + n, cap - n, "[%d] frame %llu", r->stream, (unsigned long long)r->sequence);
        if (r->frame_number >= 0 && n < cap)
            n += (size_t)snprintf(b + n, cap - n, " (#%lld)", (long long)r->frame_number);
        n = print_result(r->result, b, cap, n);
        if (n < cap)
            n += (size_t)snprintf(b + n, cap - n, "  | age %.1f ms, process %.1f ms, e2e %.1f ms",
                                  (double)(r->t.launch_ns - r->t.exposure_ns) / 1e6,
                                  (double)(r->t.done_ns - r->t.launch_ns) / 1e6,
                                  (double)(r->t.done_ns - r->t.exposure_ns) / 1e6);
        if (r->dropped_before && n < cap)
            n += (size_t)snprintf(b + n, cap - n, ", %llu dropped before",
                                  (unsigned long long)r->dropped_before);
        if (r->deadline_miss && n < cap) n += (size_t)snprintf(b + n, cap - n, ", LATE");
        if (n >= cap - 1) n = cap - 2;
        b[n++] = '\n';
        if (rs->live) cli_status_clear();
        fwrite(b, 1, n, stdout);
    }
}

static void on_event(void *user, const vrt_pipeline_event *e) {
    run_state *rs = user;
    if (rs->live) cli_status_clear();
    switch (e->kind) {
    case VRT_EVENT_UNPLUGGED: fprintf(stderr, "vrt: stream %d: unplugged: %s\n", e->stream, e->detail); break;
    case VRT_EVENT_RECONNECTED:
        fprintf(stderr, "vrt: stream %d: reconnected (%s)\n", e->stream, e->detail);
        break;
    case VRT_EVENT_ERROR: fprintf(stderr, "vrt: stream %d: %s\n", e->stream, e->detail); break;
    case VRT_EVENT_TIMEOUT: fprintf(stderr, "vrt: stream %d: %s (--timeout)\n", e->stream, e->detail); break;
    case VRT_EVENT_EOF: break;
    }
}

/* ---- output ------------------------------------------------------------------- */

static void print_stage(FILE *f, const char *name, const vrt_hist_summary *s, const char *note) {
    if (!s->count) return;
    fprintf(f, "  %-12s p50 %8.3f  p90 %8.3f  p99 %8.3f  p99.9 %8.3f  max %8.3f  sd %7.3f ms%s\n", name,
            (double)s->p50 / 1e6, (double)s->p90 / 1e6, (double)s->p99 / 1e6, (double)s->p999 / 1e6,
            (double)s->max / 1e6, s->stddev / 1e6, note);
}

/* GPUs the CUDA runtime sees (vrt_engine_device_memory answers for each). */
static int cuda_devices(void) {
    int n = 0;
    size_t fr, tot;
    while (n < VRT_PIPELINE_MAX_DEVICES && vrt_engine_device_memory("cuda", n, &fr, &tot) == VRT_OK)
        n++;
    return n;
}

/* --gpus after the backend is known: dev[] gets the ordinals; returns how
 * many, or -1 after a usage error (its exit code in *code). */
static int resolve_gpus(cli_ctx *ctx, const run_opts *o, int *dev, int *code) {
    if (!o->gpus) return 0;
    *code = 0;
    if (strcmp(o->backend, "cuda")) {
        *code = cli_usage_error(ctx, "--gpus needs the cuda backend; the backend is %s (%s)", o->backend,
                                vrt_engine_backend_available("cuda") ? "--backend cpu" : "no GPU found");
        return -1;
    }
    int have = cuda_devices();
    if (!strcasecmp(o->gpus, "all")) {
        for (int d = 0; d < have; d++)
            dev[d] = d;
        return have;
    }
    for (int k = 0; k < o->ngpus; k++) {
        if (o->gpu[k] >= have) {
            *code = cli_usage_error(ctx, "--gpus: GPU %d does not exist; %d CUDA device%s here", o->gpu[k],
                                    have, have == 1 ? "" : "s");
            return -1;
        }
        dev[k] = o->gpu[k];
    }
    return o->ngpus;
}

/* Per stream its GPU, per GPU its streams and load (streams over several GPUs). */
static void print_devices(FILE *f, vrt_pipeline_t *pl) {
    vrt_pipeline_info in;
    vrt_pipeline_get_info(pl, &in);
    if (in.ndevices < 2) return;
    for (int d = 0; d < in.ndevices; d++) {
        int n = 0;
        double load = 0;
        fprintf(f, "device %d (cuda:%d):", d, in.devices[d]);
        for (int i = 0; i < in.streams; i++) {
            vrt_pipeline_stats st;
            vrt_pipeline_get_stats(pl, i, &st);
            if (st.device_slot != d) continue;
            fprintf(f, " stream %d", i);
            n++;
            load += st.load;
        }
        fprintf(f, "%s; %d stream%s, load %.4g\n", n ? "" : " none", n, n == 1 ? "" : "s", load);
    }
}

/* What a --priority high became: the session's (GPU stream priority or CPU workers' nice) and the
 * stream's own threads. */
static void print_priority(FILE *f, const vrt_pipeline_stats *st) {
    fprintf(f, "  priority:    %s: ", vrt_priority_name(st->priority));
    if (st->device >= 0)
        fprintf(f, "CUDA stream priority %d%s", st->priority_value,
                st->priority_applied ? "" : " (not raised)");
    else
        fprintf(f, "engine workers nice %d%s", st->priority_value,
                st->priority_applied ? "" : " (not permitted)");
    fprintf(f, "; capture/processing threads raised: %d of 2\n", st->threads_raised);
}

static void print_summary(FILE *f, vrt_pipeline_t *pl, const char *stopped_by) {
    for (int i = 0; i < vrt_pipeline_num_streams(pl); i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(pl, i, &st);
        char fcc[8];
        fprintf(f, "stream %d: %s (%s, %s %ux%u", i, st.uri, st.info.kind,
                vrt_fourcc_name(st.info.fourcc, fcc), st.info.width, st.info.height);
        if (st.info.fps > 0) fprintf(f, " @ %.4g fps", st.info.fps);
        fprintf(f, ")\n");
        fprintf(f, "  results:     %llu in %.3f s, %.2f fps; state %s%s%s\n", (unsigned long long)st.results,
                (double)(st.end_ns - st.start_ns) / 1e9, st.fps, st.state, st.error[0] ? ": " : "", st.error);
        fprintf(f, "  drops:       %llu (source %llu, hand-off %llu), deadline misses %llu, errors %llu",
                (unsigned long long)st.dropped, (unsigned long long)st.source.dropped,
                (unsigned long long)st.displaced, (unsigned long long)st.deadline_misses,
                (unsigned long long)st.errors);
        if (st.unplugs) fprintf(f, ", unplugs %llu", (unsigned long long)st.unplugs);
        if (st.reconnects) fprintf(f, ", reconnects %llu", (unsigned long long)st.reconnects);
        fprintf(f, "\n");
        if (st.priority != VRT_PRIORITY_NORMAL) print_priority(f, &st);
        print_stage(f, "end-to-end", &st.stage[VRT_STAGE_E2E], "  (exposure -> result delivered)");
        print_stage(f, "age", &st.stage[VRT_STAGE_AGE], "  (exposure -> processing start)");
        print_stage(f, "period", &st.stage[VRT_STAGE_PERIOD], "  (processing start to start)");
        print_stage(f, "capture", &st.stage[VRT_STAGE_CAPTURE], "");
        print_stage(f, "queue", &st.stage[VRT_STAGE_QUEUE], "");
        print_stage(f, "preprocess", &st.stage[VRT_STAGE_PREPROCESS], "");
        print_stage(f, "infer", &st.stage[VRT_STAGE_INFER], "");
        print_stage(f, "postprocess", &st.stage[VRT_STAGE_POSTPROCESS], "");
        print_stage(f, "deliver", &st.stage[VRT_STAGE_DELIVER], "");
    }
    print_devices(f, pl);
    vrt_pipeline_batch_stats bs;
    vrt_pipeline_get_batch_stats(pl, &bs);
    if (bs.sources)
        fprintf(
            f,
            "batching: %d streams in %d group(s), batch sizes up to %d, deadline %.3f ms: %llu runs, mean "
            "batch %.2f, %llu padded rows; calibration %.3f ms batched vs %.3f ms one by one\n",
            bs.sources, bs.groups, bs.nsizes ? bs.sizes[bs.nsizes - 1] : 0, (double)bs.deadline_ns / 1e6,
            (unsigned long long)bs.runs, bs.runs ? (double)bs.frames / (double)bs.runs : 0,
            (unsigned long long)bs.padded, bs.batched_ms, bs.unbatched_ms);
    else if (bs.mode != VRT_BATCH_OFF)
        fprintf(f, "batching: none (%s)\n", bs.reason);
    for (int k = 0; k < vrt_pipeline_num_outputs(pl); k++) {
        vrt_pipeline_output_stats os;
        if (vrt_pipeline_get_output_stats(pl, k, &os) != VRT_OK || !(os.written || os.dropped || os.lost))
            continue;
        fprintf(f, "sink %s: %llu results written, %llu dropped because it fell behind", os.name,
                (unsigned long long)os.written, (unsigned long long)os.dropped);
        if (os.lost) fprintf(f, ", %llu lost (not delivered)", (unsigned long long)os.lost);
        if (os.latency.count)
            fprintf(f, "; result ready -> written p50 %.3f p99 %.3f max %.3f ms",
                    (double)os.latency.p50 / 1e6, (double)os.latency.p99 / 1e6, (double)os.latency.max / 1e6);
        fprintf(f, "%s%s\n", os.detail[0] ? "; " : "", os.detail);
    }
    fprintf(f, "stopped: %s\n", stopped_by);
    fflush(f);
}

static void status_line(vrt_pipeline_t *pl, int64_t t0) {
    char line[1024];
    size_t n = 0;
    n += (size_t)snprintf(line, sizeof(line), "%.1f s", (double)(vrt_now_ns() - t0) / 1e9);
    for (int i = 0; i < vrt_pipeline_num_streams(pl) && n < sizeof(line); i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(pl, i, &st);
        n += (size_t)snprintf(
            line + n, sizeof(line) - n, " | [%d] %.1f fps e2e p50 %.1f p99 %.1f ms, %llu dropped, %llu late",
            i, st.fps, (double)st.stage[VRT_STAGE_E2E].p50 / 1e6, (double)st.stage[VRT_STAGE_E2E].p99 / 1e6,
            (unsigned long long)st.dropped, (unsigned long long)st.deadline_misses);
    }
    cli_status_line("%s", line);
}

/* ---- the command ---------------------------------------------------------------- */

/* The model (--model or the default SqueezeNet) and its profile (--profile
 * or the one next to it): 0, or the exit code after the message. */
static int resolve_model(cli_ctx *ctx, const run_opts *o, char *model, size_t mcap, char *profile,
                         size_t pcap) {
    char err[1024];
    if (o->model) {
        snprintf(model, mcap, "%s", o->model);
    } else if (find_default_model(model, mcap)) {
        return cli_error("no --model given and SqueezeNet was not found in $VRT_DATA/" DEFAULT_MODEL_REL
                         " or models/downloads/; run scripts/fetch-models or pass --model FILE.onnx");
    } else {
        cli_info(ctx, "no --model given: using %s", model);
    }
    if (cli_check_model_file(model, err, sizeof(err))) return cli_error("%s", err);
    if (o->profile) {
        snprintf(profile, pcap, "%s", o->profile);
    } else if (cli_find_profile(model, profile, pcap, err, sizeof(err))) {
        /* No profile by name: an Ultralytics export configures itself (the pipeline reads its metadata). */
        vrt_profile mp;
        char e2[1024];
        vrt_status st = vrt_profile_from_model(model, &mp, e2, sizeof(e2));
        if (st) return cli_error("%s", st == VRT_ENOENT ? err : e2);
        profile[0] = 0;
    }
    return 0;
}

/* The --source URIs, or the default camera (the synthetic source when it does not open). */
static int add_sources(cli_ctx *ctx, const run_opts *o, vrt_pipeline_t *pl) {
    char err[1024];
    if (o->nsources == 0) {
        char why[512];
        if (vrt_pipeline_add_source(pl, CLI_DEFAULT_DEVICE, &o->sp, NULL, why, sizeof(why)) == VRT_OK) {
            cli_info(ctx, "no source given: using %s", CLI_DEFAULT_DEVICE);
            return 0;
        }
        cli_info(ctx, "no source given; %s did not open (%s); using %s", CLI_DEFAULT_DEVICE, why,
                 CLI_DEFAULT_FALLBACK);
        if (vrt_pipeline_add_source(pl, CLI_DEFAULT_FALLBACK, &o->sp, NULL, err, sizeof(err)) != VRT_OK)
            return cli_error("%s", err);
    }
    for (int i = 0; i < o->nsources; i++) {
        if (vrt_pipeline_add_source(pl, o->sources[i], &o->sp, NULL, err, sizeof(err)) != VRT_OK) {
            if (strstr(err, o->sources[i])) return cli_error("%s", err);
            return cli_error("cannot open '%s': %s", o->sources[i], err);
        }
        if (o->priority[i] != VRT_PRIORITY_NORMAL && vrt_pipeline_set_priority(pl, i, o->priority[i]))
            return cli_error("%s", vrt_pipeline_last_error(pl));
    }
    return 0;
}

/* -o URIs (and the default window): each a sink on its own thread, opened now so that a bad output
 * fails before the run with one message naming it. */
static int open_uri_outputs(cli_ctx *ctx, const run_opts *o, run_state *rs, vrt_pipeline_t *pl) {
    char err[1024];
    vrt_sink_params sp;
    vrt_sink_default_params(&sp);
    sp.listen = o->listen;
    sp.overlay = &o->overlay;
    for (int i = 0; i < o->noutputs; i++) {
        if (!strcmp(o->outputs[i], "-")) rs->human = stderr;
        if (vrt_sink_add(pl, o->outputs[i], &sp, err, sizeof(err)) != VRT_OK)
            return strstr(err, o->outputs[i]) ? cli_error("%s", err)
                                              : cli_error("output %s: %s", o->outputs[i], err);
    }
    for (int k = 0; k < vrt_pipeline_num_outputs(pl); k++) {
        vrt_pipeline_output_stats os;
        if (!vrt_pipeline_get_output_stats(pl, k, &os) && !strncmp(os.name, "http://", 7))
            cli_info(ctx, "web viewer at %s/ (stats: %s/stats, metrics: %s/metrics)", os.name, os.name,
                     os.name);
    }
    /* An interactive run without outputs shows its results in a window when it can (as detectnet
     * does); quietly not, when there is no display or no SDL2 in this build. */
    if (o->noutputs || o->json || o->report || o->headless || !isatty(STDOUT_FILENO)) return 0;
    if (!vrt_sink_available("display") || vrt_sink_add(pl, "display://0", &sp, err, sizeof(err)) != VRT_OK) {
        if (ctx->verbosity > 0)
            cli_info(ctx, "no default window: %s",
                     vrt_sink_available("display") ? err : "no SDL2 in this build");
    } else
        cli_info(ctx, "showing the results in a window (q or Esc stops; --headless: none)");
    return 0;
}

/* --json and --report: sinks on their own threads (vrt/sink.h), opened before the run so a bad path
 * fails early. */
static int open_outputs(const run_opts *o, run_state *rs, vrt_pipeline_t *pl, int argc, char **argv) {
    char uri[1100], err[1024];
    if (o->json) {
        snprintf(uri, sizeof(uri), "jsonl:%s", o->json);
        if (!strcmp(o->json, "-")) rs->human = stderr;
        if (vrt_sink_add(pl, uri, NULL, err, sizeof(err)) != VRT_OK) return cli_error("--json %s", err);
    }
    if (o->report) {
        char cmdline[2048];
        size_t n = 0;
        cmdline[0] = 0;
        for (int i = 0; i < argc && n < sizeof(cmdline); i++)
            n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, "%s%s", i ? " " : "vrt ", argv[i]);
        vrt_sink_params sp;
        vrt_sink_default_params(&sp);
        sp.command_line = cmdline;
        snprintf(uri, sizeof(uri), "report:%s", o->report);
        if (vrt_sink_add(pl, uri, &sp, err, sizeof(err)) != VRT_OK) return cli_error("--report %s", err);
    }
    return 0;
}

/* Until a signal, --duration or the end of every stream; returns why it stopped. */
static const char *run_loop(const run_opts *o, run_state *rs, vrt_pipeline_t *pl) {
    int64_t t0 = vrt_now_ns();
    int64_t deadline = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : INT64_MAX;
    for (;;) {
        if (cli_stop_signal()) return "signal";
        if (vrt_now_ns() >= deadline) return "duration";
        if (vrt_pipeline_wait(pl, 100) == VRT_OK) {
            const char *asked = vrt_pipeline_stop_requested(pl); /* an output: window closed, q, Esc */
            return asked ? asked : o->frames ? "frames" : "end";
        }
        if (rs->live) status_line(pl, t0);
    }
}

/* CLI_EXIT_OK, or CLI_EXIT_RUNTIME when a stream failed or nothing was processed. */
static int check_streams(vrt_pipeline_t *pl) {
    int exit_code = CLI_EXIT_OK;
    uint64_t total = 0;
    for (int i = 0; i < vrt_pipeline_num_streams(pl); i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(pl, i, &st);
        total += st.results;
        /* Frames skipped as corrupt or short (a damaged file, a flaky camera) do not end the
         * run, but must not pass unnoticed either. */
        if (st.errors && strcmp(st.state, "error"))
            fprintf(stderr,
                    "vrt: stream %d (%s): %llu frames were corrupt, short or failed and were skipped\n", i,
                    st.uri, (unsigned long long)st.errors);
        if (!strcmp(st.state, "error") || !strcmp(st.state, "timeout") || !strcmp(st.state, "unplugged")) {
            cli_error("stream %d (%s) ended: %s", i, st.uri, st.error[0] ? st.error : st.state);
            exit_code = CLI_EXIT_RUNTIME;
        }
    }
    if (!total && !cli_stop_signal()) {
        cli_error("no results: no frame was processed");
        exit_code = CLI_EXIT_RUNTIME;
    }
    return exit_code;
}

/* --records: every stream's kept per-frame records (vrt_pipeline_stream_records), oldest first, as
 * CSV; after the run, so the writing costs the frame path nothing. 0, or -1 with errno set. */
static int write_records(const char *path, vrt_pipeline_t *pl) {
    enum { CAP = 65536 };
    vrt_pipeline_record *recs = vrt_malloc(CAP * sizeof(*recs));
    FILE *f = recs ? fopen(path, "w") : NULL;
    if (!f) {
        vrt_free(recs);
        if (!errno) errno = ENOMEM;
        return -1;
    }
    fprintf(f,
            "stream,sequence,exposure_ns,launch_ns,age_ns,process_ns,e2e_ns,dropped_before,deadline_miss\n");
    for (int i = 0; i < vrt_pipeline_num_streams(pl); i++) {
        size_t n = vrt_pipeline_stream_records(pl, i, recs, CAP);
        for (size_t k = 0; k < n; k++) {
            const vrt_pipeline_record *r = &recs[k];
            fprintf(f, "%d,%llu,%lld,%lld,%lld,%lld,%lld,%u,%d\n", i, (unsigned long long)r->sequence,
                    (long long)r->exposure_ns, (long long)r->launch_ns, (long long)r->age_ns,
                    (long long)r->process_ns, (long long)r->e2e_ns, r->dropped_before, r->deadline_miss);
        }
    }
    vrt_free(recs);
    int bad = ferror(f);
    if (fclose(f) || bad) return -1;
    return 0;
}

/* The human summary, then the sinks' final parts (the JSON summary line, the report); returns the
 * exit code. */
static int write_outputs(cli_ctx *ctx, const run_opts *o, run_state *rs, vrt_pipeline_t *pl,
                         const char *stopped_by, int exit_code) {
    char err[1024];
    print_summary(rs->human, pl, stopped_by);
    if (vrt_pipeline_finish(pl, stopped_by, err, sizeof(err)) != VRT_OK) {
        cli_error("%s", err);
        return CLI_EXIT_RUNTIME;
    }
    if (o->report) cli_info(ctx, "report written to %s", o->report);
    if (o->records && write_records(o->records, pl)) {
        cli_error("--records %s: cannot write (%s)", o->records, strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    if (o->summary) {
        FILE *f = fopen(o->summary, "w");
        vrt_json w;
        vrt_status st = VRT_EIO;
        if (f) {
            vrt_json_init_file(&w, f);
            vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
            vrt_sink_json_summary(pl, stopped_by, &w);
            vrt_json_newline(&w);
            st = vrt_json_finish(&w);
            if (fclose(f)) st = VRT_EIO;
        }
        if (st) {
            cli_error("--summary %s: cannot write (%s)", o->summary, strerror(errno));
            return CLI_EXIT_RUNTIME;
        }
    }
    return exit_code;
}

int cmd_run(cli_ctx *ctx, int argc, char **argv) {
    run_opts o;
    int rc = parse_run_args(ctx, argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (o.batch_sources == VRT_BATCH_ON && o.nsources < 2)
        return cli_usage_error(
            ctx, "--batch on batches 2 or more sources; give at least two --source (got %d)", o.nsources);
    cli_setup_logging(ctx);

    char model[4096], profile[VRT_PROFILE_PATH_MAX], err[1024];
    if ((rc = resolve_model(ctx, &o, model, sizeof(model), profile, sizeof(profile)))) return rc;

    run_state *rs = vrt_calloc(1, sizeof(*rs));
    if (!rs) return cli_error("out of memory");
    rs->o = &o;
    rs->human = stdout;
    int exit_code = CLI_EXIT_RUNTIME;
    const char *stopped_by = "error";
    int ran = 0;

    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    if (!strcmp(o.backend, "auto")) o.backend = vrt_engine_backend_available("cuda") ? "cuda" : "cpu";
    pp.backend = o.backend;
    pp.threads = (int)o.threads;
    pp.policy = o.policy_all ? VRT_POLICY_ALL : VRT_POLICY_NEWEST;
    pp.deadline_ns = (int64_t)(o.deadline_ms * 1e6);
    pp.max_frames = o.frames;
    pp.frame_timeout_ms = (int)(o.timeout_s * 1000);
    pp.on_result = on_result;
    pp.on_event = on_event;
    pp.user = rs;
    pp.batch_sources = o.batch_sources;
    pp.batch_deadline_ns = (int64_t)(o.batch_deadline_ms * 1e6);
    pp.memory_budget = (int64_t)(o.memory_budget_mib * 1024 * 1024);
    pp.cascade = o.cascade.profile_path ? &o.cascade : NULL;
    pp.parallel = o.parallel.profile_path ? &o.parallel : NULL;
    pp.refine_depth = o.refine_set ? &o.refine : NULL;
    vrt_pipeline_t *pl = NULL;
    int gpus[VRT_PIPELINE_MAX_DEVICES], gcode = 0;
    pp.ndevices = resolve_gpus(ctx, &o, gpus, &gcode);
    if (pp.ndevices < 0) {
        exit_code = gcode;
        goto done;
    }
    pp.devices = gpus;
    if (vrt_pipeline_create(&pl, &pp, err, sizeof(err)) != VRT_OK) {
        cli_error("%s", err);
        goto done;
    }
    rs->pl = pl;
    if (add_sources(ctx, &o, pl) || open_outputs(&o, rs, pl, argc, argv) || open_uri_outputs(ctx, &o, rs, pl))
        goto done;
    const vrt_profile *prof = vrt_pipeline_profile(pl);
    cli_info(ctx, "model %s, profile %s (%s), backend %s", model,
             profile[0] ? profile : "from the model's metadata", vrt_task_name(prof->task), o.backend);

    cli_install_stop_signals();
    if (vrt_pipeline_start(pl) != VRT_OK) {
        cli_error("%s", vrt_pipeline_last_error(pl));
        goto done;
    }
    ran = 1;
    rs->live = isatty(STDERR_FILENO) && ctx->verbosity >= 0 && !(rs->human == stderr);
    stopped_by = run_loop(&o, rs, pl);
    vrt_pipeline_stop(pl);
    if (rs->live) cli_status_clear();
    fflush(stdout);
    exit_code = check_streams(pl);

done:
    if (pl && ran) {
        vrt_pipeline_stop(pl);
        exit_code = write_outputs(ctx, &o, rs, pl, stopped_by, exit_code);
    }
    fflush(stdout);
    vrt_pipeline_destroy(&pl);
    vrt_free(rs);
    return exit_code;
}
