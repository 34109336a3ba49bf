"""pytest for the visionrt Python package (python/), run by tests/python/run.sh in a venv.

The tiny model (tiny_model.py) makes the API and leak tests fast; the comparisons with the CLI use
SqueezeNet and YOLOX-Nano from $VRT_DATA and skip without them. $VRT_BIN names the `vrt` binary.
"""
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import visionrt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tiny_model  # noqa: E402

DATA = os.environ.get("VRT_DATA", "")
VRT = os.environ.get("VRT_BIN", "vrt")


def data(rel):
    p = os.path.join(DATA, rel)
    if not DATA or not os.path.exists(p):
        pytest.skip("test data %s not found (set VRT_DATA)" % rel)
    return p


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_model.make(str(tmp_path_factory.mktemp("tiny")))


def colour(r, g, b, w=8, h=8):
    f = np.zeros((h, w, 3), np.uint8)
    f[...] = (r, g, b)
    return f


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


# ---- module, Session ------------------------------------------------------------------------

def test_module():
    assert visionrt.version() == visionrt.__version__
    assert "visionrt" in visionrt.build_info()
    assert visionrt.backend_available("cpu") is True
    pkg = os.path.dirname(visionrt.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed")) and os.path.exists(os.path.join(pkg, "_core.pyi"))
    assert os.path.exists(os.path.join(visionrt.profiles_dir(), "squeezenet.conf"))


def test_session_run(tiny):
    model, profile = tiny
    with visionrt.Session(model, profile, backend="cpu", width=8, height=8) as s:
        info = s.info
        assert info["backend"] == "cpu" and info["task"] == "classify" and info["format"] == "RGB24"
        assert (info["width"], info["height"], info["num_classes"]) == (8, 8, 3)
        r = s.run(colour(0, 0, 255))
        assert r.kind == "classes" and r.task == "classify"
        assert [c.label for c in r.classes][0] == "blue" and r.classes[0].index == 2
        # softmax over the channel means (0, 0, 1): e / (e + 2)
        assert r.classes[0].score == pytest.approx(np.e / (np.e + 2), rel=1e-5)
        assert sum(c.score for c in r.classes) == pytest.approx(1.0, rel=1e-5)
        assert set(r.times) >= {"preprocess", "model", "postprocess", "total", "submit", "done"}
        assert r.times["done"] >= r.times["submit"] > 0
        assert r.detections == [] and r.boxes.shape == (0, 4)
        assert s.run(colour(255, 0, 0)).classes[0].label == "red"


def test_submit_poll_wait(tiny):
    model, profile = tiny
    s = visionrt.Session(model, profile, backend="cpu", width=8, height=8, slots=2)
    want = s.run(colour(0, 255, 0)).classes
    a = s.submit(colour(0, 255, 0))
    b = s.submit(colour(0, 0, 255))
    assert {a, b} == {0, 1}
    with pytest.raises(RuntimeError, match="slots"):
        s.submit(colour(0, 0, 0))
    ra = s.wait(a)
    rb = s.poll(b)  # the CPU backend has finished at submit
    assert ra.classes == want and ra.slot == a
    assert rb is not None and rb.classes[0].label == "blue"
    with pytest.raises(ValueError, match="no submission"):
        s.wait(a)
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.run(colour(0, 0, 0))


def test_profile_found_by_name(tmp_path):
    model = data("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx")
    assert os.path.basename(visionrt.find_profile(model)) == "squeezenet.conf"
    odd = tmp_path / "zzz.onnx"
    odd.write_bytes(b"")
    assert visionrt.find_profile(odd) is None
    with pytest.raises(visionrt.Error, match="no profile matches"):
        visionrt.Session(odd)


# ---- results against the CLI's JSON -------------------------------------------------------------

def image_frame(path):
    """The image as the CLI's image source delivers it (RGB24), through visionrt.Source."""
    with visionrt.Source("image:" + path, format="RGB24") as src:
        f = src.read()
        return np.array(f, copy=True)


def cli_run_json(model, image, extra=()):
    cmd = [VRT, "run", "-m", model, "-i", "image:" + image + "?format=RGB24", "--frames", "1", "--policy", "all",
           "--backend", "cpu", "--json", "-", "--quiet"] + list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{") and '"type":"summary"' not in l][0]


def test_classes_equal_cli():
    model = data("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx")
    image = data("images/jetson/dog_2.jpg")
    frame = image_frame(image)
    s = visionrt.Session(model, backend="cpu", width=frame.shape[1], height=frame.shape[0])
    got = s.run(frame).classes
    want = cli_run_json(model, image)["classes"]
    assert [c.index for c in got] == [c["index"] for c in want]
    assert [c.score for c in got] == pytest.approx([c["score"] for c in want], rel=1e-6, abs=1e-7)
    assert [c.label for c in got] == [c["label"] for c in want]


def test_detections_equal_cli():
    model = data("models/yolox_nano/yolox_nano.onnx")
    image = data("images/jetson/dog_2.jpg")
    frame = image_frame(image)
    s = visionrt.Session(model, backend="cpu", width=frame.shape[1], height=frame.shape[0])
    r = s.run(frame)
    want = cli_run_json(model, image)["detections"]
    assert r.kind == "detections" and len(r.detections) == len(want) > 0
    for d, w in zip(r.detections, want):
        assert d.class_id == w["class_id"] and d.score == pytest.approx(w["score"], rel=1e-5)
        assert d.label == w["label"]
        assert [d.x1, d.y1, d.x2, d.y2] == pytest.approx(w["box"], abs=1e-3)
    assert r.boxes.shape == (len(want), 4) and r.boxes.dtype == np.float32
    assert r.scores.tolist() == pytest.approx([w["score"] for w in want], rel=1e-5)
    assert r.class_ids.tolist() == [w["class_id"] for w in want]


def test_cascade_equal_cli():
    """YOLOX-Nano -> SqueezeNet on every box's crop (vrt/session.h cascades): Detection.secondary."""
    det = data("models/yolox_nano/yolox_nano.onnx")
    cls = data("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx")
    image = data("images/jetson/dog_2.jpg")
    frame = image_frame(image)
    s = visionrt.Session(det, backend="cpu", width=frame.shape[1], height=frame.shape[0], cascade=cls)
    r = s.run(frame)
    want = cli_run_json(det, image, ["--secondary", visionrt.find_profile(cls), "--secondary-model", cls])
    want = want["detections"]
    assert len(r.detections) == len(want) > 0
    for d, w in zip(r.detections, want):
        sec = w.get("secondary", [])
        assert [c.index for c in d.secondary] == [c["index"] for c in sec]
        assert [c.score for c in d.secondary] == pytest.approx([c["score"] for c in sec], rel=1e-5)
    assert r.detections[0].secondary and "secondary" in r.times


# ---- Source: zero copy -------------------------------------------------------------------------------

def test_source_zero_copy():
    with visionrt.Source("synthetic:?width=64&height=48&frames=4&fps=0", format="RGB24") as src:
        info = src.info
        assert (info["kind"], info["width"], info["height"], info["format"]) == ("synthetic", 64, 48, "RGB24")
        f = src.read()
        a = np.asarray(f)
        assert a.shape == (48, 64, 3) and a.dtype == np.uint8
        assert a.ctypes.data == f.address  # the array is the library's frame buffer
        assert not a.flags.owndata
        a2 = f.array
        assert a2.ctypes.data == f.address
        seq = f.sequence
        del f  # the arrays keep the frame alive
        assert int(a.sum()) >= 0 and a2.ctypes.data == a.ctypes.data
        arrays = list(src)  # iteration: the remaining 3 frames, then StopIteration at the end
        assert len(arrays) == 3 and all(x.shape == (48, 64, 3) for x in arrays)
        assert seq == 0


def test_source_frames_released():
    """Dropping each array gives its buffer back: far more frames than the source has buffers."""
    with visionrt.Source("synthetic:?width=64&height=32&fps=0&frames=300", format="RGB24") as src:
        n = sum(1 for _ in src)
    assert n == 300


# ---- errors ---------------------------------------------------------------------------------------

def test_errors(tiny, tmp_path):
    model, profile = tiny
    with pytest.raises(visionrt.Error) as e:
        visionrt.Session(str(tmp_path / "missing.onnx"), profile, backend="cpu", width=8, height=8)
    assert "missing.onnx" in str(e.value) and e.value.name == "ENOENT" and e.value.status < 0
    with pytest.raises(visionrt.Error) as e:
        visionrt.Session(model, str(tmp_path / "nope.conf"), backend="cpu", width=8, height=8)
    assert "nope.conf" in str(e.value)
    bad = tmp_path / "bad.conf"
    bad.write_text("task = classify\ncolour = red\n")
    with pytest.raises(visionrt.Error, match="colour"):
        visionrt.Session(model, str(bad), backend="cpu", width=8, height=8)
    with pytest.raises(visionrt.Error, match="nosuchscheme"):
        visionrt.Source("nosuchscheme://x")
    with pytest.raises(visionrt.Error, match="missing_dir"):
        visionrt.Source("image:" + str(tmp_path / "missing_dir" / "*.jpg"))
    s = visionrt.Session(model, profile, backend="cpu", width=8, height=8)
    with pytest.raises(ValueError, match="8x8 RGB24"):
        s.run(np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(visionrt.Error, match="NOPE"):
        visionrt.Session(model, profile, backend="cpu", width=8, height=8, format="NOPE")
    with pytest.raises(TypeError):
        s.run(12)


# ---- leaks ---------------------------------------------------------------------------------------

def test_no_leak_10000_frames(tiny):
    model, profile = tiny
    s = visionrt.Session(model, profile, backend="cpu", width=8, height=8, threads=1)
    frame = colour(10, 20, 30)
    for _ in range(500):
        s.run(frame).classes
    gc.collect()
    tracemalloc.start()
    snap0, rss0 = tracemalloc.take_snapshot(), rss_kb()
    for _ in range(10000):
        r = s.run(frame)
        r.classes, r.times, r.boxes
    gc.collect()
    grown = sum(d.size_diff for d in tracemalloc.take_snapshot().compare_to(snap0, "filename"))
    tracemalloc.stop()
    assert grown < 64 * 1024, "Python memory grew by %d bytes over 10,000 frames" % grown
    assert rss_kb() - rss0 < 4096, "RSS grew by %d KB over 10,000 frames" % (rss_kb() - rss0)


def test_no_leak_source_10000_frames():
    with visionrt.Source("synthetic:?width=64&height=32&fps=0&frames=10500", format="RGB24") as src:
        it = iter(src)
        for _ in range(500):
            next(it)
        gc.collect()
        tracemalloc.start()
        snap0, rss0 = tracemalloc.take_snapshot(), rss_kb()
        n = sum(1 for a in it if a.shape == (32, 64, 3))
        gc.collect()
        grown = sum(d.size_diff for d in tracemalloc.take_snapshot().compare_to(snap0, "filename"))
        tracemalloc.stop()
    assert n == 10000
    assert grown < 64 * 1024 and rss_kb() - rss0 < 4096


# ---- Pipeline -------------------------------------------------------------------------------------

def test_pipeline_iterate(tiny, tmp_path):
    model, profile = tiny
    out = tmp_path / "out.jsonl"
    with visionrt.Pipeline(["synthetic:?width=64&height=32&fps=200"], model, profile, backend="cpu", max_frames=20,
                           outputs=[str(out)]) as p:
        results = list(p)
        assert p.stats[0]["results"] == 20
    assert len(results) + 0 <= 20 and len(results) >= 15  # the queue may drop when the loop falls behind
    assert all(r.stream == 0 and r.kind == "classes" and len(r.classes) == 3 for r in results)
    assert [r.index for r in results] == sorted(r.index for r in results)
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert sum(1 for l in lines if "classes" in l) == 20 and lines[-1]["type"] == "summary"


def test_pipeline_callback(tiny):
    model, profile = tiny
    got = []
    p = visionrt.Pipeline("synthetic:?width=64&height=32&fps=200", model, profile, backend="cpu", max_frames=10,
                          on_result=got.append)
    p.start()
    while not p.wait(100):
        pass
    p.close()
    assert len(got) == 10 and got[-1].index == 9


def test_pipeline_ctrl_c_stops(tiny):
    model, profile = tiny
    script = textwrap.dedent("""
        import sys, visionrt
        p = visionrt.Pipeline(["synthetic:?width=64&height=32&fps=100"], sys.argv[1], sys.argv[2], backend="cpu")
        n = 0
        try:
            for r in p:
                n += 1
                if n == 1:
                    print("running", flush=True)
        except KeyboardInterrupt:
            print("stopped after", n, p.stats[0]["state"], flush=True)
            p.close()
            sys.exit(0)
        sys.exit(3)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, model, profile], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "running"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.startswith("stopped after"), out
    assert "stopped" in out.split()[-1]
