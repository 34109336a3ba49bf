#!/bin/sh
# Makes the raw H.264 (Annex-B) clips bench/scale/nvdec.sh decodes with NVDEC: K distinct clips per
# size (default 4; stream i of a run reads clip i mod K), 10 s at 30 fps, camera-like encoding:
# no B-frames, a key frame every second (no scene-cut key frames), constant bit rate (720p 2 Mb/s,
# 1080p 4 Mb/s), x264 "zerolatency". Each clip is a different lavfi pattern or a different
# stretch of one, so the streams do not decode identical bits. Needs the ffmpeg command with
# libx264 (the GPU machine has none: run it where there is one, and carry the folder).
#
#   sh bench/scale/nvdec_gen.sh [DIR] [K]        # default DIR .h264 (git-ignored), K 4
#
# About 2.5 MB (720p) and 5 MB (1080p) per clip: 30 MB for K = 4.
set -e
dir=${1:-.h264}
k=${2:-4}
mkdir -p "$dir"
pattern() { # the i-th lavfi source at WxH
    case $(($1 % 4)) in
    0) echo "testsrc2=size=$2:rate=30" ;;
    1) echo "mandelbrot=size=$2:rate=30" ;;
    2) echo "testsrc=size=$2:rate=30,hue=H=2*PI*t/5" ;;
    *) echo "smptehdbars=size=$2:rate=30,noise=alls=20:allf=t" ;;
    esac
}
for size in 1280x720:720:2M 1920x1080:1080:4M; do
    wh=${size%%:*}; rest=${size#*:}; h=${rest%%:*}; rate=${rest#*:}
    i=0
    while [ "$i" -lt "$k" ]; do
        out="$dir/clip-${h}p30-$i.h264"
        if [ ! -s "$out" ]; then
            # Later clips of the same pattern start later in it (-ss on the lavfi input).
            ffmpeg -v error -y -ss $((i / 4 * 10)) -f lavfi -i "$(pattern "$i" "$wh")" -t 10 -pix_fmt yuv420p \
                -c:v libx264 -preset veryfast -tune zerolatency -bf 0 -g 30 -sc_threshold 0 -b:v "$rate" -maxrate "$rate" \
                -bufsize "$rate" -f h264 "$out"
            echo "$out: $(wc -c < "$out") bytes"
        fi
        i=$((i + 1))
    done
done
