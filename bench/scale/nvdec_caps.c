/*
 * nvdec_caps: what the GPU's video decoder (NVDEC) can do, asked through the
 * driver's libnvcuvid.so.1 (cuvidGetDecoderCaps) without the Video Codec SDK
 * or FFmpeg: both libraries are opened with dlopen and the one structure is
 * declared here (the layout of cuviddec.h's CUVIDDECODECAPS, padded). Part of
 * bench/scale/nvdec_probe.sh; not built by CMake.
 *
 *   cc -O1 -o nvdec_caps bench/scale/nvdec_caps.c -ldl && ./nvdec_caps
 *
 * Exit status: 0 when libnvcuvid answered, 2 when a library or the GPU is missing.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef struct caps {
    int codec;  /* cudaVideoCodec: H264 4, HEVC 8, VP9 10, AV1 11 */
    int chroma; /* cudaVideoChromaFormat: 4:2:0 = 1 */
    unsigned bit_depth_minus8;
    unsigned reserved1[3];
    unsigned char supported, num_nvdecs;
    unsigned short output_format_mask;
    unsigned max_width, max_height, max_mb_count;
    unsigned short min_width, min_height;
    unsigned char histogram, counter_bits;
    unsigned short histogram_bins;
    unsigned reserved3[10];
    unsigned pad[32]; /* room for fields a newer driver may add */
} caps;

typedef int (*fn_i)(unsigned);
typedef int (*fn_dev)(int *, int);
typedef int (*fn_ctx)(void **, int);
typedef int (*fn_set)(void *);
typedef int (*fn_ver)(int *);
typedef int (*fn_caps)(caps *);

int main(void) {
    void *cu = dlopen("libcuda.so.1", RTLD_NOW);
    if (!cu) {
        printf("libcuda.so.1: not loadable (%s)\n", dlerror());
        return 2;
    }
    void *nv = dlopen("libnvcuvid.so.1", RTLD_NOW);
    if (!nv) {
        printf("libnvcuvid.so.1: not loadable (%s): no NVDEC through the driver here (in a container the "
               "driver capability 'video' must be given: NVIDIA_DRIVER_CAPABILITIES=compute,utility,video)\n",
               dlerror());
        return 2;
    }
    fn_i cu_init = (fn_i)dlsym(cu, "cuInit");
    fn_dev cu_device_get = (fn_dev)dlsym(cu, "cuDeviceGet");
    fn_ctx cu_retain = (fn_ctx)dlsym(cu, "cuDevicePrimaryCtxRetain");
    fn_set cu_set = (fn_set)dlsym(cu, "cuCtxSetCurrent");
    fn_ver cu_version = (fn_ver)dlsym(cu, "cuDriverGetVersion");
    fn_caps get_caps = (fn_caps)dlsym(nv, "cuvidGetDecoderCaps");
    if (!cu_init || !cu_device_get || !cu_retain || !cu_set || !get_caps) {
        printf("missing symbols (cuInit/cuDeviceGet/cuDevicePrimaryCtxRetain/cuCtxSetCurrent/"
               "cuvidGetDecoderCaps)\n");
        return 2;
    }
    int dev = 0, ver = 0, r;
    void *ctx = NULL;
    if ((r = cu_init(0)) || (r = cu_device_get(&dev, 0)) || (r = cu_retain(&ctx, dev)) || (r = cu_set(ctx))) {
        printf("CUDA driver API failed (CUresult %d)\n", r);
        return 2;
    }
    if (cu_version) cu_version(&ver);
    printf("libnvcuvid.so.1: loaded; CUDA driver API %d.%d\n", ver / 1000, (ver % 1000) / 10);
    static const struct {
        int codec;
        const char *name;
        unsigned depth;
    } want[] = {{4, "H.264 8-bit 4:2:0", 0},
                {8, "HEVC 8-bit 4:2:0", 0},
                {8, "HEVC 10-bit 4:2:0", 2},
                {10, "VP9 8-bit 4:2:0", 0},
                {11, "AV1 8-bit 4:2:0", 0}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        caps c;
        memset(&c, 0, sizeof(c));
        c.codec = want[i].codec;
        c.chroma = 1;
        c.bit_depth_minus8 = want[i].depth;
        r = get_caps(&c);
        if (r) {
            printf("%-20s cuvidGetDecoderCaps failed (CUresult %d)\n", want[i].name, r);
            continue;
        }
        printf(
            "%-20s supported %d, NVDEC engines %d, max %ux%u (%u macroblocks), min %ux%u, output mask 0x%x\n",
            want[i].name, c.supported, c.num_nvdecs, c.max_width, c.max_height, c.max_mb_count, c.min_width,
            c.min_height, c.output_format_mask);
    }
    return 0;
}
