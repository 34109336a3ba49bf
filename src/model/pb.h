/*
 * Private: protobuf wire-format decoder (no generated code, no dependency).
 *
 * A vrt__pb reader walks one message's bytes; vrt__pb_next() returns its
 * fields one at a time. Every length is checked against the bytes that
 * remain, varints are at most 10 bytes, groups (wire types 3/4) and unknown
 * wire types are refused, and nested messages carry a depth that is limited
 * to VRT__PB_MAX_DEPTH. Readers never copy: field data points into the
 * caller's buffer, which must outlive them. Unknown field numbers are the
 * caller's to skip (ignore the field). Thread-safe: no shared state.
 */
#ifndef VRT_MODEL_PB_H
#define VRT_MODEL_PB_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

#define VRT__PB_MAX_DEPTH 32

enum {
    VRT__PB_VARINT = 0,
    VRT__PB_FIXED64 = 1,
    VRT__PB_LEN = 2,
    VRT__PB_FIXED32 = 5,
};

typedef struct vrt__pb {
    const uint8_t *p;
    const uint8_t *end;
    int depth;
} vrt__pb;

typedef struct vrt__pb_field {
    uint32_t num;
    int wire;
    uint64_t v;          /* VARINT, FIXED64, FIXED32 value (raw bits) */
    const uint8_t *data; /* LEN: payload */
    size_t len;
} vrt__pb_field;

void vrt__pb_init(vrt__pb *r, const uint8_t *buf, size_t len);
/* VRT_OK with *f filled, VRT_EOF at the end of the message, VRT_EBADDATA on
 * a malformed field (truncated, over-long length, bad varint, group, field 0). */
vrt_status vrt__pb_next(vrt__pb *r, vrt__pb_field *f);
/* Reader over a LEN field's payload, one level deeper; VRT_EBADDATA when the
 * field is not LEN or the depth limit is reached. */
vrt_status vrt__pb_sub(const vrt__pb *parent, const vrt__pb_field *f, vrt__pb *child);
/* Decodes one varint from [*p, end); advances *p. VRT_EBADDATA if truncated or > 10 bytes. */
vrt_status vrt__pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Repeated scalars, packed (LEN) or not (one value per field): appended to a
 * growable array (*arr, *n, *cap; vrt_realloc). VRT_EBADDATA when the wire
 * type does not fit, VRT_ENOMEM, VRT_ERANGE past max_count entries in all. */
vrt_status vrt__pb_append_varints(const vrt__pb_field *f, int64_t **arr, size_t *n, size_t *cap,
                                  size_t max_count);
vrt_status vrt__pb_append_fixed32(const vrt__pb_field *f, uint32_t **arr, size_t *n, size_t *cap,
                                  size_t max_count);
vrt_status vrt__pb_append_fixed64(const vrt__pb_field *f, uint64_t **arr, size_t *n, size_t *cap,
                                  size_t max_count);

float vrt__pb_f32(uint64_t bits);
double vrt__pb_f64(uint64_t bits);

#endif
