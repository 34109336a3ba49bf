#!/usr/bin/env bash
# On the GPU machine, from the repository root, after a build in BUILD (default build):
#   [DET=yolov8n.onnx] [DEPTH=depth_anything_v2_small.onnx] bench/gpu/parallel.sh [BUILD]
# Two models on one frame (issue 11: detector + Depth Anything V2 Small on the same 640x480 YUYV frame,
# the depth model on a parallel branch of the slot's CUDA graph; target: both <= max(detector, depth)
# + 25%), measured as frame paths (bench_engine --session, host submit -> result p50):
#   detector alone | depth alone | detector + depth (--parallel, per-box depths on)
# Models: DET (a YOLOv8n export at 640x640) and DEPTH (Depth Anything V2 Small at 518x518), else
# made here by scripts/make-models --full (random weights, full-size architectures; needs torch,
# transformers, ultralytics and VRT_DATA for its input image). The detector's score threshold
# (SCORE, default 0.001) keeps some boxes of a random-weight model so the per-box depths run.
# Writes ${OUT:-bench/results}/parallel-DATE.json with every run's JSON and the ratio.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
O=${OUT:-bench/results}
N=${ITERS:-1000}
T=$(mktemp -d)
mkdir -p "$O"
DET=${DET:-}
DEPTH=${DEPTH:-}
if [ -z "$DET" ] || [ -z "$DEPTH" ]; then
  python3 scripts/make-models --full "$T/full" --only yolov8n,depth_anything_v2 || exit 1
  DET=${DET:-$T/full/yolov8n/model.onnx}
  DEPTH=${DEPTH:-$T/full/depth_anything_v2/model.onnx}
fi
cat > "$T/det.conf" <<CONF
name = yolov8n-bench
task = detect-yolov8
width = 640
height = 640
color = rgb
resize = letterbox
placement = center
pad = 114
scale = 1/255
layout = nchw
score_threshold = ${SCORE:-0.001}
iou_threshold = 0.7
max_detections = 100
CONF
set -e
BE=$B/bench/bench_engine
export VRT_CACHE_DIR=$T/cache
{
  echo '{"gpu": "'"$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"'",'
  echo '"detector": '; "$BE" "$DET" --session "$T/det.conf" --iters "$N" --warmup 200
  echo ', "depth": '; "$BE" "$DEPTH" --session models/depth-anything.conf --iters "$N" --warmup 200
  echo ', "both": '; "$BE" "$DET" --session "$T/det.conf" --parallel models/depth-anything.conf \
    --parallel-model "$DEPTH" --iters "$N" --warmup 200
  echo '}'
} > "$T/raw.json"
python3 - "$T/raw.json" "$O/parallel-$(date -u +%Y-%m-%d).json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = lambda k: d[k]["host"]["p50"]
det, dep, both = p("detector"), p("depth"), p("both")
st = d["both"]["stages_p50_ms"]
d["summary"] = {"detector_frame_path_p50_ms": det, "depth_frame_path_p50_ms": dep, "both_frame_path_p50_ms": both,
                "both_over_max": both / max(det, dep), "both_over_sum": both / (det + dep),
                "target_ratio_over_max": 1.25, "detections_per_frame": d["both"]["detections"],
                "branch_p50_ms": st["parallel"], "join_p50_ms": st["join"], "detector_model_p50_ms": st["model"],
                "depth_model_p50_ms": st["parallel_model"]}
json.dump(d, open(sys.argv[2], "w"), indent=1)
print(json.dumps(d["summary"], indent=1))
PY
rm -rf "$T"
