#!/usr/bin/env python3
"""Writes the tiny ONNX models of tests/cli/test_profiles.py into OUT (default:
next to this script). ctest generates them into the build folder (fixture
gen_cli_models, tests/CMakeLists.txt); by hand: python3 make_models.py OUT.

yolov8_meta.onnx   input images [1,3,64,64] -> output0 [1,7,84] (YOLOv8 layout:
                   4 box values + 3 classes over the 84 anchors of strides
                   8/16/32 at 64x64), a constant with two boxes; ONNX
                   metadata as Ultralytics writes it (task, names, imgsz, stride).
yolov8_bare.onnx   the same graph without metadata.
two_outputs.onnx   input [1,3,64,64] -> scores [1,20,2], boxes [1,20,4] (SSD-like).
det4d.onnx         input [1,3,64,64] -> out [1,3,8,14] (a 4-D map).
Each output is Add(Mul(ReduceMean(input), 0), constant): the constant, with the
input still feeding the graph.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
ANCHORS = 8 * 8 + 4 * 4 + 2 * 2  # 84

# The two boxes of yolov8_meta.onnx: (anchor, class, score, cx, cy, w, h) in input pixels.
BOXES = [(10, 1, 0.9, 20.0, 30.0, 16.0, 12.0), (50, 2, 0.6, 40.0, 40.0, 10.0, 20.0)]


def const_graph(inp, outs, name):
    nodes = [
        helper.make_node("ReduceMean", [inp], ["m"], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outputs = []
    for oname, value in outs:
        cname = oname + "_value"
        inits.append(numpy_helper.from_array(value.astype(np.float32), cname))
        nodes.append(helper.make_node("Add", ["z", cname], [oname]))
        outputs.append(helper.make_tensor_value_info(oname, TensorProto.FLOAT, list(value.shape)))
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info(inp, TensorProto.FLOAT, [1, 3, 64, 64])],
                          outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="visionrt-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def yolov8_output():
    v = np.zeros((1, 7, ANCHORS), np.float32)
    for a, c, s, cx, cy, w, h in BOXES:
        v[0, 0:4, a] = [cx, cy, w, h]
        v[0, 4 + c, a] = s
    return v


def save(m, name, meta=None):
    for k, val in (meta or {}).items():
        e = m.metadata_props.add()
        e.key, e.value = k, val
    os.makedirs(OUT, exist_ok=True)
    onnx.save(m, os.path.join(OUT, name))


def main():
    ultra = {
        "description": "Ultralytics YOLOv8n model (test double)",
        "author": "visionrt tests",
        "stride": "32",
        "task": "detect",
        "batch": "1",
        "imgsz": "[64, 64]",
        "names": "{0: 'cat', 1: 'dog', 2: \"bird's nest\"}",
    }
    save(const_graph("images", [("output0", yolov8_output())], "yolov8_meta"), "yolov8_meta.onnx", ultra)
    save(const_graph("images", [("output0", yolov8_output())], "yolov8_bare"), "yolov8_bare.onnx")
    rng = np.random.default_rng(0)
    save(const_graph("input", [("scores", rng.random((1, 20, 2))), ("boxes", rng.random((1, 20, 4)))], "two"),
         "two_outputs.onnx")
    save(const_graph("input", [("out", rng.random((1, 3, 8, 14)))], "det4d"), "det4d.onnx")


if __name__ == "__main__":
    main()
