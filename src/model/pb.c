/* Protobuf wire-format decoder: see pb.h. */
#include "model/pb.h"

#include <string.h>

void vrt__pb_init(vrt__pb *r, const uint8_t *buf, size_t len) {
    r->p = buf;
    r->end = buf ? buf + len : buf;
    r->depth = 0;
}

vrt_status vrt__pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return VRT_EBADDATA;
        uint8_t b = *p++;
        /* The 10th byte may only carry the top bit of a 64-bit value. */
        if (i == 9 && (b & 0xfe)) return VRT_EBADDATA;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            *pp = p;
            return VRT_OK;
        }
    }
    return VRT_EBADDATA;
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

vrt_status vrt__pb_next(vrt__pb *r, vrt__pb_field *f) {
    if (r->p >= r->end) return VRT_EOF;
    uint64_t key;
    if (vrt__pb_varint(&r->p, r->end, &key)) return VRT_EBADDATA;
    uint64_t num = key >> 3;
    if (num == 0 || num > 0x1fffffff) return VRT_EBADDATA;
    memset(f, 0, sizeof(*f));
    f->num = (uint32_t)num;
    f->wire = (int)(key & 7);
    size_t left;
    switch (f->wire) {
    case VRT__PB_VARINT: return vrt__pb_varint(&r->p, r->end, &f->v);
    case VRT__PB_FIXED64:
        if ((size_t)(r->end - r->p) < 8) return VRT_EBADDATA;
        f->v = load_le(r->p, 8);
        r->p += 8;
        return VRT_OK;
    case VRT__PB_FIXED32:
        if ((size_t)(r->end - r->p) < 4) return VRT_EBADDATA;
        f->v = load_le(r->p, 4);
        r->p += 4;
        return VRT_OK;
    case VRT__PB_LEN: {
        uint64_t len;
        if (vrt__pb_varint(&r->p, r->end, &len)) return VRT_EBADDATA;
        left = (size_t)(r->end - r->p);
        if (len > left) return VRT_EBADDATA;
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return VRT_OK;
    }
    default: /* 3/4: groups (deprecated, refused); 6/7: invalid */ return VRT_EBADDATA;
    }
}

vrt_status vrt__pb_sub(const vrt__pb *parent, const vrt__pb_field *f, vrt__pb *child) {
    if (f->wire != VRT__PB_LEN) return VRT_EBADDATA;
    if (parent->depth + 1 > VRT__PB_MAX_DEPTH) return VRT_EBADDATA;
    child->p = f->data;
    child->end = f->data + f->len;
    child->depth = parent->depth + 1;
    return VRT_OK;
}

static vrt_status grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return VRT_OK;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > ((size_t)-1 / 2) / elem) return VRT_ENOMEM;
        nc *= 2;
    }
    void *p = vrt_realloc(*arr, nc * elem);
    if (!p) return VRT_ENOMEM;
    *arr = p;
    *cap = nc;
    return VRT_OK;
}

vrt_status vrt__pb_append_varints(const vrt__pb_field *f, int64_t **arr, size_t *n, size_t *cap,
                                  size_t max_count) {
    if (f->wire == VRT__PB_VARINT) {
        if (*n + 1 > max_count) return VRT_ERANGE;
        if (grow((void **)arr, cap, *n + 1, sizeof(int64_t))) return VRT_ENOMEM;
        (*arr)[(*n)++] = (int64_t)f->v;
        return VRT_OK;
    }
    if (f->wire != VRT__PB_LEN) return VRT_EBADDATA;
    /* Count first so a huge packed field is sized (and bounded) once. */
    size_t count = 0;
    for (size_t i = 0; i < f->len; i++)
        if (!(f->data[i] & 0x80)) count++;
    if (count > max_count || *n + count > max_count) return VRT_ERANGE;
    if (grow((void **)arr, cap, *n + count, sizeof(int64_t))) return VRT_ENOMEM;
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v;
        if (vrt__pb_varint(&p, end, &v)) return VRT_EBADDATA;
        if (*n >= *cap) return VRT_EBADDATA; /* cannot happen: count bounds it */
        (*arr)[(*n)++] = (int64_t)v;
    }
    return VRT_OK;
}

vrt_status vrt__pb_append_fixed32(const vrt__pb_field *f, uint32_t **arr, size_t *n, size_t *cap,
                                  size_t max_count) {
    if (f->wire == VRT__PB_FIXED32) {
        if (*n + 1 > max_count) return VRT_ERANGE;
        if (grow((void **)arr, cap, *n + 1, sizeof(uint32_t))) return VRT_ENOMEM;
        (*arr)[(*n)++] = (uint32_t)f->v;
        return VRT_OK;
    }
    if (f->wire != VRT__PB_LEN || f->len % 4) return VRT_EBADDATA;
    size_t count = f->len / 4;
    if (count > max_count || *n + count > max_count) return VRT_ERANGE;
    if (grow((void **)arr, cap, *n + count, sizeof(uint32_t))) return VRT_ENOMEM;
    for (size_t i = 0; i < count; i++)
        (*arr)[(*n)++] = (uint32_t)load_le(f->data + 4 * i, 4);
    return VRT_OK;
}

vrt_status vrt__pb_append_fixed64(const vrt__pb_field *f, uint64_t **arr, size_t *n, size_t *cap,
                                  size_t max_count) {
    if (f->wire == VRT__PB_FIXED64) {
        if (*n + 1 > max_count) return VRT_ERANGE;
        if (grow((void **)arr, cap, *n + 1, sizeof(uint64_t))) return VRT_ENOMEM;
        (*arr)[(*n)++] = f->v;
        return VRT_OK;
    }
    if (f->wire != VRT__PB_LEN || f->len % 8) return VRT_EBADDATA;
    size_t count = f->len / 8;
    if (count > max_count || *n + count > max_count) return VRT_ERANGE;
    if (grow((void **)arr, cap, *n + count, sizeof(uint64_t))) return VRT_ENOMEM;
    for (size_t i = 0; i < count; i++)
        (*arr)[(*n)++] = load_le(f->data + 8 * i, 8);
    return VRT_OK;
}

float vrt__pb_f32(uint64_t bits) {
    uint32_t b = (uint32_t)bits;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

double vrt__pb_f64(uint64_t bits) {
    double x;
    memcpy(&x, &bits, 8);
    return x;
}
