#!/usr/bin/env python3
"""Collects bench/gpu/framepath.sh's outputs (a folder) into one JSON file.

  framepath_json.py RESULTS_DIR OUT.json [--note TEXT]

Keys: "models" (bench_engine model-alone runs), "frame_paths" (session
runs), "profiles" (per-node eager profile: total and per-op sums, the ten
slowest nodes), "numerics" (numerics.txt lines), "targets" (the issue's
frame-path targets against the measured p50s)."""
import glob
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"error": f"{os.path.basename(path)}: {e}"}


def profile(path):
    nodes, ops, total = [], {}, None
    for line in open(path):
        if line.startswith("# total"):
            total = line[2:].strip()
        elif line.startswith("# "):
            m = re.match(r"# (\S+)\s+([0-9.]+) ms", line)
            if m:
                ops[m.group(1)] = float(m.group(2))
        else:
            p = line.split()
            if len(p) >= 5:
                nodes.append({"index": int(p[0]), "op": p[1], "storage": p[2], "ms": float(p[3]), "name": p[4]})
    slow = sorted(nodes, key=lambda n: -n["ms"])[:10]
    return {"total": total, "steps_timed": len(nodes), "by_op_ms": ops, "slowest": slow}


def main():
    d, out = sys.argv[1], sys.argv[2]
    note = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--note" else ""
    res = {"note": note, "models": {}, "frame_paths": {}, "profiles": {}, "numerics": []}
    for f in sorted(glob.glob(os.path.join(d, "model-*.json"))):
        res["models"][os.path.basename(f)[6:-5]] = load(f)
    for f in sorted(glob.glob(os.path.join(d, "frame-*.json"))):
        res["frame_paths"][os.path.basename(f)[6:-5]] = load(f)
    for f in sorted(glob.glob(os.path.join(d, "prof-*.txt"))):
        res["profiles"][os.path.basename(f)[5:-4]] = profile(f)
    nt = os.path.join(d, "numerics.txt")
    if os.path.exists(nt):
        res["numerics"] = [l.rstrip() for l in open(nt) if l.strip()]
    t = {}
    fr = res["frame_paths"]
    for k, v in fr.items():
        if k.startswith("yolox") and "host" in v:
            t[f"yolox_frame_path_{k[6:]}"] = {"p50_ms": v["host"]["p50"], "target_ms": 0.35, "met": v["host"]["p50"] <= 0.35}
    if "squeezenet" in fr and "host" in fr["squeezenet"] and "squeezenet" in res["models"]:
        m = res["models"]["squeezenet"]
        over = fr["squeezenet"]["host"]["p50"] - m["gpu"]["p50"]
        t["squeezenet_frame_path_minus_model"] = {
            "frame_host_p50_ms": fr["squeezenet"]["host"]["p50"], "model_gpu_p50_ms": m["gpu"]["p50"],
            "model_host_p50_ms": m["host"]["p50"], "over_ms": round(over, 5), "target_over_ms": 0.05, "met": over <= 0.05}
    res["targets"] = t
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(t, indent=1))


if __name__ == "__main__":
    main()
