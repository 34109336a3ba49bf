#include "vrt/arena.h"

#include <stdint.h>

struct vrt_arena {
    void *block;         /* from vrt_malloc, freed at destroy */
    unsigned char *base; /* block rounded up to VRT_ARENA_ALIGN */
    size_t cap, used, high;
};

vrt_status vrt_arena_create(vrt_arena_t **out, size_t size) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (size == 0 || size > SIZE_MAX - VRT_ARENA_ALIGN) return VRT_EINVAL;
    vrt_arena_t *a = vrt_calloc(1, sizeof(*a));
    if (!a) return VRT_ENOMEM;
    a->block = vrt_malloc(size + VRT_ARENA_ALIGN - 1);
    if (!a->block) {
        vrt_free(a);
        return VRT_ENOMEM;
    }
    uintptr_t p = (uintptr_t)a->block;
    a->base = (unsigned char *)a->block + ((VRT_ARENA_ALIGN - (p % VRT_ARENA_ALIGN)) % VRT_ARENA_ALIGN);
    a->cap = size;
    *out = a;
    return VRT_OK;
}

void vrt_arena_destroy(vrt_arena_t **ap) {
    if (!ap || !*ap) return;
    vrt_free((*ap)->block);
    vrt_free(*ap);
    *ap = NULL;
}

void *vrt_arena_alloc(vrt_arena_t *a, size_t size, size_t align) {
    if (align == 0) align = VRT_ARENA_ALIGN;
    if (align & (align - 1)) return NULL;
    /* Align the address, not the offset, so alignments above the block's own work too. */
    uintptr_t cur = (uintptr_t)(a->base + a->used);
    size_t pad = (size_t)((align - (cur & (align - 1))) & (align - 1));
    if (pad > a->cap - a->used || size > a->cap - a->used - pad) return NULL;
    void *p = a->base + a->used + pad;
    a->used += pad + size;
    if (a->used > a->high) a->high = a->used;
    return p;
}

void vrt_arena_reset(vrt_arena_t *a) {
    a->used = 0;
}

size_t vrt_arena_mark(const vrt_arena_t *a) {
    return a->used;
}

void vrt_arena_rewind(vrt_arena_t *a, size_t mark) {
    if (mark < a->used) a->used = mark;
}

size_t vrt_arena_used(const vrt_arena_t *a) {
    return a->used;
}

size_t vrt_arena_high_water(const vrt_arena_t *a) {
    return a->high;
}

size_t vrt_arena_capacity(const vrt_arena_t *a) {
    return a->cap;
}
