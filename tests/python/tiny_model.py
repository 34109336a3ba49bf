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


def _tensor(name, arr):
    """An initializer (TensorProto): float32 or int64 numpy array as raw_data."""
    import numpy as np
    arr = np.ascontiguousarray(arr)
    kind = 7 if arr.dtype == np.int64 else 1
    arr = arr.astype(np.int64 if kind == 7 else "<f4")
    return b"".join(_int(1, d) for d in arr.shape) + _int(2, kind) + _bytes(8, name) + _bytes(9, arr.tobytes())


def _ints_attr(name, values):
    return _bytes(1, name) + _int(20, 7) + b"".join(_int(8, v) for v in values)


def _write_graph(path, nodes, inputs, outputs, inits):
    """nodes: (op, inputs, outputs, attributes bytes); inputs/outputs: (name, dims); inits: name -> array."""
    graph = (b"".join(_bytes(1, _node(op, i, o, "n%d" % k) + attrs) for k, (op, i, o, attrs) in enumerate(nodes)) +
             _bytes(2, "tiny") + b"".join(_bytes(5, _tensor(n, a)) for n, a in inits.items()) +
             b"".join(_bytes(11, _value_info(n, d)) for n, d in inputs) +
             b"".join(_bytes(12, _value_info(n, d)) for n, d in outputs))
    model = _int(1, 7) + _bytes(2, "visionrt-tests") + _bytes(7, graph) + _bytes(8, _bytes(1, "") + _int(2, 13))
    with open(path, "wb") as f:
        f.write(model)
    return path


def _pool(inp, out, k):
    return ("AveragePool", [inp], [out], _bytes(5, _ints_attr("kernel_shape", [k, k])) +
            _bytes(5, _ints_attr("strides", [k, k])))


def write_seg_model(path, size=32, classes=2, masks=4, seed=1):
    """A YOLOv8-seg-shaped model (not trained; 1x1 convolutions with fixed weights): "images" [1, 3, S, S]
    -> "output0" [1, 4+C+M, S*S] (boxes around the centre that move with the colours, class scores in
    0..1, mask coefficients) and "output1" [1, M, S/4, S/4] prototypes."""
    import numpy as np
    rng = np.random.default_rng(seed)
    k = 4 + classes + masks
    w = np.zeros((k, 3, 1, 1), np.float32)
    b = np.zeros(k, np.float32)
    w[0:4, :, 0, 0] = [[12, -12, 0], [0, 12, -12], [8, 0, 0], [0, 8, 0]]  # cx, cy, w, h (input pixels)
    b[0:4] = [size / 2, size / 2, size / 3, size / 3]
    w[4:4 + classes, :, 0, 0] = rng.uniform(-0.4, 0.4, (classes, 3))
    b[4:4 + classes] = 0.5
    # Mask logits 2 * 4 (r - b) + small terms: the masks cover the reddish pixels of each box.
    w[4 + classes:, :, 0, 0] = rng.uniform(-0.1, 0.1, (masks, 3))
    b[4 + classes] = 2
    wp = rng.uniform(-0.5, 0.5, (masks, 3, 1, 1)).astype(np.float32)
    wp[0, :, 0, 0] = [4, 0, -4]
    nodes = [("Conv", ["images", "w"], ["y"], b""), ("Add", ["y", "b"], ["yb"], b""),
             ("Reshape", ["yb", "shape"], ["output0"], b""), _pool("images", "p", 4),
             ("Conv", ["p", "wp"], ["output1"], b"")]
    inits = {"w": w, "b": b.reshape(1, k, 1, 1), "shape": np.array([1, k, -1], np.int64), "wp": wp}
    return _write_graph(path, nodes, [("images", [1, 3, size, size])],
                        [("output0", [1, k, size * size]), ("output1", [1, masks, size // 4, size // 4])], inits)


def write_argmax_model(path, size=32, classes=5, seed=2):
    """A semantic segmentation model shaped like SegFormer's output: "x" [1, 3, S, S] -> 1x1 convolution ->
    2x2 average pool -> "logits" [1, C, S/2, S/2]."""
    import numpy as np
    rng = np.random.default_rng(seed)
    nodes = [("Conv", ["x", "w"], ["y"], b""), _pool("y", "logits", 2)]
    inits = {"w": rng.uniform(-1, 1, (classes, 3, 1, 1)).astype(np.float32)}
    return _write_graph(path, nodes, [("x", [1, 3, size, size])], [("logits", [1, classes, size // 2, size // 2])],
                        inits)


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
