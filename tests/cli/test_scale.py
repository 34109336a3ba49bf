#!/usr/bin/env python3
"""`vrt run` with many streams (the real binary, CPU backend, SqueezeNet on small frames):
more than 8 sources, --summary, --priority, --records, and the scale benchmark's smoke runs
(bench/scale/scale.py).

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


def run_summary(d, *extra, sources=2, src=SMALL, timeout=170):
    p = os.path.join(d, "s.json")
    args = ["run", "-q", "--backend", "cpu", "--threads", "1", "--policy", "all", "--summary", p] + list(extra)
    for _ in range(sources):
        args += ["-i", src]
    vrt(*args, expect=0, timeout=timeout)
    return summary(p)


def case_scale_batch_modes():
    """--batch on/auto/off: the summary's batching object; a model that fixes batch 1 runs per stream
    with the reason; bench/scale/batchable.py makes YOLOX-Nano batchable, and its batched detections
    equal the per-stream ones."""
    yolox = data("models/yolox_nano/yolox_nano.onnx")
    yprof = os.path.join(SRC, "models", "yolox.conf")
    with tempfile.TemporaryDirectory() as d:
        s = run_summary(d, "-m", data(SQZ), "--profile", SQ_PROFILE, "--frames", "3", "--batch", "on",
                        "--batch-deadline-ms", "5", sources=3)
        b = s["batching"]
        check(b["mode"] == "on" and b["sources"] == 3 and b["groups"] == 1 and b["sizes"] == [1, 2, 4], "on: %r" % b)
        check(b["frames"] == 9 and 3 <= b["runs"] <= 9 and abs(b["deadline_ms"] - 5) < 1e-9, "on: counts %r" % b)
        check(b["reason"] is None and all(st["results"] == 3 for st in s["streams"]), "on: %r" % b)
        s = run_summary(d, "-m", data(SQZ), "--profile", SQ_PROFILE, "--frames", "2", "--batch", "auto", sources=2)
        b = s["batching"]
        check(b["mode"] == "auto", "auto: %r" % b)
        if b["sources"]:
            check(b["batched_ms"] < b["unbatched_ms"] and b["reason"] is None, "auto chose batching: %r" % b)
        else:
            check("--batch auto" in b["reason"] and b["batched_ms"] >= b["unbatched_ms"], "auto per stream: %r" % b)
        s = run_summary(d, "-m", data(SQZ), "--profile", SQ_PROFILE, "--frames", "1", sources=2)
        check(s["batching"] is None, "off: %r" % s["batching"])
        # Sources of different formats are not batched together: per stream, with the reason.
        p = os.path.join(d, "mix.json")
        vrt("run", "-q", "--backend", "cpu", "--threads", "1", "--policy", "all", "--summary", p, "-m", data(SQZ),
            "--profile", SQ_PROFILE, "--frames", "1", "--batch", "on", "-i", SMALL, "-i",
            SMALL.replace("YUYV", "RGB24"), expect=0, timeout=170)
        b = summary(p)["batching"]
        check(b["sources"] == 0 and "same format and size" in b["reason"], "mixed formats: %r" % b)
        # YOLOX-Nano's export fixes batch 1: per stream, saying why and what to do.
        img = "synthetic:?width=64&height=48&fps=30&format=YUYV&frames=2"
        s = run_summary(d, "-m", yolox, "--profile", yprof, "--batch", "on", sources=2, src=img)
        b = s["batching"]
        check(b["sources"] == 0 and "batch" in b["reason"] and "dynamic batch axis" in b["reason"], "fixed: %r" % b)
        check(all(st["results"] == 2 for st in s["streams"]), "fixed-batch model: results per stream")
        # The batchable copy: batched detections equal per-stream ones, frame by frame.
        bm = os.path.join(d, "yolox_b.onnx")
        subprocess.run([sys.executable, os.path.join(SRC, "bench", "scale", "batchable.py"), yolox, bm], check=True)
        dets = {}
        for mode in ("off", "on"):
            j = os.path.join(d, mode + ".jsonl")
            args = ["run", "-q", "--backend", "cpu", "--threads", "1", "--policy", "all", "-m", bm, "--profile",
                    yprof, "--batch", mode, "--json", j, "-i", img, "-i", img]
            vrt(*args, expect=0, timeout=170)
            with open(j) as f:
                docs = [json.loads(l) for l in f if l.strip()]
            dets[mode] = {(x["stream"], x["sequence"]): x["detections"] for x in docs if x["type"] == "frame"}
            if mode == "on":
                check(docs[-1]["batching"]["sources"] == 2, "batchable copy not batched: %r" % docs[-1]["batching"])
        check(len(dets["on"]) == 4 and dets["on"].keys() == dets["off"].keys(), "frames %r" % list(dets["on"]))
        for k, v in dets["off"].items():
            w = dets["on"][k]
            check(len(v) == len(w), "%r: %d vs %d detections" % (k, len(v), len(w)))
            for x, y in zip(v, w):
                check(x["class_id"] == y["class_id"] and abs(x["score"] - y["score"]) < 1e-4 and
                      max(abs(p - q) for p, q in zip(x["box"], y["box"])) < 0.05, "%r: %r vs %r" % (k, x, y))
    T.usage_error(["run", "--batch", "sometimes"], "--batch 'sometimes'")


def case_scale_memory_budget():
    """The summary reports the sessions' memory (weights once, arena and slots per stream); a budget
    too small for N streams fails at start, before the other sessions are made, naming how many fit."""
    with tempfile.TemporaryDirectory() as d:
        s = run_summary(d, "-m", data(SQZ), "--profile", SQ_PROFILE, "--frames", "1", sources=3)
        m = s["memory"]
        check(m["weights_mib"] > 1 and m["arena_mib"] > 0.1 and m["slots_mib"] > 0, "memory %r" % m)
        check(abs(m["per_stream_mib"] - m["arena_mib"] - m["slots_mib"]) < 1e-3 and m["streams_alone"] == 3, "%r" % m)
        check(abs(m["planned_mib"] - m["weights_mib"] - 3 * m["per_stream_mib"]) < 1e-3, "planned %r" % m)
        check(m["budget_mib"] is None, "cpu without --memory-budget has no budget: %r" % m)
        # Room for the weights and one stream's session but not three.
        budget = m["weights_mib"] + 1.5 * m["per_stream_mib"]
        args = ["run", "-q", "--backend", "cpu", "--threads", "1", "--frames", "1", "-m", data(SQZ), "--profile",
                SQ_PROFILE, "--memory-budget", "%.3f" % budget]
        for _ in range(3):
            args += ["-i", SMALL]
        T.runtime_error(args, "3 streams need about", "memory budget", "at most 1 such streams fit", "--batch on")
        s = run_summary(d, "-m", data(SQZ), "--profile", SQ_PROFILE, "--frames", "1", "--memory-budget",
                        "%.3f" % (m["planned_mib"] + 1), sources=3)
        check(abs(s["memory"]["budget_mib"] - m["planned_mib"] - 1) < 0.01, "budget %r" % s["memory"])
    T.usage_error(["run", "--memory-budget", "0"], "--memory-budget")
    T.usage_error(["run", "--batch", "on", "-i", SMALL], "--batch on")


def case_scale_priority_records():
    """--priority high for the source before it: in the summary (what took effect) and the text summary;
    --records writes one CSV row per result with consistent times; scale.py's --priority-test and
    --stability modes run and write their JSON."""
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "r.csv")
        p = os.path.join(d, "s.json")
        rc, out, err = vrt("run", "--headless", "--backend", "cpu", "--threads", "2", "--policy", "all", "-m",
                           data(SQZ), "--profile", SQ_PROFILE, "--frames", "3", "--summary", p, "--records", rec,
                           "-i", SMALL, "-i", SMALL, "--priority", "high", expect=0, timeout=170)
        st = summary(p)["streams"]
        check([x["priority"] for x in st] == ["normal", "high"], "priorities %r" % [x["priority"] for x in st])
        hi = st[1]
        # Raised where permitted (CAP_SYS_NICE), else a warning and nothing raised: either way consistent.
        check(hi["priority_applied"] == (hi["priority_value"] == -10), "high stream %r" % hi)
        check(hi["threads_raised"] in (0, 2) and (hi["threads_raised"] == 2) == hi["priority_applied"], "%r" % hi)
        check(not hi["priority_applied"] or "CAP_SYS_NICE" not in err, "raised, yet warned")
        check(hi["priority_applied"] or "CAP_SYS_NICE" in err, "not raised and no warning: %s" % err)
        check(st[0]["priority_value"] == 0 and not st[0]["priority_applied"] and st[0]["threads_raised"] == 0,
              "normal stream %r" % st[0])
        check("priority:    high" in out, "text summary lacks the priority line")
        with open(rec) as f:
            rows = [l.rstrip("\n").split(",") for l in f]
        check(rows[0] == ["stream", "sequence", "exposure_ns", "launch_ns", "age_ns", "process_ns", "e2e_ns",
                          "dropped_before", "deadline_miss"], "header %r" % rows[0])
        body = [[int(x) for x in r] for r in rows[1:]]
        check(sorted(r[0] for r in body) == [0, 0, 0, 1, 1, 1], "rows per stream %r" % [r[0] for r in body])
        for r in body:
            check(r[3] - r[2] == r[4] and 0 < r[5] <= r[6] and r[4] + r[5] <= r[6], "times %r" % r)
        # scale.py: the priority comparison and a short stability run (windows of 1 s).
        build = os.path.dirname(os.path.abspath(T.ARGS.vrt))
        base = [sys.executable, os.path.join(SRC, "bench", "scale", "scale.py"), build, "--backend", "cpu",
                "--threads", "1", "--model", data(SQZ), "--profile", SQ_PROFILE, "--size", "64x48", "--fps", "30",
                "--out", d]
        for extra, stem in ((["--ns", "2", "--duration", "1", "--priority-test"], "scale-priority-"),
                            (["--ns", "2", "--stability", "3", "--window-s", "1"], "scale-stability-")):
            r = subprocess.run(base + extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=170)
            print(r.stdout.decode("utf-8", "replace"))
            js = [f for f in os.listdir(d) if f.startswith(stem) and f.endswith(".json")]
            check(r.returncode == 0 and len(js) == 1, "scale.py %s: exit %d, %r" % (stem, r.returncode, js))
            with open(os.path.join(d, js[0])) as f:
                doc = json.load(f)
            if stem == "scale-priority-":
                row = doc["results"][0]
                check(row["n"] == 2 and row["with_priority"]["high_stream"]["priority"] == "high" and
                      row["without_priority"]["high_stream"]["priority"] == "normal", "priority rows %r" % row)
                check(row["with_priority"]["bulk"]["streams"] == 1, "bulk %r" % row["with_priority"]["bulk"])
            else:
                w = doc["result"]["windows"]
                check(len(w) >= 2 and all(x["results"] > 0 and x["e2e_p99_ms"] >= x["e2e_p50_ms"] > 0 for x in w),
                      "windows %r" % w)
                check(doc["result"]["verdict"] is not None, "no first/last verdict")
    T.usage_error(["run", "--priority", "high", "-i", SMALL], "--priority high applies to the --source before")
    T.usage_error(["run", "-i", SMALL, "--priority", "urgent"], "--priority 'urgent'")
    T.usage_error(["run", "-i", SMALL, "--records", ""], "--records")


if __name__ == "__main__":
    sys.exit(T.run_cases(globals()))
