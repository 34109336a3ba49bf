#!/usr/bin/env bash
# On the GPU machine, from the repository root: builds (Release, sm_90), runs the
# CUDA tests, then bench_gpu.py. Logs and the JSON go to ${OUT:-bench/results}.
#   bench/gpu/run.sh [--skip-tests] [bench_gpu.py arguments...]
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTD=${OUT:-bench/results}
mkdir -p "$OUTD"
SKIP_TESTS=0
if [ "${1:-}" = "--skip-tests" ]; then SKIP_TESTS=1; shift; fi
export PYTHONUNBUFFERED=1
[ -d .data ] && export VRT_DATA=$PWD/.data   # read by cmake for the tests' environment
cmake -S . -B build-gpu -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$OUTD/build.log" 2>&1 &&
  cmake --build build-gpu -j"$(nproc)" --target bench_engine test_cuda_backend test_cuda_kernels test_cuda_vision >>"$OUTD/build.log" 2>&1 ||
  { tail -40 "$OUTD/build.log"; exit 1; }
echo "build ok"
if [ "$SKIP_TESTS" = 0 ]; then
  ctest --test-dir build-gpu -R 'test_cuda_(backend|kernels|vision)$' --output-on-failure --timeout 400 >"$OUTD/ctest.log" 2>&1
  echo "ctest rc $?"; grep -E "tests passed|Passed|Failed|FAIL|max abs diff" "$OUTD/ctest.log" | tail -40
fi
python3 bench/gpu/bench_gpu.py --engine build-gpu/bench/bench_engine --out "$OUTD/gpu-$(date -u +%Y-%m-%d).json" "$@" 2>&1 | tee "$OUTD/bench.log" | grep -v Warning
