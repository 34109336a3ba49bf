"""A tiny classifier written as ONNX protobuf by hand (no onnx package needed): input "x" float
[1, 3, H, W] -> GlobalAveragePool -> Flatten -> "scores" [1, 3], and its profile (classify, top-3,
softmax). The per-frame cost is a few microseconds, so tests can run 10,000 frames and the benchmark
measures the binding's overhead rather than the model."""
import os
import struct


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    return _varint((num << 3) | wire) + payload


def _int(num, v):
    return _field(num, 0, _varint(v))


def _bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return _field(num, 2, _varint(len(b)) + b)


def _value_info(name, dims):
    shape = b"".join(_bytes(1, _int(1, d)) for d in dims)           # TensorShapeProto.dim{dim_value}
    tensor = _int(1, 1) + _bytes(2, shape)                            # elem_type FLOAT, shape
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor))             # name, TypeProto.tensor_type


def _node(op, inputs, outputs, name):
    return b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs) + \
        _bytes(3, name) + _bytes(4, op)


def write_model(path, width=8, height=8):
    graph = (_bytes(1, _node("GlobalAveragePool", ["x"], ["pooled"], "pool")) +
             _bytes(1, _node("Flatten", ["pooled"], ["scores"], "flatten")) +
             _bytes(2, "tiny") +
             _bytes(11, _value_info("x", [1, 3, height, width])) +
             _bytes(12, _value_info("scores", [1, 3])))
    model = _int(1, 7) + _bytes(2, "visionrt-tests") + _bytes(7, graph) + _bytes(8, _bytes(1, "") + _int(2, 13))
    with open(path, "wb") as f:
        f.write(model)
    return path


def write_profile(path, width=8, height=8, labels=None):
    lines = ["name = tiny", "task = classify", "width = %d" % width, "height = %d" % height, "scale = 0.00392156862745098",
             "topk = 3", "softmax = 1"]
    if labels:
        lines.append("labels = %s" % labels)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def make(folder, width=8, height=8):
    """(model, profile) in folder: tiny.onnx, tiny.conf and tiny_labels.txt (red, green, blue)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tiny_labels.txt"), "w") as f:
        f.write("red\ngreen\nblue\n")
    return (write_model(os.path.join(folder, "tiny.onnx"), width, height),
            write_profile(os.path.join(folder, "tiny.conf"), width, height, "tiny_labels.txt"))


if __name__ == "__main__":
    import sys
    print(make(sys.argv[1] if len(sys.argv) > 1 else "."))
