#!/usr/bin/env python3
"""CPU latency of the transformer models and Ultralytics detectors: visionrt next to onnxruntime.

Usage: bench/bench_xf_cpu.py [--vrt PATH] [--full DIR] [--rounds R] [--seconds S] [--threads T] [--out FILE]

The models are those of scripts/make-models: the small variants in tests/models/ and, with
--full DIR, the full-size ones that `scripts/make-models --full DIR` wrote (Depth Anything V2
Small 518x518, DETR-ResNet-50 640x480, YOLOv8n/YOLO11n/YOLO12n 640x640). Both engines run the
same .onnx file at batch 1 on the same number of threads (default 2), in R interleaved rounds
(visionrt, then onnxruntime, then visionrt ...), so that a machine shared with other work
slows both alike:
  visionrt:    `vrt bench MODEL --iters N --warmup 2 --threads T --json` (vrt_engine_run only)
  onnxruntime: InferenceSession(CPUExecutionProvider, intra_op_num_threads=T,
               inter_op_num_threads=1, ORT_ENABLE_ALL), session.run only, created once.
N is chosen per model from a first timing so that one round takes about S seconds (at least 3
runs). Each engine's p50 is the median over all its timed runs; the ratio is visionrt p50 /
onnxruntime p50 (below 1: visionrt is faster); ratio_min compares the fastest runs, the
least disturbed ones on a machine shared with other work.

Writes bench/results/cpu-xf-<date>.json with the CPU model, cores, versions and every round.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["depth_anything_v2", "detr_resnet50", "yolov8n", "yolo11n", "yolo12n"]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def pct(v, p):
    import math
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1))]


def vrt_round(vrt, model, iters, threads):
    cmd = [vrt, "bench", model, "--iters", str(iters), "--warmup", "2", "--threads", str(threads), "--json"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode().strip())
    d = json.loads(p.stdout)
    return d


class Ort:
    def __init__(self, ort, np, model, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        t0 = time.perf_counter()
        self.s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self.open_ms = (time.perf_counter() - t0) * 1e3
        rng = np.random.default_rng(12345)
        self.feeds = {}
        for i in self.s.get_inputs():
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            self.feeds[i.name] = rng.uniform(-1, 1, size=shape).astype(np.float32)

    def round(self, iters):
        for _ in range(2):
            self.s.run(None, self.feeds)
        lat = []
        for _ in range(iters):
            t = time.perf_counter()
            self.s.run(None, self.feeds)
            lat.append((time.perf_counter() - t) * 1e3)
        return lat


def bench_model(a, ort, np, name, size, path):
    o = Ort(ort, np, path, a.threads)
    first = vrt_round(a.vrt, path, 1, a.threads)
    t_ort = min(o.round(1))
    per = max(first["p50_ms"], t_ort)
    iters = max(3, int(a.seconds * 1e3 / per))
    vrt_lat, ort_lat, vrt_min, ort_min, rounds = [], [], [], [], []
    for r in range(a.rounds):
        d = vrt_round(a.vrt, path, iters, a.threads)
        lo = o.round(iters)
        # vrt bench reports percentiles, not every run: its p50 stands for the round's runs.
        vrt_lat.append(d["p50_ms"])
        ort_lat.append(median(lo))
        vrt_min.append(d["min_ms"])
        ort_min.append(min(lo))
        rounds.append({"visionrt_p50_ms": d["p50_ms"], "visionrt_p90_ms": d["p90_ms"], "visionrt_min_ms": d["min_ms"],
                       "onnxruntime_p50_ms": median(lo), "onnxruntime_p90_ms": pct(lo, 90),
                       "onnxruntime_min_ms": min(lo)})
    e = {"name": name, "size": size, "file": os.path.relpath(path, ROOT) if size == "small" else path,
         "iters_per_round": iters, "rounds": rounds,
         "visionrt_p50_ms": median(vrt_lat), "onnxruntime_p50_ms": median(ort_lat),
         "visionrt_min_ms": min(vrt_min), "onnxruntime_min_ms": min(ort_min),
         "visionrt_open_ms": first.get("open_ms"), "onnxruntime_open_ms": o.open_ms}
    e["ratio_p50"] = e["visionrt_p50_ms"] / e["onnxruntime_p50_ms"]
    # On a machine shared with other work the fastest run is the least disturbed one.
    e["ratio_min"] = e["visionrt_min_ms"] / e["onnxruntime_min_ms"]
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vrt", default=os.path.join(ROOT, "build-bench-cpu", "vrt"), help="the vrt binary (Release build)")
    ap.add_argument("--full", metavar="DIR", help="also the full-size models of scripts/make-models --full DIR")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="about this long per engine per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", help="comma-separated subset of: " + ", ".join(MODELS))
    ap.add_argument("--out", default=None, help="JSON file (default bench/results/cpu-xf-<date>.json)")
    a = ap.parse_args()
    if a.rounds < 1 or a.threads < 1 or a.seconds <= 0:
        ap.error("--rounds >= 1, --threads >= 1, --seconds > 0")
    if not os.access(a.vrt, os.X_OK):
        print("bench_xf_cpu: %s not found; build it (bench/run-cpu builds it) or pass --vrt" % a.vrt, file=sys.stderr)
        return 1
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print("bench_xf_cpu: onnxruntime not importable (%s): pip install onnxruntime numpy" % e, file=sys.stderr)
        return 1
    names = a.only.split(",") if a.only else MODELS
    p = subprocess.run([a.vrt, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE).stdout.decode().strip()
    doc = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": git,
        "host": {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine(),
                 "kernel": platform.release(), "python": platform.python_version()},
        "versions": {"visionrt": p.stdout.decode().strip().replace("\n", "; "), "onnxruntime": ort.__version__,
                     "numpy": np.__version__},
        "settings": {"rounds": a.rounds, "seconds_per_round": a.seconds, "threads": a.threads, "batch": 1,
                     "input": "uniform(-1, 1) (onnxruntime) / fixed pseudo-random (vrt bench), the model's input shape",
                     "ort": "CPUExecutionProvider, ORT_ENABLE_ALL, intra_op_num_threads=threads, sequential",
                     "interleaved": "visionrt round, onnxruntime round, ... per model"},
        "models": [],
    }
    sets = [("small", os.path.join(ROOT, "tests", "models"))]
    if a.full:
        sets.append(("full", a.full))
    for size, root in sets:
        for name in names:
            path = os.path.join(root, name, "model.onnx")
            if not os.path.exists(path):
                print("bench_xf_cpu: %s missing; skipped" % path, file=sys.stderr)
                continue
            try:
                e = bench_model(a, ort, np, name, size, path)
            except RuntimeError as err:
                e = {"name": name, "size": size, "error": str(err)}
                print("%-18s %-5s visionrt failed: %s" % (name, size, err))
                doc["models"].append(e)
                continue
            doc["models"].append(e)
            print("%-18s %-5s visionrt p50 %9.2f ms min %9.2f | onnxruntime p50 %9.2f ms min %9.2f | ratio p50 %.2fx "
                  "min %.2fx" % (name, size, e["visionrt_p50_ms"], e["visionrt_min_ms"], e["onnxruntime_p50_ms"],
                                 e["onnxruntime_min_ms"], e["ratio_p50"], e["ratio_min"]), flush=True)
    out = a.out or os.path.join(ROOT, "bench", "results", "cpu-xf-%s.json" % datetime.date.today().isoformat())
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
