#!/bin/sh
# NVDEC scale run (issue 17, on the GPU machine, from the repository root): N = 16, 32, 64 raw
# H.264 streams (720p30 and 1080p30) decoded by NVDEC x YOLOX-Nano (batchable copy, --batch auto)
# in one `vrt run`, decode-to-result p99 per N (bench/scale/nvdec.py; JSON into $OUT).
#
#   sh bench/scale/nvdec.sh BUILD [nvdec.py options]      # e.g. BUILD=build, OUT=/tmp/out
#
# The clips come from bench/scale/nvdec_gen.sh (ffmpeg with libx264) into .h264/; the GPU machine
# has no ffmpeg, so make them where there is one and carry .h264/ (about 30 MB). First the probe
# of what the machine offers for video decode, so a run that cannot use NVDEC says why.
set -e
build=${1:?usage: sh bench/scale/nvdec.sh BUILD [nvdec.py options]}
shift
here=$(dirname "$0")
if ! ls .h264/clip-720p30-*.h264 >/dev/null 2>&1; then
    command -v ffmpeg >/dev/null 2>&1 || { echo "no .h264/ clips and no ffmpeg to make them: run sh $here/nvdec_gen.sh where ffmpeg is and carry .h264/" >&2; exit 2; }
    sh "$here/nvdec_gen.sh" .h264 4
fi
sh "$here/nvdec_probe.sh" 2>&1 | sed -n '/== NVDEC capabilities/,$p'
exec python3 "$here/nvdec.py" "$build" --clips .h264 --out "${OUT:-bench/results}" "$@"
