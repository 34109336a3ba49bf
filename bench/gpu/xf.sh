#!/usr/bin/env bash
# ONE command on the GPU machine, from the repository root: issue 10's benchmark (bench_xf.py:
# Depth Anything V2 Small 518, DETR-R50 640x480, YOLOv8n/11n/12n 640; our engine fp16/fp32 and
# the YOLOv8n frame path against PyTorch fp16 eager / CUDA graph / torch.compile max-autotune).
#   bench/gpu/xf.sh [bench_xf.py arguments...]      JSON + logs into ${OUT:-bench/results}
# Carry .xf (made here by `scripts/make-models --full .xf --only yolov8n,yolo11n,yolo12n` and
# `pip download ultralytics==VER --no-deps -d .xf/whl`): the wheel is installed into
# /tmp/xf-site (ultralytics' imports are in the GPU image; polars / thop are not needed to build
# and run a model), the carried YOLO ONNX files are used (else exported there from the wheel).
# The whole command stops compiling at START + XF_BUDGET_S (default 450 s): a model whose
# torch.compile did not fit says so in the JSON; rerun with --compile-only --models NAME.
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
O=${OUT:-bench/results}
mkdir -p "$O"
export PYTHONUNBUFFERED=1
[ -d .data ] && export VRT_DATA=$PWD/.data
if ls .xf/whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/xf-site \
    .xf/whl/*.whl >"$O/xf-pip.log" 2>&1 && export PYTHONPATH=/tmp/xf-site${PYTHONPATH:+:$PYTHONPATH}
fi
cmake -S . -B build-gpu -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF \
  -DCMAKE_BUILD_TYPE=Release >"$O/xf-build.log" 2>&1 &&
  cmake --build build-gpu -j"$(nproc)" --target bench_engine >>"$O/xf-build.log" 2>&1 ||
  { tail -40 "$O/xf-build.log"; exit 1; }
echo "build ok after $(($(date +%s) - START)) s"
python3 bench/gpu/bench_xf.py --engine build-gpu/bench/bench_engine --xf .xf \
  --out "$O/xf-$(date -u +%Y-%m-%d).json" --deadline $((START + ${XF_BUDGET_S:-450})) "$@" 2>&1 |
  tee "$O/xf.log" | grep -v -i warning
