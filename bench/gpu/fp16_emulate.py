#!/usr/bin/env python3
"""fp16 emulation of an ONNX model with onnxruntime (CPU is enough), to tell
fp16 precision loss from a bug in the CUDA backend's fp16 path.

The model is rewritten so that every tensor that our engine (or PyTorch's
model.half()) would hold in fp16 is rounded to fp16 and back (Cast pairs);
the arithmetic itself stays fp32, i.e. fp16 storage with fp32 accumulation,
what cuDNN's fp16 convolutions with fp32 compute do. Modes:

  vrt    what visionrt's fp16 NHWC path rounds: Conv weights and biases,
         every Conv input 0 and every Conv output after its fused
         activation (Conv -> Sigmoid -> Mul = SiLU rounds after the Mul);
         everything else (Sigmoid/Mul/Concat/Slice/Resize/Add ...) fp32.
  torch  model.half(): every float initializer and every node output fp16.

Prints, per input of the test sets, max |emulated - fp32| of output 0 (and
by column group for YOLOX's [N, 85] output), then a node-by-node table of
the relative error of each rounded intermediate (--nodes N: first N nodes).
With --ours FILE (fp32 raw output 0 of our fp16 run, bench_engine
--outputs) it also prints max |ours - fp32| next to the emulation's.

  fp16_emulate.py MODEL.onnx TEST_DATA_DIR [--mode vrt|torch|both] [--nodes N] [--ours F]
"""
import argparse
import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def silu_tails(g):
    """Conv output name -> the SiLU Mul output that follows it (Conv -> Sigmoid -> Mul(x, sig))."""
    by_in = {}
    for n in g.node:
        for x in n.input:
            by_in.setdefault(x, []).append(n)
    tails = {}
    for n in g.node:
        if n.op_type != "Conv":
            continue
        y = n.output[0]
        users = by_in.get(y, [])
        sig = [u for u in users if u.op_type == "Sigmoid"]
        if len(users) == 2 and len(sig) == 1:
            mul = [u for u in users if u.op_type == "Mul" and sig[0].output[0] in u.input]
            if mul:
                tails[y] = mul[0].output[0]
    return tails


def emulate(model, mode, expose):
    """Returns a copy of model with the fp16 roundings of `mode`; the rounded
    tensors named in `expose` become extra graph outputs (their rounded value)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    to_round = []  # tensor names whose value is rounded at its producer
    if mode == "torch":
        for name, t in inits.items():
            if t.data_type == TensorProto.FLOAT:
                a = numpy_helper.to_array(t).astype(np.float16).astype(np.float32)
                t.CopyFrom(numpy_helper.from_array(a, name))
        for n in g.node:
            if n.op_type in ("Shape", "Constant"):
                continue
            to_round += [y for y in n.output if y]
        to_round.append(g.input[0].name)
    else:
        tails = silu_tails(g)
        for n in g.node:
            if n.op_type != "Conv":
                continue
            for k in n.input[1:3]:
                if k in inits:
                    t = inits[k]
                    a = numpy_helper.to_array(t).astype(np.float16).astype(np.float32)
                    t.CopyFrom(numpy_helper.from_array(a, k))
            to_round.append(n.input[0])
            to_round.append(tails.get(n.output[0], n.output[0]))
    to_round = list(dict.fromkeys(to_round))
    outs = {o.name for o in g.output}
    new_nodes = []
    rename = {}
    for r in to_round:
        rename[r] = r + "__r16"
    # producers first, then the Cast pair right after; consumers read the rounded name
    produced_by = {}
    for n in g.node:
        for y in n.output:
            produced_by[y] = n
    pending = {}
    for r in to_round:
        pending.setdefault(id(produced_by.get(r)) if r in produced_by else None, []).append(r)

    def casts(r):
        return [helper.make_node("Cast", [r], [r + "__h"], to=TensorProto.FLOAT16),
                helper.make_node("Cast", [r + "__h"], [rename[r]], to=TensorProto.FLOAT)]

    for r in pending.get(None, []):
        new_nodes += casts(r)
    for n in g.node:
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        for k, x in enumerate(n2.input):
            if x in rename:
                n2.input[k] = rename[x]
        new_nodes.append(n2)
        for r in pending.get(id(n), []):
            new_nodes += casts(r)
    # graph outputs read the rounded value too
    for o in g.output:
        if o.name in rename:
            new_nodes.append(helper.make_node("Identity", [rename[o.name]], [o.name + "__out"]))
    del g.node[:]
    g.node.extend(new_nodes)
    for o in list(g.output):
        if o.name in rename:
            o.name = o.name + "__out"
    for e in expose:
        g.output.append(helper.make_tensor_value_info(rename.get(e, e), TensorProto.FLOAT, None))
    _ = outs
    return m


def session(m):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every Cast
    so.intra_op_num_threads = 2
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--mode", default="both")
    ap.add_argument("--nodes", type=int, default=0)
    ap.add_argument("--ours", default=None)
    a = ap.parse_args()
    model = onnx.load(a.model)
    g = model.graph
    inp = g.input[0].name
    sets = sorted(glob.glob(os.path.join(a.data, "test_data_set_*")))
    xs = [load_pb(os.path.join(s, "input_0.pb")).astype(np.float32) for s in sets]
    # intermediates to compare: Conv outputs after their activation, in order
    tails = silu_tails(g)
    inter = [tails.get(n.output[0], n.output[0]) for n in g.node if n.op_type == "Conv"]
    if a.nodes:
        inter = inter[: a.nodes]
    ref = emulate(model, "none", [])
    # "none": a plain copy with the intermediates exposed
    mref = onnx.ModelProto()
    mref.CopyFrom(model)
    for e in inter:
        mref.graph.output.append(helper.make_tensor_value_info(e, TensorProto.FLOAT, None))
    s32 = session(mref)
    modes = ["vrt", "torch"] if a.mode == "both" else [a.mode]
    ours = None
    if a.ours:
        ours = np.fromfile(a.ours, np.float32)
    for mode in modes:
        mm = emulate(model, mode, inter)
        s16 = session(mm)
        print(f"== mode {mode}")
        for si, x in enumerate(xs):
            r32 = s32.run(None, {inp: x})
            r16 = s16.run(None, {inp: x})
            y32, y16 = r32[0].reshape(-1, r32[0].shape[-1]), r16[0].reshape(-1, r16[0].shape[-1])
            d = np.abs(y16 - y32)
            idx = np.unravel_index(np.argmax(d), d.shape)
            line = f"set {si}: max|emu-fp32| {d.max():.4g} at {idx} (fp32 {y32[idx]:.5g})"
            if y32.shape[-1] == 85:
                line += f"; box {d[:, :4].max():.3g} obj {d[:, 4].max():.3g} cls {d[:, 5:].max():.3g}"
                # anchors that can become detections (obj * best cls >= 0.3, the profile's threshold)
                hot = (y32[:, 4] * y32[:, 5:].max(1)) >= 0.3
                if hot.any():
                    line += f"; on {int(hot.sum())} scoring anchors: box {d[hot, :4].max():.3g} score {np.abs(y16[hot, 4] * y16[hot, 5:].max(1) - y32[hot, 4] * y32[hot, 5:].max(1)).max():.3g}"
            if ours is not None and ours.size >= (si + 1) * y32.size:
                o = ours[si * y32.size: (si + 1) * y32.size].reshape(y32.shape)
                do = np.abs(o - y32)
                line += f"; OURS max|ours-fp32| {do.max():.4g} box {do[:, :4].max():.3g}"
                if y32.shape[-1] == 85 and hot.any():
                    line += f" (scoring anchors: box {do[hot, :4].max():.3g})"
                line += f"; max|ours-emu| {np.abs(o - y16).max():.4g}"
            print(line)
            if si == 0:
                rows = []
                for k, name in enumerate(inter):
                    v32, v16 = r32[1 + k], r16[1 + k]
                    dd = np.abs(v16 - v32)
                    rows.append((k, name, float(np.abs(v32).max()), float(dd.max()),
                                 float(dd.max() / max(np.abs(v32).max(), 1e-30)), float(np.sqrt((dd ** 2).mean()) / max(np.sqrt((v32 ** 2).mean()), 1e-30))))
                print("  conv#  tensor        max|fp32|   max|d|     max|d|/max   rms rel")
                for k, name, mx, md, rl, rr in rows[: a.nodes or 12]:
                    print(f"  {k:4d}  {name:12s}  {mx:10.4g}  {md:10.4g}  {rl:10.3g}  {rr:10.3g}")
                worst = sorted(rows, key=lambda r: -r[5])[:5]
                print("  worst rms rel: " + ", ".join(f"conv#{r[0]} {r[5]:.3g}" for r in worst))
    _ = ref
    return 0


if __name__ == "__main__":
    sys.exit(main())
