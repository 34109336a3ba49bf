#!/usr/bin/env python3
"""Makes the tiny transformer-pattern models of tests/unit/test_engine_fused.c.

Each graph is written the way PyTorch / transformers / ultralytics exports
its pattern (decomposed GELU and LayerNorm, K^T by Transpose, heads split by
Reshape + Transpose, YOLO12's area attention V @ P^T), with fixed-seed
weights and inputs, and the onnxruntime outputs as references:

    tests/models/attn_<name>.onnx
    tests/models/attn_<name>_in<i>.pb, attn_<name>_out<i>.pb   (TensorProto)

Run from the repository root (needs onnx, onnxruntime, numpy):
    /work/venv/py/bin/python tests/models/make_attn.py
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261207)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


class G:
    """A small graph builder: nodes, initializers, unique names."""

    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def op(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "_n", **attrs))
        return out

    def w(self, arr, base="w"):
        nm = self.name(base)
        self.inits.append(const(nm, arr))
        return nm

    def i64(self, arr):
        nm = self.name("shape")
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.int64), nm))
        return nm

    def linear(self, x, cin, cout):
        y = self.op("MatMul", [x, self.w(RNG.normal(0, cin**-0.5, (cin, cout)))])
        return self.op("Add", [y, self.w(RNG.normal(0, 0.1, cout), "b")])

    def gelu_erf(self, x):
        d = self.op("Div", [x, self.w(np.float32(np.sqrt(2.0)), "c")])
        e = self.op("Erf", [d])
        a = self.op("Add", [e, self.w(np.float32(1.0), "c")])
        m = self.op("Mul", [x, a])
        return self.op("Mul", [m, self.w(np.float32(0.5), "c")])

    def gelu_tanh(self, x):
        p = self.op("Pow", [x, self.w(np.float32(3.0), "c")])
        m = self.op("Mul", [self.w(np.float32(0.044715), "c"), p])
        a = self.op("Add", [x, m])
        s = self.op("Mul", [a, self.w(np.float32(np.sqrt(2.0 / np.pi)), "c")])
        t = self.op("Tanh", [s])
        o = self.op("Add", [t, self.w(np.float32(1.0), "c")])
        h = self.op("Mul", [self.w(np.float32(0.5), "c"), x])
        return self.op("Mul", [h, o])

    def ln_decomposed(self, x, c, pow_form=True, affine=True):
        m = self.op("ReduceMean", [x], axes=[-1])
        d = self.op("Sub", [x, m])
        q = self.op("Pow", [d, self.w(np.float32(2.0), "c")]) if pow_form else self.op("Mul", [d, d])
        v = self.op("ReduceMean", [q], axes=[-1])
        e = self.op("Add", [v, self.w(np.float32(1e-5), "eps")])
        s = self.op("Sqrt", [e])
        if pow_form:
            n = self.op("Div", [d, s])
        else:
            n = self.op("Mul", [d, self.op("Reciprocal", [s])])
        if not affine:
            return n
        g = self.op("Mul", [n, self.w(RNG.normal(1, 0.1, c), "gamma")])
        return self.op("Add", [g, self.w(RNG.normal(0, 0.1, c), "beta")])

    def model(self, inputs, outputs, opset):
        vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
        vo = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs]
        g = helper.make_graph(self.nodes, "g", vi, vo, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_attn.py")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def vit_block():
    """DINOv2-style pre-norm block: LN, qkv Linear, heads by Reshape/Transpose,
    softmax(q k^T / sqrt d) v, proj, residual, LN, MLP with erf GELU, residual."""
    n_tok, c, h = 37, 64, 2
    d = c // h
    g = G()
    x = "x"
    ln1 = g.op("LayerNormalization", [x, g.w(RNG.normal(1, 0.1, c)), g.w(RNG.normal(0, 0.1, c))], axis=-1)
    qkv = g.linear(ln1, c, 3 * c)
    r = g.op("Reshape", [qkv, g.i64([1, n_tok, 3, h, d])])
    t = g.op("Transpose", [r], perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [t, g.i64(i)], axis=0) for i in range(3))
    kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
    s = g.op("MatMul", [q, kt])
    s = g.op("Div", [s, g.w(np.float32(np.sqrt(d)), "c")])
    p = g.op("Softmax", [s], axis=-1)
    o = g.op("MatMul", [p, v])
    o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
    o = g.op("Reshape", [o, g.i64([1, n_tok, c])])
    o = g.linear(o, c, c)
    h1 = g.op("Add", [x, o])
    ln2 = g.op("LayerNormalization", [h1, g.w(RNG.normal(1, 0.1, c)), g.w(RNG.normal(0, 0.1, c))], axis=-1)
    f = g.gelu_erf(g.linear(ln2, c, 2 * c))
    f = g.linear(f, 2 * c, c)
    y = g.op("Add", [h1, f])
    m = g.model([("x", [1, n_tok, c])], [(y, [1, n_tok, c])], 17)
    return m, [RNG.normal(0, 1, (1, n_tok, c))]


def cross_mask():
    """DETR-style 3-D bmm cross-attention: q pre-scaled, K^T by Transpose, an additive mask."""
    bh, sq, sk, d = 4, 10, 50, 16
    g = G()
    qs = g.op("Mul", ["q", g.w(np.float32(d**-0.5), "c")])
    kt = g.op("Transpose", ["k"], perm=[0, 2, 1])
    s = g.op("MatMul", [qs, kt])
    s = g.op("Add", [s, "mask"])
    p = g.op("Softmax", [s], axis=2)
    y = g.op("MatMul", [p, "v"])
    m = g.model([("q", [bh, sq, d]), ("k", [bh, sk, d]), ("v", [bh, sk, d]), ("mask", [bh, 1, sk])], [(y, [bh, sq, d])], 13)
    mask = np.where(RNG.random((bh, 1, sk)) < 0.2, -1e4, 0.0)
    return m, [RNG.normal(0, 1, (bh, sq, d)), RNG.normal(0, 1, (bh, sk, d)), RNG.normal(0, 1, (bh, sk, d)), mask]


def area_attn():
    """ultralytics YOLO12 AAttn: (q^T @ k) * scale, softmax, v @ attn^T (q, k, v as [B, H, D, N])."""
    b, h, d, n = 2, 2, 32, 40
    g = G()
    qt = g.op("Transpose", ["q"], perm=[0, 1, 3, 2])
    s = g.op("MatMul", [qt, "k"])
    s = g.op("Mul", [s, g.w(np.float32(d**-0.5), "c")])
    p = g.op("Softmax", [s], axis=-1)
    pt = g.op("Transpose", [p], perm=[0, 1, 3, 2])
    y = g.op("MatMul", ["v", pt])
    m = g.model([("q", [b, h, d, n]), ("k", [b, h, d, n]), ("v", [b, h, d, n])], [(y, [b, h, d, n])], 13)
    return m, [RNG.normal(0, 1, (b, h, d, n)) for _ in range(3)]


def ln_gelu():
    """Decomposed LayerNorms (Pow/Div and Mul/Reciprocal, with and without
    affine), a residual Add feeding one, tanh GELU, MatMul + bias."""
    rows, c = 7, 48
    g = G()
    a = g.ln_decomposed("x", c, pow_form=True)
    a = g.gelu_tanh(g.linear(a, c, c))
    s = g.op("Add", ["x", a])
    b = g.ln_decomposed(s, c, pow_form=False, affine=False)
    y = g.op("Add", [b, s])
    m = g.model([("x", [2, rows, c])], [(y, [2, rows, c])], 13)
    return m, [RNG.normal(0, 1, (2, rows, c))]


def nan_mask():
    """transformers' DETR attention: q and k^T each scaled by d^-0.25, an additive mask, the
    softmax's NaN rows zeroed by Where(IsNaN(p), 0, p); one query row masked entirely (-inf);
    the heads merged by a same-shape Reshape, Transpose(0, 2, 1, 3) and Reshape as exported."""
    b, h, sq, sk, d = 1, 2, 12, 30, 16
    g = G()
    c = g.w(np.float32(d**-0.25), "c")
    qs = g.op("Mul", ["q", c])
    kt = g.op("Transpose", ["k"], perm=[0, 1, 3, 2])
    ks = g.op("Mul", [kt, c])
    s = g.op("MatMul", [qs, ks])
    s = g.op("Add", [s, "mask"])
    p = g.op("Softmax", [s], axis=-1)
    nan = g.op("IsNaN", [p])
    p = g.op("Where", [nan, g.w(np.float32(0.0), "zero"), p])
    y = g.op("MatMul", [p, "v"])
    y = g.op("Reshape", [y, g.i64([b, h, sq, d])])
    y = g.op("Transpose", [y], perm=[0, 2, 1, 3])
    y = g.op("Reshape", [y, g.i64([b, sq, h * d])])
    m = g.model([("q", [b, h, sq, d]), ("k", [b, h, sk, d]), ("v", [b, h, sk, d]), ("mask", [b, 1, sq, sk])],
                [(y, [b, sq, h * d])], 13)
    mask = np.where(RNG.random((b, 1, sq, sk)) < 0.2, -np.inf, 0.0)
    mask[0, 0, 5, :] = -np.inf
    return m, [RNG.normal(0, 1, (b, h, sq, d)), RNG.normal(0, 1, (b, h, sk, d)), RNG.normal(0, 1, (b, h, sk, d)),
               mask]


def main():
    for name, fn in [("vit", vit_block), ("cross", cross_mask), ("area", area_attn), ("ln_gelu", ln_gelu),
                     ("nanmask", nan_mask)]:
        m, ins = fn()
        ins = [np.asarray(a, dtype=np.float32) for a in ins]
        base = os.path.join(OUT, f"attn_{name}")
        onnx.save(m, base + ".onnx")
        sess = ort.InferenceSession(base + ".onnx", providers=["CPUExecutionProvider"])
        feed = {i.name: a for i, a in zip(sess.get_inputs(), ins)}
        outs = sess.run(None, feed)
        for i, a in enumerate(ins):
            with open(f"{base}_in{i}.pb", "wb") as f:
                f.write(numpy_helper.from_array(a, sess.get_inputs()[i].name).SerializeToString())
        for i, a in enumerate(outs):
            with open(f"{base}_out{i}.pb", "wb") as f:
                f.write(numpy_helper.from_array(a, sess.get_outputs()[i].name).SerializeToString())
        print(f"attn_{name}: {len(m.graph.node)} nodes, outputs {[o.shape for o in outs]}")


if __name__ == "__main__":
    main()
