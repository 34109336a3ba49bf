/*
 * The IR container: adding tensors, reading and setting node attributes,
 * producer/consumer links, freeing (see ir.h). The ONNX reader (onnx.c),
 * shape inference (shape.c) and the passes (passes.c) all build on it.
 */
#include <limits.h>
#include <string.h>

#include "model/ir.h"

/* ---- tensors, attributes, nodes ---------------------------------------------------------- */

int vrt__ir_add_tensor(vrt__ir *ir, const char *name) {
    if (ir->n_tensors == ir->cap_tensors) {
        int nc = ir->cap_tensors ? ir->cap_tensors * 2 : 64;
        if (nc > INT_MAX / 2) return -1;
        vrt__tensor *t = vrt_realloc(ir->tensors, (size_t)nc * sizeof(*t));
        if (!t) return -1;
        ir->tensors = t;
        ir->cap_tensors = nc;
    }
    vrt__tensor *t = &ir->tensors[ir->n_tensors];
    memset(t, 0, sizeof(*t));
    t->name = vrt_strdup(name ? name : "");
    if (!t->name) return -1;
    t->producer = -1;
    return ir->n_tensors++;
}

void vrt__tensor_free(vrt__tensor *t) {
    if (!t) return;
    vrt_free(t->name);
    vrt_free(t->data);
    vrt_free(t->consumers);
    memset(t, 0, sizeof(*t));
    t->producer = -1;
}

void vrt__attr_free(vrt__attr *a) {
    vrt_free(a->name);
    vrt_free(a->s);
    vrt_free(a->floats);
    vrt_free(a->ints);
    if (a->strings)
        for (int i = 0; i < a->n; i++)
            vrt_free(a->strings[i]);
    vrt_free(a->strings);
    if (a->tensors) {
        int nt = a->type == VRT__AT_TENSOR ? 1 : a->n;
        for (int i = 0; i < nt; i++)
            vrt__tensor_free(&a->tensors[i]);
    }
    vrt_free(a->tensors);
    memset(a, 0, sizeof(*a));
}

vrt_status vrt__ir_relink(vrt__ir *ir) {
    for (int i = 0; i < ir->n_tensors; i++) {
        ir->tensors[i].n_consumers = 0;
        if (ir->tensors[i].kind != VRT__TK_WEIGHT && ir->tensors[i].kind != VRT__TK_INPUT)
            ir->tensors[i].producer = -1;
    }
    int *count = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(int));
    if (!count) return VRT_ENOMEM;
    for (int i = 0; i < ir->n_nodes; i++) {
        for (int k = 0; k < ir->nodes[i].n_inputs; k++)
            if (ir->nodes[i].inputs[k] >= 0) count[ir->nodes[i].inputs[k]]++;
        for (int k = 0; k < ir->nodes[i].n_outputs; k++)
            if (ir->nodes[i].outputs[k] >= 0) ir->tensors[ir->nodes[i].outputs[k]].producer = i;
    }
    for (int i = 0; i < ir->n_tensors; i++) {
        vrt_free(ir->tensors[i].consumers);
        ir->tensors[i].consumers = NULL;
        if (count[i] && !(ir->tensors[i].consumers = vrt_malloc((size_t)count[i] * sizeof(int)))) {
            vrt_free(count);
            return VRT_ENOMEM;
        }
    }
    vrt_free(count);
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++) {
            int t = ir->nodes[i].inputs[k];
            if (t >= 0) ir->tensors[t].consumers[ir->tensors[t].n_consumers++] = i;
        }
    return VRT_OK;
}

void vrt__node_free(vrt__node *n) {
    vrt_free(n->name);
    vrt_free(n->op_type);
    vrt_free(n->domain);
    vrt_free(n->inputs);
    vrt_free(n->outputs);
    for (int i = 0; i < n->n_attrs; i++)
        vrt__attr_free(&n->attrs[i]);
    vrt_free(n->attrs);
    memset(n, 0, sizeof(*n));
}

void vrt__ir_destroy(vrt__ir **pir) {
    if (!pir || !*pir) return;
    vrt__ir *ir = *pir;
    for (int i = 0; i < ir->n_tensors; i++)
        vrt__tensor_free(&ir->tensors[i]);
    vrt_free(ir->tensors);
    for (int i = 0; i < ir->n_nodes; i++)
        vrt__node_free(&ir->nodes[i]);
    vrt_free(ir->nodes);
    for (int i = 0; i < ir->n_opsets; i++)
        vrt_free(ir->opsets[i].domain);
    vrt_free(ir->opsets);
    vrt_free(ir->inputs);
    vrt_free(ir->outputs);
    vrt_free(ir->path);
    vrt_free(ir->dir);
    vrt_free(ir->graph_name);
    vrt_free(ir->producer_name);
    vrt_free(ir->producer_version);
    vrt_free(ir);
    *pir = NULL;
}

/* ---- lookups and accessors ------------------------------------------------------------ */

int vrt__ir_find_tensor(const vrt__ir *ir, const char *name) {
    for (int i = 0; i < ir->n_tensors; i++)
        if (!strcmp(ir->tensors[i].name, name)) return i;
    return -1;
}

int64_t vrt__ir_opset(const vrt__ir *ir, const char *domain) {
    int def = !domain || !domain[0] || !strcmp(domain, "ai.onnx");
    for (int i = 0; i < ir->n_opsets; i++) {
        const char *d = ir->opsets[i].domain;
        int ddef = !d[0] || !strcmp(d, "ai.onnx");
        if (def ? ddef : !strcmp(d, domain)) return ir->opsets[i].version;
    }
    return 0;
}

int64_t vrt__ir_param_count(const vrt__ir *ir) {
    int64_t n = 0;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor *t = &ir->tensors[i];
        if (t->kind == VRT__TK_WEIGHT && t->n_consumers > 0) n += vrt__shape_numel(&t->shape);
    }
    return n;
}

const vrt__attr *vrt__node_attr(const vrt__node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

int64_t vrt__node_get_int(const vrt__node *n, const char *name, int64_t def) {
    const vrt__attr *a = vrt__node_attr(n, name);
    return a && a->type == VRT__AT_INT ? a->i : def;
}

float vrt__node_get_float(const vrt__node *n, const char *name, float def) {
    const vrt__attr *a = vrt__node_attr(n, name);
    if (a && a->type == VRT__AT_FLOAT) return a->f;
    if (a && a->type == VRT__AT_INT) return (float)a->i;
    return def;
}

const char *vrt__node_get_string(const vrt__node *n, const char *name, const char *def) {
    const vrt__attr *a = vrt__node_attr(n, name);
    return a && a->type == VRT__AT_STRING && a->s ? a->s : def;
}

const int64_t *vrt__node_get_ints(const vrt__node *n, const char *name, int *count) {
    const vrt__attr *a = vrt__node_attr(n, name);
    if (a && a->type == VRT__AT_INTS) {
        *count = a->n;
        return a->ints;
    }
    *count = 0;
    return NULL;
}

const float *vrt__node_get_floats(const vrt__node *n, const char *name, int *count) {
    const vrt__attr *a = vrt__node_attr(n, name);
    if (a && a->type == VRT__AT_FLOATS) {
        *count = a->n;
        return a->floats;
    }
    *count = 0;
    return NULL;
}

static vrt__attr *attr_slot(vrt__node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) {
            char *nm = n->attrs[i].name;
            n->attrs[i].name = NULL;
            vrt__attr_free(&n->attrs[i]);
            n->attrs[i].name = nm;
            return &n->attrs[i];
        }
    vrt__attr *a = vrt_realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof(*a));
    if (!a) return NULL;
    n->attrs = a;
    memset(&a[n->n_attrs], 0, sizeof(*a));
    if (!(a[n->n_attrs].name = vrt_strdup(name))) return NULL;
    return &a[n->n_attrs++];
}

/* Values are copied before the slot is cleared: callers may pass a pointer
 * into the attribute they replace. */
vrt_status vrt__node_set_ints(vrt__node *n, const char *name, const int64_t *v, int count) {
    int64_t *copy = vrt_malloc((size_t)count * sizeof(int64_t) + 1);
    if (!copy) return VRT_ENOMEM;
    if (count) memcpy(copy, v, (size_t)count * sizeof(int64_t));
    vrt__attr *a = attr_slot(n, name);
    if (!a) {
        vrt_free(copy);
        return VRT_ENOMEM;
    }
    a->type = VRT__AT_INTS;
    a->n = count;
    a->ints = copy;
    return VRT_OK;
}

vrt_status vrt__node_set_floats(vrt__node *n, const char *name, const float *v, int count) {
    float *copy = vrt_malloc((size_t)count * sizeof(float) + 1);
    if (!copy) return VRT_ENOMEM;
    if (count) memcpy(copy, v, (size_t)count * sizeof(float));
    vrt__attr *a = attr_slot(n, name);
    if (!a) {
        vrt_free(copy);
        return VRT_ENOMEM;
    }
    a->type = VRT__AT_FLOATS;
    a->n = count;
    a->floats = copy;
    return VRT_OK;
}

vrt_status vrt__node_set_int(vrt__node *n, const char *name, int64_t v) {
    vrt__attr *a = attr_slot(n, name);
    if (!a) return VRT_ENOMEM;
    a->type = VRT__AT_INT;
    a->i = v;
    return VRT_OK;
}

vrt_status vrt__node_set_float(vrt__node *n, const char *name, float v) {
    vrt__attr *a = attr_slot(n, name);
    if (!a) return VRT_ENOMEM;
    a->type = VRT__AT_FLOAT;
    a->f = v;
    return VRT_OK;
}

vrt_status vrt__node_set_string(vrt__node *n, const char *name, const char *s) {
    char *copy = vrt_strdup(s);
    if (!copy) return VRT_ENOMEM;
    vrt__attr *a = attr_slot(n, name);
    if (!a) {
        vrt_free(copy);
        return VRT_ENOMEM;
    }
    a->type = VRT__AT_STRING;
    a->s = copy;
    return VRT_OK;
}
