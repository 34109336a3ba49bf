/* Class label files: "index,name", synset words, or one name per line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/image.h"
#include "vrt/vision.h"

struct vrt_labels {
    int count;
    char **names;   /* count entries, NULL where a file gave no label */
    char *text;     /* the file's text; names point into it */
    char from[256]; /* where they came from, for messages */
};

const char *vrt_labels_source(const vrt_labels_t *l) {
    return l ? l->from : "";
}

int vrt_labels_count(const vrt_labels_t *l) {
    return l ? l->count : 0;
}

const char *vrt_labels_get(const vrt_labels_t *l, int i) {
    if (!l || i < 0 || i >= l->count) return NULL;
    return l->names[i];
}

void vrt_labels_destroy(vrt_labels_t **lp) {
    if (!lp || !*lp) return;
    vrt_free((*lp)->names);
    vrt_free((*lp)->text);
    vrt_free(*lp);
    *lp = NULL;
}

/* The most classes a labels file may give (the largest label sets in use,
 * ImageNet-21k and Open Images, have about 21000): one index of 5000000 in a
 * 9-byte file would otherwise allocate 40 MB of names. The same bound as a
 * names literal's keys (parse_names). */
#define LABELS_MAX 100000

/* "207,golden retriever": digits then a comma. Returns the index, -1 when
 * the line is not of this form, -2 when the index is LABELS_MAX or more. */
static long indexed_line(const char *s, const char **name) {
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!isdigit((unsigned char)*p)) return -1;
    char *end;
    long v = strtol(p, &end, 10);
    if (*end != ',' || v < 0) return -1;
    if (v >= LABELS_MAX) return -2;
    end++;
    while (*end == ' ' || *end == '\t')
        end++;
    *name = end;
    return v;
}

/* "n02099601 golden retriever": 'n', 8 digits, a space. */
static int synset_line(const char *s, const char **name) {
    if (s[0] != 'n') return 0;
    for (int i = 1; i <= 8; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    if (s[9] != ' ' && s[9] != '\t') return 0;
    const char *p = s + 9;
    while (*p == ' ' || *p == '\t')
        p++;
    *name = p;
    return 1;
}

static char *trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

vrt_status vrt_labels_load(const char *path, vrt_labels_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    vrt_status st = vrt_image_read_file(path, 64u << 20, &data, &size, err, cap);
    if (st) return st;
    vrt_labels_t *l = vrt_calloc(1, sizeof(*l));
    char *text = vrt_malloc(size + 1);
    if (!l || !text) {
        vrt_free(data);
        vrt_free(text);
        vrt_free(l);
        vrt_errbuf_set(err, cap, "%s: out of memory", path);
        return VRT_ENOMEM;
    }
    memcpy(text, data, size);
    text[size] = 0;
    vrt_free(data);
    l->text = text;
    /* Split into lines in place; drop trailing empty lines. */
    int nlines = 0;
    for (size_t i = 0; i < size; i++)
        if (text[i] == '\n') nlines++;
    nlines++;
    char **lines = vrt_calloc((size_t)nlines, sizeof(char *));
    if (!lines) {
        vrt_labels_destroy(&l);
        vrt_errbuf_set(err, cap, "%s: out of memory", path);
        return VRT_ENOMEM;
    }
    int nl = 0;
    for (char *s = text; s;) {
        char *nlp = strchr(s, '\n');
        if (nlp) *nlp = 0;
        lines[nl++] = trim(s);
        s = nlp ? nlp + 1 : NULL;
    }
    while (nl > 0 && lines[nl - 1][0] == 0)
        nl--;
    if (nl == 0) {
        vrt_free(lines);
        vrt_labels_destroy(&l);
        vrt_errbuf_set(err, cap,
                       "%s: no labels in the file; expected \"index,name\", synset words or one name "
                       "per line",
                       path);
        return VRT_EBADDATA;
    }
    /* The format is that of the first non-empty line. */
    const char *name;
    int first = 0;
    while (lines[first][0] == 0)
        first++;
    int indexed = indexed_line(lines[first], &name) != -1;
    if (!indexed && nl > LABELS_MAX) {
        vrt_errbuf_set(err, cap, "%s: %d lines, more than the %d classes a labels file may have", path, nl,
                       LABELS_MAX);
        vrt_free(lines);
        vrt_labels_destroy(&l);
        return VRT_EBADDATA;
    }
    if (indexed) {
        long maxi = -1;
        for (int i = 0; i < nl; i++) {
            if (!lines[i][0]) continue;
            long v = indexed_line(lines[i], &name);
            if (v == -2) {
                vrt_errbuf_set(err, cap,
                               "%s:%d: class index \"%.20s\" is beyond the %d classes a labels file may have",
                               path, i + 1, lines[i], LABELS_MAX);
                vrt_free(lines);
                vrt_labels_destroy(&l);
                return VRT_EBADDATA;
            }
            if (v < 0) {
                vrt_errbuf_set(err, cap, "%s:%d: expected \"index,name\" like the first line, got \"%.60s\"",
                               path, i + 1, lines[i]);
                vrt_free(lines);
                vrt_labels_destroy(&l);
                return VRT_EBADDATA;
            }
            if (v > maxi) maxi = v;
        }
        l->count = (int)maxi + 1;
        l->names = vrt_calloc((size_t)l->count, sizeof(char *));
        if (!l->names) goto oom;
        for (int i = 0; i < nl; i++) {
            if (!lines[i][0]) continue;
            long v = indexed_line(lines[i], &name);
            l->names[v] = (char *)name;
        }
    } else {
        l->count = nl;
        l->names = vrt_calloc((size_t)nl, sizeof(char *));
        if (!l->names) goto oom;
        for (int i = 0; i < nl; i++) {
            if (synset_line(lines[i], &name))
                l->names[i] = (char *)name;
            else
                l->names[i] = lines[i];
        }
    }
    vrt_free(lines);
    snprintf(l->from, sizeof(l->from), "%s", path);
    *out = l;
    return VRT_OK;
oom:
    vrt_free(lines);
    vrt_labels_destroy(&l);
    vrt_errbuf_set(err, cap, "%s: out of memory", path);
    return VRT_ENOMEM;
}

/* ---- names from a Python literal (ONNX metadata) ------------------------------ */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A Python string literal at p ('...' or "..." with backslash escapes) into
 * dst (NUL-terminated); returns the end of the literal or NULL. */
static const char *py_string(const char *p, char *dst) {
    char q = *p;
    if (q != '\'' && q != '"') return NULL;
    for (p++; *p && *p != q; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *dst++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            *dst++ = *p;
        }
    }
    *dst = 0;
    return *p == q ? p + 1 : NULL;
}

/* Parses the literal into parallel arrays: idx[i] (-1: list position), names
 * into text; returns the entry count or -1 (syntax) with *at = the offset. */
static int parse_names(const char *s, long *idx, char **names, char *text, int max, size_t *at) {
    const char *p = skip_ws(s);
    int dict = *p == '{';
    if (*p != '{' && *p != '[') {
        *at = (size_t)(p - s);
        return -1;
    }
    char close = dict ? '}' : ']';
    int n = 0;
    p = skip_ws(p + 1);
    while (*p && *p != close) {
        long k = n;
        if (dict) {
            char *end;
            k = strtol(p, &end, 10);
            if (end == p || k < 0 || k > 100000) break;
            p = skip_ws(end);
            if (*p != ':') break;
            p = skip_ws(p + 1);
        }
        if (n >= max) break;
        const char *e = py_string(p, text);
        if (!e) break;
        idx[n] = k;
        names[n++] = text;
        text += strlen(text) + 1;
        p = skip_ws(e);
        if (*p == ',') p = skip_ws(p + 1);
    }
    if (*p != close) {
        *at = (size_t)(p - s);
        return -1;
    }
    return n;
}

vrt_status vrt_labels_from_names(const char *literal, const char *where, vrt_labels_t **out, char *err,
                                 size_t cap) {
    if (!out || !literal) return VRT_EINVAL;
    *out = NULL;
    size_t len = strlen(literal);
    int max = (int)(len / 3 + 1); /* every entry takes at least '' and a separator */
    vrt_labels_t *l = vrt_calloc(1, sizeof(*l));
    long *idx = vrt_calloc((size_t)max, sizeof(long));
    char **names = vrt_calloc((size_t)max, sizeof(char *));
    if (l) l->text = vrt_malloc(len + 1);
    if (!l || !idx || !names || !l->text) {
        vrt_free(idx);
        vrt_free(names);
        vrt_labels_destroy(&l);
        vrt_errbuf_set(err, cap, "%s: out of memory", where);
        return VRT_ENOMEM;
    }
    size_t at = 0;
    int n = parse_names(literal, idx, names, l->text, max, &at);
    long maxi = -1;
    for (int i = 0; i < n; i++)
        if (idx[i] > maxi) maxi = idx[i];
    if (n > 0) l->names = vrt_calloc((size_t)maxi + 1, sizeof(char *));
    if (n < 1 || !l->names) {
        vrt_free(idx);
        vrt_free(names);
        vrt_labels_destroy(&l);
        vrt_errbuf_set(err, cap,
                       n < 0 ? "%s: class names are not a Python dict or list of strings (at character %zu)"
                             : "%s: no class names",
                       where, at);
        return n < 1 ? VRT_EBADDATA : VRT_ENOMEM;
    }
    l->count = (int)maxi + 1;
    for (int i = 0; i < n; i++)
        l->names[idx[i]] = names[i];
    snprintf(l->from, sizeof(l->from), "%s", where);
    vrt_free(idx);
    vrt_free(names);
    *out = l;
    return VRT_OK;
}
