"""pytest: the example scripts of python/examples run a few frames on the CPU backend with the small models
(tiny_model.py's classifier, tests/models' YOLOv8n and Depth Anything) on a synthetic source, so they
cannot rot: each must finish, print what it promises and exit 0."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "python", "examples")
sys.path.insert(0, HERE)
import tiny_model  # noqa: E402

SOURCE = "synthetic:?width=160&height=120&fps=0&frames=3"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("examples"))
    tiny, tiny_prof = tiny_model.make(d)
    det_prof = os.path.join(d, "yolov8n.conf")
    with open(det_prof, "w") as f:  # random weights: every score is small, so keep all above 0
        f.write("task = detect-yolov8\nwidth = 96\nheight = 96\nresize = letterbox\nplacement = center\n"
                "pad = 114\nscale = 1/255\nscore_threshold = 0.0\niou_threshold = 0.5\nmax_detections = 3\n")
    depth_prof = os.path.join(d, "depth.conf")
    with open(os.path.join(ROOT, "models", "depth-anything.conf")) as f, open(depth_prof, "w") as g:
        g.write(f.read().replace("width = 518", "width = 98").replace("height = 518", "height = 98"))
    return {"tiny": tiny, "tiny_prof": tiny_prof, "det": os.path.join(ROOT, "tests", "models", "yolov8n", "model.onnx"),
            "det_prof": det_prof, "depth": os.path.join(ROOT, "tests", "models", "depth_anything_v2", "model.onnx"),
            "depth_prof": depth_prof}


def run(script, *args):
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] + list(args), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.splitlines()


def test_webcam_classifier(models):
    lines = run("webcam_classifier.py", models["tiny"], "--profile", models["tiny_prof"], "--source",
                "synthetic:?width=160&height=120&fps=60&frames=3", "--backend", "cpu", "--frames", "3")
    frames = [l for l in lines if l.startswith("frame")]
    assert 1 <= len(frames) <= 3 and all(l.split()[2] in ("red", "green", "blue") for l in frames)
    assert lines[-1].endswith("dropped") and int(lines[-1].split()[0]) == len(frames)  # the summary line


def test_detector_cascade(models):
    lines = run("detector_cascade.py", models["det"], models["tiny"], "--detector-profile", models["det_prof"],
                "--classifier-profile", models["tiny_prof"], "--source", SOURCE, "--backend", "cpu",
                "--frames", "2", "--topk", "2", "--classes", "0,1,2,3,4,5,6,7,8,9")
    assert [l.split(":")[0] for l in lines if l.startswith("frame")] == ["frame 0", "frame 1"]
    boxes = [l for l in lines if l.startswith("  ")]
    assert boxes and all("->" in l for l in boxes)
    assert any(l.rstrip().endswith(("red", "green", "blue")) or " red " in l or " blue " in l or " green " in l
               for l in boxes)


def test_yolo_depth(models):
    lines = run("yolo_depth.py", models["det"], models["depth"], "--detector-profile", models["det_prof"],
                "--depth-profile", models["depth_prof"], "--source", SOURCE, "--backend", "cpu", "--frames", "2")
    assert [l.split(":")[0] for l in lines if l.startswith("frame")] == ["frame 0", "frame 1"]
    objs = [l for l in lines if l.startswith("  ")]
    assert objs and all("near" in l or "no depth" in l for l in objs)
    assert any("near" in l for l in objs)
