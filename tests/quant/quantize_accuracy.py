#!/usr/bin/env python3
"""vrt quantize end to end (issue 14's accuracy aim), needing only onnx + numpy:

    quantize_accuracy.py VRT WORK_DIR        (the data folder: $VRT_DATA, else ../shared/data)

SqueezeNet 1.0 (the data folder, fp16 -> fp32) is calibrated by `vrt quantize --method percentile` on 24
COCO photos through models/squeezenet.conf; then `vrt infer` runs the fp32 and the INT8 model on
every image in its images/, and the INT8 top-1 must equal fp32's on each image where fp32's
top-1 score exceeds 0.5 (at least 10 such images). The INT8 model must also be the integer path:
`vrt inspect --json` reports its Q/DQ convolutions folded. Exit 77 without onnx or the data.
"""
import json
import os
import shutil
import subprocess
import sys

try:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import onnx
    from fp32_model import SQZ, squeezenet_fp32
except ImportError as e:
    print("SKIP: %s (python3-onnx and numpy are needed)" % e)
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("FAIL: %s: exit %d\n%s" % (" ".join(cmd[:3]), r.returncode, r.stderr[-2000:]))
    return r.stdout


def top1(vrt, model, prof, images):
    out = run([vrt, "infer", model] + images + ["--profile", prof, "--topk", "1", "--json", "--threads", "2"])
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if len(rows) != len(images):
        sys.exit("FAIL: %s: %d results for %d images" % (model, len(rows), len(images)))
    return {r["image"]: r["classes"][0] for r in rows}


def main():
    vrt, work = sys.argv[1:3]
    data = os.environ.get("VRT_DATA") or os.path.join(ROOT, "..", "shared", "data")
    src = os.path.join(data, SQZ)
    if not os.path.exists(src):
        print("SKIP: no %s" % src)
        return 77
    os.makedirs(work, exist_ok=True)
    fp32 = os.path.join(work, "squeezenet_fp32.onnx")
    onnx.save(squeezenet_fp32(src), fp32)
    shutil.copy(os.path.join(os.path.dirname(src), "Labels.txt"), work)  # the profile's labels
    prof = os.path.join(ROOT, "models", "squeezenet.conf")
    coco = os.path.join(data, "images", "coco_val2017")
    calib = sorted(os.path.join(coco, f) for f in os.listdir(coco) if f.endswith(".jpg"))[:24]
    images = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(data, "images")) for f in fs
                    if f.lower().endswith((".jpg", ".jpeg", ".png")))
    int8 = os.path.join(work, "squeezenet_int8.onnx")
    log = run([vrt, "quantize", fp32, "--calib"] + calib +
              ["--profile", prof, "--method", "percentile", "--threads", "2", "-o", int8])
    print(log.strip().splitlines()[-2])
    n_fold = json.loads(run([vrt, "inspect", int8, "--json"]))["passes"]["qdq_conv_fused"]
    n_int8 = int(log.strip().splitlines()[-2].split()[0])  # "N of M convs quantized to int8"
    a, b = top1(vrt, fp32, prof, images), top1(vrt, int8, prof, images)
    confident = [k for k, c in a.items() if c["score"] > 0.5]
    bad = [k for k in confident if a[k]["index"] != b[k]["index"]]
    for k in bad:
        print("  %s: fp32 %s (%.3f), int8 %s" % (os.path.basename(k), a[k]["label"], a[k]["score"], b[k]["label"]))
    print("%d of %d images with an fp32 top-1 score > 0.5 keep it in INT8" % (len(confident) - len(bad),
                                                                            len(confident)))
    print("vrt inspect: %d Q/DQ convolutions folded into integer kernels" % n_fold)
    if n_int8 < 1 or n_fold != n_int8:
        sys.exit("FAIL: %d convs quantized but %d folded" % (n_int8, n_fold))
    if len(confident) < 10 or bad:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
