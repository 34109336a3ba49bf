#!/usr/bin/env bash
# On the GPU machine, from the repository root, after a build in BUILD (default build):
#   bench/gpu/cascade.sh [BUILD]
# The cascade YOLOX-Nano -> ResNet-18 on the crops (issue 11's number): a 640x480 YUYV frame of a
# street (city_1.jpg: 16 detections; --secondary-batch 8 classifies 8 crops per frame), measured as
#   detector frame path alone | cascade frame path | ResNet-18 alone at batch 1 and batch 8
# (ResNet-18 from torchvision, random weights, seed 0, exported once with a dynamic batch), and
# writes ${OUT:-bench/results}/cascade-DATE.json with every run's JSON and the ratio of the cascade
# to the sum (detector + ResNet-18 batch 8).
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
O=${OUT:-bench/results}
D=$(cd "${VRT_DATA:-.data}" && pwd)
N=${ITERS:-1000}
T=$(mktemp -d)
mkdir -p "$O"
python3 - "$T" "$D/images/jetson/city_1.jpg" <<'PY'
import sys, numpy as np, torch, torchvision
from PIL import Image
torch.manual_seed(0)
m = torchvision.models.resnet18(weights=None).eval()
torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), f"{sys.argv[1]}/resnet18.onnx", opset_version=17,
                  input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
                  dynamo=False)
rgb = np.asarray(Image.open(sys.argv[2]).convert("RGB").resize((640, 480), Image.BILINEAR), dtype=np.float64)
r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
yuyv = np.empty((480, 640, 2), np.uint8)
yuyv[..., 0] = np.clip(np.rint(y), 0, 255)
yuyv[:, 0::2, 1] = np.clip(np.rint((u[:, 0::2] + u[:, 1::2]) / 2), 0, 255)
yuyv[:, 1::2, 1] = np.clip(np.rint((v[:, 0::2] + v[:, 1::2]) / 2), 0, 255)
yuyv.tofile(f"{sys.argv[1]}/city.yuyv")
PY
Y=$D/models/yolox_nano/yolox_nano.onnx
R=$T/resnet18.onnx
# models/resnet50.conf names its labels file; it is looked up next to the model
cp "$D/labels/imagenet_synset_words.txt" "$T/"
set -e
BE=$B/bench/bench_engine
export VRT_CACHE_DIR=$T/cache
{
  echo '{"gpu": "'"$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"'",'
  echo '"detector": '; "$BE" "$Y" --session models/yolox.conf --frame "$T/city.yuyv" --iters "$N" --warmup 200
  echo ', "cascade": '; "$BE" "$Y" --session models/yolox.conf --frame "$T/city.yuyv" --secondary models/resnet50.conf \
    --secondary-model "$R" --secondary-batch 8 --iters "$N" --warmup 200
  echo ', "resnet18_b1": '; "$BE" "$R" --batch 1 --iters "$N" --warmup 200
  echo ', "resnet18_b8": '; "$BE" "$R" --batch 8 --iters "$N" --warmup 200
  echo '}'
} > "$T/raw.json"
python3 - "$T/raw.json" "$O/cascade-$(date -u +%Y-%m-%d).json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = lambda x, k: x[k]["p50"]
det, cas = p(d["detector"], "host"), p(d["cascade"], "host")
b1, b8 = p(d["resnet18_b1"], "gpu"), p(d["resnet18_b8"], "gpu")
d["summary"] = {"detector_frame_path_p50_ms": det, "cascade_frame_path_p50_ms": cas, "resnet18_b1_p50_ms": b1,
                "resnet18_b8_p50_ms": b8, "classified_per_frame": d["cascade"]["classified"],
                "cascade_over_detector_plus_b8": cas / (det + b8), "target_p50_ms": 0.9, "target_ratio": 1.3}
json.dump(d, open(sys.argv[2], "w"), indent=1)
print(json.dumps(d["summary"], indent=1))
PY
