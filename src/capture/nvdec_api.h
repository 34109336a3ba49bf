/*
 * Private: the parts of the NVIDIA driver's video decode API (libnvcuvid.so.1)
 * and CUDA driver API (libcuda.so.1) the NVDEC source uses, loaded with dlopen
 * so that libvrt builds and runs without the Video Codec SDK, the CUDA toolkit
 * or a GPU.
 *
 * These are our own declarations, written from NVIDIA's public API
 * documentation. Struct layouts match the Video Codec SDK 13.0 headers
 * (cuviddec.h / nvcuvid.h: NVDECAPI 13.0, as in FFmpeg's nv-codec-headers
 * n13.0.19 dynlink_cuviddec.h / dynlink_nvcuvid.h) and cuda.h of CUDA 13.0
 * (CUDA_MEMCPY2D_v2), for LP64 Linux (`unsigned long` is 8 bytes, as the
 * SDK's tcu_ulong). Only the fields we set or read are named; the rest keep
 * their place as reserved members. Fields that a newer SDK appends live in
 * the reserved tails, which we zero.
 */
#ifndef VRT_CAPTURE_NVDEC_API_H
#define VRT_CAPTURE_NVDEC_API_H

#include <stddef.h>

#include "vrt/core.h"

/* ---- CUDA driver API (cuda.h) -------------------------------------------- */
typedef int nv_CUresult; /* CUDA_SUCCESS = 0 */
typedef unsigned long long nv_CUdeviceptr;
typedef struct nv_CUctx_st *nv_CUcontext;
typedef struct nv_CUstream_st *nv_CUstream;

#define NV_CU_MEMORYTYPE_HOST 1
#define NV_CU_MEMORYTYPE_DEVICE 2
#define NV_CU_STREAM_NON_BLOCKING 1
#define NV_CU_MEMHOSTALLOC_PORTABLE 1

typedef struct nv_memcpy2d { /* CUDA_MEMCPY2D_v2 */
    size_t srcXInBytes, srcY;
    int srcMemoryType; /* CUmemorytype */
    const void *srcHost;
    nv_CUdeviceptr srcDevice;
    void *srcArray;
    size_t srcPitch;
    size_t dstXInBytes, dstY;
    int dstMemoryType;
    void *dstHost;
    nv_CUdeviceptr dstDevice;
    void *dstArray;
    size_t dstPitch;
    size_t WidthInBytes, Height;
} nv_memcpy2d;

/* ---- NVDEC (cuviddec.h, nvcuvid.h) ---------------------------------------- */
typedef void *nv_CUvideodecoder;
typedef void *nv_CUvideoparser;
typedef long long nv_CUvideotimestamp;
/* Opaque here: the parser fills it and the decoder reads it; we only pass the pointer on. */
typedef struct nv_CUVIDPICPARAMS nv_CUVIDPICPARAMS;

#define NV_CODEC_H264 4 /* cudaVideoCodec */
#define NV_CODEC_HEVC 8
#define NV_CHROMA_420 1           /* cudaVideoChromaFormat */
#define NV_SURFACE_NV12 0         /* cudaVideoSurfaceFormat */
#define NV_DEINTERLACE_WEAVE 0    /* cudaVideoDeinterlaceMode (progressive content) */
#define NV_DEINTERLACE_ADAPTIVE 2 /* interlaced content */
#define NV_CREATE_PREFER_CUVID 4  /* cudaVideoCreateFlags: the dedicated video engines */
#define NV_PKT_ENDOFSTREAM 0x01   /* CUvideopacketflags */
#define NV_PKT_TIMESTAMP 0x02
#define NV_PKT_ENDOFPICTURE 0x08
#define NV_DECODE_STATUS_ERROR 8 /* cuvidDecodeStatus: Error, Error_Concealed */
#define NV_DECODE_STATUS_ERROR_CONCEALED 9

typedef struct nv_decode_caps { /* CUVIDDECODECAPS */
    int eCodecType;
    int eChromaFormat;
    unsigned nBitDepthMinus8;
    unsigned reserved1[3];
    unsigned char bIsSupported, nNumNVDECs;
    unsigned short nOutputFormatMask;
    unsigned nMaxWidth, nMaxHeight, nMaxMBCount;
    unsigned short nMinWidth, nMinHeight;
    unsigned char bIsHistogramSupported, nCounterBitDepth;
    unsigned short nMaxHistogramBins;
    unsigned reserved3[10];
} nv_decode_caps;

typedef struct nv_rect16 {
    short left, top, right, bottom;
} nv_rect16;

typedef struct nv_decode_create_info { /* CUVIDDECODECREATEINFO */
    unsigned long ulWidth, ulHeight, ulNumDecodeSurfaces;
    int CodecType, ChromaFormat;
    unsigned long ulCreationFlags, bitDepthMinus8, ulIntraDecodeOnly, ulMaxWidth, ulMaxHeight, Reserved1;
    nv_rect16 display_area;
    int OutputFormat, DeinterlaceMode;
    unsigned long ulTargetWidth, ulTargetHeight, ulNumOutputSurfaces;
    void *vidLock; /* CUvideoctxlock */
    nv_rect16 target_rect;
    unsigned long enableHistogram;
    unsigned long Reserved2[4];
} nv_decode_create_info;

typedef struct nv_proc_params { /* CUVIDPROCPARAMS */
    int progressive_frame, second_field, top_field_first, unpaired_field;
    unsigned reserved_flags, reserved_zero;
    unsigned long long raw_input_dptr;
    unsigned raw_input_pitch, raw_input_format;
    unsigned long long raw_output_dptr;
    unsigned raw_output_pitch, Reserved1;
    nv_CUstream output_stream;
    unsigned Reserved[46];
    unsigned long long *histogram_dptr;
    void *Reserved2[1];
} nv_proc_params;

typedef struct nv_decode_status { /* CUVIDGETDECODESTATUS */
    int decodeStatus;
    unsigned reserved[31];
    void *pReserved[8];
} nv_decode_status;

typedef struct nv_video_format { /* CUVIDEOFORMAT */
    int codec;
    struct {
        unsigned numerator, denominator; /* 0: unspecified */
    } frame_rate;
    unsigned char progressive_sequence, bit_depth_luma_minus8, bit_depth_chroma_minus8,
        min_num_decode_surfaces;
    unsigned coded_width, coded_height;
    struct {
        int left, top, right, bottom;
    } display_area;
    int chroma_format;
    unsigned bitrate;
    struct {
        int x, y;
    } display_aspect_ratio;
    struct {
        unsigned char video_format : 3, video_full_range_flag : 1, reserved_zero_bits : 4;
        unsigned char color_primaries, transfer_characteristics, matrix_coefficients;
    } video_signal_description;
    unsigned seqhdr_data_length;
} nv_video_format;

typedef struct nv_source_packet { /* CUVIDSOURCEDATAPACKET */
    unsigned long flags, payload_size;
    const unsigned char *payload;
    nv_CUvideotimestamp timestamp; /* in the parser's clock (default 10 MHz) */
} nv_source_packet;

typedef struct nv_disp_info { /* CUVIDPARSERDISPINFO */
    int picture_index, progressive_frame, top_field_first, repeat_first_field;
    nv_CUvideotimestamp timestamp;
} nv_disp_info;

typedef int (*nv_seq_cb)(void *, nv_video_format *);
typedef int (*nv_decode_cb)(void *, nv_CUVIDPICPARAMS *);
typedef int (*nv_display_cb)(void *, nv_disp_info *);

typedef struct nv_parser_params { /* CUVIDPARSERPARAMS */
    int CodecType;
    unsigned ulMaxNumDecodeSurfaces, ulClockRate, ulErrorThreshold, ulMaxDisplayDelay;
    unsigned bAnnexb : 1, bMemoryOptimize : 1, uReserved : 30;
    unsigned uReserved1[4];
    void *pUserData;
    nv_seq_cb pfnSequenceCallback;
    nv_decode_cb pfnDecodePicture;
    nv_display_cb pfnDisplayPicture;
    void *pfnGetOperatingPoint;
    void *pfnGetSEIMsg;
    void *pvReserved2[5];
    void *pExtVideoInfo;
} nv_parser_params;

/* The loaded entry points (constant once loaded: one table per process). */
typedef struct nv_api {
    nv_CUresult (*cuInit)(unsigned);
    nv_CUresult (*cuDeviceGetCount)(int *);
    nv_CUresult (*cuDeviceGet)(int *, int);
    nv_CUresult (*cuDevicePrimaryCtxRetain)(nv_CUcontext *, int);
    nv_CUresult (*cuDevicePrimaryCtxRelease)(int);
    nv_CUresult (*cuCtxPushCurrent)(nv_CUcontext);
    nv_CUresult (*cuCtxPopCurrent)(nv_CUcontext *);
    nv_CUresult (*cuStreamCreate)(nv_CUstream *, unsigned);
    nv_CUresult (*cuStreamDestroy)(nv_CUstream);
    nv_CUresult (*cuStreamSynchronize)(nv_CUstream);
    nv_CUresult (*cuMemcpy2DAsync)(const nv_memcpy2d *, nv_CUstream);
    nv_CUresult (*cuMemHostAlloc)(void **, size_t, unsigned);
    nv_CUresult (*cuMemFreeHost)(void *);
    nv_CUresult (*cuGetErrorName)(nv_CUresult, const char **);
    nv_CUresult (*cuvidGetDecoderCaps)(nv_decode_caps *);
    nv_CUresult (*cuvidCreateDecoder)(nv_CUvideodecoder *, nv_decode_create_info *);
    nv_CUresult (*cuvidDestroyDecoder)(nv_CUvideodecoder);
    nv_CUresult (*cuvidDecodePicture)(nv_CUvideodecoder, nv_CUVIDPICPARAMS *);
    nv_CUresult (*cuvidGetDecodeStatus)(nv_CUvideodecoder, int, nv_decode_status *); /* may be NULL */
    nv_CUresult (*cuvidMapVideoFrame64)(nv_CUvideodecoder, int, unsigned long long *, unsigned *,
                                        nv_proc_params *);
    nv_CUresult (*cuvidUnmapVideoFrame64)(nv_CUvideodecoder, unsigned long long);
    nv_CUresult (*cuvidCreateVideoParser)(nv_CUvideoparser *, nv_parser_params *);
    nv_CUresult (*cuvidParseVideoData)(nv_CUvideoparser, nv_source_packet *);
    nv_CUresult (*cuvidDestroyVideoParser)(nv_CUvideoparser);
    int devices; /* CUDA devices the driver reports */
} nv_api;

/* The table, loaded and cuInit'ed on the first call (thread-safe); NULL when NVDEC cannot be used
 * here, with err saying why and what works instead ("no NVDEC: libnvcuvid.so.1 not found ..."). */
const nv_api *vrt__nvdec_api(char *err, size_t cap);
/* "CUDA_ERROR_..." for a driver status (static string). */
const char *vrt__nvdec_cu_name(const nv_api *a, nv_CUresult r);

#endif
