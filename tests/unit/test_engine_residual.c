/* Residual fusion end to end on a hand-built IR: y = Relu(Conv(x) + x).
 * The passes must leave one Conv carrying the residual and the activation,
 * and the engine's result must equal a naive direct convolution computed
 * here, with and without the passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "harness.h"
#include "model/internal.h"
#include "vrt/engine.h"

#define C 3
#define H 5
#define W 6

static int tensor(vrt__ir *ir, const char *name, vrt__tensor_kind kind, int ndim, const int64_t *d,
                  const float *data) {
    int t = vrt__ir_add_tensor(ir, name);
    ASSERT_TRUE(t >= 0);
    vrt__tensor *x = &ir->tensors[t];
    x->dtype = VRT__DT_FLOAT;
    x->shape.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        x->shape.d[i] = d[i];
    x->shape_known = 1;
    x->kind = kind;
    x->producer = -1;
    if (data) {
        x->nbytes = (size_t)vrt__shape_numel(&x->shape) * 4;
        x->data = vrt_malloc(x->nbytes);
        memcpy(x->data, data, x->nbytes);
    }
    return t;
}

static void node(vrt__ir *ir, const char *op, const int *in, int nin, int out) {
    vrt__node *n = &ir->nodes[ir->n_nodes++];
    memset(n, 0, sizeof(*n));
    n->name = vrt_strdup(op);
    n->op_type = vrt_strdup(op);
    n->domain = vrt_strdup("");
    n->op = vrt__op_lookup(op);
    n->opset = 13;
    n->inputs = vrt_malloc(sizeof(int) * (size_t)nin);
    memcpy(n->inputs, in, sizeof(int) * (size_t)nin);
    n->n_inputs = nin;
    n->outputs = vrt_malloc(sizeof(int));
    n->outputs[0] = out;
    n->n_outputs = 1;
}

static float g_w[C * C * 9], g_b[C];

static vrt__ir *build(void) {
    vrt__ir *ir = vrt_calloc(1, sizeof(*ir));
    ir->path = vrt_strdup("residual");
    ir->nodes = vrt_calloc(3, sizeof(vrt__node));
    ir->cap_nodes = 3;
    int64_t xs[4] = {1, C, H, W}, ws[4] = {C, C, 3, 3}, bs[1] = {C};
    int x = tensor(ir, "x", VRT__TK_INPUT, 4, xs, NULL);
    int w = tensor(ir, "w", VRT__TK_WEIGHT, 4, ws, g_w);
    int b = tensor(ir, "b", VRT__TK_WEIGHT, 1, bs, g_b);
    int c = tensor(ir, "c", VRT__TK_INTERMEDIATE, 4, xs, NULL);
    int a = tensor(ir, "a", VRT__TK_INTERMEDIATE, 4, xs, NULL);
    int y = tensor(ir, "y", VRT__TK_OUTPUT, 4, xs, NULL);
    ir->tensors[y].is_output = 1;
    int in0[3] = {x, w, b};
    node(ir, "Conv", in0, 3, c);
    int64_t one[4] = {1, 1, 1, 1}, k[2] = {3, 3}, s[2] = {1, 1};
    vrt__node_set_ints(&ir->nodes[0], "pads", one, 4);
    vrt__node_set_ints(&ir->nodes[0], "kernel_shape", k, 2);
    vrt__node_set_ints(&ir->nodes[0], "strides", s, 2);
    vrt__node_set_ints(&ir->nodes[0], "dilations", s, 2);
    int in1[2] = {c, x};
    node(ir, "Add", in1, 2, a);
    int in2[1] = {a};
    node(ir, "Relu", in2, 1, y);
    ir->inputs = vrt_malloc(sizeof(int));
    ir->inputs[0] = x;
    ir->n_inputs = 1;
    ir->outputs = vrt_malloc(sizeof(int));
    ir->outputs[0] = y;
    ir->n_outputs = 1;
    ASSERT_OK(vrt__ir_relink(ir));
    return ir;
}

TEST(conv_residual_relu) {
    float x[C * H * W], want[C * H * W];
    srand(7);
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)(rand() % 200 - 100) / 50.0f;
    for (int i = 0; i < C * C * 9; i++)
        g_w[i] = (float)(rand() % 200 - 100) / 100.0f;
    for (int i = 0; i < C; i++)
        g_b[i] = (float)(rand() % 200 - 100) / 100.0f;
    for (int m = 0; m < C; m++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double acc = g_b[m];
                for (int ch = 0; ch < C; ch++)
                    for (int di = 0; di < 3; di++)
                        for (int dj = 0; dj < 3; dj++) {
                            int yy = i + di - 1, xx = j + dj - 1;
                            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                            acc += (double)g_w[((m * C + ch) * 3 + di) * 3 + dj] * x[(ch * H + yy) * W + xx];
                        }
                acc += x[(m * H + i) * W + j];
                want[(m * H + i) * W + j] = acc > 0 ? (float)acc : 0.0f;
            }
    for (int opt = 0; opt <= 1; opt++) {
        vrt_engine_params p;
        vrt_engine_default_params(&p);
        p.optimize = opt;
        char err[512];
        vrt_engine_t *e = NULL;
        vrt_status st = vrt__engine_open_ir(build(), &p, &e, err, sizeof(err));
        if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
        const vrt__ir *ir = vrt__engine_ir(e);
        if (opt) {
            ASSERT_EQ(ir->n_nodes, 1);
            ASSERT_EQ(ir->nodes[0].op, VRT__OP_Conv);
            ASSERT_EQ(vrt__node_get_int(&ir->nodes[0], "_residual", 0), 1);
            ASSERT_EQ(vrt__node_get_int(&ir->nodes[0], "_act", 0), 1); /* VRT__ACT_RELU */
            vrt_engine_stats s;
            vrt_engine_get_stats(e, &s);
            ASSERT_EQ(s.residual_fused, 1);
            ASSERT_STREQ(vrt_engine_fusion(e, 0), "Conv+Add(residual)");
            ASSERT_STREQ(vrt_engine_fusion(e, 1), "Conv+Relu");
        } else {
            ASSERT_EQ(ir->n_nodes, 3);
        }
        float got[C * H * W];
        vrt_engine_tensor ti = {x, VRT_DTYPE_FLOAT, sizeof(x)}, to = {got, VRT_DTYPE_FLOAT, sizeof(got)};
        ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
        for (int i = 0; i < C * H * W; i++)
            ASSERT_NEAR(got[i], want[i], 1e-4);
        vrt_engine_destroy(&e);
    }
}

int main(void) {
    VRT_RUN(conv_residual_relu);
    return vrt_test_finish();
}
