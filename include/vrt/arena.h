/*
 * vrt/arena.h - an aligned bump allocator over one block.
 *
 * The block is allocated once at create (through the allocator hooks);
 * vrt_arena_alloc only moves an offset, so it is safe on the frame path.
 * Memory is given back all at once with reset (or down to a mark with
 * rewind); nothing is freed individually. The high-water mark records the
 * most ever in use, so a warm-up run can size the arena for later runs.
 *
 * Ownership: the arena owns its block; pointers from alloc stay valid until
 * reset/rewind below them or destroy.
 *
 * Threading: not synchronised; one thread at a time.
 */
#ifndef VRT_ARENA_H
#define VRT_ARENA_H

#include <stddef.h>

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment of the block's start and the default for align == 0. */
#define VRT_ARENA_ALIGN 64

typedef struct vrt_arena vrt_arena_t;

/* Creates an arena of `size` bytes (> 0). *out: the arena on VRT_OK, NULL on
 * failure (VRT_EINVAL for size 0 or out == NULL, VRT_ENOMEM). */
VRT_API vrt_status vrt_arena_create(vrt_arena_t **out, size_t size);
/* NULL-safe; sets *a = NULL and frees the block. */
VRT_API void vrt_arena_destroy(vrt_arena_t **a);

/* size bytes aligned to align (a power of two; 0 means VRT_ARENA_ALIGN;
 * any power of two works, padding comes from the arena). Returns NULL when
 * the arena is full or align is not a power of two; the arena is unchanged
 * then. size 0 returns a valid aligned pointer that must not be dereferenced. */
VRT_API void *vrt_arena_alloc(vrt_arena_t *a, size_t size, size_t align);

/* Frees everything at once (the high-water mark is kept). */
VRT_API void vrt_arena_reset(vrt_arena_t *a);
/* The current offset, to rewind to later (frees everything allocated after it). */
VRT_API size_t vrt_arena_mark(const vrt_arena_t *a);
VRT_API void vrt_arena_rewind(vrt_arena_t *a, size_t mark);

VRT_API size_t vrt_arena_used(const vrt_arena_t *a);       /* bytes in use, padding included */
VRT_API size_t vrt_arena_high_water(const vrt_arena_t *a); /* most bytes ever in use */
VRT_API size_t vrt_arena_capacity(const vrt_arena_t *a);   /* size given at create */

#ifdef __cplusplus
}
#endif
#endif
