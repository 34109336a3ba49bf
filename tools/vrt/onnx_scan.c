/* onnx_scan.c - see onnx_scan.h. ONNX field numbers from onnx/onnx.proto3. */
#include "onnx_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model/pb.h"

/* Copies a LEN field into a fixed buffer (cut to fit, NUL-terminated). */
static void copy_str(char *dst, size_t cap, const vrt__pb_field *f) {
    size_t n = f->len < cap - 1 ? f->len : cap - 1;
    memcpy(dst, f->data, n);
    dst[n] = 0;
}

static int str_eq(const vrt__pb_field *f, const char *s) {
    return f->len == strlen(s) && !memcmp(f->data, s, f->len);
}

size_t cli_onnx_elem_size(int t) {
    switch (t) {
    case 1:
    case 6:
    case 12: return 4; /* float, int32, uint32 */
    case 2:
    case 3:
    case 9: return 1; /* uint8, int8, bool */
    case 4:
    case 5:
    case 10:
    case 16: return 2; /* uint16, int16, float16, bfloat16 */
    case 7:
    case 11:
    case 13: return 8; /* int64, double, uint64 */
    default: return 0;
    }
}

const char *cli_onnx_type_name(int t, char *buf, size_t cap) {
    static const char *names[] = {"undefined", "float32", "uint8",     "int8",       "uint16",  "int16",
                                  "int32",     "int64",   "string",    "bool",       "float16", "float64",
                                  "uint32",    "uint64",  "complex64", "complex128", "bfloat16"};
    if (t >= 0 && t < (int)(sizeof(names) / sizeof(names[0]))) return names[t];
    snprintf(buf, cap, "type %d", t);
    return buf;
}

#define BAD(...) (snprintf(err, cap, __VA_ARGS__), VRT_EBADDATA)

/* TensorShapeProto.Dimension: dim_value 1, dim_param 2. */
static vrt_status scan_dim(vrt__pb *r, cli_scan_value *v) {
    int i = v->ndim;
    v->ndim++;
    if (i >= CLI_SCAN_MAX_DIMS) return VRT_OK; /* counted, not stored */
    v->dims[i] = -1;
    v->dim_param[i][0] = 0;
    vrt__pb_field f;
    vrt_status st;
    while ((st = vrt__pb_next(r, &f)) == VRT_OK) {
        if (f.num == 1 && f.wire == VRT__PB_VARINT) v->dims[i] = (int64_t)f.v;
        if (f.num == 2 && f.wire == VRT__PB_LEN) copy_str(v->dim_param[i], sizeof(v->dim_param[i]), &f);
    }
    return st == VRT_EOF ? VRT_OK : st;
}

/* ValueInfoProto: name 1, type 2 -> TypeProto.tensor_type 1 -> elem_type 1, shape 2 -> dim 1. */
static vrt_status scan_value(vrt__pb *r, cli_scan_value *v) {
    memset(v, 0, sizeof(*v));
    v->ndim = -1;
    vrt__pb_field f;
    vrt_status st;
    while ((st = vrt__pb_next(r, &f)) == VRT_OK) {
        if (f.num == 1 && f.wire == VRT__PB_LEN) copy_str(v->name, sizeof(v->name), &f);
        if (f.num != 2 || f.wire != VRT__PB_LEN) continue;
        vrt__pb type, tt, shape, dim;
        if ((st = vrt__pb_sub(r, &f, &type))) return st;
        vrt__pb_field g;
        while ((st = vrt__pb_next(&type, &g)) == VRT_OK) {
            if (g.num != 1 || g.wire != VRT__PB_LEN) continue; /* tensor_type only */
            if ((st = vrt__pb_sub(&type, &g, &tt))) return st;
            vrt__pb_field h;
            while ((st = vrt__pb_next(&tt, &h)) == VRT_OK) {
                if (h.num == 1 && h.wire == VRT__PB_VARINT) v->elem_type = (int)h.v;
                if (h.num != 2 || h.wire != VRT__PB_LEN) continue;
                if ((st = vrt__pb_sub(&tt, &h, &shape))) return st;
                v->ndim = 0;
                vrt__pb_field d;
                while ((st = vrt__pb_next(&shape, &d)) == VRT_OK) {
                    if (d.num != 1 || d.wire != VRT__PB_LEN) continue;
                    if ((st = vrt__pb_sub(&shape, &d, &dim))) return st;
                    if ((st = scan_dim(&dim, v))) return st;
                }
                if (st != VRT_EOF) return st;
            }
            if (st != VRT_EOF) return st;
        }
        if (st != VRT_EOF) return st;
    }
    return st == VRT_EOF ? VRT_OK : st;
}

/* TensorProto: dims 1, data_type 2, name 8, external_data 13, data_location 14. */
static vrt_status scan_initializer(vrt__pb *r, cli_onnx_scan *s, char names[][128], int idx) {
    vrt__pb_field f;
    vrt_status st;
    int64_t numel = 1;
    int dtype = 0;
    names[idx][0] = 0;
    while ((st = vrt__pb_next(r, &f)) == VRT_OK) {
        if (f.num == 1) {
            int64_t *d = NULL;
            size_t n = 0, c = 0;
            st = vrt__pb_append_varints(&f, &d, &n, &c, 64);
            if (st) {
                vrt_free(d);
                return st;
            }
            /* Sizes from the file: saturated, never wrapped (core/checked.h). */
            for (size_t i = 0; i < n; i++)
                numel = d[i] < 0 ? numel : vrt__mul_sat_i64(numel, d[i]);
            vrt_free(d);
        } else if (f.num == 2 && f.wire == VRT__PB_VARINT) {
            dtype = (int)f.v;
        } else if (f.num == 8 && f.wire == VRT__PB_LEN) {
            copy_str(names[idx], 128, &f);
        } else if (f.num == 14 && f.wire == VRT__PB_VARINT && f.v == 1) {
            s->external_data = 1;
        }
    }
    if (st != VRT_EOF) return st;
    s->init_params = vrt__add_sat_i64(s->init_params, numel);
    s->init_bytes =
        vrt__add_sat_i64(s->init_bytes, vrt__mul_sat_i64(numel, (int64_t)cli_onnx_elem_size(dtype)));
    return VRT_OK;
}

static int cmp_op(const void *a, const void *b) {
    const cli_scan_op *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op, y->op);
}

/* NodeProto: op_type 4, domain 7. */
static vrt_status scan_node(vrt__pb *r, cli_onnx_scan *s, int *cap_ops) {
    char op[64] = "", domain[64] = "";
    vrt__pb_field f;
    vrt_status st;
    while ((st = vrt__pb_next(r, &f)) == VRT_OK) {
        if (f.num == 4 && f.wire == VRT__PB_LEN) copy_str(op, sizeof(op), &f);
        if (f.num == 7 && f.wire == VRT__PB_LEN && !str_eq(&f, "ai.onnx"))
            copy_str(domain, sizeof(domain), &f);
    }
    if (st != VRT_EOF) return st;
    s->n_nodes++;
    for (int i = 0; i < s->n_ops; i++)
        if (!strcmp(s->ops[i].op, op) && !strcmp(s->ops[i].domain, domain)) {
            s->ops[i].count++;
            return VRT_OK;
        }
    if (s->n_ops == *cap_ops) {
        int nc = *cap_ops ? *cap_ops * 2 : 32;
        cli_scan_op *n = vrt_realloc(s->ops, (size_t)nc * sizeof(*n));
        if (!n) return VRT_ENOMEM;
        s->ops = n;
        *cap_ops = nc;
    }
    cli_scan_op *o = &s->ops[s->n_ops++];
    snprintf(o->op, sizeof(o->op), "%s", op);
    snprintf(o->domain, sizeof(o->domain), "%s", domain);
    o->count = 1;
    return VRT_OK;
}

static vrt_status push_value(cli_scan_value **arr, int *n, const cli_scan_value *v) {
    cli_scan_value *a = vrt_realloc(*arr, (size_t)(*n + 1) * sizeof(*a));
    if (!a) return VRT_ENOMEM;
    a[(*n)++] = *v;
    *arr = a;
    return VRT_OK;
}

/* GraphProto: node 1, initializer 5, input 11, output 12. Two passes: the
 * initializer names first, so that inputs that are also initializers can be dropped. */
static vrt_status scan_graph(const vrt__pb *parent, const vrt__pb_field *gf, cli_onnx_scan *s, char *err,
                             size_t cap) {
    vrt__pb g;
    vrt__pb_field f;
    vrt_status st;
    int n_init = 0;
    if ((st = vrt__pb_sub(parent, gf, &g))) return BAD("graph: malformed");
    while ((st = vrt__pb_next(&g, &f)) == VRT_OK)
        if (f.num == 5) n_init++;
    if (st != VRT_EOF) return BAD("graph: malformed field (file truncated or not ONNX)");
    char(*names)[128] = vrt_calloc((size_t)n_init + 1, 128);
    if (!names) return VRT_ENOMEM;
    int cap_ops = 0, k = 0;
    vrt__pb_sub(parent, gf, &g);
    while ((st = vrt__pb_next(&g, &f)) == VRT_OK) {
        vrt__pb sub;
        if (f.wire != VRT__PB_LEN || !(f.num == 1 || f.num == 5 || f.num == 11 || f.num == 12)) continue;
        if ((st = vrt__pb_sub(&g, &f, &sub))) break;
        if (f.num == 1) {
            st = scan_node(&sub, s, &cap_ops);
        } else if (f.num == 5) {
            st = scan_initializer(&sub, s, names, k++);
            s->n_initializers++;
        } else {
            cli_scan_value v;
            if ((st = scan_value(&sub, &v))) break;
            if (f.num == 12) {
                st = push_value(&s->outputs, &s->n_outputs, &v);
            } else {
                int is_init = 0;
                for (int i = 0; i < n_init && !is_init; i++)
                    is_init = !strcmp(names[i], v.name);
                if (!is_init) st = push_value(&s->inputs, &s->n_inputs, &v);
            }
        }
        if (st) break;
    }
    vrt_free(names);
    if (st == VRT_ENOMEM) return st;
    if (st != VRT_EOF) return BAD("graph: malformed node, initializer or value (file truncated or not ONNX)");
    if (s->n_ops > 1) qsort(s->ops, (size_t)s->n_ops, sizeof(*s->ops), cmp_op);
    return VRT_OK;
}

vrt_status cli_onnx_scan_buffer(const uint8_t *buf, size_t len, cli_onnx_scan *s, char *err, size_t cap) {
    memset(s, 0, sizeof(*s));
    vrt__pb r;
    vrt__pb_field f;
    vrt_status st;
    int have_graph = 0;
    vrt__pb_init(&r, buf, len);
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK) {
        if (f.num == 1 && f.wire == VRT__PB_VARINT) {
            s->ir_version = (int64_t)f.v;
        } else if (f.num == 2 && f.wire == VRT__PB_LEN) {
            copy_str(s->producer, sizeof(s->producer), &f);
        } else if (f.num == 3 && f.wire == VRT__PB_LEN) {
            copy_str(s->producer_version, sizeof(s->producer_version), &f);
        } else if (f.num == 8 && f.wire == VRT__PB_LEN) {
            vrt__pb o;
            vrt__pb_field g;
            if (vrt__pb_sub(&r, &f, &o)) break;
            cli_scan_opset os = {"", 1};
            while ((st = vrt__pb_next(&o, &g)) == VRT_OK) {
                if (g.num == 1 && g.wire == VRT__PB_LEN && !str_eq(&g, "ai.onnx"))
                    copy_str(os.domain, sizeof(os.domain), &g);
                if (g.num == 2 && g.wire == VRT__PB_VARINT) os.version = (int64_t)g.v;
            }
            if (st != VRT_EOF) break;
            if (s->n_opsets < (int)(sizeof(s->opsets) / sizeof(s->opsets[0]))) s->opsets[s->n_opsets++] = os;
        } else if (f.num == 7 && f.wire == VRT__PB_LEN) {
            st = scan_graph(&r, &f, s, err, cap);
            if (st) {
                cli_onnx_scan_free(s);
                return st;
            }
            have_graph = 1;
        }
    }
    if (st != VRT_EOF) {
        cli_onnx_scan_free(s);
        return BAD("not a well-formed ONNX file (protobuf decoding failed: truncated or another format)");
    }
    if (!have_graph || s->ir_version <= 0) {
        cli_onnx_scan_free(s);
        return BAD("not an ONNX model (no %s)", have_graph ? "ir_version" : "graph");
    }
    return VRT_OK;
}

void cli_onnx_scan_free(cli_onnx_scan *s) {
    if (!s) return;
    vrt_free(s->ops);
    vrt_free(s->inputs);
    vrt_free(s->outputs);
    s->ops = NULL;
    s->inputs = s->outputs = NULL;
    s->n_ops = s->n_inputs = s->n_outputs = 0;
}
