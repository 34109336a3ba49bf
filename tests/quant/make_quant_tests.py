#!/usr/bin/env python3
"""Quantized-model test data, generated at test time into the build tree (never committed).

Usage: make_quant_tests.py OUTDIR [--data DIR]

Writes ONNX-test-style folders (model.onnx + test_data_set_0/input_K.pb, output_K.pb), every
reference computed by onnxruntime, that `vrt_onnx_runner qdirs` then runs on our CPU backend:
  OUTDIR/ops/<name>/     single QLinearConv / ConvInteger / QLinearMatMul / MatMulInteger nodes on
                         random data: groups, strides, padding, dilation, per-channel weights,
                         int8 and uint8 (shapes larger than ONNX's node tests, so that the
                         kernel's tiles, padding and tails are exercised)
  OUTDIR/squeezenet_qdq/ SqueezeNet 1.0 ($VRT_DATA, fp16 -> fp32) quantized by onnxruntime's
                         quantize_static (QDQ, uint8 activations, int8 per-channel weights) with
                         four ../shared/data images as calibration; test sets: those images
  OUTDIR/squeezenet_fp32/ the fp32 model (for the INT8-vs-fp32 top-1 check) and its outputs
Exit 77 when onnxruntime, onnx, numpy or PIL is missing (set VRT_ORT_PYTHON at configure time to a
Python that has them).
"""
import os
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from PIL import Image

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fp32_model import SQZ, squeezenet_fp32
except ImportError as e:  # pragma: no cover
    print("SKIP: %s (configure with -DVRT_ORT_PYTHON=a python with onnx, onnxruntime, numpy, PIL)" % e)
    sys.exit(77)

RNG = np.random.default_rng(14)
CALIB = ["images/jetson/dog_2.jpg", "images/winml/kitten_224.png", "images/jetson/polar_bear.jpg",
         "images/jetson/granny_smith_0.jpg"]


def save_case(folder, model, inputs, outputs_names=None):
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    so = ort.SessionOptions()
    sess = ort.InferenceSession(os.path.join(folder, "model.onnx"), so, providers=["CPUExecutionProvider"])
    feeds = {i.name: v for i, v in zip(sess.get_inputs(), inputs)}
    outs = sess.run(outputs_names, feeds)
    for k, v in enumerate(inputs):
        t = numpy_helper.from_array(v, sess.get_inputs()[k].name)
        open(os.path.join(folder, "test_data_set_0", "input_%d.pb" % k), "wb").write(t.SerializeToString())
    for k, v in enumerate(outs):
        t = numpy_helper.from_array(v, sess.get_outputs()[k].name)
        open(os.path.join(folder, "test_data_set_0", "output_%d.pb" % k), "wb").write(t.SerializeToString())
    return outs


def qarr(dt, shape, lo=None, hi=None):
    info = np.iinfo(dt)
    return RNG.integers(info.min if lo is None else lo, (info.max if hi is None else hi) + 1, size=shape,
                        dtype=np.int64).astype(dt)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def qlinearconv_case(out, name, xdt, wdt, C, M, HW, k, group=1, stride=1, pad=0, dil=1, per_channel=True,
                     bias=True):
    # uint8 x int8 on AVX2: onnxruntime multiplies with pmaddubsw, whose int16 pair sums saturate
    # (255 * 127 * 2 > 32767; its quantizer's reduce_range exists for this); inputs below 128 keep
    # its reference exact.
    x = qarr(xdt, (1, C, HW[0], HW[1]), None, 127 if wdt == np.int8 else None)
    w = qarr(wdt, (M, C // group, k, k), -100 if wdt == np.int8 else 0, 100 if wdt == np.int8 else 200)
    ws = (RNG.uniform(0.002, 0.02, M) if per_channel else np.array(0.01)).astype(np.float32)
    wzp = (np.zeros(M) if per_channel else np.array(3 if wdt == np.uint8 else 0)).astype(wdt)
    inits = [init("xs", np.float32(0.05)), init("xzp", xdt(7) if xdt == np.uint8 else xdt(-3)), init("w", w),
             init("ws", ws), init("wzp", wzp), init("ys", np.float32(0.9)), init("yzp", np.uint8(128))]
    ins = ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"]
    if bias:
        inits.append(init("b", RNG.integers(-2000, 2000, M).astype(np.int32)))
        ins.append("b")
    node = helper.make_node("QLinearConv", ins, ["y"], kernel_shape=[k, k], group=group, strides=[stride] * 2,
                            pads=[pad] * 4, dilations=[dil] * 2)
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", helper.np_dtype_to_tensor_dtype(
        np.dtype(xdt)), x.shape)], [helper.make_tensor_value_info("y", TensorProto.UINT8, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    save_case(os.path.join(out, "ops", name), m, [x])


def convinteger_case(out, name):
    x = qarr(np.uint8, (2, 6, 11, 9))
    w = qarr(np.uint8, (6, 3, 3, 3))
    node = helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["y"], group=2, pads=[1, 0, 1, 2],
                            strides=[2, 1])
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.UINT8, x.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
                          [init("w", w), init("xzp", np.uint8(9)),
                           init("wzp", np.uint8(120))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    save_case(os.path.join(out, "ops", name), m, [x])


def qmatmul_cases(out):
    a = qarr(np.uint8, (3, 17, 40), 0, 127)  # see qlinearconv_case
    b = qarr(np.int8, (40, 23))
    node = helper.make_node("QLinearMatMul", ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], ["y"])
    g = helper.make_graph([node], "qmm", [helper.make_tensor_value_info("a", TensorProto.UINT8, a.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
                          [init("as", np.float32(0.02)), init("azp", np.uint8(100)), init("b", b),
                           init("bs", np.float32(0.01)), init("bzp", np.int8(0)), init("ys", np.float32(0.3)),
                           init("yzp", np.uint8(120))])
    save_case(os.path.join(out, "ops", "qlinearmatmul_3d"), helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 13)]), [a])
    node = helper.make_node("MatMulInteger", ["a", "b", "azp", "bzp"], ["y"])
    g = helper.make_graph([node], "mmi", [helper.make_tensor_value_info("a", TensorProto.UINT8, a.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
                          [init("b", qarr(np.uint8, (40, 23))), init("azp", np.uint8(3)),
                           init("bzp", qarr(np.uint8, (23,)))])
    save_case(os.path.join(out, "ops", "matmulinteger_3d"), helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 13)]), [a])


# ---- SqueezeNet ----

def preprocess(path):
    """expected.json's recipe (BGR, shorter side 256, center crop 224, minus [104,117,123]) with PIL."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = 256.0 / min(w, h)
    im = im.resize((max(224, round(w * s)), max(224, round(h * s))), Image.BILINEAR)
    w, h = im.size
    l, t = (w - 224) // 2, (h - 224) // 2
    a = np.asarray(im.crop((l, t, l + 224, t + 224)), dtype=np.float32)[:, :, ::-1]
    a = a - np.array([104, 117, 123], np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])


def squeezenet(out, data):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    src = os.path.join(data, SQZ)
    if not os.path.exists(src):
        print("no %s: SqueezeNet cases skipped" % src)
        return
    fdir = os.path.join(out, "squeezenet_fp32")
    os.makedirs(fdir, exist_ok=True)
    fp32 = os.path.join(fdir, "model.onnx")
    m = squeezenet_fp32(src)
    onnx.save(m, fp32)
    imgs = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(data, "images")) for f in fs
                  if f.lower().endswith((".jpg", ".jpeg", ".png")))
    inname = m.graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{inname: preprocess(os.path.join(data, p))} for p in CALIB])

        def get_next(self):
            return next(self.it, None)

    qdir = os.path.join(out, "squeezenet_qdq")
    os.makedirs(qdir, exist_ok=True)
    qpath = os.path.join(qdir, "model.onnx")
    quantize_static(fp32, qpath, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    fs = ort.InferenceSession(fp32, providers=["CPUExecutionProvider"])
    qs = ort.InferenceSession(qpath, providers=["CPUExecutionProvider"])
    agree = 0
    for k, p in enumerate(imgs):
        x = preprocess(p)
        for d, s in ((fdir, fs), (qdir, qs)):
            y = s.run(None, {inname: x})[0]
            sd = os.path.join(d, "test_data_set_%d" % k)
            os.makedirs(sd, exist_ok=True)
            open(os.path.join(sd, "input_0.pb"), "wb").write(numpy_helper.from_array(x, inname).SerializeToString())
            open(os.path.join(sd, "output_0.pb"), "wb").write(
                numpy_helper.from_array(y, s.get_outputs()[0].name).SerializeToString())
            if s is fs:
                f_top = int(np.argmax(y))
            else:
                agree += int(np.argmax(y)) == f_top
    with open(os.path.join(qdir, "images.txt"), "w") as f:
        f.write("\n".join(imgs) + "\n")
    print("squeezenet: %d images, onnxruntime's QDQ top-1 agrees with fp32 on %d" % (len(imgs), agree))


def main():
    out = sys.argv[1]
    data = os.environ.get("VRT_DATA", "")
    if "--data" in sys.argv:
        data = sys.argv[sys.argv.index("--data") + 1]
    qlinearconv_case(out, "qlinearconv_u8s8_pc", np.uint8, np.int8, 16, 24, (13, 11), 3, pad=1)
    qlinearconv_case(out, "qlinearconv_u8u8_stride_group", np.uint8, np.uint8, 8, 12, (15, 15), 3, group=2,
                     stride=2, pad=1, per_channel=False)
    qlinearconv_case(out, "qlinearconv_u8s8_dil_nobias", np.uint8, np.int8, 5, 7, (9, 10), 3, dil=2,
                     bias=False)
    qlinearconv_case(out, "qlinearconv_u8s8_1x1", np.uint8, np.int8, 64, 33, (7, 7), 1)
    convinteger_case(out, "convinteger_group_pads")
    qmatmul_cases(out)
    if data:
        squeezenet(out, data)
    print("written under %s" % out)


if __name__ == "__main__":
    main()
