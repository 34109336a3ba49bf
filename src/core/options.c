/* The environment reader (core/options.h): every variable read once. */
#include "core/options.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[VRT__ENV_COUNT] = {
    [VRT__ENV_CUDA_MATH] = "VRT_CUDA_MATH",
    [VRT__ENV_CUDA_GRAPHS] = "VRT_CUDA_GRAPHS",
    [VRT__ENV_CUDA_CONV] = "VRT_CUDA_CONV",
    [VRT__ENV_CUDA_PDL] = "VRT_CUDA_PDL",
    [VRT__ENV_CACHE_DIR] = "VRT_CACHE_DIR",
    [VRT__ENV_PROFILE_OPS] = "VRT_PROFILE_OPS",
    [VRT__ENV_DATA] = "VRT_DATA",
    [VRT__ENV_MODELS_DIR] = "VRT_MODELS_DIR",
    [VRT__ENV_HOME] = "HOME",
};

/* Values as read at the first call: getenv's strings, which stay valid even
 * when the variable is set again later (glibc never frees an environment
 * string it handed out). */
static const char *values[VRT__ENV_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_all(void) {
    for (int i = 0; i < VRT__ENV_COUNT; i++) {
        const char *v = getenv(names[i]);
        values[i] = v && v[0] ? v : NULL;
    }
}

const char *vrt__env_get(vrt__env v) {
    if ((unsigned)v >= VRT__ENV_COUNT) return NULL;
    pthread_once(&once, read_all);
    return values[v];
}

const char *vrt__env_name(vrt__env v) {
    return (unsigned)v < VRT__ENV_COUNT ? names[v] : "?";
}

int vrt__env_flag(vrt__env v) {
    const char *s = vrt__env_get(v);
    return !s ? -1 : strcmp(s, "0") != 0;
}
