/*
 * Private: checked size arithmetic for every size computed from a file.
 *
 * A model file, an image header or a driver's byte count is untrusted input:
 * a dimension of 2^62 multiplied by another wraps int64/size_t silently, and
 * a wrapped element count then plans a too-small buffer that a kernel
 * overruns. Every product or sum of such sizes goes through these helpers,
 * and every tensor and arena is bounded (VRT__MAX_TENSOR_ELEMS, ..._BYTES,
 * VRT__MAX_ARENA_BYTES) BEFORE anything is allocated, so that a bad file
 * fails at load with a message and never reaches a kernel.
 *
 * Each helper returns 1 when the result is exact (and stores it), 0 on
 * overflow (the output is then left unspecified). Header-only, no state,
 * safe from any thread.
 */
#ifndef VRT_CORE_CHECKED_H
#define VRT_CORE_CHECKED_H

#include <stddef.h>
#include <stdint.h>

/* Bounds that no real vision model reaches (the largest tensors of the
 * models we know are ~10^8 elements; a 4K frame through a 64-channel
 * stem is 5*10^8) and that keep every element index, byte offset and
 * stride product far inside int64 and size_t, so code downstream of a
 * bounded shape needs no further checks: a tensor has at most 2^31
 * elements (any dim included, as the reader's initializers) and 8 GiB; an
 * activation arena, 32 GiB. */
#define VRT__MAX_TENSOR_ELEMS ((int64_t)1 << 31)
#define VRT__MAX_TENSOR_BYTES ((int64_t)1 << 33)
#define VRT__MAX_ARENA_BYTES ((int64_t)1 << 35)
/* Nodes a graph may have: the largest models we run have ~10^4 (unrolled
 * transformers); 2*10^5 load in seconds (a 10^6-node chain took minutes
 * and gigabytes through three loads in vrt inspect). */
#define VRT__MAX_NODES 200000

static inline int vrt__mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

static inline int vrt__add_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

static inline int vrt__mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

static inline int vrt__add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* Saturating forms for statistics (FLOPs, parameter counts) that are
 * printed, never used to size memory: INT64_MAX means "at least this". */
static inline int64_t vrt__mul_sat_i64(int64_t a, int64_t b) {
    int64_t r;
    return vrt__mul_i64(a, b, &r) ? r : ((a < 0) != (b < 0) ? INT64_MIN : INT64_MAX);
}

static inline int64_t vrt__add_sat_i64(int64_t a, int64_t b) {
    int64_t r;
    return vrt__add_i64(a, b, &r) ? r : (a < 0 ? INT64_MIN : INT64_MAX);
}

/* Element count of dims d[0..n): 1 when every dim is in [0, limit] and the
 * product of the nonzero dims is at most `limit` (so no partial product of
 * any subset of the dims, taken in any order, can overflow either, even when
 * a zero dim makes the count 0). *out receives the count (0 with a zero
 * dim); on failure it receives -1. */
static inline int vrt__dims_numel(const int64_t *d, int n, int64_t limit, int64_t *out) {
    int64_t p = 1, zero = 0;
    *out = -1;
    for (int i = 0; i < n; i++) {
        if (d[i] < 0 || d[i] > limit) return 0;
        if (d[i] == 0) {
            zero = 1;
            continue;
        }
        if (!vrt__mul_i64(p, d[i], &p) || p > limit) return 0;
    }
    *out = zero ? 0 : p;
    return 1;
}

#endif
