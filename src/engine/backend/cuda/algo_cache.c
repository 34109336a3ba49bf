/*
 * On-disk cache of the cuDNN algorithm choices (see algo_cache.h).
 *
 * The file name carries the whole key (model hash, GPU name, driver, CUDA
 * runtime and cuDNN versions, hashed together), so a file is only ever read
 * back by a process for which every part matches; the first line repeats the
 * key in clear for people. Lines: "<shape key> <algo> <ws> <ms> <fused>".
 * Problems (no HOME, read-only folder, corrupt lines) only cost the cache:
 * the backend times the algorithms again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/options.h"
#include "engine/backend/cuda/algo_cache.h"
#include "engine/cuda_check.h"

#define KEYLEN 256

typedef struct entry {
    char key[KEYLEN];
    vrt__algo_entry e;
} entry;

struct vrt__algo_cache {
    char path[1024];
    char header[512];
    entry *v;
    int n, cap;
    int dirty, hits, misses;
};

uint64_t vrt__fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t vrt__fnv1a_file(const char *path) {
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    uint64_t h = 1469598103934665603ull;
    unsigned char buf[65536];
    size_t r;
    while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
        h = vrt__fnv1a(h, buf, r);
    fclose(f);
    return h;
}

static int mkdirs(char *dir) {
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(dir, 0755) && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return (mkdir(dir, 0755) && errno != EEXIST) ? -1 : 0;
}

static void add(vrt__algo_cache *c, const char *key, const vrt__algo_entry *e) {
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].key, key)) {
            c->v[i].e = *e;
            return;
        }
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 32;
        entry *nv = vrt_realloc(c->v, (size_t)nc * sizeof(*nv));
        if (!nv) return;
        c->v = nv, c->cap = nc;
    }
    snprintf(c->v[c->n].key, KEYLEN, "%s", key);
    c->v[c->n].e = *e;
    c->n++;
}

vrt_status vrt__algo_cache_open(const char *model_path, int device, const char *dir_opt,
                                vrt__algo_cache **out) {
    *out = NULL;
    vrt__algo_cache *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    struct cudaDeviceProp prop;
    memset(&prop, 0, sizeof(prop));
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess)
        snprintf(prop.name, sizeof(prop.name), "unknown");
    int drv = 0, rt = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    size_t dnn = cudnnGetVersion();
    uint64_t mh = vrt__fnv1a_file(model_path);
    snprintf(c->header, sizeof(c->header),
             "# visionrt cudnn algos: model %016llx (%s) gpu '%s' sm_%d%d driver %d cuda %d cudnn %zu",
             (unsigned long long)mh, model_path ? model_path : "in-memory", prop.name, prop.major, prop.minor,
             drv, rt, dnn);
    /* The path's hash leaves out the model path: the same bytes at another path share a file. */
    char key[512];
    snprintf(key, sizeof(key), "%016llx|%s|%d%d|%d|%d|%zu", (unsigned long long)mh, prop.name, prop.major,
             prop.minor, drv, rt, dnn);
    uint64_t kh = vrt__fnv1a(1469598103934665603ull, key, strlen(key));
    char dir[900];
    const char *home = vrt__env_get(VRT__ENV_HOME);
    if (dir_opt)
        snprintf(dir, sizeof(dir), "%s", dir_opt); /* "": no file */
    else if (home)
        snprintf(dir, sizeof(dir), "%s/.cache/visionrt", home);
    else
        dir[0] = 0;
    if (dir[0]) snprintf(c->path, sizeof(c->path), "%s/cudnn-%016llx.txt", dir, (unsigned long long)kh);
    FILE *f = c->path[0] ? fopen(c->path, "r") : NULL;
    if (f) {
        char line[600];
        while (fgets(line, sizeof(line), f)) {
            if (line[0] == '#') continue;
            char k[KEYLEN];
            vrt__algo_entry e;
            unsigned long long ws;
            if (sscanf(line, "%255s %d %llu %f %d", k, &e.algo, &ws, &e.ms, &e.fused) == 5 && e.algo >= 0) {
                e.workspace = (size_t)ws;
                add(c, k, &e);
            }
        }
        fclose(f);
    }
    c->dirty = 0;
    *out = c;
    return VRT_OK;
}

int vrt__algo_cache_get(const vrt__algo_cache *c, const char *key, vrt__algo_entry *e) {
    if (!c) return 0;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].key, key)) {
            *e = c->v[i].e;
            ((vrt__algo_cache *)c)->hits++;
            return 1;
        }
    ((vrt__algo_cache *)c)->misses++;
    return 0;
}

void vrt__algo_cache_put(vrt__algo_cache *c, const char *key, const vrt__algo_entry *e) {
    if (!c) return;
    add(c, key, e);
    c->dirty = 1;
}

vrt_status vrt__algo_cache_save(vrt__algo_cache *c) {
    if (!c || !c->dirty || !c->path[0]) return VRT_OK;
    char dir[1024], tmp[1100];
    snprintf(dir, sizeof(dir), "%s", c->path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (dir[0] && mkdirs(dir)) return VRT_EIO;
    }
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", c->path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return VRT_EIO;
    fprintf(f, "%s\n", c->header);
    for (int i = 0; i < c->n; i++)
        fprintf(f, "%s %d %llu %.6f %d\n", c->v[i].key, c->v[i].e.algo,
                (unsigned long long)c->v[i].e.workspace, (double)c->v[i].e.ms, c->v[i].e.fused);
    int bad = ferror(f);
    if (fclose(f) || bad || rename(tmp, c->path)) {
        unlink(tmp);
        return VRT_EIO;
    }
    c->dirty = 0;
    return VRT_OK;
}

const char *vrt__algo_cache_path(const vrt__algo_cache *c) {
    return c ? c->path : "";
}
int vrt__algo_cache_hits(const vrt__algo_cache *c) {
    return c ? c->hits : 0;
}
int vrt__algo_cache_misses(const vrt__algo_cache *c) {
    return c ? c->misses : 0;
}

void vrt__algo_cache_destroy(vrt__algo_cache **pc) {
    if (!pc || !*pc) return;
    vrt_free((*pc)->v);
    vrt_free(*pc);
    *pc = NULL;
}
