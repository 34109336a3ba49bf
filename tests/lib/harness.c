#include <dirent.h>
#include "../harness.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vrt/core.h"

vrt_test_state vrt_test_g;
static int g_jump_kind; /* 1 fail, 2 skip */

/* VRT_TEST_ONLY=NAME runs only the test NAME: ctest gives each test of a file that changes
 * process-wide state (allocator hooks, the log callback, the BLAS switch) its own process. */
static const char *g_only;
static int g_only_ran;

void vrt_test_run(const char *name, void (*fn)(void)) {
    static int init;
    if (!init) {
        init = 1;
        g_only = getenv("VRT_TEST_ONLY");
        if (g_only && !g_only[0]) g_only = NULL;
    }
    if (g_only && strcmp(g_only, name)) return;
    g_only_ran = 1;
    vrt_test_g.current = name;
    g_jump_kind = 0;
    if (setjmp(vrt_test_g.jb) == 0) {
        fn();
        vrt_test_g.passed++;
        printf("[ PASS ] %s\n", name);
    } else if (g_jump_kind == 2) {
        vrt_test_g.skipped++;
    } else {
        vrt_test_g.failed++;
        printf("[ FAIL ] %s\n", name);
    }
    fflush(stdout);
}

int vrt_test_finish(void) {
    if (g_only && !g_only_ran) {
        printf("VRT_TEST_ONLY=%s: no test of that name in this file\n", g_only);
        return 1;
    }
    printf("%d passed, %d failed, %d skipped\n", vrt_test_g.passed, vrt_test_g.failed, vrt_test_g.skipped);
    if (vrt_test_g.failed) return 1;
    if (vrt_test_g.passed == 0 && vrt_test_g.skipped > 0) return 77;
    return 0;
}

void vrt_test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s:%d: %s: ", file, line, vrt_test_g.current);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    g_jump_kind = 1;
    longjmp(vrt_test_g.jb, 1);
}

void vrt_test_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("[ SKIP ] %s: ", vrt_test_g.current);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    g_jump_kind = 2;
    longjmp(vrt_test_g.jb, 1);
}

#ifndef VRT_SOURCE_DIR
#define VRT_SOURCE_DIR "."
#endif

const char *vrt_test_data(const char *rel) {
    static char ring[8][1024];
    static int idx;
    char *buf = ring[idx++ & 7];
    const char *root = getenv("VRT_DATA");
    if (!root || !*root) root = VRT_SOURCE_DIR "/../shared/data";
    snprintf(buf, 1024, "%s/%s", root, rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

const char *vrt_test_data_or_skip(const char *rel) {
    const char *p = vrt_test_data(rel);
    if (!p) SKIP("test data '%s' not found (set VRT_DATA to the shared data folder)", rel);
    return p;
}

const char *vrt_test_tmpdir(void) {
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/vrt-test-%d", base && *base ? base : "/tmp", (int)getpid());
        mkdir(dir, 0700);
    }
    return dir;
}

const char *vrt_test_onnx_in(const char *dir) {
    static char path[1500];
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *e;
    path[0] = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".onnx")) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            break;
        }
    }
    closedir(d);
    if (!path[0]) vrt_test_skip("no .onnx file in %s", dir);
    return path;
}
