#!/usr/bin/env python3
"""`vrt run` with many streams (the real binary, CPU backend, SqueezeNet on small frames):
more than 8 sources, --summary, and the scale benchmark's smoke run (bench/scale/scale.py).

Usage: test_scale.py --vrt PATH [--sanitize 0|1] CASE (the conventions of test_cli.py).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli as T  # noqa: E402
from test_cli import check, vrt, data, SQZ  # noqa: E402

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SQ_PROFILE = os.path.join(SRC, "models", "squeezenet.conf")
SMALL = "synthetic:?width=64&height=48&fps=30&format=YUYV"


def summary(path):
    with open(path) as f:
        lines = f.read().splitlines()
    check(len(lines) == 1, "--summary wrote %d lines, expected 1" % len(lines))
    s = json.loads(lines[0])
    check(s["type"] == "summary", "not a summary: %r" % s["type"])
    return s


def case_scale_many_sources():
    """12 sources (more than the old limit of 8) in one process; --summary has the run's CPU use."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "s.json")
        args = ["run", "-q", "-m", data(SQZ), "--profile", SQ_PROFILE, "--backend", "cpu", "--threads", "1",
                "--frames", "2", "--policy", "all", "--summary", p]
        for _ in range(12):
            args += ["-i", SMALL]
        vrt(*args, expect=0, timeout=170)
        s = summary(p)
        check(len(s["streams"]) == 12, "%d streams" % len(s["streams"]))
        check(all(st["results"] == 2 for st in s["streams"]), "results %r" % [st["results"] for st in s["streams"]])
        check(s["weight_users"] == 12, "weight_users %r" % s["weight_users"])
        check(s["run_s"] > 0 and s["cpu_s"] > 0 and s["cpu_cores"] > 0, "run/cpu %r %r" % (s["run_s"], s["cpu_s"]))
        check(abs(s["cpu_cores"] - s["cpu_s"] / s["run_s"]) < 0.01 * s["cpu_cores"] + 1e-3, "cpu_cores inconsistent")
        check(isinstance(s["run_start_ns"], int) and s["run_start_ns"] > 0, "run_start_ns %r" % s["run_start_ns"])
    T.usage_error(["run", "--summary", ""], "--summary")
    many = []
    for _ in range(65):
        many += ["-i", SMALL]
    T.usage_error(["run"] + many, "at most 64")


def case_scale_bench_smoke():
    """bench/scale/scale.py on the CPU: N = 1, 2 for 1 s each; JSON and SVG written, numbers sane."""
    with tempfile.TemporaryDirectory() as d:
        build = os.path.dirname(os.path.abspath(T.ARGS.vrt))
        cmd = [sys.executable, os.path.join(SRC, "bench", "scale", "scale.py"), build, "--backend", "cpu",
               "--threads", "1", "--model", data(SQZ), "--profile", SQ_PROFILE, "--ns", "1,2", "--duration", "1",
               "--size", "64x48", "--fps", "30", "--out", d]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=170)
        print(p.stdout.decode("utf-8", "replace"))
        check(p.returncode == 0, "scale.py exit %d" % p.returncode)
        js = [f for f in os.listdir(d) if f.startswith("scale-") and f.endswith(".json")]
        check(len(js) == 1, "JSON files %r" % os.listdir(d))
        with open(os.path.join(d, js[0])) as f:
            doc = json.load(f)
        res = doc["results"]
        check([r["n"] for r in res] == [1, 2], "runs %r" % [r.get("n") for r in res])
        for r in res:
            check(len(r["per_stream"]) == r["n"], "per_stream of N=%d: %r" % (r["n"], r["per_stream"]))
            # fps needs two results of a stream; on a loaded machine a 1 s run may give one.
            check(r["fps_min"] >= 0 and r["fps_mean"] > 0 and r["results"] >= r["n"], "N=%d fps %r" % (r["n"], r))
            check(0 < r["process_p50_ms"] <= r["process_p99_ms"] <= r["e2e_p99_ms"], "N=%d latencies" % r["n"])
            check(r["cpu_cores"] > 0 and r["gpu_busy"] is None, "N=%d cpu/gpu %r" % (r["n"], r))
        with open(os.path.join(d, js[0][:-5] + ".svg")) as f:
            svg = f.read()
        check(svg.startswith("<svg") and "e2e p99" in svg and "frame period" in svg, "SVG content")


if __name__ == "__main__":
    sys.exit(T.run_cases(globals()))
