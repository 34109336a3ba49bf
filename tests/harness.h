/*
 * Minimal test harness: TEST functions, asserts that print both values, skips.
 * Each test file's main() calls VRT_RUN(name) for each test and returns
 * vrt_test_finish(): 0 when all ran and passed, 77 when everything skipped
 * (ctest SKIP_RETURN_CODE), 1 on any failure. With VRT_TEST_ONLY=NAME in the
 * environment only the test NAME runs (tests/CMakeLists.txt uses it to give
 * each test of a file that changes process-wide state its own process).
 */
#ifndef VRT_TEST_HARNESS_H
#define VRT_TEST_HARNESS_H

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vrt_test_state {
    jmp_buf jb;
    int passed, failed, skipped;
    const char *current;
} vrt_test_state;

extern vrt_test_state vrt_test_g;

#define TEST(name) static void name(void)
#define VRT_RUN(name) vrt_test_run(#name, name)

void vrt_test_run(const char *name, void (*fn)(void));
int vrt_test_finish(void);
void vrt_test_fail(const char *file, int line, const char *fmt, ...);
void vrt_test_skip(const char *fmt, ...);
/* Path of a file under the test data folder ($VRT_DATA or ../shared/data next to the
 * source tree); NULL if it does not exist. Result in a static ring of buffers. */
const char *vrt_test_data(const char *rel);
/* Same, but skips the current test with a clear message when the file is missing. */
const char *vrt_test_data_or_skip(const char *rel);
/* The first .onnx file in a model folder (model folders name it after the model); skips the
 * current test when there is none, NULL when the folder cannot be opened. Static buffer. */
const char *vrt_test_onnx_in(const char *dir);
/* Directory for temporary files of this test run (created). */
const char *vrt_test_tmpdir(void);

#define ASSERT_TRUE(c)                                                                                       \
    do {                                                                                                     \
        if (!(c)) vrt_test_fail(__FILE__, __LINE__, "expected true: %s", #c);                                \
    } while (0)
#define ASSERT_EQ(a, b)                                                                                      \
    do {                                                                                                     \
        long long _a = (long long)(a), _b = (long long)(b);                                                  \
        if (_a != _b) vrt_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b);           \
    } while (0)
#define ASSERT_NE(a, b)                                                                                      \
    do {                                                                                                     \
        long long _a = (long long)(a), _b = (long long)(b);                                                  \
        if (_a == _b) vrt_test_fail(__FILE__, __LINE__, "%s != %s: both %lld", #a, #b, _a);                  \
    } while (0)
#define ASSERT_OK(st)                                                                                        \
    do {                                                                                                     \
        int _s = (int)(st);                                                                                  \
        if (_s != 0) vrt_test_fail(__FILE__, __LINE__, "%s: status %d (%s)", #st, _s, vrt_status_name(_s));  \
    } while (0)
#define ASSERT_STATUS(st, want)                                                                              \
    do {                                                                                                     \
        int _s = (int)(st), _w = (int)(want);                                                                \
        if (_s != _w)                                                                                        \
            vrt_test_fail(__FILE__, __LINE__, "%s: status %s, expected %s", #st, vrt_status_name(_s),        \
                          vrt_status_name(_w));                                                              \
    } while (0)
#define ASSERT_NEAR(a, b, tol)                                                                               \
    do {                                                                                                     \
        double _a = (double)(a), _b = (double)(b), _t = (double)(tol);                                       \
        if (!(fabs(_a - _b) <= _t))                                                                          \
            vrt_test_fail(__FILE__, __LINE__, "%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, _a, _b, _t);         \
    } while (0)
#define ASSERT_STREQ(a, b)                                                                                   \
    do {                                                                                                     \
        const char *_a = (a), *_b = (b);                                                                     \
        if (!_a || !_b || strcmp(_a, _b))                                                                    \
            vrt_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b, _a ? _a : "(null)",      \
                          _b ? _b : "(null)");                                                               \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                                         \
    do {                                                                                                     \
        const char *_h = (hay), *_n = (needle);                                                              \
        if (!_h || !strstr(_h, _n))                                                                          \
            vrt_test_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", #hay, _n,                \
                          _h ? _h : "(null)");                                                               \
    } while (0)
#define SKIP(...) vrt_test_skip(__VA_ARGS__)

#endif
