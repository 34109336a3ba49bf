/* ONNX's own Resize node tests (onnx.tar.xz from the shared data, extracted at
 * test time) run through the Resize kernel: attributes read with the model
 * reader, inputs and expected outputs from the TensorProto files. */
#include <unistd.h>

#include "engine/backend/cpu/kernels_tensor.h"
#include "harness.h"
#include "model/ir.h"
#include "model/pb.h"
#include "vrt/core.h"

static const char *g_root;

/* Extracts only the Resize/Upsample node tests into the test's temp folder. */
static const char *extract_or_skip(void) {
    if (g_root) return g_root;
    const char *tar = vrt_test_data_or_skip("onnx.tar.xz");
    static char dir[1024], cmd[2300];
    snprintf(dir, sizeof(dir), "%s/onnx_resize", vrt_test_tmpdir());
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s' && tar xJf '%s' -C '%s' --wildcards 'onnx/node/test_resize_*' "
             "'onnx/node/test_upsample_*' 2>/dev/null",
             dir, tar, dir);
    if (system(cmd) != 0) SKIP("could not extract %s", tar);
    g_root = dir;
    return g_root;
}

/* Known, documented disagreements (see the report / expected-failure list). */
static const char *const k_skip[] = {
    "antialias", /* antialias=1 is refused (ENOTSUP) by design for now */
};

/* The one node of a node test: op type, opset, input names and attributes,
 * read with the project's protobuf wire decoder (src/model/pb.h). The IR
 * loader itself wants scales/sizes constant, which node tests feed as inputs. */
typedef struct {
    char op_type[32];
    int opset;
    int n_inputs;
    char inputs[4][64];
    int n_attrs;
    struct {
        char name[64];
        char s[64];
        float f;
        int64_t i;
        int64_t ints[8];
        int n_ints;
        float floats[8];
        int n_floats;
    } a[16];
} node_t;

static void copy_str(char *dst, size_t cap, const vrt__pb_field *f) {
    size_t n = f->len < cap - 1 ? f->len : cap - 1;
    memcpy(dst, f->data, n);
    dst[n] = 0;
}

static int read_node(const char *path, node_t *nd) {
    memset(nd, 0, sizeof(*nd));
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    vrt__pb m, g, n, a, o;
    vrt__pb_field f, gf, nf, af;
    vrt__pb_init(&m, buf, len);
    while (vrt__pb_next(&m, &f) == VRT_OK) {
        if (f.num == 8 && f.wire == VRT__PB_LEN && vrt__pb_sub(&m, &f, &o) == VRT_OK) {
            while (vrt__pb_next(&o, &gf) == VRT_OK)
                if (gf.num == 2 && gf.wire == VRT__PB_VARINT) nd->opset = (int)gf.v;
        }
        if (f.num != 7 || f.wire != VRT__PB_LEN || vrt__pb_sub(&m, &f, &g)) continue;
        while (vrt__pb_next(&g, &gf) == VRT_OK) {
            if (gf.num != 1 || gf.wire != VRT__PB_LEN || vrt__pb_sub(&g, &gf, &n)) continue;
            while (vrt__pb_next(&n, &nf) == VRT_OK) {
                if (nf.num == 1 && nf.wire == VRT__PB_LEN && nd->n_inputs < 4)
                    copy_str(nd->inputs[nd->n_inputs++], 64, &nf);
                if (nf.num == 4 && nf.wire == VRT__PB_LEN) copy_str(nd->op_type, sizeof(nd->op_type), &nf);
                if (nf.num != 5 || nf.wire != VRT__PB_LEN || nd->n_attrs >= 16 || vrt__pb_sub(&n, &nf, &a))
                    continue;
                int k = nd->n_attrs++;
                while (vrt__pb_next(&a, &af) == VRT_OK) {
                    if (af.num == 1 && af.wire == VRT__PB_LEN) copy_str(nd->a[k].name, 64, &af);
                    if (af.num == 2 && af.wire == VRT__PB_FIXED32) nd->a[k].f = vrt__pb_f32(af.v);
                    if (af.num == 3 && af.wire == VRT__PB_VARINT) nd->a[k].i = (int64_t)af.v;
                    if (af.num == 4 && af.wire == VRT__PB_LEN) copy_str(nd->a[k].s, 64, &af);
                    if (af.num == 8) {
                        int64_t *arr = NULL;
                        size_t cnt = 0, cap = 0;
                        if (vrt__pb_append_varints(&af, &arr, &cnt, &cap, 8) == VRT_OK)
                            for (size_t q = 0; q < cnt && nd->a[k].n_ints < 8; q++)
                                nd->a[k].ints[nd->a[k].n_ints++] = arr[q];
                        vrt_free(arr);
                    }
                    if (af.num == 7) {
                        uint32_t *arr = NULL;
                        size_t cnt = 0, cap = 0;
                        if (vrt__pb_append_fixed32(&af, &arr, &cnt, &cap, 8) == VRT_OK)
                            for (size_t q = 0; q < cnt && nd->a[k].n_floats < 8; q++)
                                nd->a[k].floats[nd->a[k].n_floats++] = vrt__pb_f32(arr[q]);
                        vrt_free(arr);
                    }
                }
            }
        }
    }
    return nd->op_type[0] ? 0 : -1;
}

static const void *find_attr(const node_t *nd, const char *name) {
    for (int k = 0; k < nd->n_attrs; k++)
        if (!strcmp(nd->a[k].name, name)) return &nd->a[k];
    return NULL;
}
#define ATTR(nd, name) ((const __typeof__((nd)->a[0]) *)find_attr(nd, name))
static const char *get_s(const node_t *nd, const char *name, const char *def) {
    return ATTR(nd, name) ? ATTR(nd, name)->s : def;
}
static int64_t get_i(const node_t *nd, const char *name, int64_t def) {
    return ATTR(nd, name) ? ATTR(nd, name)->i : def;
}
static float get_f(const node_t *nd, const char *name, float def) {
    return ATTR(nd, name) ? ATTR(nd, name)->f : def;
}

typedef struct {
    vrt__tensor in[4];
    int n;
} inputs_t;

static const vrt__tensor *node_input(const node_t *nd, int i, inputs_t *ins) {
    if (i >= nd->n_inputs || !nd->inputs[i][0]) return NULL;
    for (int k = 0; k < ins->n; k++)
        if (ins->in[k].name && !strcmp(ins->in[k].name, nd->inputs[i])) return &ins->in[k];
    return NULL;
}

static int run_one(const char *dir, const char *name, char *why, size_t cap) {
    char path[1400];
    snprintf(path, sizeof(path), "%s/onnx/node/%s/model.onnx", dir, name);
    char err[512];
    vrt_status st;
    static node_t node;
    node_t *nd = &node;
    if (read_node(path, nd)) {
        snprintf(why, cap, "could not read the node of %s", path);
        return -1;
    }
    inputs_t ins;
    memset(&ins, 0, sizeof(ins));
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof(path), "%s/onnx/node/%s/test_data_set_0/input_%d.pb", dir, name, k);
        if (access(path, R_OK) != 0) break;
        if (vrt__tensor_load_pb(path, &ins.in[k], err, sizeof(err))) break;
        ins.n = k + 1;
    }
    vrt__tensor want;
    memset(&want, 0, sizeof(want));
    snprintf(path, sizeof(path), "%s/onnx/node/%s/test_data_set_0/output_0.pb", dir, name);
    int rc = -1;
    float *out = NULL;
    void *scratch = NULL;
    if (vrt__tensor_load_pb(path, &want, err, sizeof(err))) {
        snprintf(why, cap, "output: %s", err);
        goto done;
    }
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    const char *mode = get_s(nd, "mode", "nearest");
    p.mode = !strcmp(mode, "linear") || !strcmp(mode, "bilinear") ? VRT__RESIZE_LINEAR
             : !strcmp(mode, "cubic")                             ? VRT__RESIZE_CUBIC
                                                                  : VRT__RESIZE_NEAREST;
    int upsample = !strcmp(nd->op_type, "Upsample") || nd->opset < 11;

    const char *ct = get_s(nd, "coordinate_transformation_mode", upsample ? "asymmetric" : "half_pixel");
    static const char *const cts[] = {"half_pixel",          "half_pixel_symmetric", "pytorch_half_pixel",
                                      "align_corners",       "asymmetric",           "tf_crop_and_resize",
                                      "tf_half_pixel_for_nn"};
    for (int k = 0; k < 7; k++)
        if (!strcmp(ct, cts[k])) p.coord = (vrt__resize_coord)k;
    const char *nm = get_s(nd, "nearest_mode", upsample ? "floor" : "round_prefer_floor");
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(nm, nms[k])) p.nearest_mode = (vrt__resize_nearest)k;
    const char *ka = get_s(nd, "keep_aspect_ratio_policy", "stretch");
    p.keep_aspect = !strcmp(ka, "not_larger")    ? VRT__ASPECT_NOT_LARGER
                    : !strcmp(ka, "not_smaller") ? VRT__ASPECT_NOT_SMALLER
                                                 : VRT__ASPECT_STRETCH;
    p.cubic_coeff_a = get_f(nd, "cubic_coeff_a", -0.75f);
    p.exclude_outside = (int)get_i(nd, "exclude_outside", 0);
    p.extrapolation_value = get_f(nd, "extrapolation_value", 0.0f);
    p.antialias = (int)get_i(nd, "antialias", 0);
    if (ATTR(nd, "axes")) {
        p.naxes = ATTR(nd, "axes")->n_ints;
        for (int k = 0; k < p.naxes; k++)
            p.axes[k] = ATTR(nd, "axes")->ints[k];
    }
    const vrt__tensor *x = node_input(nd, 0, &ins), *roi = NULL, *scales = NULL, *sizes = NULL;
    if (upsample) {
        scales = node_input(nd, 1, &ins);
        if (!scales && ATTR(nd, "scales")) {
            p.have_scales = 1;
            for (int k = 0; k < ATTR(nd, "scales")->n_floats; k++)
                p.scales[k] = ATTR(nd, "scales")->floats[k];
        }
    } else if (nd->opset == 10) {
        scales = node_input(nd, 1, &ins);
    } else {
        roi = node_input(nd, 1, &ins);
        scales = node_input(nd, 2, &ins);
        sizes = node_input(nd, 3, &ins);
    }
    if (!x || x->dtype != VRT__DT_FLOAT) {
        snprintf(why, cap, "input X missing or not float");
        goto done;
    }
    if (scales && vrt__shape_numel(&scales->shape) > 0) {
        p.have_scales = 1;
        for (int64_t k = 0; k < vrt__shape_numel(&scales->shape); k++)
            p.scales[k] = ((const float *)scales->data)[k];
    }
    if (sizes && vrt__shape_numel(&sizes->shape) > 0) {
        p.have_sizes = 1;
        for (int64_t k = 0; k < vrt__shape_numel(&sizes->shape); k++)
            p.sizes[k] = ((const int64_t *)sizes->data)[k];
    }
    if (roi && vrt__shape_numel(&roi->shape) > 0 && p.coord == VRT__COORD_TF_CROP_AND_RESIZE) {
        p.have_roi = 1;
        for (int64_t k = 0; k < vrt__shape_numel(&roi->shape); k++)
            p.roi[k] = roi->dtype == VRT__DT_DOUBLE ? (float)((const double *)roi->data)[k]
                                                    : ((const float *)roi->data)[k];
    }
    vrt__shape sy;
    if ((st = vrt__resize_out_shape(&p, &x->shape, &sy))) {
        snprintf(why, cap, "out_shape: %s", vrt_status_name(st));
        goto done;
    }
    if (sy.ndim != want.shape.ndim || memcmp(sy.d, want.shape.d, sizeof(int64_t) * (size_t)sy.ndim)) {
        snprintf(why, cap, "shape mismatch");
        goto done;
    }
    int64_t n = vrt__shape_numel(&sy);
    out = vrt_malloc((size_t)n * sizeof(float) + 1);
    scratch = vrt_malloc(vrt__resize_scratch_bytes(&p, &x->shape, &sy) + 1);
    if ((st = vrt__cpu_resize_f32(NULL, &p, x->data, &x->shape, out, &sy, scratch))) {
        snprintf(why, cap, "run: %s", vrt_status_name(st));
        goto done;
    }
    const float *w = want.data;
    for (int64_t k = 0; k < n; k++) {
        if (!(fabs(out[k] - w[k]) <= 1e-4 + 1e-3 * fabs(w[k]))) {
            snprintf(why, cap, "element %lld: %.7g vs %.7g", (long long)k, out[k], w[k]);
            goto done;
        }
    }
    rc = 0;
done:
    vrt_free(out);
    vrt_free(scratch);
    for (int k = 0; k < ins.n; k++)
        vrt__tensor_free(&ins.in[k]);
    vrt__tensor_free(&want);
    return rc;
}

TEST(onnx_resize_node_tests) {
    const char *dir = extract_or_skip();
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "ls '%s/onnx/node'", dir);
    FILE *f = popen(cmd, "r");
    ASSERT_TRUE(f != NULL);
    char name[256], why[600];
    int pass = 0, fail = 0, skipped = 0;
    while (fgets(name, sizeof(name), f)) {
        name[strcspn(name, "\n")] = 0;
        int skip = 0;
        for (size_t k = 0; k < sizeof(k_skip) / sizeof(k_skip[0]); k++)
            if (strstr(name, k_skip[k])) skip = 1;
        if (skip) {
            skipped++;
            continue;
        }
        why[0] = 0;
        if (run_one(dir, name, why, sizeof(why)) == 0) {
            pass++;
        } else {
            fail++;
            printf("  FAIL %s: %s\n", name, why);
        }
    }
    pclose(f);
    printf("  onnx resize/upsample node tests: %d pass, %d fail, %d skipped (antialias)\n", pass, fail,
           skipped);
    ASSERT_TRUE(pass > 0);
    ASSERT_EQ(fail, 0);
}

int main(void) {
    VRT_RUN(onnx_resize_node_tests);
    return vrt_test_finish();
}
