#!/usr/bin/env python3
"""NVDEC scale benchmark (issue 17): N raw H.264 streams decoded on the GPU's video engines
(the NVDEC source, `file:CLIP.h264?decode=nvdec`) x one detector in ONE `vrt run` process.

Per clip size (720p30, 1080p30) and N (default 16, 32, 64) and batching mode, runs

    vrt run -m MODEL --profile models/yolox.conf --backend cuda --pace --loop -d DURATION \
        --summary FILE [--batch MODE] -i file:.h264/clip-720p30-0.h264?decode=nvdec -i ...  (N)

Stream i reads clip i mod K of the clip folder (bench/scale/nvdec_gen.sh). With --pace each access
unit goes to the decoder at its due time (30 per second) and the frame's timestamp is that moment,
so the summary's end-to-end latency is decode-to-result: decode, copy out, hand-off, pre-processing,
the model and the head. Per run it keeps what scale.py keeps (fps, drops, process / age / e2e p50
and p99, CPU cores, GPU busy) plus the decoder engines' utilisation (nvidia-smi
utilization.decoder), and says whether the aim holds: every stream at 30 fps (>= 29.5) with
decode-to-result p99 <= 33.3 ms (one frame period). The JSON names the largest N that holds per
size. Writes nvdec-<date>.json into --out.

    python3 bench/scale/nvdec.py BUILD --clips .h264 --out $OUT
    python3 bench/scale/nvdec.py build-cpu --backend cpu --decode cpu --ns 2 --sizes 720 \
        --duration 3 --no-batchable --out /tmp/nv      # smoke test of the script without a GPU
"""
import argparse
import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402  (GpuSampler, summarize, versions, data_dir)

PERIOD_MS = 1000.0 / 30


class DecoderSampler:
    """nvidia-smi utilization.decoder every 200 ms, stamped with CLOCK_MONOTONIC."""

    def __init__(self, on=True):
        self.samples, self.proc = [], None
        if not on or not shutil.which("nvidia-smi"):
            return
        self.proc = subprocess.Popen(
            ["nvidia-smi", "--query-gpu=utilization.decoder", "--format=csv,noheader,nounits", "-lms", "200",
             "-i", os.environ.get("VRT_SCALE_GPU", "0")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.samples.append((time.monotonic(), float(line.strip())))
            except ValueError:
                pass

    def window(self, t0, t1):
        s = [u for t, u in self.samples if t0 <= t <= t1]
        return sum(s) / len(s) / 100.0 if s else None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


def run_one(a, clips, n, mode, gpu, dec, tmp):
    summ_path = os.path.join(tmp, f"nvdec-summary-{n}-{mode}.json")
    cmd = [a.vrt, "run", "-q", "--headless", "-m", a.model, "--profile", a.profile, "--backend", a.backend,
           "-d", str(a.duration), "--summary", summ_path, "--deadline-ms", f"{PERIOD_MS:.3f}", "--timeout", "30",
           "--pace", "--loop"]
    if mode != "off":
        cmd += ["--batch", mode]
    for i in range(n):
        cmd += ["-i", f"file:{clips[i % len(clips)]}?decode={a.decode}"]
    t = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=a.duration + 150)
    except subprocess.TimeoutExpired:
        return {"n": n, "mode": mode, "error": "timed out"}
    if r.returncode or not os.path.exists(summ_path):
        return {"n": n, "mode": mode, "error": r.stderr.strip()[-800:], "wall_s": time.monotonic() - t}
    with open(summ_path) as f:
        summ = json.loads(f.readline())
    t0 = summ["run_start_ns"] / 1e9
    out = {"n": n, "mode": mode, "wall_s": round(time.monotonic() - t, 1), "run_s": summ["run_s"]}
    out.update(scale.summarize(summ, gpu, t0 + 0.5, t0 + summ["run_s"]))
    out["decoder_busy"] = dec.window(t0 + 0.5, t0 + summ["run_s"])
    out["decode_to_result_p99_ms"] = out["e2e_p99_ms"]
    out["holds"] = bool(out["fps_min"] >= 29.5 and out["e2e_p99_ms"] is not None
                        and out["e2e_p99_ms"] <= PERIOD_MS)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="build directory holding the vrt binary")
    ap.add_argument("--clips", default=".h264", help="folder of clip-<H>p30-<i>.h264 (nvdec_gen.sh)")
    ap.add_argument("--sizes", default="720,1080", help="clip heights to run (comma list)")
    ap.add_argument("--ns", default="16,32,64")
    ap.add_argument("--modes", default="auto", help="batching modes, comma list: off, auto, on")
    ap.add_argument("--model")
    ap.add_argument("--profile", default="models/yolox.conf")
    ap.add_argument("--no-batchable", action="store_true", help="run the model as shipped (fixed batch 1: "
                    "--batch then runs per stream); default: scale.py's batchable copy")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--backend", default="cuda", help="cuda; cpu for a smoke test of the script")
    ap.add_argument("--decode", default="nvdec", help="nvdec; cpu (FFmpeg builds) for a smoke test")
    ap.add_argument("--budget-s", type=float, default=500, help="skip runs that would start after this")
    ap.add_argument("--out", default=os.environ.get("OUT", "bench/results"))
    a = ap.parse_args()
    a.vrt = os.path.join(a.build, "vrt")
    if not os.access(a.vrt, os.X_OK):
        raise SystemExit(f"{a.vrt}: not found; give the build directory")
    if not a.model:
        d = scale.data_dir()
        if not d:
            raise SystemExit("no --model and no VRT_DATA / shared/data with models/yolox_nano")
        a.model = os.path.join(d, "models/yolox_nano/yolox_nano.onnx")
    os.makedirs(a.out, exist_ok=True)
    tmp = os.path.join(a.out, "nvdec-tmp")
    os.makedirs(tmp, exist_ok=True)
    if not a.no_batchable:
        dst = os.path.join(tmp, os.path.basename(a.model).replace(".onnx", "_batchable.onnx"))
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "batchable.py"), a.model, dst], check=True)
        a.model = dst
    gpu, dec = (scale.GpuSampler(), DecoderSampler()) if a.backend == "cuda" else (None, DecoderSampler(False))
    t_begin = time.monotonic()
    res, skipped, largest = [], [], {}
    for h in [int(x) for x in a.sizes.split(",")]:
        clips = sorted(glob.glob(os.path.join(a.clips, f"clip-{h}p30-*.h264")))
        if not clips:
            raise SystemExit(f"no {a.clips}/clip-{h}p30-*.h264: make them with sh bench/scale/nvdec_gen.sh "
                             f"{a.clips} (needs ffmpeg with libx264) and carry the folder")
        for n in [int(x) for x in a.ns.split(",")]:
            for mode in a.modes.split(","):
                if time.monotonic() - t_begin > a.budget_s:
                    skipped.append({"height": h, "n": n, "mode": mode})
                    continue
                r = run_one(a, clips, n, mode, gpu, dec, tmp)
                r["height"] = h
                res.append(r)
                if "error" in r:
                    scale.log(f"{h}p N={n:3d} {mode}: FAILED: {r['error']}")
                    continue
                if r["holds"]:
                    largest[f"{h}p/{mode}"] = max(largest.get(f"{h}p/{mode}", 0), n)
                db = "-" if r["decoder_busy"] is None else f"{100 * r['decoder_busy']:.0f}%"
                scale.log(f"{h}p N={n:3d} {mode:4s}: fps/stream min {r['fps_min']:.1f}; decode-to-result p50 "
                          f"{r['e2e_p50_ms']:.2f} p99 {r['e2e_p99_ms']:.2f} ms; process p99 "
                          f"{r['process_p99_ms']:.2f}; drops {r['dropped_beyond_source']}+{r['dropped_source']}; "
                          f"cpu {r['cpu_cores']:.2f} cores; decoder {db}; {'HOLDS' if r['holds'] else 'misses'}")
    if gpu:
        gpu.stop()
    dec.stop()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    path = os.path.join(a.out, f"nvdec-{date}.json")
    doc = {"benchmark": "nvdec-scale", "date": date, "command": " ".join(sys.argv), "model": a.model,
           "backend": a.backend, "decode": a.decode,
           "profile": a.profile, "duration_s": a.duration, "versions": scale.versions(a.vrt),
           "aim": "every stream >= 29.5 fps and decode-to-result p99 <= 33.3 ms",
           "largest_n_holding": largest, "results": res, "skipped": skipped,
           "notes": "decode-to-result = e2e: from the moment a frame's access unit went to NVDEC (paced at "
                    "30/s) to its result; decoder_busy = nvidia-smi utilization.decoder; the rest as scale.py"}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    scale.log(f"wrote {path}; largest N holding the aim: {largest or 'none'} "
              f"({time.monotonic() - t_begin:.0f} s)")
    return 0 if res and all("error" not in r for r in res) else 1


if __name__ == "__main__":
    sys.exit(main())
