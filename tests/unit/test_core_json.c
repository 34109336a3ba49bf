#include "harness.h"
#include "vrt/core.h"
#include "vrt/json.h"

#include <unistd.h>

#define FFFD "\xEF\xBF\xBD"

static char g_buf[4096];

TEST(nested_document_exact) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_OK(vrt_json_begin_object(&w));
    ASSERT_OK(vrt_json_kv_string(&w, "source", "/dev/video0"));
    ASSERT_OK(vrt_json_kv_int(&w, "frames", 1200));
    ASSERT_OK(vrt_json_key(&w, "lat"));
    ASSERT_OK(vrt_json_begin_object(&w));
    ASSERT_OK(vrt_json_kv_double(&w, "p50", 4.25));
    ASSERT_OK(vrt_json_key(&w, "hist"));
    ASSERT_OK(vrt_json_begin_array(&w));
    ASSERT_OK(vrt_json_int(&w, 1));
    ASSERT_OK(vrt_json_begin_array(&w));
    ASSERT_OK(vrt_json_end_array(&w));
    ASSERT_OK(vrt_json_begin_object(&w));
    ASSERT_OK(vrt_json_end_object(&w));
    ASSERT_OK(vrt_json_null(&w));
    ASSERT_OK(vrt_json_end_array(&w));
    ASSERT_OK(vrt_json_end_object(&w));
    ASSERT_OK(vrt_json_kv_bool(&w, "ok", 1));
    ASSERT_OK(vrt_json_kv_bool(&w, "gpu", 0));
    ASSERT_OK(vrt_json_kv_null(&w, "err"));
    ASSERT_OK(vrt_json_kv_raw(&w, "raw", "[1, 2]"));
    ASSERT_OK(vrt_json_kv_uint(&w, "u", 18446744073709551615ull));
    ASSERT_OK(vrt_json_kv_string(&w, "nul", NULL));
    ASSERT_OK(vrt_json_end_object(&w));
    ASSERT_OK(vrt_json_finish(&w));
    const char *want =
        "{\"source\":\"/dev/video0\",\"frames\":1200,\"lat\":{\"p50\":4.25,\"hist\":[1,[],{},null]},"
        "\"ok\":true,\"gpu\":false,\"err\":null,\"raw\":[1, 2],\"u\":18446744073709551615,"
        "\"nul\":null}";
    ASSERT_STREQ(g_buf, want);
    ASSERT_EQ(vrt_json_length(&w), strlen(want));
    ASSERT_STREQ(vrt_json_error(&w), "");
}

TEST(top_level_scalars_and_json_lines) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_OK(vrt_json_string(&w, "x"));
    ASSERT_OK(vrt_json_newline(&w));
    ASSERT_OK(vrt_json_begin_array(&w));
    ASSERT_OK(vrt_json_end_array(&w));
    ASSERT_OK(vrt_json_newline(&w));
    ASSERT_OK(vrt_json_int(&w, -7));
    ASSERT_OK(vrt_json_finish(&w));
    ASSERT_STREQ(g_buf, "\"x\"\n[]\n-7");
    /* An empty document is fine. */
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_OK(vrt_json_finish(&w));
    ASSERT_STREQ(g_buf, "");
}

static const char *one_string(const char *s, size_t n) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_string_n(&w, s, n);
    if (vrt_json_finish(&w) != VRT_OK) return "(error)";
    return g_buf;
}
#define ONE(lit) one_string(lit, sizeof(lit) - 1)

TEST(string_escapes) {
    ASSERT_STREQ(ONE("plain"), "\"plain\"");
    ASSERT_STREQ(ONE(""), "\"\"");
    ASSERT_STREQ(ONE("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    ASSERT_STREQ(ONE("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
    ASSERT_STREQ(ONE("\x01\x1f\x0b\x1b"), "\"\\u0001\\u001f\\u000b\\u001b\"");
    ASSERT_STREQ(ONE("nul\0here"), "\"nul\\u0000here\"");
    ASSERT_STREQ(ONE("del\x7f"), "\"del\x7f\""); /* DEL is legal in JSON strings */
    /* A long string crosses the internal chunking. */
    char lng[600], want[1300];
    size_t k = 0;
    want[k++] = '"';
    for (int i = 0; i < 599; i++) {
        lng[i] = i % 3 == 0 ? '"' : 'a';
        if (lng[i] == '"') want[k++] = '\\';
        want[k++] = lng[i];
    }
    lng[599] = 0;
    want[k++] = '"';
    want[k] = 0;
    ASSERT_STREQ(one_string(lng, 599), want);
}

TEST(utf8_valid_passes_invalid_replaced) {
    ASSERT_STREQ(ONE("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"),
                 "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"");
    ASSERT_STREQ(ONE("\xFF"), "\"" FFFD "\"");
    ASSERT_STREQ(ONE("a\x80"
                     "b"),
                 "\"a" FFFD "b\"");                                       /* stray continuation */
    ASSERT_STREQ(ONE("\xC0\xAF"), "\"" FFFD FFFD "\"");                   /* overlong '/' */
    ASSERT_STREQ(ONE("\xE0\x80\x80"), "\"" FFFD FFFD FFFD "\"");          /* overlong NUL */
    ASSERT_STREQ(ONE("\xED\xA0\x80"), "\"" FFFD FFFD FFFD "\"");          /* surrogate D800 */
    ASSERT_STREQ(ONE("\xF4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\""); /* U+110000 */
    ASSERT_STREQ(ONE("\xE2\x82"
                     "x"),
                 "\"" FFFD "x\"");                           /* truncated inside */
    ASSERT_STREQ(ONE("end\xF0\x9F\x98"), "\"end" FFFD "\""); /* truncated at the end */
    ASSERT_STREQ(ONE("\xC3\n"), "\"" FFFD "\\n\"");          /* control char after a bad lead */
}

TEST(keys_are_escaped_too) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_object(&w);
    vrt_json_kv_int(&w, "a\"\n\xFF", 1);
    ASSERT_OK(vrt_json_end_object(&w));
    ASSERT_STREQ(g_buf, "{\"a\\\"\\n" FFFD "\":1}");
}

static const char *one_double(double v, vrt_json_float_mode mode) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_set_float_mode(&w, mode);
    vrt_json_double(&w, v);
    return vrt_json_finish(&w) == VRT_OK ? g_buf : "(error)";
}

TEST(numbers) {
    ASSERT_STREQ(one_double(0.1, VRT_JSON_FLOAT_SHORTEST), "0.1");
    ASSERT_STREQ(one_double(1.0 / 3.0, VRT_JSON_FLOAT_SHORTEST), "0.3333333333333333");
    ASSERT_STREQ(one_double(0.1 + 0.2, VRT_JSON_FLOAT_SHORTEST), "0.30000000000000004");
    ASSERT_STREQ(one_double(2.0, VRT_JSON_FLOAT_SHORTEST), "2");
    ASSERT_STREQ(one_double(-0.0, VRT_JSON_FLOAT_SHORTEST), "-0");
    ASSERT_STREQ(one_double(1e300, VRT_JSON_FLOAT_SHORTEST), "1e+300");
    ASSERT_TRUE(strtod(one_double(5e-324, VRT_JSON_FLOAT_SHORTEST), NULL) == 5e-324); /* denormal */
    ASSERT_STREQ(one_double(NAN, VRT_JSON_FLOAT_SHORTEST), "null");
    ASSERT_STREQ(one_double(INFINITY, VRT_JSON_FLOAT_SHORTEST), "null");
    ASSERT_STREQ(one_double(-INFINITY, VRT_JSON_FLOAT_G6), "null");
    ASSERT_STREQ(one_double(3.14159265358979, VRT_JSON_FLOAT_G6), "3.14159");
    ASSERT_STREQ(one_double(1234567.0, VRT_JSON_FLOAT_G6), "1.23457e+06");
    ASSERT_STREQ(one_double(2.5, VRT_JSON_FLOAT_G6), "2.5");

    /* Round trip on many doubles: strtod of the output gives the same bits. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v)) continue;
        const char *s = one_double(v, VRT_JSON_FLOAT_SHORTEST);
        double back = strtod(s, NULL);
        if (memcmp(&back, &v, sizeof v) != 0) vrt_test_fail(__FILE__, __LINE__, "%.17g wrote \"%s\"", v, s);
        ASSERT_TRUE(strlen(s) <= 24);
    }

    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_array(&w);
    vrt_json_int(&w, INT64_MIN);
    vrt_json_int(&w, INT64_MAX);
    vrt_json_uint(&w, 0);
    vrt_json_end_array(&w);
    ASSERT_OK(vrt_json_finish(&w));
    ASSERT_STREQ(g_buf, "[-9223372036854775808,9223372036854775807,0]");
}

/* Each misuse gives VRT_EINVAL with a message, and nothing more is written. */
TEST(misuse_is_reported_not_asserted) {
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_object(&w);
    ASSERT_STATUS(vrt_json_int(&w, 1), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "without a key");
    ASSERT_STATUS(vrt_json_end_object(&w), VRT_EINVAL); /* sticky */
    ASSERT_STREQ(g_buf, "{");
    ASSERT_STATUS(vrt_json_finish(&w), VRT_EINVAL);

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_STATUS(vrt_json_end_array(&w), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "no open array");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_array(&w);
    ASSERT_STATUS(vrt_json_end_object(&w), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "innermost open container is an array");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_array(&w);
    ASSERT_STATUS(vrt_json_key(&w, "k"), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "key \"k\" outside an object");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_object(&w);
    vrt_json_key(&w, "a");
    ASSERT_STATUS(vrt_json_key(&w, "b"), VRT_EINVAL);

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_object(&w);
    vrt_json_key(&w, "a");
    ASSERT_STATUS(vrt_json_end_object(&w), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "needs a value");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_int(&w, 1);
    ASSERT_STATUS(vrt_json_int(&w, 2), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "vrt_json_newline");
    ASSERT_STREQ(g_buf, "1");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_STATUS(vrt_json_newline(&w), VRT_EINVAL);

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    vrt_json_begin_array(&w);
    ASSERT_STATUS(vrt_json_finish(&w), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "still open");

    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    ASSERT_STATUS(vrt_json_raw(&w, NULL), VRT_EINVAL);

    /* Depth: exactly VRT_JSON_MAX_DEPTH levels work, one more does not. */
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    for (int i = 0; i < VRT_JSON_MAX_DEPTH; i++)
        ASSERT_OK(vrt_json_begin_array(&w));
    ASSERT_STATUS(vrt_json_begin_array(&w), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_json_error(&w), "deeper");
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    for (int i = 0; i < VRT_JSON_MAX_DEPTH; i++)
        vrt_json_begin_array(&w);
    for (int i = 0; i < VRT_JSON_MAX_DEPTH; i++)
        vrt_json_end_array(&w);
    ASSERT_OK(vrt_json_finish(&w));
    ASSERT_EQ(strlen(g_buf), 2 * VRT_JSON_MAX_DEPTH);
}

static void write_sample(vrt_json *w) {
    vrt_json_begin_object(w);
    vrt_json_kv_string(w, "name", "camera \"front\"\n");
    vrt_json_key(w, "values");
    vrt_json_begin_array(w);
    for (int i = 0; i < 20; i++)
        vrt_json_double(w, i * 0.25);
    vrt_json_end_array(w);
    vrt_json_end_object(w);
}

TEST(truncation_never_overflows) {
    char full[512];
    vrt_json w;
    vrt_json_init_buffer(&w, full, sizeof full);
    write_sample(&w);
    ASSERT_OK(vrt_json_finish(&w));
    size_t n = strlen(full);
    ASSERT_EQ(vrt_json_length(&w), n);

    for (size_t cap = 1; cap <= n + 1; cap++) {
        char guard[600];
        memset(guard, 'Z', sizeof guard);
        vrt_json_init_buffer(&w, guard, cap);
        write_sample(&w);
        vrt_status st = vrt_json_finish(&w);
        ASSERT_EQ(vrt_json_length(&w), n); /* counts what did not fit */
        if (cap <= n) {
            ASSERT_STATUS(st, VRT_ENOSPC);
            ASSERT_TRUE(vrt_json_truncated(&w));
            ASSERT_CONTAINS(vrt_json_error(&w), "truncated");
        } else {
            ASSERT_OK(st);
        }
        ASSERT_EQ(strlen(guard), cap - 1);
        ASSERT_TRUE(memcmp(guard, full, cap - 1) == 0);
        for (size_t i = cap; i < sizeof guard; i++)
            if (guard[i] != 'Z') vrt_test_fail(__FILE__, __LINE__, "cap %zu: byte %zu written", cap, i);
    }
    /* cap 0 measures only. */
    vrt_json_init_buffer(&w, NULL, 0);
    write_sample(&w);
    ASSERT_STATUS(vrt_json_finish(&w), VRT_ENOSPC);
    ASSERT_EQ(vrt_json_length(&w), n);
}

TEST(file_output_matches_buffer) {
    char want[512];
    vrt_json w;
    vrt_json_init_buffer(&w, want, sizeof want);
    write_sample(&w);
    ASSERT_OK(vrt_json_finish(&w));
    FILE *f = tmpfile();
    ASSERT_TRUE(f != NULL);
    vrt_json_init_file(&w, f);
    write_sample(&w);
    ASSERT_OK(vrt_json_newline(&w));
    ASSERT_OK(vrt_json_int(&w, 5));
    ASSERT_OK(vrt_json_finish(&w));
    rewind(f);
    char got[600] = {0};
    size_t r = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    ASSERT_EQ(r, strlen(want) + 2);
    ASSERT_TRUE(memcmp(got, want, strlen(want)) == 0);
    ASSERT_STREQ(got + strlen(want), "\n5");

    vrt_json_init_file(&w, NULL);
    ASSERT_STATUS(vrt_json_int(&w, 1), VRT_EINVAL);

    /* A stream that cannot be written (read-only) reports VRT_EIO. */
    FILE *ro = fopen("/dev/null", "r");
    if (ro) {
        vrt_json_init_file(&w, ro);
        char big[8192];
        memset(big, 'q', sizeof big - 1);
        big[sizeof big - 1] = 0;
        vrt_json_string(&w, big);
        ASSERT_STATUS(vrt_json_finish(&w), VRT_EIO);
        fclose(ro);
    }
}

/* ---- an independent parser: python3's json module ---------------------- */

static const char *const k_py =
    "import json, struct, sys\n"
    "bad = 0\n"
    "lines = open(sys.argv[1], 'rb').read().decode('utf-8').split('\\n')\n"
    "refs = open(sys.argv[2]).read().split('\\n')\n"
    "for line, ref in zip(lines, refs):\n"
    "    o = json.loads(line)\n"
    "    kind, hexv = ref.split(' ')\n"
    "    if kind == 's':\n"
    "        want = bytes.fromhex(hexv).decode('utf-8', 'replace')\n"
    "        if o['s'] != want or o[want] != 1: bad += 1; print('string', repr(o), repr(want))\n"
    "    else:\n"
    "        want = struct.unpack('<d', bytes.fromhex(hexv))[0]\n"
    "        got = o['d']\n"
    "        if struct.pack('<d', float(got)) != struct.pack('<d', want): bad += 1; print('double', got, "
    "want)\n"
    "print('checked', len(lines))\n"
    "sys.exit(1 if bad or len(lines) != len(refs) else 0)\n";

static void hex_line(FILE *f, char kind, const void *p, size_t n) {
    fprintf(f, "%c ", kind);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", ((const unsigned char *)p)[i]);
}

TEST(python_json_parses_and_round_trips) {
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0) SKIP("python3 not available");
    char out_path[600], ref_path[600], py_path[600], cmd[2000];
    snprintf(out_path, sizeof out_path, "%s/json_out.jsonl", vrt_test_tmpdir());
    snprintf(ref_path, sizeof ref_path, "%s/json_ref.txt", vrt_test_tmpdir());
    snprintf(py_path, sizeof py_path, "%s/json_check.py", vrt_test_tmpdir());
    FILE *py = fopen(py_path, "w");
    ASSERT_TRUE(py != NULL);
    fputs(k_py, py);
    fclose(py);

    FILE *out = fopen(out_path, "w"), *ref = fopen(ref_path, "w");
    ASSERT_TRUE(out && ref);
    vrt_json w;
    vrt_json_init_file(&w, out);
    int lines = 0;
    /* Fixed tricky strings, then random bytes (mostly invalid UTF-8 and controls). */
    static const char *const fixed[] = {"",
                                        "q\"b\\s/",
                                        "\n\t\r\b\f\x01\x1f\x7f",
                                        "caf\xC3\xA9 \xF0\x9F\x98\x80",
                                        "\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80\xE2\x82x\xF0\x9F\x98",
                                        "\xFF\xFE"};
    uint64_t x = 12345;
    for (int i = 0; i < 300; i++) {
        char s[64];
        size_t n;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            n = strlen(fixed[i]);
            memcpy(s, fixed[i], n);
        } else {
            n = (size_t)(i % 40);
            for (size_t k = 0; k < n; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                s[k] = (char)(x & 0xFF);
                if ((x >> 8) % 4 == 0) s[k] = (char)(0xC2 + (x >> 16) % 0x33); /* more multi-byte leads */
            }
        }
        for (size_t k = 0; k < n; k++)
            if (s[k] == 0) s[k] = 'z'; /* the same bytes also serve as a NUL-terminated key */
        if (n == 1 && s[0] == 's') s[0] = 't';
        s[n] = 0;
        /* {"s": <the bytes>, <the bytes>: 1}: the string as value and as key. */
        vrt_json_begin_object(&w);
        vrt_json_key(&w, "s");
        vrt_json_string_n(&w, s, n);
        vrt_json_kv_int(&w, s, 1);
        vrt_json_end_object(&w);
        vrt_json_newline(&w);
        hex_line(ref, 's', s, n);
        fputc('\n', ref);
        lines++;
    }
    for (int i = 0; i < 300; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v)) v = 1.5;
        if (i % 3 == 0) v = (double)(x % 100000) / 1000.0;
        vrt_json_begin_object(&w);
        vrt_json_kv_double(&w, "d", v);
        vrt_json_end_object(&w);
        if (i < 299) vrt_json_newline(&w);
        hex_line(ref, 'd', &v, sizeof v); /* little-endian host, as on every target we build for */
        if (i < 299) fputc('\n', ref);
        lines++;
    }
    ASSERT_OK(vrt_json_finish(&w));
    fclose(out);
    fclose(ref);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' 2>&1", py_path, out_path, ref_path);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    char msg[4096] = {0};
    size_t got = fread(msg, 1, sizeof msg - 1, p);
    msg[got] = 0;
    int rc = pclose(p);
    if (rc != 0) vrt_test_fail(__FILE__, __LINE__, "python3 rejected the output (rc %d):\n%s", rc, msg);
    char want[64];
    snprintf(want, sizeof want, "checked %d", lines);
    ASSERT_CONTAINS(msg, want);
    unlink(out_path);
    unlink(ref_path);
    unlink(py_path);
}

TEST(writer_does_not_allocate) {
    vrt_alloc_counting_begin();
    vrt_json w;
    vrt_json_init_buffer(&w, g_buf, sizeof g_buf);
    write_sample(&w);
    vrt_json_finish(&w);
    ASSERT_EQ(vrt_alloc_counting_stats().allocs, 0);
    vrt_alloc_counting_end();
}

int main(void) {
    VRT_RUN(nested_document_exact);
    VRT_RUN(top_level_scalars_and_json_lines);
    VRT_RUN(string_escapes);
    VRT_RUN(utf8_valid_passes_invalid_replaced);
    VRT_RUN(keys_are_escaped_too);
    VRT_RUN(numbers);
    VRT_RUN(misuse_is_reported_not_asserted);
    VRT_RUN(truncation_never_overflows);
    VRT_RUN(file_output_matches_buffer);
    VRT_RUN(python_json_parses_and_round_trips);
    VRT_RUN(writer_does_not_allocate);
    return vrt_test_finish();
}
