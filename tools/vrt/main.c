/*
 * vrt - the visionrt command line.
 *
 *   vrt [-v|-q|--log-level L] COMMAND [options]
 *
 * Dispatches to the sub-commands in cmd_*.c. Exit codes: 0 ok, 1 runtime error,
 * 2 usage error (see cli_util.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vrt/core.h"

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(cli_ctx *ctx, int argc, char **argv);
    void (*help)(FILE *f);
} cli_command;

static const cli_command g_commands[] = {
    {"probe", "list video devices with formats, sizes, frame rates and controls", cmd_probe, cmd_probe_help},
    {"capture",
     "read frames from a camera, file, stream, images or synthetic: save them,\n"
     "             print frame statistics",
     cmd_capture, cmd_capture_help},
    {"infer", "run an ONNX model on images: top-k classes or detected boxes, with timings", cmd_infer,
     cmd_infer_help},
    {"inspect", "describe an ONNX model: inputs/outputs, ops, parameters, FLOPs, memory plan", cmd_inspect,
     cmd_inspect_help},
    {"run", "the real-time pipeline: sources -> model -> results, latency summary, JSON, report", cmd_run,
     cmd_run_help},
    {"bench", "time a model's inference (latency percentiles over N runs)", cmd_bench, cmd_bench_help},
    {"quantize", "INT8 post-training quantization: calibration images -> a QDQ ONNX model", cmd_quantize,
     cmd_quantize_help},
};
#define NUM_COMMANDS ((int)(sizeof(g_commands) / sizeof(g_commands[0])))

static void main_help(FILE *f) {
    fprintf(f, "vrt %s - real-time computer vision toolkit (visionrt)\n\n", vrt_version());
    fputs("usage: vrt [--verbose|-v] [--quiet|-q] [--log-level LEVEL] COMMAND [options]\n"
          "       vrt help COMMAND        help for one command (same as vrt COMMAND --help)\n"
          "       vrt --version           library version and build information\n\n"
          "commands:\n",
          f);
    for (int i = 0; i < NUM_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", g_commands[i].name, g_commands[i].summary);
    fputs("\nhelp topics:\n"
          "  sources    source URIs: cameras, files, streams, images, synthetic (vrt help sources)\n"
          "  outputs    output URIs: window, web viewer, MQTT, files (vrt help outputs)\n\n"
          "options (also accepted after the command):\n"
          "  -v, --verbose          more messages (-vv: debug)\n"
          "  -q, --quiet            errors only; no status line\n"
          "      --log-level LEVEL  error, warn, info, debug or trace (default: warn)\n"
          "  -h, --help             this help\n"
          "      --version          version and build information\n\n"
          "exit status: 0 success, 1 runtime error (message on stderr), 2 usage error\n\n"
          "examples:\n"
          "  vrt probe                              list cameras\n"
          "  vrt capture --duration 5               5 s from /dev/video0 (or synthetic:)\n"
          "  vrt capture video.mp4 --frames 100 --out frames/\n"
          "  vrt infer SqueezeNet_fp16.onnx dog.jpg   top-5 ImageNet classes\n"
          "  vrt inspect yolox_nano.onnx             shapes, ops, FLOPs, memory plan\n"
          "  vrt run --model SqueezeNet_fp16.onnx       camera (or synthetic:) -> top-5, latency\n",
          f);
}

static const cli_command *find_command(const char *name) {
    for (int i = 0; i < NUM_COMMANDS; i++)
        if (!strcmp(g_commands[i].name, name)) return &g_commands[i];
    return NULL;
}

static int unknown_command(cli_ctx *ctx, const char *name) {
    const char *names[NUM_COMMANDS + 2];
    for (int i = 0; i < NUM_COMMANDS; i++)
        names[i] = g_commands[i].name;
    names[NUM_COMMANDS] = "help";
    names[NUM_COMMANDS + 1] = NULL;
    const char *s = cli_suggest(name, names);
    ctx->cmd = NULL;
    if (s) return cli_usage_error(ctx, "unknown command '%s' (did you mean '%s'?)", name, s);
    return cli_usage_error(ctx, "unknown command '%s'", name);
}

static int help_command(cli_ctx *ctx, int argc, char **argv) {
    if (argc < 2) {
        main_help(stdout);
        return 0;
    }
    if (argc > 2) return cli_usage_error(ctx, "'help' takes one topic, got %d", argc - 1);
    if (!strcmp(argv[1], "sources")) {
        cli_sources_help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "outputs")) {
        cli_outputs_help(stdout);
        return 0;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c) return unknown_command(ctx, argv[1]);
    c->help(stdout);
    return 0;
}

static int run_main(int argc, char **argv) {
    cli_ctx ctx = {.cmd = NULL, .verbosity = 0, .log_level = -1};
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    /* Global options stop at the command name ("+"); the rest belongs to the command. */
    int first_non_option = argc;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' || !strcmp(argv[i], "--")) {
            first_non_option = i;
            break;
        }
        if (!strcmp(argv[i], "--log-level")) i++;
    }
    int rc = cli_getopt_begin(&ctx, first_non_option, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(&ctx, argc, argv, "+" CLI_COMMON_SHORT_OPTIONS, opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (c) {
        case 'h': main_help(stdout); return 0;
        case 'V': printf("vrt %s\n%s\n", vrt_version(), vrt_build_info()); return 0;
        default: return cli_getopt_error(&ctx, c, argc, argv, opts);
        }
    }
    if (optind >= argc) {
        main_help(stderr);
        return cli_usage_error(&ctx, "no command given");
    }
    const char *name = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (!strcmp(name, "help")) {
        ctx.cmd = "help";
        return help_command(&ctx, sub_argc, sub_argv);
    }
    const cli_command *cmd = find_command(name);
    if (!cmd) return unknown_command(&ctx, name);
    ctx.cmd = cmd->name;
    optind = 0; /* full re-initialisation of getopt for the command's own parse */
    return cmd->run(&ctx, sub_argc, sub_argv);
}

int main(int argc, char **argv) {
    int rc = run_main(argc, argv);
    /* Output to a full disk or a closed pipe (> /dev/full) must not end with
     * status 0: stdio reports it only through ferror/fflush. */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("writing the standard output failed (%s)", errno ? strerror(errno) : "I/O error");
        if (rc == 0) rc = CLI_EXIT_RUNTIME;
    }
    return rc;
}
