#!/bin/sh
# What the GPU machine offers for GPU video decode (issue 17, item 3): the driver's NVDEC library
# (libnvcuvid), the encoder library, FFmpeg (libraries, headers, the ffmpeg command and its cuda
# hwaccel / *_cuvid decoders), the container's driver capabilities and the decoder utilisation
# fields of nvidia-smi; then, when a C compiler is there, asks libnvcuvid what it decodes
# (bench/scale/nvdec_caps.c). Only reads; writes nothing but a temporary binary.
#
#   sh bench/scale/nvdec_probe.sh            # from the repository root, on the GPU machine
here=$(dirname "$0")
section() { printf '\n== %s\n' "$1"; }

section "GPU and driver"
nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>&1
echo "NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES:-<unset>} (NVDEC in a container needs 'video')"
echo "NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES:-<unset>}"

section "driver video libraries (ldconfig -p)"
ldconfig -p 2>/dev/null | grep -E 'libnvcuvid|libnvidia-encode|libnvidia-decode|libcuda\.so|libnvjpeg|libnppi' \
    || echo "none of libnvcuvid, libnvidia-encode, libcuda, libnvjpeg, libnppi in the ldconfig cache"

section "driver video libraries (files)"
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
         /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /run/nvidia/driver/usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && ls -l "$d"/libnvcuvid* "$d"/libnvidia-encode* "$d"/libnvidia-decode* 2>/dev/null
done
found=$(find / -xdev \( -name 'libnvcuvid.so*' -o -name 'libnvidia-encode.so*' \) 2>/dev/null | head -20)
echo "find /: ${found:-nothing named libnvcuvid.so* or libnvidia-encode.so*}"

section "FFmpeg"
ldconfig -p 2>/dev/null | grep -E 'libav(codec|format|util)|libswscale' || echo "no libavcodec/libavformat/libavutil/libswscale"
for p in libavcodec libavformat libavutil libswscale ffnvcodec; do
    printf '%s: ' "$p"; pkg-config --modversion "$p" 2>/dev/null || echo "no pkg-config entry"
done
ls -d /usr/include/libavcodec /usr/include/x86_64-linux-gnu/libavcodec /usr/include/ffnvcodec 2>/dev/null \
    || echo "no FFmpeg / nv-codec-headers development headers"
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -hide_banner -version | head -1
    echo "hwaccels:"; ffmpeg -hide_banner -hwaccels 2>&1 | tail -n +2
    echo "cuvid/nvdec decoders:"; ffmpeg -hide_banner -decoders 2>/dev/null | grep -E 'cuvid|nvdec' || echo "  none"
else
    echo "no ffmpeg command"
fi

section "CUDA toolkit video headers (the Video Codec SDK ships nvcuvid.h / cuviddec.h, not the toolkit)"
ls /usr/local/cuda*/include/nvcuvid.h /usr/local/cuda*/include/cuviddec.h /usr/include/nvcuvid.h 2>/dev/null \
    || echo "no nvcuvid.h / cuviddec.h"

section "nvidia-smi: decoder utilisation fields"
nvidia-smi --query-gpu=utilization.gpu,utilization.decoder,utilization.encoder --format=csv 2>&1
nvidia-smi -q -d UTILIZATION 2>&1 | grep -iE 'decoder|encoder|jpeg|ofa' || echo "no decoder lines in nvidia-smi -q -d UTILIZATION"
nvidia-smi -q 2>&1 | grep -iE -A3 'encoder stats|fbc stats' | head -12

section "NVDEC capabilities (cuvidGetDecoderCaps through libnvcuvid.so.1)"
cc=$(command -v cc || command -v gcc || command -v clang)
if [ -n "$cc" ]; then
    bin=$(mktemp /tmp/nvdec_caps.XXXXXX)
    if "$cc" -O1 -o "$bin" "$here/nvdec_caps.c" -ldl 2>&1; then "$bin"; echo "nvdec_caps exit $?"; fi
    rm -f "$bin"
else
    echo "no C compiler: skipped"
fi
