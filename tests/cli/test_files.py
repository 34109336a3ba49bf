#!/usr/bin/env python3
"""End-to-end tests of the file and video outputs (vrt/writer.h, the `files` sink) through the
real binary: `vrt infer IMAGE OUT`, `vrt run ... -o out.mp4`, `vrt capture -o out.mkv`.

Usage: test_files.py --vrt PATH [--preload LIB] [--sanitize 0|1] CASE
Reuses the helpers of test_cli.py. Videos are checked with ffprobe (codec, frame count,
duration) and decoded with ffmpeg to raw RGB; both skip the case when missing.
- the annotated PNG of `vrt infer` shows each box's outline in its class colour, exactly,
  and the label above the box;
- a decoded video frame equals the annotated PNG within the codec's error, and differs from
  the plain image where the overlay is;
- Ctrl-C during a recording still leaves a playable file (the trailer is written);
- bad outputs: one message naming the output, exit 1, before any model is loaded.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli as T  # noqa: E402
from test_cli import Fail, Skip, check, vrt, data, YOLOX, SQZ  # noqa: E402

DOG = "images/darknet/dog.jpg"
# The overlay's class colours (src/vision/overlay.c, Ultralytics' palette), class c -> c % 20.
PALETTE = ["FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17", "3DDB86", "1A9334", "00D4BB",
           "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085", "CB38FF", "FF95C8", "FF37C7"]


def color(cls):
    h = PALETTE[cls % 20]
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def need(tool):
    p = shutil.which(tool)
    if not p:
        raise Skip("%s not found (apt-get install ffmpeg)" % tool)
    return p


def ffprobe(path):
    out = subprocess.run([need("ffprobe"), "-v", "error", "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=codec_name,nb_read_frames,width,height",
                          "-show_entries", "format=duration", "-of", "json", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(out.returncode == 0, "ffprobe %s failed: %s" % (path, out.stderr.decode()[-300:]))
    doc = json.loads(out.stdout)
    s = doc["streams"][0]
    info = {"codec": s["codec_name"], "frames": int(s["nb_read_frames"]), "width": s["width"],
            "height": s["height"], "duration": float(doc["format"]["duration"])}
    print("  ffprobe %s: %s" % (os.path.basename(path), info))
    return info


def decode_rgb(path, w, h, frame=0):
    """Frame `frame` of a video or an image file as raw RGB bytes (ffmpeg)."""
    out = subprocess.run([need("ffmpeg"), "-v", "error", "-i", path, "-vf", "select=eq(n\\,%d)" % frame,
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(out.returncode == 0 and len(out.stdout) == w * h * 3,
          "ffmpeg could not decode frame %d of %s (%d bytes): %s" % (frame, path, len(out.stdout),
                                                                     out.stderr.decode()[-300:]))
    return out.stdout


def mean_diff(a, b, w, x0, y0, x1, y1):
    s, n = 0, 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            i = 3 * (y * w + x)
            s += abs(a[i] - b[i]) + abs(a[i + 1] - b[i + 1]) + abs(a[i + 2] - b[i + 2])
            n += 3
    return s / n


def dog_detection(doc):
    d = [d for d in doc["detections"] if d["label"] == "dog"]
    check(d, "no dog in %s" % [x["label"] for x in doc["detections"]])
    return d[0]


def infer_png(tmp):
    """dog.jpg annotated by `vrt infer ... OUT.png` (positional output), and its JSON line."""
    out = os.path.join(tmp, "dog_boxes.png")
    rc, stdout, err = vrt("infer", data(YOLOX), data(DOG), out, "--json", expect=0)
    docs = T.json_lines(stdout)
    check(len(docs) == 1, "%d JSON lines for one image and an output" % len(docs))
    check(docs[0].get("output") == out, "JSON 'output' is %r" % docs[0].get("output"))
    return out, docs[0]


def case_files_infer_image():
    tmp = tempfile.mkdtemp(prefix="vrt-files-")
    try:
        out, doc = infer_png(tmp)
        w, h, ch, rows = T.png_read(out)
        check((w, h, ch) == (doc["width"], doc["height"], 3), "PNG is %dx%dx%d" % (w, h, ch))

        def px(x, y):
            return tuple(rows[y][3 * x:3 * x + 3])
        dog = dog_detection(doc)
        x1, y1, x2, y2 = [int(v + 0.5) for v in dog["box"]]
        col = color(dog["class_id"])
        # The best box is drawn last: its 2 px outline is the class colour, exactly, on all sides.
        for (x, y) in [(x1, (y1 + y2) // 2), (x1 + 1, (y1 + y2) // 2), (x2 - 1, (y1 + y2) // 2),
                       ((x1 + x2) // 2, y2 - 1), (x1 + 5, y2 - 2)]:
            check(px(x, y) == col, "dog box pixel (%d, %d) is %s, expected %s" % (x, y, px(x, y), col))
        # The label above the box: the class colour as background and white glyph pixels inside it.
        label = [px(x, y) for y in range(y1 - 17, y1) for x in range(x1, x1 + 4 + 9 * 8)]
        n_bg = sum(1 for p in label if p == col)
        n_ink = sum(1 for p in label if min(p) > 200)
        print("  label area: %d background, %d ink pixels of %d" % (n_bg, n_ink, len(label)))
        check(n_bg > len(label) // 3 and n_ink > 60, "no label text above the dog box")
        # Detections must not change by drawing (the plain run gives the same boxes).
        rc, stdout, err = vrt("infer", data(YOLOX), data(DOG), "--json", expect=0)
        check(T.json_lines(stdout)[0]["detections"] == doc["detections"], "detections differ with an output")
        # -o into a folder: NAME.jpg per input; JPEG decodes (ffmpeg) with the outline near the colour.
        d = os.path.join(tmp, "annotated") + "/"
        vrt("infer", data(YOLOX), data(DOG), data("images/jetson/city_0.jpg"), "-o", d, "-q", expect=0)
        check(sorted(os.listdir(d)) == ["city_0.jpg", "dog.jpg"], "folder holds %s" % os.listdir(d))
        if shutil.which("ffmpeg"):
            jpg = decode_rgb(os.path.join(d, "dog.jpg"), w, h)
            shows_overlay(jpg, decode_rgb(out, w, h), decode_rgb(data(DOG), w, h), w, x1, y1, x2, y2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_files_infer_video():
    tmp = tempfile.mkdtemp(prefix="vrt-files-")
    try:
        png, doc = infer_png(tmp)
        mp4 = os.path.join(tmp, "three.mp4")
        vrt("infer", data(YOLOX), data(DOG), data(DOG), data(DOG), "-o", mp4, "-q", expect=0)
        info = ffprobe(mp4)
        check(info["codec"] in ("h264", "mjpeg"), "codec %s" % info["codec"])
        check(info["frames"] == 3, "%d frames, expected 3" % info["frames"])
        check(abs(info["duration"] - 0.1) < 0.02, "duration %.3f s for 3 frames at 30 fps" % info["duration"])
        w, h = doc["width"], doc["height"]
        check((info["width"], info["height"]) == (w, h), "video is %dx%d" % (info["width"], info["height"]))
        check_frame_shows_overlay(mp4, png, doc, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_frame_shows_overlay(video, png, doc, frame):
    """Frame `frame` of video equals the annotated PNG within the codec's error, along the dog
    box's edges and label, and is farther from the plain image there."""
    w, h = doc["width"], doc["height"]
    vid = decode_rgb(video, w, h, frame)
    ann = decode_rgb(png, w, h)
    plain = decode_rgb(data(DOG), w, h)
    x1, y1, x2, y2 = [int(v + 0.5) for v in dog_detection(doc)["box"]]
    shows_overlay(vid, ann, plain, w, x1, y1, x2, y2)


def shows_overlay(got, ann, plain, w, x1, y1, x2, y2):
    """got (decoded lossy picture) is near the annotated picture and far from the plain one: in
    the label (17 px of solid colour and text) clearly, along the 2 px box edges (blurred by
    4:2:0 chroma) by a margin."""
    regions = [(x1 - 2, y1 - 17, x1 + 80, y1 + 3, 20, 2.0, 10), (x1 - 2, y1, x1 + 4, y2, 25, 1.0, 15),
               (x2 - 4, y1, x2 + 2, y2, 25, 1.0, 15)]
    for (rx0, ry0, rx1, ry1, tol, k, margin) in regions:
        r = (rx0, ry0, rx1, ry1)
        d_ann = mean_diff(got, ann, w, *r)
        d_plain = mean_diff(got, plain, w, *r)
        print("  region %s: mean |decoded - annotated| %.1f, |decoded - plain| %.1f" % (r, d_ann, d_plain))
        check(d_ann < tol, "decoded picture differs from the annotated image in %s (%.1f)" % (r, d_ann))
        check(d_plain > k * d_ann + margin, "decoded picture does not show the overlay in %s" % (r,))


def case_files_run_video():
    tmp = tempfile.mkdtemp(prefix="vrt-files-")
    try:
        png, doc = infer_png(tmp)
        mkv = os.path.join(tmp, "run.mkv")
        # The overlay without the HUD, so the frame is the one vrt infer drew.
        rc, out, err = vrt("run", "-i", "image:%s?loop=1&fps=10" % data(DOG), "-m", data(YOLOX), "--frames", "6",
                           "--policy", "all", "--overlay", "box,labels,conf", "-o", mkv, "-q", timeout=150, expect=0)
        info = ffprobe(mkv)
        check(info["codec"] in ("h264", "mjpeg"), "codec %s" % info["codec"])
        check(info["frames"] == 6, "%d frames, expected 6" % info["frames"])
        # Time stamps from the frames: the image source's 10 fps.
        check(0.55 <= info["duration"] <= 0.65, "duration %.3f s for 6 frames at 10 fps" % info["duration"])
        check_frame_shows_overlay(mkv, png, doc, 5)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stop_with_sigint(args, seconds):
    p = subprocess.Popen([T.ARGS.vrt] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=T.env_for())
    time.sleep(seconds)
    if p.poll() is not None:
        raise Fail("vrt ended by itself: %s" % p.communicate()[1].decode()[-300:])
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Fail("vrt did not stop within 30 s of SIGINT")
    err = err.decode()
    print("  exit %d, stderr tail: %s" % (p.returncode, err[-300:]))
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report")
    check(p.returncode == 0, "exit status %d after SIGINT" % p.returncode)


def case_files_sigint_trailer():
    tmp = tempfile.mkdtemp(prefix="vrt-files-")
    try:
        cap = os.path.join(tmp, "cap.mp4")
        stop_with_sigint(["capture", "synthetic:?width=320&height=240", "-o", cap, "-q"], 2.0)
        info = ffprobe(cap)
        check(info["frames"] >= 20 and info["duration"] > 0.6, "capture after SIGINT: %s" % info)
        check(abs(info["duration"] - info["frames"] / 30.0) < 0.1, "duration %.3f for %d frames at 30 fps"
              % (info["duration"], info["frames"]))
        run = os.path.join(tmp, "run.mp4")
        stop_with_sigint(["run", "-i", "synthetic:?width=320&height=240", "-m", data(SQZ), "-o", run, "-q"], 6.0)
        info = ffprobe(run)
        check(info["frames"] >= 2 and (info["width"], info["height"]) == (320, 240), "run after SIGINT: %s" % info)
        # A numbered pattern: the folder is made, the files follow the pattern.
        pat = os.path.join(tmp, "num", "f%03d.png")
        vrt("capture", "synthetic:?width=320&height=240", "--frames", "3", "-o", pat, "-q", expect=0)
        check(sorted(os.listdir(os.path.join(tmp, "num"))) == ["f000.png", "f001.png", "f002.png"],
              "pattern files %s" % os.listdir(os.path.join(tmp, "num")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_files_bad_outputs():
    tmp = tempfile.mkdtemp(prefix="vrt-files-")
    try:
        f = os.path.join(tmp, "plain")
        open(f, "w").close()
        bad = os.path.join(f, "out.mp4")
        err = T.runtime_error(["infer", "no-model.onnx", "x.jpg", "-o", bad], bad)
        check("no-model.onnx" not in err, "the output must fail before the model is looked at")
        T.runtime_error(["run", "-i", "synthetic:", "-m", data(SQZ), "--frames", "1", "-o", bad], bad)
        T.runtime_error(["capture", "synthetic:", "--frames", "1", "-o", bad], bad)
        for args in (["infer", data(YOLOX), data(DOG), "-o", os.path.join(tmp, "x.gif")],
                     ["capture", "synthetic:", "--frames", "1", "-o", os.path.join(tmp, "x.gif")]):
            T.runtime_error(args, "x.gif", "out.mp4")
        T.runtime_error(["run", "-i", "synthetic:", "-m", data(SQZ), "--frames", "1", "-o",
                         os.path.join(tmp, "x.gif")], "x.gif")
        T.runtime_error(["infer", data(YOLOX), data(DOG), data(DOG), "-o", os.path.join(tmp, "one.jpg")],
                        "one.jpg", "folder")
        check(not os.path.exists(os.path.join(tmp, "x.gif")), "a file was left for a bad output")
        T.usage_error(["infer", data(YOLOX), data(DOG), "--overlay", "boxes"], "boxes", "labels")
        T.usage_error(["run", "--overlay", "box,nope"], "nope")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(T.run_cases(globals()))
