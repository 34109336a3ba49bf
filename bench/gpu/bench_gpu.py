#!/usr/bin/env python3
"""GPU benchmark: visionrt's CUDA engine against PyTorch, in ONE run on one GPU.

For ResNet-18, ResNet-50 and MobileNetV2 (torchvision, random weights, fixed
seed, eval mode, batch 1, 224x224):
  1. export to ONNX (opset 17) into a temp dir;
  2. numerics: K random inputs through PyTorch fp32 (no TF32) and through the
     engine (bench_engine --inputs) in each math mode: max abs difference,
     max abs difference relative to max |ref|, top-1 agreement;
  3. PyTorch fp16 (.half()): eager, a manual CUDA graph (static input), a
     manual CUDA graph with the H2D input / D2H output copies that the
     engine's numbers include, and torch.compile (mode per model, see
     COMPILE_MODE: max-autotune takes minutes per model, so only ResNet-50
     gets it by default and the others get reduce-overhead);
  4. the engine (bench_engine) with a cold and then a warm algorithm cache.
Timing: per iteration, CUDA events around the work (GPU time) and wall clock
around work + synchronize (host time); >= 1000 iterations after warm-up;
p50/p90/p99/max/mean/stddev in ms.

The JSON is rewritten after every phase, so a run cut short keeps what it
finished; progress goes to stderr with timestamps.

  python3 bench/gpu/bench_gpu.py --engine build-gpu/bench/bench_engine --out bench/results/gpu-DATE.json
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

T0 = time.time()
MODELS = ["resnet18", "resnet50", "mobilenet_v2"]
COMPILE_MODE = {"resnet50": "max-autotune", "resnet18": "reduce-overhead", "mobilenet_v2": "reduce-overhead"}


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def stats(v):
    v = sorted(v)
    n = len(v)

    def pct(p):
        return v[int(p / 100.0 * (n - 1) + 0.5)]

    return {"n": n, "p50": pct(50), "p90": pct(90), "p99": pct(99), "max": v[-1], "mean": statistics.fmean(v),
            "stddev": statistics.stdev(v) if n > 1 else 0.0}


def time_fn(fn, iters, warmup):
    """Per-iteration GPU time (events) and host time (wall clock incl. synchronize)."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    gpu, host = [], []
    stream = torch.cuda.current_stream()
    for _ in range(iters):
        a = time.perf_counter()
        e0.record(stream)
        fn()
        e1.record(stream)
        stream.synchronize()
        host.append((time.perf_counter() - a) * 1e3)
        gpu.append(e0.elapsed_time(e1))
    return {"gpu": stats(gpu), "host": stats(host)}


def versions():
    v = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "torchvision": torchvision.__version__,
         "torch_cuda": torch.version.cuda, "torch_cudnn": torch.backends.cudnn.version(), "python": platform.python_version()}
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,clocks.max.sm,power.limit", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=30).stdout.strip()
        v["nvidia_smi"] = q
        v["driver"] = q.split(",")[0].strip()
    except Exception as ex:  # noqa: BLE001
        v["driver"] = f"unknown ({ex})"
    return v


def make_model(name):
    torch.manual_seed(0)
    m = getattr(torchvision.models, name)(weights=None).eval()
    if name == "mobilenet_v2":
        # torchvision's fan_out init shrinks the depthwise convs' weights (fan_out = 9*C), so
        # random-weight logits are ~1e-9 and underflow fp16; fan_in keeps activations O(1).
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity="relu")
    return m


def export(m, path):
    x = torch.randn(1, 3, 224, 224)
    try:
        torch.onnx.export(m, (x,), path, opset_version=17, input_names=["input"], output_names=["logits"], dynamo=False)
    except TypeError:
        torch.onnx.export(m, (x,), path, opset_version=17, input_names=["input"], output_names=["logits"])


def run_engine(engine, onnx, math, cache, iters, warmup, inputs=None, count=0, outputs=None, engines=None):
    env = dict(os.environ, VRT_CACHE_DIR=cache)
    extra = []
    if math.endswith("-nofuse"):
        math = math[:-len("-nofuse")]
        extra = ["--nofuse"]
    cmd = [engine, onnx, "--math", math, "--iters", str(iters), "--warmup", str(warmup)] + extra
    if engines:
        cmd += ["--engines", engines]
    if inputs:
        cmd += ["--inputs", inputs, "--count", str(count), "--outputs", outputs]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    wall = time.time() - t
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout)[-2000:], "rc": r.returncode}
    d = json.loads(r.stdout)
    d["process_wall_s"] = wall
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--count", type=int, default=16, help="random inputs for the numerics check")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--maths", default="fp16,fp32,fp16-nofuse")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--compile-all-max-autotune", action="store_true")
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "versions": versions(), "batch": 1,
           "size": [224, 224], "iters": a.iters, "warmup": a.warmup,
           "notes": {
               "torch": "fp16 via .half(); eager / manual CUDA graph (static device input) / manual CUDA graph with "
                        "H2D of the fp32 input from pinned memory + cast and D2H of the logits (what the engine's "
                        "numbers include) / torch.compile in the mode named per model",
               "engine": "bench_engine: 'gpu' = CUDA events around the backend's run() (one graph replay incl. H2D of "
                         "the fp32 input from pinned staging and D2H of the logits); 'host' = vrt_engine_run wall "
                         "clock (caller buffer -> result in caller buffer); load_to_first_ms = open + first run, cold "
                         "cache = empty VRT_CACHE_DIR, warm = second process on the same folder",
               "numerics": "reference = PyTorch fp32 on the GPU with TF32 off, same weights and inputs",
               "weights": "torchvision random init, torch.manual_seed(0); mobilenet_v2 convs re-initialised "
                          "kaiming_normal fan_in (torchvision's fan_out init gives ~1e-9 logits that underflow fp16)",
               "engine_maths": "fp16 = fp16 NHWC storage + fp32 accumulation (VRT_CUDA_MATH=fp16); fp32 = strict "
                               "fp32 FMA; -nofuse = conv + our epilogue kernel instead of cuDNN's fused "
                               "conv+bias+act(+residual) call",
           },
           "models": {}}
    log(f"versions: {res['versions']}")
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)

    def save():
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    tmp = tempfile.mkdtemp(prefix="vrt-bench-")
    dev = torch.device("cuda")
    models = [m for m in a.models.split(",") if m]
    maths = [m for m in a.maths.split(",") if m]
    # Phase 1: export + numerics + engine timing (cheap), for every model.
    for name in models:
        r = res["models"].setdefault(name, {})
        m = make_model(name)
        onnx = os.path.join(tmp, f"{name}.onnx")
        log(f"{name}: export")
        export(m, onnx)
        r["onnx_bytes"] = os.path.getsize(onnx)
        # numerics
        g = torch.Generator().manual_seed(1)
        xs = torch.randn(a.count, 1, 3, 224, 224, generator=g)
        xs.numpy().astype(np.float32).tofile(os.path.join(tmp, "in.bin"))
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        mc = m.to(dev)
        with torch.no_grad():
            ref = torch.cat([mc(x.to(dev)) for x in xs]).float().cpu().numpy()
            ref16 = torch.cat([mc.half()(x.to(dev).half()) for x in xs]).float().cpu().numpy()
        mc.float()
        num = {"count": a.count, "ref_max_abs": float(np.abs(ref).max()),
               "torch_fp16": {"max_abs": float(np.abs(ref16 - ref).max()),
                              "top1_agree": int((ref16.argmax(1) == ref.argmax(1)).sum())}}
        r["numerics"] = num
        r["engine"] = {}
        for math in maths:
            cache = tempfile.mkdtemp(prefix=f"vrt-cache-{name}-{math}-")
            log(f"{name}: engine {math} cold cache (+ numerics)")
            outp = os.path.join(tmp, f"out-{math}.bin")
            cold = run_engine(a.engine, onnx, math, cache, a.iters, a.warmup, os.path.join(tmp, "in.bin"), a.count, outp)
            if "error" in cold:
                log(f"{name}: engine {math} FAILED: {cold['error']}")
                r["engine"][math] = {"cold": cold}
                save()
                continue
            got = np.fromfile(outp, dtype=np.float32).reshape(ref.shape)
            num[f"engine_{math}"] = {"max_abs": float(np.abs(got - ref).max()),
                                     "max_abs_rel_to_max_ref": float(np.abs(got - ref).max() / np.abs(ref).max()),
                                     "top1_agree": int((got.argmax(1) == ref.argmax(1)).sum())}
            log(f"{name}: engine {math} warm cache")
            engf = os.path.join(tmp, "engines.txt")
            warm = run_engine(a.engine, onnx, math, cache, a.iters, a.warmup, engines=engf)
            r["engine"][math] = {"cold": cold, "warm": warm}
            if os.path.exists(engf):
                lines = open(engf).read().splitlines()
                r["engine"][math]["engines"] = lines
                tms = []
                for ln in lines:
                    for tok in ln.split(", "):
                        if tok.endswith(" ms"):
                            try:
                                tms.append(float(tok[:-3]))
                            except ValueError:
                                pass
                r["engine"][math]["sum_of_chosen_conv_times_ms"] = sum(tms)
                os.remove(engf)
            best = warm if "gpu" in warm else cold
            log(f"{name}: engine {math}: gpu p50 {best['gpu']['p50']:.4f} ms p99 {best['gpu']['p99']:.4f}, host p50 "
                f"{best['host']['p50']:.4f}; load cold {cold['load_to_first_ms']:.0f} ms warm "
                f"{warm.get('load_to_first_ms', -1):.0f} ms; numerics {num[f'engine_{math}']}")
            save()
        del mc
        save()
    # Phase 2: PyTorch fp16 eager and CUDA graph.
    for name in models:
        r = res["models"][name]
        m = make_model(name).to(dev).half()
        x = torch.randn(1, 3, 224, 224, device=dev).half()
        tr = r.setdefault("torch_fp16", {})
        with torch.no_grad():
            log(f"{name}: torch eager")
            tr["eager"] = time_fn(lambda: m(x), a.iters, a.warmup)
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(5):
                    m(x)
            torch.cuda.current_stream().wait_stream(s)
            gph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(gph):
                y = m(x)
            log(f"{name}: torch cuda graph")
            tr["cuda_graph"] = time_fn(gph.replay, a.iters, a.warmup)
            # with the I/O the engine's numbers include
            xh = torch.randn(1, 3, 224, 224).pin_memory()
            x32 = torch.empty(1, 3, 224, 224, device=dev)
            yh = torch.empty(y.shape, dtype=torch.float32).pin_memory()

            def io_replay():
                x32.copy_(xh, non_blocking=True)
                x.copy_(x32)
                gph.replay()
                yh.copy_(y, non_blocking=True)

            tr["cuda_graph_with_io"] = time_fn(io_replay, a.iters, a.warmup)
        log(f"{name}: torch eager p50 {tr['eager']['gpu']['p50']:.4f} ms, graph {tr['cuda_graph']['gpu']['p50']:.4f}, "
            f"graph+io {tr['cuda_graph_with_io']['gpu']['p50']:.4f}")
        del gph, m
        save()
    # Phase 3: torch.compile (slow: last, so the rest survives a timeout).
    if not a.no_compile:
        order = sorted(models, key=lambda n: COMPILE_MODE.get(n) == "max-autotune")
        for name in order:
            mode = "max-autotune" if a.compile_all_max_autotune else COMPILE_MODE.get(name, "reduce-overhead")
            r = res["models"][name]
            tr = r.setdefault("torch_fp16", {})
            torch._dynamo.reset()
            m = make_model(name).to(dev).half()
            x = torch.randn(1, 3, 224, 224, device=dev).half()
            log(f"{name}: torch.compile mode={mode} (compiling)")
            t = time.time()
            with torch.no_grad():
                cm = torch.compile(m, mode=mode)
                for _ in range(3):
                    cm(x)
                torch.cuda.synchronize()
                ct = time.time() - t
                log(f"{name}: compiled in {ct:.0f} s")
                tr["compile"] = time_fn(lambda: cm(x), a.iters, a.warmup)
            tr["compile"]["mode"] = mode
            tr["compile"]["compile_s"] = ct
            log(f"{name}: torch.compile p50 {tr['compile']['gpu']['p50']:.4f} ms")
            save()
    # Summary: ratios of best PyTorch p50 (GPU time) to ours.
    summary = {}
    for name in models:
        r = res["models"][name]
        tr = r.get("torch_fp16", {})
        tp = {k: v["gpu"]["p50"] for k, v in tr.items() if isinstance(v, dict) and "gpu" in v}
        if not tp:
            continue
        bestk = min(tp, key=tp.get)
        row = {"torch_p50_ms": tp, "best_torch": bestk}
        for math, e in r.get("engine", {}).items():
            w = e.get("warm") or e.get("cold")
            if not w or "gpu" not in w:
                continue
            row[f"engine_{math}_gpu_p50_ms"] = w["gpu"]["p50"]
            row[f"engine_{math}_gpu_p99_minus_p50_us"] = (w["gpu"]["p99"] - w["gpu"]["p50"]) * 1e3
            row[f"engine_{math}_speedup_vs_best_torch"] = tp[bestk] / w["gpu"]["p50"]
            if "compile" in tp:
                row[f"engine_{math}_speedup_vs_compile"] = tp["compile"] / w["gpu"]["p50"]
            row[f"engine_{math}_load_warm_ms"] = w.get("load_to_first_ms")
        summary[name] = row
    res["summary"] = summary
    save()
    print(json.dumps(summary, indent=1))
    log("done")


if __name__ == "__main__":
    main()
