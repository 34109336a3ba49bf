#!/usr/bin/env bash
# On the GPU machine, from the repository root: the whole GPU check in one go.
#   bench/gpu/full_check.sh [SECONDS]      (default 380: everything stops by then)
# 1. builds the whole tree (Release, sm_90, no FFmpeg) in build-gpu;
# 2. bench/gpu/framepath.sh (frame-path and model timings, per-node profiles,
#    YOLOX fp16 numerics) on a quiet GPU;
# 3. ctest -L gpu (all GPU tests) and, side by side, every GPU test binary
#    under compute-sanitizer --tool memcheck (until the deadline; unfinished
#    ones are reported with rc 124).
# Logs and results go to ${OUT:-bench/results}/full; with OUT set, also packed
# into $OUT/full.tgz (summary.txt next to it).
set -uo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
LIMIT=${1:-380}
left() { echo $((T0 + LIMIT - $(date +%s))); }
R=${OUT:-bench/results}/full
mkdir -p "$R" && R=$(cd "$R" && pwd)
SUM=${OUT:-$R}/summary.txt
log() { echo "$*" | tee -a "$SUM"; }
[ -d .data ] && export VRT_DATA=$PWD/.data
log "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
if cmake -S . -B build-gpu -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$R/build.log" 2>&1 &&
  timeout $(($(left) - 120)) cmake --build build-gpu -j"$(nproc)" >>"$R/build.log" 2>&1; then
  log "build ok ($(($(date +%s) - T0)) s)"
else
  log "BUILD FAILED:"; grep -E "error|Error" "$R/build.log" | head -20 | tee -a "$SUM"
fi
OUT=$R timeout 150 bench/gpu/framepath.sh build-gpu .data 2>&1 | tee -a "$SUM"
log "framepath done ($(($(date +%s) - T0)) s)"
# Then, on a GPU no benchmark uses any more: ctest and memcheck side by side.
CS=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
TL=$(($(left) - 15))
pids=()
if [ -n "$CS" ]; then
  log "memcheck: $TL s for it ($CS)"
  for t in build-gpu/tests/gpu/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    # own working folder (test_cuda_backend unpacks the ONNX node tests into its cwd, as ctest's copy does)
    mkdir -p "$PWD/build-gpu/mc/$n"
    (cd "build-gpu/mc/$n" && timeout "$TL" "$CS" --tool memcheck --error-exitcode 99 "../../tests/gpu/$n" >"$R/memcheck-$n.log" 2>&1; echo "$n rc $?" >"$R/memcheck-$n.rc") &
    pids+=($!)
  done
else
  log "compute-sanitizer not found"
fi
(cd build-gpu && timeout "$TL" ctest -L gpu --output-on-failure --timeout 200 >"$R/ctest.log" 2>&1)
log "ctest -L gpu rc $? ($(($(date +%s) - T0)) s):"
grep -E "tests passed|tests failed|Test +#|\*\*\*|node tests|fp16 set|yolox fp16|CUDA FAIL|FAIL|layout conversions|fp16 Concat" "$R/ctest.log" | tail -45 | tee -a "$SUM"
[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"
for f in "$R"/memcheck-*.rc; do
  [ -f "$f" ] || continue
  n=$(basename "$f" .rc); n=${n#memcheck-}
  log "memcheck $(cat "$f") (124: cut at the deadline): $(grep -E "ERROR SUMMARY" "$R/memcheck-$n.log" | tail -1) | $(grep -E "passed, .* failed" "$R/memcheck-$n.log" | tail -1)"
done
log "done ($(($(date +%s) - T0)) s)"
if [ -n "${OUT:-}" ]; then
  # what comes back is limited (16 MiB a file): the analysis is in numerics.txt
  find "$R" -name 'yolox-out-*.bin' ! -name 'yolox-out-fp16.bin' -delete
  for f in "$R"/memcheck-*.log "$R"/ctest.log "$R"/build.log; do
    [ -f "$f" ] && [ "$(wc -l <"$f")" -gt 4000 ] && { head -1000 "$f"; echo "[...]"; tail -3000 "$f"; } >"$f.cut" && mv "$f.cut" "$f"
  done
  tar czf "$OUT/full.tgz" -C "$R" . 2>/dev/null
  rm -rf "$R"
fi
