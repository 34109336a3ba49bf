#!/usr/bin/env bash
# On the GPU machine, from the repository root, after a build with bench_engine:
# the issue's frame-path targets and where the time goes.
#   bench/gpu/framepath.sh [BUILD_DIR] [DATA_DIR]       (logs and JSON into ${OUT:-bench/results})
# Per model: bench_engine alone (model only: one graph replay incl. the fp32
# input H2D and output D2H) with a per-node eager profile (--profile), then the
# session frame path (--session): 640x480 YUYV frame in page-locked memory ->
# upload -> one pre-processing kernel -> model -> top-5 / YOLOX decode + NMS ->
# result on the host, one CUDA graph per slot. The frame is DATA_DIR/frame_640x480.yuyv
# (the YOLOX test image, letterbox content, scaled to 640x480 and converted
# to YUYV BT.601) when present, else a synthetic pattern.
# YOLOX numerics: output 0 of the three reference inputs in fp32/tf32/fp16,
# raw fp32 (yolox-out-MATH.bin, for bench/gpu/fp16_emulate.py --ours), and
# their difference to the reference outputs (numerics.txt; needs numpy).
B=${1:-build-gpu}
D=${2:-.data}
O=${OUT:-bench/results}
mkdir -p "$O"
E=$B/bench/bench_engine
Y=$D/models/yolox_nano/yolox_nano.onnx
S=$D/models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx
F=$D/frame_640x480.yuyv
FR=()
[ -f "$F" ] && FR=(--frame "$F")
N=${FP_ITERS:-1000}
export VRT_CACHE_DIR=${VRT_CACHE_DIR:-$(mktemp -d)/cache}
for m in ${FP_MATHS:-fp32 tf32 fp16}; do
  "$E" "$Y" --math "$m" --iters "$N" --warmup 200 --profile "$O/prof-yolox-$m.txt" --engines "$O/engines-yolox-$m.txt" >"$O/model-yolox-$m.json" 2>"$O/model-yolox-$m.err"
  echo "yolox model $m: $(grep -o '"gpu": {[^}]*}' "$O/model-yolox-$m.json" | grep -o '"p50": [0-9.]*') $(tail -1 "$O/model-yolox-$m.err")"
  "$E" "$Y" --math "$m" --session models/yolox.conf "${FR[@]}" --iters "$N" --warmup 200 >"$O/frame-yolox-$m.json" 2>"$O/frame-yolox-$m.err"
  echo "yolox frame $m: $(grep -o '"host": {[^}]*}' "$O/frame-yolox-$m.json" | grep -o '"p50": [0-9.]*') $(grep -o '"detections": [-0-9]*' "$O/frame-yolox-$m.json") $(grep -o '"stages_p50_ms": {[^}]*}' "$O/frame-yolox-$m.json") $(tail -1 "$O/frame-yolox-$m.err")"
done
"$E" "$S" --iters "$N" --warmup 200 --profile "$O/prof-squeezenet.txt" >"$O/model-squeezenet.json" 2>"$O/model-squeezenet.err"
echo "squeezenet model: $(grep -o '"gpu": {[^}]*}' "$O/model-squeezenet.json") $(tail -1 "$O/model-squeezenet.err")"
"$E" "$S" --session models/squeezenet.conf "${FR[@]}" --iters "$N" --warmup 200 >"$O/frame-squeezenet.json" 2>"$O/frame-squeezenet.err"
echo "squeezenet frame: $(grep -o '"host": {[^}]*}' "$O/frame-squeezenet.json") $(grep -o '"top1": [-0-9]*' "$O/frame-squeezenet.json") $(grep -o '"stages_p50_ms": {[^}]*}' "$O/frame-squeezenet.json") $(tail -1 "$O/frame-squeezenet.err")"
if [ "${FP_NUMERICS:-1}" = 1 ]; then
  T=$(mktemp -d)
  for k in 0 1 2; do
    tail -c $((3 * 416 * 416 * 4)) "$D/models/yolox_nano/test_data_set_$k/input_0.pb" >>"$T/in.bin"
    tail -c $((3549 * 85 * 4)) "$D/models/yolox_nano/test_data_set_$k/output_0.pb" >>"$T/want.bin"
  done
  for m in fp32 tf32 fp16; do
    "$E" "$Y" --math "$m" --iters 1 --warmup 0 --inputs "$T/in.bin" --count 3 --outputs "$O/yolox-out-$m.bin" >/dev/null 2>>"$O/numerics.err"
  done
  python3 - "$T/want.bin" "$O" >"$O/numerics.txt" 2>&1 <<'PY'
import glob, os, sys
import numpy as np
want = np.fromfile(sys.argv[1], np.float32).reshape(3, 3549, 85)
for f in sorted(glob.glob(os.path.join(sys.argv[2], "yolox-out-*.bin"))):
    got = np.fromfile(f, np.float32)
    if got.size != want.size:
        print(f"{os.path.basename(f)}: {got.size} floats, want {want.size}"); continue
    got = got.reshape(want.shape)
    for k in range(3):
        w, g = want[k], got[k]
        d = np.abs(g - w)
        hot = w[:, 4] * w[:, 5:].max(1) >= 0.3
        sw, sg = w[:, 4] * w[:, 5:].max(1), g[:, 4] * g[:, 5:].max(1)
        print(f"{os.path.basename(f):26s} set {k}: all anchors box {d[:, :4].max():.4g} obj/cls {d[:, 4:].max():.4g}; "
              f"{int(hot.sum())} scoring anchors box {d[hot, :4].max():.4g} score {np.abs(sg - sw)[hot].max():.4g}")
PY
  cat "$O/numerics.txt"
  rm -rf "$T"
fi
for f in "$O"/prof-*.txt; do
  [ -f "$f" ] || continue
  echo "$(basename "$f"): $(grep '^# total' "$f" | cut -c3-) | $(grep -E '^# [A-Za-z]' "$f" | grep -v '^# total' | sort -k3 -rn | head -6 | awk '{printf "%s %s; ", $2, $3}')"
done
