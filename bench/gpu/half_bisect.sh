#!/usr/bin/env bash
# On the GPU machine: YOLOX-Nano output 0 with fp16 NHWC storage against the
# fp32 run (and the reference output), under VRT_CUDA_HALF_SKIP settings that
# keep parts of the network in fp32 (backend_cuda.c: half_skipped), to find
# where an fp16 difference comes from.
#   bench/gpu/half_bisect.sh [BENCH_ENGINE] [DATA_DIR]
B=${1:-build-gpu/bench/bench_engine}
D=${2:-.data}
M=$D/models/yolox_nano/yolox_nano.onnx
T=$(mktemp -d)
export VRT_CACHE_DIR=$T/cache
tail -c $((3 * 416 * 416 * 4)) "$D/models/yolox_nano/test_data_set_0/input_0.pb" >"$T/in.bin"
tail -c $((3549 * 85 * 4)) "$D/models/yolox_nano/test_data_set_0/output_0.pb" >"$T/want.bin"
one() { # name, env...
  local name=$1; shift
  if ! env "$@" "$B" "$M" --iters 1 --warmup 0 --inputs "$T/in.bin" --count 1 --outputs "$T/$name.bin" >/dev/null 2>"$T/err"; then
    echo "$name: FAILED: $(tail -2 "$T/err")"; return
  fi
  python3 - "$T" "$name" <<'PY'
import sys, numpy as np
t, n = sys.argv[1], sys.argv[2]
got = np.fromfile(f"{t}/{n}.bin", np.float32).reshape(3549, 85)
want = np.fromfile(f"{t}/want.bin", np.float32).reshape(3549, 85)
ref = np.fromfile(f"{t}/fp32.bin", np.float32).reshape(3549, 85) if n != "fp32" else want
d = np.abs(got - ref); i = np.unravel_index(np.argmax(d), d.shape)
dw = np.abs(got - want).max()
cols = {"box": d[:, :4].max(), "obj": d[:, 4].max(), "cls": d[:, 5:].max()}
lv = {"s8": d[:2704].max(), "s16": d[2704:3380].max(), "s32": d[3380:].max()}
print(f"{n:28s} max|d| vs fp32 {d.max():.4g} at anchor {i[0]} ch {i[1]} (got {got[i]:.4g} fp32 {ref[i]:.4g}); vs reference {dw:.4g}; "
      + " ".join(f"{k} {v:.3g}" for k, v in {**cols, **lv}.items()))
PY
}
one fp32 VRT_CUDA_MATH=fp32
one fp16 VRT_CUDA_MATH=fp16
one fp16-dw-cudnn VRT_CUDA_MATH=fp16 VRT_CUDA_DW=cudnn
one fp16-nofuse VRT_CUDA_MATH=fp16 VRT_CUDA_NOFUSE=1
[ "${HB_QUICK:-0}" = 1 ] && { rm -rf "$T"; exit 0; }
for sk in group pool conv gap; do one "fp16-skip-$sk" VRT_CUDA_MATH=fp16 VRT_CUDA_HALF_SKIP=$sk; done
for n in 10 20 30 40 60 80 100 120 140 160 180 200 240 280; do one "fp16-to-$n" VRT_CUDA_MATH=fp16 VRT_CUDA_HALF_SKIP=to=$n; done
for n in 20 40 60 80 100 120 140 160 200; do one "fp16-from-$n" VRT_CUDA_MATH=fp16 VRT_CUDA_HALF_SKIP=from=$n; done
rm -rf "$T"
