/* Low-precision ONNX element types (model/lowp.h): decode and
 * encode against values fixed by the format definitions (OCP 8-bit floats,
 * ONNX's FNUZ variants, bfloat16, OCP float4 e2m1, packed 4-/2-bit ints),
 * not against our own encoder. */
#include <math.h>
#include <string.h>

#include "model/lowp.h"
#include "harness.h"

#define F8(t, x, sat) vrt__lowp_from_float(VRT__DT_##t, (x), (sat), 0)
#define V8(t, b) vrt__lowp_to_float(VRT__DT_##t, (b))

TEST(float8_e4m3fn_known_codes) {
    ASSERT_TRUE(V8(FLOAT8E4M3FN, 0x38) == 1.0f);
    ASSERT_TRUE(V8(FLOAT8E4M3FN, 0x7e) == 448.0f);        /* largest finite */
    ASSERT_TRUE(V8(FLOAT8E4M3FN, 0x01) == ldexpf(1, -9)); /* smallest subnormal */
    ASSERT_TRUE(V8(FLOAT8E4M3FN, 0x08) == ldexpf(1, -6)); /* smallest normal */
    ASSERT_TRUE(isnan(V8(FLOAT8E4M3FN, 0x7f)) && isnan(V8(FLOAT8E4M3FN, 0xff)));
    ASSERT_TRUE(V8(FLOAT8E4M3FN, 0xb8) == -1.0f);
    /* ties to even: 1.0625 sits between 1.0 (0x38) and 1.125 (0x39) */
    ASSERT_EQ(F8(FLOAT8E4M3FN, 1.0625f, 1), 0x38);
    ASSERT_EQ(F8(FLOAT8E4M3FN, 1.1875f, 1), 0x3a);
    ASSERT_EQ(F8(FLOAT8E4M3FN, 464.0f, 0), 0x7e); /* tie below max rounds to even 448 */
    ASSERT_EQ(F8(FLOAT8E4M3FN, 1e6f, 1), 0x7e);   /* saturate */
    ASSERT_EQ(F8(FLOAT8E4M3FN, -INFINITY, 1), 0xfe);
    ASSERT_TRUE(isnan(V8(FLOAT8E4M3FN, F8(FLOAT8E4M3FN, 1e6f, 0)))); /* no saturate: NaN */
    ASSERT_EQ(F8(FLOAT8E4M3FN, -0.0f, 1), 0x80);
}

TEST(float8_fnuz_e5m2_known_codes) {
    ASSERT_TRUE(V8(FLOAT8E4M3FNUZ, 0x7f) == 240.0f);
    ASSERT_TRUE(isnan(V8(FLOAT8E4M3FNUZ, 0x80)));
    ASSERT_TRUE(V8(FLOAT8E4M3FNUZ, 0x40) == 1.0f);
    ASSERT_EQ(F8(FLOAT8E4M3FNUZ, -0.0f, 1), 0x00); /* no negative zero */
    ASSERT_EQ(F8(FLOAT8E4M3FNUZ, 300.0f, 0), 0x80);
    ASSERT_TRUE(V8(FLOAT8E5M2, 0x3c) == 1.0f);
    ASSERT_TRUE(V8(FLOAT8E5M2, 0x7b) == 57344.0f);
    ASSERT_TRUE(isinf(V8(FLOAT8E5M2, 0x7c)) && V8(FLOAT8E5M2, 0xfc) < 0);
    ASSERT_TRUE(V8(FLOAT8E5M2, 0x01) == ldexpf(1, -16));
    ASSERT_EQ(F8(FLOAT8E5M2, 1e6f, 0), 0x7c); /* no saturate: inf */
    ASSERT_EQ(F8(FLOAT8E5M2, 1e6f, 1), 0x7b);
    ASSERT_EQ(F8(FLOAT8E5M2, INFINITY, 0), 0x7c);
    ASSERT_TRUE(V8(FLOAT8E5M2FNUZ, 0x7f) == 57344.0f);
    ASSERT_TRUE(V8(FLOAT8E5M2FNUZ, 0x01) == ldexpf(1, -17));
    ASSERT_TRUE(isnan(V8(FLOAT8E5M2FNUZ, 0x80)));
}

TEST(every_code_round_trips) {
    const vrt__dtype ts[] = {VRT__DT_FLOAT8E4M3FN, VRT__DT_FLOAT8E4M3FNUZ, VRT__DT_FLOAT8E5M2,
                             VRT__DT_FLOAT8E5M2FNUZ};
    for (size_t k = 0; k < sizeof(ts) / sizeof(ts[0]); k++) {
        float prev = -INFINITY;
        for (uint32_t b = 0; b < 128; b++) { /* positive codes increase with the value */
            float v = vrt__lowp_to_float(ts[k], b);
            if (isnan(v)) continue;
            ASSERT_EQ(vrt__lowp_from_float(ts[k], v, 0, 0), b);
            ASSERT_TRUE(v > prev);
            prev = v;
        }
    }
    for (uint32_t b = 0; b < 16; b++)
        ASSERT_EQ(vrt__lowp_from_float(VRT__DT_FLOAT4E2M1, vrt__lowp_to_float(VRT__DT_FLOAT4E2M1, b), 1, 0),
                  b);
}

TEST(float4_bfloat16_e8m0) {
    static const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6}; /* OCP MX spec table */
    for (int b = 0; b < 8; b++) {
        ASSERT_TRUE(vrt__lowp_to_float(VRT__DT_FLOAT4E2M1, (uint32_t)b) == e2m1[b]);
        ASSERT_TRUE(vrt__lowp_to_float(VRT__DT_FLOAT4E2M1, (uint32_t)b | 8u) == -e2m1[b]);
    }
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_FLOAT4E2M1, 100.0f, 0, 0), 0x7); /* always saturates */
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_FLOAT4E2M1, 2.5f, 1, 0), 0x4);   /* tie to even: 2 */
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_BFLOAT16, 1.0f, 1, 0), 0x3f80);
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_BFLOAT16, 1.00390625f, 1, 0), 0x3f80); /* 1 + 2^-8: tie -> even */
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_BFLOAT16, 1.01171875f, 1, 0),
              0x3f82); /* 1 + 3*2^-8: tie -> even (up) */
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_BFLOAT16, -2.0f, 1, 0), 0xc000);
    ASSERT_TRUE(
        isnan(vrt__lowp_to_float(VRT__DT_BFLOAT16, vrt__lowp_from_float(VRT__DT_BFLOAT16, NAN, 1, 0))));
    ASSERT_TRUE(vrt__lowp_to_float(VRT__DT_FLOAT8E8M0, 127) == 1.0f);
    ASSERT_TRUE(vrt__lowp_to_float(VRT__DT_FLOAT8E8M0, 130) == 8.0f);
    ASSERT_TRUE(isnan(vrt__lowp_to_float(VRT__DT_FLOAT8E8M0, 255)));
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_FLOAT8E8M0, 5.0f, 1, 0), 130); /* round up: 8 */
    ASSERT_EQ(vrt__lowp_from_float(VRT__DT_FLOAT8E8M0, 5.0f, 1, 1), 129); /* round down: 4 */
}

TEST(subbyte_pack_and_wrap) {
    const uint8_t p4[2] = {0xf8, 0x17}; /* low nibble first: -8, -1, 7, 1 */
    uint8_t out[4];
    vrt__subbyte_unpack(VRT__DT_INT4, p4, out, 4);
    ASSERT_EQ((int8_t)out[0], -8);
    ASSERT_EQ((int8_t)out[1], -1);
    ASSERT_EQ((int8_t)out[2], 7);
    ASSERT_EQ((int8_t)out[3], 1);
    vrt__subbyte_unpack(VRT__DT_UINT4, p4, out, 3);
    ASSERT_EQ(out[0], 8);
    ASSERT_EQ(out[1], 15);
    const uint8_t p2 = 0xe4; /* 0b11 10 01 00: 0, 1, 2, 3 low bits first */
    vrt__subbyte_unpack(VRT__DT_INT2, &p2, out, 4);
    ASSERT_EQ((int8_t)out[0], 0);
    ASSERT_EQ((int8_t)out[1], 1);
    ASSERT_EQ((int8_t)out[2], -2);
    ASSERT_EQ((int8_t)out[3], -1);
    ASSERT_EQ(vrt__subbyte_from_float(VRT__DT_INT4, 8.0), -8); /* wraps */
    ASSERT_EQ(vrt__subbyte_from_float(VRT__DT_INT4, -9.0), 7);
    ASSERT_EQ(vrt__subbyte_from_float(VRT__DT_UINT2, -3.0), 1);
    ASSERT_EQ(vrt__dtype_bits(VRT__DT_INT4), 4);
    ASSERT_EQ(vrt__dtype_bits(VRT__DT_UINT2), 2);
}

TEST(host_engine_boundary) {
    const uint8_t e4[3] = {0x38, 0x7e, 0x7f};
    float f[3];
    uint8_t back[3];
    vrt__lowp_host_to_engine(VRT__DT_FLOAT8E4M3FN, e4, f, 3);
    ASSERT_TRUE(f[0] == 1.0f && f[1] == 448.0f && isnan(f[2]));
    vrt__lowp_engine_to_host(VRT__DT_FLOAT8E4M3FN, f, back, 3);
    ASSERT_TRUE(memcmp(back, e4, 3) == 0);
    const double d[2] = {0.1, -3.5};
    vrt__lowp_host_to_engine(VRT__DT_DOUBLE, d, f, 2);
    ASSERT_TRUE(f[0] == 0.1f && f[1] == -3.5f);
}

int main(void) {
    VRT_RUN(float8_e4m3fn_known_codes);
    VRT_RUN(float8_fnuz_e5m2_known_codes);
    VRT_RUN(every_code_round_trips);
    VRT_RUN(float4_bfloat16_e8m0);
    VRT_RUN(subbyte_pack_and_wrap);
    VRT_RUN(host_engine_boundary);
    return vrt_test_finish();
}
