/* Public model API (vrt/model.h) over the IR. */
#include "vrt/model.h"

#include <string.h>

#include "model/internal.h"

struct vrt_model {
    vrt__ir *ir;
};

const char *vrt_dtype_name(int dtype) {
    switch (dtype) {
    case VRT_DTYPE_FLOAT: return "float32";
    case VRT_DTYPE_FLOAT16: return "float16";
    case VRT_DTYPE_UINT8: return "uint8";
    case VRT_DTYPE_INT8: return "int8";
    case VRT_DTYPE_INT32: return "int32";
    case VRT_DTYPE_INT64: return "int64";
    case VRT_DTYPE_BOOL: return "bool";
    default: return "?";
    }
}

void vrt_model_default_params(vrt_model_params *p) {
    memset(p, 0, sizeof(*p));
}

static vrt_status wrap(vrt__ir *ir, vrt_model_t **out) {
    vrt_model_t *m = vrt_calloc(1, sizeof(*m));
    if (!m) {
        vrt__ir_destroy(&ir);
        return VRT_ENOMEM;
    }
    m->ir = ir;
    *out = m;
    return VRT_OK;
}

static void to_ir_params(const vrt_model_params *p, vrt__ir_params *q) {
    memset(q, 0, sizeof(*q));
    if (p) q->batch = p->batch, q->height = p->height, q->width = p->width;
}

vrt_status vrt_model_load(const char *path, const vrt_model_params *params, vrt_model_t **out, char *err,
                          size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!path) {
        vrt_errbuf_set(err, cap, "model path is NULL");
        return VRT_EINVAL;
    }
    vrt__ir_params q;
    to_ir_params(params, &q);
    vrt__ir *ir;
    vrt_status st = vrt__ir_load_onnx(path, &q, &ir, err, cap);
    return st ? st : wrap(ir, out);
}

vrt_status vrt_model_load_buffer(const void *buf, size_t len, const vrt_model_params *params,
                                 vrt_model_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!buf && len) return VRT_EINVAL;
    vrt__ir_params q;
    to_ir_params(params, &q);
    vrt__ir *ir;
    vrt_status st = vrt__ir_load_onnx_buffer(buf, len, &q, &ir, err, cap);
    return st ? st : wrap(ir, out);
}

void vrt_model_destroy(vrt_model_t **m) {
    if (!m || !*m) return;
    vrt__ir_destroy(&(*m)->ir);
    vrt_free(*m);
    *m = NULL;
}

int vrt_model_num_inputs(const vrt_model_t *m) {
    return m ? m->ir->n_inputs : 0;
}
int vrt_model_num_outputs(const vrt_model_t *m) {
    return m ? m->ir->n_outputs : 0;
}

static vrt_status info_of(const vrt__tensor *t, vrt_model_tensor_info *info) {
    memset(info, 0, sizeof(*info));
    info->name = t->name;
    info->dtype = (int)t->dtype;
    info->ndim = t->shape.ndim;
    for (int i = 0; i < t->shape.ndim; i++)
        info->dims[i] = t->shape.d[i];
    return VRT_OK;
}

vrt_status vrt_model_input(const vrt_model_t *m, int i, vrt_model_tensor_info *info) {
    if (!m || !info || i < 0 || i >= m->ir->n_inputs) return VRT_EINVAL;
    return info_of(&m->ir->tensors[m->ir->inputs[i]], info);
}

vrt_status vrt_model_output(const vrt_model_t *m, int i, vrt_model_tensor_info *info) {
    if (!m || !info || i < 0 || i >= m->ir->n_outputs) return VRT_EINVAL;
    return info_of(&m->ir->tensors[m->ir->outputs[i]], info);
}

int vrt_model_num_nodes(const vrt_model_t *m) {
    return m ? m->ir->n_nodes : 0;
}

int vrt_model_op_count(const vrt_model_t *m, const char *op) {
    int n = 0;
    if (!m || !op) return 0;
    for (int i = 0; i < m->ir->n_nodes; i++)
        n += !strcmp(m->ir->nodes[i].op_type, op);
    return n;
}

int vrt_model_op_histogram(const vrt_model_t *m, vrt_model_op_stat *out, int cap) {
    if (!m) return 0;
    int counts[VRT__OP_COUNT] = {0};
    for (int i = 0; i < m->ir->n_nodes; i++)
        counts[m->ir->nodes[i].op]++;
    /* Sorted by name: the op table is not, so pick in name order. */
    int distinct = 0;
    const char *last = "";
    for (;;) {
        int best = -1;
        for (int k = 1; k < VRT__OP_COUNT; k++)
            if (counts[k] && strcmp(vrt__op_name((vrt__op)k), last) > 0 &&
                (best < 0 || strcmp(vrt__op_name((vrt__op)k), vrt__op_name((vrt__op)best)) < 0))
                best = k;
        if (best < 0) break;
        if (out && distinct < cap)
            out[distinct].op = vrt__op_name((vrt__op)best), out[distinct].count = counts[best];
        distinct++;
        last = vrt__op_name((vrt__op)best);
    }
    return distinct;
}

int64_t vrt_model_param_count(const vrt_model_t *m) {
    return m ? vrt__ir_param_count(m->ir) : 0;
}
int64_t vrt_model_opset(const vrt_model_t *m) {
    return m ? vrt__ir_opset(m->ir, "") : 0;
}
