/*
 * Private: the one place the library and the CLI read environment variables.
 *
 * Configuration is the options structs of the public API (vrt/engine.h
 * vrt_engine_options, vrt/session.h, ...). A few environment variables are
 * documented overrides of fields the caller left at their "auto"/default
 * value (never of an explicit argument), plus the CLI's and the algorithm
 * cache's folders. Each variable is read once, on first use, and cached for
 * the process: setting one later has no effect (tests pass options instead).
 *
 * The table of variables, what each overrides and its values, is in
 * src/engine/README.md ("Options and environment overrides").
 *
 * Threading: safe from any thread (the first read is done under pthread_once).
 */
#ifndef VRT_CORE_OPTIONS_H
#define VRT_CORE_OPTIONS_H

typedef enum vrt__env {
    VRT__ENV_CUDA_MATH,   /* fp16|fp32|tf32: vrt_engine_options.precision when AUTO */
    VRT__ENV_CUDA_GRAPHS, /* 0|1: vrt_engine_options.graphs when AUTO; session graphs when on (default) */
    VRT__ENV_CUDA_CONV,   /* cudnn|own: vrt_engine_options.conv when AUTO */
    VRT__ENV_CUDA_PDL,    /* 0|1: vrt_engine_options.pdl when AUTO */
    VRT__ENV_CACHE_DIR,   /* folder: vrt_engine_options.cache_dir when NULL */
    VRT__ENV_PROFILE_OPS, /* 0|1: vrt_engine_options.profile_ops when AUTO */
    VRT__ENV_DATA,        /* CLI: the test-data folder (default model) */
    VRT__ENV_MODELS_DIR,  /* CLI: first folder searched for model profiles */
    VRT__ENV_HOME,        /* the algorithm cache's default folder, $HOME/.cache/visionrt */
    VRT__ENV_COUNT
} vrt__env;

/* The variable's value as read once per process; NULL when unset or empty. */
const char *vrt__env_get(vrt__env v);
/* The variable's name ("VRT_CUDA_MATH"), for messages. */
const char *vrt__env_name(vrt__env v);
/* A switch variable: -1 when unset or empty, 0 when "0", 1 for any other value. */
int vrt__env_flag(vrt__env v);

#endif
