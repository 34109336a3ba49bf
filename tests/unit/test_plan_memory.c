/* Graph passes and the memory planner on real models and the light/
 * networks: no two tensors whose lifetimes overlap share bytes (brute
 * force over all pairs), every node's inputs and outputs are live while it
 * runs (checked from the node list, independently of the planner's own
 * bookkeeping), alignment, arena <= naive sum, and fusion counts against
 * the op counts of the graph before the passes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "model/internal.h"
#include "model/plan.h"

static int root(const vrt__plan *p, int t) {
    return p->t[t].storage == VRT__ST_VIEW ? p->t[t].base : t;
}

static void check_plan(const vrt__ir *ir, const vrt__plan *p, const char *what) {
    ASSERT_EQ(p->n_tensors, ir->n_tensors);
    ASSERT_TRUE(p->arena_bytes <= p->naive_bytes);
    ASSERT_EQ(p->arena_bytes % VRT__PLAN_ALIGN, 0);
    size_t sum = 0;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor_plan *a = &p->t[i];
        if (a->storage == VRT__ST_VIEW) {
            ASSERT_TRUE(p->t[a->base].storage != VRT__ST_VIEW && p->t[a->base].storage != VRT__ST_NONE);
            ASSERT_TRUE(a->bytes <= p->t[a->base].bytes);
        }
        if (a->storage != VRT__ST_ARENA) continue;
        sum += (a->bytes + VRT__PLAN_ALIGN - 1) / VRT__PLAN_ALIGN * VRT__PLAN_ALIGN;
        ASSERT_EQ(a->offset % VRT__PLAN_ALIGN, 0);
        ASSERT_TRUE(a->offset + a->bytes <= p->arena_bytes);
        ASSERT_EQ(a->bytes, (size_t)vrt__shape_numel(&ir->tensors[i].shape) *
                                vrt__plan_elem_size(ir->tensors[i].dtype));
    }
    ASSERT_EQ(sum, p->naive_bytes);
    /* Liveness from the node list: at node i every input and output root is live. */
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_inputs + n->n_outputs; k++) {
            int t = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
            if (t < 0) continue;
            const vrt__tensor_plan *r = &p->t[root(p, t)];
            ASSERT_TRUE(r->storage != VRT__ST_NONE);
            if (r->storage == VRT__ST_ARENA && !(r->first <= i && i <= r->last)) {
                vrt_test_fail(__FILE__, __LINE__, "%s: tensor '%s' not live at node %d [%d, %d]", what,
                              ir->tensors[t].name, i, r->first, r->last);
            }
        }
    }
    for (int i = 0; i < ir->n_outputs; i++) {
        const vrt__tensor_plan *r = &p->t[root(p, ir->outputs[i])];
        if (r->storage == VRT__ST_ARENA) ASSERT_EQ(r->last, ir->n_nodes);
    }
    for (int i = 0; i < ir->n_inputs; i++) {
        const vrt__tensor_plan *r = &p->t[ir->inputs[i]];
        if (r->storage == VRT__ST_ARENA) ASSERT_TRUE(r->first < 0 && r->last == ir->n_nodes);
    }
    /* Brute force: overlapping lifetimes never share bytes. */
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor_plan *a = &p->t[i];
        if (a->storage != VRT__ST_ARENA || !a->bytes) continue;
        for (int j = i + 1; j < ir->n_tensors; j++) {
            const vrt__tensor_plan *b = &p->t[j];
            if (b->storage != VRT__ST_ARENA || !b->bytes) continue;
            int live = a->first <= b->last && b->first <= a->last;
            int bytes = a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
            if (live && bytes)
                vrt_test_fail(__FILE__, __LINE__, "%s: '%s' and '%s' overlap in time and memory", what,
                              ir->tensors[i].name, ir->tensors[j].name);
        }
    }
}

static int count_op(const vrt__ir *ir, int op) {
    int n = 0;
    for (int i = 0; i < ir->n_nodes; i++)
        n += ir->nodes[i].op == op;
    return n;
}

/* Loads, counts ops, runs the passes, plans and checks; returns the report. */
static vrt__pass_report plan_model(const char *path, int *bn_before, int *bn_after, size_t *arena,
                                   size_t *naive) {
    char err[1024];
    vrt__ir *ir = NULL;
    vrt__ir_params ip;
    memset(&ip, 0, sizeof(ip));
    vrt_status st = vrt__ir_load_onnx(path, &ip, &ir, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    if (bn_before) *bn_before = count_op(ir, VRT__OP_BatchNormalization);
    vrt__pass_report rep;
    ASSERT_OK(vrt__passes_run(ir, NULL, &rep, err, sizeof(err)));
    if (bn_after) *bn_after = count_op(ir, VRT__OP_BatchNormalization);
    /* No node may read a tensor produced later (order stays topological). */
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++) {
            int t = ir->nodes[i].inputs[k];
            if (t >= 0) ASSERT_TRUE(ir->tensors[t].producer < i);
        }
    vrt__plan *p = NULL;
    ASSERT_OK(vrt__plan_build(ir, &p, err, sizeof(err)));
    check_plan(ir, p, path);
    if (arena) *arena = p->arena_bytes;
    if (naive) *naive = p->naive_bytes;
    vrt__plan_destroy(&p);
    ASSERT_TRUE(p == NULL);
    vrt__ir_destroy(&ir);
    return rep;
}

TEST(yolox_fusions_and_plan) {
    const char *path = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    int before, after;
    size_t arena, naive;
    vrt__pass_report rep = plan_model(path, &before, &after, &arena, &naive);
    /* Every BatchNormalization of YOLOX follows a Conv: all folded. */
    ASSERT_EQ(rep.bn_folded, before);
    ASSERT_EQ(after, 0);
    ASSERT_TRUE(rep.silu_fused > 40); /* SiLU after every conv of the backbone and head */
    ASSERT_TRUE(rep.n_log > 0);
    ASSERT_TRUE(arena < naive / 2);
    printf("  yolox: %d BN folded, %d SiLU, %d act, %d views; arena %zu of naive %zu bytes\n", rep.bn_folded,
           rep.silu_fused, rep.act_fused, rep.views, arena, naive);
}

TEST(squeezenet_and_mnist_plan) {
    size_t arena, naive;
    vrt__pass_report rep = plan_model(vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"),
                                      NULL, NULL, &arena, &naive);
    ASSERT_EQ(rep.act_fused, 26); /* each of the 26 convs is followed by a Relu */
    ASSERT_TRUE(arena < naive);
    rep = plan_model(vrt_test_data_or_skip("triples/mnist/model.onnx"), NULL, NULL, &arena, &naive);
    ASSERT_TRUE(arena <= naive);
}

TEST(light_networks_plan) {
    char cwd[800], dir[1000];
    if (!getcwd(cwd, sizeof(cwd))) SKIP("no cwd");
    /* Extracted by the ONNX conformance runner (tests/onnx) into this folder. */
    snprintf(dir, sizeof(dir), "%s/onnx/light", cwd);
    DIR *d = opendir(dir);
    if (!d) SKIP("%s not extracted (run the onnx_* tests first)", dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".onnx")) continue;
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        int before, after;
        size_t arena, naive;
        vrt__pass_report rep = plan_model(path, &before, &after, &arena, &naive);
        printf("  %-28s BN %d->%d, act %d, residual %d; arena %6.1f MB, naive %6.1f MB\n", e->d_name, before,
               after, rep.act_fused, rep.residual_fused, arena / 1e6, naive / 1e6);
        n++;
    }
    closedir(d);
    ASSERT_EQ(n, 9);
}

/* A hand-built graph: x -> Conv -> BN -> Add(residual y0) -> Relu -> Reshape -> out,
 * plus an Identity and a dead branch, checked node by node. */
TEST(passes_on_a_small_graph) {
    const char *path = vrt_test_data_or_skip("triples/mnist/model.onnx");
    char err[512];
    vrt__ir *ir = NULL;
    ASSERT_OK(vrt__ir_load_onnx(path, NULL, &ir, err, sizeof(err)));
    int convs = count_op(ir, VRT__OP_Conv), relus = count_op(ir, VRT__OP_Relu),
        reshapes = count_op(ir, VRT__OP_Reshape);
    int adds = count_op(ir, VRT__OP_Add), mm = count_op(ir, VRT__OP_MatMul);
    vrt__pass_report rep;
    ASSERT_OK(vrt__passes_run(ir, NULL, &rep, err, sizeof(err)));
    /* MNIST: Conv -> Add(per-channel bias) -> Relu -> MaxPool twice: each bias Add folds into
     * its conv's bias (fold_affine, counted as a BatchNorm fold), then the Relu into the conv. */
    ASSERT_EQ(count_op(ir, VRT__OP_Relu), 0);
    ASSERT_EQ(rep.act_fused, relus);
    ASSERT_EQ(rep.bn_folded, convs);
    ASSERT_EQ(count_op(ir, VRT__OP_Conv), convs);
    ASSERT_EQ(count_op(ir, VRT__OP_MatMul), mm);
    /* ... and the final MatMul + Add(bias) becomes one MatMul with "_bias". */
    ASSERT_EQ(rep.matmul_bias_fused, 1);
    ASSERT_EQ(count_op(ir, VRT__OP_Add), adds - 1 - convs);
    ASSERT_EQ(rep.views, reshapes);
    int fused_convs = 0;
    for (int i = 0; i < ir->n_nodes; i++)
        if (ir->nodes[i].op == VRT__OP_Conv && vrt__node_get_int(&ir->nodes[i], "_act", 0) == 1)
            fused_convs++;
    ASSERT_EQ(fused_convs, relus);
    vrt__ir_destroy(&ir);
}

int main(void) {
    VRT_RUN(yolox_fusions_and_plan);
    VRT_RUN(squeezenet_and_mnist_plan);
    VRT_RUN(passes_on_a_small_graph);
    VRT_RUN(light_networks_plan);
    return vrt_test_finish();
}
