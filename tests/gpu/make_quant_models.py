#!/usr/bin/env python3
"""Writes the small QDQ model of tests/gpu/test_cuda_quant.c into OUT (ctest's fixture
gen_cli_models puts it in build/tests/gen/quant; by hand: python3 make_quant_models.py OUT).

qdq_small.onnx  x [1,8,20,20] float -> y [1,4,10,10] float, the QDQ patterns the engine folds
                into integer convs (model/passes_q.c), with scales from a float run on random data:
                  Q(uint8, zp 128) -> DQ -> Conv 3x3 pad 1 8->16 (int8 per-channel weights,
                  int32 bias) -> Relu -> Q(uint8, zp 0) -> DQ -> Conv 3x3 stride 2 group 4
                  16->16 -> SiLU (Sigmoid * x) -> Q(uint8, zp 10) -> DQ -> Conv 1x1 16->4
                  (per-tensor weights, no bias) -> Q(int8, zp 0) -> DQ -> y
Needs onnx and numpy only.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(14)


def conv_f(x, w, b, stride, pad, group):
    """Plain float conv (NCHW, square kernel) for picking the scales."""
    n, c, h, wd = x.shape
    m, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    y = np.zeros((n, m, oh, ow), np.float64)
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(k):
            for j in range(k):
                patch = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, i, j])
    return y + (0 if b is None else b[None, :, None, None])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    x = RNG.uniform(-2.5, 2.5, (1, 8, 20, 20))
    nodes, inits = [], []

    def const(name, v):
        inits.append(numpy_helper.from_array(v, name))
        return name

    def qdq(t, scale, zp, dt):
        s, z = const(t + ".s", np.array(scale, np.float32)), const(t + ".z", np.array(zp, dt))
        nodes.append(helper.make_node("QuantizeLinear", [t, s, z], [t + ".q"], name=t + ".Q"))
        nodes.append(helper.make_node("DequantizeLinear", [t + ".q", s, z], [t + ".dq"], name=t + ".DQ"))
        return t + ".dq"

    def conv(name, xin, xs, cin, cout, k, stride, pad, group, per_channel, bias):
        w = RNG.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k))
        ws = (np.abs(w).reshape(cout, -1).max(1) if per_channel else np.array([np.abs(w).max()])) / 127.0
        wq = np.clip(np.rint(w / ws.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        wd = wq * ws.reshape(-1, 1, 1, 1)
        wsc = ws.astype(np.float32) if per_channel else np.float32(ws[0])
        const(name + ".wq", wq), const(name + ".ws", wsc), const(name + ".wz", np.zeros_like(wsc, np.int8))
        nodes.append(helper.make_node("DequantizeLinear", [name + ".wq", name + ".ws", name + ".wz"], [name + ".w"],
                                      name=name + ".wDQ", axis=0))
        ins = [xin, name + ".w"]
        b = None
        if bias:
            bs = (xs * ws).astype(np.float32)
            bq = np.rint(RNG.uniform(-0.3, 0.3, cout) / bs).astype(np.int32)
            b = bq * bs
            const(name + ".bq", bq), const(name + ".bs", bs), const(name + ".bz", np.zeros(cout, np.int32))
            nodes.append(helper.make_node("DequantizeLinear", [name + ".bq", name + ".bs", name + ".bz"],
                                          [name + ".b"], name=name + ".bDQ", axis=0))
            ins.append(name + ".b")
        nodes.append(helper.make_node("Conv", ins, [name + ".y"], name=name, kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4, group=group))
        return wd, b

    s0 = 2.5 / 127
    xq = np.clip(np.rint(x / s0) + 128, 0, 255)
    xd = (xq - 128) * s0
    t = qdq("x", s0, 128, np.uint8)
    wa, ba = conv("convA", t, s0, 8, 16, 3, 1, 1, 1, True, True)
    ya = np.maximum(conv_f(xd, wa, ba, 1, 1, 1), 0)
    nodes.append(helper.make_node("Relu", ["convA.y"], ["relu"], name="relu"))
    sa = ya.max() / 255
    ya = np.clip(np.rint(ya / sa), 0, 255) * sa
    t = qdq("relu", sa, 0, np.uint8)
    wb, _ = conv("convB", t, sa, 16, 16, 3, 2, 1, 4, True, False)
    yb = conv_f(ya, wb, None, 2, 1, 4)
    yb = yb / (1 + np.exp(-yb))
    nodes.append(helper.make_node("Sigmoid", ["convB.y"], ["sig"], name="sig"))
    nodes.append(helper.make_node("Mul", ["convB.y", "sig"], ["silu"], name="silu"))
    sb = (yb.max() - yb.min()) / 255
    zb = 10
    yb = np.clip(np.rint(yb / sb) + zb, 0, 255) * sb - zb * sb
    t = qdq("silu", sb, zb, np.uint8)
    wc, _ = conv("convC", t, sb, 16, 4, 1, 1, 0, 1, False, False)
    yc = conv_f(yb, wc, None, 1, 0, 1)
    t = qdq("convC.y", np.abs(yc).max() / 127, 0, np.int8)
    nodes.append(helper.make_node("Identity", [t], ["y"], name="out"))
    g = helper.make_graph(nodes, "qdq_small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 20, 20])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 10, 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "qdq_small.onnx"))


if __name__ == "__main__":
    main()
