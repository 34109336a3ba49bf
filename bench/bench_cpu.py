#!/usr/bin/env python3
"""CPU latency of SqueezeNet 1.0 fp16 and YOLOX-Nano: visionrt next to onnxruntime.

Usage: bench/bench_cpu.py [--vrt PATH] [--rounds R] [--iters N] [--warmup W] [--threads T] [--data DIR]
                          [--out FILE]

Both engines run the same .onnx file at batch 1 on the same synthetic input, with the
same number of threads (default 2), interleaved: R rounds (default 9), each round one
visionrt run and one onnxruntime run per model (the order alternates between rounds),
so that load from other processes hits both alike:
  visionrt:    `vrt bench MODEL --iters N --warmup W --threads T --json` (vrt_engine_run only)
  onnxruntime: InferenceSession(CPUExecutionProvider, intra_op_num_threads=T,
               inter_op_num_threads=1, graph optimisations ORT_ENABLE_ALL), session.run only.
Latency percentiles are nearest-rank over the N timed runs after W warm-up runs of a
round. Per model the JSON has every round (with the 1-minute load average when it began);
"visionrt"/"onnxruntime" hold the median over the rounds of each statistic, and ratio_p50
is the median of the per-round ratios visionrt p50 / onnxruntime p50 (below 1: visionrt is
faster), with their range and quartiles (the spread on a shared machine).

Writes bench/results/cpu-<date>.json with the CPU model, cores, library versions and
every number. Without onnxruntime (pip install failed, no internet) visionrt is still
measured and the JSON says why onnxruntime is missing.
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

MODELS = [
    ("squeezenet1.0-fp16", "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"),
    ("yolox-nano", "models/yolox_nano/yolox_nano.onnx"),
]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pct(sorted_v, p):
    import math
    k = max(0, min(len(sorted_v) - 1, int(math.ceil(p / 100.0 * len(sorted_v))) - 1))
    return sorted_v[k]


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def stats(lat_ms):
    v = sorted(lat_ms)
    return {"min_ms": v[0], "mean_ms": sum(v) / len(v), "p50_ms": pct(v, 50), "p90_ms": pct(v, 90),
            "p99_ms": pct(v, 99), "max_ms": v[-1]}


def bench_vrt(vrt, model, a):
    cmd = [vrt, "bench", model, "--iters", str(a.iters), "--warmup", str(a.warmup), "--threads", str(a.threads), "--json"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
    if p.returncode != 0:
        return {"error": p.stderr.decode().strip()}
    d = json.loads(p.stdout)
    return {k: d[k] for k in ("min_ms", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "open_ms", "threads")}


def open_ort(ort, np, model, a):
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t0 = time.perf_counter()
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    open_ms = (time.perf_counter() - t0) * 1e3
    rng = np.random.default_rng(12345)
    feeds = {}
    for i in s.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        dt = np.float16 if i.type == "tensor(float16)" else np.float32
        feeds[i.name] = rng.uniform(-1, 1, size=shape).astype(dt)
    return s, feeds, open_ms


def bench_ort(s, feeds, open_ms, a):
    for _ in range(a.warmup):
        s.run(None, feeds)
    lat = []
    for _ in range(a.iters):
        t = time.perf_counter()
        s.run(None, feeds)
        lat.append((time.perf_counter() - t) * 1e3)
    r = stats(lat)
    r["open_ms"] = open_ms
    r["threads"] = a.threads
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vrt", default=os.path.join(ROOT, "build-bench-cpu", "vrt"), help="the vrt binary (Release build)")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median over them)")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("VRT_DATA") or os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--out", default=None, help="JSON file (default bench/results/cpu-<date>.json)")
    a = ap.parse_args()
    if a.iters < 1 or a.warmup < 0 or a.threads < 1 or a.rounds < 1:
        ap.error("--rounds >= 1, --iters >= 1, --warmup >= 0, --threads >= 1")
    if not os.access(a.vrt, os.X_OK):
        print("bench_cpu: %s not found; build it (bench/run-cpu does) or pass --vrt" % a.vrt, file=sys.stderr)
        return 1

    try:
        import numpy as np
        import onnxruntime as ort
        ort_version, ort_missing = ort.__version__, None
    except ImportError as e:
        np = ort = None
        ort_version, ort_missing = None, "onnxruntime not importable (%s): pip install onnxruntime numpy" % e

    p = subprocess.run([a.vrt, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    vrt_version = p.stdout.decode().strip().replace("\n", "; ")
    openblas = None
    try:
        p = subprocess.run(["ldd", a.vrt], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        openblas = "linked" if b"openblas" in p.stdout else "not linked"
    except OSError:
        pass

    doc = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine(),
                 "kernel": platform.release(), "python": platform.python_version()},
        "versions": {"visionrt": vrt_version, "openblas": openblas, "onnxruntime": ort_version,
                     "numpy": np.__version__ if np else None},
        "settings": {"rounds": a.rounds, "iters": a.iters, "warmup": a.warmup, "threads": a.threads, "batch": 1,
                     "input": "uniform(-1, 1) synthetic, same shape and type as the model input",
                     "ort": "CPUExecutionProvider, ORT_ENABLE_ALL, intra_op_num_threads=threads, sequential"},
        "onnxruntime_missing": ort_missing,
        "models": [],
    }
    todo = []
    for name, rel in MODELS:
        model = os.path.join(a.data, rel)
        if not os.path.exists(model):
            print("bench_cpu: %s missing (set --data or VRT_DATA); skipped" % model, file=sys.stderr)
            continue
        entry = {"name": name, "file": rel, "rounds": []}
        sess = open_ort(ort, np, model, a) if ort else None
        todo.append((entry, model, sess))
    for r in range(a.rounds):
        for entry, model, sess in todo:
            rd = {"loadavg_1min": os.getloadavg()[0]}
            order = ("vrt", "ort") if r % 2 == 0 else ("ort", "vrt")
            for who in order:
                if who == "vrt":
                    rd["visionrt"] = bench_vrt(a.vrt, model, a)
                elif sess:
                    rd["onnxruntime"] = bench_ort(*sess, a)
            if sess and "p50_ms" in rd["visionrt"]:
                rd["ratio_p50"] = rd["visionrt"]["p50_ms"] / rd["onnxruntime"]["p50_ms"]
            entry["rounds"].append(rd)
            print("round %d %-20s visionrt p50 %7.2f ms | onnxruntime p50 %7.2f ms | ratio %.2fx | load %.1f" % (
                r + 1, entry["name"], rd["visionrt"].get("p50_ms", float("nan")),
                rd.get("onnxruntime", {}).get("p50_ms", float("nan")), rd.get("ratio_p50", float("nan")),
                rd["loadavg_1min"]), flush=True)
    for entry, model, sess in todo:
        rounds = entry["rounds"]
        for who in ("visionrt", "onnxruntime"):
            ok = [rd[who] for rd in rounds if who in rd and "p50_ms" in rd[who]]
            if ok:
                entry[who] = {k: median([o[k] for o in ok]) for k in ok[0]}
            elif rounds and who in rounds[0]:
                entry[who] = rounds[0][who]
        ratios = [rd["ratio_p50"] for rd in rounds if "ratio_p50" in rd]
        if ratios:
            entry["ratio_p50"] = median(ratios)
            entry["ratio_p50_min"], entry["ratio_p50_max"] = min(ratios), max(ratios)
            # The spread on a shared machine: the middle half of the per-round ratios.
            q = sorted(ratios)
            entry["ratio_p50_quartiles"] = [pct(q, 25), median(q), pct(q, 75)]
            entry["loadavg_1min_median"] = median([rd["loadavg_1min"] for rd in rounds])
        doc["models"].append(entry)
        v, o = entry["visionrt"], entry.get("onnxruntime")
        line = "%-20s visionrt p50 %7.2f ms p90 %7.2f p99 %7.2f" % (entry["name"], v.get("p50_ms", float("nan")),
                                                                   v.get("p90_ms", float("nan")), v.get("p99_ms", float("nan")))
        if o:
            qs = entry.get("ratio_p50_quartiles", [float("nan")] * 3)
            line += " | onnxruntime p50 %7.2f p90 %7.2f p99 %7.2f | ratio %.2fx (rounds %.2f..%.2f, quartiles %.2f..%.2f)" % (
                o["p50_ms"], o["p90_ms"], o["p99_ms"], entry.get("ratio_p50", float("nan")),
                entry.get("ratio_p50_min", float("nan")), entry.get("ratio_p50_max", float("nan")), qs[0], qs[2])
        print(line)
    out = a.out or os.path.join(ROOT, "bench", "results", "cpu-%s.json" % datetime.date.today().isoformat())
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %s" % out)
    if ort_missing:
        print("bench_cpu: %s" % ort_missing, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
