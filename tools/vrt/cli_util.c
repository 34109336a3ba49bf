#include "cli_util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vrt/frame.h"

/* The status line is on screen (so a log message must erase it first). The CLI is
 * single-threaded apart from library threads that may log, hence no lock: at worst a
 * line is erased twice. */
static int g_status_shown;

static void vmessage(const char *fmt, va_list ap) {
    if (g_status_shown) cli_status_clear();
    fputs("vrt: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    if (ctx && ctx->cmd)
        fprintf(stderr, "; see 'vrt %s --help'\n", ctx->cmd);
    else
        fprintf(stderr, "; see 'vrt --help'\n");
    return CLI_EXIT_USAGE;
}

int cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_RUNTIME;
}

int cli_error_about(const char *what, const char *msg) {
    /* The library already names the file in most of its messages: print it once. */
    size_t n = strlen(what);
    if (!strncmp(msg, what, n) && msg[n] == ':') return cli_error("%s", msg);
    /* A very long path is named by its end ("...tail: reason"): keep the reason visible. */
    if (n >= 200 && !strncmp(msg, "...", 3)) return cli_error("%s", msg);
    if (n >= 200) return cli_error("...%s: %s", what + n - 160, msg);
    return cli_error("%s: %s", what, msg);
}

void cli_info(const cli_ctx *ctx, const char *fmt, ...) {
    if (ctx && ctx->verbosity < 0) return;
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- logging ------------------------------------------------------------ */

static void cli_log(void *user, vrt_log_level level, const char *who, const char *msg) {
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    (void)user;
    if (g_status_shown) cli_status_clear();
    fprintf(stderr, "vrt: [%s] %s%s%s\n", names[level <= VRT_LOG_TRACE ? level : VRT_LOG_TRACE],
            who ? who : "", who ? ": " : "", msg);
}

void cli_setup_logging(const cli_ctx *ctx) {
    vrt_log_level lvl = VRT_LOG_WARN;
    if (ctx->verbosity < 0) lvl = VRT_LOG_ERROR;
    if (ctx->verbosity == 1) lvl = VRT_LOG_INFO;
    if (ctx->verbosity >= 2) lvl = VRT_LOG_DEBUG;
    if (ctx->log_level >= 0) lvl = (vrt_log_level)ctx->log_level;
    vrt_log_set(cli_log, NULL, lvl);
}

/* ---- option parsing ----------------------------------------------------- */

static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    int prev[41], cur[41];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            int m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const char *cli_suggest(const char *word, const char *const *names) {
    const char *best = NULL;
    size_t wl = strlen(word);
    /* Two edits turn a short word into many others ("out" -> "iou"): one
     * edit below 6 letters, two from there. */
    int best_d = wl >= 6 ? 3 : 2;
    for (int i = 0; names[i]; i++) {
        if (wl >= 2 && !strncmp(names[i], word, wl)) return names[i];
        int d = edit_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}

static const char *suggest_option(const char *name, const struct option *opts) {
    const char *names[128];
    int n = 0;
    for (int i = 0; opts[i].name && n < 127; i++)
        names[n++] = opts[i].name;
    names[n] = NULL;
    return cli_suggest(name, names);
}

int cli_check_long_options(const cli_ctx *ctx, int argc, char **argv, const struct option *opts) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (strncmp(a, "--", 2) != 0) continue;
        const char *name = a + 2;
        size_t len = strcspn(name, "=");
        const struct option *hit = NULL;
        for (int k = 0; opts[k].name; k++)
            if (strlen(opts[k].name) == len && !strncmp(opts[k].name, name, len)) hit = &opts[k];
        if (!hit) {
            char word[64];
            snprintf(word, sizeof(word), "%.*s", (int)(len < 63 ? len : 63), name);
            const char *s = suggest_option(word, opts);
            if (s) return cli_usage_error(ctx, "unknown option '--%s' (did you mean '--%s'?)", word, s);
            return cli_usage_error(ctx, "unknown option '--%s'", word);
        }
        if (hit->has_arg == no_argument && name[len] == '=')
            return cli_usage_error(ctx, "option '--%s' takes no value", hit->name);
        /* A required value in the next word is consumed by getopt; skip it here. */
        if (hit->has_arg == required_argument && name[len] != '=') i++;
    }
    return 0;
}

int cli_getopt_error(const cli_ctx *ctx, int c, int argc, char **argv, const struct option *opts) {
    if (c == ':') {
        /* Missing value: optopt is the short option or the long option's val. */
        for (int k = 0; opts[k].name; k++)
            if (opts[k].val == optopt)
                return cli_usage_error(ctx, "option '--%s' needs a value", opts[k].name);
        if (optopt > 0 && optopt < 256) return cli_usage_error(ctx, "option '-%c' needs a value", optopt);
    }
    if (optopt > 0 && optopt < 256) return cli_usage_error(ctx, "unknown option '-%c'", optopt);
    const char *arg = (optind >= 1 && optind - 1 < argc) ? argv[optind - 1] : "?";
    return cli_usage_error(ctx, "unknown option '%s'", arg);
}

int cli_getopt_begin(const cli_ctx *ctx, int check_argc, char **argv, const struct option *opts) {
    int rc = cli_check_long_options(ctx, check_argc, argv, opts);
    if (rc) return rc;
    opterr = 0;
    return 0;
}

int cli_getopt_next(cli_ctx *ctx, int argc, char **argv, const char *shortopts, const struct option *opts) {
    int c;
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        int r = cli_common_option(ctx, c, optarg);
        if (r < 0) return CLI_GETOPT_USAGE;
        if (!r) return c;
    }
    return -1;
}

int cli_common_option(cli_ctx *ctx, int c, const char *arg) {
    switch (c) {
    case 'v':
        if (ctx->verbosity < 0) ctx->verbosity = 0;
        ctx->verbosity++;
        return 1;
    case 'q': ctx->verbosity = -1; return 1;
    case CLI_OPT_LOG_LEVEL: {
        int l = vrt_log_level_parse(arg);
        if (l < 0) {
            cli_usage_error(ctx, "--log-level '%s' unknown; use error, warn, info, debug or trace", arg);
            return -1;
        }
        ctx->log_level = l;
        return 1;
    }
    default: return 0;
    }
}

int cli_parse_i64(const cli_ctx *ctx, const char *opt, const char *s, int64_t min, int64_t max,
                  int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        if (max >= INT32_MAX)
            return cli_usage_error(ctx, "%s '%s': expected an integer >= %lld", opt, s, (long long)min);
        return cli_usage_error(ctx, "%s '%s': expected an integer from %lld to %lld", opt, s, (long long)min,
                               (long long)max);
    }
    *out = v;
    return 0;
}

int cli_parse_double(const cli_ctx *ctx, const char *opt, const char *s, double min, double max,
                     double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < min || v > max)
        return cli_usage_error(ctx, "%s '%s': expected a number from %g to %g", opt, s, min, max);
    *out = v;
    return 0;
}

int cli_parse_size(const cli_ctx *ctx, const char *opt, const char *s, uint32_t *w, uint32_t *h) {
    char *end = NULL;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X' && *end != '*') || errno) goto bad;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end || errno) goto bad;
    if (a < 1 || b < 1 || a > 16384 || b > 16384) goto bad;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return 0;
bad:
    return cli_usage_error(ctx, "%s '%s': expected WIDTHxHEIGHT, e.g. 640x480 (1..16384 each)", opt, s);
}

int cli_parse_fourcc(const cli_ctx *ctx, const char *opt, const char *s, uint32_t *out) {
    uint32_t cc = vrt_fourcc_parse(s);
    if (!cc)
        return cli_usage_error(ctx, "%s '%s' unknown; use YUYV, UYVY, NV12, RGB24, BGR24, GREY or MJPEG", opt,
                               s);
    *out = cc;
    return 0;
}

int cli_parse_backend(const cli_ctx *ctx, const char *s, const char **out) {
    if (strcmp(s, "cpu") && strcmp(s, "cuda"))
        return cli_usage_error(ctx, "--backend '%s': use cpu or cuda", s);
    *out = s;
    return 0;
}

int cli_parse_precision(const cli_ctx *ctx, const char *s, vrt_precision *out) {
    static const struct {
        const char *name;
        vrt_precision p;
    } t[] = {{"auto", VRT_PRECISION_AUTO},
             {"fp16", VRT_PRECISION_FP16},
             {"fp32", VRT_PRECISION_FP32},
             {"tf32", VRT_PRECISION_TF32}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(s, t[i].name)) {
            *out = t[i].p;
            return 0;
        }
    return cli_usage_error(ctx, "--precision '%s': use auto, fp16, fp32 or tf32", s);
}

/* ---- status line -------------------------------------------------------- */

void cli_status_line(const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "\r%s\033[K", buf);
    fflush(stderr);
    g_status_shown = 1;
}

void cli_status_clear(void) {
    if (!g_status_shown) return;
    g_status_shown = 0;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ---- signals, JSON, files ---------------------------------------------- */

static volatile sig_atomic_t g_stop_signal;

static void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

void cli_install_stop_signals(void) {
    g_stop_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_stop_signal(void) {
    return g_stop_signal;
}

int cli_json_print_end(vrt_json *w) {
    vrt_json_newline(w);
    vrt_status st = vrt_json_finish(w);
    fflush(stdout);
    if (st != VRT_OK) return cli_error("writing JSON failed: %s", vrt_json_error(w));
    return 0;
}

int cli_mkdirs(const char *path) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -errno;
    struct stat st;
    if (stat(tmp, &st) != 0) return -errno;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    return 0;
}
