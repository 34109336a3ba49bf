/* Loads the driver's NVDEC and CUDA driver entry points with dlopen (nvdec_api.h). */
#include "nvdec_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NV_ALT "use the FFmpeg file source (decode=cpu)"

/* One table per process: the driver's entry points do not change once loaded, and the libraries
 * stay loaded (unloading the CUDA driver under live contexts is not safe). */
static nv_api g_api;
static int g_ok;
static char g_why[384];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

typedef struct sym {
    void **slot;
    const char *name;
    int optional;
} sym;

static int load_syms(void *lib, const char *libname, const sym *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        *s[i].slot = dlsym(lib, s[i].name);
        if (!*s[i].slot && !s[i].optional) {
            snprintf(g_why, sizeof(g_why), "no NVDEC: %s has no %s (driver too old?); " NV_ALT, libname,
                     s[i].name);
            return 0;
        }
    }
    return 1;
}

#define S(field, name)                                                                                       \
    { (void **)&g_api.field, name, 0 }
#define OPT(field, name)                                                                                     \
    { (void **)&g_api.field, name, 1 }

static void load_once(void) {
    void *cu = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cu) {
        snprintf(g_why, sizeof(g_why), "no NVDEC: libcuda.so.1 not found (NVIDIA driver); " NV_ALT);
        return;
    }
    void *nv = dlopen("libnvcuvid.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!nv) {
        snprintf(g_why, sizeof(g_why),
                 "no NVDEC: libnvcuvid.so.1 not found (NVIDIA driver; in a container the driver capability "
                 "'video' must be given); " NV_ALT);
        return;
    }
    /* The _v2 names are what cuda.h maps the plain names to since CUDA 4/6. */
    static const sym cu_syms[] = {
        S(cuInit, "cuInit"),
        S(cuDeviceGetCount, "cuDeviceGetCount"),
        S(cuDeviceGet, "cuDeviceGet"),
        S(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
        S(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
        S(cuCtxPushCurrent, "cuCtxPushCurrent_v2"),
        S(cuCtxPopCurrent, "cuCtxPopCurrent_v2"),
        S(cuStreamCreate, "cuStreamCreate"),
        S(cuStreamDestroy, "cuStreamDestroy_v2"),
        S(cuStreamSynchronize, "cuStreamSynchronize"),
        S(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2"),
        S(cuMemHostAlloc, "cuMemHostAlloc"),
        S(cuMemFreeHost, "cuMemFreeHost"),
        OPT(cuGetErrorName, "cuGetErrorName"),
    };
    static const sym nv_syms[] = {
        S(cuvidGetDecoderCaps, "cuvidGetDecoderCaps"),
        S(cuvidCreateDecoder, "cuvidCreateDecoder"),
        S(cuvidDestroyDecoder, "cuvidDestroyDecoder"),
        S(cuvidDecodePicture, "cuvidDecodePicture"),
        OPT(cuvidGetDecodeStatus, "cuvidGetDecodeStatus"),
        S(cuvidMapVideoFrame64, "cuvidMapVideoFrame64"),
        S(cuvidUnmapVideoFrame64, "cuvidUnmapVideoFrame64"),
        S(cuvidCreateVideoParser, "cuvidCreateVideoParser"),
        S(cuvidParseVideoData, "cuvidParseVideoData"),
        S(cuvidDestroyVideoParser, "cuvidDestroyVideoParser"),
    };
    if (!load_syms(cu, "libcuda.so.1", cu_syms, sizeof(cu_syms) / sizeof(cu_syms[0])) ||
        !load_syms(nv, "libnvcuvid.so.1", nv_syms, sizeof(nv_syms) / sizeof(nv_syms[0])))
        return;
    nv_CUresult r = g_api.cuInit(0);
    if (r == 0) r = g_api.cuDeviceGetCount(&g_api.devices);
    if (r != 0 || g_api.devices < 1) {
        snprintf(g_why, sizeof(g_why), "no NVDEC: the CUDA driver finds no usable GPU (%s); " NV_ALT,
                 r ? vrt__nvdec_cu_name(&g_api, r) : "0 devices");
        return;
    }
    g_ok = 1;
}

const nv_api *vrt__nvdec_api(char *err, size_t cap) {
    pthread_once(&g_once, load_once);
    if (g_ok) return &g_api;
    vrt_errbuf_set(err, cap, "%s", g_why);
    return NULL;
}

const char *vrt__nvdec_cu_name(const nv_api *a, nv_CUresult r) {
    const char *s = NULL;
    if (a && a->cuGetErrorName && a->cuGetErrorName(r, &s) == 0 && s) return s;
    static const char *const unknown = "CUDA driver error";
    return unknown;
}
