#!/usr/bin/env python3
"""End-to-end tests of `vrt run` (the real binary, CPU backend, SqueezeNet).

Usage: test_run.py --vrt PATH [--preload LIB] [--sanitize 0|1] [--chromium PATH] CASE
Reuses the helpers of test_cli.py (running vrt, the fake camera environment).
The JSON lines are checked against the schema documented in README.md
("vrt run --json"), written out here as a small validator.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli as T  # noqa: E402
from test_cli import Fail, Skip, check, vrt, data, SQZ  # noqa: E402

# ---- schema (README "vrt run --json") ----------------------------------------------------
NUM = (int, float)
FRAME_SCHEMA = {
    "type": str, "stream": int, "index": int, "sequence": int, "frame_number": (int, type(None)),
    "width": int, "height": int, "dropped_before": int, "deadline_miss": bool,
    "t_ns": {"exposure": int, "from_driver": bool, "dequeue": int, "launch": int, "done": int},
    "ms": {k: NUM for k in ["capture", "queue", "preprocess", "infer", "postprocess", "process", "age", "e2e"]},
}
HIST_SCHEMA = {k: NUM for k in ["count", "min", "p50", "p90", "p99", "p999", "max", "mean", "stddev"]}
STAGES = ["capture", "queue", "preprocess", "infer", "postprocess", "process", "deliver", "e2e", "age", "period"]
STREAM_SCHEMA = {
    "stream": int, "uri": str, "kind": str, "format": str, "width": int, "height": int, "source_fps": NUM,
    "capture_io": (str, type(None)), "zero_copy": int, "state": str, "error": (str, type(None)), "results": int, "captured": int, "dropped": int,
    "dropped_source": int, "dropped_handoff": int, "discarded": int, "deadline_misses": int, "errors": int,
    "unplugs": int, "reconnects": int, "duration_s": NUM, "fps": NUM,
    "latency_ms": {s: HIST_SCHEMA for s in STAGES},
}
SUMMARY_SCHEMA = {
    "type": str, "model": str, "profile": str, "task": str, "backend": str, "policy": str,
    "deadline_ms": (int, float, type(None)), "stopped_by": str, "weight_users": int,
    "batching": (dict, type(None)), "streams": list, "sinks": list,
}
SINK_SCHEMA = {"name": str, "written": int, "dropped": int, "lost": int, "detail": str,
               "latency_ms": {k: NUM for k in ["count", "p50", "p90", "p99", "max"]}}
BATCHING_SCHEMA = {"sources": int, "batched_ms": NUM, "unbatched_ms": NUM, "speedup": NUM, "lowers_latency": bool}


def validate(doc, schema, where):
    check(isinstance(doc, dict), "%s: not an object" % where)
    for k, t in schema.items():
        check(k in doc, "%s: key %r missing" % (where, k))
        if isinstance(t, dict):
            validate(doc[k], t, where + "." + k)
        else:
            v = doc[k]
            ok = isinstance(v, t) and not (isinstance(v, bool) and t in (int, NUM) and t is not bool)
            check(ok, "%s.%s: %r is not %s" % (where, k, v, t))


def run_lines(out):
    docs = T.json_lines(out)
    check(docs and docs[-1].get("type") == "summary", "last JSON line is not the summary")
    frames = docs[:-1]
    for i, d in enumerate(frames):
        validate(d, FRAME_SCHEMA, "frame line %d" % i)
        check(d["type"] == "frame", "line %d type %r" % (i, d["type"]))
        check("classes" in d or "detections" in d, "line %d has neither classes nor detections" % i)
    s = docs[-1]
    validate(s, SUMMARY_SCHEMA, "summary")
    for i, st in enumerate(s["streams"]):
        validate(st, STREAM_SCHEMA, "summary.streams[%d]" % i)
    for i, k in enumerate(s["sinks"]):
        validate(k, SINK_SCHEMA, "summary.sinks[%d]" % i)
    # The JSON lines sink itself: every result written or counted as its drop, and the lines are those written.
    js = [k for k in s["sinks"] if k["name"].startswith("jsonl:")]
    check(len(js) == 1, "summary.sinks lacks the jsonl sink: %r" % s["sinks"])
    results = sum(st["results"] for st in s["streams"])
    check(js[0]["written"] + js[0]["dropped"] == results and js[0]["written"] == len(frames),
          "jsonl sink wrote %d, dropped %d, results %d, lines %d" % (js[0]["written"], js[0]["dropped"], results, len(frames)))
    return frames, s


def model():
    return data(SQZ)


# ---- cases ---------------------------------------------------------------------------------

def case_run_help():
    rc, out, err = vrt("run", "--help", expect=0)
    for n in ["usage: vrt run", "--source", "--model", "--deadline-ms", "--json", "--report", "--policy",
              "--frames", "--duration"]:
        check(n in out, "vrt run --help lacks %r" % n)
    T.usage_error(["run", "--policy", "oldest"], "--policy 'oldest'", "see 'vrt run --help'")
    T.usage_error(["run", "--backend", "tpu"], "--backend 'tpu'")
    T.usage_error(["run", "--frames", "0"], "--frames")
    T.usage_error(["run", "in", "out.jsonl", "extra"], "unexpected argument 'extra'")
    T.usage_error(["run", "-o", ""], "--output needs a URI")
    T.usage_error(["run", "--print", "--json", "-"], "--print")
    T.runtime_error(["run", "-m", "/nonexistent/m.onnx", "-i", "synthetic:"], "/nonexistent/m.onnx")
    T.runtime_error(["run", "-m", model(), "-i", "synthetic:?bogus=1", "--frames", "1"], "bogus")


def case_run_synthetic_json():
    # 60 fps for 1 s: faster than SqueezeNet on the CPU, so newest-frame drops happen.
    rc, out, err = vrt("run", "-m", model(), "-i", "synthetic:?fps=60&frames=60&width=320&height=240",
                       "--json", "-", "--deadline-ms", "1000", expect=0, timeout=120)
    frames, s = run_lines(out)
    st = s["streams"][0]
    check(st["state"] == "eof", "state %r" % st["state"])
    check(st["results"] == len(frames) and len(frames) >= 3, "results %d, lines %d" % (st["results"], len(frames)))
    # Results name the frame they came from: the number drawn in the pixels.
    for d in frames:
        check(d["frame_number"] == d["sequence"], "frame number %r != sequence %r" % (d["frame_number"], d["sequence"]))
    seqs = [d["sequence"] for d in frames]
    check(seqs == sorted(set(seqs)), "sequences not strictly increasing")
    # Exact drops: every frame the source made is either a result or a drop.
    check(st["results"] + st["dropped"] == 60, "results %d + dropped %d != 60" % (st["results"], st["dropped"]))
    check(st["dropped"] == seqs[0] + sum(d["dropped_before"] for d in frames), "per-frame drops do not add up")
    for a, b in zip(frames, frames[1:]):
        check(b["dropped_before"] == b["sequence"] - a["sequence"] - 1, "dropped_before wrong at %d" % b["sequence"])
    # Newest mode: age at processing start <= one period + previous processing (+ slack).
    period = 1000.0 / 60
    for a, b in zip(frames, frames[1:]):
        check(b["ms"]["age"] <= period + a["ms"]["process"] + 25, "frame %d age %.1f ms too old" %
              (b["sequence"], b["ms"]["age"]))
    for d in frames:
        check(abs(d["ms"]["e2e"] - (d["t_ns"]["done"] - d["t_ns"]["exposure"]) / 1e6) < 0.01, "e2e != done-exposure")
    check(st["latency_ms"]["e2e"]["count"] == st["results"], "e2e histogram count")
    check(s["deadline_ms"] == 1000, "deadline_ms %r" % s["deadline_ms"])


def case_run_image_class():
    img = data("images/jetson/dog_2.jpg")
    rc, out, err = vrt("run", "-m", model(), "-i", "image:" + img + "?loop=1&fps=10", "--frames", "2", "--policy", "all",
                       "--print", expect=0, timeout=120)
    lines = [l for l in out.splitlines() if l.startswith("[0] frame")]
    check(len(lines) == 2, "expected 2 result lines, got %d" % len(lines))
    check("golden retriever" in lines[0].split("|")[0].split(",")[0], "top-1 is not golden retriever: %r" % lines[0])
    check("stream 0:" in out and "end-to-end" in out, "summary missing")


def case_run_two_sources():
    rc, out, err = vrt("run", "-m", model(), "-i", "synthetic:?fps=30&width=320&height=240",
                       "-i", "synthetic:?fps=5&width=160&height=120&format=RGB24", "--duration", "2",
                       "--json", "-", expect=0, timeout=120)
    frames, s = run_lines(out)
    check(len(s["streams"]) == 2, "two streams expected")
    a, b = s["streams"]
    check(a["width"] == 320 and b["width"] == 160 and b["format"] == "RGB24", "stream info mixed up")
    na = sum(1 for d in frames if d["stream"] == 0)
    nb = sum(1 for d in frames if d["stream"] == 1)
    check(na == a["results"] and nb == b["results"] and na > 0 and nb > 0, "per-stream results %d/%d" % (na, nb))
    check(nb <= 12, "5 fps stream gave %d results in 2 s" % nb)
    check(all(d["width"] == (320 if d["stream"] == 0 else 160) for d in frames), "frame sizes mixed up")
    check(s["stopped_by"] == "duration", "stopped_by %r" % s["stopped_by"])


def case_run_batch_sources():
    """Three same-size synthetic sources as one batch-3 model run per tick: every frame's
    top-5 equals the unbatched run's for the same stream and frame; the summary compares a
    batched tick with three unbatched runs; unbatched streams share one copy of the weights."""
    uri = "synthetic:?fps=200&width=160&height=120"
    runs = {}
    for batched in (0, 1):
        args = ["run", "-m", model(), "--threads", "1", "--policy", "all", "--frames", "5", "--json", "-"]
        for _ in range(3):
            args += ["-i", uri]
        if batched:
            args.append("--batch-sources")
        rc, out, err = vrt(*args, expect=0, timeout=120)
        frames, s = run_lines(out)
        check(len(frames) == 15, "%d frames, want 15" % len(frames))
        runs[batched] = ({(d["stream"], d["sequence"]): d["classes"] for d in frames}, s)
    (ua, us), (ba, bs) = runs[0], runs[1]
    check(us["batching"] is None and us["weight_users"] == 3, "unbatched: %r users" % us["weight_users"])
    b = bs["batching"]
    check(b is not None, "batched summary has no batching object")
    validate(b, BATCHING_SCHEMA, "summary.batching")
    check(b["sources"] == 3 and b["batched_ms"] > 0 and b["unbatched_ms"] > 0, "batching %r" % b)
    check(b["lowers_latency"] == (b["batched_ms"] < b["unbatched_ms"]), "lowers_latency inconsistent")
    check(set(ua) == set(ba), "different frames processed")
    for k, ca in ua.items():
        cb = ba[k]
        check([c["index"] for c in ca] == [c["index"] for c in cb], "frame %r: classes differ" % (k,))
        check(all(abs(x["score"] - y["score"]) <= 1e-5 for x, y in zip(ca, cb)), "frame %r: scores differ" % (k,))


def signal_case(sig):
    cmd = [T.ARGS.vrt, "run", "-m", model(), "-i", "synthetic:?fps=30&width=320&height=240", "--json", "-"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=T.env_for())
    time.sleep(3)
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    out = out.decode()
    err = err.decode()
    print(err[-2000:])
    check(p.returncode == 0, "exit %d after signal" % p.returncode)
    check("Sanitizer" not in err, "sanitizer report")
    frames, s = run_lines(out)
    check(s["stopped_by"] == "signal", "stopped_by %r" % s["stopped_by"])
    check(s["streams"][0]["results"] == len(frames) and frames, "no results before the signal")
    check("stopped: signal" in err, "human summary (stderr with --json -) lacks 'stopped: signal'")


def case_run_sigint():
    signal_case(signal.SIGINT)


def case_run_sigterm():
    signal_case(signal.SIGTERM)


def case_run_fake_camera():
    rc, out, err = vrt("run", "-m", model(), "-i", "/dev/video0", "--frames", "5", "--json", "-",
                       fake="/dev/video0:YUYV:320x240:30", expect=0, timeout=120)
    frames, s = run_lines(out)
    check(len(frames) == 5, "5 results expected")
    check(all(d["t_ns"]["from_driver"] for d in frames), "fake camera frames lack driver timestamps")
    check(s["streams"][0]["kind"] == "v4l2", "kind %r" % s["streams"][0]["kind"])


def case_run_fake_unplug():
    # The camera goes away after 20 frames; the synthetic stream carries on to the end.
    rc, out, err = vrt("run", "-m", model(), "-i", "/dev/video0", "-i", "synthetic:?fps=10&width=160&height=120",
                       "--duration", "2.5", "--json", "-", fake="/dev/video0:YUYV:320x240:30:unplug_after=20",
                       expect=1, timeout=120)
    frames, s = run_lines(out)
    cam, syn = s["streams"]
    check(cam["state"] == "unplugged" and cam["unplugs"] == 1, "camera state %r unplugs %r" % (cam["state"], cam["unplugs"]))
    check("unplugged" in err and "/dev/video0" in err, "unplug not reported on stderr")
    check(syn["state"] == "stopped" and syn["results"] >= 3, "synthetic stream did not run on: %r" % syn)
    check(cam["results"] + cam["dropped"] <= 20, "more than 20 camera frames")
    # With --reconnect the stream keeps trying until the end of the run.
    # The camera lives 2 s (60 frames at 30 fps) so that even a sanitizer build on a loaded machine
    # has loaded the model and processed frames before the unplug (no result at all exits 1).
    rc, out, err = vrt("run", "-m", model(), "-i", "/dev/video0", "--reconnect", "--duration", "4", "--json", "-",
                       fake="/dev/video0:YUYV:320x240:30:unplug_after=60", expect=0, timeout=120)
    frames, s = run_lines(out)
    cam = s["streams"][0]
    check(cam["unplugs"] == 1 and cam["state"] == "stopped", "reconnect run: %r" % cam)


def find_chromium():
    for n in ["chromium", "chromium-browser", "google-chrome"]:
        p = shutil.which(n)
        if p:
            return p
    return None


def case_run_report():
    tmp = tempfile.mkdtemp(prefix="vrt_run_report_")
    try:
        html = os.path.join(tmp, "run.html")
        vrt("run", "-m", model(), "-i", "synthetic:?fps=30&width=320&height=240", "-i",
            "synthetic:?fps=10&width=160&height=120", "--duration", "2", "--deadline-ms", "40",
            "--report", html, expect=0, timeout=120)
        text = open(html, encoding="utf-8").read()
        check("http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in text,
              "report is not self-contained")
        for sid in ["config", "hardware", "summary", "distribution", "timeline", "drops"]:
            check('id="%s"' % sid in text, "section %s missing" % sid)
        chrome = find_chromium()
        if not chrome:
            raise Skip("chromium not installed (apt-get install chromium); the HTML was checked as text only")
        cmd = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + html]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
        dom = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0 and "<svg" in dom, "chromium did not render the report (exit %d)" % p.returncode)
        for sid in ["config", "hardware", "summary", "distribution", "timeline", "drops", "dist-0-e2e",
                    "dist-1-infer", "timeline-0", "timeline-1", "drops-1"]:
            check(re.search(r'id="%s"' % re.escape(sid), dom), "rendered DOM lacks #%s" % sid)
        for h in ["Configuration", "Hardware", "Streams", "Latency distribution per stage", "Latency over time",
                  "Drops and deadline misses"]:
            check(re.search(r"<h2>%s</h2>" % re.escape(h), dom), "heading %r missing" % h)
        check(dom.count("<polyline") >= 6, "timeline lines missing")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_run_cascade():
    """YOLOX-Nano -> SqueezeNet on the crops: the dog's crop is a dog breed (ImageNet 151..268),
    only the requested detector class is classified, and the options are checked."""
    img = data("images/jetson/dog_2.jpg")
    yolox = data("models/yolox_nano/yolox_nano.onnx")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    sq_profile = os.path.join(src, "models", "squeezenet.conf")
    rc, out, err = vrt("run", "-m", yolox, "-i", "image:" + img + "?loop=1&fps=10", "--frames", "1", "--policy",
                       "all", "--backend", "cpu", "--secondary", sq_profile, "--secondary-model", model(),
                       "--secondary-classes", "16", "--secondary-topk", "2", "--json", "-", expect=0, timeout=120)
    frames, s = run_lines(out)
    check(len(frames) == 1, "expected 1 frame, got %d" % len(frames))
    dets = frames[0]["detections"]
    dogs = [d for d in dets if d["class_id"] == 16]
    check(dogs, "no dog detected: %r" % dets)
    for d in dets:
        sec = d.get("secondary")
        if d["class_id"] != 16:
            check(sec is None, "class %d was classified: %r" % (d["class_id"], sec))
            continue
        check(sec and len(sec) == 2, "dog secondary %r" % sec)
        check(151 <= sec[0]["index"] <= 268 and sec[0]["score"] >= sec[1]["score"], "not a dog breed: %r" % sec)
        check(isinstance(sec[0]["label"], str) and sec[0]["label"], "secondary label %r" % sec[0]["label"])
    T.usage_error(["run", "--secondary-classes", "dog"], "--secondary-classes 'dog'")
    T.usage_error(["run", "--secondary-model", model()], "need --secondary PROFILE")
    T.usage_error(["run", "--secondary-batch", "65"], "--secondary-batch")
    T.runtime_error(["run", "-m", yolox, "-i", "image:" + img, "--backend", "cpu", "--secondary",
                     os.path.join(src, "models", "yolox.conf"), "--secondary-model", model()],
                    "must be a classifier")


YOLO_SMALL_PROFILE = """name = yolov8n-small
task = detect-yolov8
width = 96
height = 96
resize = letterbox
placement = center
pad = 114
scale = 1/255
score_threshold = 0.0004
iou_threshold = 0.5
max_detections = 12
"""


def case_run_parallel():
    """The small YOLOv8n + Depth Anything V2 of tests/models on one frame (--parallel): each frame's
    JSON line has the boxes with their depth, the second model's result under "parallel" with its
    depth stats and its own stage times; the summary and the HTML report have the parallel stages."""
    src = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    tmp = tempfile.mkdtemp(prefix="vrt-parallel-")
    try:
        yolo = os.path.join(tmp, "yolo.conf")
        with open(yolo, "w") as f:
            f.write(YOLO_SMALL_PROFILE)
        depth = os.path.join(tmp, "depth.conf")
        with open(os.path.join(src, "models", "depth-anything.conf")) as f:
            text = re.sub(r"(?m)^(width|height) = 518$", r"\1 = 98", f.read())
        with open(depth, "w") as f:
            f.write(text)
        report = os.path.join(tmp, "run.html")
        ymodel = os.path.join(src, "tests", "models", "yolov8n", "model.onnx")
        rc, out, err = vrt("run", "-m", ymodel, "--profile", yolo, "-i", "synthetic:?fps=30&width=320&height=240", "--frames",
                           "2", "--policy", "all", "--backend", "cpu", "--parallel", depth, "--parallel-model",
                           os.path.join(src, "tests", "models", "depth_anything_v2", "model.onnx"), "--json", "-",
                           "--report", report, expect=0, timeout=150)
        frames, s = run_lines(out)
        check(len(frames) == 2, "expected 2 frames, got %d" % len(frames))
        measured = 0
        for fr in frames:
            par = fr.get("parallel")
            check(isinstance(par, dict) and par.get("task") == "depth", "parallel %r" % par)
            dep = par.get("depth")
            check(isinstance(dep, dict) and dep["width"] == 320 and dep["height"] == 240 and
                  dep["min"] <= dep["mean"] <= dep["max"], "depth stats %r" % dep)
            for k in ["parallel_preprocess", "parallel_infer", "parallel_postprocess"]:
                check(isinstance(fr["ms"].get(k), NUM) and fr["ms"][k] >= 0, "ms.%s missing: %r" % (k, fr["ms"]))
            check(fr["ms"]["parallel_infer"] > 0, "parallel_infer is 0")
            check(fr["detections"], "no boxes: %r" % fr)
            for d in fr["detections"]:
                check("depth" in d, "box without depth: %r" % d)
                if d["depth"] is None:
                    continue
                check(0 <= d["depth"]["norm"] <= 1 and dep["min"] <= d["depth"]["raw"] <= dep["max"],
                      "box depth %r outside the map's range %r" % (d["depth"], dep))
                measured += 1
        check(measured >= 2, "no box got a depth")
        lat = s["streams"][0]["latency_ms"]
        for k in ["parallel_preprocess", "parallel_infer", "parallel_postprocess"]:
            check(k in lat and lat[k]["count"] == 2, "summary stage %s: %r" % (k, lat.get(k)))
        with open(report) as f:
            html = f.read()
        check("<td>parallel_infer</td>" in html, "the report lacks the parallel stages")
        # the results section: the last frame's boxes with their depth, then the depth model's stats
        i = html.find('<section id="results">')
        check(i >= 0, "the report has no results section")
        sec = html[i:html.find("</section>", i)]
        check('data-kind="detections"' in sec and 'data-kind="dense"' in sec, "results section: %r" % sec[:400])
        last = frames[-1]
        check(sec.count("<tr><td class=n>") == len(last["detections"]), "results rows != the last frame's boxes")
        d0 = last["detections"][0]
        if d0["depth"] is not None:
            check("%.3f (raw" % d0["depth"]["norm"] in sec, "box 0's depth %r not in the report" % d0["depth"])
        check("depth 320x240" in sec, "depth stats missing from the report")
        T.usage_error(["run", "--parallel-model", "depth.onnx"], "--parallel-model needs --parallel")
        T.runtime_error(["run", "-m", ymodel, "--profile", yolo, "-i", "synthetic:", "--frames", "1", "--backend", "cpu",
                         "--parallel", os.path.join(src, "models", "depth-anything.conf"), "--parallel-model",
                         os.path.join(src, "tests", "models", "depth_anything_v2", "model.onnx")],
                        "second model")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(T.run_cases(globals()))
