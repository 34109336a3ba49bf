#!/usr/bin/env python3
"""Python overhead per frame: visionrt.Session.run against the C call it wraps (vrt_session_run),
same model, same frame, same backend, alternating rounds in one run.

The model is tests/python/tiny_model.py's (GlobalAveragePool + Flatten on 8x8, a few microseconds),
so the difference is the binding: argument parsing, the buffer protocol, releasing the GIL, building
the Result. A real model can be given instead (--model/--profile/--width/--height).

usage: bench/python/bench_overhead.py --bench BUILD/bench/bench_session_run [--backend cpu|cuda]
                                      [--iters N] [--rounds R] [--out bench/results/FILE.json]
Needs `import visionrt` and numpy: pip install ./python, or without pip (no network, no
scikit-build-core) the plain CMake build of python/ against an installed tree:
    cmake --install build --prefix build/install
    cmake -S python -B build/python-pkg -DCMAKE_PREFIX_PATH=$PWD/build/install && cmake --build build/python-pkg
    PYTHONPATH=build/python-pkg bench/python/bench_overhead.py --bench build/bench/bench_session_run --backend cuda
With --backend cuda both sides run the CUDA session (graphs on): the difference is still the binding.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import visionrt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "python"))
import tiny_model  # noqa: E402


def python_rounds(model, profile, w, h, backend, iters, rounds, threads):
    s = visionrt.Session(model, profile, backend, width=w, height=h, threads=threads)
    frame = np.zeros((h, w, 3), np.uint8)
    for _ in range(iters // 10 + 1):
        s.run(frame)
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            s.run(frame)
        out.append((time.perf_counter_ns() - t0) / iters)
    s.close()
    return out


def gpu_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader", "-i", "0"],
                             capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="bench_session_run from the build")
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--model")
    ap.add_argument("--profile")
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--height", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="CPU backend threads (1: least noise)")
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    model, profile = (a.model, a.profile) if a.model else tiny_model.make(tmp, a.width, a.height)
    c_all, py_all = [], []
    for _ in range(a.rounds):  # alternate, so drift in the machine's load hits both sides alike
        r = subprocess.run([a.bench, model, profile, str(a.width), str(a.height), a.backend, str(a.iters), "1",
                            str(a.threads)],
                           capture_output=True, text=True, check=True)
        c_all += json.loads(r.stdout)["ns_per_call"]
        py_all += python_rounds(model, profile, a.width, a.height, a.backend, a.iters, 1, a.threads)
    c_med, py_med = statistics.median(c_all), statistics.median(py_all)
    res = {
        "benchmark": "python_overhead",
        "what": "visionrt.Session.run vs vrt_session_run, same model and RGB24 frame, ns per call, medians of "
                "alternating rounds",
        "model": "tiny (GlobalAveragePool+Flatten, %dx%d)" % (a.width, a.height) if not a.model else a.model,
        "backend": a.backend, "threads": a.threads, "iters_per_round": a.iters, "rounds": a.rounds,
        "c_ns_per_call": c_all, "python_ns_per_call": py_all,
        "c_median_ns": c_med, "python_median_ns": py_med, "overhead_us": (py_med - c_med) / 1000.0,
        "visionrt": visionrt.version(), "build": visionrt.build_info(), "python": sys.version.split()[0],
        "numpy": np.__version__, "machine": platform.machine(), "cpu": platform.processor() or platform.machine(),
        "gpu": gpu_name() if a.backend == "cuda" else None, "nproc": os.cpu_count(), "load_avg": os.getloadavg(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    text = json.dumps(res, indent=1)
    print("C %.2f us, Python %.2f us per call: overhead %.2f us" % (c_med / 1e3, py_med / 1e3, res["overhead_us"]))
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
