/*
 * vrt/json.h - a small streaming JSON writer.
 *
 * Writes compact JSON either into a caller buffer or to a FILE*. Commas and
 * colons are placed automatically; objects and arrays nest up to
 * VRT_JSON_MAX_DEPTH levels with a fixed stack, so the writer never allocates.
 *
 *     char buf[256];
 *     vrt_json w;
 *     vrt_json_init_buffer(&w, buf, sizeof buf);
 *     vrt_json_begin_object(&w);
 *     vrt_json_kv_string(&w, "source", "/dev/video0");
 *     vrt_json_key(&w, "p99_ms");  vrt_json_double(&w, 4.25);
 *     vrt_json_end_object(&w);
 *     if (vrt_json_finish(&w) != VRT_OK) ... vrt_json_error(&w) ...
 *     -> {"source":"/dev/video0","p99_ms":4.25}
 *
 * Strings: '"' and '\\' are escaped, control characters become \n \t \r \b
 * \f or \u00XX, DEL (0x7f) and valid UTF-8 pass through unchanged, and
 * invalid UTF-8 (stray continuation, overlong form, surrogate, > U+10FFFF,
 * truncated sequence) is replaced by U+FFFD, one per maximal invalid subpart
 * (Unicode's recommended practice; the same as Python's errors="replace").
 * Keys get the same treatment. Doubles: NaN and +-Inf are written as null.
 *
 * Errors are sticky and reported as status, never asserted:
 *   - VRT_EINVAL: misuse (value without a key inside an object, key outside an
 *     object or twice in a row, unbalanced end, nesting deeper than
 *     VRT_JSON_MAX_DEPTH, a second top-level value without vrt_json_newline);
 *     nothing more is written after it; vrt_json_error() says what happened.
 *   - VRT_ENOSPC: the buffer was too small. The writer never writes past cap,
 *     keeps the buffer NUL-terminated (cap > 0), and keeps counting: after
 *     finish, vrt_json_length() + 1 is the capacity that would have been enough.
 *   - VRT_EIO: writing to the FILE* failed.
 * Every call returns the writer's status after the call (VRT_OK while all is well).
 *
 * Numbers are formatted with the C library in the "C" locale notation; if the
 * process switched LC_NUMERIC to a comma locale, a ',' decimal separator is
 * still written as '.'.
 *
 * Threading: one writer per thread; the struct holds no pointers to shared state.
 */
#ifndef VRT_JSON_H
#define VRT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_JSON_MAX_DEPTH 32

typedef enum vrt_json_float_mode {
    VRT_JSON_FLOAT_SHORTEST = 0, /* shortest of %.15g/%.16g/%.17g that reads back bit-exact (default) */
    VRT_JSON_FLOAT_G6 = 1,       /* %.6g: compact, for human-facing reports */
} vrt_json_float_mode;

/* Private fields: use the functions below. Safe to embed or put on the stack. */
typedef struct vrt_json {
    char *buf;                               /* buffer mode: caller's buffer (not owned) */
    size_t cap;                              /* buffer capacity in bytes, including the NUL */
    size_t len;                              /* bytes produced so far (may exceed cap - 1 after truncation) */
    FILE *file;                              /* file mode: caller's stream (not owned, not closed) */
    int status;                              /* sticky vrt_status of structural / I/O errors */
    int truncated;                           /* buffer mode: output did not fit */
    int float_mode;                          /* vrt_json_float_mode */
    int depth;                               /* open containers */
    int top_done;                            /* a complete top-level value was written */
    int need_comma;                          /* the current container already has a member */
    int have_key;                            /* inside an object: a key was written, its value is due */
    unsigned char stack[VRT_JSON_MAX_DEPTH]; /* 'o' object, 'a' array */
    unsigned char comma[VRT_JSON_MAX_DEPTH]; /* need_comma of the enclosing levels */
    char err[128];
} vrt_json;

/* Writes into buf[0..cap) (buf is owned by the caller, and must outlive the writer's use).
 * cap may be 0 (buf may then be NULL) to measure the length only. */
VRT_API void vrt_json_init_buffer(vrt_json *w, char *buf, size_t cap);
/* Writes to f (owned by the caller; not flushed or closed by the writer). */
VRT_API void vrt_json_init_file(vrt_json *w, FILE *f);
VRT_API void vrt_json_set_float_mode(vrt_json *w, vrt_json_float_mode mode);

VRT_API vrt_status vrt_json_begin_object(vrt_json *w);
VRT_API vrt_status vrt_json_end_object(vrt_json *w);
VRT_API vrt_status vrt_json_begin_array(vrt_json *w);
VRT_API vrt_status vrt_json_end_array(vrt_json *w);

/* Object member name; the next call must write its value. key: NUL-terminated, UTF-8. */
VRT_API vrt_status vrt_json_key(vrt_json *w, const char *key);

/* Values: at top level, as an array element, or after vrt_json_key. */
VRT_API vrt_status vrt_json_string(vrt_json *w, const char *s); /* NULL writes null */
VRT_API vrt_status vrt_json_string_n(vrt_json *w, const char *s,
                                     size_t n); /* n bytes, NULs escaped as \u0000 */
VRT_API vrt_status vrt_json_int(vrt_json *w, int64_t v);
VRT_API vrt_status vrt_json_uint(vrt_json *w, uint64_t v);
VRT_API vrt_status vrt_json_double(vrt_json *w, double v);
VRT_API vrt_status vrt_json_bool(vrt_json *w, int v);
VRT_API vrt_status vrt_json_null(vrt_json *w);
/* A pre-formatted JSON value written verbatim (not checked; must be valid JSON). */
VRT_API vrt_status vrt_json_raw(vrt_json *w, const char *json);

/* Key + value in one call. */
VRT_API vrt_status vrt_json_kv_string(vrt_json *w, const char *key, const char *s);
VRT_API vrt_status vrt_json_kv_int(vrt_json *w, const char *key, int64_t v);
VRT_API vrt_status vrt_json_kv_uint(vrt_json *w, const char *key, uint64_t v);
VRT_API vrt_status vrt_json_kv_double(vrt_json *w, const char *key, double v);
VRT_API vrt_status vrt_json_kv_bool(vrt_json *w, const char *key, int v);
VRT_API vrt_status vrt_json_kv_null(vrt_json *w, const char *key);
VRT_API vrt_status vrt_json_kv_raw(vrt_json *w, const char *key, const char *json);

/* After a complete top-level value: writes "\n" and allows the next
 * top-level value (JSON Lines). VRT_EINVAL while a container is open. */
VRT_API vrt_status vrt_json_newline(vrt_json *w);

/* Checks that the document is complete (every container closed, exactly one
 * value since the last newline, or none at all) and returns the final status:
 * VRT_EINVAL (misuse or incomplete), else VRT_ENOSPC (truncated), else VRT_EIO, else VRT_OK. */
VRT_API vrt_status vrt_json_finish(vrt_json *w);

/* Current status without checking completeness. */
VRT_API vrt_status vrt_json_status(const vrt_json *w);
/* Bytes of output produced (buffer mode: also those that did not fit), NUL excluded. */
VRT_API size_t vrt_json_length(const vrt_json *w);
/* Buffer mode: 1 if output was cut at the buffer's end. */
VRT_API int vrt_json_truncated(const vrt_json *w);
/* Detail of the first error ("" when none). Points into the writer. */
VRT_API const char *vrt_json_error(const vrt_json *w);

#ifdef __cplusplus
}
#endif
#endif
