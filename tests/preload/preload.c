/* LD_PRELOAD shim: routes the system calls on the fake V4L2 nodes named in
 * $VRT_FAKE_V4L2 to the fake device (tests/lib/fake_v4l2.c) and forwards
 * everything else to the next definition (libc) through dlsym(RTLD_NEXT). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "fake_v4l2.h"

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);

static struct {
    open_fn open, open64;
    openat_fn openat, openat64;
    open2_fn open_2, open64_2;
    close_fn close;
    ioctl_fn ioctl;
    mmap_fn mmap, mmap64;
    munmap_fn munmap;
    poll_fn poll;
} g_real;
static vrt_fake_v4l2 *g_fake;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#define NEXT(name) dlsym(RTLD_NEXT, name)

static void resolve(void) {
    *(void **)&g_real.open = NEXT("open");
    *(void **)&g_real.open64 = NEXT("open64");
    *(void **)&g_real.openat = NEXT("openat");
    *(void **)&g_real.openat64 = NEXT("openat64");
    *(void **)&g_real.open_2 = NEXT("__open_2");
    *(void **)&g_real.open64_2 = NEXT("__open64_2");
    *(void **)&g_real.close = NEXT("close");
    *(void **)&g_real.ioctl = NEXT("ioctl");
    *(void **)&g_real.mmap = NEXT("mmap");
    *(void **)&g_real.mmap64 = NEXT("mmap64");
    *(void **)&g_real.munmap = NEXT("munmap");
    *(void **)&g_real.poll = NEXT("poll");
}

/* The fake is created in our constructor, not at the first intercepted call:
 * a sanitizer runtime calls open() while it initialises, when large
 * allocations are not possible yet. Until then everything is forwarded. */
static volatile int g_ready;

__attribute__((constructor)) static void init_fake(void) {
    pthread_once(&g_once, resolve);
    g_fake = vrt_fake_v4l2_from_env();
    g_ready = 1;
}

static vrt_fake_v4l2 *fake(void) {
    pthread_once(&g_once, resolve);
    return g_ready ? g_fake : NULL;
}

static int is_fake_path(const char *p) {
    return fake() && p && vrt_fake_v4l2_has_path(g_fake, p);
}
static int is_fake_fd(int fd) {
    return fake() && fd >= 0 && vrt_fake_v4l2_owns_fd(g_fake, fd);
}

static int fake_open(const char *path, int flags) {
    const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
    return o->open(o->ctx, path, flags);
}

static mode_t get_mode(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t m = get_mode(flags, ap);
    va_end(ap);
    if (is_fake_path(path)) return fake_open(path, flags);
    return g_real.open(path, flags, m);
}

int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t m = get_mode(flags, ap);
    va_end(ap);
    if (is_fake_path(path)) return fake_open(path, flags);
    return (g_real.open64 ? g_real.open64 : g_real.open)(path, flags, m);
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags) {
    if (is_fake_path(path)) return fake_open(path, flags);
    return g_real.open_2 ? g_real.open_2(path, flags) : g_real.open(path, flags, 0);
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags) {
    if (is_fake_path(path)) return fake_open(path, flags);
    return g_real.open64_2 ? g_real.open64_2(path, flags) : g_real.open(path, flags, 0);
}

int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t m = get_mode(flags, ap);
    va_end(ap);
    if (path[0] == '/' && is_fake_path(path)) return fake_open(path, flags);
    return g_real.openat(dirfd, path, flags, m);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t m = get_mode(flags, ap);
    va_end(ap);
    if (path[0] == '/' && is_fake_path(path)) return fake_open(path, flags);
    return (g_real.openat64 ? g_real.openat64 : g_real.openat)(dirfd, path, flags, m);
}

int close(int fd) {
    if (is_fake_fd(fd)) {
        const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
        return o->close(o->ctx, fd);
    }
    return g_real.close(fd);
}

int ioctl(int fd, unsigned long req, ...) {
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (is_fake_fd(fd)) {
        const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
        return o->ioctl(o->ctx, fd, req, arg);
    }
    return g_real.ioctl(fd, req, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    if (is_fake_fd(fd)) {
        const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
        return o->mmap(o->ctx, addr, len, prot, flags, fd, (int64_t)off);
    }
    return g_real.mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    if (is_fake_fd(fd)) {
        const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
        return o->mmap(o->ctx, addr, len, prot, flags, fd, (int64_t)off);
    }
    return (g_real.mmap64 ? g_real.mmap64 : g_real.mmap)(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len) {
    if (fake() && vrt_fake_v4l2_owns_mem(g_fake, addr)) {
        const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
        return o->munmap(o->ctx, addr, len);
    }
    return g_real.munmap(addr, len);
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
    nfds_t nfake = 0;
    for (nfds_t i = 0; i < n; i++)
        nfake += is_fake_fd(fds[i].fd);
    if (nfake == 0) return g_real.poll(fds, n, timeout_ms);
    const struct vrt_v4l2_ops *o = vrt_fake_v4l2_ops(g_fake);
    if (nfake == n) return o->poll(o->ctx, fds, (unsigned long)n, timeout_ms);
    /* Mixed sets (rare): poll both kinds in 5 ms slices until something is ready. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int ready = 0;
        for (nfds_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            int r = is_fake_fd(fds[i].fd) ? o->poll(o->ctx, &fds[i], 1, 0) : g_real.poll(&fds[i], 1, 0);
            if (r < 0) return r;
            ready += r > 0;
        }
        if (ready) return ready;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (timeout_ms >= 0 && ms >= timeout_ms) return 0;
        struct timespec slice = {0, 5000000};
        nanosleep(&slice, NULL);
    }
}
