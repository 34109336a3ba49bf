/*
 * cli_util.h - shared pieces of the `vrt` command: exit codes, messages,
 * option parsing with exact long-option names, number parsing, logging.
 *
 * Exit codes: 0 success, 1 runtime error (the library's message is printed),
 * 2 usage error (one line with a hint: "see 'vrt capture --help'").
 * Everything meant for people goes to stderr; results (summaries, JSON) go
 * to stdout so they can be piped.
 */
#ifndef VRT_CLI_UTIL_H
#define VRT_CLI_UTIL_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "vrt/core.h"
#include "vrt/engine.h"
#include "vrt/json.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE 2

/* Options every command accepts; ids above 255 so they never clash with short options. */
enum {
    CLI_OPT_LOG_LEVEL = 1000,
    CLI_OPT_FIRST_COMMAND_OPTION = 1100, /* commands number their own long-only options from here */
};

#define CLI_COMMON_LONG_OPTIONS                                                                              \
    {"help", no_argument, NULL, 'h'}, {"verbose", no_argument, NULL, 'v'},                                   \
        {"quiet", no_argument, NULL, 'q'}, {                                                                 \
        "log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL                                              \
    }
#define CLI_COMMON_SHORT_OPTIONS ":hvq"

/* What `vrt capture` and `vrt run` read when no source is given: the camera if it
 * opens, else the synthetic pattern. */
#define CLI_DEFAULT_DEVICE "/dev/video0"
#define CLI_DEFAULT_FALLBACK "synthetic:"

/* Process-wide CLI settings (the CLI is one process doing one thing). */
typedef struct cli_ctx {
    const char *cmd; /* current command name, for hints ("capture"); NULL at top level */
    int verbosity;   /* -1 quiet, 0 normal, 1 verbose (-v), 2 debug (-vv) */
    int log_level;   /* explicit --log-level, or -1 */
} cli_ctx;

/* Prints "vrt: <message>; see 'vrt CMD --help'" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "vrt: <message>" to stderr and returns CLI_EXIT_RUNTIME. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_error("<what>: <msg>"), naming `what` once when msg already starts with "<what>:". */
int cli_error_about(const char *what, const char *msg);
/* Informational line on stderr unless quiet. */
void cli_info(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Applies verbosity/--log-level to the library's logger and installs the CLI's log
 * callback (which keeps the live status line tidy). */
void cli_setup_logging(const cli_ctx *ctx);

/* Rejects abbreviated or unknown long options before getopt_long sees them (getopt_long
 * would silently accept "--fram" for "--frames"). Returns 0 or CLI_EXIT_USAGE after
 * printing the message, with a "did you mean" suggestion when one is close. */
int cli_check_long_options(const cli_ctx *ctx, int argc, char **argv, const struct option *opts);
/* Turns getopt_long's '?' (unknown) or ':' (missing value; the option string must start
 * with ':') into the usage message. Always returns CLI_EXIT_USAGE. */
int cli_getopt_error(const cli_ctx *ctx, int c, int argc, char **argv, const struct option *opts);
/* Handles -v/-q/--log-level. Returns 1 if c was one of them, 0 if not, and -1 after
 * printing the usage message for a bad value. */
int cli_common_option(cli_ctx *ctx, int c, const char *arg);

/* The option loop every command runs:
 *     int rc = cli_getopt_begin(ctx, argc, argv, opts);
 *     if (rc) return rc;
 *     while ((c = cli_getopt_next(ctx, argc, argv, shortopts, opts)) != -1) {
 *         if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
 *         switch (c) { ... default: return cli_getopt_error(ctx, c, argc, argv, opts); }
 *     }
 * cli_getopt_begin checks argv[1..check_argc) with cli_check_long_options and sets
 * opterr = 0 (0 or CLI_EXIT_USAGE). cli_getopt_next is getopt_long that handles
 * -v/-q/--log-level itself (cli_common_option): it returns the next other option, -1 at
 * the end, or CLI_GETOPT_USAGE after printing the usage message for a bad value. */
#define CLI_GETOPT_USAGE (-2)
int cli_getopt_begin(const cli_ctx *ctx, int check_argc, char **argv, const struct option *opts);
int cli_getopt_next(cli_ctx *ctx, int argc, char **argv, const char *shortopts, const struct option *opts);

/* Closest name in a NULL-terminated list (prefix or edit distance <= 2), or NULL. */
const char *cli_suggest(const char *word, const char *const *names);

/* Number parsing for option values. 0 on success; on failure prints the usage message
 * naming the option and the accepted range, and returns CLI_EXIT_USAGE. */
int cli_parse_i64(const cli_ctx *ctx, const char *opt, const char *s, int64_t min, int64_t max, int64_t *out);
int cli_parse_double(const cli_ctx *ctx, const char *opt, const char *s, double min, double max, double *out);
/* "640x480" (also "640X480", "640*480"). */
int cli_parse_size(const cli_ctx *ctx, const char *opt, const char *s, uint32_t *w, uint32_t *h);
/* A pixel format name (vrt_fourcc_parse: YUYV, MJPG, ...). */
int cli_parse_fourcc(const cli_ctx *ctx, const char *opt, const char *s, uint32_t *out);
/* --backend of infer, inspect and bench: "cpu" or "cuda"; *out = s. */
int cli_parse_backend(const cli_ctx *ctx, const char *s, const char **out);
/* --precision of bench: auto, fp16, fp32 or tf32 (vrt_engine_options.precision). */
int cli_parse_precision(const cli_ctx *ctx, const char *s, vrt_precision *out);

/* Live status line on stderr (terminal only): cli_status_line prints "\r<text>\033[K",
 * cli_status_clear erases it. The log callback clears it before printing. */
void cli_status_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_status_clear(void);

/* SIGINT/SIGTERM handling of `vrt capture` and `vrt run`: cli_install_stop_signals
 * resets the stop signal to 0 and installs a handler that records the signal, without
 * SA_RESTART (a blocking poll in the source returns early) and with SA_RESETHAND (a
 * second Ctrl-C kills the process the usual way if the clean stop hangs).
 * cli_stop_signal returns the signal received since, or 0. */
void cli_install_stop_signals(void);
int cli_stop_signal(void);

/* Ends a JSON document written to stdout by vrt_json_init_file: newline, finish, flush.
 * 0, or CLI_EXIT_RUNTIME after printing "writing JSON failed: ...". */
int cli_json_print_end(vrt_json *w);

/* Creates a directory and its parents (mkdir -p). 0 or -errno. */
int cli_mkdirs(const char *path);

#endif
