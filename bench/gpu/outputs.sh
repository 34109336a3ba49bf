#!/usr/bin/env bash
# On the GPU machine, from the repository root, after a build: does a window and a web client
# slow the frame path? (issue 12: p50 and p99 within 5% of the run without outputs.)
#   bench/gpu/outputs.sh [BUILD_DIR] [DATA_DIR]        (JSON into ${OUT:-bench/results})
# Runs of ${SECONDS_PER_RUN:-20} s of YOLOX-Nano on a 640x480 YUYV synthetic source at
# ${FPS:-60} fps, alternating ${ROUNDS:-3} times: no outputs; -o display://0 (under Xvfb when
# there is no DISPLAY) -o http://127.0.0.1:PORT with one client reading the MJPEG stream (curl).
# Compares the `process` (launch -> done) and `e2e` p50/p99 of the --json summaries; medians of
# the rounds.
set -euo pipefail
B=${1:-build-gpu}
D=${2:-.data}
O=${OUT:-bench/results}
mkdir -p "$O"
V=$B/vrt
M=${MODEL:-$D/models/yolox_nano/yolox_nano.onnx}
SRC="synthetic:?width=640&height=480&format=YUYV&fps=${FPS:-60}"
T=$(mktemp -d)
XVFB_PID=
if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "no DISPLAY and no Xvfb (apt-get install xvfb)"; exit 1; }
  Xvfb :93 -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  export DISPLAY=:93
  sleep 1
fi
trap '[ -n "$XVFB_PID" ] && kill $XVFB_PID; rm -rf "$T"' EXIT
PORT=${PORT:-18080}
for r in $(seq 1 "${ROUNDS:-3}"); do
  "$V" run -q -i "$SRC" -m "$M" --backend "${BACKEND:-cuda}" -d "${SECONDS_PER_RUN:-20}" --json "$T/none-$r.jsonl" >/dev/null
  "$V" run -q -i "$SRC" -m "$M" --backend "${BACKEND:-cuda}" -d "${SECONDS_PER_RUN:-20}" --json "$T/outputs-$r.jsonl" \
    -o display://0 -o "http://127.0.0.1:$PORT" >/dev/null &
  P=$!
  sleep 3
  curl -s -o /dev/null --max-time "$((${SECONDS_PER_RUN:-20} - 2))" "http://127.0.0.1:$PORT/stream.mjpg" || true
  wait $P
done
python3 - "$T" "$O/outputs-$(date +%Y-%m-%d).json" <<'PY'
import glob, json, os, statistics, subprocess, sys
t, out = sys.argv[1], sys.argv[2]
def summ(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()][-1]
res = {}
for kind in ("none", "outputs"):
    runs = [summ(p) for p in sorted(glob.glob(os.path.join(t, kind + "-*.jsonl")))]
    lat = lambda st, q: statistics.median(r["streams"][0]["latency_ms"][st][q] for r in runs)
    res[kind] = {st: {q: lat(st, q) for q in ("p50", "p99")} for st in ("process", "e2e")}
    res[kind]["fps"] = statistics.median(r["streams"][0]["fps"] for r in runs)
    res[kind]["sinks"] = runs[-1]["sinks"]
res["ratio"] = {st: {q: res["outputs"][st][q] / res["none"][st][q] for q in ("p50", "p99")} for st in ("process", "e2e")}
try:
    res["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True).stdout.strip()
except OSError:
    res["gpu"] = None
with open(out, "w") as f:
    json.dump(res, f, indent=1)
print(json.dumps({k: res[k] for k in ("none", "outputs", "ratio")}, indent=1, default=str)[:3000])
print("written to", out)
PY
