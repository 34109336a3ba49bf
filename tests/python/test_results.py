"""pytest: every result kind of the C library through the Python package, against `vrt infer --json` on the
same model and image (CPU backend): detect-ssd (UltraFace), detect-detr, depth, segment-yolov8, pose-yolov8,
segment-argmax, cascade options; maps (depth, instance and class maps) decoded from the CLI's JSON or checked
against a numpy reference of the C rule; the DLPack export of a session's maps.

Models: tests/models (small random-weight Depth Anything, DETR, YOLOv8n read as a 3-keypoint pose model),
tiny_model.py's segment-yolov8 and segment-argmax models, $VRT_DATA's UltraFace, YOLOX-Nano, SqueezeNet.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import visionrt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tiny_model  # noqa: E402

DATA = os.environ.get("VRT_DATA", "")
VRT = os.environ.get("VRT_BIN", "vrt")
IMAGE = "images/coco_val2017/000000005037.jpg"


def data(rel):
    p = os.path.join(DATA, rel)
    if not DATA or not os.path.exists(p):
        pytest.skip("test data %s not found (set VRT_DATA)" % rel)
    return p


def repo_model(name):
    return os.path.join(ROOT, "tests", "models", name, "model.onnx")


def profile_from(tmp, base, name, **keys):
    """models/BASE.conf with some keys replaced (the small models' input sizes, thresholds)."""
    lines = []
    with open(os.path.join(ROOT, "models", base + ".conf")) as f:
        for line in f:
            k = line.split("=")[0].strip()
            lines.append("%s = %s\n" % (k, keys.pop(k)) if k in keys else line)
    lines += ["%s = %s\n" % kv for kv in keys.items()]
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def image_frame(path):
    with visionrt.Source("image:" + path, format="RGB24") as src:
        return np.array(src.read(), copy=True)


def infer(model, profile, image):
    """The CLI's JSON and the Python Result for the same model, profile and image (CPU backend)."""
    out = subprocess.run([VRT, "infer", model, image, "--profile", profile, "--json", "--backend", "cpu"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    want = json.loads(out.stdout.splitlines()[0])
    frame = image_frame(image)
    with visionrt.Session(model, profile, backend="cpu", width=frame.shape[1], height=frame.shape[0]) as s:
        got = s.run(frame)
    assert got.task == want["task"]
    return got, want, frame


def check_detections(got, want):
    assert len(got.detections) == len(want["detections"]) > 0
    for d, w in zip(got.detections, want["detections"]):
        assert d.class_id == w["class_id"]
        assert d.label == w["label"] or (d.label is None and w["label"] == "class %d" % d.class_id)  # no labels
        assert d.score == pytest.approx(w["score"], rel=1e-5, abs=1e-7)
        assert [d.x1, d.y1, d.x2, d.y2] == pytest.approx(w["box"], abs=1e-3)
    assert got.boxes.shape == (len(got.detections), 4)


# ---- detectors ---------------------------------------------------------------------------------------

def test_detect_ssd_equal_cli():
    model = data("models/ultraface_slim320/version-slim-320.onnx")
    got, want, _ = infer(model, os.path.join(ROOT, "models", "ultraface.conf"),
                         data("models/ultraface_slim320/faces_1.jpg"))
    assert got.kind == "detections" and got.task == "detect-ssd"
    check_detections(got, want)
    assert got.maps == {} and got.keypoints is None and got.depth is None and got.masks is None


def test_detect_detr_equal_cli(tmp_path):
    prof = profile_from(str(tmp_path), "detr", "detr", width=128, height=96, score_threshold=0.0,
                        labels=os.path.join(ROOT, "models", "detr_labels.txt"))
    got, want, _ = infer(repo_model("detr_resnet50"), prof, data(IMAGE))
    assert got.kind == "detections"
    check_detections(got, want)


# ---- depth -------------------------------------------------------------------------------------------

def depth_session(tmp_path):
    prof = profile_from(str(tmp_path), "depth-anything", "depth", width=98, height=98)
    return repo_model("depth_anything_v2"), prof


def test_depth_maps_equal_cli(tmp_path):
    model, prof = depth_session(tmp_path)
    got, want, frame = infer(model, prof, data(IMAGE))
    h, w = frame.shape[:2]
    assert got.kind == "dense" and set(got.maps) == {"depth", "depth_raw", "depth_color"}
    assert got.depth.shape == got.depth_raw.shape == (h, w) and got.depth.dtype == np.float32
    assert got.depth_color.shape == (h, w, 3) and got.depth_color.dtype == np.uint8
    lo, hi, mean = got.depth_stats
    d = want["depth"]
    assert (d["width"], d["height"]) == (w, h)
    assert [lo, hi, mean] == pytest.approx([d["min"], d["max"], d["mean"]], rel=1e-6, abs=1e-7)
    # stretch: the network saw every pixel, so the stats are the raw map's, and depth is it normalised
    raw = got.depth_raw.astype(np.float64)
    assert not np.isnan(raw).any()
    assert raw.min() == pytest.approx(lo) and raw.max() == pytest.approx(hi)
    assert raw.mean() == pytest.approx(mean, rel=1e-4)
    np.testing.assert_allclose(got.depth, (raw - lo) / (hi - lo), atol=1e-5)
    # the colour map is a function of the normalised depth: equal depths, equal colours
    flat = got.depth.ravel()
    order = np.argsort(flat, kind="stable")
    same = np.flatnonzero(np.diff(flat[order]) == 0)
    cols = got.depth_color.reshape(-1, 3)
    assert (cols[order[same]] == cols[order[same + 1]]).all()
    assert len(np.unique(cols, axis=0)) > 20


def depth_median_ref(raw, box):
    """vrt_result_depth_median's rule in numpy: pixels whose centre lies in [x1, x2) x [y1, y2)."""
    h, w = raw.shape
    x0, y0 = [int(min(max(np.ceil(np.float32(v) - np.float32(0.5)), 0), lim)) for v, lim in zip(box[:2], (w, h))]
    x1, y1 = [int(min(max(np.ceil(np.float32(v) - np.float32(0.5)), lo), lim))
              for v, lo, lim in zip(box[2:4], (x0, y0), (w, h))]
    vals = raw[y0:y1, x0:x1]
    vals = vals[~np.isnan(vals)]
    return None if vals.size == 0 else np.float32(np.median(vals.astype(np.float64)))


def test_depth_median(tmp_path):
    model, prof = depth_session(tmp_path)
    frame = image_frame(data(IMAGE))
    with visionrt.Session(model, prof, backend="cpu", width=frame.shape[1], height=frame.shape[0]) as s:
        r = s.run(frame)
    lo, hi, _ = r.depth_stats
    for box in [(0, 0, 640, 425), (10.2, 20.7, 200.4, 150.5), (100, 100, 101, 101), (300, 200, 303.6, 204.1),
                (-50, -10, 30, 40)]:
        raw, norm = r.depth_median(box)
        ref = depth_median_ref(r.depth_raw, box)
        assert raw == pytest.approx(float(ref), rel=1e-6)
        assert norm == pytest.approx((raw - lo) / (hi - lo), rel=1e-5)
    assert r.depth_median((700, 500, 800, 600)) is None  # outside the frame: no pixel
    det = visionrt.Detection((10.0, 20.0, 60.0, 90.0, 0.9, 0, None, []))
    assert r.depth_median(det) == r.depth_median((10, 20, 60, 90))
    with pytest.raises(ValueError):
        r.depth_median((1, 2))


# ---- segmentation, pose ------------------------------------------------------------------------------

def test_segment_yolov8_masks_equal_cli(tmp_path):
    model = tiny_model.write_seg_model(str(tmp_path / "seg.onnx"))
    prof = write(str(tmp_path), "seg.conf", "task = segment-yolov8\noutputs = output=output0, protos=output1\n"
                 "width = 32\nheight = 32\nresize = letterbox\nplacement = center\npad = 114\nscale = 1/255\n"
                 "score_threshold = 0.5\niou_threshold = 0.5\nmax_detections = 20\nmask_threshold = 0.5\n")
    got, want, frame = infer(model, prof, data(IMAGE))
    check_detections(got, want)
    h, w = frame.shape[:2]
    n = len(got.detections)
    assert got.instance_map.shape == (h, w) and got.instance_map.dtype == np.uint8
    assert got.instance_map.max() <= n
    masks = got.masks
    assert masks.shape == (n, h, w) and masks.dtype == np.bool_
    assert (masks.sum(axis=0) <= 1).all()  # each pixel is the best detection's only
    assert len(want["masks"]) == n
    on_total = 0
    for m in want["masks"]:
        x, y, mw, mh = m["region"]
        runs = np.repeat(np.arange(len(m["rle"])) % 2, m["rle"]).astype(bool)  # 0s first
        assert runs.size == mw * mh
        mask = masks[m["index"]]
        assert (mask[y:y + mh, x:x + mw] == runs.reshape(mh, mw)).all()
        assert mask.sum() == runs.sum()  # nothing outside the box's region
        on_total += int(runs.sum())
    assert on_total > 1000  # the model's masks are not empty


def test_pose_keypoints_equal_cli(tmp_path):
    """YOLOv8n's [1, 14, N] output read as pose with 3 keypoints (4 + 1 + 3 * 3)."""
    prof = profile_from(str(tmp_path), "yolov8-pose", "pose", width=96, height=96, score_threshold=0.0,
                        num_keypoints=3)
    got, want, _ = infer(repo_model("yolov8n"), prof, data(IMAGE))
    assert got.kind == "keypoints"
    check_detections(got, want)
    k = np.array(want["keypoints"], np.float32)
    assert got.keypoints.shape == (len(got.detections), 3, 3) == k.shape and got.keypoints.dtype == np.float32
    np.testing.assert_allclose(got.keypoints, k, rtol=1e-5, atol=1e-3)


def test_segment_argmax_class_map_equal_cli(tmp_path):
    model = tiny_model.write_argmax_model(str(tmp_path / "argmax.onnx"))
    prof = write(str(tmp_path), "argmax.conf",
                 "task = segment-argmax\nwidth = 32\nheight = 32\nresize = stretch\nscale = 1/255\n")
    got, want, frame = infer(model, prof, data(IMAGE))
    seg = want["segmentation"]
    assert got.kind == "dense" and set(got.maps) == {"classes"}
    assert got.class_map.shape == (seg["height"], seg["width"]) == frame.shape[:2]
    rle = np.array(seg["rle"]).reshape(-1, 2)
    ref = np.repeat(rle[:, 0], rle[:, 1]).astype(np.uint8).reshape(frame.shape[:2])
    assert (got.class_map == ref).all() and len(np.unique(ref)) > 1


# ---- cascade options ---------------------------------------------------------------------------------

def test_cascade_options_equal_cli():
    det = data("models/yolox_nano/yolox_nano.onnx")
    cls = data("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx")
    image = data("images/jetson/city_1.jpg")  # people (0), cars (2), a truck, lights
    frame = image_frame(image)
    with visionrt.Session(det, backend="cpu", width=frame.shape[1], height=frame.shape[0], cascade=cls,
                          cascade_topk=2, cascade_classes=[0, 7], cascade_min_size=50, cascade_max_batch=4) as s:
        r = s.run(frame)
    out = subprocess.run([VRT, "run", "-m", det, "-i", "image:" + image + "?format=RGB24", "--frames", "1",
                          "--backend", "cpu", "--json", "-", "--quiet", "--secondary", visionrt.find_profile(cls),
                          "--secondary-model", cls, "--secondary-topk", "2", "--secondary-classes", "0,7",
                          "--secondary-min-size", "50", "--secondary-batch", "4"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    want = [json.loads(l) for l in out.stdout.splitlines() if '"detections"' in l][0]["detections"]
    assert len(r.detections) == len(want) > 1
    classified = 0
    for d, w in zip(r.detections, want):
        sec = w.get("secondary", [])
        assert [c.index for c in d.secondary] == [c["index"] for c in sec]
        assert [c.score for c in d.secondary] == pytest.approx([c["score"] for c in sec], rel=1e-5)
        assert len(d.secondary) in (0, 2)
        assert not d.secondary or (d.class_id in (0, 7) and min(d.x2 - d.x1, d.y2 - d.y1) >= 49)
        classified += bool(d.secondary)
    assert 0 < classified <= 4 < len(r.detections)  # the filter and the batch of 4 kept boxes out
    with pytest.raises(ValueError, match="at most"):
        visionrt.Session(det, backend="cpu", cascade=cls, cascade_classes=list(range(100)))


# ---- DLPack --------------------------------------------------------------------------------------------

def test_device_map_dlpack_cpu(tmp_path):
    """The CPU backend exports its result's own map (host memory): numpy.from_dlpack views it."""
    model, prof = depth_session(tmp_path)
    frame = image_frame(data(IMAGE))
    s = visionrt.Session(model, prof, backend="cpu", width=frame.shape[1], height=frame.shape[0])
    with pytest.raises(ValueError, match="no such map"):
        s.device_map("depth")  # nothing run yet
    r = s.run(frame)
    m = s.device_map("depth_raw")
    assert m.__dlpack_device__() == (1, 0) and m.device == "cpu"
    assert m.shape == r.depth_raw.shape and m.dtype == "float32"
    a = np.from_dlpack(m)
    assert a.ctypes.data == m.data_ptr and (a == r.depth_raw).all()
    c = np.from_dlpack(s.device_map("depth_color"))
    assert c.shape == r.depth_color.shape and (c == r.depth_color).all()
    with pytest.raises(ValueError, match="depth, depth_raw"):
        s.device_map("nope")
    with pytest.raises(ValueError, match="no such map"):
        s.device_map("classes")
    s.run(frame)
    with pytest.raises(BufferError, match="overwritten"):
        m.__dlpack__()
    del a
    s.close()


@pytest.mark.gpu
def test_device_map_dlpack_cuda(tmp_path):
    """CUDA: the map in device memory, read by torch.from_dlpack without a copy, equals the host result."""
    if not visionrt.backend_available("cuda"):
        pytest.skip("no CUDA backend or GPU")
    torch = pytest.importorskip("torch")
    model, prof = depth_session(tmp_path)
    frame = image_frame(data(IMAGE))
    with visionrt.Session(model, prof, backend="cuda", width=frame.shape[1], height=frame.shape[0]) as s:
        r = s.run(frame)
        for name in ("depth", "depth_raw", "depth_color"):
            m = s.device_map(name)
            assert m.device == "cuda" and m.__dlpack_device__() == (2, 0)
            t = torch.from_dlpack(m)
            assert t.is_cuda and t.data_ptr() == m.data_ptr and tuple(t.shape) == m.shape
            host = getattr(r, name)
            assert np.array_equal(t.cpu().numpy(), host, equal_nan=True)
        s.run(frame)
        with pytest.raises(BufferError):
            m.__dlpack__()
