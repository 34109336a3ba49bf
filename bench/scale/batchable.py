#!/usr/bin/env python3
"""Makes a copy of an ONNX detector that takes any batch, for cross-stream batching.

Exporters often bake batch 1 into Reshape shapes (YOLOX's head: Reshape to [1, 85, -1]); such a
model runs with one session per stream (`vrt run --batch` says so). This rewrites every Reshape
whose shape is a constant starting with 1 so that it starts with 0 (ONNX: "copy the input's
dimension", i.e. the batch) and makes the first input dimension symbolic. With the `onnx`
package it edits the graph; without it, it patches the YOLOX head's three [1, 85, -1] shape
constants in place (same byte length). Better: export with a dynamic batch axis in the first
place (torch.onnx.export(..., dynamic_axes={"images": {0: "n"}, "output": {0: "n"}})).

    python3 bench/scale/batchable.py yolox_nano.onnx yolox_nano_batchable.onnx
"""
import shutil
import struct
import sys
import os


def with_onnx(src, dst):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(src)
    inits = {t.name: t for t in m.graph.initializer}
    consts = {n.output[0]: n for n in m.graph.node if n.op_type == "Constant"}
    changed = 0
    for n in m.graph.node:
        if n.op_type != "Reshape" or len(n.input) < 2:
            continue
        name = n.input[1]
        if name in inits:
            a = numpy_helper.to_array(inits[name]).copy()
            if a.ndim == 1 and a.size > 1 and a[0] == 1:
                a[0] = 0
                inits[name].CopyFrom(numpy_helper.from_array(a, name))
                changed += 1
        elif name in consts:
            t = consts[name].attribute[0].t
            a = numpy_helper.to_array(t).copy()
            if a.ndim == 1 and a.size > 1 and a[0] == 1:
                a[0] = 0
                t.CopyFrom(numpy_helper.from_array(a, t.name))
                changed += 1
    for i in list(m.graph.input) + list(m.graph.output):
        d = i.type.tensor_type.shape.dim
        if d and d[0].HasField("dim_value") and d[0].dim_value == 1:
            d[0].dim_param = "n"
    onnx.save(m, dst)
    return changed


def by_bytes(src, dst):
    b = open(src, "rb").read()
    old, new = struct.pack("<3q", 1, 85, -1), struct.pack("<3q", 0, 85, -1)
    changed = b.count(old)
    open(dst, "wb").write(b.replace(old, new))
    return changed


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    try:
        changed = with_onnx(src, dst)
    except ImportError:
        changed = by_bytes(src, dst)
    if not changed:
        os.remove(dst)
        raise SystemExit(f"{src}: no Reshape with a batch-1 constant shape found; nothing to do")
    # The profile finds its labels file next to the model.
    for f in os.listdir(os.path.dirname(os.path.abspath(src))):
        if f.endswith(".txt"):
            shutil.copy(os.path.join(os.path.dirname(os.path.abspath(src)), f),
                        os.path.join(os.path.dirname(os.path.abspath(dst)), f))
    print(f"{dst}: {changed} Reshape shape(s) now take the batch from their input")


if __name__ == "__main__":
    main()
