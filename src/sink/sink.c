/* sink.c - the sink table and vrt_sink_add: a URI picks a row by scheme
 * ("jsonl:PATH") or, for a plain path, by its extension; the row's open
 * makes a pipeline output that vrt_pipeline_add_output then runs. */
#include "sink-impl.h"

#include "vrt/writer.h"

#include <stdio.h>
#include <string.h>

/* Every sink, once. Adding one: a file under src/sink/ and a row here. */
static const vrt__sink_kind *const g_sinks[] = {
    &vrt__sink_jsonl, &vrt__sink_report, &vrt__sink_display,
    &vrt__sink_http,  &vrt__sink_mqtt,   &vrt__sink_files,
};
#define NSINKS (sizeof(g_sinks) / sizeof(g_sinks[0]))

void vrt_sink_default_params(vrt_sink_params *p) {
    memset(p, 0, sizeof(*p));
}

vrt_status vrt__sink_missing(const char *uri, const char *what, const char *package, char *err, size_t cap) {
    vrt_errbuf_set(err, cap,
                   "%s: this build has no %s (%s was not found when it was configured); install %s and "
                   "build again",
                   uri, what, package, package);
    return VRT_ENOSYS;
}

static int has_extension(const char *path, const char *exts) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    size_t n = strlen(dot);
    for (const char *e = exts; e && *e;) {
        size_t k = strcspn(e, " ");
        if (k == n && !strncmp(e, dot, n)) return 1;
        e += k;
        while (*e == ' ')
            e++;
    }
    return 0;
}

int vrt_sink_available(const char *scheme) {
    for (size_t i = 0; scheme && i < NSINKS; i++)
        if (!strcmp(scheme, g_sinks[i]->scheme)) return g_sinks[i]->available;
    return 0;
}

/* The row for uri and the path it names, or NULL. */
static const vrt__sink_kind *pick(const char *uri, const char **path) {
    for (size_t i = 0; i < NSINKS; i++) {
        size_t n = strlen(g_sinks[i]->scheme);
        if (!strncmp(uri, g_sinks[i]->scheme, n) && uri[n] == ':') {
            *path = uri + n + 1;
            return g_sinks[i];
        }
    }
    *path = uri;
    if (!strcmp(uri, "-")) return &vrt__sink_jsonl;
    for (size_t i = 0; i < NSINKS; i++)
        if (has_extension(uri, g_sinks[i]->extensions)) return g_sinks[i];
    if (vrt_writer_recognizes(uri)) return &vrt__sink_files; /* dir/, frames/%06d.jpg, ... */
    return NULL;
}

vrt_status vrt_sink_add(vrt_pipeline_t *p, const char *uri, const vrt_sink_params *sp, char *err,
                        size_t cap) {
    if (!p || !uri) return VRT_EINVAL;
    vrt_sink_params dp;
    if (!sp) {
        vrt_sink_default_params(&dp);
        sp = &dp;
    }
    const char *path = NULL;
    const vrt__sink_kind *k = pick(uri, &path);
    if (!k || !path[0]) {
        char known[256];
        size_t n = 0;
        known[0] = 0;
        for (size_t i = 0; i < NSINKS && n < sizeof(known); i++)
            n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "", g_sinks[i]->example);
        vrt_errbuf_set(err, cap, "output '%s': %s; outputs: %s", uri, k ? "no path given" : "unknown kind",
                       known);
        return VRT_EINVAL;
    }
    vrt_pipeline_output o;
    memset(&o, 0, sizeof(o));
    vrt_status st = k->open(p, &o, path, sp, err, cap);
    if (st) return st;
    if (sp->depth > 0) o.depth = sp->depth;
    return vrt_pipeline_add_output(p, &o, err, cap);
}
