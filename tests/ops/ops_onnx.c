/* The op table's text form: parser, ONNX writer (own protobuf encoder, independent of the
 * library's reader) and element conversions. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* ---- element types ---- */

static uint16_t f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to infinity */
    if (ax < 0x38800000u) {                                   /* subnormal or zero: multiples of 2^-24 */
        float a;
        memcpy(&a, &ax, 4);
        return (uint16_t)(sign | (uint16_t)lrintf(a * 16777216.0f)); /* round half to even */
    }
    uint32_t mant = ax & 0x7fffffu, exp = (ax >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    float f;
    if (e == 0) {
        f = ldexpf((float)m, -24);
        return sign ? -f : f;
    }
    uint32_t x = e == 31 ? (sign | 0x7f800000u | (m << 13)) : (sign | ((e + 112) << 23) | (m << 13));
    memcpy(&f, &x, 4);
    return f;
}

size_t ops_dtype_size(int dt) {
    switch (dt) {
    case T_F32:
    case T_I32: return 4;
    case T_I64: return 8;
    case T_F16: return 2;
    default: return 1;
    }
}

const char *ops_dtype_name(int dt) {
    switch (dt) {
    case T_F32: return "f32";
    case T_F16: return "f16";
    case T_I64: return "i64";
    case T_I32: return "i32";
    case T_I8: return "i8";
    case T_U8: return "u8";
    case T_BOOL: return "bool";
    default: return "?";
    }
}

static int dtype_from(const char *s, size_t n) {
    static const struct {
        const char *name;
        int dt;
    } k[] = {{"f32", T_F32}, {"f16", T_F16}, {"i64", T_I64},  {"i32", T_I32},
             {"i8", T_I8},   {"u8", T_U8},   {"bool", T_BOOL}};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        if (strlen(k[i].name) == n && !strncmp(s, k[i].name, n)) return k[i].dt;
    return 0;
}

double ops_round_to(int dt, double v) {
    switch (dt) {
    case T_F32: return (double)(float)v;
    case T_F16: return (double)f16_to_f32(f32_to_f16((float)v));
    case T_BOOL: return v != 0;
    default: return v;
    }
}

void ops_store(int dt, void *dst, int64_t i, double v) {
    switch (dt) {
    case T_F32: ((float *)dst)[i] = (float)v; break;
    case T_F16: ((uint16_t *)dst)[i] = f32_to_f16((float)v); break;
    case T_I64: ((int64_t *)dst)[i] = (int64_t)v; break;
    case T_I32: ((int32_t *)dst)[i] = (int32_t)v; break;
    case T_I8: ((int8_t *)dst)[i] = (int8_t)v; break;
    case T_U8: ((uint8_t *)dst)[i] = (uint8_t)v; break;
    default: ((uint8_t *)dst)[i] = v != 0; break;
    }
}

double ops_load(int dt, const void *src, int64_t i) {
    switch (dt) {
    case T_F32: return ((const float *)src)[i];
    case T_F16: return f16_to_f32(((const uint16_t *)src)[i]);
    case T_I64: return (double)((const int64_t *)src)[i];
    case T_I32: return ((const int32_t *)src)[i];
    case T_I8: return ((const int8_t *)src)[i];
    case T_U8: return ((const uint8_t *)src)[i];
    default: return ((const uint8_t *)src)[i] != 0;
    }
}

/* ---- parser ---- */

static int perr(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static uint64_t rng_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static int find_tensor(const ops_graph *g, const char *name, size_t n) {
    for (int i = 0; i < g->nt; i++)
        if (strlen(g->t[i].name) == n && !strncmp(g->t[i].name, name, n)) return i;
    return -1;
}

static int new_tensor(ops_graph *g, const char *name, size_t n) {
    if (g->nt >= OPS_MAXT || n == 0 || n >= sizeof(g->t[0].name)) return -1;
    ops_tensor *t = &g->t[g->nt];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, name, n);
    t->lo = -1, t->hi = 1;
    return g->nt++;
}

static const char *skip_ws(const char *p) {
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* "name:type[d,d]" then "=c", "={v,...}", "@lo:hi" in any order */
static int parse_input(ops_graph *g, const char **pp, char *err, size_t cap) {
    const char *p = *pp, *q = strchr(p, ':');
    if (!q) return perr(err, cap, "input '%s': expected name:type[dims]", p);
    int ti = new_tensor(g, p, (size_t)(q - p));
    if (ti < 0) return perr(err, cap, "input '%s': bad name or too many tensors", p);
    ops_tensor *t = &g->t[ti];
    p = q + 1;
    q = strchr(p, '[');
    if (!q || !(t->dtype = dtype_from(p, (size_t)(q - p))))
        return perr(err, cap, "input '%s': bad type", t->name);
    if (t->dtype != T_F32 && t->dtype != T_F16) t->lo = -5, t->hi = 5;
    p = q + 1;
    t->n = 1;
    while (*p != ']') {
        char *end;
        if (t->nd >= OPS_MAXD) return perr(err, cap, "input '%s': too many dims", t->name);
        t->d[t->nd] = strtoll(p, &end, 10);
        if (end == p) return perr(err, cap, "input '%s': bad dims", t->name);
        t->n *= t->d[t->nd++];
        p = *end == ',' ? end + 1 : end;
    }
    p++;
    t->v = calloc((size_t)(t->n ? t->n : 1), sizeof(double));
    while (*p && !isspace((unsigned char)*p)) {
        char *end;
        if (!strncmp(p, "=c", 2)) {
            t->is_const = 1, p += 2;
        } else if (!strncmp(p, "={", 2)) {
            t->is_const = t->have_values = 1;
            p += 2;
            for (int64_t i = 0; i < t->n; i++) {
                t->v[i] = strtod(p, &end);
                if (end == p)
                    return perr(err, cap, "input '%s': %lld values expected", t->name, (long long)t->n);
                p = *end == ',' ? end + 1 : end;
            }
            if (*p++ != '}') return perr(err, cap, "input '%s': '}' expected", t->name);
        } else if (*p == '@') {
            t->lo = strtod(p + 1, &end);
            if (*end != ':') return perr(err, cap, "input '%s': @lo:hi expected", t->name);
            p = end + 1;
            t->hi = strtod(p, &end);
            p = end;
        } else {
            return perr(err, cap, "input '%s': unexpected '%s'", t->name, p);
        }
    }
    *pp = p;
    return 0;
}

static void fill_random(ops_tensor *t, uint64_t *seed) {
    for (int64_t i = 0; i < t->n; i++) {
        double u = (double)(rng_next(seed) & 0xffffff) / 16777216.0;
        double v = t->lo + u * (t->hi - t->lo);
        if (t->dtype != T_F32 && t->dtype != T_F16) v = floor(t->lo + u * (t->hi - t->lo + 1));
        t->v[i] = ops_round_to(t->dtype, v);
    }
}

static int parse_attr(ops_node *n, const char **pp, char *err, size_t cap) {
    const char *p = *pp, *eq = strchr(p, '=');
    if (!eq || n->nattr >= OPS_MAXA || (size_t)(eq - p) >= sizeof(n->attr[0].name))
        return perr(err, cap, "bad attribute at '%s'", p);
    ops_attr *a = &n->attr[n->nattr++];
    memset(a, 0, sizeof(*a));
    memcpy(a->name, p, (size_t)(eq - p));
    p = eq + 1;
    const char *end = p;
    while (*end && !isspace((unsigned char)*end) && *end != ';')
        end++;
    int list = *p == '[';
    const char *s = list ? p + 1 : p;
    int is_float = 0, is_num = 1;
    for (const char *c = s; c < end; c++) {
        if (*c == '.' || ((*c == 'e' || *c == 'E') && c > s && isdigit((unsigned char)c[-1]))) is_float = 1;
        if (!isdigit((unsigned char)*c) && !strchr("+-.eE,]", *c)) is_num = 0;
    }
    if (!is_num) {
        if ((size_t)(end - p) >= sizeof(a->s)) return perr(err, cap, "attribute %s too long", a->name);
        a->kind = 's';
        memcpy(a->s, p, (size_t)(end - p));
    } else {
        a->kind = list ? (is_float ? 'F' : 'I') : (is_float ? 'f' : 'i');
        while (s < end && *s != ']') {
            char *e2;
            if (a->n >= OPS_MAXV) return perr(err, cap, "attribute %s: too many values", a->name);
            a->fv[a->n] = strtod(s, &e2);
            a->iv[a->n] = strtoll(s, NULL, 10);
            a->n++;
            if (e2 == s) return perr(err, cap, "attribute %s: bad value", a->name);
            s = *e2 == ',' ? e2 + 1 : e2;
        }
    }
    *pp = end;
    return 0;
}

/* "Op(a,b,,c)->y,z:i64 attrs..." */
static int parse_node(ops_graph *g, const char **pp, char *err, size_t cap) {
    if (g->nn >= OPS_MAXN) return perr(err, cap, "too many nodes");
    ops_node *n = &g->node[g->nn++];
    memset(n, 0, sizeof(*n));
    const char *p = *pp, *q = strchr(p, '(');
    if (!q || (size_t)(q - p) >= sizeof(n->op)) return perr(err, cap, "node '%s': Op(...) expected", p);
    memcpy(n->op, p, (size_t)(q - p));
    p = q + 1;
    while (*p != ')') {
        size_t len = strcspn(p, ",)");
        if (n->nin >= OPS_MAXIO) return perr(err, cap, "%s: too many inputs", n->op);
        int ti = len ? find_tensor(g, p, len) : -1;
        if (len && ti < 0) return perr(err, cap, "%s: unknown input '%.*s'", n->op, (int)len, p);
        n->in[n->nin++] = ti;
        p += len;
        if (*p == ',') p++;
        if (!*p) return perr(err, cap, "%s: ')' expected", n->op);
    }
    p++;
    if (strncmp(p, "->", 2)) return perr(err, cap, "%s: '->' expected", n->op);
    p += 2;
    for (;;) {
        size_t len = strcspn(p, ",: ;");
        int ti = new_tensor(g, p, len);
        if (ti < 0 || n->nout >= OPS_MAXIO) return perr(err, cap, "%s: bad output '%s'", n->op, p);
        n->out[n->nout++] = ti;
        g->t[ti].dtype = n->nin && n->in[0] >= 0 ? g->t[n->in[0]].dtype : T_F32;
        p += len;
        if (*p == ':') {
            size_t tl = strcspn(p + 1, ", ;");
            if (!(g->t[ti].dtype = dtype_from(p + 1, tl)))
                return perr(err, cap, "%s: bad output type", n->op);
            p += 1 + tl;
        }
        if (*p != ',') break;
        p++;
    }
    for (p = skip_ws(p); *p && *p != ';'; p = skip_ws(p))
        if (parse_attr(n, &p, err, cap)) return -1;
    *pp = p;
    return 0;
}

int ops_parse(const char *inputs, const char *graph, ops_graph *g, uint64_t seed, char *err, size_t cap) {
    memset(g, 0, sizeof(*g));
    g->opset = 17;
    for (const char *p = skip_ws(inputs); *p; p = skip_ws(p))
        if (parse_input(g, &p, err, cap)) return -1;
    for (int i = 0; i < g->nt; i++)
        if (!g->t[i].have_values) fill_random(&g->t[i], &seed);
    for (int i = 0; i < g->nt; i++)
        for (int64_t k = 0; k < g->t[i].n; k++)
            g->t[i].v[k] = ops_round_to(g->t[i].dtype, g->t[i].v[k]);
    if (!strncmp(graph, "opset ", 6)) { /* "opset N; ..." for ops newer than the default 17 */
        char *end;
        g->opset = (int)strtol(graph + 6, &end, 10);
        graph = *end == ';' ? end + 1 : end;
    }
    for (const char *p = skip_ws(graph); *p;) {
        if (parse_node(g, &p, err, cap)) return -1;
        p = skip_ws(p);
        if (*p == ';') p = skip_ws(p + 1);
    }
    if (g->nn == 0) return perr(err, cap, "no node");
    return 0;
}

void ops_graph_free(ops_graph *g) {
    for (int i = 0; i < g->nt; i++) {
        free(g->t[i].v);
        g->t[i].v = NULL;
    }
}

const ops_attr *ops_attr_find(const ops_node *n, const char *name) {
    for (int i = 0; i < n->nattr; i++)
        if (!strcmp(n->attr[i].name, name)) return &n->attr[i];
    return NULL;
}

int64_t ops_attr_i(const ops_node *n, const char *name, int64_t def) {
    const ops_attr *a = ops_attr_find(n, name);
    return a && a->n ? a->iv[0] : def;
}

double ops_attr_f(const ops_node *n, const char *name, double def) {
    const ops_attr *a = ops_attr_find(n, name);
    return a && a->n ? a->fv[0] : def;
}

const char *ops_attr_s(const ops_node *n, const char *name, const char *def) {
    const ops_attr *a = ops_attr_find(n, name);
    return a && a->kind == 's' ? a->s : def;
}

/* ---- protobuf writer ---- */

typedef struct pbuf {
    uint8_t *d;
    size_t n, cap;
} pbuf;

static void pb_raw(pbuf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n)
            c *= 2;
        b->d = realloc(b->d, c);
        b->cap = c;
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void pb_varint(pbuf *b, uint64_t v) {
    uint8_t x[10];
    int k = 0;
    do {
        x[k] = v & 0x7f;
        v >>= 7;
        x[k++] |= v ? 0x80 : 0;
    } while (v);
    pb_raw(b, x, (size_t)k);
}

static void pb_key(pbuf *b, int num, int wire) {
    pb_varint(b, ((uint64_t)num << 3) | (uint64_t)wire);
}

static void pb_int(pbuf *b, int num, int64_t v) {
    pb_key(b, num, 0);
    pb_varint(b, (uint64_t)v);
}

static void pb_bytes(pbuf *b, int num, const void *p, size_t n) {
    pb_key(b, num, 2);
    pb_varint(b, n);
    pb_raw(b, p, n);
}

static void pb_str(pbuf *b, int num, const char *s) {
    pb_bytes(b, num, s, strlen(s));
}

/* Appends message m as field num and frees m. */
static void pb_msg(pbuf *b, int num, pbuf *m) {
    pb_bytes(b, num, m->d, m->n);
    free(m->d);
    memset(m, 0, sizeof(*m));
}

static void pb_f32(pbuf *b, int num, float f) {
    pb_key(b, num, 5);
    pb_raw(b, &f, 4);
}

/* ValueInfoProto with the type and, for graph inputs, the shape */
static void value_info(pbuf *out, const ops_tensor *t, int with_shape) {
    pbuf shape = {0}, tt = {0}, tp = {0};
    for (int i = 0; with_shape && i < t->nd; i++) {
        pbuf dim = {0};
        pb_int(&dim, 1, t->d[i]);
        pb_msg(&shape, 1, &dim);
    }
    pb_int(&tt, 1, t->dtype);
    if (with_shape) pb_msg(&tt, 2, &shape);
    pb_msg(&tp, 1, &tt);
    pb_str(out, 1, t->name);
    pb_msg(out, 2, &tp);
    free(shape.d);
}

static void tensor_proto(pbuf *out, const ops_tensor *t) {
    for (int i = 0; i < t->nd; i++)
        pb_int(out, 1, t->d[i]);
    pb_int(out, 2, t->dtype);
    pb_str(out, 8, t->name);
    size_t es = ops_dtype_size(t->dtype);
    uint8_t *raw = calloc((size_t)(t->n ? t->n : 1), es);
    for (int64_t i = 0; i < t->n; i++)
        ops_store(t->dtype, raw, i, t->v[i]);
    pb_bytes(out, 9, raw, (size_t)t->n * es);
    free(raw);
}

static void attribute(pbuf *out, const ops_attr *a) {
    pb_str(out, 1, a->name);
    switch (a->kind) {
    case 'i':
        pb_int(out, 3, a->iv[0]);
        pb_int(out, 20, 2);
        break;
    case 'f':
        pb_f32(out, 2, (float)a->fv[0]);
        pb_int(out, 20, 1);
        break;
    case 's':
        pb_str(out, 4, a->s);
        pb_int(out, 20, 3);
        break;
    case 'I':
        for (int i = 0; i < a->n; i++)
            pb_int(out, 8, a->iv[i]);
        pb_int(out, 20, 7);
        break;
    default:
        for (int i = 0; i < a->n; i++)
            pb_f32(out, 7, (float)a->fv[i]);
        pb_int(out, 20, 6);
        break;
    }
}

int ops_write_onnx(const ops_graph *g, uint8_t **buf, size_t *len) {
    pbuf graph = {0}, model = {0}, m = {0};
    for (int k = 0; k < g->nn; k++) {
        const ops_node *n = &g->node[k];
        for (int i = 0; i < n->nin; i++)
            pb_str(&m, 1, n->in[i] >= 0 ? g->t[n->in[i]].name : "");
        for (int i = 0; i < n->nout; i++)
            pb_str(&m, 2, g->t[n->out[i]].name);
        char name[48];
        snprintf(name, sizeof(name), "%s_%d", n->op, k);
        pb_str(&m, 3, name);
        pb_str(&m, 4, n->op);
        for (int i = 0; i < n->nattr; i++) {
            pbuf a = {0};
            attribute(&a, &n->attr[i]);
            pb_msg(&m, 5, &a);
        }
        pb_msg(&graph, 1, &m);
    }
    pb_str(&graph, 2, "op_case");
    for (int i = 0; i < g->nt; i++) {
        if (!g->t[i].is_const) continue;
        tensor_proto(&m, &g->t[i]);
        pb_msg(&graph, 5, &m);
    }
    for (int i = 0; i < g->nt; i++) {
        int produced = 0;
        for (int k = 0; k < g->nn; k++)
            for (int o = 0; o < g->node[k].nout; o++)
                produced |= g->node[k].out[o] == i;
        if (g->t[i].is_const || produced) continue;
        value_info(&m, &g->t[i], 1);
        pb_msg(&graph, 11, &m);
    }
    const ops_node *last = &g->node[g->nn - 1];
    for (int o = 0; o < last->nout; o++) {
        value_info(&m, &g->t[last->out[o]], 0);
        pb_msg(&graph, 12, &m);
    }
    pb_int(&model, 1, 8);
    pb_str(&model, 2, "test_backend_ops");
    pb_msg(&model, 7, &graph);
    pb_str(&m, 1, "");
    pb_int(&m, 2, g->opset);
    pb_msg(&model, 8, &m);
    *buf = model.d;
    *len = model.n;
    return 0;
}
