#!/usr/bin/env python3
"""Writes the models of tests/gpu/test_cuda_fp16_guard.c into OUT (ctest's fixture
gen_cli_models puts them in build/tests/gen/fp16; by hand: python3 make_fp16_models.py OUT).

overflow.onnx  input x [1,3,32,32] -> y [1,1,32,32]: ten 3x3 convs, 8 channels, ReLU after all but
               the last (so precision AUTO picks fp16). Every weight fits fp16 (|w| < 65504, so the static
               check of the CUDA backend, consts_fit_half, lets them run fp16), but conv 'blowup'
               (weights ~2.5e4) takes its activations to ~3e5 on inputs in [0, 1] (60% of them
               beyond fp16's 65504: inf in an fp16 NHWC tensor), and conv 'shrink' (weights
               ~1e-3) brings them back to ~2e3. In fp32 the output is finite (max ~400); in
               plain fp16 it is inf/NaN (an fp16 emulation with onnxruntime says the same). The
               fp16 guard must keep 'blowup' and 'shrink' (whose fp16 input would be inf) fp32.

bottleneck.onnx  input x [1,3,32,32] -> y [1,8,32,32]: YOLOX-style bottlenecks over 16 channels, SiLU
               written as x * Sigmoid(x): a 3x3 stem, then three blocks of 1x1 conv -> depthwise 3x3
               -> 1x1 conv -> Add(that, the block's input) (the second block's Add with its operands
               swapped), for test_cuda_fusions.c: the CUDA fp16 plan does each of those Adds in the
               epilogue of the conv before it (option add_epilogue). Then two Adds it must not fuse:
               one whose conv output is also read by another conv, one followed by a Relu (an
               activation of the Add's own); then a fusable one again, and a 1x1 head.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv(name, x, cin, cout, scale, rng, relu=True):
    w = rng.standard_normal((cout, cin, 3, 3)) * scale * np.sqrt(2.0 / (cin * 9))
    w = np.clip(w, -60000, 60000).astype(np.float32)
    b = np.zeros(cout, np.float32)
    nodes = [helper.make_node("Conv", [x, name + ".w", name + ".b"], [name + ".y" if relu else "y"], name=name,
                              pads=[1, 1, 1, 1], kernel_shape=[3, 3])]
    if relu:
        nodes.append(helper.make_node("Relu", [name + ".y"], [name + ".r"], name=name + ".relu"))
    inits = [numpy_helper.from_array(w, name + ".w"), numpy_helper.from_array(b, name + ".b")]
    return nodes, inits, (name + ".r" if relu else "y")


def overflow():
    rng = np.random.default_rng(16)
    nodes, inits, x = [], [], "x"
    plan = [("c0", 3, 8, 1.0), ("c1", 8, 8, 1.0), ("c2", 8, 8, 1.0), ("c3", 8, 8, 1.0),
            ("blowup", 8, 8, 1.5e5), ("shrink", 8, 8, 6.0e-3), ("c6", 8, 8, 1.0), ("c7", 8, 8, 1.0),
            ("c8", 8, 8, 1.0)]
    for name, cin, cout, scale in plan:
        n, i, x = conv(name, x, cin, cout, scale, rng)
        nodes += n
        inits += i
    n, i, _ = conv("head", x, 8, 1, 1.0, rng, relu=False)
    nodes += n
    inits += i
    g = helper.make_graph(nodes, "fp16_overflow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 32, 32])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_fp16_models")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def silu_conv(name, x, cin, cout, k, rng, group=1):
    w = (rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k))).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    nodes = [helper.make_node("Conv", [x, name + ".w", name + ".b"], [name + ".c"], name=name, group=group,
                              pads=[k // 2] * 4, kernel_shape=[k, k]),
             helper.make_node("Sigmoid", [name + ".c"], [name + ".s"], name=name + ".sig"),
             helper.make_node("Mul", [name + ".c", name + ".s"], [name + ".y"], name=name + ".silu")]
    return nodes, [numpy_helper.from_array(w, name + ".w"), numpy_helper.from_array(b, name + ".b")], name + ".y"


def bottleneck():
    rng = np.random.default_rng(13)
    nodes, inits = [], []

    def add(name, x, cin, cout, k, group=1):
        n, i, y = silu_conv(name, x, cin, cout, k, rng, group)
        nodes.extend(n)
        inits.extend(i)
        return y

    s = add("stem", "x", 3, 16, 3)
    for b in range(3):
        h = add(f"b{b}.cv1", s, 16, 16, 1)
        d = add(f"b{b}.dw", h, 16, 16, 3, 16)
        p = add(f"b{b}.cv2", d, 16, 16, 1)
        ops = [s, p] if b == 1 else [p, s]
        nodes.append(helper.make_node("Add", ops, [f"b{b}.out"], name=f"b{b}.add"))
        s = f"b{b}.out"
    q = add("q.cv", s, 16, 16, 1)  # read by the Add and by q2.cv: not fused
    nodes.append(helper.make_node("Add", [q, s], ["q.out"], name="q.add"))
    z = add("q2.cv", q, 16, 16, 1)
    nodes.append(helper.make_node("Add", [z, "q.out"], ["r.sum"], name="r.add"))  # Relu after: not fused
    nodes.append(helper.make_node("Relu", ["r.sum"], ["r.out"], name="r.relu"))
    t = add("t.cv", "r.out", 16, 16, 1)
    nodes.append(helper.make_node("Add", [t, "r.out"], ["t.out"], name="t.add"))  # fused
    w = (rng.standard_normal((8, 16, 1, 1)) * 0.3).astype(np.float32)
    inits.append(numpy_helper.from_array(w, "head.w"))
    nodes.append(helper.make_node("Conv", ["t.out", "head.w"], ["y"], name="head", kernel_shape=[1, 1]))
    g = helper.make_graph(nodes, "bottleneck", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 32, 32])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_fp16_models")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")
    os.makedirs(out, exist_ok=True)
    onnx.save(overflow(), os.path.join(out, "overflow.onnx"))
    onnx.save(bottleneck(), os.path.join(out, "bottleneck.onnx"))


if __name__ == "__main__":
    main()
