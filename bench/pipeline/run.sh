#!/usr/bin/env bash
# On the GPU machine, from the repository root: build (Release, sm_90), the
# pipeline/session GPU tests, `vrt run --backend cuda` end to end, the
# comparison benchmark, then the remaining GPU tests. Logs to ${OUT:-bench/results}.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTD=${OUT:-bench/results}
mkdir -p "$OUTD"
export PYTHONUNBUFFERED=1
[ -d .data ] && export VRT_DATA=$PWD/.data
B=build-gpu
cmake -S . -B $B -DVRT_FFMPEG=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DVRT_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$OUTD/build.log" 2>&1 &&
  cmake --build $B -j"$(nproc)" --target vrt_cli bench_pipeline test_pipeline_cuda test_session_cuda >>"$OUTD/build.log" 2>&1 ||
  { tail -40 "$OUTD/build.log"; exit 1; }
echo "build ok ($SECONDS s)"
timeout 150 ctest --test-dir $B -R 'test_(pipeline|session)_cuda$' --output-on-failure >"$OUTD/ctest-pipeline.log" 2>&1
echo "pipeline/session gpu tests rc $?"; grep -E "cuda synthetic|Passed|Failed|FAIL|\*\*\*|tests passed" "$OUTD/ctest-pipeline.log" | tail -20
M=$VRT_DATA/models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx
P=models/squeezenet.conf
timeout 60 $B/vrt run -m $M --profile $P --backend cuda -i "synthetic:?fps=60" -i "synthetic:?fps=30&width=320&height=240&format=RGB24" \
  --frames 120 --json "$OUTD/run-cuda.jsonl" --report "$OUTD/run-cuda.html" >"$OUTD/run-cuda.txt" 2>&1
echo "vrt run cuda synthetic rc $?"; tail -12 "$OUTD/run-cuda.txt"
timeout 60 $B/vrt run -m $M --profile $P --backend cuda -i "image:$VRT_DATA/images/jetson/dog_2.jpg?loop=1&fps=20" --frames 3 \
  --policy all --print >"$OUTD/run-cuda-image.txt" 2>&1
echo "vrt run cuda image rc $?"; grep -E "frame|golden" "$OUTD/run-cuda-image.txt" | head -4
timeout 240 python3 bench/pipeline/bench_pipeline.py --video .data/video/people.mp4 --bench $B/bench/bench_pipeline \
  --out "$OUTD/pipeline-$(date -u +%Y-%m-%d).json" 2>&1 | tee "$OUTD/bench.log" | grep -v Warning | tail -20
echo "bench done ($SECONDS s)"
# The rest of the GPU tests with what time is left.
left=$(( ${BUDGET:-440} - SECONDS - 10 ))
if [ $left -gt 60 ]; then
  cmake --build $B -j"$(nproc)" >>"$OUTD/build.log" 2>&1
  timeout $(( ${BUDGET:-440} - SECONDS - 5 )) ctest --test-dir $B -L gpu --output-on-failure >"$OUTD/ctest-gpu.log" 2>&1
  echo "ctest -L gpu rc $?"; grep -E "tests passed|Failed|\*\*\*" "$OUTD/ctest-gpu.log" | tail -12
fi
