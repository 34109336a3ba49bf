/*
 * vrt/core.h - status codes, logging, allocator hooks and the monotonic clock.
 *
 * Every visionrt function that can fail returns a vrt_status: 0 is success,
 * negative values are errno-compatible codes (VRT_EAGAIN == -EAGAIN), plus a
 * few of our own below -4000 (VRT_EOF, VRT_EBADDATA). VRT_EAGAIN means
 * "not yet" (no frame ready), not a failure. Handles keep a last-error
 * detail string that says which thing failed and what would work.
 *
 * Logging goes through one process-wide callback (constant configuration,
 * not per-instance state); the level is checked before any formatting.
 * The library never writes to stdout by itself.
 *
 * Allocation goes through hooks so tests can count allocations on the frame
 * path and inject failures. The default hooks are malloc/calloc/realloc/free.
 *
 * Threading: all functions here are thread-safe. Set hooks and the log
 * callback before starting threads that use the library.
 */
#ifndef VRT_CORE_H
#define VRT_CORE_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_VERSION_MAJOR 0
#define VRT_VERSION_MINOR 1
#define VRT_VERSION_PATCH 0
#define VRT_VERSION_STRING "0.1.0"

/* X-macro: one table for codes, names and messages. */
#define VRT_STATUS_MAP(X)                                                                                    \
    X(OK, 0, "success")                                                                                      \
    X(EPERM, -EPERM, "operation not permitted")                                                              \
    X(ENOENT, -ENOENT, "no such file or device")                                                             \
    X(EINTR, -EINTR, "interrupted")                                                                          \
    X(EIO, -EIO, "input/output error")                                                                       \
    X(EAGAIN, -EAGAIN, "not ready yet, try again")                                                           \
    X(ENOMEM, -ENOMEM, "out of memory")                                                                      \
    X(EACCES, -EACCES, "permission denied")                                                                  \
    X(EBUSY, -EBUSY, "device or resource busy")                                                              \
    X(EEXIST, -EEXIST, "already exists")                                                                     \
    X(ENODEV, -ENODEV, "device gone (unplugged?)")                                                           \
    X(EINVAL, -EINVAL, "invalid argument")                                                                   \
    X(ENOSPC, -ENOSPC, "no space left (buffer or pool full)")                                                \
    X(ERANGE, -ERANGE, "value out of range")                                                                 \
    X(ENOSYS, -ENOSYS, "not available in this build")                                                        \
    X(EPROTO, -EPROTO, "protocol error")                                                                     \
    X(ENOTSUP, -ENOTSUP, "not supported")                                                                    \
    X(ETIMEDOUT, -ETIMEDOUT, "timed out")                                                                    \
    X(ECANCELED, -ECANCELED, "cancelled")                                                                    \
    X(EOF, -4095, "end of stream")                                                                           \
    X(EBADDATA, -4094, "invalid or corrupt data")                                                            \
    X(EUNSUPPORTED, -4093, "unsupported model or operator")                                                  \
    X(EDEVICE, -4092, "GPU or driver error")

typedef enum vrt_status {
#define VRT__STATUS_ENUM(name, code, msg) VRT_##name = (code),
    VRT_STATUS_MAP(VRT__STATUS_ENUM)
#undef VRT__STATUS_ENUM
} vrt_status;

/* "EAGAIN" style name; "UNKNOWN" for codes outside the table. Static string. */
VRT_API const char *vrt_status_name(int status);
/* Human-readable message; static string. */
VRT_API const char *vrt_status_str(int status);
/* Maps a positive or negative errno to the matching vrt_status (VRT_EIO if unknown). */
VRT_API vrt_status vrt_status_from_errno(int err);

/* ---- logging ---------------------------------------------------------- */

typedef enum vrt_log_level {
    VRT_LOG_ERROR = 0,
    VRT_LOG_WARN = 1,
    VRT_LOG_INFO = 2,
    VRT_LOG_DEBUG = 3,
    VRT_LOG_TRACE = 4,
} vrt_log_level;

/* who: the object the message comes from ("v4l2:/dev/video0"), may be NULL. */
typedef void (*vrt_log_fn)(void *user, vrt_log_level level, const char *who, const char *msg);

/* Installs the callback (NULL restores the default, which writes to stderr)
 * and the most verbose level that is formatted at all. */
VRT_API void vrt_log_set(vrt_log_fn fn, void *user, vrt_log_level max_level);
VRT_API vrt_log_level vrt_log_get_level(void);
/* True when a message at this level would be delivered; check before costly formatting. */
VRT_API int vrt_log_enabled(vrt_log_level level);
VRT_API void vrt_log(vrt_log_level level, const char *who, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
VRT_API void vrt_logv(vrt_log_level level, const char *who, const char *fmt, va_list ap);
/* Parses "error|warn|info|debug|trace" (case-insensitive); -1 if unknown. */
VRT_API int vrt_log_level_parse(const char *s);

/* ---- allocator hooks ---------------------------------------------------- */

typedef struct vrt_allocator {
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *user;
} vrt_allocator;

/* Installs hooks (NULL restores libc). Not to be changed while memory from the
 * previous hooks is still live unless both hook sets can free each other's. */
VRT_API void vrt_set_allocator(const vrt_allocator *a);
VRT_API void *vrt_malloc(size_t size);
VRT_API void *vrt_calloc(size_t n, size_t size); /* overflow-checked, zeroed */
VRT_API void *vrt_realloc(void *ptr, size_t size);
VRT_API void vrt_free(void *ptr);
VRT_API char *vrt_strdup(const char *s);

/* Counting allocator for tests: counts every call through the hooks and can
 * make the Nth allocation (1-based, counted from the last reset) fail. */
typedef struct vrt_alloc_stats {
    uint64_t allocs; /* malloc + calloc + realloc calls that asked for memory */
    uint64_t frees;
    uint64_t failures; /* injected failures so far */
    uint64_t fail_at;  /* 0: never fail; N: fail the Nth allocation */
} vrt_alloc_stats;
/* Installs the counting hooks on top of libc and resets the counters. */
VRT_API void vrt_alloc_counting_begin(void);
VRT_API void vrt_alloc_counting_end(void);
VRT_API void vrt_alloc_counting_fail_at(uint64_t n);
VRT_API vrt_alloc_stats vrt_alloc_counting_stats(void);

/* ---- clock -------------------------------------------------------------- */

/* ns, CLOCK_MONOTONIC: the clock V4L2 drivers stamp frames with. */
VRT_API int64_t vrt_now_ns(void);
/* Sleeps until the absolute CLOCK_MONOTONIC time (ns); returns early only on error. */
VRT_API void vrt_sleep_until_ns(int64_t t_ns);
VRT_API void vrt_sleep_ns(int64_t ns);

/* ---- misc --------------------------------------------------------------- */

/* Library version string ("0.1.0"), and a line describing how it was built
 * (CUDA on/off, FFmpeg version, ...). Static strings. */
VRT_API const char *vrt_version(void);
VRT_API const char *vrt_build_info(void);

/* Bounded, always NUL-terminated formatting into a handle's error buffer. */
VRT_API void vrt_errbuf_set(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
