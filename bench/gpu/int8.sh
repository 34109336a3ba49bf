#!/usr/bin/env bash
# On the GPU machine, from the repository root: INT8 against fp16 on the CUDA backend for
# ResNet-18, ResNet-50 and MobileNetV2 (torchvision, random weights as bench_gpu.py makes them):
# export (opset 17), `vrt quantize` (percentile, 16 of the data folder's photos through
# models/resnet50.conf), then bench_engine on the fp32 model at --math fp16 and on the INT8 model,
# in the same run. Logs go to ${OUT:-bench/results}/int8.log.
#   bench/gpu/int8.sh [BUILD_DIR]      (default build-gpu: bench/gpu/run.sh builds it; needs vrt_cli)
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-gpu}
OUTD=${OUT:-bench/results}
DATA=${VRT_DATA:-$PWD/../shared/data}
[ -d .data ] && DATA=$PWD/.data
mkdir -p "$OUTD"
W=$(mktemp -d)
cmake --build "$B" -j"$(nproc)" --target bench_engine vrt_cli >/dev/null || exit 1
cp "$DATA/labels/imagenet_synset_words.txt" "$W/"
python3 - "$W" <<'EOF' || exit 1
import sys, torch, torchvision
sys.path.insert(0, "bench/gpu")
from bench_gpu import make_model, export
for name in ["resnet18", "resnet50", "mobilenet_v2"]:
    export(make_model(name), f"{sys.argv[1]}/{name}.onnx")
EOF
CALIB=$(ls "$DATA"/images/coco_val2017/*.jpg "$DATA"/images/jetson/*.jpg | head -16)
for m in resnet18 resnet50 mobilenet_v2; do
  "$B/vrt" quantize "$W/$m.onnx" --calib $CALIB --profile models/resnet50.conf --method percentile \
    -o "$W/$m.int8.onnx" 2>/dev/null | tail -2
  echo "== $m fp16";  "$B/bench/bench_engine" "$W/$m.onnx" --math fp16 --iters 2000
  echo "== $m int8";  "$B/bench/bench_engine" "$W/$m.int8.onnx" --math fp16 --iters 2000
done 2>&1 | tee "$OUTD/int8.log"
rm -rf "$W"
