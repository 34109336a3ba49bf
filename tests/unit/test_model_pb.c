/* Protobuf wire decoder and ONNX reader on hand-built byte strings. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "model/internal.h"
#include "model/pb.h"
#include "vrt/model.h"

/* ---- a tiny protobuf writer for building test messages (independent of pb.c) ---- */
typedef struct buf {
    uint8_t d[8192];
    size_t n;
} buf;

static void put_varint(buf *b, uint64_t v) {
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        b->d[b->n++] = x | (v ? 0x80 : 0);
    } while (v);
}
static void put_key(buf *b, int num, int wire) {
    put_varint(b, ((uint64_t)num << 3) | (uint64_t)wire);
}
static void put_int(buf *b, int num, int64_t v) {
    put_key(b, num, 0);
    put_varint(b, (uint64_t)v);
}
static void put_bytes(buf *b, int num, const void *p, size_t n) {
    put_key(b, num, 2);
    put_varint(b, n);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put_str(buf *b, int num, const char *s) {
    put_bytes(b, num, s, strlen(s));
}
static void put_msg(buf *b, int num, const buf *m) {
    put_bytes(b, num, m->d, m->n);
}
static void put_f32(buf *b, int num, float f) {
    put_key(b, num, 5);
    memcpy(b->d + b->n, &f, 4);
    b->n += 4;
}

TEST(varints_and_limits) {
    const uint8_t ok[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *p = ok;
    uint64_t v;
    ASSERT_OK(vrt__pb_varint(&p, ok + sizeof(ok), &v));
    ASSERT_TRUE(v == UINT64_MAX);
    ASSERT_EQ(p - ok, 10);
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    p = eleven;
    ASSERT_STATUS(vrt__pb_varint(&p, eleven + sizeof(eleven), &v), VRT_EBADDATA);
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}; /* 65th bit */
    p = over;
    ASSERT_STATUS(vrt__pb_varint(&p, over + sizeof(over), &v), VRT_EBADDATA);
    const uint8_t trunc[] = {0x96};
    p = trunc;
    ASSERT_STATUS(vrt__pb_varint(&p, trunc + 1, &v), VRT_EBADDATA);
    const uint8_t x150[] = {0x96, 0x01};
    p = x150;
    ASSERT_OK(vrt__pb_varint(&p, x150 + 2, &v));
    ASSERT_EQ(v, 150);
}

TEST(fields_lengths_and_unknowns) {
    buf b = {0};
    put_int(&b, 1, 7);
    put_str(&b, 2, "abc");
    put_f32(&b, 3, 1.5f);
    put_key(&b, 4, 1);
    uint64_t bits = 0x0102030405060708ull;
    memcpy(b.d + b.n, &bits, 8);
    b.n += 8;
    vrt__pb r;
    vrt__pb_field f;
    vrt__pb_init(&r, b.d, b.n);
    ASSERT_OK(vrt__pb_next(&r, &f));
    ASSERT_EQ(f.num, 1);
    ASSERT_EQ(f.v, 7);
    ASSERT_OK(vrt__pb_next(&r, &f));
    ASSERT_EQ(f.len, 3);
    ASSERT_TRUE(!memcmp(f.data, "abc", 3));
    ASSERT_OK(vrt__pb_next(&r, &f));
    ASSERT_TRUE(vrt__pb_f32(f.v) == 1.5f);
    ASSERT_OK(vrt__pb_next(&r, &f));
    ASSERT_TRUE(f.v == bits);
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EOF);
    /* Every truncation of this message must fail or end cleanly, never read past it. */
    for (size_t cut = 1; cut < b.n; cut++) {
        vrt__pb_init(&r, b.d, cut);
        vrt_status st;
        int fields = 0;
        while ((st = vrt__pb_next(&r, &f)) == VRT_OK)
            fields++;
        ASSERT_TRUE(st == VRT_EOF || st == VRT_EBADDATA);
        ASSERT_TRUE(fields < 4);
    }
    /* A length larger than what remains. */
    const uint8_t big[] = {0x12, 0x05, 'a', 'b'};
    vrt__pb_init(&r, big, sizeof(big));
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EBADDATA);
    /* A length of 2^63. */
    const uint8_t huge[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'a'};
    vrt__pb_init(&r, huge, sizeof(huge));
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EBADDATA);
    /* Groups (wire 3/4), wire types 6/7 and field number 0 are refused. */
    const uint8_t grp[] = {0x0b, 0x0c};
    vrt__pb_init(&r, grp, sizeof(grp));
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EBADDATA);
    const uint8_t w6[] = {0x0e};
    vrt__pb_init(&r, w6, 1);
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EBADDATA);
    const uint8_t f0[] = {0x00, 0x01};
    vrt__pb_init(&r, f0, 2);
    ASSERT_STATUS(vrt__pb_next(&r, &f), VRT_EBADDATA);
}

TEST(packed_and_unpacked_repeated) {
    buf b = {0};
    put_int(&b, 1, 3); /* unpacked */
    const uint8_t packed[] = {0x01, 0x96, 0x01, 0x7f};
    put_bytes(&b, 1, packed, sizeof(packed)); /* packed: 1, 150, 127 */
    put_int(&b, 1, -2);                       /* negative int64: 10 bytes */
    vrt__pb r;
    vrt__pb_field f;
    vrt__pb_init(&r, b.d, b.n);
    int64_t *arr = NULL;
    size_t n = 0, cap = 0;
    while (vrt__pb_next(&r, &f) == VRT_OK)
        ASSERT_OK(vrt__pb_append_varints(&f, &arr, &n, &cap, 100));
    ASSERT_EQ(n, 5);
    ASSERT_EQ(arr[0], 3);
    ASSERT_EQ(arr[1], 1);
    ASSERT_EQ(arr[2], 150);
    ASSERT_EQ(arr[3], 127);
    ASSERT_EQ(arr[4], -2);
    /* max_count bounds the total. */
    vrt__pb_init(&r, b.d, b.n);
    size_t n2 = 0;
    vrt_status last = VRT_OK;
    while (vrt__pb_next(&r, &f) == VRT_OK && last == VRT_OK)
        last = vrt__pb_append_varints(&f, &arr, &n2, &cap, 2);
    ASSERT_STATUS(last, VRT_ERANGE);
    vrt_free(arr);
    /* Packed varints with a truncated last element. */
    const uint8_t badp[] = {0x0a, 0x02, 0x01, 0x96};
    vrt__pb_init(&r, badp, sizeof(badp));
    ASSERT_OK(vrt__pb_next(&r, &f));
    arr = NULL, n = 0, cap = 0;
    ASSERT_STATUS(vrt__pb_append_varints(&f, &arr, &n, &cap, 100), VRT_EBADDATA);
    vrt_free(arr);
    /* Packed fixed32 whose length is not a multiple of 4. */
    const uint8_t badf[] = {0x0a, 0x03, 1, 2, 3};
    vrt__pb_init(&r, badf, sizeof(badf));
    ASSERT_OK(vrt__pb_next(&r, &f));
    uint32_t *fa = NULL;
    ASSERT_STATUS(vrt__pb_append_fixed32(&f, &fa, &n, &cap, 100), VRT_EBADDATA);
    vrt_free(fa);
}

TEST(nesting_depth_limited) {
    /* 40 nested LEN fields: the reader must stop at VRT__PB_MAX_DEPTH. */
    static buf layers[41];
    memset(&layers[0], 0, sizeof(buf));
    put_int(&layers[0], 1, 1);
    for (int i = 1; i <= 40; i++) {
        memset(&layers[i], 0, sizeof(buf));
        put_msg(&layers[i], 1, &layers[i - 1]);
    }
    vrt__pb r, c;
    vrt__pb_field f;
    vrt__pb_init(&r, layers[40].d, layers[40].n);
    int depth = 0;
    vrt_status st = VRT_OK;
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK && f.wire == VRT__PB_LEN) {
        st = vrt__pb_sub(&r, &f, &c);
        if (st) break;
        r = c;
        depth++;
    }
    ASSERT_STATUS(st, VRT_EBADDATA);
    ASSERT_EQ(depth, VRT__PB_MAX_DEPTH);
}

/* ---- ONNX messages ---- */

static void value_info(buf *out, const char *name, int elem, const int64_t *dims, int nd,
                       const char *param0) {
    buf shape = {0}, tt = {0}, tp = {0};
    for (int i = 0; i < nd; i++) {
        buf dim = {0};
        if (i == 0 && param0)
            put_str(&dim, 2, param0);
        else
            put_int(&dim, 1, dims[i]);
        put_msg(&shape, 1, &dim);
    }
    put_int(&tt, 1, elem);
    put_msg(&tt, 2, &shape);
    put_msg(&tp, 1, &tt);
    memset(out, 0, sizeof(*out));
    put_str(out, 1, name);
    put_msg(out, 2, &tp);
}

static void attr_ints(buf *out, const char *name, const int64_t *v, int n) {
    memset(out, 0, sizeof(*out));
    put_str(out, 1, name);
    put_int(out, 20, 7);
    for (int i = 0; i < n; i++)
        put_int(out, 8, v[i]);
}

/* Model: x[N,3,8,8] -> Conv(w[4,3,3,3], pads 1, strides 2) -> Relu -> Reshape(shape init [0,-1]) -> y */
static size_t build_model(buf *model, int opset, const char *op2, int with_cycle) {
    buf g = {0}, n1 = {0}, n2 = {0}, n3 = {0}, a = {0}, w = {0}, s = {0}, vi = {0}, os = {0};
    put_str(&n1, 1, with_cycle ? "r" : "x");
    put_str(&n1, 1, "w");
    put_str(&n1, 2, "c");
    put_str(&n1, 3, "conv0");
    put_str(&n1, 4, "Conv");
    int64_t pads[4] = {1, 1, 1, 1}, strides[2] = {2, 2};
    attr_ints(&a, "pads", pads, 4);
    put_msg(&n1, 5, &a);
    attr_ints(&a, "strides", strides, 2);
    put_msg(&n1, 5, &a);
    put_str(&n2, 1, "c");
    put_str(&n2, 2, "r");
    put_str(&n2, 3, "act");
    put_str(&n2, 4, op2);
    put_str(&n3, 1, "r");
    put_str(&n3, 1, "shape");
    put_str(&n3, 2, "y");
    put_str(&n3, 3, "flat");
    put_str(&n3, 4, "Reshape");
    /* weight as typed float_data (packed), shape as int64_data */
    put_int(&w, 1, 4), put_int(&w, 1, 3), put_int(&w, 1, 3), put_int(&w, 1, 3);
    put_int(&w, 2, 1);
    put_str(&w, 8, "w");
    {
        float vals[108];
        for (int i = 0; i < 108; i++)
            vals[i] = (float)i;
        put_bytes(&w, 4, vals, sizeof(vals));
    }
    put_int(&s, 1, 2);
    put_int(&s, 2, 7);
    put_str(&s, 8, "shape");
    put_int(&s, 7, 0);
    put_int(&s, 7, -1);
    put_msg(&g, 1, &n1);
    put_msg(&g, 1, &n2);
    put_msg(&g, 1, &n3);
    put_str(&g, 2, "tiny");
    put_msg(&g, 5, &w);
    put_msg(&g, 5, &s);
    int64_t xd[4] = {0, 3, 8, 8};
    value_info(&vi, "x", 1, xd, 4, "N");
    put_msg(&g, 11, &vi);
    int64_t wd[4] = {4, 3, 3, 3};
    value_info(&vi, "w", 1, wd, 4, NULL); /* an input that is also an initializer */
    put_msg(&g, 11, &vi);
    value_info(&vi, "y", 1, xd, 0, NULL);
    put_msg(&g, 12, &vi);
    memset(model, 0, sizeof(*model));
    put_int(model, 1, 8);
    put_str(model, 2, "hand");
    put_msg(model, 7, &g);
    put_str(&os, 1, "");
    put_int(&os, 2, opset);
    put_msg(model, 8, &os);
    return model->n;
}

TEST(reader_builds_ir_from_hand_made_model) {
    buf m;
    build_model(&m, 13, "Relu", 0);
    vrt__ir *ir = NULL;
    char err[512];
    vrt__ir_params p = {0};
    p.batch = 2;
    vrt_status st = vrt__ir_load_onnx_buffer(m.d, m.n, &p, &ir, err, sizeof(err));
    if (st) printf("%s\n", err);
    ASSERT_OK(st);
    ASSERT_EQ(ir->n_inputs, 1); /* w is an initializer, not an input */
    ASSERT_STREQ(ir->tensors[ir->inputs[0]].name, "x");
    ASSERT_EQ(ir->n_nodes, 3);
    ASSERT_STREQ(ir->nodes[0].op_type, "Conv");
    ASSERT_EQ(vrt__ir_opset(ir, ""), 13);
    ASSERT_STREQ(ir->producer_name, "hand");
    const vrt__tensor *y = &ir->tensors[ir->outputs[0]];
    /* (8 + 2 - 3) / 2 + 1 = 4: y = [2, 4*4*4] */
    ASSERT_EQ(y->shape.ndim, 2);
    ASSERT_EQ(y->shape.d[0], 2);
    ASSERT_EQ(y->shape.d[1], 64);
    ASSERT_EQ(y->kind, VRT__TK_OUTPUT);
    int wi = vrt__ir_find_tensor(ir, "w");
    ASSERT_TRUE(wi >= 0);
    ASSERT_EQ(ir->tensors[wi].kind, VRT__TK_WEIGHT);
    ASSERT_TRUE(((float *)ir->tensors[wi].data)[107] == 107.0f);
    ASSERT_EQ(ir->tensors[wi].n_consumers, 1);
    ASSERT_EQ(ir->tensors[wi].consumers[0], 0);
    /* Canonical form: Reshape carries the resolved shape; Conv explicit attrs. */
    int cnt;
    const int64_t *shp = vrt__node_get_ints(&ir->nodes[2], "shape", &cnt);
    ASSERT_EQ(cnt, 2);
    ASSERT_EQ(shp[1], 64);
    ASSERT_EQ(ir->nodes[2].n_inputs, 1);
    const int64_t *dil = vrt__node_get_ints(&ir->nodes[0], "dilations", &cnt);
    ASSERT_EQ(cnt, 2);
    ASSERT_EQ(dil[0], 1);
    ASSERT_EQ(vrt__node_get_int(&ir->nodes[0], "group", 1), 1);
    ASSERT_EQ(vrt__node_get_int(&ir->nodes[0], "nope", -5), -5);
    ASSERT_EQ(vrt__ir_param_count(ir), 108);
    vrt__ir_destroy(&ir);
    ASSERT_TRUE(ir == NULL);
}

TEST(reader_refuses_clearly) {
    buf m;
    char err[4096];
    vrt__ir *ir = NULL;
    build_model(&m, 13, "FancyOp", 0);
    ASSERT_STATUS(vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err)), VRT_EUNSUPPORTED);
    ASSERT_CONTAINS(err, "FancyOp");
    ASSERT_CONTAINS(err, "'act'");
    ASSERT_CONTAINS(err, "opset 13");
    ASSERT_CONTAINS(err, "Relu"); /* lists what is supported */
    ASSERT_TRUE(ir == NULL);
    build_model(&m, 13, "Relu", 1);
    ASSERT_STATUS(vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "cycle");
    build_model(&m, 40, "Relu", 0);
    ASSERT_STATUS(vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err)), VRT_EUNSUPPORTED);
    ASSERT_CONTAINS(err, "opset 40");
    /* Every truncation of a valid model fails cleanly (ASan checks the bounds). */
    build_model(&m, 13, "Relu", 0);
    /* A cut at a field boundary can still be a valid (smaller) message. */
    int failed = 0;
    for (size_t cut = 0; cut < m.n; cut++) {
        err[0] = 0;
        vrt_status st = vrt__ir_load_onnx_buffer(m.d, cut, NULL, &ir, err, sizeof(err));
        if (st == VRT_OK) {
            vrt__ir_destroy(&ir);
            continue;
        }
        failed++;
        ASSERT_TRUE(ir == NULL);
        ASSERT_TRUE(err[0] != 0);
    }
    ASSERT_TRUE(failed >= (int)m.n - 2);
    /* Allocation failures anywhere in the load are reported, never crash or leak. */
    for (uint64_t k = 1; k < 400; k++) {
        vrt_alloc_counting_begin();
        vrt_alloc_counting_fail_at(k);
        vrt_status st = vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err));
        vrt__ir_destroy(&ir);
        vrt_alloc_stats s = vrt_alloc_counting_stats();
        vrt_alloc_counting_end();
        /* Leaks are caught by the sanitizer build (LeakSanitizer); the counts
         * cannot show them because a grown realloc counts as an allocation. */
        ASSERT_TRUE(s.frees <= s.allocs - s.failures);
        if (st == VRT_OK) break;
        ASSERT_EQ(s.failures, 1);
        ASSERT_STATUS(st, VRT_ENOMEM);
    }
}

TEST(subgraph_attribute_refused) {
    buf g = {0}, n = {0}, a = {0}, sub = {0}, m = {0}, os = {0}, vi = {0};
    put_str(&sub, 2, "body");
    put_str(&a, 1, "then_branch");
    put_int(&a, 20, 5);
    put_msg(&a, 6, &sub);
    put_str(&n, 1, "x");
    put_str(&n, 2, "y");
    put_str(&n, 4, "Relu");
    put_msg(&n, 5, &a);
    put_msg(&g, 1, &n);
    int64_t d[1] = {4};
    value_info(&vi, "x", 1, d, 1, NULL);
    put_msg(&g, 11, &vi);
    value_info(&vi, "y", 1, d, 1, NULL);
    put_msg(&g, 12, &vi);
    put_msg(&m, 7, &g);
    put_int(&os, 2, 13);
    put_msg(&m, 8, &os);
    char err[512];
    vrt__ir *ir = NULL;
    ASSERT_STATUS(vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err)), VRT_EUNSUPPORTED);
    ASSERT_CONTAINS(err, "subgraphs");
}

TEST(tensor_pb_typed_fields) {
    /* fp16 via int32_data, bool via int32_data, double converted only in models. */
    buf t = {0};
    put_int(&t, 1, 3);
    put_int(&t, 2, 10);
    put_str(&t, 8, "h");
    put_int(&t, 5, 0x3c00); /* 1.0 */
    put_int(&t, 5, 0xc000); /* -2.0 */
    put_int(&t, 5, 0x7bff); /* 65504 */
    vrt__tensor x;
    char err[256];
    ASSERT_OK(vrt__tensor_parse_pb(t.d, t.n, &x, err, sizeof(err)));
    ASSERT_EQ(x.dtype, VRT__DT_FLOAT16);
    ASSERT_EQ(x.shape.d[0], 3);
    ASSERT_EQ(((uint16_t *)x.data)[1], 0xc000);
    ASSERT_STREQ(x.name, "h");
    vrt__tensor_free(&x);
    /* Element count mismatch. */
    buf u = {0};
    put_int(&u, 1, 4);
    put_int(&u, 2, 7);
    put_int(&u, 7, 1);
    ASSERT_STATUS(vrt__tensor_parse_pb(u.d, u.n, &x, err, sizeof(err)), VRT_EBADDATA);
    /* raw_data of the wrong size. */
    buf r = {0};
    put_int(&r, 1, 2);
    put_int(&r, 2, 1);
    put_bytes(&r, 9, "abcd", 4);
    ASSERT_STATUS(vrt__tensor_parse_pb(r.d, r.n, &x, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "raw_data");
    /* dims so large their product overflows. */
    buf o = {0};
    for (int i = 0; i < 4; i++)
        put_int(&o, 1, (int64_t)1 << 40);
    put_int(&o, 2, 1);
    ASSERT_STATUS(vrt__tensor_parse_pb(o.d, o.n, &x, err, sizeof(err)), VRT_EBADDATA);
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Model y = Relu(x) * w, with w from an external file at `loc`. */
static void external_model(buf *m, const char *loc, int64_t offset) {
    buf g = {0}, n1 = {0}, n2 = {0}, w = {0}, e = {0}, vi = {0}, os = {0};
    put_str(&n1, 1, "x"), put_str(&n1, 2, "r"), put_str(&n1, 4, "Relu");
    put_str(&n2, 1, "r"), put_str(&n2, 1, "w"), put_str(&n2, 2, "y"), put_str(&n2, 4, "Mul");
    put_int(&w, 1, 4), put_int(&w, 2, 1), put_str(&w, 8, "w"), put_int(&w, 14, 1);
    put_str(&e, 1, "location"), put_str(&e, 2, loc);
    put_msg(&w, 13, &e);
    char off[32];
    snprintf(off, sizeof(off), "%lld", (long long)offset);
    memset(&e, 0, sizeof(e));
    put_str(&e, 1, "offset"), put_str(&e, 2, off);
    put_msg(&w, 13, &e);
    put_msg(&g, 1, &n1), put_msg(&g, 1, &n2), put_msg(&g, 5, &w);
    int64_t d[1] = {4};
    value_info(&vi, "x", 1, d, 1, NULL);
    put_msg(&g, 11, &vi);
    value_info(&vi, "y", 1, d, 1, NULL);
    put_msg(&g, 12, &vi);
    memset(m, 0, sizeof(*m));
    put_msg(m, 7, &g);
    put_int(&os, 2, 17);
    put_msg(m, 8, &os);
}

TEST(external_data_resolved_and_confined) {
    char dir[600], sub[700], path[800], outside[800], link[800];
    snprintf(dir, sizeof(dir), "%s/ext", vrt_test_tmpdir());
    mkdir(dir, 0700);
    snprintf(sub, sizeof(sub), "%s/weights", dir);
    mkdir(sub, 0700);
    float vals[6] = {9, 1, 2, 3, 4, 9};
    snprintf(path, sizeof(path), "%s/w.bin", sub);
    write_file(path, vals, sizeof(vals));
    snprintf(outside, sizeof(outside), "%s/secret.bin", vrt_test_tmpdir());
    write_file(outside, vals, sizeof(vals));
    snprintf(link, sizeof(link), "%s/link.bin", dir);
    unlink(link);
    ASSERT_EQ(symlink(outside, link), 0);

    buf m;
    char mp[800], err[1024];
    snprintf(mp, sizeof(mp), "%s/model.onnx", dir);
    vrt__ir *ir = NULL;
    external_model(&m, "weights/w.bin", 4);
    write_file(mp, m.d, m.n);
    vrt_status st = vrt__ir_load_onnx(mp, NULL, &ir, err, sizeof(err));
    if (st) printf("%s\n", err);
    ASSERT_OK(st);
    const vrt__tensor *w = &ir->tensors[vrt__ir_find_tensor(ir, "w")];
    ASSERT_TRUE(((float *)w->data)[0] == 1.0f && ((float *)w->data)[3] == 4.0f);
    vrt__ir_destroy(&ir);

    const char *bad[] = {"../secret.bin", "/etc/passwd", "weights/../../secret.bin", "link.bin"};
    for (size_t i = 0; i < 4; i++) {
        external_model(&m, bad[i], 0);
        write_file(mp, m.d, m.n);
        st = vrt__ir_load_onnx(mp, NULL, &ir, err, sizeof(err));
        ASSERT_STATUS(st, VRT_EPERM);
        ASSERT_CONTAINS(err, "folder");
    }
    external_model(&m, "weights/w.bin", 12); /* 24-byte file: 12 + 16 > 24 */
    write_file(mp, m.d, m.n);
    ASSERT_STATUS(vrt__ir_load_onnx(mp, NULL, &ir, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "too short");
    /* From a buffer there is no folder: refused. */
    external_model(&m, "weights/w.bin", 0);
    ASSERT_STATUS(vrt__ir_load_onnx_buffer(m.d, m.n, NULL, &ir, err, sizeof(err)), VRT_EUNSUPPORTED);
}

TEST(public_api_errors) {
    vrt_model_t *m = (vrt_model_t *)1;
    char err[512];
    ASSERT_STATUS(vrt_model_load("/nonexistent/model.onnx", NULL, &m, err, sizeof(err)), VRT_ENOENT);
    ASSERT_TRUE(m == NULL);
    ASSERT_CONTAINS(err, "/nonexistent/model.onnx");
    const uint8_t junk[] = "this is not a model";
    ASSERT_TRUE(vrt_model_load_buffer(junk, sizeof(junk), NULL, &m, err, sizeof(err)) != VRT_OK);
    ASSERT_TRUE(m == NULL);
    ASSERT_STREQ(vrt_dtype_name(VRT_DTYPE_FLOAT16), "float16");
    vrt_model_destroy(NULL);
}

int main(void) {
    VRT_RUN(varints_and_limits);
    VRT_RUN(fields_lengths_and_unknowns);
    VRT_RUN(packed_and_unpacked_repeated);
    VRT_RUN(nesting_depth_limited);
    VRT_RUN(reader_builds_ir_from_hand_made_model);
    VRT_RUN(reader_refuses_clearly);
    VRT_RUN(subgraph_attribute_refused);
    VRT_RUN(tensor_pb_typed_fields);
    VRT_RUN(external_data_resolved_and_confined);
    VRT_RUN(public_api_errors);
    return vrt_test_finish();
}
