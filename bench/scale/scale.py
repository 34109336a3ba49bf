#!/usr/bin/env python3
"""Scale benchmark: N streams x one detector in ONE `vrt run` process.

For each N (default 1, 2, 4, 8, 16, 32, 64) and each batching mode, runs

    vrt run -m MODEL -i SRC -i SRC ... (N times) -d DURATION --summary FILE [--batch MODE]

where SRC is a synthetic 640x480@60 YUYV camera (default) or an H.264 clip
(720p30 / 1080p30, made once with the project's own video writer, `vrt
capture -o clip.mp4`, else the ffmpeg command) read at its native rate with
--pace --loop. From the JSON summary line it keeps, per N: per-stream fps,
drops beyond the source's own (frames replaced in the hand-off because
processing was late) and the source's own drops, per-frame process p50/p99,
age p99 and end-to-end p99 (worst stream), the process's CPU use over the
run (cpu_s / run_s, from the summary) and the GPU busy fraction
(nvidia-smi utilization.gpu sampled every 100 ms while the streams ran; null
without nvidia-smi). Writes scale-<date>.json and scale-<date>.svg (latency
vs N) into --out.

Only the Python standard library is used. Runs stop early when --budget-s
would be exceeded (the JSON says which were skipped).

    python3 bench/scale/scale.py BUILD_DIR --backend cuda --modes off,auto --batchable --out $OUT
    python3 bench/scale/scale.py build-cpu --backend cpu --ns 1,2,4 --duration 3   # smoke test
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time


def log(m):
    print(m, file=sys.stderr, flush=True)


def data_dir():
    for d in (os.environ.get("VRT_DATA"), "shared/data", "../shared/data", ".data"):
        if d and os.path.isdir(os.path.join(d, "models")):
            return d
    return None


class GpuSampler:
    """nvidia-smi utilization.gpu / memory.used every 100 ms, stamped with CLOCK_MONOTONIC."""

    def __init__(self):
        self.samples = []  # (t, util %, mem MiB)
        self.proc = None
        if not shutil.which("nvidia-smi"):
            return
        self.proc = subprocess.Popen(
            ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits",
             "-lms", "100", "-i", os.environ.get("VRT_SCALE_GPU", "0")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                u, m = [float(x) for x in line.split(",")[:2]]
                self.samples.append((time.monotonic(), u, m))
            except ValueError:
                pass

    def window(self, t0, t1):
        s = [x for x in self.samples if t0 <= x[0] <= t1]
        if not s:
            return None, None
        return sum(x[1] for x in s) / len(s) / 100.0, max(x[2] for x in s)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


def make_clip(vrt, kind, outdir):
    """H.264 clip for 'h264-720p30' / 'h264-1080p30' (10 s), made once."""
    w, h = (1280, 720) if "720" in kind else (1920, 1080)
    path = os.path.join(outdir, f"clip-{h}p30.mp4")
    if os.path.exists(path):
        return path
    uri = f"synthetic:?width={w}&height={h}&fps=30&format=YUYV"
    r = subprocess.run([vrt, "capture", uri, "--mode", "all", "-n", "300", "-o", path, "-q"],
                       capture_output=True, text=True)
    if r.returncode and shutil.which("ffmpeg"):
        r = subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                            f"testsrc2=size={w}x{h}:rate=30", "-t", "10", "-c:v", "libx264", "-g", "30",
                            "-pix_fmt", "yuv420p", path], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"cannot make {path}: {r.stderr.strip()[-400:]} (a build with FFmpeg is needed "
                         "for H.264 sources)")
    return path


def summarize(summ, gpu, t0, t1):
    st = summ["streams"]
    lat = [s["latency_ms"] for s in st]

    def worst(stage, q):
        v = [x[stage][q] for x in lat if x[stage]["count"]]
        return max(v) if v else None

    def median(v):
        v = sorted(v)
        return v[len(v) // 2] if v else None

    fps = [s["fps"] for s in st]
    busy, mem = gpu.window(t0, t1) if gpu else (None, None)
    return {
        "fps_min": min(fps), "fps_mean": sum(fps) / len(fps), "source_fps": st[0]["source_fps"],
        "results": sum(s["results"] for s in st),
        "dropped_beyond_source": sum(s["dropped_handoff"] for s in st),
        "dropped_source": sum(s["dropped_source"] for s in st),
        "deadline_misses": sum(s["deadline_misses"] for s in st),
        "errors": sum(s["errors"] for s in st),
        "process_p50_ms": median([x["process"]["p50"] for x in lat if x["process"]["count"]]),
        "process_p99_ms": worst("process", "p99"),
        "age_p99_ms": worst("age", "p99"),
        "e2e_p50_ms": median([x["e2e"]["p50"] for x in lat if x["e2e"]["count"]]),
        "e2e_p99_ms": worst("e2e", "p99"),
        "e2e_max_ms": worst("e2e", "max"),
        "cpu_cores": summ.get("cpu_cores"),
        "cpu_fraction": (summ.get("cpu_cores") or 0) / (os.cpu_count() or 1),
        "gpu_busy": busy, "gpu_mem_mib": mem,
        "batching": summ.get("batching"),
        "memory": summ.get("memory"),
        "per_stream": [[round(s["fps"], 2), s["latency_ms"]["e2e"]["p99"], s["latency_ms"]["process"]["p99"],
                        s["dropped_handoff"], s["dropped_source"]] for s in st],
    }


def run_one(a, n, mode, src, gpu, tmp, high=False, duration=None, records=None):
    """One `vrt run` of n streams; high: the first stream with --priority high; records: a CSV path for
    --records. Returns the summarized result, with the summary itself under "_summary"."""
    duration = duration or a.duration
    summ_path = os.path.join(tmp, f"summary-{mode}-{n}{'-high' if high else ''}.json")
    cmd = [a.vrt, "run", "-q", "--headless", "-m", a.model, "--profile", a.profile, "--backend", a.backend,
           "-d", str(duration), "--summary", summ_path, "--deadline-ms", f"{1000.0 / a.fps:.3f}",
           "--timeout", "30"]
    if records:
        cmd += ["--records", records]
    if a.threads:
        cmd += ["--threads", str(a.threads)]
    if mode != "off":
        cmd += ["--batch", mode]
        if a.batch_deadline_ms is not None:
            cmd += ["--batch-deadline-ms", str(a.batch_deadline_ms)]
    if src.endswith(".mp4"):
        cmd += ["--pace", "--loop"]
    for i in range(n):
        cmd += ["-i", src] + (["--priority", "high"] if high and i == 0 else [])
    t_launch = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=duration + 150)
    except subprocess.TimeoutExpired:
        return {"n": n, "mode": mode, "error": "timed out", "wall_s": time.monotonic() - t_launch}
    wall = time.monotonic() - t_launch
    if r.returncode or not os.path.exists(summ_path):
        return {"n": n, "mode": mode, "error": r.stderr.strip()[-600:], "wall_s": wall}
    with open(summ_path) as f:
        summ = json.loads(f.readline())
    t0 = summ["run_start_ns"] / 1e9
    out = {"n": n, "mode": mode, "wall_s": round(wall, 2), "run_s": summ["run_s"]}
    # GPU samples from 0.5 s into the run to its end (the first frames warm up the clocks).
    out.update(summarize(summ, gpu, t0 + 0.5, t0 + summ["run_s"]))
    out["_summary"] = summ
    return out


def svg_plot(res, path, title, period_ms):
    W, H, ML, MR, MT, MB = 760, 420, 70, 170, 40, 50
    ok = [r for r in res if "error" not in r]
    if not ok:
        return
    ns = sorted({r["n"] for r in ok})
    ys = [r[k] for r in ok for k in ("e2e_p99_ms", "age_p99_ms", "process_p99_ms", "process_p50_ms")
          if r.get(k)] + [period_ms]
    lo, hi = math.log10(max(min(ys) * 0.8, 1e-3)), math.log10(max(ys) * 1.25)
    xl, xh = math.log2(ns[0]), math.log2(ns[-1]) if ns[-1] > ns[0] else math.log2(ns[0]) + 1

    def X(n):
        return ML + (math.log2(n) - xl) / (xh - xl) * (W - ML - MR)

    def Y(v):
        return H - MB - (math.log10(v) - lo) / (hi - lo) * (H - MT - MB)

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
         f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{(W - MR + ML) / 2:.1f}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    for n in ns:
        o.append(f'<line x1="{X(n):.1f}" y1="{MT}" x2="{X(n):.1f}" y2="{H - MB}" stroke="#ddd"/>')
        o.append(f'<text x="{X(n):.1f}" y="{H - MB + 16}" text-anchor="middle">{n}</text>')
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= math.log10(v) <= hi:
                o.append(f'<line x1="{ML}" y1="{Y(v):.1f}" x2="{W - MR}" y2="{Y(v):.1f}" stroke="#eee"/>')
                o.append(f'<text x="{ML - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    o.append(f'<text x="{(W - MR + ML) / 2:.1f}" y="{H - 12}" text-anchor="middle">streams N (log scale)</text>')
    o.append(f'<text x="16" y="{(H - MB + MT) / 2:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 16 {(H - MB + MT) / 2:.1f})">latency (ms, log scale)</text>')
    o.append(f'<line x1="{ML}" y1="{Y(period_ms):.1f}" x2="{W - MR}" y2="{Y(period_ms):.1f}" stroke="#888" '
             f'stroke-dasharray="2,3"/>')
    o.append(f'<text x="{W - MR - 4}" y="{Y(period_ms) - 4:.1f}" text-anchor="end" fill="#666">'
             f'frame period {period_ms:.1f} ms</text>')
    series = [("e2e_p99_ms", "e2e p99", "#d62728"), ("age_p99_ms", "age p99", "#ff7f0e"),
              ("process_p99_ms", "process p99", "#1f77b4"), ("process_p50_ms", "process p50", "#2ca02c")]
    modes = sorted({r["mode"] for r in ok}, key=lambda m: m != "off")
    ly = MT + 6
    for mi, mode in enumerate(modes):
        dash = "" if mi == 0 else ' stroke-dasharray="6,4"'
        label = "per-stream sessions" if mode == "off" else f"--batch {mode}"
        for key, name, color in series:
            pts = [(r["n"], r[key]) for r in sorted(ok, key=lambda r: r["n"]) if r["mode"] == mode and r.get(key)]
            if not pts:
                continue
            o.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="' +
                     " ".join(f"{X(n):.1f},{Y(v):.1f}" for n, v in pts) + '"/>')
            for n, v in pts:
                o.append(f'<circle cx="{X(n):.1f}" cy="{Y(v):.1f}" r="2.5" fill="{color}"/>')
            o.append(f'<line x1="{W - MR + 10}" y1="{ly}" x2="{W - MR + 34}" y2="{ly}" stroke="{color}" '
                     f'stroke-width="2"{dash}/><text x="{W - MR + 38}" y="{ly + 4}">{name}</text>')
            ly += 16
        o.append(f'<text x="{W - MR + 10}" y="{ly + 4}" fill="#666">({label})</text>')
        ly += 24
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def versions(vrt):
    v = {"python": platform.python_version(), "host": platform.node(), "cpus": os.cpu_count()}
    if shutil.which("nvidia-smi"):
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                            "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
        v["gpu"] = q.splitlines()[0] if q else None
    r = subprocess.run([vrt, "--version"], capture_output=True, text=True)
    v["vrt"] = (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else None
    return v


def pct(v, q):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not v:
        return None
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def stream_lat(st):
    lat = st["latency_ms"]
    return {"process_p50_ms": lat["process"]["p50"], "process_p99_ms": lat["process"]["p99"],
            "e2e_p50_ms": lat["e2e"]["p50"], "e2e_p99_ms": lat["e2e"]["p99"], "e2e_max_ms": lat["e2e"]["max"],
            "age_p99_ms": lat["age"]["p99"], "fps": st["fps"], "results": st["results"],
            "dropped_handoff": st["dropped_handoff"]}


def priority_side(r, summ):
    """The high stream (stream 0) and the bulk streams (1..N-1) of one run."""
    st = summ["streams"]
    hi = stream_lat(st[0])
    for k in ("priority", "priority_value", "priority_applied", "threads_raised"):
        hi[k] = st[0].get(k)
    bulk = [stream_lat(x) for x in st[1:]]
    return {"high_stream": hi,
            "bulk": {"streams": len(bulk), "fps_min": min(b["fps"] for b in bulk),
                     "process_p50_ms": sorted(b["process_p50_ms"] for b in bulk)[len(bulk) // 2],
                     "process_p99_ms": max(b["process_p99_ms"] for b in bulk),
                     "e2e_p99_ms": max(b["e2e_p99_ms"] for b in bulk),
                     "dropped_handoff": sum(b["dropped_handoff"] for b in bulk)},
            "gpu_busy": r["gpu_busy"], "cpu_cores": r["cpu_cores"],
            "batched_streams": (r.get("batching") or {}).get("sources", 0)}


def median_side(runs):
    """Per numeric field, the median over repeated runs of one side (the runs kept under "runs")."""
    if len(runs) == 1:
        return runs[0]

    def med(vals):
        if all(isinstance(v, dict) for v in vals):
            return {k: med([v[k] for v in vals]) for k in vals[0]}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            return sorted(vals)[len(vals) // 2]
        return vals[-1]
    out = med(runs)
    out["runs"] = runs
    return out


def priority_test(a, ns, modes, src, gpu, tmp, t_begin):
    """Per N (>= 2) and mode: N streams with no priority, then the same with stream 0 at --priority
    high, back to back in this process (alternating --repeat times; medians); the high stream's latency
    both ways and the bulk streams'."""
    rows, skipped, per_run = [], [], None
    for n in [n for n in ns if n >= 2]:
        for mode in modes:
            if per_run and time.monotonic() - t_begin + 2 * a.repeat * per_run > a.budget_s:
                skipped.append({"n": n, "mode": mode})
                log(f"N={n} {mode}: skipped (budget {a.budget_s:.0f} s)")
                continue
            row = {"n": n, "mode": mode}
            sides = {"without_priority": [], "with_priority": []}
            t = time.monotonic()
            for _ in range(a.repeat):
                for high in (False, True):
                    r = run_one(a, n, mode, src, gpu, tmp, high=high)
                    summ = r.pop("_summary", None)
                    key = "with_priority" if high else "without_priority"
                    sides[key].append({"error": r["error"]} if "error" in r else priority_side(r, summ))
            for key, runs in sides.items():
                bad = [x for x in runs if "error" in x]
                row[key] = bad[0] if bad else median_side(runs)
            per_run = (time.monotonic() - t) / (2 * a.repeat)
            rows.append(row)
            w, wo = row["with_priority"], row["without_priority"]
            if "error" in w or "error" in wo:
                log(f"N={n:3d} {mode:5s}: FAILED: {w.get('error') or wo.get('error')}")
                continue
            h1, h0 = w["high_stream"], wo["high_stream"]
            log(f"N={n:3d} {mode:5s}: high stream process p50/p99 {h0['process_p50_ms']:.3f}/"
                f"{h0['process_p99_ms']:.3f} -> {h1['process_p50_ms']:.3f}/{h1['process_p99_ms']:.3f} ms, e2e "
                f"p99 {h0['e2e_p99_ms']:.3f} -> {h1['e2e_p99_ms']:.3f} ms (priority value "
                f"{h1['priority_value']}, applied {h1['priority_applied']}, threads raised "
                f"{h1['threads_raised']}); bulk process p99 {wo['bulk']['process_p99_ms']:.3f} -> "
                f"{w['bulk']['process_p99_ms']:.3f} ms, fps min {wo['bulk']['fps_min']:.1f} -> "
                f"{w['bulk']['fps_min']:.1f}")
    return rows, skipped


def read_windows(path, run_start_ns, window_s, nstreams):
    """Per-frame records (vrt run --records) into windows of window_s seconds by launch time."""
    wns = int(window_s * 1e9)
    win, first = {}, {}
    last = run_start_ns
    with open(path) as f:
        next(f)
        for line in f:
            sid, _seq, _exp, launch, age, proc, e2e, dropped, miss = line.split(",")
            launch = int(launch)
            first.setdefault(sid, launch)
            last = max(last, launch)
            w = win.setdefault((launch - run_start_ns) // wns, {"e2e": [], "process": [], "age": [], "dropped": 0,
                                                                "misses": 0, "per_stream": {}})
            w["e2e"].append(int(e2e) / 1e6)
            w["process"].append(int(proc) / 1e6)
            w["age"].append(int(age) / 1e6)
            w["dropped"] += int(dropped)
            w["misses"] += int(miss)
            w["per_stream"][sid] = w["per_stream"].get(sid, 0) + 1
    out = []
    for k in sorted(win):
        w = win[k]
        t0 = run_start_ns + k * wns
        span = min(wns, last - t0) / 1e9
        row = {"window": k, "t0_s": k * window_s, "span_s": round(span, 3), "results": len(w["e2e"]),
               "fps_mean": len(w["e2e"]) / nstreams / span if span > 0 else None,
               "fps_min": min(w["per_stream"].get(str(i), 0) for i in range(nstreams)) / span if span > 0 else None,
               "dropped_handoff": w["dropped"], "deadline_misses": w["misses"]}
        for key in ("e2e", "process", "age"):
            v = sorted(w[key])
            row[f"{key}_p50_ms"], row[f"{key}_p99_ms"], row[f"{key}_max_ms"] = pct(v, 0.5), pct(v, 0.99), v[-1]
        out.append(row)
    # The pipeline keeps the newest 65536 records per stream: a stream whose first record is late lost
    # the start of the run.
    wrapped = any(t > run_start_ns + wns // 2 for t in first.values())
    return out, wrapped


def svg_windows(rows, path, title, period_ms):
    W, H, ML, MR, MT, MB = 760, 380, 70, 170, 40, 50
    keys = [("e2e_p99_ms", "e2e p99", "#d62728"), ("process_p99_ms", "process p99", "#1f77b4"),
            ("e2e_p50_ms", "e2e p50", "#2ca02c")]
    ys = [r[k] for r in rows for k, _, _ in keys if r.get(k)] + [period_ms]
    if not rows or not ys:
        return
    hi = max(ys) * 1.15
    t1 = max(r["t0_s"] + r["span_s"] for r in rows)

    def X(t):
        return ML + t / t1 * (W - ML - MR)

    def Y(v):
        return H - MB - v / hi * (H - MT - MB)

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
         f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{(W - MR + ML) / 2:.1f}" y="20" text-anchor="middle" font-size="14">{title}</text>',
         f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#888"/>',
         f'<text x="{(W - MR + ML) / 2:.1f}" y="{H - 12}" text-anchor="middle">run time (s); one point per '
         f'window</text>',
         f'<text x="16" y="{(H - MB + MT) / 2:.1f}" text-anchor="middle" '
         f'transform="rotate(-90 16 {(H - MB + MT) / 2:.1f})">latency (ms)</text>',
         f'<line x1="{ML}" y1="{Y(period_ms):.1f}" x2="{W - MR}" y2="{Y(period_ms):.1f}" stroke="#888" '
         f'stroke-dasharray="2,3"/>']
    step = 10 ** math.floor(math.log10(hi / 2)) if hi > 0 else 1
    v = 0.0
    while v <= hi:
        o.append(f'<line x1="{ML}" y1="{Y(v):.1f}" x2="{W - MR}" y2="{Y(v):.1f}" stroke="#eee"/>'
                 f'<text x="{ML - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        v += step
    for r in rows:
        t = r["t0_s"] + r["span_s"] / 2
        o.append(f'<text x="{X(t):.1f}" y="{H - MB + 16}" text-anchor="middle">{t:.0f}</text>')
    ly = MT + 6
    for key, name, color in keys:
        pts = [(r["t0_s"] + r["span_s"] / 2, r[key]) for r in rows if r.get(key)]
        o.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="' +
                 " ".join(f"{X(t):.1f},{Y(v):.1f}" for t, v in pts) + '"/>')
        o.append(f'<line x1="{W - MR + 10}" y1="{ly}" x2="{W - MR + 34}" y2="{ly}" stroke="{color}" '
                 f'stroke-width="2"/><text x="{W - MR + 38}" y="{ly + 4}">{name}</text>')
        ly += 16
    o.append(f'<text x="{W - MR + 10}" y="{ly + 4}" fill="#666">frame period {period_ms:.1f} ms</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def stability(a, n, mode, src, gpu, tmp):
    """One run of a.stability seconds; per-window latency from its per-frame records, first vs last."""
    with tempfile.TemporaryDirectory() as td:  # the records are large (64 streams x 9 min: ~150 MB)
        rec = os.path.join(td, "records.csv")
        r = run_one(a, n, mode, src, gpu, tmp, duration=a.stability, records=rec)
        summ = r.pop("_summary", None)
        if "error" in r:
            return r, None
        rows, wrapped = read_windows(rec, summ["run_start_ns"], a.window_s, n)
    for w in rows:
        t0 = summ["run_start_ns"] / 1e9 + w["t0_s"]
        w["gpu_busy"], w["gpu_mem_mib"] = gpu.window(t0, t0 + w["span_s"]) if gpu else (None, None)
    full = [w for w in rows if w["span_s"] >= 0.9 * a.window_s]
    verdict = None
    if len(full) >= 2:
        f0, f1 = full[0], full[-1]
        same = f1["e2e_p99_ms"] <= max(f0["e2e_p99_ms"] * (1 + a.tolerance), f0["e2e_p99_ms"] + 0.5)
        verdict = {"first_window": f0["window"], "last_window": f1["window"],
                   "e2e_p99_first_ms": f0["e2e_p99_ms"], "e2e_p99_last_ms": f1["e2e_p99_ms"],
                   "process_p99_first_ms": f0["process_p99_ms"], "process_p99_last_ms": f1["process_p99_ms"],
                   "ratio": f1["e2e_p99_ms"] / f0["e2e_p99_ms"], "gpu_mem_first_mib": f0["gpu_mem_mib"],
                   "gpu_mem_last_mib": f1["gpu_mem_mib"], "same": same,
                   "rule": f"last window's e2e p99 <= max(first's x {1 + a.tolerance:g}, first's + 0.5 ms)"}
    r["windows"], r["history_wrapped"], r["verdict"] = rows, wrapped, verdict
    return r, verdict


def special_modes(a, ns, modes, src, period, gpu, tmp, t_begin, base):
    """--stability and --priority-test: their own JSON (and SVG) next to the sweep's."""
    model = os.path.basename(a.model)
    if a.stability:
        n, mode = max(ns), modes[0]
        log(f"stability: N={n} {mode}, {a.stability:g} s, windows of {a.window_s:g} s")
        r, v = stability(a, n, mode, src, gpu, tmp)
        stem = os.path.join(a.out, f"scale-stability-{base['date']}{a.tag}")
        doc = {"benchmark": "scale-stability", **base, "n": n, "mode": mode, "duration_s": a.stability,
               "window_s": a.window_s, "versions": versions(a.vrt), "result": r,
               "notes": "windows by launch time from the run's start; latencies in ms over every frame of "
                        "every stream in the window (e2e = exposure -> result delivered; process = launch -> "
                        "result ready); fps_min = the slowest stream's results / window; gpu_* from "
                        "nvidia-smi every 100 ms"}
        for w in r.get("windows", []):
            busy = "-" if w["gpu_busy"] is None else f"{100 * w['gpu_busy']:.0f}%"
            log(f"  {w['t0_s']:6.0f} s +{w['span_s']:5.1f}: fps min {w['fps_min']:.1f}; e2e p50 "
                f"{w['e2e_p50_ms']:.3f} p99 {w['e2e_p99_ms']:.3f} max {w['e2e_max_ms']:.3f}; process p99 "
                f"{w['process_p99_ms']:.3f} ms; drops {w['dropped_handoff']}; gpu busy {busy}, mem "
                f"{w['gpu_mem_mib']} MiB")
        ok = "error" not in r and v is not None
        if "error" in r:
            log(f"stability run FAILED: {r['error']}")
        elif v is None:
            log("stability: fewer than two full windows; run longer than two --window-s")
        else:
            log(f"stability: e2e p99 first window {v['e2e_p99_first_ms']:.3f} ms, last window "
                f"{v['e2e_p99_last_ms']:.3f} ms (x{v['ratio']:.3f}); process p99 {v['process_p99_first_ms']:.3f} "
                f"-> {v['process_p99_last_ms']:.3f} ms: {'SAME' if v['same'] else 'GREW'} ({v['rule']})"
                + ("; WARNING: the per-frame history wrapped, the first window is incomplete"
                   if r["history_wrapped"] else ""))
        with open(stem + ".json", "w") as f:
            json.dump(doc, f, indent=1)
        if r.get("windows"):
            svg_windows(r["windows"], stem + ".svg", f"{model}, {n} streams ({mode}): latency per "
                        f"{a.window_s:g} s window over {a.stability:g} s", period)
    else:
        rows, skipped = priority_test(a, ns, modes, src, gpu, tmp, t_begin)
        stem = os.path.join(a.out, f"scale-priority-{base['date']}{a.tag}")
        doc = {"benchmark": "scale-priority", **base, "duration_s": a.duration, "versions": versions(a.vrt),
               "results": rows, "skipped": skipped,
               "notes": "stream 0 is the latency-critical one: without_priority = every stream normal, "
                        "with_priority = stream 0 at --priority high (own session, never batched; cuda: "
                        "greatest stream priority); latencies in ms from vrt run's summary (per-stream "
                        "histograms); bulk = streams 1..N-1 (worst p99, median p50)"}
        with open(stem + ".json", "w") as f:
            json.dump(doc, f, indent=1)
        ok = bool(rows) and all("error" not in x["with_priority"] and "error" not in x["without_priority"]
                                for x in rows)
    if gpu:
        gpu.stop()
    log(f"wrote {stem}.json ({time.monotonic() - t_begin:.0f} s)")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="build directory holding the vrt binary")
    ap.add_argument("--model")
    ap.add_argument("--profile", default="models/yolox.conf")
    ap.add_argument("--backend", default="cuda")
    ap.add_argument("--threads", type=int, default=0, help="CPU backend threads per stream (0: default)")
    ap.add_argument("--ns", default="1,2,4,8,16,32,64")
    ap.add_argument("--modes", default="off", help="comma list of batching modes: off (per-stream "
                    "sessions), auto, on")
    ap.add_argument("--batch-deadline-ms", type=float)
    ap.add_argument("--batchable", action="store_true", help="run a copy of the model whose Reshapes take "
                    "any batch (bench/scale/batchable.py; YOLOX exports fix batch 1), for every mode")
    ap.add_argument("--source", default="synthetic", help="synthetic, h264-720p30 or h264-1080p30")
    ap.add_argument("--fps", type=float, default=60, help="synthetic source rate")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--budget-s", type=float, default=450, help="skip what would start after this")
    ap.add_argument("--out", default=os.environ.get("OUT", "bench/results"))
    ap.add_argument("--tag", default="")
    ap.add_argument("--priority-test", action="store_true", help="per N >= 2 and mode: N streams, then the "
                    "same with stream 0 at --priority high; the high stream's latency both ways")
    ap.add_argument("--repeat", type=int, default=1, help="priority test: alternate the two runs this many "
                    "times and report the medians")
    ap.add_argument("--stability", type=float, metavar="SECONDS", help="one run of SECONDS at the largest "
                    "--ns and the first --modes; per-window latency, first window vs last")
    ap.add_argument("--window-s", type=float, default=60, help="stability windows (default 60 s)")
    ap.add_argument("--tolerance", type=float, default=0.2, help="stability: the last window's e2e p99 may "
                    "exceed the first's by this fraction (or 0.5 ms) and still count as the same")
    a = ap.parse_args()
    a.vrt = os.path.join(a.build, "vrt")
    if not os.access(a.vrt, os.X_OK):
        raise SystemExit(f"{a.vrt}: not found; give the build directory")
    if not a.model:
        d = data_dir()
        if not d:
            raise SystemExit("no --model and no VRT_DATA / shared/data with models/yolox_nano")
        a.model = os.path.join(d, "models/yolox_nano/yolox_nano.onnx")
    os.makedirs(a.out, exist_ok=True)
    tmp = os.path.join(a.out, "scale-tmp")
    os.makedirs(tmp, exist_ok=True)
    if a.batchable:
        dst = os.path.join(tmp, os.path.basename(a.model).replace(".onnx", "_batchable.onnx"))
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "batchable.py"), a.model, dst], check=True)
        a.model = dst
    if a.source == "synthetic":
        w, h = a.size.split("x")
        src = f"synthetic:?width={w}&height={h}&fps={a.fps:g}&format=YUYV"
        period = 1000.0 / a.fps
    else:
        src = make_clip(a.vrt, a.source, tmp)
        a.fps, period = 30.0, 1000.0 / 30
    gpu = GpuSampler() if a.backend == "cuda" else None
    t_begin = time.monotonic()
    ns = [int(x) for x in a.ns.split(",")]
    modes = a.modes.split(",")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    base = {"date": date, "command": " ".join(sys.argv), "model": a.model, "profile": a.profile,
            "backend": a.backend, "source": src, "source_fps": a.fps}
    model = os.path.basename(a.model)
    if a.stability or a.priority_test:
        return special_modes(a, ns, modes, src, period, gpu, tmp, t_begin, base)
    res, skipped = [], []
    per_run = None
    for n in ns:
        for mode in modes:
            used = time.monotonic() - t_begin
            if per_run and used + per_run * max(1.0, n / max(1, res[-1]["n"]) ** 0.5) > a.budget_s:
                skipped.append({"n": n, "mode": mode})
                log(f"N={n} {mode}: skipped (budget {a.budget_s:.0f} s)")
                continue
            t = time.monotonic()
            r = run_one(a, n, mode, src, gpu, tmp)
            r.pop("_summary", None)
            per_run = time.monotonic() - t
            res.append(r)
            if "error" in r:
                log(f"N={n:3d} {mode:5s}: FAILED: {r['error']}")
                continue
            busy = "-" if r["gpu_busy"] is None else f"{100 * r['gpu_busy']:.0f}%"
            log(f"N={n:3d} {mode:5s}: fps/stream min {r['fps_min']:.1f} mean {r['fps_mean']:.1f}; drops beyond "
                f"source {r['dropped_beyond_source']}, source {r['dropped_source']}; process p50 "
                f"{r['process_p50_ms']:.3f} p99 {r['process_p99_ms']:.3f}; age p99 {r['age_p99_ms']:.3f}; e2e p99 "
                f"{r['e2e_p99_ms']:.3f} ms; cpu {r['cpu_cores']:.2f} cores; gpu busy "
                f"{busy} ({per_run:.0f} s)")
    if gpu:
        gpu.stop()
    stem = os.path.join(a.out, f"scale-{date}{a.tag}")
    doc = {"benchmark": "scale", **base, "duration_s": a.duration, "versions": versions(a.vrt), "results": res,
           "skipped": skipped,
           "notes": "latencies in ms; process = launch -> result ready per frame; age = exposure -> launch; "
                    "e2e = exposure -> result delivered; *_p99 = worst stream's p99, *_p50 = median over "
                    "streams; dropped_beyond_source = frames replaced in the hand-off (processing late); "
                    "gpu_busy = mean nvidia-smi utilization.gpu while the streams ran; cpu_cores = process "
                    "CPU seconds / run seconds"}
    with open(stem + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    svg_plot(res, stem + ".svg", f"{model} on {a.backend}: latency vs streams ({src.split('?')[0]} "
             f"{a.fps:g} fps each)", period)
    log(f"wrote {stem}.json and {stem}.svg ({time.monotonic() - t_begin:.0f} s)")
    return 0 if res and all("error" not in r for r in res) else 1


if __name__ == "__main__":
    sys.exit(main())
