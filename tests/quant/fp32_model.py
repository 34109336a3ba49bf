"""SqueezeNet 1.0 fp16 (../shared/data) as the fp32, opset-13 model that quantizers take.

Shared by make_quant_tests.py (onnxruntime's quantize_static) and quantize_accuracy.py (vrt
quantize). Needs onnx and numpy only.
"""
import numpy as np
import onnx
import onnx.version_converter
from onnx import TensorProto, numpy_helper

SQZ = "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"


def to_fp32(model):
    """The fp16 model with fp32 weights, I/O and Casts (quantizers want fp32)."""
    g = model.graph
    for t in list(g.initializer):
        if t.data_type == TensorProto.FLOAT16:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT16:
            v.type.tensor_type.elem_type = TensorProto.FLOAT
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT16:
                a.i = TensorProto.FLOAT
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT16:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float32)))
    return model


def squeezenet_fp32(src):
    """The loaded fp32 model: weights fp32, opset 13 (Q/DQ need >= 10), weights not listed as inputs."""
    m = to_fp32(onnx.load(src))
    m = onnx.version_converter.convert_version(m, 13)
    names = {t.name for t in m.graph.initializer}
    keep = [v for v in m.graph.input if v.name not in names]  # the old exporter lists weights as inputs
    del m.graph.input[:]
    m.graph.input.extend(keep)
    m.ir_version = 8
    return m
