#include "vrt/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- output ------------------------------------------------------------ */

static void set_error(vrt_json *w, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void set_error(vrt_json *w, vrt_status st, const char *fmt, ...) {
    if (w->status != VRT_OK) return; /* keep the first error */
    w->status = st;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    if (n < 0) w->err[0] = 0;
}

static void emit(vrt_json *w, const char *p, size_t n) {
    if (w->status != VRT_OK || n == 0) return;
    if (w->file) {
        if (fwrite(p, 1, n, w->file) != n)
            set_error(w, VRT_EIO, "json: write to the output stream failed after %zu bytes", w->len);
        else
            w->len += n;
        return;
    }
    /* Buffer mode: copy what fits in cap - 1 (room for the NUL), count the rest. */
    if (w->cap > 0 && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->len, p, k);
        w->buf[w->len + k] = 0;
    }
    w->len += n;
    if (w->cap == 0 || w->len > w->cap - 1) w->truncated = 1;
}

static void emit_c(vrt_json *w, char c) {
    emit(w, &c, 1);
}

static void emit_s(vrt_json *w, const char *s) {
    emit(w, s, strlen(s));
}

static vrt_status cur_status(const vrt_json *w) {
    if (w->status != VRT_OK) return (vrt_status)w->status;
    return w->truncated ? VRT_ENOSPC : VRT_OK;
}

/* ---- strings ----------------------------------------------------------- */

/* Scans the UTF-8 sequence starting at s[0] (a byte >= 0x80). Returns its
 * length with *ok = 1 when valid; otherwise *ok = 0 and the length of the
 * maximal invalid subpart (the lead byte plus the continuation bytes that
 * still fitted), which becomes one U+FFFD: Unicode's recommended practice,
 * also what Python's errors="replace" and WHATWG decoders do. Invalid are
 * bad lead bytes, missing or bad continuations, overlong forms, surrogates
 * and code points above U+10FFFF. */
static size_t utf8_scan(const unsigned char *s, size_t n, int *ok) {
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    *ok = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 1;
    }
    size_t j = 1;
    for (; j < need && j < n; j++) {
        unsigned b = s[j];
        if (b < (j == 1 ? lo : 0x80u) || b > (j == 1 ? hi : 0xBFu)) break;
    }
    if (j == need) *ok = 1;
    return j;
}

static void emit_string(vrt_json *w, const char *str, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    char tmp[128];
    size_t t = 0;
    emit_c(w, '"');
    for (size_t i = 0; i < n;) {
        if (t > sizeof(tmp) - 8) {
            emit(w, tmp, t);
            t = 0;
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            if (c == '"' || c == '\\') {
                tmp[t++] = '\\';
                tmp[t++] = (char)c;
            } else if (c < 0x20) {
                tmp[t++] = '\\';
                switch (c) {
                case '\n': tmp[t++] = 'n'; break;
                case '\t': tmp[t++] = 't'; break;
                case '\r': tmp[t++] = 'r'; break;
                case '\b': tmp[t++] = 'b'; break;
                case '\f': tmp[t++] = 'f'; break;
                default:
                    tmp[t++] = 'u';
                    tmp[t++] = '0';
                    tmp[t++] = '0';
                    tmp[t++] = hex[c >> 4];
                    tmp[t++] = hex[c & 15];
                }
            } else {
                tmp[t++] = (char)c; /* printable ASCII and DEL pass through */
            }
            continue;
        }
        int ok;
        size_t len = utf8_scan(s + i, n - i, &ok);
        if (!ok) {
            /* One U+FFFD for the invalid subpart; resynchronise after it. */
            tmp[t++] = (char)0xEF;
            tmp[t++] = (char)0xBF;
            tmp[t++] = (char)0xBD;
            i += len;
        } else {
            memcpy(tmp + t, s + i, len);
            t += len;
            i += len;
        }
    }
    if (t) emit(w, tmp, t);
    emit_c(w, '"');
}

/* ---- structure --------------------------------------------------------- */

/* Checks that a value may come now and writes the separator before it. */
static int before_value(vrt_json *w, const char *what) {
    if (w->status != VRT_OK) return 0;
    if (w->depth == 0) {
        if (w->top_done) {
            set_error(w, VRT_EINVAL,
                      "json: %s after a complete top-level value; call vrt_json_newline between "
                      "JSON Lines records or wrap the values in an array",
                      what);
            return 0;
        }
        return 1;
    }
    if (w->stack[w->depth - 1] == 'o') {
        if (!w->have_key) {
            set_error(w, VRT_EINVAL,
                      "json: %s without a key inside an object (depth %d); call vrt_json_key first", what,
                      w->depth);
            return 0;
        }
        w->have_key = 0; /* the key already wrote its comma */
        return 1;
    }
    if (w->need_comma) emit_c(w, ',');
    w->need_comma = 1;
    return 1;
}

static void after_value(vrt_json *w) {
    if (w->depth == 0) w->top_done = 1;
}

static vrt_status begin(vrt_json *w, char kind) {
    const char *what = kind == 'o' ? "begin_object" : "begin_array";
    if (!before_value(w, what)) return cur_status(w);
    if (w->depth >= VRT_JSON_MAX_DEPTH) {
        set_error(w, VRT_EINVAL, "json: %s nests deeper than VRT_JSON_MAX_DEPTH (%d)", what,
                  VRT_JSON_MAX_DEPTH);
        return cur_status(w);
    }
    w->comma[w->depth] = (unsigned char)w->need_comma;
    w->stack[w->depth] = (unsigned char)kind;
    w->depth++;
    w->need_comma = 0;
    emit_c(w, kind == 'o' ? '{' : '[');
    return cur_status(w);
}

static vrt_status end(vrt_json *w, char kind) {
    const char *what = kind == 'o' ? "end_object" : "end_array";
    if (w->status != VRT_OK) return cur_status(w);
    if (w->depth == 0) {
        set_error(w, VRT_EINVAL, "json: %s with no open %s", what, kind == 'o' ? "object" : "array");
        return cur_status(w);
    }
    if (w->stack[w->depth - 1] != (unsigned char)kind) {
        set_error(w, VRT_EINVAL, "json: %s while the innermost open container is an %s (depth %d)", what,
                  kind == 'o' ? "array" : "object", w->depth);
        return cur_status(w);
    }
    if (w->have_key) {
        set_error(w, VRT_EINVAL, "json: end_object right after a key; the key needs a value");
        return cur_status(w);
    }
    emit_c(w, kind == 'o' ? '}' : ']');
    w->depth--;
    w->need_comma = w->comma[w->depth];
    after_value(w);
    return cur_status(w);
}

/* ---- public ------------------------------------------------------------ */

void vrt_json_init_buffer(vrt_json *w, char *buf, size_t cap) {
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = buf ? cap : 0;
    if (w->cap > 0) buf[0] = 0;
}

void vrt_json_init_file(vrt_json *w, FILE *f) {
    memset(w, 0, sizeof(*w));
    w->file = f;
    if (!f) set_error(w, VRT_EINVAL, "json: vrt_json_init_file given a NULL stream");
}

void vrt_json_set_float_mode(vrt_json *w, vrt_json_float_mode mode) {
    w->float_mode = (int)mode;
}

vrt_status vrt_json_begin_object(vrt_json *w) {
    return begin(w, 'o');
}
vrt_status vrt_json_end_object(vrt_json *w) {
    return end(w, 'o');
}
vrt_status vrt_json_begin_array(vrt_json *w) {
    return begin(w, 'a');
}
vrt_status vrt_json_end_array(vrt_json *w) {
    return end(w, 'a');
}

vrt_status vrt_json_key(vrt_json *w, const char *key) {
    if (w->status != VRT_OK) return cur_status(w);
    if (!key) {
        set_error(w, VRT_EINVAL, "json: NULL key");
        return cur_status(w);
    }
    if (w->depth == 0 || w->stack[w->depth - 1] != 'o') {
        set_error(w, VRT_EINVAL, "json: key \"%.40s\" outside an object", key);
        return cur_status(w);
    }
    if (w->have_key) {
        set_error(w, VRT_EINVAL, "json: key \"%.40s\" follows a key that has no value yet", key);
        return cur_status(w);
    }
    if (w->need_comma) emit_c(w, ',');
    emit_string(w, key, strlen(key));
    emit_c(w, ':');
    w->need_comma = 1;
    w->have_key = 1;
    return cur_status(w);
}

static vrt_status scalar(vrt_json *w, const char *what, const char *text) {
    if (!before_value(w, what)) return cur_status(w);
    emit_s(w, text);
    after_value(w);
    return cur_status(w);
}

vrt_status vrt_json_string_n(vrt_json *w, const char *s, size_t n) {
    if (!s) return scalar(w, "string", "null");
    if (!before_value(w, "string")) return cur_status(w);
    emit_string(w, s, n);
    after_value(w);
    return cur_status(w);
}

vrt_status vrt_json_string(vrt_json *w, const char *s) {
    return vrt_json_string_n(w, s, s ? strlen(s) : 0);
}

vrt_status vrt_json_int(vrt_json *w, int64_t v) {
    char b[32];
    snprintf(b, sizeof(b), "%" PRId64, v);
    return scalar(w, "int", b);
}

vrt_status vrt_json_uint(vrt_json *w, uint64_t v) {
    char b[32];
    snprintf(b, sizeof(b), "%" PRIu64, v);
    return scalar(w, "uint", b);
}

static void format_double(char *b, size_t cap, double v, int mode) {
    if (!isfinite(v)) {
        snprintf(b, cap, "null");
        return;
    }
    if (mode == VRT_JSON_FLOAT_G6) {
        snprintf(b, cap, "%.6g", v);
    } else {
        /* Shortest precision that reads back to the same double; 17 always does. */
        for (int p = 15; p <= 17; p++) {
            snprintf(b, cap, "%.*g", p, v);
            if (p == 17 || strtod(b, NULL) == v) break;
        }
    }
    /* A comma locale writes "1,5": JSON wants "1.5". */
    for (char *c = b; *c; c++)
        if (*c == ',') *c = '.';
}

vrt_status vrt_json_double(vrt_json *w, double v) {
    char b[40];
    format_double(b, sizeof(b), v, w->float_mode);
    return scalar(w, "double", b);
}

vrt_status vrt_json_bool(vrt_json *w, int v) {
    return scalar(w, "bool", v ? "true" : "false");
}

vrt_status vrt_json_null(vrt_json *w) {
    return scalar(w, "null", "null");
}

vrt_status vrt_json_raw(vrt_json *w, const char *json) {
    if (w->status == VRT_OK && (!json || !*json)) {
        set_error(w, VRT_EINVAL, "json: raw value is %s; pass a JSON text such as \"null\"",
                  json ? "empty" : "NULL");
        return cur_status(w);
    }
    return scalar(w, "raw value", json);
}

/* Key + value helpers: the value is skipped when the key failed. */
static int kv_key(vrt_json *w, const char *key) {
    vrt_json_key(w, key);
    return w->status == VRT_OK;
}

vrt_status vrt_json_kv_string(vrt_json *w, const char *key, const char *s) {
    return kv_key(w, key) ? vrt_json_string(w, s) : cur_status(w);
}
vrt_status vrt_json_kv_int(vrt_json *w, const char *key, int64_t v) {
    return kv_key(w, key) ? vrt_json_int(w, v) : cur_status(w);
}
vrt_status vrt_json_kv_uint(vrt_json *w, const char *key, uint64_t v) {
    return kv_key(w, key) ? vrt_json_uint(w, v) : cur_status(w);
}
vrt_status vrt_json_kv_double(vrt_json *w, const char *key, double v) {
    return kv_key(w, key) ? vrt_json_double(w, v) : cur_status(w);
}
vrt_status vrt_json_kv_bool(vrt_json *w, const char *key, int v) {
    return kv_key(w, key) ? vrt_json_bool(w, v) : cur_status(w);
}
vrt_status vrt_json_kv_null(vrt_json *w, const char *key) {
    return kv_key(w, key) ? vrt_json_null(w) : cur_status(w);
}
vrt_status vrt_json_kv_raw(vrt_json *w, const char *key, const char *json) {
    return kv_key(w, key) ? vrt_json_raw(w, json) : cur_status(w);
}

vrt_status vrt_json_newline(vrt_json *w) {
    if (w->status != VRT_OK) return cur_status(w);
    if (w->depth > 0) {
        set_error(w, VRT_EINVAL, "json: newline inside an open %s (depth %d); close it first",
                  w->stack[w->depth - 1] == 'o' ? "object" : "array", w->depth);
        return cur_status(w);
    }
    if (!w->top_done) {
        set_error(w, VRT_EINVAL, "json: newline without a value before it (would write an empty line)");
        return cur_status(w);
    }
    emit_c(w, '\n');
    w->top_done = 0;
    return cur_status(w);
}

vrt_status vrt_json_finish(vrt_json *w) {
    if (w->status == VRT_OK && w->depth > 0)
        set_error(w, VRT_EINVAL, "json: document incomplete: %d container(s) still open (innermost: %s)",
                  w->depth, w->stack[w->depth - 1] == 'o' ? "object" : "array");
    if (w->status == VRT_OK && w->file && ferror(w->file))
        set_error(w, VRT_EIO, "json: the output stream reports an error");
    return cur_status(w);
}

vrt_status vrt_json_status(const vrt_json *w) {
    return cur_status(w);
}

size_t vrt_json_length(const vrt_json *w) {
    return w->len;
}

int vrt_json_truncated(const vrt_json *w) {
    return w->truncated;
}

const char *vrt_json_error(const vrt_json *w) {
    if (w->err[0]) return w->err;
    if (w->truncated) return "json: output truncated: the buffer is too small";
    return "";
}
