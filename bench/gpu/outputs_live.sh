#!/usr/bin/env bash
# ONE command on the GPU machine, from the repository root: does a window and a web viewer with a
# client slow the frame path? (issue 12: "with a display and a web client attached, the frame
# path's p50 and p99 stay within 5% of the run without outputs".)
#
#   here (Debian 12):  scripts/bundle-deps                 -> .deps/vrt-deps.tar.xz (~8 MB)
#   there:             bench/gpu/outputs_live.sh [DATA_DIR]  (carry .deps and the data folder)
#   BACKEND=cpu bench/gpu/outputs_live.sh ...               the same on the CPU backend: checks the
#                                                           script anywhere (its numbers mean little)
#
# The GPU machine has no SDL2, libmicrohttpd or X server: the build ($BUILD, default
# build-live-$BACKEND, only the vrt target) finds both libraries in the unpacked bundle
# ($BUILD-deps, through CMAKE_PREFIX_PATH; VRT_SDL2=ON and VRT_MHD=ON, so a miss fails the build),
# every `vrt` runs with LD_LIBRARY_PATH on it, and the window renders and presents into memory
# (SDL_VIDEODRIVER=offscreen unless DISPLAY names an X server). Then runs of ${SECONDS_PER_RUN:-15} s
# of YOLOX-Nano on a 640x480 YUYV synthetic source at ${FPS:-60} fps (5 on the CPU backend),
# ${ROUNDS:-3} rounds, each round every configuration once, the order rotated per round:
#   none         no outputs (the baseline)
#   display      -o display://0
#   display_web  -o display://0 -o http://127.0.0.1:PORT, and one client (mjpeg_reader.py) reading
#                /stream/0 for the whole run
# (CONFIGS="none display display_web pictures" adds -o pic.jpg: the picture drawn and encoded, no
# window.) The same flags otherwise (--overlay box,labels,conf,hud: with CUDA the picture of a sink
# that shows frames is drawn on the GPU). Per configuration: the median over the rounds of the --json
# summary's p50/p99 of `process` (launch -> done), `e2e` (exposure -> delivered) and `age`
# (exposure -> launch), fps and drops, every round's values, the sinks' statistics (the display's
# presented frames and result->presented latency, the web sink's JPEGs sent) and the client's
# JPEGs; then the differences to `none` in % and whether p50 and p99 of process and e2e stay
# within 5%. JSON into ${OUT:-bench/results}/outputs-live-<date>.json; exit 1 when a configuration
# could not run or showed nothing (no presented frame, no JPEG at the client).
set -uo pipefail
cd "$(dirname "$0")/../.."
D=${1:-.data}
O=${OUT:-bench/results}
BACKEND=${BACKEND:-cuda}
B=${BUILD:-build-live-$BACKEND}
mkdir -p "$O"
[ -d "$D" ] && export VRT_DATA=$PWD/$D
DEPS=$(scripts/bundle-deps --unpack "${DEPS_TAR:-.deps/vrt-deps.tar.xz}" "$B-deps") || exit 1
echo "libraries: $DEPS ($(sed -n 1p "$DEPS/MANIFEST" | cut -c3-))"

if [ "$BACKEND" = cpu ]; then
  ARCH=(-DVRT_CUDA=OFF)
  FPS=${FPS:-5}
else
  ARCH=(-DVRT_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}")
  FPS=${FPS:-60}
fi
cmake -S . -B "$B" "${ARCH[@]}" -DVRT_FFMPEG=OFF -DVRT_MQTT=OFF -DVRT_SDL2=ON -DVRT_MHD=ON \
  -DCMAKE_PREFIX_PATH="$DEPS" -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$DEPS/lib" \
  -DVRT_BUILD_TESTS=OFF -DVRT_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$O/outputs-live-build.log" 2>&1 &&
  cmake --build "$B" -j"${JOBS:-$(nproc)}" --target vrt_cli >>"$O/outputs-live-build.log" 2>&1 ||
  { tail -40 "$O/outputs-live-build.log"; exit 1; }
grep -o "visionrt: CUDA.*" "$O/outputs-live-build.log" | tail -1
# The build must have taken SDL2 and libmicrohttpd from the bundle, not from somewhere else.
for v in SDL2 MHD; do
  grep -q "^${v}_LIBDIR:INTERNAL=$DEPS/" "$B/CMakeCache.txt" ||
    echo "note: $v from $(grep "^${v}_LIBDIR:INTERNAL=" "$B/CMakeCache.txt" | cut -d= -f2), not the bundle"
done
# Only vrt runs with the bundle first on the loader's path: its libzstd, libexpat, libffi, ... are
# Debian 12's, and python3 or the CUDA tools of another distribution may want their own.
LIBS=$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
TMO=$((${SECONDS_PER_RUN:-15} + 120)) # a run that hangs (a window that never presents) ends here
vrt() { timeout "$TMO" env LD_LIBRARY_PATH="$LIBS" "$B/vrt" "$@"; }
[ -z "${DISPLAY:-}" ] && export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}
LD_LIBRARY_PATH=$LIBS ldd "$B/vrt" >>"$O/outputs-live-build.log" 2>&1
LD_LIBRARY_PATH=$LIBS ldd "$B/vrt" | grep "not found" && exit 1

M=${MODEL:-$D/models/yolox_nano/yolox_nano.onnx}
SRC="synthetic:?width=640&height=480&format=YUYV&fps=$FPS"
S=${SECONDS_PER_RUN:-15}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18081}
CONFIGS=${CONFIGS:-none display display_web}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
COMMON=(run -q -i "$SRC" -m "$M" --backend "$BACKEND" --overlay box,labels,conf,hud)

# Each output must open and deliver here before anything is timed (a few frames each). A window
# whose renderer does not present (an OpenGL driver that half works) gets SDL's software renderer.
presented() { # jsonl: the display sink presented every frame it got
  python3 -c 'import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
d = [o for o in s.get("sinks", []) if o["name"].startswith("display")]
sys.exit(0 if d and d[0]["written"] > 0 and d[0]["lost"] == 0 else 1)' "$1" 2>/dev/null
}
probe() { vrt "${COMMON[@]}" -n 3 --json "$T/probe.jsonl" -o "$1" >"$T/probe.log" 2>&1; }
if ! probe display://0 || ! presented "$T/probe.jsonl"; then
  echo "display://0 with SDL's default renderer: $(grep -v '^$' "$T/probe.log" | tail -2); trying the software renderer"
  export SDL_RENDER_DRIVER=software
  probe display://0 && presented "$T/probe.jsonl" ||
    { echo "display://0 does not work here: $(grep -v '^$' "$T/probe.log" | tail -3)"; exit 1; }
fi
probe "http://127.0.0.1:$PORT" ||
  { echo "http://127.0.0.1:$PORT does not open: $(grep -v '^$' "$T/probe.log" | tail -3)"; exit 1; }

run() { # config round
  local c=$1 r=$2 out=()
  case $c in
  none) ;;
  display) out=(-o display://0) ;;
  display_web) out=(-o display://0 -o "http://127.0.0.1:$PORT") ;;
  pictures) out=(-o "$T/pic.jpg") ;;
  *) echo "unknown configuration $c (none, display, display_web, pictures)"; exit 1 ;;
  esac
  if [ "$c" = display_web ]; then
    python3 bench/gpu/mjpeg_reader.py "http://127.0.0.1:$PORT/stream/0" --seconds "$((S + 30))" --wait 60 \
      --json "$T/client-$c-$r.json" >>"$T/$c.log" 2>&1 &
    local client=$!
  fi
  vrt "${COMMON[@]}" -d "$S" --json "$T/$c-$r.jsonl" "${out[@]}" >>"$T/$c.log" 2>&1 ||
    echo "round $r, $c: vrt exited $? ($(tail -1 "$T/$c.log"))"
  [ "$c" = display_web ] && wait "$client"
  true
}
read -r -a CFG <<<"$CONFIGS"
echo "measuring: ${CFG[*]} (${ROUNDS} rounds of ${S} s each, $BACKEND backend, $FPS fps, SDL video ${SDL_VIDEODRIVER:-x11})"
for r in $(seq 1 "$ROUNDS"); do
  n=${#CFG[@]}
  for k in $(seq 0 $((n - 1))); do
    run "${CFG[$(((k + r - 1) % n))]}" "$r"
  done
done

python3 - "$T" "$O/outputs-live-$(date -u +%Y-%m-%d).json" "$CONFIGS" "$BACKEND" "$FPS" "$S" <<'PY'
import glob, json, os, statistics, subprocess, sys
t, out, configs, backend, fps, seconds = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4], sys.argv[5], sys.argv[6]
STAGES, QS = ("process", "e2e", "age"), ("p50", "p99")
def summary(path):
    with open(path) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    return lines[-1] if lines and lines[-1].get("type") == "summary" else None
res = {"backend": backend, "source": "synthetic 640x480 YUYV @ %s fps" % fps, "seconds_per_run": float(seconds),
       "configs": {}, "delta_pct": {}, "within_5pct": {}, "problems": []}
for kind in configs:
    runs = [s for s in (summary(p) for p in sorted(glob.glob(os.path.join(t, kind + "-*.jsonl")))) if s]
    if not runs:
        log = os.path.join(t, kind + ".log")
        res["configs"][kind] = {"error": open(log).read()[-2000:] if os.path.exists(log) else "no run"}
        res["problems"].append(kind + ": no run finished")
        continue
    st = [r["streams"][0] for r in runs]
    c = {s: {q: statistics.median(x["latency_ms"][s][q] for x in st) for q in QS} for s in STAGES}
    c["per_round"] = {s: {q: [round(x["latency_ms"][s][q], 4) for x in st] for q in QS} for s in STAGES}
    c["fps"] = statistics.median(x["fps"] for x in st)
    c["dropped"] = statistics.median(x["dropped"] for x in st)
    c["rounds"] = len(runs)
    c["sinks"] = [{k: o.get(k) for k in ("name", "written", "dropped", "lost", "detail", "latency_ms")}
                  for o in runs[-1].get("sinks", []) if not o.get("name", "").startswith("jsonl:")]
    for o in c["sinks"]:
        if o["name"].startswith("display") and (not o["written"] or o["lost"]):
            res["problems"].append("%s: %s: %s presented, %s lost" % (kind, o["name"], o["written"], o["lost"]))
    clients = []
    for p in sorted(glob.glob(os.path.join(t, "client-%s-*.json" % kind))):
        with open(p) as f:
            clients.append(json.load(f))
    if clients:
        c["client"] = {"frames_per_round": [x["frames"] for x in clients], "fps": [x["fps"] for x in clients],
                       "bad_frames": sum(x["bad_frames"] for x in clients)}
        if min(x["frames"] for x in clients) == 0:
            res["problems"].append(kind + ": the web client got no JPEG in some round")
    elif kind == "display_web":
        res["problems"].append(kind + ": no client result")
    res["configs"][kind] = c
base = res["configs"].get("none", {})
for kind, c in res["configs"].items():
    if kind == "none" or "process" not in c or "process" not in base:
        continue
    d = {s: {q: round(100.0 * (c[s][q] / base[s][q] - 1.0), 2) for q in QS} for s in STAGES}
    res["delta_pct"][kind] = d
    if kind != "pictures":
        res["within_5pct"][kind] = all(d[s][q] <= 5.0 for s in ("process", "e2e") for q in QS)
try:
    res["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True).stdout.strip() or None
except OSError:
    res["gpu"] = None
res["cpu"] = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), None)
with open(out, "w") as f:
    json.dump(res, f, indent=1)
print(json.dumps({"p50_ms": {k: {s: round(c[s]["p50"], 3) for s in ("process", "e2e")}
                             for k, c in res["configs"].items() if "process" in c},
                  "p99_ms": {k: {s: round(c[s]["p99"], 3) for s in ("process", "e2e")}
                             for k, c in res["configs"].items() if "process" in c},
                  "delta_pct": res["delta_pct"], "within_5pct": res["within_5pct"], "problems": res["problems"],
                  "sinks": {k: [(o["name"], o["written"], o["lost"], o["detail"]) for o in c.get("sinks", [])]
                            for k, c in res["configs"].items()},
                  "client": {k: c["client"] for k, c in res["configs"].items() if "client" in c}}, indent=1))
print("written to", out)
sys.exit(1 if res["problems"] else 0)
PY
