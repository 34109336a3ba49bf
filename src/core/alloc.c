#include "vrt/core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *u, size_t n) {
    (void)u;
    return malloc(n ? n : 1);
}
static void *libc_realloc(void *u, void *p, size_t n) {
    (void)u;
    return realloc(p, n ? n : 1);
}
static void libc_free(void *u, void *p) {
    (void)u;
    free(p);
}

static const vrt_allocator k_libc = {libc_malloc, libc_realloc, libc_free, NULL};
/* Process-wide hooks, like stb's overridable allocator. */
static vrt_allocator g_alloc = {libc_malloc, libc_realloc, libc_free, NULL};

void vrt_set_allocator(const vrt_allocator *a) {
    g_alloc = a ? *a : k_libc;
}

void *vrt_malloc(size_t size) {
    return g_alloc.malloc_fn(g_alloc.user, size);
}

void *vrt_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = vrt_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *vrt_realloc(void *ptr, size_t size) {
    return g_alloc.realloc_fn(g_alloc.user, ptr, size);
}

void vrt_free(void *ptr) {
    if (ptr) g_alloc.free_fn(g_alloc.user, ptr);
}

char *vrt_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = vrt_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- counting hooks for tests ---- */

static _Atomic uint64_t c_allocs, c_frees, c_failures, c_fail_at;

static int should_fail(void) {
    uint64_t n = atomic_fetch_add(&c_allocs, 1) + 1;
    uint64_t at = atomic_load(&c_fail_at);
    if (at && n == at) {
        atomic_fetch_add(&c_failures, 1);
        return 1;
    }
    return 0;
}
static void *cnt_malloc(void *u, size_t n) {
    (void)u;
    return should_fail() ? NULL : malloc(n ? n : 1);
}
static void *cnt_realloc(void *u, void *p, size_t n) {
    (void)u;
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}
static void cnt_free(void *u, void *p) {
    (void)u;
    atomic_fetch_add(&c_frees, 1);
    free(p);
}

void vrt_alloc_counting_begin(void) {
    atomic_store(&c_allocs, 0);
    atomic_store(&c_frees, 0);
    atomic_store(&c_failures, 0);
    atomic_store(&c_fail_at, 0);
    static const vrt_allocator a = {cnt_malloc, cnt_realloc, cnt_free, NULL};
    vrt_set_allocator(&a);
}

void vrt_alloc_counting_end(void) {
    vrt_set_allocator(NULL);
}

void vrt_alloc_counting_fail_at(uint64_t n) {
    atomic_store(&c_allocs, 0);
    atomic_store(&c_fail_at, n);
}

vrt_alloc_stats vrt_alloc_counting_stats(void) {
    vrt_alloc_stats s = {atomic_load(&c_allocs), atomic_load(&c_frees), atomic_load(&c_failures),
                         atomic_load(&c_fail_at)};
    return s;
}
