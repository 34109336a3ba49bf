#!/usr/bin/env bash
# On the GPU machine, from the repository root: the same GPU numbers for two source trees in ONE run.
#   bench/gpu/before_after.sh [BASE_SRC] [LABEL]     (BASE_SRC default .base: an exported older tree)
# Builds BASE_SRC (into bB) and this tree (into bH) side by side (Release, sm_90, no FFmpeg), exports
# ResNet-18/50 and MobileNetV2 from torchvision once (random weights, seed 0, opset 17), then, alternating
# base and head REPS times per case so drift hits both alike:
#   model: bench_engine MODEL --math fp16|fp32  (gpu p50 = one graph replay incl. fp32 input H2D + D2H)
#   frame: bench_engine yolox/squeezenet --session PROFILE (640x480 YUYV in pinned memory -> result on host)
# and writes ${OUT:-bench/results}/before-after-LABEL.json with the medians and every run.
set -uo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:-.base}
LABEL=${2:-$(date -u +%Y-%m-%d)}
O=${OUT:-bench/results}
mkdir -p "$O"
D=$(cd "${VRT_DATA:-.data}" && pwd)
N=${ITERS:-1000}
REPS=${REPS:-3}
T=$(mktemp -d)
log() { echo "$*" | tee -a "$O/before-after.log"; }
cfg() { cmake -S "$1" -B "$2" -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF -DCMAKE_BUILD_TYPE=Release -DVRT_BUILD_TESTS=OFF >"$T/$3.log" 2>&1 &&
  cmake --build "$2" -j"$(($(nproc) / 2))" --target bench_engine >>"$T/$3.log" 2>&1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cfg "$BASE" bB base & pb=$!
  cfg . bH head & ph=$!
  wait $pb || { log "base build failed"; tail -30 "$T/base.log"; exit 1; }
  wait $ph || { log "head build failed"; tail -30 "$T/head.log"; exit 1; }
  log "builds ok"
fi
python3 - "$T" <<'PY'
import sys, torch, torchvision
for name in ("resnet18", "resnet50", "mobilenet_v2"):
    torch.manual_seed(0)
    m = getattr(torchvision.models, name)(weights=None).eval()
    if name == "mobilenet_v2":
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity="relu")
    torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), f"{sys.argv[1]}/{name}.onnx", opset_version=17,
                      input_names=["input"], output_names=["logits"], dynamo=False)
PY
Y=$D/models/yolox_nano/yolox_nano.onnx
S=$D/models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx
# case TREE KIND NAME MATH -> JSON on stdout
one() {
  local b=$1 kind=$2 model=$3 math=$4 prof=$5 m=()
  export VRT_CACHE_DIR=$T/cache-$(basename "$b")
  # the older tree reads the session's precision from VRT_CUDA_MATH, the newer from --math (env: override)
  if [ "$math" != auto ]; then m=(--math "$math"); export VRT_CUDA_MATH=$math; else unset VRT_CUDA_MATH; fi
  if [ "$kind" = model ]; then
    "$b/bench/bench_engine" "$model" "${m[@]}" --iters "$N" --warmup 200
  else
    "$b/bench/bench_engine" "$model" "${m[@]}" --session "$prof" --iters "$N" --warmup 200
  fi
}
echo "[" >"$T/runs.json"
first=1
for c in "model resnet18 $T/resnet18.onnx fp16 -" "model resnet50 $T/resnet50.onnx fp16 -" "model mobilenet_v2 $T/mobilenet_v2.onnx fp16 -" \
         "model resnet50 $T/resnet50.onnx fp32 -" "model yolox_nano $Y fp16 -" "model squeezenet $S auto -" \
         "frame yolox_nano $Y fp16 models/yolox.conf" "frame squeezenet $S auto models/squeezenet.conf"; do
  set -- $c
  for r in $(seq "$REPS"); do
    for tree in bB bH; do
      src=.; [ $tree = bB ] && src=$BASE
      j=$( (cd "$src" && one "$OLDPWD/$tree" "$1" "$3" "$4" "$5") 2>"$T/err.txt")
      rc=$?
      [ $first = 1 ] || echo "," >>"$T/runs.json"; first=0
      python3 -c 'import json,sys; d=json.loads(sys.argv[5] or "{}") if sys.argv[6]=="0" else {"error": open(sys.argv[7]).read()[-800:]}
print(json.dumps({"tree": sys.argv[1], "kind": sys.argv[2], "model": sys.argv[3], "math": sys.argv[4], "rep": int(sys.argv[8]), "result": d}))' \
        $tree "$1" "$2" "$4" "$j" $rc "$T/err.txt" "$r" >>"$T/runs.json" || echo '{}' >>"$T/runs.json"
      log "$tree $1 $2 $4 rep $r rc $rc: $(echo "$j" | grep -o '"p50": [0-9.]*' | head -2 | tr '\n' ' ')"
    done
  done
done
echo "]" >>"$T/runs.json"
python3 - "$T/runs.json" "$O/before-after-$LABEL.json" "$BASE" <<'PY'
import json, statistics, subprocess, sys
runs = json.load(open(sys.argv[1]))
def p50(r, key):
    try: return r["result"][key]["p50"]
    except Exception: return None
summary = {}
for r in runs:
    k = f'{r["kind"]} {r["model"]} {r["math"]}'
    key = "gpu" if r["kind"] == "model" else "host"
    v = p50(r, key)
    if v is not None:
        summary.setdefault(k, {}).setdefault(r["tree"], []).append(v)
tab = {}
for k, d in summary.items():
    b, h = d.get("bB"), d.get("bH")
    row = {"base_p50_ms": statistics.median(b) if b else None, "head_p50_ms": statistics.median(h) if h else None,
           "base_runs": b, "head_runs": h}
    if b and h: row["head_over_base"] = row["head_p50_ms"] / row["base_p50_ms"]
    tab[k] = row
smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
try:
    import torch; tv = {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
except Exception: tv = {}
json.dump({"gpu": smi, "versions": tv, "base": sys.argv[3], "metric": "model: gpu p50 (graph replay incl. I/O); frame: host p50 of the session frame path",
           "summary": tab, "runs": runs}, open(sys.argv[2], "w"), indent=1)
for k, r in tab.items():
    print(f'{k:40s} base {r["base_p50_ms"]} head {r["head_p50_ms"]} ratio {r.get("head_over_base")}')
PY
