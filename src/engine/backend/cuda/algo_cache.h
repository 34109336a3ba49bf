/*
 * Private: the algorithm cache on disk (algo_cache.c): one text file per
 * (model, GPU, driver, CUDA runtime, cuDNN) in the folder
 * vrt_engine_options.cache_dir (the engine applied VRT_CACHE_DIR to it) or
 * $HOME/.cache/visionrt/; one line per conv shape:
 * "<shape key> <algo> <workspace bytes> <time ms> <fused>".
 */
#ifndef VRT_CUDA_ALGO_CACHE_H
#define VRT_CUDA_ALGO_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt__algo_cache vrt__algo_cache;
typedef struct vrt__algo_entry {
    int algo;
    size_t workspace;
    float ms;
    int fused;
} vrt__algo_entry;

/* Opens (reads if present) the cache for a model; model_path may be NULL
 * (in-memory IR: keyed by "nofile"); dir: the folder (NULL: the default,
 * "": in memory only). Never fails hard: on any problem the cache is
 * in-memory only and `*out` is still valid (NULL only on ENOMEM). */
vrt_status vrt__algo_cache_open(const char *model_path, int device, const char *dir, vrt__algo_cache **out);
int vrt__algo_cache_get(const vrt__algo_cache *c, const char *key, vrt__algo_entry *e);
void vrt__algo_cache_put(vrt__algo_cache *c, const char *key, const vrt__algo_entry *e);
/* Writes the file when entries were added (atomic rename). */
vrt_status vrt__algo_cache_save(vrt__algo_cache *c);
const char *vrt__algo_cache_path(const vrt__algo_cache *c);
int vrt__algo_cache_hits(const vrt__algo_cache *c);
int vrt__algo_cache_misses(const vrt__algo_cache *c);
void vrt__algo_cache_destroy(vrt__algo_cache **c);
/* FNV-1a 64 of a file's bytes (0 when it cannot be read). */
uint64_t vrt__fnv1a_file(const char *path);
uint64_t vrt__fnv1a(uint64_t h, const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif
