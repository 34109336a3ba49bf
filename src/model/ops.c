/* The supported-op table: see ops.h. */
#include "model/ops.h"

#include "core/checked.h"
#include "model/ir.h"

#include <stdio.h>
#include <string.h>

static const vrt__op_info g_ops[VRT__OP_COUNT] = {{"<unknown>", 0, 0, VRT__FAM_NONE},
#define VRT__OP_INFO(name, lo, hi, fam, shape) {#name, lo, hi, VRT__FAM_##fam},
                                                  VRT__OP_LIST(VRT__OP_INFO)
#undef VRT__OP_INFO
};

vrt__op vrt__op_lookup(const char *op_type) {
    if (!op_type) return VRT__OP_UNKNOWN;
    for (int i = 1; i < VRT__OP_COUNT; i++)
        if (g_ops[i].min_opset > 0 && !strcmp(g_ops[i].name, op_type)) return (vrt__op)i;
    return VRT__OP_UNKNOWN;
}

int vrt__op_internal(vrt__op op) {
    return (int)op > 0 && (int)op < VRT__OP_COUNT && g_ops[op].min_opset == 0;
}

const vrt__op_info *vrt__op_get(vrt__op op) {
    if ((int)op <= 0 || (int)op >= VRT__OP_COUNT) return &g_ops[0];
    return &g_ops[op];
}

const char *vrt__op_name(vrt__op op) {
    return vrt__op_get(op)->name;
}

vrt__op_family vrt__op_family_of(vrt__op op) {
    return vrt__op_get(op)->family;
}

void vrt__op_list_supported(char *buf, size_t cap) {
    if (!buf || !cap) return;
    size_t len = 0;
    buf[0] = 0;
    for (int i = 1; i < VRT__OP_COUNT && len + 1 < cap; i++) {
        if (!g_ops[i].min_opset) continue; /* internal fused ops */
        int w = snprintf(buf + len, cap - len, "%s%s", i > 1 ? ", " : "", g_ops[i].name);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (len >= cap) buf[cap - 1] = 0;
}

static int64_t numel(const vrt__shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n = vrt__mul_sat_i64(n, s->d[i]);
    return n;
}

/* Data movement: no arithmetic counted. */
static int moves_data(vrt__op_family f) {
    switch (f) {
    case VRT__FAM_NONE:
    case VRT__FAM_COPY:
    case VRT__FAM_CONCAT:
    case VRT__FAM_SPLIT:
    case VRT__FAM_SLICE:
    case VRT__FAM_TRANSPOSE:
    case VRT__FAM_TILE:
    case VRT__FAM_EXPAND:
    case VRT__FAM_GATHER:
    case VRT__FAM_PAD:
    case VRT__FAM_DEPTH_SPACE:
    case VRT__FAM_CAST:
    case VRT__FAM_FILL: return 1;
    default: return 0;
    }
}

int64_t vrt__op_flops(const vrt__ir *ir, const vrt__node *n, int64_t *macs) {
    *macs = 0;
    if (n->n_outputs < 1 || n->outputs[0] < 0) return 0;
    const vrt__tensor *out = &ir->tensors[n->outputs[0]];
    const vrt__tensor *x = n->n_inputs > 0 && n->inputs[0] >= 0 ? &ir->tensors[n->inputs[0]] : NULL;
    const vrt__tensor *w = n->n_inputs > 1 && n->inputs[1] >= 0 ? &ir->tensors[n->inputs[1]] : NULL;
    int64_t on = numel(&out->shape);
    vrt__op_family f = vrt__op_family_of((vrt__op)n->op);
    if (n->op == VRT__OP_QLinearConv)
        w = n->n_inputs > 3 && n->inputs[3] >= 0 ? &ir->tensors[n->inputs[3]] : NULL;
    if ((n->op == VRT__OP_Conv || f == VRT__FAM_QCONV) && w && w->shape.ndim >= 1 && w->shape.d[0] > 0) {
        *macs = vrt__mul_sat_i64(on, numel(&w->shape) / w->shape.d[0]);
    } else if (n->op == VRT__OP_ConvTranspose && x && w && w->shape.ndim >= 1 && w->shape.d[0] > 0) {
        *macs = vrt__mul_sat_i64(numel(&x->shape), numel(&w->shape) / w->shape.d[0]);
    } else if (n->op == VRT__OP_Gemm && x && x->shape.ndim == 2) {
        *macs = vrt__mul_sat_i64(on, vrt__node_get_int(n, "transA", 0) ? x->shape.d[0] : x->shape.d[1]);
    } else if ((n->op == VRT__OP_MatMul || f == VRT__FAM_QMATMUL) && x && x->shape.ndim >= 1) {
        *macs = vrt__mul_sat_i64(on, x->shape.d[x->shape.ndim - 1]);
    } else if (f == VRT__FAM_POOL) {
        int k = 0;
        const int64_t *ks = vrt__node_get_ints(n, "kernel_shape", &k);
        int64_t win = 1;
        for (int i = 0; i < k; i++)
            win = vrt__mul_sat_i64(win, ks[i]);
        return vrt__mul_sat_i64(on, win);
    } else if (f == VRT__FAM_GLOBAL_POOL || f == VRT__FAM_REDUCE) {
        return x ? numel(&x->shape) : on;
    } else if (moves_data(f)) {
        return 0;
    } else {
        return on;
    }
    return vrt__mul_sat_i64(2, *macs);
}
