#!/usr/bin/env python3
"""End-to-end tests of profiles against models: zero-config Ultralytics models
(ONNX metadata), and the checks at open that refuse a profile, model or labels
file that do not fit (exit 1 and a message naming the file/output and what
would fit).

Usage: test_profiles.py --vrt PATH [--sanitize 0|1] --gen DIR CASE
The tiny models are in DIR/models/ (made by tests/cli/models/make_models.py); the
UltraFace case reads ../shared/data and skips that part without it. Images are
written here as PNG with zlib (standard library only).
"""
import json
import os
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli as T  # noqa: E402
from test_cli import Fail, Skip, check, vrt  # noqa: E402

# Made by models/make_models.py into the build folder (fixture gen_cli_models): --gen DIR.
GEN = sys.argv[sys.argv.index("--gen") + 1] if "--gen" in sys.argv[:-1] else ""
MODELS = os.path.join(GEN, "models")
META = os.path.join(MODELS, "yolov8_meta.onnx")
BARE = os.path.join(MODELS, "yolov8_bare.onnx")
TWO = os.path.join(MODELS, "two_outputs.onnx")
DET4D = os.path.join(MODELS, "det4d.onnx")
# The constant boxes of yolov8_meta.onnx (make_models.py): class, score, cx, cy, w, h in input pixels.
BOXES = [(1, 0.9, 20.0, 30.0, 16.0, 12.0), (2, 0.6, 40.0, 40.0, 10.0, 20.0)]
NAMES = ["cat", "dog", "bird's nest"]


def png_write(path, w, h):
    """A w x h RGB PNG (a gradient)."""
    raw = b"".join(b"\0" + bytes(v for x in range(w) for v in ((x * 7 + y) & 255, (y * 5) & 255, 128))
                   for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def letterbox_boxes(w, h, size=64):
    """Expected frame boxes: Ultralytics LetterBox (round(), centred) undone."""
    r = min(size / w, size / h)
    rw, rh = round(w * r), round(h * r)
    ox, oy = (size - rw) // 2, (size - rh) // 2
    out = []
    for c, s, cx, cy, bw, bh in BOXES:
        out.append((c, s, [(cx - bw / 2 - ox) / r, (cy - bh / 2 - oy) / r, (cx + bw / 2 - ox) / r,
                           (cy + bh / 2 - oy) / r]))
    return out


def error_case(args, *needles):
    """vrt exits 1 with one short message holding every needle."""
    rc, out, err = vrt(*args, expect=1)
    check(err.startswith("vrt: "), "no 'vrt: ' message on stderr")
    for n in needles:
        check(n in err, "message lacks %r" % n)
    check(len(err.splitlines()) <= 3, "message longer than 3 lines")
    check("detection" not in out and "1." not in out, "results printed despite the error")


def write(tmp, name, text):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def case_profiles_zero_config():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "f.png")
        png_write(img, 80, 60)
        # No profile: task, input size, letterbox and labels from the metadata.
        rc, out, err = vrt("infer", META, img, "--json", expect=0)
        doc = json.loads(out)
        check(doc["task"] == "detect-yolov8" and doc["profile"] == "model metadata", "task/profile %r" % doc)
        dets = doc["detections"]
        want = letterbox_boxes(80, 60)
        check(len(dets) == len(want), "%d detections, want %d" % (len(dets), len(want)))
        for d, (c, s, box) in zip(dets, want):
            check(d["class_id"] == c and d["label"] == NAMES[c], "class %r label %r" % (d["class_id"], d["label"]))
            check(abs(d["score"] - s) < 1e-6, "score %r" % d["score"])
            check(all(abs(a - b) < 1e-3 for a, b in zip(d["box"], box)), "box %r, want %r" % (d["box"], box))
        # A profile overrides the metadata: its labels and threshold (the metadata's names are unused).
        lab = write(tmp, "l.txt", "x\ny\nz\n")
        prof = write(tmp, "p.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\nresize = letterbox\n"
                     "placement = center\nresize_rounding = round\nscale = 1/255\nlabels = %s\n"
                     "score_threshold = 0.7\n" % lab)
        rc, out, err = vrt("infer", META, img, "--json", "--profile", prof, expect=0)
        doc = json.loads(out)
        check([d["label"] for d in doc["detections"]] == ["y"], "override: %r" % doc["detections"])
        # A profile without labels takes the metadata's names.
        prof2 = write(tmp, "p2.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\n")
        rc, out, err = vrt("infer", META, img, "--json", "--profile", prof2, expect=0)
        check([d["label"] for d in json.loads(out)["detections"]] == ["dog", "bird's nest"], "names from metadata")
        # Without metadata and without a profile: the name-matching message.
        error_case(["infer", BARE, img], "no profile matches", "--profile")
        # vrt run configures itself the same way.
        rc, out, err = vrt("run", "-m", META, "-i", "image:%s?loop=1&fps=20" % img, "--frames", "2", "--policy",
                           "all", "--print", expect=0, timeout=120)
        lines = [l for l in out.splitlines() if l.startswith("[0] frame")]
        check(len(lines) == 2 and "dog 0.90" in lines[0] and "bird's nest 0.60" in lines[0], "run: %r" % lines)


def case_profiles_bad_model():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "f.png")
        png_write(img, 16, 16)
        for cmd in (["infer", "%s", img], ["run", "-m", "%s", "-i", "synthetic:", "--frames", "1"]):
            def args(m):
                return [a.replace("%s", m) for a in cmd]
            error_case(args(os.path.join(tmp, "missing.onnx")), "missing.onnx", "no such file")
            error_case(args(tmp), "is a directory")
            locked = os.path.join(tmp, "locked.onnx")
            with open(locked, "wb") as f:
                f.write(open(META, "rb").read())
            os.chmod(locked, 0)
            if os.geteuid() != 0:  # root reads it anyway
                error_case(args(locked), "locked.onnx", "permission denied")


def case_profiles_validation():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "f.png")
        png_write(img, 32, 32)
        empty = write(tmp, "empty.conf", "# nothing but a comment\n\n")
        error_case(["infer", META, img, "--profile", empty], "empty.conf", "sets no keys")
        short = write(tmp, "short.txt", "cat\ndog\n")
        p = write(tmp, "short.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\nlabels = %s\n" % short)
        error_case(["infer", META, img, "--profile", p], "short.txt", "has 2 names", "3 classes")
        error_case(["run", "-m", META, "-i", "synthetic:", "--frames", "1", "--profile", p], "short.txt", "3 classes")
        cls = write(tmp, "cls.conf", "task = classify\nwidth = 64\nheight = 64\n")
        error_case(["infer", DET4D, img, "--profile", cls], "output 'out' is [1, 3, 8, 14]", "one score per class")
        error_case(["infer", META, img, "--profile", cls], "output 'output0' is [1, 7, 84]", "task classify")
        v8 = write(tmp, "v8.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\n")
        error_case(["infer", TWO, img, "--profile", v8], "output 'scores' is [1, 20, 2]", "[1, 4+C, N]",
                   "N = 84 anchors")
        named = write(tmp, "named.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\noutputs = boxes\n")
        error_case(["infer", TWO, img, "--profile", named], "output 'boxes' is [1, 20, 4]")
        wrong = write(tmp, "wrong.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\noutputs = nope\n")
        error_case(["infer", TWO, img, "--profile", wrong], "'nope'", "not among the model's outputs", "'scores'")
        ssd = write(tmp, "ssd.conf", "task = detect-ssd\nwidth = 64\nheight = 64\noutputs = scores=boxes, boxes=scores\n")
        error_case(["infer", TWO, img, "--profile", ssd], "output 'scores' (detect-ssd boxes)", "expected [1, 20, 4]")
        nhwc = write(tmp, "nhwc.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\nlayout = nhwc\n")
        error_case(["infer", META, img, "--profile", nhwc], "input 'images' is [1,3,64,64]", "[1,64,64,3]")
        noin = write(tmp, "noin.conf", "task = detect-yolov8\nwidth = 64\nheight = 64\ninput = nope\n")
        error_case(["infer", META, img, "--profile", noin], "input 'nope'", "does not have")
        # The case: UltraFace (scores + boxes) with a YOLOv8 profile printed 100 meaningless boxes.
        root = T.data_root()
        uf = os.path.join(root, "models/ultraface_slim320/version-slim-320.onnx") if root else ""
        if uf and os.path.exists(uf):
            u8 = write(tmp, "u8.conf", "task = detect-yolov8\nwidth = 320\nheight = 240\n")
            error_case(["infer", uf, img, "--profile", u8], "output 'scores' is [1, 4420, 2]", "N = 1580 anchors")


if __name__ == "__main__":
    if not os.path.exists(META):
        print("[ SKIP ] %s not generated (needs a Python with the onnx package: apt install python3-onnx, "
              "then ctest -R gen_cli_models)" % MODELS)
        sys.exit(T.SKIP)
    sys.exit(T.run_cases(globals()))
