#!/usr/bin/env bash
# ONE command on the GPU machine, from the repository root: do outputs slow the frame path?
# (issue 12: overlay drawn on the GPU adds at most 0.1 ms to the frame path p50; with a web client
# and a window attached, p50 and p99 stay within 5% of the run without outputs.)
#   bench/gpu/outputs.sh [DATA_DIR]                     JSON + logs into ${OUT:-bench/results}
# Builds build-gpu (vrt and test_pictures_cuda; -DVRT_FFMPEG=OFF, the other output libraries
# when found) unless VRT_BIN names a vrt binary. Then runs of ${SECONDS_PER_RUN:-15} s of
# YOLOX-Nano (CUDA) on a 640x480 YUYV synthetic source at ${FPS:-60} fps, ${ROUNDS:-3} rounds
# alternating the configurations:
#   none      no outputs (the baseline)
#   pictures  -o DIR/pic.jpg: every result's picture drawn on the GPU on the frame path
#             (box,labels,conf,hud, downloaded once), the files sink only encodes it
#   http      -o http://127.0.0.1:PORT with one curl client reading the MJPEG stream (pictures
#             drawn on the GPU too); skipped when this build has no libmicrohttpd
#   display   -o display://0 under Xvfb (or $DISPLAY); skipped without SDL2 or an X server
# Per configuration: medians over the rounds of the --json summary's p50/p99 of `process`
# (launch -> done), `e2e` (exposure -> delivered) and `age` (exposure -> launch: what a frame
# waits, which grows if drawing the previous picture delays it), and fps; then the differences
# to `none` (ms) and ratios. The picture is drawn after the result is delivered (vrt/pipeline.h
# "Pictures"), so its own time shows in `age`/`period`, not in e2e: the JSON also carries
# test_pictures_cuda's timing of one vrt_session_render (draw + download) at 640x480.
set -uo pipefail
cd "$(dirname "$0")/../.."
D=${1:-.data}
O=${OUT:-bench/results}
mkdir -p "$O"
[ -d "$D" ] && export VRT_DATA=$PWD/$D
V=${VRT_BIN:-}
if [ -z "$V" ]; then
  cmake -S . -B build-gpu -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=Release >"$O/outputs-build.log" 2>&1 &&
    cmake --build build-gpu -j"$(nproc)" --target vrt_cli test_pictures_cuda >>"$O/outputs-build.log" 2>&1 ||
    { tail -40 "$O/outputs-build.log"; exit 1; }
  grep -o "visionrt: CUDA.*" "$O/outputs-build.log" | head -1
  V=build-gpu/vrt
fi
M=${MODEL:-$D/models/yolox_nano/yolox_nano.onnx}
SRC="synthetic:?width=640&height=480&format=YUYV&fps=${FPS:-60}"
S=${SECONDS_PER_RUN:-15}
T=$(mktemp -d)
XVFB_PID=
trap '[ -n "$XVFB_PID" ] && kill $XVFB_PID 2>/dev/null; rm -rf "$T"' EXIT
run() { # name, extra args...
  local name=$1
  shift
  "$V" run -q -i "$SRC" -m "$M" --backend cuda -d "$S" --overlay box,labels,conf,hud --json "$T/$name-$r.jsonl" "$@" \
    >>"$T/$name.log" 2>&1
}
# Which outputs this build and machine can measure.
CONFIGS="none pictures"
PORT=${PORT:-18080}
if "$V" run -q -i "$SRC" -m "$M" --backend cuda -n 1 -o "http://127.0.0.1:$PORT" >"$T/probe-http.log" 2>&1; then
  if command -v curl >/dev/null; then CONFIGS="$CONFIGS http"; else echo "http: skipped (no curl)"; fi
else
  echo "http: skipped ($(head -1 "$T/probe-http.log"))"
fi
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
  Xvfb :93 -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  export DISPLAY=:93
  sleep 1
fi
if [ -n "${DISPLAY:-}" ] && "$V" run -q -i "$SRC" -m "$M" --backend cuda -n 1 -o display://0 >"$T/probe-display.log" 2>&1; then
  CONFIGS="$CONFIGS display"
else
  echo "display: skipped ($([ -n "${DISPLAY:-}" ] && head -1 "$T/probe-display.log" || echo 'no DISPLAY and no Xvfb'))"
fi
echo "measuring: $CONFIGS (${ROUNDS:-3} rounds of ${S} s each)"
for r in $(seq 1 "${ROUNDS:-3}"); do
  for c in $CONFIGS; do
    case $c in
    none) run none ;;
    pictures) run pictures -o "$T/pic.jpg" ;;
    display) run display -o display://0 ;;
    http)
      run http -o "http://127.0.0.1:$PORT" &
      P=$!
      sleep 3
      curl -s -o /dev/null --max-time "$((S - 2))" "http://127.0.0.1:$PORT/stream.mjpg" || true
      wait $P
      ;;
    esac
  done
done
# One vrt_session_render (overlay kernel + download of the 640x480 picture), from the GPU test.
RENDER=$T/render.txt
[ -x build-gpu/tests/gpu/test_pictures_cuda ] && build-gpu/tests/gpu/test_pictures_cuda >"$RENDER" 2>&1
python3 - "$T" "$O/outputs-$(date -u +%Y-%m-%d).json" "$CONFIGS" "$RENDER" <<'PY'
import glob, json, os, re, statistics, subprocess, sys
t, out, configs, render = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
def summ(path):
    with open(path) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    return lines[-1] if lines and lines[-1].get("type") == "summary" else None
res = {"configs": {}, "delta_ms": {}, "ratio": {}}
for kind in configs:
    runs = [s for s in (summ(p) for p in sorted(glob.glob(os.path.join(t, kind + "-*.jsonl")))) if s]
    if not runs:
        res["configs"][kind] = {"error": open(os.path.join(t, kind + ".log")).read()[-2000:]}
        continue
    lat = lambda st, q: statistics.median(r["streams"][0]["latency_ms"][st][q] for r in runs)
    c = {st: {q: lat(st, q) for q in ("p50", "p99")} for st in ("process", "e2e", "age", "period")}
    c["fps"] = statistics.median(r["streams"][0]["fps"] for r in runs)
    c["dropped"] = statistics.median(r["streams"][0]["dropped"] for r in runs)
    c["rounds"] = len(runs)
    c["sinks"] = runs[-1].get("sinks", [])
    res["configs"][kind] = c
base = res["configs"].get("none", {})
for kind, c in res["configs"].items():
    if kind == "none" or "error" in c or "process" not in base:
        continue
    res["delta_ms"][kind] = {st: {q: c[st][q] - base[st][q] for q in ("p50", "p99")} for st in ("process", "e2e", "age")}
    res["ratio"][kind] = {st: {q: c[st][q] / base[st][q] for q in ("p50", "p99")} for st in ("process", "e2e")}
if "pictures" in res["delta_ms"]:
    d = res["delta_ms"]["pictures"]
    res["pictures_p50_added_ms"] = max(d["e2e"]["p50"], d["process"]["p50"], d["age"]["p50"])
    res["pictures_within_0.1ms"] = res["pictures_p50_added_ms"] <= 0.1
for kind in ("http", "display"):
    if kind in res["ratio"]:
        r = res["ratio"][kind]
        res[kind + "_within_5pct"] = all(r[st][q] <= 1.05 for st in ("process", "e2e") for q in ("p50", "p99"))
try:
    txt = open(render).read()
    m = re.findall(r"render (\d+)x(\d+) (\w+): ([0-9.]+) ms", txt)
    res["session_render_ms"] = {"%sx%s %s" % (w, h, f): float(v) for w, h, f, v in m}
except OSError:
    pass
try:
    res["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True).stdout.strip()
except OSError:
    res["gpu"] = None
with open(out, "w") as f:
    json.dump(res, f, indent=1)
short = {k: v for k, v in res.items() if k != "configs"}
short["p50_ms"] = {k: {st: round(c[st]["p50"], 3) for st in ("process", "e2e", "age")}
                   for k, c in res["configs"].items() if "process" in c}
print(json.dumps(short, indent=1, default=str)[:4000])
print("written to", out)
PY
