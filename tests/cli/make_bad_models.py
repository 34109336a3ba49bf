#!/usr/bin/env python3
"""Writes the crafted hostile models of tests/cli/bad_models/ (issue 16).

Each model is small and valid protobuf, but its sizes are built to overflow
int64/size_t arithmetic or to exhaust memory if a reader trusts them. ctest
generates them into the build folder (fixture gen_cli_models,
tests/CMakeLists.txt, with a Python that has the onnx package: Debian's
python3-onnx); by hand:

    python3 tests/cli/make_bad_models.py OUT

tests/cli/bad_inputs.tsv runs `vrt inspect`, `vrt bench` and `vrt infer` on
each and expects exit status 1 with a message.
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

BIG = (1 << 62) + 1


def x_input(shape=(1, 3, 8, 8), name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def y_output(name="y"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)


def ints(name, vals):
    return helper.make_tensor(name, TensorProto.INT64, [len(vals)], list(vals))


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_bad_models")
    m.ir_version = 8
    return m


def reshape_wrap(tail):
    """Reshape x (192 elements) to [2^62+1, 192]: the product wraps to 192 in int64."""
    nodes = [helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape_wrap")]
    if tail == "softmax":
        nodes.append(helper.make_node("Softmax", ["r"], ["y"], axis=0, name="softmax0"))
    else:
        nodes.append(helper.make_node("Transpose", ["r"], ["y"], perm=[1, 0], name="transpose10"))
    return model(nodes, [x_input()], [y_output()], [ints("s", [BIG, 192])])


def tile_huge():
    n = helper.make_node("Tile", ["x", "r"], ["y"], name="tile_huge")
    return model([n], [x_input()], [y_output()], [ints("r", [1, 1 << 31, 1 << 31, 1 << 31])])


def input_decl(shape):
    n = helper.make_node("Relu", ["x"], ["y"], name="relu")
    return model([n], [x_input(shape)], [y_output()])


def expand_huge():
    n = helper.make_node("Expand", ["x", "s"], ["y"], name="expand_huge")
    return model([n], [x_input((1, 1, 8, 8))], [y_output()], [ints("s", [BIG, 1, 8, 8])])


def const_of_shape_huge():
    c = helper.make_node("ConstantOfShape", ["s"], ["c"], name="cos_huge")
    a = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    return model([c, a], [x_input((1, 1, 1))], [y_output()], [ints("s", [1 << 31, 1 << 31, 1 << 31])])


def pad_huge():
    n = helper.make_node("Pad", ["x", "p"], ["y"], name="pad_huge", mode="constant")
    return model([n], [x_input()], [y_output()], [ints("p", [0, 0, (1 << 62), (1 << 62), 0, 0, (1 << 62), 1])])


def huge_image():
    """A 1,000,000 x 1,000,000 input: fine in int64, 12 TB of activations."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.1] * 108)
    conv = helper.make_node("Conv", ["data", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])
    gap = helper.make_node("GlobalAveragePool", ["c"], ["g"], name="gap")
    fl = helper.make_node("Flatten", ["g"], ["y"], name="flatten")
    return model([conv, gap, fl], [x_input((1, 3, 1000000, 1000000), "data")], [y_output()], [w])


def tiny_classifier():
    """A valid 4-class classifier on 8x8 RGB (with x.conf): fast enough for valgrind and soak runs."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.01 * (i % 7) for i in range(108)])
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])
    gap = helper.make_node("GlobalAveragePool", ["c"], ["g"], name="gap")
    fl = helper.make_node("Flatten", ["g"], ["y"], name="flatten")
    return model([conv, gap, fl], [x_input((1, 3, 8, 8))], [y_output()], [w])


def qdq_float8():
    """A float8 QuantizeLinear/DequantizeLinear pair: a quantized pattern refused at load, named."""
    q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q_f8")
    dq = helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq_f8")
    z = TensorProto()  # by hand: Debian 12's onnx has no FLOAT8E4M3FN (17)
    z.name, z.data_type, z.raw_data = "z", 17, b"\x00"
    m = model([q, dq], [x_input()], [y_output()], [helper.make_tensor("s", TensorProto.FLOAT, [], [0.1]), z],
              opset=21)
    m.ir_version = 10
    return m


def tiny_classifier_qdq():
    """tiny_classifier with its weight behind a DequantizeLinear: quantized already."""
    w = helper.make_tensor("w_q", TensorProto.INT8, [4, 3, 3, 3], [i % 7 for i in range(108)])
    dq = helper.make_node("DequantizeLinear", ["w_q", "w_s"], ["w"], name="w_dq")
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])
    gap = helper.make_node("GlobalAveragePool", ["c"], ["g"], name="gap")
    fl = helper.make_node("Flatten", ["g"], ["y"], name="flatten")
    return model([dq, conv, gap, fl], [x_input((1, 3, 8, 8))], [y_output()],
                 [w, helper.make_tensor("w_s", TensorProto.FLOAT, [], [0.01])])


def depth_to_space_huge():
    n = helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=(1 << 31))
    return model([n], [x_input((1, 4, 8, 8))], [y_output()])


def slice_reshape_zero():
    """A Reshape whose 0 copies a 2^40 dim of a declared input: refused at the input."""
    n = helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape0")
    return model([n], [x_input((1 << 40, 0))], [y_output()], [ints("s", [0, 1 << 40])])


def external(location):
    """An initializer whose external data is `location` next to the model."""
    t = helper.make_tensor("w", TensorProto.FLOAT, [1], [0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "4")):
        e = t.external_data.add()
        e.key, e.value = k, v
    n = helper.make_node("Add", ["x", "w"], ["y"], name="add")
    return model([n], [x_input()], [y_output()], [t])


MODELS = {
    "reshape_wrap_softmax": lambda: reshape_wrap("softmax"),
    "reshape_wrap_transpose": lambda: reshape_wrap("transpose"),
    "tile_huge": tile_huge,
    "input_wrap": lambda: input_decl((BIG, 16)),
    "input_2p32_squared": lambda: input_decl((1 << 32, 1 << 32)),
    "expand_huge": expand_huge,
    "const_of_shape_huge": const_of_shape_huge,
    "pad_huge": pad_huge,
    "huge_image": huge_image,
    "depth_to_space_huge": depth_to_space_huge,
    "reshape_zero_huge": slice_reshape_zero,
    "tiny_classifier": tiny_classifier,  # valid: the reliability checks' small model
    "tiny_classifier_qdq": tiny_classifier_qdq,  # valid, but `vrt quantize` refuses it
    "qdq_float8": qdq_float8,
    "external_fifo": lambda: external("fifo.bin"),  # the test makes fifo.bin a FIFO: open() would block
    "external_dot": lambda: external("."),  # the model's own folder
}


# The profile the catalogue and scripts/reliability use with these models ({B}/x.conf).
PROFILE = """# A profile for the crafted models of make_bad_models.py (input 'x', 8x8 RGB,
# classify): vrt infer reaches the model's own sizes with it.
name = crafted
input = x
task = classify
width = 8
height = 8
color = rgb
resize = stretch
scale = 255
mean = 0, 0, 0
std = 1, 1, 1
layout = nchw
dtype = float32
topk = 1
softmax = 0
"""


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "gen", "bad_models")
    os.makedirs(out, exist_ok=True)
    for name, make in sorted(MODELS.items()):
        path = os.path.join(out, name + ".onnx")
        with open(path, "wb") as f:
            f.write(make().SerializeToString())
        print(path)
    with open(os.path.join(out, "x.conf"), "w") as f:
        f.write(PROFILE)


if __name__ == "__main__":
    main()
