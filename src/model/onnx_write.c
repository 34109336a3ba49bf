/*
 * The ONNX writer of `vrt quantize` (onnx_write.h): a small protobuf
 * encoder and the QDQ rewrite over the original file's bytes.
 */
#include "model/onnx_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/pb.h"

/* ---- a growable byte buffer and the wire format ---- */

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->n + n)
            c *= 2;
        uint8_t *q = vrt_realloc(b->p, c);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q, b->cap = c;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void varint(wbuf *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, (size_t)n);
}

static void key(wbuf *b, uint32_t num, int wire) {
    varint(b, ((uint64_t)num << 3) | (uint64_t)wire);
}

static void f_bytes(wbuf *b, uint32_t num, const void *d, size_t n) {
    key(b, num, VRT__PB_LEN);
    varint(b, n);
    put(b, d, n);
}

static void f_str(wbuf *b, uint32_t num, const char *s) {
    f_bytes(b, num, s, strlen(s));
}

static void f_int(wbuf *b, uint32_t num, int64_t v) {
    key(b, num, VRT__PB_VARINT);
    varint(b, (uint64_t)v);
}

/* A field (key + payload) copied as it was. */
static void f_raw(wbuf *b, const vrt__pb_field *f) {
    if (f->wire == VRT__PB_LEN)
        f_bytes(b, f->num, f->data, f->len);
    else if (f->wire == VRT__PB_VARINT)
        f_int(b, f->num, (int64_t)f->v);
    else {
        key(b, f->num, f->wire);
        uint8_t t[8];
        for (int i = 0; i < 8; i++)
            t[i] = (uint8_t)(f->v >> (8 * i));
        put(b, t, f->wire == VRT__PB_FIXED32 ? 4 : 8);
    }
}

/* A sub-message: its bytes built in `sub`, then emitted as field num. */
static void f_msg(wbuf *b, uint32_t num, wbuf *sub) {
    if (sub->oom) b->oom = 1;
    f_bytes(b, num, sub->p ? sub->p : (const uint8_t *)"", sub->n);
    vrt_free(sub->p);
    memset(sub, 0, sizeof(*sub));
}

/* TensorProto: dims, data_type, name, raw_data (little-endian host). */
static void tensor(wbuf *b, const char *name, int dt, const int64_t *dims, int nd, const void *raw,
                   size_t n) {
    wbuf t = {0};
    for (int i = 0; i < nd; i++)
        f_int(&t, 1, dims[i]);
    f_int(&t, 2, dt);
    f_str(&t, 8, name);
    f_bytes(&t, 9, raw, n);
    f_msg(b, 5, &t); /* GraphProto.initializer */
}

/* NodeProto with up to 3 inputs and one output; axis >= 0 adds the attribute. */
static void node(wbuf *b, const char *op, const char *name, const char *const *in, int nin, const char *out,
                 int64_t axis) {
    wbuf n = {0};
    for (int i = 0; i < nin; i++)
        f_str(&n, 1, in[i]);
    f_str(&n, 2, out);
    f_str(&n, 3, name);
    f_str(&n, 4, op);
    if (axis >= 0) {
        wbuf a = {0};
        f_str(&a, 1, "axis");
        f_int(&a, 3, axis);
        f_int(&a, 20, 2); /* AttributeProto.INT */
        f_msg(&n, 5, &a);
    }
    f_msg(b, 1, &n); /* GraphProto.node */
}

/* ---- the rewrite ---- */

typedef struct qctx {
    const vrt__qdq_act *acts;
    int n_acts;
    const vrt__qdq_conv *convs;
    int n_convs;
} qctx;

static int field_is(const vrt__pb_field *f, const char *s) {
    return f->wire == VRT__PB_LEN && f->len == strlen(s) && !memcmp(f->data, s, f->len);
}

static int act_of(const qctx *q, const vrt__pb_field *f) {
    for (int i = 0; i < q->n_acts; i++)
        if (field_is(f, q->acts[i].name)) return i;
    return -1;
}

/* Whether initializer (TensorProto bytes) is a weight or bias the rewrite replaces. */
static int replaced(const qctx *q, const vrt__pb *parent, const vrt__pb_field *f) {
    vrt__pb r;
    vrt__pb_field g;
    if (vrt__pb_sub(parent, f, &r)) return 0;
    while (!vrt__pb_next(&r, &g))
        if (g.num == 8) {
            for (int i = 0; i < q->n_convs; i++)
                if (field_is(&g, q->convs[i].weight) || (q->convs[i].bias && field_is(&g, q->convs[i].bias)))
                    return 1;
            return 0;
        }
    return 0;
}

static void qdq_pair(wbuf *b, const vrt__qdq_act *a) {
    char s[600], z[600], qn[600], dq[600], nm[600];
    snprintf(s, sizeof(s), "%s_scale", a->name);
    snprintf(z, sizeof(z), "%s_zero_point", a->name);
    snprintf(qn, sizeof(qn), "%s_QuantizeLinear", a->name);
    snprintf(dq, sizeof(dq), "%s_DequantizeLinear", a->name);
    const char *qi[3] = {a->name, s, z};
    node(b, "QuantizeLinear", qn, qi, 3, qn, -1);
    const char *di[3] = {qn, s, z};
    snprintf(nm, sizeof(nm), "%s_node", dq);
    node(b, "DequantizeLinear", nm, di, 3, dq, -1);
}

/* A node of the file with every input that is a quantized activation renamed. */
static void copy_node(wbuf *b, const qctx *q, const vrt__pb *parent, const vrt__pb_field *f, int *produced) {
    vrt__pb r;
    vrt__pb_field g;
    wbuf n = {0};
    if (vrt__pb_sub(parent, f, &r)) {
        f_raw(b, f);
        return;
    }
    while (!vrt__pb_next(&r, &g)) {
        int a = g.num == 1 ? act_of(q, &g) : -1;
        if (a >= 0) {
            char nm[600];
            snprintf(nm, sizeof(nm), "%s_DequantizeLinear", q->acts[a].name);
            f_str(&n, 1, nm);
        } else {
            f_raw(&n, &g);
        }
        if (g.num == 2 && (a = act_of(q, &g)) >= 0) produced[a] = 1;
    }
    f_msg(b, 1, &n);
}

void vrt__qdq_weights(const vrt__qdq_conv *c, float *ws, int8_t *wq) {
    for (int64_t m = 0; m < c->M; m++) {
        float mx = 0;
        for (int64_t i = 0; i < c->per; i++)
            mx = fmaxf(mx, fabsf(c->w[m * c->per + i]));
        ws[m] = mx > 0 ? mx / 127.0f : 1.0f;
        for (int64_t i = 0; i < c->per; i++)
            wq[m * c->per + i] = (int8_t)fmaxf(-127.0f, fminf(127.0f, rintf(c->w[m * c->per + i] / ws[m])));
    }
}

/* Weight DQ nodes and the new initializers of conv c. */
static void conv_weights(wbuf *b, const vrt__qdq_conv *c) {
    char nq[600], ns[600], nz[600], nm[600];
    float *ws = vrt_malloc((size_t)c->M * sizeof(float));
    int8_t *wq = vrt_malloc((size_t)(c->M * c->per));
    int8_t *wz = vrt_calloc((size_t)c->M, 1);
    int32_t *bq = c->b ? vrt_malloc((size_t)c->M * sizeof(int32_t)) : NULL;
    if (!ws || !wq || !wz || (c->b && !bq)) {
        b->oom = 1;
        goto done;
    }
    vrt__qdq_weights(c, ws, wq);
    for (int64_t m = 0; m < c->M; m++) {
        if (bq) {
            double s = (double)c->x_scale * ws[m], v = rint(c->b[m] / s);
            bq[m] = (int32_t)fmax(-2147483647.0, fmin(2147483647.0, v));
        }
    }
    int64_t M = c->M;
    snprintf(nq, sizeof(nq), "%s_quantized", c->weight);
    snprintf(ns, sizeof(ns), "%s_scale", c->weight);
    snprintf(nz, sizeof(nz), "%s_zero_point", c->weight);
    tensor(b, nq, 3, c->wdims, c->wndim, wq, (size_t)(M * c->per));
    tensor(b, ns, 1, &M, 1, ws, (size_t)M * 4);
    tensor(b, nz, 3, &M, 1, wz, (size_t)M);
    if (bq) {
        char bn[600], bs[600], bz[600];
        snprintf(bn, sizeof(bn), "%s_quantized", c->bias);
        snprintf(bs, sizeof(bs), "%s_scale", c->bias);
        snprintf(bz, sizeof(bz), "%s_zero_point", c->bias);
        for (int64_t m = 0; m < M; m++)
            ws[m] *= c->x_scale; /* the bias scale */
        tensor(b, bn, 6, &M, 1, bq, (size_t)M * 4);
        tensor(b, bs, 1, &M, 1, ws, (size_t)M * 4);
        memset(bq, 0, (size_t)M * 4);
        tensor(b, bz, 6, &M, 1, bq, (size_t)M * 4);
    }
done:
    vrt_free(ws), vrt_free(wq), vrt_free(wz), vrt_free(bq);
    (void)nm;
}

static void conv_dq_nodes(wbuf *b, const vrt__qdq_conv *c) {
    char nq[600], ns[600], nz[600], nm[600];
    const char *names[2] = {c->weight, c->bias};
    for (int k = 0; k < (c->bias ? 2 : 1); k++) {
        snprintf(nq, sizeof(nq), "%s_quantized", names[k]);
        snprintf(ns, sizeof(ns), "%s_scale", names[k]);
        snprintf(nz, sizeof(nz), "%s_zero_point", names[k]);
        snprintf(nm, sizeof(nm), "%s_DequantizeLinear", names[k]);
        const char *in[3] = {nq, ns, nz};
        node(b, "DequantizeLinear", nm, in, 3, names[k], 0);
    }
}

static void act_inits(wbuf *b, const vrt__qdq_act *a) {
    char s[600], z[600];
    snprintf(s, sizeof(s), "%s_scale", a->name);
    snprintf(z, sizeof(z), "%s_zero_point", a->name);
    tensor(b, s, 1, NULL, 0, &a->scale, 4);
    tensor(b, z, 2, NULL, 0, &a->zero_point, 1);
}

/* GraphProto: fields copied, nodes re-emitted with the Q/DQ nodes, the replaced weights left out. */
static vrt_status graph(wbuf *b, const qctx *q, const vrt__pb *parent, const vrt__pb_field *gf) {
    vrt__pb r;
    vrt__pb_field f;
    vrt_status st = vrt__pb_sub(parent, gf, &r);
    if (st) return st;
    int *produced = vrt_calloc((size_t)q->n_acts + 1, sizeof(int));
    if (!produced) return VRT_ENOMEM;
    for (int i = 0; i < q->n_convs; i++)
        conv_dq_nodes(b, &q->convs[i]);
    /* Graph inputs first: their Q/DQ pairs lead the node list. */
    vrt__pb r2 = r;
    while (!vrt__pb_next(&r2, &f)) {
        if (f.num != 11) continue;
        vrt__pb vi;
        vrt__pb_field g;
        if (vrt__pb_sub(&r2, &f, &vi)) continue;
        while (!vrt__pb_next(&vi, &g)) {
            int a = g.num == 1 ? act_of(q, &g) : -1;
            if (a >= 0 && !produced[a]) qdq_pair(b, &q->acts[a]), produced[a] = 1;
        }
    }
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK) {
        if (f.num == 1) {
            int before[1024];
            int n = q->n_acts < 1024 ? q->n_acts : 1024;
            memcpy(before, produced, (size_t)n * sizeof(int));
            copy_node(b, q, &r, &f, produced);
            for (int a = 0; a < n; a++)
                if (produced[a] && !before[a]) qdq_pair(b, &q->acts[a]);
        } else if (!(f.num == 5 && replaced(q, &r, &f))) {
            f_raw(b, &f);
        }
    }
    for (int i = 0; i < q->n_acts; i++)
        act_inits(b, &q->acts[i]);
    for (int i = 0; i < q->n_convs; i++)
        conv_weights(b, &q->convs[i]);
    vrt_free(produced);
    return st == VRT_EOF ? VRT_OK : st;
}

vrt_status vrt__onnx_write_qdq(const uint8_t *src, size_t len, const vrt__qdq_act *acts, int n_acts,
                               const vrt__qdq_conv *convs, int n_convs, uint8_t **out, size_t *out_len,
                               char *err, size_t cap) {
    qctx q = {acts, n_acts, convs, n_convs};
    vrt__pb r;
    vrt__pb_field f;
    wbuf b = {0};
    vrt_status st;
    *out = NULL, *out_len = 0;
    if (n_acts > 1024) {
        vrt_errbuf_set(err, cap, "more than 1024 activations to quantize");
        return VRT_EUNSUPPORTED;
    }
    vrt__pb_init(&r, src, len);
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK) {
        if (f.num == 7 && f.wire == VRT__PB_LEN) {
            wbuf g = {0};
            if ((st = graph(&g, &q, &r, &f))) {
                vrt_free(g.p);
                break;
            }
            f_msg(&b, 7, &g);
        } else {
            f_raw(&b, &f);
        }
    }
    if (st == VRT_EOF) st = b.oom ? VRT_ENOMEM : VRT_OK;
    if (st) {
        vrt_free(b.p);
        vrt_errbuf_set(err, cap, "writing the quantized model: %s", vrt_status_name(st));
        return st;
    }
    *out = b.p, *out_len = b.n;
    return VRT_OK;
}

vrt_status vrt__onnx_add_outputs(const uint8_t *src, size_t len, const char *const *names, int n,
                                 uint8_t **out, size_t *out_len) {
    wbuf b = {0};
    vrt__pb r;
    vrt__pb_field f;
    vrt_status st;
    vrt__pb_init(&r, src, len);
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK) {
        if (f.num != 7 || f.wire != VRT__PB_LEN) {
            f_raw(&b, &f);
            continue;
        }
        /* The graph's bytes as they are, then the extra outputs (names only). */
        wbuf g = {0};
        put(&g, f.data, f.len);
        for (int i = 0; i < n; i++) {
            wbuf v = {0};
            f_str(&v, 1, names[i]);
            f_msg(&g, 12, &v);
        }
        f_msg(&b, 7, &g);
    }
    if (st == VRT_EOF) st = b.oom ? VRT_ENOMEM : VRT_OK;
    if (st) {
        vrt_free(b.p);
        return st;
    }
    *out = b.p, *out_len = b.n;
    return VRT_OK;
}
