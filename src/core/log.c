#include "vrt/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Process-wide configuration (constant after start-up), not per-instance state. */
static vrt_log_fn g_fn;
static void *g_user;
static atomic_int g_level = VRT_LOG_WARN;

static const char *level_name(vrt_log_level l) {
    static const char *n[] = {"error", "warning", "info", "debug", "trace"};
    return (unsigned)l < 5 ? n[l] : "?";
}

void vrt_log_set(vrt_log_fn fn, void *user, vrt_log_level max_level) {
    g_fn = fn;
    g_user = user;
    atomic_store(&g_level, (int)max_level);
}

vrt_log_level vrt_log_get_level(void) {
    return (vrt_log_level)atomic_load(&g_level);
}

int vrt_log_enabled(vrt_log_level level) {
    return (int)level <= atomic_load_explicit(&g_level, memory_order_relaxed);
}

void vrt_logv(vrt_log_level level, const char *who, const char *fmt, va_list ap) {
    if (!vrt_log_enabled(level)) return;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (g_fn) {
        g_fn(g_user, level, who, msg);
    } else if (who) {
        fprintf(stderr, "vrt %s: %s: %s\n", level_name(level), who, msg);
    } else {
        fprintf(stderr, "vrt %s: %s\n", level_name(level), msg);
    }
}

void vrt_log(vrt_log_level level, const char *who, const char *fmt, ...) {
    if (!vrt_log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    vrt_logv(level, who, fmt, ap);
    va_end(ap);
}

int vrt_log_level_parse(const char *s) {
    static const char *n[] = {"error", "warn", "info", "debug", "trace"};
    for (int i = 0; i < 5; i++)
        if (!strcasecmp(s, n[i])) return i;
    if (!strcasecmp(s, "warning")) return VRT_LOG_WARN;
    return -1;
}
