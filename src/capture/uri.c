#include "source-impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_scheme_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

/* Splits "k=v&k2=v2" into u->keys/vals. */
static vrt_status parse_query(vrt__uri *u, const char *q, char *err, size_t cap) {
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t klen = eq ? (size_t)(eq - q) : len;
            size_t vlen = eq ? len - klen - 1 : 0;
            if (klen == 0) {
                vrt_errbuf_set(err, cap, "malformed URI query: empty key in '%.*s'", (int)len, q);
                return VRT_EINVAL;
            }
            if (!eq) {
                vrt_errbuf_set(err, cap, "malformed URI query: '%.*s' has no value (use key=value)", (int)len,
                               q);
                return VRT_EINVAL;
            }
            if (u->nkeys >= VRT__URI_MAX_KEYS || klen >= sizeof(u->keys[0]) || vlen >= sizeof(u->vals[0])) {
                vrt_errbuf_set(err, cap, "malformed URI query: too many or too long keys/values");
                return VRT_EINVAL;
            }
            memcpy(u->keys[u->nkeys], q, klen);
            u->keys[u->nkeys][klen] = 0;
            memcpy(u->vals[u->nkeys], eq + 1, vlen);
            u->vals[u->nkeys][vlen] = 0;
            u->used[u->nkeys] = 0;
            u->nkeys++;
        }
        q += len;
        if (*q == '&') q++;
    }
    return VRT_OK;
}

vrt_status vrt__uri_parse(vrt__uri *u, const char *s, char *err, size_t cap) {
    memset(u, 0, sizeof(*u));
    if (!s || !*s) {
        vrt_errbuf_set(err, cap, "empty source; try /dev/video0, a video file, image:DIR or synthetic:");
        return VRT_EINVAL;
    }
    const char *colon = strchr(s, ':');
    const char *rest = s;
    int has_scheme = 0;
    if (colon && colon > s) {
        has_scheme = 1;
        for (const char *c = s; c < colon; c++)
            if (!is_scheme_char(*c)) has_scheme = 0;
    }
    if (has_scheme) {
        size_t n = (size_t)(colon - s);
        if (n >= sizeof(u->scheme)) {
            vrt_errbuf_set(err, cap,
                           "unknown source scheme in '%s'; known: v4l2:, file:, image:, "
                           "synthetic:, rtsp://, http://",
                           s);
            return VRT_EINVAL;
        }
        for (size_t i = 0; i < n; i++)
            u->scheme[i] = (char)(s[i] | 0x20);
        rest = colon + 1;
    } else {
        strcpy(u->scheme, strncmp(s, "/dev/video", 10) == 0 ? "v4l2" : "file");
    }
    int network = !strcmp(u->scheme, "rtsp") || !strcmp(u->scheme, "rtsps") || !strcmp(u->scheme, "http") ||
                  !strcmp(u->scheme, "https") || !strcmp(u->scheme, "rtmp") || !strcmp(u->scheme, "udp") ||
                  !strcmp(u->scheme, "tcp") || !strcmp(u->scheme, "srt");
    if (network) {
        /* A network URL keeps its own query string; our keys are not taken from it. */
        if (strlen(s) >= sizeof(u->path)) {
            vrt_errbuf_set(err, cap, "URL too long (%zu bytes)", strlen(s));
            return VRT_EINVAL;
        }
        strcpy(u->path, s);
        return VRT_OK;
    }
    if (strcmp(u->scheme, "v4l2") && strcmp(u->scheme, "file") && strcmp(u->scheme, "image") &&
        strcmp(u->scheme, "synthetic")) {
        vrt_errbuf_set(err, cap,
                       "unknown source scheme '%s:' in '%s'; known: v4l2:, file:, image:, "
                       "synthetic:, rtsp://, http://",
                       u->scheme, s);
        return VRT_EINVAL;
    }
    if (rest[0] == '/' && rest[1] == '/') rest += 2; /* tolerate file:///path, v4l2:///dev/video0 */
    if (has_scheme && rest[0] == '/' && rest[-1] == '/' && rest[-2] == '/') rest--;
    const char *qm = strchr(rest, '?');
    size_t plen = qm ? (size_t)(qm - rest) : strlen(rest);
    if (plen >= sizeof(u->path)) {
        vrt_errbuf_set(err, cap, "path too long (%zu bytes)", plen);
        return VRT_EINVAL;
    }
    memcpy(u->path, rest, plen);
    u->path[plen] = 0;
    if (qm) return parse_query(u, qm + 1, err, cap);
    return VRT_OK;
}

const char *vrt__uri_get(vrt__uri *u, const char *key) {
    for (int i = 0; i < u->nkeys; i++) {
        if (!strcasecmp(u->keys[i], key)) {
            u->used[i] = 1;
            return u->vals[i];
        }
    }
    return NULL;
}

vrt_status vrt__uri_get_int(vrt__uri *u, const char *key, int64_t *out, char *err, size_t cap) {
    const char *v = vrt__uri_get(u, key);
    if (!v) return VRT_OK;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno) {
        vrt_errbuf_set(err, cap, "'%s=%s': expected an integer", key, v);
        return VRT_EINVAL;
    }
    *out = x;
    return VRT_OK;
}

vrt_status vrt__uri_get_double(vrt__uri *u, const char *key, double *out, char *err, size_t cap) {
    const char *v = vrt__uri_get(u, key);
    if (!v) return VRT_OK;
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    /* Accept fractions like 30000/1001 too. */
    if (*v && *end == '/' && !errno) {
        char *end2 = NULL;
        double d = strtod(end + 1, &end2);
        if (*end2 || d == 0) {
            vrt_errbuf_set(err, cap, "'%s=%s': expected a number or N/D", key, v);
            return VRT_EINVAL;
        }
        x /= d;
        end = end2;
    }
    if (!*v || *end || errno) {
        vrt_errbuf_set(err, cap, "'%s=%s': expected a number", key, v);
        return VRT_EINVAL;
    }
    *out = x;
    return VRT_OK;
}

vrt_status vrt__uri_check_unused(const vrt__uri *u, const char *known, char *err, size_t cap) {
    for (int i = 0; i < u->nkeys; i++) {
        if (!u->used[i]) {
            vrt_errbuf_set(err, cap, "unknown option '%s' for %s: source; known: %s", u->keys[i], u->scheme,
                           known);
            return VRT_EINVAL;
        }
    }
    return VRT_OK;
}
