#!/bin/sh
# Makes the tiny raw H.264 / HEVC elementary streams the NVDEC source's tests decode, and their
# reference decodes: FFmpeg's framecrc (Adler-32 of each decoded frame as tightly packed NV12, in
# display order). H.264 and HEVC decoding is bit-exact, so NVDEC must give the same checksums
# (tests/gpu/test_nvdec_cuda.c); tests/unit/test_annexb.c checks FFmpeg against them on CI.
#
#   sh tests/nvdec/make_clips.sh [DIR]     # default: this folder; needs ffmpeg with libx264/libx265
#
# 200x120 is not a multiple of 16: the decoders must crop (coded 208x128). 24 frames at 30 fps,
# a key frame every 12, up to 3 B-frames (display order differs from decode order), and the H.264
# pictures cut into 2 slices (access units of several NAL units).
set -e
dir=${1:-$(dirname "$0")}
src="-f lavfi -i testsrc=size=200x120:rate=30 -frames:v 24 -pix_fmt yuv420p"
ffmpeg -v error -y $src -c:v libx264 -preset medium -bf 3 -g 12 -x264-params scenecut=0:slices=2 \
    -f h264 "$dir/clip200x120.h264"
ffmpeg -v error -y $src -c:v libx265 -preset medium \
    -x265-params log-level=error:bframes=3:keyint=12:min-keyint=12:scenecut=0 -f hevc "$dir/clip200x120.h265"
for c in h264 h265; do
    ffmpeg -v error -i "$dir/clip200x120.$c" -pix_fmt nv12 -f framecrc - | grep -v '^#' > "$dir/clip200x120.$c.crc"
done
# The same encodes in mp4 (the container path: FFmpeg demuxes, the Annex-B filter converts); their
# frames equal the raw streams' (the .crc files above), with pts from the container.
ffmpeg -v error -y $src -c:v libx264 -preset medium -bf 3 -g 12 -x264-params scenecut=0:slices=2 \
    "$dir/clip200x120_h264.mp4"
ffmpeg -v error -y $src -c:v libx265 -preset medium \
    -x265-params log-level=error:bframes=3:keyint=12:min-keyint=12:scenecut=0 -tag:v hvc1 "$dir/clip200x120_hevc.mp4"
