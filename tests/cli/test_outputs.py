#!/usr/bin/env python3
"""End-to-end tests of `vrt run -o URI` (the real binary, CPU backend): the display window under
Xvfb, the web viewer, the MQTT sink against a real Mosquitto broker, and bad outputs.

Usage: test_outputs.py --vrt PATH [--sanitize 0|1] CASE
Each case skips (exit 77) when what it needs is missing: Xvfb and FFmpeg for the window,
mosquitto and mosquitto_sub for MQTT, the sink itself when this build lacks its library.
Set VRT_SCREENSHOTS=DIR to keep the screenshots (README gallery: docs/).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli as T  # noqa: E402
import test_run as R  # noqa: E402
from test_cli import Fail, Skip, check, data, SQZ  # noqa: E402

YOLOX = "models/yolox_nano/yolox_nano.onnx"
DOG = "images/jetson/dog_0.jpg"
# The overlay's class colours (vrt/overlay.h: Ultralytics' palette) for COCO person (0) and dog (16).
CLASS_RGB = {0: (255, 56, 56), 16: (82, 0, 133)}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def env(extra=None):
    e = T.env_for()
    if T.ARGS.sanitize:
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan-third-party.supp")
        e["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % supp
    if T.ARGS.sanitize and ((extra or {}).get("DISPLAY") or (extra or {}).get("SDL_VIDEODRIVER")):
        # A window loads the GL driver (Mesa), which is dlopen'ed, unloaded again and built
        # without frame pointers: its one-time allocations leave one-frame '<unknown module>'
        # stacks that no suppression can name (the slow unwinder makes the run ~30x slower).
        # Leak checking is off for window runs only; ASan's memory errors still fail them.
        e["ASAN_OPTIONS"] = e.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    # A valid runtime dir keeps SDL's Wayland probe quiet where there is no Wayland.
    e.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    if extra:
        e.update(extra)
    return e


def start(args, extra_env=None):
    cmd = [T.ARGS.vrt] + args
    print("$ " + " ".join(cmd))
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(extra_env))


def finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Fail("vrt did not end within %d s" % timeout)
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    print("  exit %d" % p.returncode)
    for line in out.splitlines()[-20:]:
        print("  out| " + line)
    for line in err.splitlines()[-20:]:
        print("  err| " + line)
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report in stderr")
    return p.returncode, out, err


def built(uri):
    """False when this build lacks the sink for uri (its library was not found). No window opens."""
    p = subprocess.run([T.ARGS.vrt, "run", "-m", data(SQZ), "-i", "synthetic:", "-n", "1", "-o", uri, "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env({"DISPLAY": ":4242"}), timeout=60)
    return b"this build has no" not in p.stderr


def need_sink(uri):
    if not built(uri):
        raise Skip("this build has no sink for %s (its library was not found at build time)" % uri)


def summary_sink(summary, prefix):
    ks = [k for k in summary["sinks"] if k["name"].startswith(prefix)]
    check(len(ks) == 1, "summary.sinks lacks %s: %r" % (prefix, summary["sinks"]))
    return ks[0]


def read_jsonl(path):
    with open(path) as f:
        return R.run_lines(f.read())


# ---- display under Xvfb ----------------------------------------------------------------------

class Xvfb:
    def __init__(self, screen="800x600x24"):
        if not shutil.which("Xvfb") or not shutil.which("ffmpeg"):
            raise Skip("Xvfb or ffmpeg not installed (apt-get install xvfb ffmpeg)")
        r, w = os.pipe()
        self.p = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", screen, "-nolisten", "tcp"],
                                  pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            num = f.readline().strip()
        check(num.isdigit(), "Xvfb did not report its display")
        self.display = ":" + num

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def wait_window(display, timeout=150, name="display://0"):
    """The window once it has shown frames for a while (the title then carries the fps; it is made
    at the first frame). The machine may be loaded: a generous timeout."""
    import x11
    t0 = time.time()
    while time.time() - t0 < timeout:
        w = x11.find_window(display, "vrt %s - " % name, " fps")
        if w:
            return w
        time.sleep(0.3)
    raise Fail("no window titled 'vrt %s - ... fps' within %d s" % (name, timeout))


def best_edge(px, width, box, rgb, tol=40):
    """The fraction of pixels in the colour rgb along the box's best edge (another box's tint
    may cover one edge of it), and that edge's length in samples."""
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    best = (0.0, 0)
    for pts in ([(x, y1) for x in range(x1 + 3, x2 - 3, 3)], [(x, y2 - 1) for x in range(x1 + 3, x2 - 3, 3)],
                [(x1, y) for y in range(y1 + 3, y2 - 3, 3)], [(x2 - 1, y) for y in range(y1 + 3, y2 - 3, 3)]):
        pts = [(x, y) for x, y in pts if 0 <= x < width and 0 <= y < len(px)]
        hits = 0
        for x, y in pts:
            c = [max(px[y][3 * (x + dx) + i] for dx in (-1, 0, 1) if 0 <= x + dx < width) for i in range(3)]
            c2 = [min(px[y][3 * (x + dx) + i] for dx in (-1, 0, 1) if 0 <= x + dx < width) for i in range(3)]
            hits += any(all(abs(cc[i] - rgb[i]) <= tol for i in range(3)) for cc in (px[y][3 * x:3 * x + 3], c, c2))
        if pts and hits / len(pts) > best[0]:
            best = (hits / len(pts), len(pts))
    return best


def case_outputs_display():
    import x11
    need_sink("display://0")
    xv = Xvfb()
    tmp = tempfile.mkdtemp(prefix="vrt_display_")
    try:
        jl = os.path.join(tmp, "r.jsonl")
        uri = "image:%s?loop=1&fps=5" % data(DOG)
        p = start(["run", "-i", uri, "-m", data(YOLOX), "-o", "display://0", "--json", jl],
                  {"DISPLAY": xv.display})
        wid = wait_window(xv.display)
        time.sleep(1.0)
        shot = os.path.join(tmp, "window.png")
        check(x11.grab_png(xv.display, wid, shot), "ffmpeg x11grab could not grab the window")
        w, h, ch, px = T.png_read(shot)
        check((w, h) == (500, 375), "window %dx%d, expected the frame's 500x375" % (w, h))
        # Closing the window (as a window manager does) ends the run with its summary.
        x11.close_window(xv.display, wid)
        rc, out, err = finish(p)
        check(rc == 0, "exit status %d after closing the window" % rc)
        check("stopped: window closed" in out, "the summary does not say the window closed the run")
        check(re.search(r"sink display://0: \d+ results written", out), "no display line in the summary")
        frames, s = read_jsonl(jl)
        check(s["stopped_by"] == "window closed", "summary stopped_by %r" % s["stopped_by"])
        d = summary_sink(s, "display://0")
        check(d["written"] >= 1 and d["latency_ms"]["count"] == d["written"], "display sink counters %r" % d)
        # The boxes of the result are drawn in the window, in their class colours.
        dets = [x for x in frames[-1]["detections"] if x["class_id"] in CLASS_RGB]
        check(dets, "no person or dog detected in %s" % DOG)
        for x in dets:
            frac, n = best_edge(px, w, x["box"], CLASS_RGB[x["class_id"]])
            check(n > 20 and frac >= 0.8,
                  "box %r of class %d: its best edge has %.0f%% of %d pixels in its colour" %
                  (x["box"], x["class_id"], 100 * frac, n))
        # And the frame itself, not an empty window.
        colours = set(px[h // 2][i:i + 3] for i in range(0, 3 * w, 3))
        check(len(colours) > 100, "the middle row of the window has %d colours" % len(colours))
        keep = os.environ.get("VRT_SCREENSHOTS")
        if keep:
            shutil.copy(shot, os.path.join(keep, "display-window.png"))
        # Esc stops a run too (a YUYV source: the texture takes the camera format as it is).
        p = start(["run", "-i", "synthetic:?width=320&height=240&fps=10", "-m", data(SQZ), "-o", "display://0"],
                  {"DISPLAY": xv.display})
        x11.press_key(xv.display, wait_window(xv.display), "Escape")
        rc, out, err = finish(p)
        check(rc == 0 and "stopped: key Esc" in out, "Esc did not stop the run (exit %d)" % rc)
        check("window 320x240 (1 tile), x11 video" in out, "the display line lacks the window's size and driver")
        bad_output(["-o", "display://0", "-o", "display://0?stream=1"], "display://0?stream=1", "only one display://",
                   extra_env={"DISPLAY": xv.display})
    finally:
        xv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def case_outputs_display_offscreen():
    """No display server, SDL_VIDEODRIVER=offscreen: the window is made and every frame presented into
    memory (how bench/gpu/outputs_live.sh times the display on the GPU machine); SDL's 'dummy' driver,
    which has no renderer worth the name, is refused at start as 'no display'."""
    need_sink("display://0")
    tmp = tempfile.mkdtemp(prefix="vrt_offscreen_")
    try:
        jl = os.path.join(tmp, "r.jsonl")
        off = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "SDL_VIDEODRIVER": "offscreen"}
        p = start(["run", "-i", "synthetic:?width=320&height=240&fps=20", "-m", data(SQZ), "-n", "12",
                   "-o", "display://0", "--json", jl], off)
        rc, out, err = finish(p, timeout=120)
        check(rc == 0, "exit status %d" % rc)
        frames, s = read_jsonl(jl)
        d = summary_sink(s, "display://0")
        check(d["written"] >= 1 and d["lost"] == 0 and d["latency_ms"]["count"] == d["written"],
              "display sink counters %r: frames not presented" % d)
        check("window 320x240 (1 tile), offscreen video" in d["detail"], "display detail %r" % d["detail"])
        bad_output(["-o", "display://0"], "display://0", "no display", "dummy",
                   extra_env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "SDL_VIDEODRIVER": "dummy"})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_outputs_display_streams():
    """Two streams, one window: a grid of two tiles side by side (the tiler), each showing its
    stream's frames with their boxes drawn."""
    import x11
    need_sink("display://0")
    xv = Xvfb("1280x720x24")
    tmp = tempfile.mkdtemp(prefix="vrt_display2_")
    try:
        jl = os.path.join(tmp, "r.jsonl")
        uri = "image:%s?loop=1&fps=5" % data(DOG)
        p = start(["run", "-i", uri, "-i", uri, "-m", data(YOLOX), "-o", "display://0", "--json", jl],
                  {"DISPLAY": xv.display})
        wid = wait_window(xv.display)
        time.sleep(1.5)
        shot = os.path.join(tmp, "window.png")
        check(x11.grab_png(xv.display, wid, shot), "ffmpeg x11grab could not grab the window")
        w, h, ch, px = T.png_read(shot)
        check((w, h) == (1000, 375), "window %dx%d, expected two 500x375 tiles side by side" % (w, h))
        x11.close_window(xv.display, wid)
        rc, out, err = finish(p)
        check(rc == 0 and "stopped: window closed" in out, "exit %d; closing the window did not stop the run" % rc)
        check("window 1000x375 (2 tiles)" in out, "the display line lacks the grid")
        frames, s = read_jsonl(jl)
        check(len(s["streams"]) == 2 and all(x["results"] > 0 for x in s["streams"]), "both streams ran")
        for stream in (0, 1):
            last = [f for f in frames if f["stream"] == stream][-1]
            dets = [x for x in last["detections"] if x["class_id"] in CLASS_RGB]
            check(dets, "no person or dog detected in stream %d" % stream)
            for x in dets:
                box = [x["box"][0] + 500 * stream, x["box"][1], x["box"][2] + 500 * stream, x["box"][3]]
                frac, n = best_edge(px, w, box, CLASS_RGB[x["class_id"]])
                check(n > 20 and frac >= 0.8, "stream %d box %r: best edge %.0f%% of %d pixels in its colour" %
                      (stream, x["box"], 100 * frac, n))
        # Stream 1 alone: one tile.
        p = start(["run", "-i", uri, "-i", "synthetic:?width=320&height=240&fps=10", "-m", data(SQZ),
                   "-o", "display://0?stream=1"], {"DISPLAY": xv.display})
        x11.press_key(xv.display, wait_window(xv.display, name="display://0?stream=1"), "q")
        rc, out, err = finish(p)
        check(rc == 0 and "window 320x240 (1 tile)" in out, "?stream=1 shows stream 1 alone (exit %d)" % rc)
    finally:
        xv.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- web viewer -------------------------------------------------------------------------------

def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def read_mjpeg(url, parts, timeout=30):
    """The first `parts` JPEGs of a multipart/x-mixed-replace stream."""
    r = urllib.request.urlopen(url, timeout=timeout)
    ctype = r.headers.get("Content-Type", "")
    m = re.match(r"multipart/x-mixed-replace;\s*boundary=(\S+)", ctype)
    check(m, "stream Content-Type %r" % ctype)
    boundary = m.group(1).encode()
    jpegs = []
    while len(jpegs) < parts:
        line = r.readline()
        check(line, "stream ended after %d parts" % len(jpegs))
        if line.strip() != b"--" + boundary:
            continue
        headers = {}
        while True:
            h = r.readline().strip()
            if not h:
                break
            k, _, v = h.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        check(headers.get("content-type") == "image/jpeg", "part headers %r" % headers)
        body = r.read(int(headers["content-length"]))
        check(body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9", "part %d is not a whole JPEG" % len(jpegs))
        jpegs.append(body)
    r.close()
    return jpegs


def jpeg_size(b):
    i = 2
    while i < len(b):
        marker, n = b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(b[i + 7:i + 9], "big"), int.from_bytes(b[i + 5:i + 7], "big")
        i += 2 + n
    return None


METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})? (-?[0-9.e+-]+|NaN)$')


def check_metrics(text):
    typed, seen_families = set(), []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            check(name not in typed, "TYPE %s given twice" % name)
            typed.add(name)
            continue
        if line.startswith("#") or not line:
            continue
        m = METRIC.match(line)
        check(m, "not a Prometheus sample line: %r" % line)
        fam = re.sub(r"_(sum|count)$", "", m.group(1))
        check(fam in typed, "%s has no TYPE line before it" % fam)
        if not seen_families or seen_families[-1] != fam:
            check(fam not in seen_families, "family %s is not one group" % fam)
            seen_families.append(fam)
    for need in ["vrt_frames_total", "vrt_dropped_total", "vrt_deadline_misses_total", "vrt_latency_seconds",
                 "vrt_sink_dropped_total", "vrt_sink_latency_seconds"]:
        check(need in seen_families, "/metrics lacks %s" % need)
    check(re.search(r'vrt_latency_seconds\{stream="0",stage="e2e",quantile="0.99"\} ', text), "no e2e p99")


def web_run(tmp, name, stall):
    """A 30-frame run with the web viewer; with stall, a client that asks for the stream and never
    reads is connected throughout. Returns the summary."""
    port = free_port()
    jl = os.path.join(tmp, name + ".jsonl")
    p = start(["run", "-m", data(SQZ), "-i", "synthetic:?width=320&height=240&fps=15", "-n", "30", "--threads", "1",
               "-o", "http://127.0.0.1:%d" % port, "--json", jl])
    base = "http://127.0.0.1:%d" % port
    t0 = time.time()
    while True:
        try:
            http_get(base + "/stats", timeout=2)
            break
        except OSError:
            check(time.time() - t0 < 60 and p.poll() is None, "the web viewer did not come up")
            time.sleep(0.2)
    stalled = None
    if stall:
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        # While it is stuck, another client still gets fresh frames.
        jpegs = read_mjpeg(base + "/stream.mjpg", 3)
        check(jpeg_size(jpegs[-1]) == (320, 240), "JPEG size %r" % (jpeg_size(jpegs[-1]),))
    else:
        status, ctype, page = http_get(base + "/")
        check(status == 200 and ctype.startswith("text/html"), "page: %d %s" % (status, ctype))
        check(b'src="/stream.mjpg"' in page and b"/stats" in page, "the page lacks the stream or the stats")
        status, ctype, body = http_get(base + "/stats")
        stats = json.loads(body)
        check(ctype == "application/json" and stats["streams"][0]["width"] == 320, "/stats: %r" % stats)
        check("e2e" in stats["streams"][0]["latency_ms"] and stats["sinks"], "/stats lacks latency or sinks")
        status, ctype, body = http_get(base + "/metrics")
        check(ctype.startswith("text/plain"), "/metrics Content-Type %r" % ctype)
        check_metrics(body.decode())
        jpegs = read_mjpeg(base + "/stream.mjpg", 3)
        check(len(set(jpegs)) >= 2, "the stream repeats one frame")
    rc, out, err = finish(p, timeout=120)
    if stalled:
        stalled.close()
    check(rc == 0, "exit status %d" % rc)
    frames, s = read_jsonl(jl)
    check(s["streams"][0]["results"] == 30, "results %d" % s["streams"][0]["results"])
    return s


def case_outputs_web():
    need_sink("http://127.0.0.1:0")
    tmp = tempfile.mkdtemp(prefix="vrt_web_")
    try:
        plain = web_run(tmp, "plain", False)
        stalled = web_run(tmp, "stalled", True)
        web = summary_sink(stalled, "http://")
        check(re.search(r"\d+ clients in all", web["detail"]), "web detail %r" % web["detail"])
        a = plain["streams"][0]["latency_ms"]["process"]["p50"]
        b = stalled["streams"][0]["latency_ms"]["process"]["p50"]
        print("process p50: %.2f ms without a stalled client, %.2f ms with one" % (a, b))
        # Generous: this machine is shared; a sink that blocked the frame path would stop it outright.
        check(b < 2.0 * a + 10, "a stalled client slowed the frame path: p50 %.2f -> %.2f ms" % (a, b))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- MQTT against a real broker ----------------------------------------------------------------

class Broker:
    def __init__(self, port):
        self.port, self.p = port, None

    def start(self):
        self.p = subprocess.Popen(["mosquitto", "-p", str(self.port)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        t0 = time.time()
        while time.time() - t0 < 10:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise Fail("mosquitto did not start on port %d" % self.port)

    def stop(self):
        if self.p:
            self.p.terminate()
            self.p.wait(timeout=10)
            self.p = None


class Subscriber:
    def __init__(self, port, topic, path):
        self.f = open(path, "w")
        self.path = path
        self.p = subprocess.Popen(["mosquitto_sub", "-p", str(port), "-t", topic], stdout=self.f,
                                  stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def wait_count(self, n, timeout=90):
        """Waits until n messages arrived (mosquitto_sub writes each one as it comes)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            with open(self.path) as f:
                if sum(1 for l in f if l.strip()) >= n:
                    return
            time.sleep(0.2)
        raise Fail("fewer than %d messages within %d s" % (n, timeout))

    def messages(self):
        self.p.terminate()
        self.p.wait(timeout=10)
        self.f.close()
        with open(self.path) as f:
            return [json.loads(l) for l in f if l.strip()]


def need_mosquitto():
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_sub"):
        raise Skip("mosquitto or mosquitto_sub not installed (apt-get install mosquitto mosquitto-clients)")


def case_outputs_mqtt():
    need_mosquitto()
    need_sink("mqtt://127.0.0.1:%d/x" % free_port())
    tmp = tempfile.mkdtemp(prefix="vrt_mqtt_")
    port = free_port()
    broker = Broker(port)
    try:
        broker.start()
        sub = Subscriber(port, "vrt/test", os.path.join(tmp, "sub.txt"))
        jl = os.path.join(tmp, "r.jsonl")
        for qos in (0, 1):
            p = start(["run", "-m", data(SQZ), "-i", "synthetic:?width=160&height=120&fps=0&mode=all&frames=10",
                       "--policy", "all", "--threads", "1", "--json", jl,
                       "-o", "mqtt://127.0.0.1:%d/vrt/test?qos=%d" % (port, qos)])
            check(finish(p, timeout=120)[0] == 0, "the MQTT run failed")
        # The broker acknowledged every message, but its delivery to the subscriber is its own
        # affair: wait for all 22 before stopping mosquitto_sub (CI once stopped it one summary early).
        sub.wait_count(22, timeout=30)
        msgs = sub.messages()
        frames, s = read_jsonl(jl)  # the second run's lines
        got = [m for m in msgs if m.get("type") == "frame"]
        sums = [m for m in msgs if m.get("type") == "summary"]
        check(len(got) == 20 and len(sums) == 2, "%d frame and %d summary messages, expected 20 and 2" % (len(got), len(sums)))
        for i, m in enumerate(got):
            R.validate(m, R.FRAME_SCHEMA, "message %d" % i)
        check(got[10:] == frames, "the second run's messages differ from its JSON lines")
        k = summary_sink(s, "mqtt://")
        check(k["written"] == 10 and k["lost"] == 0, "mqtt sink counters %r" % k)

        # The broker goes away mid-run and comes back: the run goes on, what could not be sent is
        # counted, delivery resumes.
        sub1 = Subscriber(port, "vrt/live", os.path.join(tmp, "sub1.txt"))
        p = start(["run", "-m", data(SQZ), "-i", "synthetic:?width=160&height=120&fps=4",
                   "--threads", "1", "--json", jl, "-o", "mqtt://127.0.0.1:%d/vrt/live" % port])
        sub1.wait_count(3)
        before = sub1.messages()
        broker.stop()
        time.sleep(3)
        broker.start()
        sub2 = Subscriber(port, "vrt/live", os.path.join(tmp, "sub2.txt"))
        sub2.wait_count(3)  # the back-off is 1 s doubling: back within a few seconds
        p.send_signal(signal.SIGINT)
        rc, out, err = finish(p, timeout=120)
        after = sub2.messages()
        check(rc == 0, "exit status %d" % rc)
        frames, s = read_jsonl(jl)
        k = summary_sink(s, "mqtt://")
        nb = len([m for m in before if m.get("type") == "frame"])
        na = len([m for m in after if m.get("type") == "frame"])
        print("delivered %d before the broker stopped, %d after it came back; sink %r" % (nb, na, k))
        check(nb >= 2, "only %d messages before the broker stopped" % nb)
        check(na >= 2, "delivery did not resume after the broker came back (%d messages)" % na)
        check(k["lost"] >= 2, "messages while the broker was away were not counted: %r" % k)
        check(k["written"] == s["streams"][0]["results"], "the sink missed results: %r" % k)
        check(re.search(r"sink mqtt://127.0.0.1:%d/vrt/live: \d+ results written, 0 dropped because it fell "
                        r"behind, \d+ lost" % port, out), "the summary does not report the lost messages")
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- bad outputs -------------------------------------------------------------------------------

def bad_output(args, *needles, extra_env=None):
    cmd = [T.ARGS.vrt, "run", "-m", data(SQZ), "-i", "synthetic:", "-n", "5"] + args
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(extra_env), timeout=60)
    out, err = p.stdout.decode(), p.stderr.decode()
    print("$ " + " ".join(cmd) + "\n  exit %d\n  err| %s" % (p.returncode, err.strip().replace("\n", "\n  err| ")))
    check(p.returncode == 1, "exit status %d, expected 1" % p.returncode)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1, "expected one message, got %d lines" % len(lines))
    for n in needles:
        check(n in lines[0], "message lacks %r" % n)
    check("results:" not in out, "the run started")


def case_outputs_web_streams():
    """Two streams of different sizes: /stream/0 and /stream/1 each carry their own stream's frames,
    the page lists every stream, /stats has both, a stream that does not exist is 404."""
    need_sink("http://127.0.0.1:0")
    tmp = tempfile.mkdtemp(prefix="vrt_web2_")
    try:
        port = free_port()
        jl = os.path.join(tmp, "r.jsonl")
        p = start(["run", "-m", data(SQZ), "-i", "synthetic:?width=320&height=240&fps=15", "-i",
                   "synthetic:?width=160&height=120&fps=15", "-n", "90", "--threads", "1",
                   "-o", "http://127.0.0.1:%d" % port, "--json", jl])
        base = "http://127.0.0.1:%d" % port
        t0 = time.time()
        while True:
            try:
                http_get(base + "/stats", timeout=2)
                break
            except OSError:
                check(time.time() - t0 < 60 and p.poll() is None, "the web viewer did not come up")
                time.sleep(0.2)
        status, ctype, page = http_get(base + "/")
        check(b"/stream/" in page and b'src="/stream.mjpg"' in page, "the page does not list the streams")
        stats = json.loads(http_get(base + "/stats")[2])
        check([x["width"] for x in stats["streams"]] == [320, 160], "/stats streams %r" % stats["streams"])
        for i, size in ((0, (320, 240)), (1, (160, 120))):
            jpegs = read_mjpeg(base + "/stream/%d" % i, 3)
            check(all(jpeg_size(j) == size for j in jpegs), "/stream/%d: JPEG sizes %r" %
                  (i, [jpeg_size(j) for j in jpegs]))
        check(jpeg_size(read_mjpeg(base + "/stream/1.mjpg", 1)[0]) == (160, 120), "/stream/1.mjpg")
        try:
            http_get(base + "/stream/2")
            check(False, "/stream/2 of a two-stream run answered")
        except urllib.error.HTTPError as e:
            check(e.code == 404, "/stream/2: HTTP %d" % e.code)
        rc, out, err = finish(p, timeout=120)
        check(rc == 0, "exit status %d" % rc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_outputs_bad():
    bad_output(["-o", "foo://x"], "foo://x", "unknown kind", "display://0", "http://", "mqtt://")
    bad_output(["-o", "http://127.0.0.1"], "http://127.0.0.1", "expected http://ADDR:PORT")
    if built("http://127.0.0.1:0"):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        bad_output(["-o", "http://127.0.0.1:%d" % port], "http://127.0.0.1:%d" % port, "in use")
        s.close()
    if built("display://0"):
        bad_output(["-o", "display://0"], "display://0", "no display", extra_env={"DISPLAY": ":4242"})
        bad_output(["-o", "display://0?stream=99"], "display://0?stream=99", "expected display://N[?stream=K]")
    if built("mqtt://127.0.0.1:1/t"):
        port = free_port()
        bad_output(["-o", "mqtt://127.0.0.1:%d/t" % port], "mqtt://127.0.0.1:%d/t" % port, "unreachable")


if __name__ == "__main__":
    sys.exit(T.run_cases(globals()))
