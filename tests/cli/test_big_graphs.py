#!/usr/bin/env python3
"""Graphs with very many nodes load in linear time or are refused (issue 16).

A model with 10^6 nodes never finished loading: dead-node removal relinked the
whole graph per removed node and the memory planner compared every pair of
tensors. Both are linear now and the reader refuses more than 200000 nodes.

Usage: test_big_graphs.py --vrt PATH CASE   (CASE: dead, chain, too_many)
The models are written here with a small protobuf encoder (standard library
only): input x float [1,4], Relu/Neg nodes, output y.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vint(num, v):
    return varint(num << 3) + varint(v)


def node(op, inp, out):
    return field(1, field(1, inp.encode()) + field(2, out.encode()) + field(4, op.encode()))


def value_info(name, dims):
    shape = b"".join(field(1, vint(1, d)) for d in dims)
    ttype = field(1, vint(1, 1) + field(2, shape))  # tensor_type: elem_type float, shape
    return field(1, name.encode()) + field(2, ttype)


def model(nodes):
    graph = b"".join(nodes) + field(2, b"g") + field(11, value_info("x", [1, 4])) + field(12, value_info("y", []))
    return vint(1, 8) + field(7, graph) + field(8, vint(2, 13))


def dead(n):
    """y = Relu(x) and n nodes whose results nobody reads."""
    out = [node("Relu", "x", "y")]
    for i in range(n):
        out.append(node("Relu", "x" if i == 0 else "d%d" % (i - 1), "d%d" % i))
    return out


def chain(n):
    out, prev = [], "x"
    for i in range(n):
        o = "y" if i == n - 1 else "c%d" % i
        out.append(node("Neg" if i % 2 == 0 else "Relu", prev, o))
        prev = o
    return out


CASES = {
    # (nodes, expected exit, fragment, seconds allowed)
    "dead": (lambda: dead(100000), 0, "100000 dead nodes removed", 60),
    "chain": (lambda: chain(100000), 0, "100000 steps to run", 60),
    "too_many": (lambda: chain(200001), 1, "more than 200000 nodes", 60),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrt", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    a = ap.parse_args()
    make, code, frag, limit = CASES[a.case]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, a.case + ".onnx")
        with open(path, "wb") as f:
            f.write(model(make()))
        t0 = time.monotonic()
        p = subprocess.run([a.vrt, "inspect", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=limit * 3)
        dt = time.monotonic() - t0
        out = p.stdout.decode("utf-8", "replace")
        print("\n".join(out.splitlines()[-6:]))
        print("exit %d in %.1f s" % (p.returncode, dt))
        ok = p.returncode == code and frag in out and dt < limit
        if not ok:
            print("FAIL: expected exit %d, %r in the output, under %d s" % (code, frag, limit))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
