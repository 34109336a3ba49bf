/* Resize against the worked examples of ONNX's Resize test cases (values from
 * the operator's documentation and backend test generator) and a textbook
 * bilinear reference. */
#include "engine/backend/cpu/kernels_tensor.h"
#include "harness.h"
#include "vrt/core.h"

static vrt__shape shp(int nd, const int64_t *d) {
    vrt__shape s;
    memset(&s, 0, sizeof(s));
    s.ndim = nd;
    for (int i = 0; i < nd; i++)
        s.d[i] = d[i];
    return s;
}

static float g_out[4096];
static uint8_t g_scratch[65536];

/* Runs Resize on a [1,1,H,W] input; checks the output shape. */
static void run(const vrt__resize_params *p, const float *x, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    vrt__shape sx = shp(4, (int64_t[]){1, 1, h, w}), sy;
    ASSERT_OK(vrt__resize_out_shape(p, &sx, &sy));
    ASSERT_EQ(sy.d[2], oh);
    ASSERT_EQ(sy.d[3], ow);
    ASSERT_TRUE(vrt__resize_scratch_bytes(p, &sx, &sy) <= sizeof(g_scratch));
    ASSERT_OK(vrt__cpu_resize_f32(NULL, p, x, &sx, g_out, &sy, g_scratch));
}

static void expect(const float *want, int n, double tol) {
    for (int i = 0; i < n; i++)
        if (!(fabs(g_out[i] - want[i]) <= tol))
            vrt_test_fail(__FILE__, __LINE__, "element %d: %.7g vs %.7g", i, g_out[i], want[i]);
}

static void scales4(vrt__resize_params *p, float h, float w) {
    p->have_scales = 1;
    p->scales[0] = 1;
    p->scales[1] = 1;
    p->scales[2] = h;
    p->scales[3] = w;
}
static void sizes4(vrt__resize_params *p, int64_t h, int64_t w) {
    p->have_sizes = 1;
    p->sizes[0] = 1;
    p->sizes[1] = 1;
    p->sizes[2] = h;
    p->sizes[3] = w;
}

static const float k_2x2[4] = {1, 2, 3, 4};
static const float k_2x4[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static float k_4x4[16];

TEST(nearest_modes) {
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    scales4(&p, 2, 3);
    run(&p, k_2x2, 2, 2, 4, 6);
    const float up[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    expect(up, 24, 0);

    vrt__resize_default_params(&p);
    scales4(&p, 0.6f, 0.6f);
    run(&p, k_2x4, 2, 4, 1, 2);
    const float down[2] = {1, 3};
    expect(down, 2, 0);

    vrt__resize_default_params(&p);
    sizes4(&p, 7, 8);
    run(&p, k_2x2, 2, 2, 7, 8);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 8; x++)
            ASSERT_NEAR(g_out[y * 8 + x], (y < 4 ? 1 : 3) + (x < 4 ? 0 : 1), 0);

    /* sizes 8x8 from 4x4 under the three other nearest modes */
    const float ceil_hp[8] = {1, 2, 2, 3, 3, 4, 4, 4};
    const float floor_ac[8] = {1, 1, 1, 2, 2, 3, 3, 4};
    const float rpc_asym[8] = {1, 2, 2, 3, 3, 4, 4, 4};
    const struct {
        vrt__resize_coord c;
        vrt__resize_nearest m;
        const float *row;
    } cases[3] = {{VRT__COORD_HALF_PIXEL, VRT__NEAREST_CEIL, ceil_hp},
                  {VRT__COORD_ALIGN_CORNERS, VRT__NEAREST_FLOOR, floor_ac},
                  {VRT__COORD_ASYMMETRIC, VRT__NEAREST_ROUND_PREFER_CEIL, rpc_asym}};
    for (int c = 0; c < 3; c++) {
        vrt__resize_default_params(&p);
        p.coord = cases[c].c;
        p.nearest_mode = cases[c].m;
        sizes4(&p, 8, 8);
        run(&p, k_4x4, 4, 4, 8, 8);
        /* the row mapping equals the column mapping (square, same sizes) */
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                float want = (cases[c].row[y] - 1) * 4 + cases[c].row[x];
                if (g_out[y * 8 + x] != want)
                    vrt_test_fail(__FILE__, __LINE__, "case %d (%d,%d): %g vs %g", c, y, x, g_out[y * 8 + x],
                                  want);
            }
    }
    /* round_prefer_floor vs ceil differ exactly at .5 (asymmetric, scale 2: x/2) */
    vrt__resize_default_params(&p);
    p.coord = VRT__COORD_ASYMMETRIC;
    sizes4(&p, 1, 8);
    float row4[4] = {1, 2, 3, 4};
    run(&p, row4, 1, 4, 1, 8);
    const float rpf[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    expect(rpf, 8, 0);
}

TEST(linear_modes) {
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    scales4(&p, 2, 2);
    run(&p, k_2x2, 2, 2, 4, 4);
    const float up[16] = {1,    1.25f, 1.75f, 2,    1.5f, 1.75f, 2.25f, 2.5f,
                          2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};
    expect(up, 16, 1e-6);

    p.coord = VRT__COORD_ALIGN_CORNERS;
    run(&p, k_2x2, 2, 2, 4, 4);
    const float upac[16] = {1,         1.333333f, 1.666667f, 2,         1.666667f, 2,
                            2.333333f, 2.666667f, 2.333333f, 2.666667f, 3,         3.333333f,
                            3,         3.333333f, 3.666667f, 4};
    expect(upac, 16, 1e-5);

    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    scales4(&p, 0.6f, 0.6f);
    run(&p, k_2x4, 2, 4, 1, 2);
    const float down[2] = {2.6666665f, 4.3333331f};
    expect(down, 2, 1e-5);
    p.coord = VRT__COORD_ALIGN_CORNERS;
    run(&p, k_2x4, 2, 4, 1, 2);
    const float downac[2] = {1, 3.142857f};
    expect(downac, 2, 1e-5);

    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.coord = VRT__COORD_PYTORCH_HALF_PIXEL;
    sizes4(&p, 3, 1);
    run(&p, k_4x4, 4, 4, 3, 1);
    const float pt[3] = {1.6666666f, 7, 12.333333f};
    expect(pt, 3, 1e-5);

    /* half_pixel_symmetric differs from half_pixel only when the size is rounded */
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.coord = VRT__COORD_HALF_PIXEL_SYMMETRIC;
    scales4(&p, 2, 2);
    run(&p, k_2x2, 2, 2, 4, 4);
    expect(up, 16, 1e-6);
}

TEST(tf_crop_and_resize_with_extrapolation) {
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.coord = VRT__COORD_TF_CROP_AND_RESIZE;
    p.have_roi = 1;
    const float roi[8] = {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f};
    memcpy(p.roi, roi, sizeof(roi));
    sizes4(&p, 3, 3);
    run(&p, k_4x4, 4, 4, 3, 3);
    const float want[9] = {7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10.0f, 10.3f, 10.6f};
    expect(want, 9, 1e-5);
    const float roi2[8] = {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f};
    memcpy(p.roi, roi2, sizeof(roi2));
    p.extrapolation_value = 10;
    run(&p, k_4x4, 4, 4, 3, 3);
    const float want2[9] = {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10};
    expect(want2, 9, 1e-5);
    /* axes form (opset 18): roi and sizes for H, W only */
    vrt__resize_params q = p;
    q.naxes = 2;
    q.axes[0] = 2;
    q.axes[1] = -1;
    q.sizes[0] = 3;
    q.sizes[1] = 3;
    const float roi3[4] = {0.4f, 0.6f, 1.2f, 1.7f};
    memcpy(q.roi, roi3, sizeof(roi3));
    run(&q, k_4x4, 4, 4, 3, 3);
    expect(want2, 9, 1e-5);
}

TEST(cubic_and_exclude_outside) {
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_CUBIC;
    scales4(&p, 2, 2);
    run(&p, k_4x4, 4, 4, 8, 8);
    const float row0[8] = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f,
                           2.28125f,    2.91015625f, 3.38671875f, 3.68359375f};
    expect(row0, 8, 1e-5);
    /* exclude_outside renormalises the border weights: a constant image stays
     * exactly constant, and the border differs from the edge-clamped result.
     * (Exact values: the ONNX node test in test_cpu_tensor_onnx_resize.) */
    p.exclude_outside = 1;
    p.cubic_coeff_a = -0.5f;
    float flat[16];
    for (int i = 0; i < 16; i++)
        flat[i] = 5.0f;
    run(&p, flat, 4, 4, 8, 8);
    for (int i = 0; i < 64; i++)
        ASSERT_NEAR(g_out[i], 5.0f, 1e-5);
    run(&p, k_4x4, 4, 4, 8, 8);
    float excl = g_out[0];
    p.exclude_outside = 0;
    run(&p, k_4x4, 4, 4, 8, 8);
    ASSERT_TRUE(fabs(excl - g_out[0]) > 1e-3);
}

/* Textbook half-pixel bilinear on one plane. */
static float ref_bilinear(const float *x, int h, int w, int oh, int ow, int oy, int ox) {
    double fy = (oy + 0.5) * h / oh - 0.5, fx = (ox + 0.5) * w / ow - 0.5;
    if (fy < 0) fy = 0;
    if (fx < 0) fx = 0;
    int y0 = (int)fy, x0 = (int)fx;
    if (y0 > h - 1) y0 = h - 1;
    if (x0 > w - 1) x0 = w - 1;
    int y1 = y0 + 1 < h ? y0 + 1 : h - 1, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
    double ly = fy - y0, lx = fx - x0;
    if (ly > 1) ly = 1;
    if (lx > 1) lx = 1;
    return (float)((1 - ly) * ((1 - lx) * x[y0 * w + x0] + lx * x[y0 * w + x1]) +
                   ly * ((1 - lx) * x[y1 * w + x0] + lx * x[y1 * w + x1]));
}

TEST(bilinear_nchw_matches_textbook_and_threads) {
    static float x[2 * 3 * 13 * 17], y1[2 * 3 * 29 * 11], y2[2 * 3 * 29 * 11];
    for (int i = 0; i < 2 * 3 * 13 * 17; i++)
        x[i] = (float)((i * 37) % 101) / 10.0f;
    vrt__shape sx = shp(4, (int64_t[]){2, 3, 13, 17}), sy;
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.have_sizes = 1;
    const int64_t sz[4] = {2, 3, 29, 11};
    memcpy(p.sizes, sz, sizeof(sz));
    ASSERT_OK(vrt__resize_out_shape(&p, &sx, &sy));
    ASSERT_OK(vrt__cpu_resize_f32(NULL, &p, x, &sx, y1, &sy, g_scratch));
    for (int pl = 0; pl < 6; pl++)
        for (int oy = 0; oy < 29; oy++)
            for (int ox = 0; ox < 11; ox++)
                ASSERT_NEAR(y1[(pl * 29 + oy) * 11 + ox],
                            ref_bilinear(x + pl * 13 * 17, 13, 17, 29, 11, oy, ox), 1e-5);
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    ASSERT_OK(vrt__cpu_resize_f32(tp, &p, x, &sx, y2, &sy, g_scratch));
    ASSERT_TRUE(memcmp(y1, y2, sizeof(y1)) == 0);
    vrt__threadpool_destroy(&tp);
}

TEST(aspect_policy_and_errors) {
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.have_sizes = 1;
    p.naxes = 2;
    p.axes[0] = 2;
    p.axes[1] = 3;
    p.sizes[0] = 7;
    p.sizes[1] = 8;
    p.keep_aspect = VRT__ASPECT_NOT_LARGER;
    vrt__shape sx = shp(4, (int64_t[]){1, 1, 4, 4}), sy;
    ASSERT_OK(vrt__resize_out_shape(&p, &sx, &sy));
    ASSERT_EQ(sy.d[2], 7);
    ASSERT_EQ(sy.d[3], 7);
    p.keep_aspect = VRT__ASPECT_NOT_SMALLER;
    ASSERT_OK(vrt__resize_out_shape(&p, &sx, &sy));
    ASSERT_EQ(sy.d[2], 8);
    ASSERT_EQ(sy.d[3], 8);
    run(&p, k_4x4, 4, 4, 8, 8);
    /* scale 2 for both axes: same as the plain x2 nearest upsample */
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            ASSERT_NEAR(g_out[y * 8 + x], k_4x4[(y / 2) * 4 + x / 2], 0);
    p.have_scales = 1; /* both scales and sizes */
    ASSERT_STATUS(vrt__resize_out_shape(&p, &sx, &sy), VRT_EINVAL);
    vrt__resize_default_params(&p);
    scales4(&p, 2, 2);
    p.antialias = 1;
    ASSERT_STATUS(vrt__resize_out_shape(&p, &sx, &sy), VRT_ENOTSUP);
    p.antialias = 0;
    sy.d[3] = 7;
    ASSERT_STATUS(vrt__cpu_resize_f32(NULL, &p, k_4x4, &sx, g_out, &sy, g_scratch), VRT_EINVAL);
}

int main(void) {
    for (int i = 0; i < 16; i++)
        k_4x4[i] = (float)(i + 1);
    VRT_RUN(nearest_modes);
    VRT_RUN(linear_modes);
    VRT_RUN(tf_crop_and_resize_with_extrapolation);
    VRT_RUN(cubic_and_exclude_outside);
    VRT_RUN(bilinear_nchw_matches_textbook_and_threads);
    VRT_RUN(aspect_policy_and_errors);
    return vrt_test_finish();
}
