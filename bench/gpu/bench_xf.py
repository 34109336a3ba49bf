#!/usr/bin/env python3
"""GPU benchmark of issue 10's models: visionrt's CUDA engine against PyTorch fp16, in ONE run.

Models (full size, random weights from scripts/make-models' builders, fixed seed, batch 1):
  depth_anything_v2  Depth Anything V2 Small (DINOv2 ViT-S/14 + DPT), 518x518
  detr_resnet50      DETR-ResNet-50, 640x480
  yolov8n, yolo11n, yolo12n   Ultralytics YAMLs at scale n, 640x640 (needs the ultralytics package:
                     bench/gpu/xf.sh installs a carried wheel from .xf/whl)

Per model:
  1. ONNX: XF/<name>/model.onnx when present (carried), else exported here (make-models' export
     form); the input is make-models' (a photo from VRT_DATA, else a synthetic image);
     reference = onnxruntime CPU on that input.
  2. the engine (bench_engine) in fp16 and fp32: 1000 iterations after warm-up, and output 0 vs
     onnxruntime (max |diff| / max |ref|; depth: % of the depth range); YOLOv8n also the frame
     path (bench_engine --session: 640x480 YUYV in page-locked memory -> letterbox -> model ->
     decode + NMS -> boxes on the host).
  3. PyTorch fp16 (.half()): eager and a manual CUDA graph, in this process;
  4. torch.compile(mode="max-autotune") per model in a child process with a timeout: the compile
     phase comes last and stops at --deadline (epoch seconds; bench/gpu/xf.sh sets it so the whole
     command ends within its budget): a model not compiled in time says so in the JSON.
Timing: GPU time (CUDA events) and host time (wall clock incl. synchronize), p50/p90/p99/max/mean/
stddev in ms. The JSON is rewritten after every step (a run cut short keeps what it finished);
"summary" holds per model the best PyTorch variant, our fp16 p50, the speedup and the issue's
targets.

  python3 bench/gpu/bench_xf.py --engine build-gpu/bench/bench_engine --xf .xf --out OUT.json
"""
import argparse
import datetime
import importlib.machinery
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = time.time()
MODELS = ["depth_anything_v2", "detr_resnet50", "yolov8n", "yolo11n", "yolo12n"]
# The targets: p50 of our fp16 GPU time at most this many ms (None: none), and speedup over
# the best PyTorch variant at least this.
TARGETS = {"depth_anything_v2": (1.0, 1.5), "detr_resnet50": (None, 1.5), "yolov8n": (None, None),
           "yolo11n": (None, 1.5), "yolo12n": (None, 1.5)}
YOLO_PROFILE = """name = yolov8n (bench_xf)
task = detect-yolov8
width = 640
height = 640
color = rgb
resize = letterbox
placement = center
pad = 114
scale = 1/255
mean = 0
std = 1
layout = nchw
dtype = float32
strides = 8, 16, 32
score_threshold = 0.25
iou_threshold = 0.7
max_detections = 100
"""


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def make_models():
    """scripts/make-models as a module; a synthetic photo when VRT_DATA has none (GPU machine)."""
    path = os.path.join(ROOT, "scripts", "make-models")
    loader = importlib.machinery.SourceFileLoader("make_models", path)
    spec = importlib.util.spec_from_loader("make_models", loader)
    mm = importlib.util.module_from_spec(spec)
    loader.exec_module(mm)
    if not os.path.exists(os.path.join(mm.data_dir(), mm.IMAGE)):
        def synthetic(_path):
            from PIL import Image
            yy, xx = np.mgrid[0:480, 0:640]
            img = np.stack([xx * 255 // 639, yy * 255 // 479, (xx + 2 * yy) % 256], -1)
            img = img + np.random.default_rng(0).integers(-24, 25, img.shape)
            return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
        mm.load_rgb = synthetic
    return mm


def build(mm, name):
    import torch
    torch.manual_seed(mm.SEED)
    np.random.seed(mm.SEED)
    return mm.build(name, False)


def stats(v):
    v = sorted(v)
    n = len(v)
    return {"n": n, "p50": v[int(0.5 * (n - 1) + 0.5)], "p90": v[int(0.9 * (n - 1) + 0.5)],
            "p99": v[int(0.99 * (n - 1) + 0.5)], "max": v[-1], "mean": statistics.fmean(v),
            "stddev": statistics.stdev(v) if n > 1 else 0.0}


def time_fn(fn, iters, warmup):
    """Per-iteration GPU time (CUDA events) and host time (wall clock incl. synchronize), ms."""
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    stream = torch.cuda.current_stream()
    gpu, host = [], []
    for _ in range(iters):
        a = time.perf_counter()
        e0.record(stream)
        fn()
        e1.record(stream)
        stream.synchronize()
        host.append((time.perf_counter() - a) * 1e3)
        gpu.append(e0.elapsed_time(e1))
    return {"gpu": stats(gpu), "host": stats(host)}


def first(y):
    return y[0] if isinstance(y, (tuple, list)) else y


def versions():
    import torch
    v = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
         "torch_cudnn": torch.backends.cudnn.version(), "python": platform.python_version()}
    for mod in ("transformers", "ultralytics", "onnxruntime"):
        try:
            v[mod] = importlib.import_module(mod).__version__
        except Exception as ex:  # noqa: BLE001
            v[mod] = f"not available ({type(ex).__name__})"
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,clocks.max.sm,power.limit",
                            "--format=csv,noheader"], capture_output=True, text=True, timeout=30).stdout.strip()
        v["nvidia_smi"], v["driver"] = q, q.split(",")[0].strip()
    except Exception as ex:  # noqa: BLE001
        v["driver"] = f"unknown ({ex})"
    return v


def prepare(mm, name, xf, tmp):
    """(torch module, input, ONNX path, onnxruntime outputs); exports when XF has no model."""
    import onnxruntime as ort
    import torch
    model, x, out_names, opset = build(mm, name)
    in_name = "images" if name.startswith("yolo") else "pixel_values"
    onnx = os.path.join(xf, name, "model.onnx") if xf else ""
    if not onnx or not os.path.exists(onnx):
        onnx = os.path.join(tmp, f"{name}.onnx")
        log(f"{name}: export to {onnx}")
        with torch.no_grad():
            torch.onnx.export(model, (torch.from_numpy(x),), onnx, opset_version=opset, input_names=[in_name],
                              output_names=out_names, dynamo=False, do_constant_folding=True)
    sess = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})
    return model, x, onnx, ref


def numerics(name, got, ref):
    d = np.abs(got.astype(np.float64) - ref)
    r = {"max_abs": float(d.max()), "max_abs_rel_to_max_ref": float(d.max() / max(np.abs(ref).max(), 1e-30))}
    if name.startswith("depth"):
        r["max_abs_pct_of_range"] = float(100 * d.max() / max(float(ref.max() - ref.min()), 1e-30))
    return r


def run_engine(engine, onnx, math, cache, iters, warmup, extra=()):
    cmd = [engine, onnx, "--math", math, "--iters", str(iters), "--warmup", str(warmup)] + list(extra)
    t = time.time()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, VRT_CACHE_DIR=cache),
                           timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "bench_engine: timeout after 300 s", "cmd": " ".join(cmd)}
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout)[-2000:], "rc": r.returncode, "cmd": " ".join(cmd)}
    d = json.loads(r.stdout)
    d["process_wall_s"] = time.time() - t
    return d


def engine_phase(a, name, onnx, x, ref, tmp, r):
    inp = os.path.join(tmp, f"{name}-in.bin")
    x.astype(np.float32).tofile(inp)
    cache = tempfile.mkdtemp(prefix=f"vrt-cache-{name}-")
    r["engine"] = {}
    skip32 = [m for m in a.no_fp32.split(",") if m]
    for math in ("fp16",) if name in skip32 else ("fp16", "fp32"):
        outp = os.path.join(tmp, f"{name}-out-{math}.bin")
        log(f"{name}: engine {math}")
        e = run_engine(a.engine, onnx, math, cache, a.iters, a.warmup,
                       ["--inputs", inp, "--count", "1", "--outputs", outp])
        if "error" not in e:
            got = np.fromfile(outp, dtype=np.float32)
            e["numerics_vs_onnxruntime"] = (numerics(name, got.reshape(ref[0].shape), ref[0])
                                            if got.size == ref[0].size else {"error": f"{got.size} floats"})
            log(f"{name}: engine {math}: gpu p50 {e['gpu']['p50']:.4f} ms p99 {e['gpu']['p99']:.4f}, host p50 "
                f"{e['host']['p50']:.4f}; {e['numerics_vs_onnxruntime']}")
        else:
            log(f"{name}: engine {math} FAILED: {e['error'][-400:]}")
        r["engine"][math] = e
    if name == "yolov8n":
        prof = os.path.join(tmp, "yolov8n.conf")
        with open(prof, "w") as f:
            f.write(YOLO_PROFILE)
        log(f"{name}: engine fp16 frame path (session)")
        e = run_engine(a.engine, onnx, "fp16", cache, a.iters, a.warmup, ["--session", prof])
        r["engine"]["fp16_frame_path"] = e
        if "host" in e:
            log(f"{name}: frame path host p50 {e['host']['p50']:.4f} ms p99 {e['host']['p99']:.4f}")


def torch_phase(a, name, model, x, ref, r):
    import torch
    dev = torch.device("cuda")
    m = model.to(dev).half().eval()
    xt = torch.from_numpy(x).to(dev).half()
    tr = r.setdefault("torch_fp16", {})
    with torch.no_grad():
        try:
            y = first(m(xt)).float().cpu().numpy()
            r["torch_fp16_numerics_vs_onnxruntime"] = numerics(name, y.reshape(ref[0].shape), ref[0])
            log(f"{name}: torch eager")
            tr["eager"] = time_fn(lambda: m(xt), a.iters, a.warmup)
        except Exception as ex:  # noqa: BLE001
            tr["eager"] = {"error": f"{type(ex).__name__}: {ex}"[:2000]}
        try:
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(5):
                    m(xt)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                m(xt)
            log(f"{name}: torch cuda graph")
            tr["cuda_graph"] = time_fn(g.replay, a.iters, a.warmup)
            del g
        except Exception as ex:  # noqa: BLE001
            tr["cuda_graph"] = {"error": f"{type(ex).__name__}: {ex}"[:2000]}
    p = {k: v["gpu"]["p50"] for k, v in tr.items() if "gpu" in v}
    log(f"{name}: torch p50 {p}")
    del m, xt
    torch.cuda.empty_cache()


def compile_child(name, mode, iters, warmup):
    """In a child process: torch.compile(mode) of the fp16 model, timed; one JSON line on stdout."""
    import torch
    mm = make_models()
    model, x, _, _ = build(mm, name)
    m = model.cuda().half().eval()
    xt = torch.from_numpy(x).cuda().half()
    t = time.time()
    with torch.no_grad():
        cm = torch.compile(m, mode=mode)
        for _ in range(3):
            cm(xt)
        torch.cuda.synchronize()
        ct = time.time() - t
        res = time_fn(lambda: cm(xt), iters, warmup)
    res["mode"], res["compile_s"] = mode, ct
    print(json.dumps(res))


def compile_phase(a, name, r):
    left = a.deadline - time.time() - 15 if a.deadline else 1e9
    tr = r.setdefault("torch_fp16", {})
    if left < 30:
        tr["compile"] = {"mode": a.compile_mode, "error": "not run: the command's time budget was spent"}
        log(f"{name}: torch.compile skipped (budget)")
        return
    log(f"{name}: torch.compile mode={a.compile_mode} (child, timeout {left:.0f} s)")
    cmd = [sys.executable, os.path.abspath(__file__), "--compile-child", name, "--compile-mode", a.compile_mode,
           "--iters", str(a.iters), "--warmup", str(a.warmup), "--engine", "-", "--out", "-"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=left)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        tr["compile"] = json.loads(lines[-1]) if p.returncode == 0 and lines else {
            "mode": a.compile_mode, "error": (p.stderr or p.stdout)[-2000:]}
    except subprocess.TimeoutExpired:
        tr["compile"] = {"mode": a.compile_mode, "error": f"timeout after {left:.0f} s (the command's budget)"}
    c = tr["compile"]
    log(f"{name}: torch.compile " + (f"p50 {c['gpu']['p50']:.4f} ms (compiled in {c['compile_s']:.0f} s)"
                                     if "gpu" in c else f"FAILED: {c['error'][-300:]}"))


def summarize(res):
    out = {}
    for name, r in res["models"].items():
        tp = {k: v["gpu"]["p50"] for k, v in r.get("torch_fp16", {}).items() if isinstance(v, dict) and "gpu" in v}
        e = r.get("engine", {}).get("fp16", {})
        row = {"torch_gpu_p50_ms": tp}
        if "gpu" in e:
            row["engine_fp16_gpu_p50_ms"] = e["gpu"]["p50"]
            row["engine_fp16_gpu_p99_minus_p50_us"] = (e["gpu"]["p99"] - e["gpu"]["p50"]) * 1e3
            row["engine_fp16_host_p50_ms"] = e["host"]["p50"]
            row["engine_fp16_numerics"] = e.get("numerics_vs_onnxruntime")
        if tp and "gpu" in e:
            best = min(tp, key=tp.get)
            row["best_torch"], row["speedup_vs_best_torch"] = best, tp[best] / e["gpu"]["p50"]
            row["speedup_vs_compile"] = tp["compile"] / e["gpu"]["p50"] if "compile" in tp else None
        ms, sp = TARGETS.get(name, (None, None))
        if ms is not None and "gpu" in e:
            row["target_p50_at_most_ms"], row["target_ms_met"] = ms, e["gpu"]["p50"] <= ms
        if sp is not None and "speedup_vs_best_torch" in row:
            row["target_speedup"], row["target_speedup_met"] = sp, row["speedup_vs_best_torch"] >= sp
        fp = r.get("engine", {}).get("fp16_frame_path", {})
        if "host" in fp:
            row["frame_path_host_p50_ms"] = fp["host"]["p50"]
            row["frame_path_p99_minus_p50_us"] = (fp["host"]["p99"] - fp["host"]["p50"]) * 1e3
            row["target_frame_path_at_most_ms"], row["target_frame_path_met"] = 0.5, fp["host"]["p50"] <= 0.5
        out[name] = row
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", required=True, help="bench_engine binary")
    ap.add_argument("--out", required=True, help="JSON file")
    ap.add_argument("--xf", default=os.path.join(ROOT, ".xf"), help="folder of carried <model>/model.onnx")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--no-fp32", default="depth_anything_v2",
                    help="models whose engine fp32 timing is skipped (depth's costs ~2 min of GPU time); '' for none")
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--compile-mode", default="max-autotune")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--compile-only", action="store_true",
                    help="only the torch.compile phase (e.g. for the models a first run's budget left out; "
                         "inductor's caches on the same machine make the earlier ones quick)")
    ap.add_argument("--deadline", type=float, default=0, help="epoch seconds by which to stop compiling")
    ap.add_argument("--compile-child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.compile_child:
        compile_child(a.compile_child, a.compile_mode, a.iters, a.warmup)
        return 0
    import torch
    torch.backends.cudnn.benchmark = True
    mm = make_models()
    res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "versions": versions(), "batch": 1,
           "iters": a.iters, "warmup": a.warmup, "models": {},
           "notes": {"weights": "random, scripts/make-models' builders and seed; depth's DPT head He-initialised",
                     "engine": "bench_engine: gpu = CUDA events around one graph replay incl. H2D of the fp32 "
                               "input and D2H of the outputs; host = vrt_engine_run wall clock",
                     "torch": "fp16 via .half(), the module on a device input; torch.compile in a child process",
                     "numerics": "output 0 against onnxruntime CPU (fp32) on the same input",
                     "frame_path": "yolov8n: bench_engine --session, 640x480 YUYV (synthetic pattern) -> letterbox "
                                   "-> model -> decode + NMS -> boxes on the host; random weights score every "
                                   "anchor near 1e-4, so no box passes 0.25 and NMS has nothing to do"}}
    log(f"versions: {res['versions']}")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    def save():
        res["summary"] = summarize(res)
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    tmp = tempfile.mkdtemp(prefix="vrt-xf-")
    names = [n for n in a.models.split(",") if n]
    for name in [] if a.compile_only else names:
        r = res["models"].setdefault(name, {})
        try:
            model, x, onnx, ref = prepare(mm, name, a.xf, tmp)
        except Exception as ex:  # noqa: BLE001 (ultralytics missing, export failure: the others still run)
            r["error"] = f"{type(ex).__name__}: {ex}"[:2000]
            log(f"{name}: SKIPPED: {r['error']}")
            save()
            continue
        r["input_shape"], r["onnx"] = list(x.shape), onnx
        engine_phase(a, name, onnx, x, ref, tmp, r)
        save()
        torch_phase(a, name, model, x, ref, r)
        save()
    if not a.no_compile:
        for name in names:
            r = res["models"].setdefault(name, {})
            if "error" not in r:
                compile_phase(a, name, r)
                save()
    save()
    print(json.dumps(res["summary"], indent=1))
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
