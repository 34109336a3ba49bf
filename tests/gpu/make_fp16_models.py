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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")
    os.makedirs(out, exist_ok=True)
    onnx.save(overflow(), os.path.join(out, "overflow.onnx"))


if __name__ == "__main__":
    main()
