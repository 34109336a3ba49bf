#!/usr/bin/env python3
"""End-to-end tests of the `vrt` command line.

Usage: test_cli.py --vrt PATH [--preload LIB] [--sanitize 0|1] [--version X.Y.Z] CASE

Each CASE is one ctest test. Exit status: 0 pass, 1 fail, 77 skip.
Only the Python standard library is used. PNG files are checked with a small
decoder written here (zlib + the PNG filter rules), and the synthetic source's
frame-number code is read back from the pixels following the layout documented
in include/vrt/image.h, independently of the library's own decoder.
"""
import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ARGS = None
SKIP = 77


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---- running vrt -----------------------------------------------------------------------

FAKE_SPEC = "/dev/video0:YUYV,MJPG:640x480,1280x720:30,15"


def env_for(fake=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("VRT_FAKE_V4L2", None)
    if ARGS.sanitize:
        # A sanitizer report must fail the test even when the exit status would match.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=1") + ":exitcode=86"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=86"
    if fake is not None:
        if not ARGS.preload:
            raise Skip("the fake V4L2 preload library (vrt_fake_v4l2_preload) is not built")
        env["LD_PRELOAD"] = ARGS.preload
        env["VRT_FAKE_V4L2"] = fake
        if ARGS.sanitize:
            # The preloaded library comes before the ASan runtime in the load order.
            env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    return env


def vrt(*args, fake=None, timeout=60, expect=None):
    """Runs vrt; returns (rc, stdout, stderr). expect: the exit status to require."""
    cmd = [ARGS.vrt] + list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(fake),
                       timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    print("$ " + " ".join(cmd) + ("   [fake: %s]" % fake if fake else ""))
    print("  exit %d" % p.returncode)
    for line in out.splitlines()[:40]:
        print("  out| " + line)
    for line in err.splitlines()[:40]:
        print("  err| " + line)
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report in stderr")
    if expect is not None:
        check(p.returncode == expect, "exit status %d, expected %d" % (p.returncode, expect))
    return p.returncode, out, err


def vrt_json(*args, fake=None, timeout=60):
    rc, out, err = vrt(*args, fake=fake, timeout=timeout, expect=0)
    try:
        doc = json.loads(out)
    except ValueError as e:
        raise Fail("stdout is not one JSON document: %s" % e)
    check(isinstance(doc, dict), "JSON is not an object")
    return doc, err


def usage_error(args, *needles):
    rc, out, err = vrt(*args, expect=2)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1, "usage error must be one line, got %d" % len(lines))
    check(lines[0].startswith("vrt: "), "usage error must start with 'vrt: '")
    for n in needles:
        check(n in lines[0], "usage error lacks %r" % n)
    check(out == "", "usage error printed to stdout")


def runtime_error(args, *needles, fake=None):
    rc, out, err = vrt(*args, fake=fake, expect=1)
    check(err.count("vrt: ") >= 1, "no 'vrt: ' message on stderr")
    for n in needles:
        check(n in err, "error message lacks %r" % n)
    check(len(err.splitlines()) <= 4, "error message is more than 4 lines")
    return err


def device_present(path="/dev/video0"):
    return os.path.exists(path)


# ---- PNG decoding and the synthetic frame-number code ----------------------------------

def png_read(path, max_rows=None):
    """Returns (width, height, channels, rows) where rows are the first max_rows unfiltered
    rows (all if None), each a bytes object of width*channels samples."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG signature" % path)
    pos, idat, ihdr = 8, [], None
    seen_iend = False
    while pos < len(data):
        check(pos + 8 <= len(data), "%s: truncated chunk header" % path)
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        check(zlib.crc32(ctype + body) & 0xffffffff == crc, "%s: bad CRC in %r" % (path, ctype))
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            seen_iend = True
            break
        pos += 12 + length
    check(ihdr is not None and seen_iend and idat, "%s: missing IHDR/IDAT/IEND" % path)
    w, h, depth, ctype, _, _, interlace = ihdr
    check(depth == 8 and interlace == 0, "%s: expected 8-bit non-interlaced" % path)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    check(channels is not None, "%s: colour type %d unsupported" % (path, ctype))
    raw = zlib.decompress(b"".join(idat))
    stride = w * channels
    check(len(raw) == h * (stride + 1), "%s: %d bytes of image data, expected %d" %
          (path, len(raw), h * (stride + 1)))
    for y in range(h):
        check(raw[y * (stride + 1)] <= 4, "%s: bad filter type in row %d" % (path, y))
    rows, prev = [], bytearray(stride)
    n = h if max_rows is None else min(h, max_rows)
    for y in range(n):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        check(ft <= 4, "%s: bad filter type %d in row %d" % (path, ft, y))
        bpp = channels
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ft == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xff
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def crc8(data):
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xff if c & 0x80 else (c << 1) & 0xff
    return c


def synthetic_number(w, h, channels, rows):
    """Reads the frame number drawn by the synthetic source (layout in vrt/image.h):
    two rows of 32 cells at the top; cells 0-3 sync (1011 / 1101), cells 4-31 carry
    28 bits each, MSB first: 48-bit frame number then CRC-8 (poly 0x07)."""
    bits = []
    for r in range(2):
        y = int((r + 0.5) * h / 16)
        check(y < len(rows), "not enough rows decoded")
        row = rows[y]
        cells = []
        for i in range(32):
            x = int((i + 0.5) * w / 32)
            px = row[x * channels:(x + 1) * channels]
            luma = px[0] if channels < 3 else (px[0] + px[1] + px[2]) / 3
            cells.append(1 if luma >= 128 else 0)
        sync = [1, 0, 1, 1] if r == 0 else [1, 1, 0, 1]
        check(cells[:4] == sync, "sync cells of code row %d are %r, expected %r" % (r, cells[:4], sync))
        bits += cells[4:]
    v = 0
    for b in bits:
        v = (v << 1) | b
    number, crc = v >> 8, v & 0xff
    check(crc8(number.to_bytes(6, "big")) == crc, "frame-number CRC mismatch")
    return number


# ---- cases ---------------------------------------------------------------------------------

def case_help():
    rc, out, err = vrt("--help", expect=0)
    for n in ["usage: vrt", "probe", "capture", "--version", "--log-level", "exit status"]:
        check(n in out, "vrt --help lacks %r" % n)
    rc, cap, err = vrt("capture", "--help", expect=0)
    for n in ["usage: vrt capture", "--frames", "--duration", "--out", "--format", "--size", "--fps",
              "--mode", "--json", "--image-format", "--raw", "synthetic:", "/dev/video", "image:",
              "rtsp://", "default", "examples"]:
        check(n in cap, "vrt capture --help lacks %r" % n)
    rc, cap2, err = vrt("help", "capture", expect=0)
    check(cap2 == cap, "'vrt help capture' differs from 'vrt capture --help'")
    rc, pr, err = vrt("probe", "--help", expect=0)
    for n in ["usage: vrt probe", "--json", "DEVICE"]:
        check(n in pr, "vrt probe --help lacks %r" % n)
    rc, src, err = vrt("help", "sources", expect=0)
    check("synthetic:" in src and "v4l2:" in src, "vrt help sources lacks URI forms")
    usage_error(["help", "nosuchthing"], "unknown command 'nosuchthing'")


def case_version():
    rc, out, err = vrt("--version", expect=0)
    lines = out.splitlines()
    check(len(lines) >= 2, "--version prints the version and a build line")
    check(lines[0] == "vrt " + ARGS.version, "first line %r, expected 'vrt %s'" % (lines[0], ARGS.version))
    check("visionrt" in lines[1] and ARGS.version in lines[1], "build line lacks 'visionrt VERSION'")
    check("libavformat" in lines[1], "build line lacks the FFmpeg version")


def case_usage_errors():
    usage_error(["capture", "--fram", "3"], "unknown option '--fram'", "did you mean '--frames'",
                "see 'vrt capture --help'")
    usage_error(["capture", "--frames"], "'--frames' needs a value", "see 'vrt capture --help'")
    usage_error(["capture", "--frames", "abc"], "--frames 'abc'")
    usage_error(["capture", "--frames", "0"], "--frames '0'")
    usage_error(["capture", "--size", "640"], "--size '640'", "640x480")
    usage_error(["capture", "--mode", "fastest"], "--mode 'fastest'", "newest or all")
    usage_error(["capture", "--format", "xx"], "--format 'xx'", "YUYV")
    usage_error(["capture", "-Z"], "unknown option '-Z'")
    usage_error(["capture", "a", "b"], "unexpected argument 'b'")
    usage_error(["capture", "--raw"], "--raw needs --out DIR")
    usage_error(["capture", "--json=1"], "'--json' takes no value")
    usage_error(["probe", "--jsn"], "unknown option '--jsn'", "did you mean '--json'",
                "see 'vrt probe --help'")
    usage_error(["captur"], "unknown command 'captur'", "did you mean 'capture'", "see 'vrt --help'")
    usage_error(["--log-level", "loud", "capture"], "--log-level 'loud'")
    rc, out, err = vrt(expect=2)
    check("no command given" in err, "vrt without a command must say so")


def check_interval(doc, fps_nominal):
    iv = doc["interval_ms"]
    check(iv is not None and iv["count"] == doc["frames"] - 1, "interval count must be frames-1")
    period = 1000.0 / fps_nominal
    check(0.4 * period <= iv["p50"] <= 2.0 * period,
          "interval p50 %.3f ms not near the %.3f ms period" % (iv["p50"], period))
    check(iv["p50"] <= iv["p99"] <= iv["max"] + 1e-6, "percentiles out of order")


def case_capture_json():
    # mode=all: a loaded CI machine may stall the reader; newest mode would then (rightly) drop.
    doc, err = vrt_json("capture", "synthetic:", "--frames", "30", "--mode", "all", "--json")
    check(doc["frames"] == 30, "frames %r != 30" % doc["frames"])
    src = doc["source"]
    check(src["kind"] == "synthetic", "source kind %r" % src["kind"])
    check(src["width"] > 0 and src["height"] > 0, "source size missing")
    nominal = src["fps"] or 30
    check(0.6 * nominal <= doc["fps"] <= 1.4 * nominal,
          "fps %.2f not plausible for a %.4g fps source" % (doc["fps"], nominal))
    # 30 frames at 30 fps: 29 periods (0.97 s) plus start-up.
    check(0.5 * 29 / nominal <= doc["duration_s"] <= 29 / nominal + 5, "duration %.3f s" % doc["duration_s"])
    check_interval(doc, nominal)
    check(doc["dropped"] == 0 and doc["errors"] == 0, "drops/errors on a synthetic source")
    check(doc["stopped_by"] == "frames", "stopped_by %r" % doc["stopped_by"])
    check(doc["saved"] == 0 and doc["out"] is None, "nothing should be saved")
    # A different rate must show in the measured rate (so fps is measured, not echoed).
    doc, err = vrt_json("capture", "synthetic:?fps=60", "--frames", "30", "--mode", "all", "--json")
    check(45 <= doc["fps"] <= 75, "fps %.2f for fps=60" % doc["fps"])
    check_interval(doc, 60)


def case_capture_human():
    rc, out, err = vrt("capture", "synthetic:?width=320&height=240", "--frames", "10", "--mode", "all",
                       expect=0)
    check(re.search(r"^frames:\s+10 in [0-9.]+ s, [0-9.]+ fps$", out, re.M), "no 'frames: 10 in ...' line")
    check(re.search(r"^interval:\s+p50 [0-9.]+ ms, p99 [0-9.]+ ms", out, re.M), "no interval percentiles")
    check(re.search(r"^drops:\s+0 dropped, 0 errors", out, re.M), "no drops line")
    check("320x240" in out and "synthetic" in out, "source line lacks kind/size")
    check(re.search(r"^stopped:\s+frames", out, re.M), "no stopped line")


def case_capture_duration():
    t0 = time.monotonic()
    doc, err = vrt_json("capture", "synthetic:", "--duration", "1.5", "--json")
    wall = time.monotonic() - t0
    check(doc["stopped_by"] == "duration", "stopped_by %r" % doc["stopped_by"])
    check(1.4 <= doc["duration_s"] <= 2.5, "duration %.3f s for --duration 1.5" % doc["duration_s"])
    check(wall >= 1.4, "returned after %.2f s" % wall)
    nominal = doc["source"]["fps"] or 30
    check(0.6 * 1.5 * nominal <= doc["frames"] <= 1.5 * nominal + 3, "%d frames in 1.5 s" % doc["frames"])


def case_capture_out_png():
    d = tempfile.mkdtemp(prefix="vrt-cli-")
    try:
        out = os.path.join(d, "frames")  # created by vrt
        doc, err = vrt_json("capture", "synthetic:?width=320&height=240", "--frames", "30", "--out", out,
                            "--mode", "all", "--json")
        check(doc["saved"] == 30, "saved %r" % doc["saved"])
        names = sorted(os.listdir(out))
        want = ["frame_%06d.png" % i for i in range(30)]
        check(names == want, "files %r..., expected frame_000000.png .. frame_000029.png" % names[:3])
        numbers = []
        for n in names:
            w, h, ch, rows = png_read(os.path.join(out, n), max_rows=240 // 8 + 1)
            check((w, h) == (320, 240), "%s is %dx%d" % (n, w, h))
            numbers.append(synthetic_number(w, h, ch, rows))
        print("  frame numbers in the PNGs: %r" % numbers)
        check(all(b > a for a, b in zip(numbers, numbers[1:])), "frame numbers not increasing")
        check(numbers == list(range(numbers[0], numbers[0] + 30)), "frames were skipped: %r" % numbers)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_capture_out_jpg():
    d = tempfile.mkdtemp(prefix="vrt-cli-")
    try:
        doc, err = vrt_json("capture", "synthetic:?width=320&height=240", "--frames", "3", "--out", d,
                            "--image-format", "jpg", "--quality", "80", "--json")
        names = sorted(os.listdir(d))
        check(names == ["frame_%06d.jpg" % i for i in range(3)], "files %r" % names)
        for n in names:
            data = open(os.path.join(d, n), "rb").read()
            check(data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9", "%s is not a JPEG" % n)
            # The SOF0/SOF2 segment holds the size.
            m = re.search(b"\xff[\xc0\xc2]..\x08(..)(..)", data, re.S)
            check(m is not None, "%s: no SOF segment" % n)
            h, w = struct.unpack(">H", m.group(1))[0], struct.unpack(">H", m.group(2))[0]
            check((w, h) == (320, 240), "%s is %dx%d" % (n, w, h))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_capture_raw_file():
    d = tempfile.mkdtemp(prefix="vrt-cli-")
    try:
        path = os.path.join(d, "out.yuv")
        doc, err = vrt_json("capture", "synthetic:?width=320&height=240", "--format", "YUYV", "--frames", "5",
                            "--out", path, "--json")
        check(doc["source"]["format"] == "YUYV", "format %r" % doc["source"]["format"])
        size = os.path.getsize(path)
        check(size == 5 * 320 * 240 * 2, "raw file has %d bytes, expected 5 YUYV frames = %d" %
              (size, 5 * 320 * 240 * 2))
        # The first frame's code rows: Y samples of white cells are bright, black ones dark.
        data = open(path, "rb").read(320 * 240 * 2)
        y_row = data[(240 // 32) * 640:(240 // 32 + 1) * 640:2]  # luma of the first code row
        check(max(y_row) > 180 and min(y_row) < 60, "first frame has no black/white code row")
        path2 = os.path.join(d, "out.raw")
        vrt_json("capture", "synthetic:?width=64&height=48", "--format", "NV12", "--frames", "4",
                 "--out", path2, "--json")
        check(os.path.getsize(path2) == 4 * 64 * 48 * 3 // 2, "NV12 raw size %d" % os.path.getsize(path2))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_capture_default_source():
    if device_present():
        raise Skip("/dev/video0 exists on this machine: the synthetic fallback cannot be tested")
    doc, err = vrt_json("capture", "--frames", "5", "--json")
    check(doc["source"]["kind"] == "synthetic", "default source without a camera must be synthetic:")
    check("synthetic:" in err and "/dev/video0" in err, "vrt must say which source it chose and why")


def case_capture_errors():
    runtime_error(["capture", "/nonexistent/clip.mp4", "--frames", "1"], "/nonexistent/clip.mp4")
    runtime_error(["capture", "synthetic:?width=abc", "--frames", "1"], "width=abc")
    runtime_error(["capture", "synthetic:?colour=red", "--frames", "1"], "colour", "width")
    runtime_error(["capture", "nosuch:thing", "--frames", "1"], "nosuch", "synthetic:")
    runtime_error(["capture", "synthetic:", "--format", "H264", "--frames", "1"], "H264")
    runtime_error(["capture", "image:/nonexistent/dir/*.jpg", "--frames", "1"], "/nonexistent/dir")
    if not device_present("/dev/video7"):
        runtime_error(["capture", "/dev/video7", "--frames", "1"], "/dev/video7")
    d = tempfile.mkdtemp(prefix="vrt-cli-")
    try:
        f = os.path.join(d, "file")
        open(f, "w").close()
        runtime_error(["capture", "synthetic:", "--frames", "1", "--out", os.path.join(f, "sub")], f)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def signal_case(sig):
    p = subprocess.Popen([ARGS.vrt, "capture", "synthetic:", "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env_for())
    time.sleep(1.5)
    check(p.poll() is None, "vrt capture without --frames ended by itself")
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Fail("vrt did not stop within 15 s of the signal")
    out = out.decode()
    err = err.decode()
    print("  exit %d\n  out| %s\n  err| %s" % (p.returncode, out.strip(), err.strip()))
    check("Sanitizer" not in err, "sanitizer report")
    check(p.returncode == 0, "exit status %d after the signal" % p.returncode)
    doc = json.loads(out)
    check(doc["stopped_by"] == "signal", "stopped_by %r" % doc["stopped_by"])
    check(doc["frames"] >= 10, "only %d frames in 1.5 s" % doc["frames"])


def case_capture_sigint():
    signal_case(signal.SIGINT)


def case_capture_sigterm():
    signal_case(signal.SIGTERM)


def case_probe_no_device():
    if any(os.path.exists("/dev/video%d" % i) for i in range(64)):
        raise Skip("this machine has video devices")
    rc, out, err = vrt("probe", expect=0)
    check("no video capture devices" in out, "vrt probe must say that there are none")
    doc, err = vrt_json("probe", "--json")
    check(doc == {"devices": []}, "JSON for no devices: %r" % doc)
    runtime_error(["probe", "/dev/video3"], "/dev/video3")


def fake_device_doc(doc):
    check(len(doc["devices"]) == 1, "expected one device, got %d" % len(doc["devices"]))
    d = doc["devices"][0]
    check(d["path"] == "/dev/video0", "path %r" % d["path"])
    check(d["is_capture"] is True and d["streaming"] is True, "capture/streaming flags")
    check("video_capture" in d["device_caps"] or "video_capture" in d["capabilities"], "caps lack video_capture")
    check([f["fourcc"] for f in d["formats"]] == ["YUYV", "MJPG"], "formats %r" % [f["fourcc"] for f in d["formats"]])
    check([f["compressed"] for f in d["formats"]] == [False, True], "compressed flags")
    check(any(c["key"] == "brightness" for c in d["controls"]), "controls lack brightness")
    for f in d["formats"]:
        sizes = [(s["width"], s["height"]) for s in f["sizes"]]
        check(sizes == [(640, 480), (1280, 720)], "sizes of %s: %r" % (f["fourcc"], sizes))
        for s in f["sizes"]:
            check(sorted(round(x) for x in s["fps"]) == [15, 30], "rates %r" % s["fps"])
    check(d["current"]["format"] == "YUYV" and d["current"]["width"] == 640, "current format")
    return d


def case_fake_probe():
    rc, out, err = vrt("probe", fake=FAKE_SPEC, expect=0)
    for n in ["/dev/video0", "YUYV", "MJPG", "640x480", "1280x720", "30", "15", "controls"]:
        check(n in out, "vrt probe output lacks %r" % n)
    rc, out1, err = vrt("probe", "/dev/video0", fake=FAKE_SPEC, expect=0)
    check(out1 == out, "probe of the one device differs from the listing")
    runtime_error(["probe", "/dev/video1"], "/dev/video1", fake=FAKE_SPEC)


def case_fake_probe_json():
    doc, err = vrt_json("probe", "--json", fake=FAKE_SPEC)
    fake_device_doc(doc)
    doc2, err = vrt_json("probe", "/dev/video0", "--json", fake=FAKE_SPEC)
    check(doc2 == doc, "JSON of the one device differs from the listing")
    two = FAKE_SPEC + ";/dev/video2:GREY:320x240:60"
    doc3, err = vrt_json("probe", "--json", fake=two)
    check([d["path"] for d in doc3["devices"]] == ["/dev/video0", "/dev/video2"], "two fake devices")
    check([f["fourcc"] for f in doc3["devices"][1]["formats"]] == ["GREY"], "second device's formats")


def case_fake_capture():
    doc, err = vrt_json("capture", "/dev/video0", "--frames", "20", "--json", fake=FAKE_SPEC)
    src = doc["source"]
    check(src["kind"] == "v4l2", "kind %r" % src["kind"])
    check((src["format"], src["width"], src["height"]) == ("YUYV", 640, 480), "format %r" % src)
    check(src["driver_timestamps"] is True, "the fake device stamps frames")
    check(doc["frames"] == 20, "frames %r" % doc["frames"])
    check(20 <= doc["fps"] <= 40, "fps %.2f from a 30 fps device" % doc["fps"])
    check_interval(doc, 30)
    age = doc["age_ms"]
    check(age is not None and age["count"] == 20, "age histogram must cover every frame")
    check(0 <= age["p50"] <= 50, "frame age p50 %.3f ms" % age["p50"])
    d = tempfile.mkdtemp(prefix="vrt-cli-")
    try:
        doc, err = vrt_json("capture", "/dev/video0", "--frames", "3", "--out", d, "--json", fake=FAKE_SPEC)
        for i in range(3):
            w, h, ch, rows = png_read(os.path.join(d, "frame_%06d.png" % i), max_rows=1)
            check((w, h) == (640, 480), "PNG size %dx%d" % (w, h))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_fake_capture_options():
    doc, err = vrt_json("capture", "/dev/video0", "--size", "1280x720", "--format", "MJPG", "--fps", "15",
                        "--frames", "8", "--mode", "all", "--buffers", "4", "--json", fake=FAKE_SPEC)
    src = doc["source"]
    check((src["format"], src["width"], src["height"]) in (("MJPG", 1280, 720), ("MJPEG", 1280, 720)),
          "source %r" % src)
    check(abs(src["fps"] - 15) < 0.01, "fps %r" % src["fps"])
    check(src["mode"] == "all" and src["buffers"] == 4, "mode/buffers %r" % src)
    check(9 <= doc["fps"] <= 21, "measured fps %.2f at 15 fps" % doc["fps"])


def case_fake_capture_default():
    doc, err = vrt_json("capture", "--frames", "5", "--json", fake=FAKE_SPEC)
    check(doc["source"]["kind"] == "v4l2" and doc["source"]["name"].endswith("/dev/video0"),
          "default source with a camera must be /dev/video0: %r" % doc["source"])
    check("/dev/video0" in err, "vrt must say which source it chose")


def case_fake_capture_bad_format():
    # A format the device cannot give, not even through MJPG decoding.
    runtime_error(["capture", "/dev/video0", "--format", "H264", "--frames", "1"], "H264", "YUYV", "MJPG",
                  fake=FAKE_SPEC)
    # A raw device without MJPG: NV12 is not offered and cannot be decoded to.
    runtime_error(["capture", "/dev/video0", "--format", "NV12", "--frames", "1"], "NV12", "YUYV",
                  fake="/dev/video0:YUYV:640x480:30")
    runtime_error(["capture", "/dev/video0", "--size", "1280x720", "--fps", "15", "--frames", "1",
                   "--buffers", "2", "--format", "GREY"], "GREY", fake="/dev/video0:YUYV:640x480:30")


# ---- models: vrt infer / vrt inspect / vrt bench -------------------------------------------
# Expected results come from ../shared/data/models/*/expected.json (onnxruntime 1.30 reference,
# cross-checked with OpenCV-DNN), parameter counts from the data README's provenance table,
# FLOPs from published figures (torchvision: SqueezeNet 1.1 0.35 GMACs; the SqueezeNet_fp16
# file has 1.1's layers: a 3x3x64 first conv; YOLOX README: YOLOX-Nano 1.08 GFLOPs = 2 x MACs at 416).

def data_root():
    root = os.environ.get("VRT_DATA") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "..", "..", "shared", "data")
    return root


def data(rel):
    p = os.path.join(data_root(), rel)
    if not os.path.exists(p):
        raise Skip("test data %r not found (set VRT_DATA to the shared data folder)" % rel)
    return p


SQZ = "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"
YOLOX = "models/yolox_nano/yolox_nano.onnx"


def expected(model_dir):
    with open(data("models/%s/expected.json" % model_dir)) as f:
        return json.load(f)


def json_lines(out):
    docs = []
    for line in out.splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError as e:
            raise Fail("stdout line is not JSON (%s): %r" % (e, line[:200]))
    return docs


def iou_xyxy(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def case_infer_help():
    rc, out, err = vrt("infer", "--help", expect=0)
    for n in ["usage: vrt infer", "--profile", "--topk", "--json", "--backend", "--threads", "--score",
              "--iou", "squeezenet.conf", "examples"]:
        check(n in out, "vrt infer --help lacks %r" % n)
    rc, out, err = vrt("inspect", "--help", expect=0)
    for n in ["usage: vrt inspect", "--height", "--width", "--batch", "--json", "FLOPs", "unsupported"]:
        check(n in out, "vrt inspect --help lacks %r" % n)
    rc, out, err = vrt("help", "bench", expect=0)
    check("usage: vrt bench" in out and "--iters" in out, "vrt help bench lacks usage/--iters")
    rc, out, err = vrt("--help", expect=0)
    check("infer" in out and "inspect" in out, "vrt --help does not list infer/inspect")
    usage_error(["infer"], "no MODEL given", "see 'vrt infer --help'")
    usage_error(["infer", "m.onnx"], "no IMAGE given")
    usage_error(["infer", "m.onnx", "a.jpg", "--topk", "0"], "--topk '0'")
    usage_error(["infer", "m.onnx", "a.jpg", "--backend", "tpu"], "--backend 'tpu'", "cpu or cuda")
    usage_error(["infer", "m.onnx", "a.jpg", "--scor", "0.5"], "unknown option '--scor'", "did you mean '--score'")
    usage_error(["inspect"], "no MODEL given", "see 'vrt inspect --help'")
    usage_error(["inspect", "a.onnx", "b.onnx"], "unexpected argument 'b.onnx'")
    usage_error(["inspect", "a.onnx", "--height", "-3"], "--height '-3'")
    usage_error(["bench", "a.onnx", "--iters", "0"], "--iters '0'")


def case_infer_squeezenet():
    exp = expected("squeezenet1.0_fp16")
    sets = sorted(exp["sets"].items())
    images = [data(v["image"]) for k, v in sets]
    rc, out, err = vrt("infer", data(SQZ), *images, "--json", "--topk", "5", expect=0)
    docs = json_lines(out)
    check(len(docs) == len(images), "%d JSON lines for %d images" % (len(docs), len(images)))
    for (name, ref), doc, img in zip(sets, docs, images):
        check(doc["image"] == img and doc["task"] == "classify", "%s: image/task fields" % name)
        got = doc["classes"]
        check(len(got) == 5, "%s: %d classes, expected 5" % (name, len(got)))
        top = ref["top5"]
        check(got[0]["index"] == top[0][0] and got[0]["label"] == top[0][1],
              "%s: top-1 %s/%r, expected %d/%r" % (name, got[0]["index"], got[0]["label"], top[0][0], top[0][1]))
        # Every class the reference gives at least 1% keeps its rank and its probability within 0.01
        # (our bilinear resize keeps fractions where cv2 rounds to 8 bits; the model is fp16).
        for rank, (idx, label, score) in enumerate(top):
            if score < 0.01:
                continue
            check(got[rank]["index"] == idx, "%s: rank %d is %d, expected %d" % (name, rank + 1, got[rank]["index"], idx))
            check(abs(got[rank]["score"] - score) <= 0.01,
                  "%s: %s score %.4f, expected %.4f" % (name, label, got[rank]["score"], score))
        for a, b in zip(got, got[1:]):
            check(a["score"] >= b["score"], "%s: scores not descending" % name)
        t = doc["time_ms"]
        for k in ("pre", "model", "post", "total"):
            check(isinstance(t[k], (int, float)) and t[k] >= 0, "%s: time_ms.%s missing" % (name, k))
        check(t["model"] > 0 and abs(t["total"] - t["pre"] - t["model"] - t["post"]) < 0.01, "%s: times do not add up" % name)
    dog = docs[[k for k, v in sets].index("test_data_set_0")]
    check(dog["classes"][0]["label"] == "golden retriever" and dog["classes"][0]["score"] > 0.9,
          "dog_2.jpg: golden retriever > 0.9 expected")
    # Text output: the same top-1, labels, and the timing line.
    rc, out, err = vrt("infer", data(SQZ), data("images/jetson/dog_2.jpg"), "--topk", "3", expect=0)
    lines = out.splitlines()
    check("golden retriever" in lines[1] and "[207]" in lines[1], "text top-1 is not golden retriever [207]")
    check(sum(1 for l in lines if re.match(r"\s+\d\. ", l)) == 3, "--topk 3 must print 3 classes")
    check(re.search(r"time: pre [\d.]+ ms, model [\d.]+ ms, post [\d.]+ ms", out), "no timing line")


def case_infer_yolox():
    exp = expected("yolox_nano")
    sets = sorted(exp["sets"].items())
    images = [data(v["image"]) for k, v in sets]
    rc, out, err = vrt("infer", data(YOLOX), *images, "--json", expect=0)
    docs = json_lines(out)
    check(len(docs) == len(images), "%d JSON lines for %d images" % (len(docs), len(images)))
    for (name, ref), doc in zip(sets, docs):
        check(doc["task"] == "detect-yolox", "%s: task %r" % (name, doc["task"]))
        got = doc["detections"]
        want = [d for d in ref["detections"]]
        # Confident detections (score >= 0.4) must match one to one: same class, IoU >= 0.9, score
        # within 0.02. Those near the 0.3 threshold may flip with sub-pixel input differences.
        used = set()
        for w in want:
            if w["score"] < 0.4:
                continue
            x, y, bw, bh = w["xywh"]
            wb = [x, y, x + bw, y + bh]
            best, bi = 0.0, -1
            for i, g in enumerate(got):
                if g["label"] == w["cls"] and i not in used:
                    v = iou_xyxy(wb, g["box"])
                    if v > best:
                        best, bi = v, i
            check(bi >= 0 and best >= 0.9, "%s: %s %.3f at %s not found (best IoU %.3f)" % (name, w["cls"], w["score"], wb, best))
            check(abs(got[bi]["score"] - w["score"]) <= 0.02,
                  "%s: %s score %.3f, expected %.3f" % (name, w["cls"], got[bi]["score"], w["score"]))
            used.add(bi)
        extra = [g for i, g in enumerate(got) if i not in used and g["score"] >= 0.45]
        check(not extra, "%s: unexpected confident detections %s" % (name, extra))
        for g in got:
            check(g["score"] > 0.3, "%s: score %.3f not above the 0.3 threshold" % (name, g["score"]))
            b = g["box"]
            check(0 <= b[0] < b[2] <= doc["width"] and 0 <= b[1] < b[3] <= doc["height"], "%s: box %s outside the image" % (name, b))
    dog = docs[0]
    labels = [g["label"] for g in dog["detections"]]
    for n in ("dog", "bicycle", "car"):
        check(n in labels, "dog.jpg: no %s in %s" % (n, labels))
    # --score filters, the text output names classes and boxes.
    rc, out, err = vrt("infer", data(YOLOX), data("images/darknet/dog.jpg"), "--score", "0.5", expect=0)
    check("3 detections" in out and "truck" not in out and "bicycle" in out, "--score 0.5 must leave dog, bicycle, car")
    check(re.search(r"dog\s+0\.8\d\d\s+x1 [\d.]+ y1 [\d.]+ x2 [\d.]+ y2 [\d.]+", out), "text line for the dog missing")


def write_tmp(tmp, name, data_bytes):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data_bytes)
    return p


def case_infer_errors():
    sqz, yolox, dog = data(SQZ), data(YOLOX), data("images/jetson/dog_2.jpg")
    tmp = tempfile.mkdtemp(prefix="vrt-infer-")
    try:
        with open(yolox, "rb") as f:
            model = f.read()
        with open(dog, "rb") as f:
            jpeg = f.read()
        trunc = write_tmp(tmp, "yolox_trunc.onnx", model[: len(model) // 2])
        runtime_error(["infer", trunc, dog], "yolox_trunc.onnx")
        runtime_error(["inspect", trunc], "yolox_trunc.onnx")
        notonnx = write_tmp(tmp, "squeezenet_text.onnx", b"this is not an ONNX model\n" * 10)
        runtime_error(["infer", notonnx, dog], "squeezenet_text.onnx")
        runtime_error(["inspect", notonnx], "squeezenet_text.onnx")
        jpg_as_model = write_tmp(tmp, "yolox_jpeg.onnx", jpeg)
        runtime_error(["inspect", jpg_as_model], "yolox_jpeg.onnx")
        # A corrupt JPEG among good images: named, the others still reported, exit 1.
        bad = write_tmp(tmp, "corrupt.jpg", jpeg[:600] + b"\x00" * 64)
        rc, out, err = vrt("infer", sqz, dog, bad, expect=1)
        check("corrupt.jpg" in err, "the corrupt image is not named")
        check("golden retriever" in out, "the good image was not reported")
        rc, out, err = vrt("infer", sqz, bad, dog, "--json", expect=1)
        docs = json_lines(out)
        check(len(docs) == 2 and "error" in docs[0] and docs[1]["classes"][0]["index"] == 207,
              "--json: an error object for the bad image, results for the good one")
        runtime_error(["infer", sqz, os.path.join(tmp, "missing.jpg")], "missing.jpg")
        # A profile naming a labels file that does not exist.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "squeezenet.conf")) as f:
            conf = f.read()
        prof = write_tmp(tmp, "nolabels.conf", conf.replace("labels = Labels.txt", "labels = no_such_labels.txt").encode())
        runtime_error(["infer", sqz, dog, "--profile", prof], "no_such_labels.txt", "nolabels.conf")
        # A profile whose tensor does not fit the model's input (NHWC for an NCHW model).
        prof = write_tmp(tmp, "wronglayout.conf", conf.replace("layout = nchw", "layout = nhwc").encode())
        runtime_error(["infer", sqz, dog, "--profile", prof], "wronglayout.conf", "[1,3,224,224]", "[1,224,224,3]")
        # A fully convolutional classifier runs at the profile's size (the input is resized at load).
        prof = write_tmp(tmp, "size256.conf", conf.replace("width = 224", "width = 256").replace("height = 224", "height = 256").encode())
        rc, out, err = vrt("infer", sqz, dog, "--profile", prof, expect=0)
        check("golden retriever" in out.splitlines()[1], "256x256 input: top-1 is not golden retriever")
        runtime_error(["infer", sqz, dog, "--profile", os.path.join(tmp, "none.conf")], "none.conf")
        # No profile matches the model's name: the message lists those that exist.
        mystery = write_tmp(tmp, "mystery.onnx", model)
        runtime_error(["infer", mystery, dog], "mystery.onnx", "squeezenet.conf", "--profile")
        # Wrong input size for the model.
        runtime_error(["inspect", yolox, "--height", "100"], "yolox_nano.onnx")
        runtime_error(["inspect", sqz, "--height", "5", "--width", "5"], "SqueezeNet_fp16.onnx")
        # CUDA requested where it is not built or no GPU is present: a clean error naming the backend.
        rc, out, err = vrt("infer", sqz, dog, "--backend", "cuda")
        if rc != 0:
            check(rc == 1 and ("cuda" in err.lower()), "--backend cuda failure must name CUDA: %r" % err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_inspect(doc, inputs, outputs, params_init):
    check(doc["loaded"] is True and doc["error"] is None, "model did not load: %r" % doc.get("error"))
    got_in = [(t["name"], t["dtype"], t["shape"]) for t in doc["inputs"]]
    got_out = [(t["name"], t["dtype"], t["shape"]) for t in doc["outputs"]]
    check(got_in == inputs, "inputs %r, expected %r" % (got_in, inputs))
    check(got_out == outputs, "outputs %r, expected %r" % (got_out, outputs))
    check(doc["params_initializers"] == params_init, "initializer parameters %d, expected %d" % (doc["params_initializers"], params_init))
    check(0 < doc["params"] <= params_init, "params used %d" % doc["params"])
    plan = doc["plan"]
    check(0 < plan["arena_bytes"] < plan["naive_bytes"], "arena %d not below naive %d" % (plan["arena_bytes"], plan["naive_bytes"]))
    check(doc["unsupported_ops"] == [], "unsupported ops listed for a supported model")
    check(sum(doc["ops"].values()) == doc["nodes"], "op histogram does not add up to the node count")


def case_inspect_models():
    rc, out, err = vrt("inspect", data(SQZ), "--json", expect=0)
    doc = json.loads(out)
    check_inspect(doc, [("data_0", "float16", [1, 3, 224, 224])], [("softmaxout_1", "float16", [1, 1000, 1, 1])], 1235496)
    check(doc["opsets"] == [{"domain": "ai.onnx", "version": 7}], "SqueezeNet opsets %r" % doc["opsets"])
    # SqueezeNet 1.1 layout: conv1 + 8 fire modules x 3 convs + conv10 = 26 Conv, each followed by Relu.
    check(doc["ops"].get("Conv") == 26 and doc["ops"].get("Relu") == 26, "Conv/Relu counts %r" % doc["ops"])
    check(doc["passes"]["act_fused"] == 26 and len(doc["fusions"]) == 26, "26 Conv+Relu fusions expected")
    check(abs(doc["macs"] - 0.35e9) / 0.35e9 < 0.05, "SqueezeNet MACs %d not within 5%% of 0.35 G" % doc["macs"])
    check(doc["flops"] >= 2 * doc["macs"], "FLOPs below 2 x MACs")
    check(doc["weight_bytes_file"] == 2 * 1235496, "fp16 weights: 2 bytes per parameter")
    rc, out, err = vrt("inspect", data(YOLOX), "--json", expect=0)
    doc = json.loads(out)
    check_inspect(doc, [("images", "float32", [1, 3, 416, 416])], [("output", "float32", [1, 3549, 85])], 904481)
    check(doc["opsets"][0]["version"] == 11, "YOLOX opset %r" % doc["opsets"])
    check(abs(2 * doc["macs"] - 1.08e9) / 1.08e9 < 0.05, "YOLOX-Nano 2 x MACs %d not within 5%% of 1.08 G" % (2 * doc["macs"]))
    check(doc["passes"]["act_fused"] > 0 and any("SiLU" in f for f in doc["fusions"]), "no SiLU fusion reported")
    # Another input size: shapes, FLOPs and arena follow (640 / 416 = 1.538..., area x 2.37).
    rc, out, err = vrt("inspect", data(YOLOX), "--json", "--height", "640", "--width", "640", expect=0)
    big = json.loads(out)
    check(big["inputs"][0]["shape"] == [1, 3, 640, 640] and big["outputs"][0]["shape"] == [1, 8400, 85],
          "640x640: shapes %r %r" % (big["inputs"][0]["shape"], big["outputs"][0]["shape"]))
    ratio = big["macs"] / doc["macs"]
    check(abs(ratio - (640.0 / 416) ** 2) < 0.05, "MACs ratio %.3f, expected %.3f" % (ratio, (640.0 / 416) ** 2))
    # Text form.
    rc, out, err = vrt("inspect", data(SQZ), expect=0)
    for n in ["data_0", "float16", "[1,3,224,224]", "softmaxout_1", "opsets: ai.onnx 7", "producer:", "parameters: 1235496",
              "FLOPs:", "memory plan: arena", "naive", "fusions:", "Conv_0+Relu", "unsupported ops: none"]:
        check(n in out, "inspect text lacks %r" % n)


# A minimal ONNX writer (protobuf wire format by hand) for models the library must refuse.
def pb_varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num, value):
    if isinstance(value, int):
        return pb_varint(num << 3) + pb_varint(value)
    if isinstance(value, str):
        value = value.encode()
    return pb_varint((num << 3) | 2) + pb_varint(len(value)) + value


def onnx_value_info(name, elem_type, dims):
    shape = b"".join(pb_field(1, pb_field(1, d) if isinstance(d, int) else pb_field(2, d)) for d in dims)
    tensor_type = pb_field(1, elem_type) + pb_field(2, shape)
    return pb_field(1, name) + pb_field(2, pb_field(1, tensor_type))


def onnx_node(op, inputs, outputs, name, domain=None):
    b = b"".join(pb_field(1, i) for i in inputs) + b"".join(pb_field(2, o) for o in outputs)
    b += pb_field(3, name) + pb_field(4, op)
    if domain:
        b += pb_field(7, domain)
    return b


def case_inspect_unsupported():
    tmp = tempfile.mkdtemp(prefix="vrt-inspect-")
    try:
        graph = (pb_field(1, onnx_node("Relu", ["x"], ["a"], "relu1")) +
                 pb_field(1, onnx_node("FancyWarp", ["a"], ["b"], "warp1")) +
                 pb_field(1, onnx_node("Relu", ["b"], ["c"], "relu2")) +
                 pb_field(1, onnx_node("Sigmoid", ["c"], ["y"], "sig1")) +
                 pb_field(2, "g") +
                 pb_field(11, onnx_value_info("x", 1, ["N", 3, 8, 8])) +
                 pb_field(12, onnx_value_info("y", 1, ["N", 3, 8, 8])))
        model = (pb_field(1, 8) + pb_field(2, "handmade") + pb_field(3, "0.1") +
                 pb_field(8, pb_field(1, "") + pb_field(2, 13)) + pb_field(7, graph))
        path = write_tmp(tmp, "fancy.onnx", model)
        rc, out, err = vrt("inspect", path, expect=1)
        check("FancyWarp" in err and "fancy.onnx" in err, "the error must name the op and the model")
        check("'warp1'" in err and "opset 13" in err, "the error must name the node and the opset: %r" % err)
        check(len(err.splitlines()) <= 4, "error message is more than 4 lines")
        for n in ["producer: handmade 0.1", "opsets: ai.onnx 13", "x ", "[N,3,8,8]", "Relu", "Sigmoid"]:
            check(n in out, "partial report lacks %r" % n)
        check(re.search(r"FancyWarp\s+1\s+UNSUPPORTED", out), "FancyWarp not marked UNSUPPORTED")
        check(re.search(r"Relu\s+2\n", out), "Relu count 2 missing or marked unsupported")
        check("unsupported ops: FancyWarp" in out, "summary line lacks FancyWarp")
        rc, out, err = vrt("inspect", path, "--json", expect=1)
        doc = json.loads(out)
        check(doc["loaded"] is False and "FancyWarp" in doc["error"], "JSON: loaded false with the error")
        check(doc["unsupported_ops"] == ["FancyWarp"], "JSON unsupported_ops %r" % doc["unsupported_ops"])
        check(doc["ops"] == {"FancyWarp": 1, "Relu": 2, "Sigmoid": 1}, "JSON ops %r" % doc["ops"])
        check(doc["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["N", 3, 8, 8]}], "JSON inputs %r" % doc["inputs"])
        # The same graph with a custom-domain op instead.
        model2 = (pb_field(1, 8) + pb_field(8, pb_field(1, "") + pb_field(2, 13)) +
                  pb_field(8, pb_field(1, "com.example") + pb_field(2, 1)) +
                  pb_field(7, pb_field(1, onnx_node("Relu", ["x"], ["a"], "r")) +
                           pb_field(1, onnx_node("Warp", ["a"], ["y"], "w", "com.example")) +
                           pb_field(11, onnx_value_info("x", 1, [1, 3, 8, 8])) +
                           pb_field(12, onnx_value_info("y", 1, [1, 3, 8, 8]))))
        path2 = write_tmp(tmp, "custom.onnx", model2)
        rc, out, err = vrt("inspect", path2, "--json", expect=1)
        doc = json.loads(out)
        check(doc["unsupported_ops"] == ["Warp"], "custom domain op not listed: %r" % doc["unsupported_ops"])
        check({"domain": "com.example", "version": 1} in doc["opsets"], "custom opset not listed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_bench_cmd():
    rc, out, err = vrt("bench", data(SQZ), "--iters", "3", "--warmup", "1", "--threads", "2", "--json", expect=0)
    doc = json.loads(out)
    check(doc["iters"] == 3 and doc["threads"] == 2 and doc["backend"] == "cpu", "bench JSON fields %r" % doc)
    check(0 < doc["min_ms"] <= doc["p50_ms"] <= doc["p90_ms"] <= doc["p99_ms"] <= doc["max_ms"], "percentiles not ordered")
    # --precision fills vrt_engine_options.precision (the cpu backend computes in fp32 whatever it says).
    rc, out, err = vrt("bench", data(SQZ), "--iters", "1", "--warmup", "0", "--precision", "fp32", "--json", expect=0)
    check(json.loads(out)["iters"] == 1, "bench --precision fp32")
    rc, out, err = vrt("bench", data(SQZ), "--precision", "half", expect=2)
    check("--precision 'half'" in err and "fp16, fp32 or tf32" in err, "bad --precision: %r" % err)


def case_fetch_models():
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "fetch-models")
    def run(*args):
        p = subprocess.run([script] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        print("$ fetch-models %s -> %d" % (" ".join(args), p.returncode))
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    rc, out, err = run("--help")
    check(rc == 0 and "usage: scripts/fetch-models" in out and "squeezenet" in out and "yolox" in out, "--help")
    rc, out, err = run("--list")
    # The pinned checksums are those of the shared data's provenance table (the same files).
    for sha in ("21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233",
                "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14"):
        check(sha in out, "--list lacks sha256 %s" % sha)
    rc, out, err = run("--bogus")
    check(rc == 2 and "unknown option '--bogus'" in err, "bad option must exit 2")
    rc, out, err = run("resnet")
    check(rc == 2 and "unknown model 'resnet'" in err, "unknown model must exit 2")
    rc, out, err = run("--dest")
    check(rc == 2 and "needs a value" in err, "--dest without a value must exit 2")
    # Files already present and correct are verified offline and kept (no download).
    tmp = tempfile.mkdtemp(prefix="vrt-fetch-")
    try:
        for f in ("yolox_nano.onnx", "coco_classes.txt"):
            shutil.copy(data("models/yolox_nano/" + f), tmp)
        rc, out, err = run("--dest", tmp, "yolox")
        check(rc == 0 and out.count("sha256 verified") == 2, "present files not verified: %r %r" % (out, err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_cases(namespace):
    """The command line of every tests/cli/test_*.py: --vrt PATH [--preload LIB] [--sanitize 0|1]
    [--version V] CASE, running the function case_CASE of namespace (the caller's globals())."""
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrt", required=True)
    ap.add_argument("--preload", default="")
    ap.add_argument("--sanitize", type=int, default=0)
    ap.add_argument("--version", default="")
    ap.add_argument("--gen", default="")  # generated test models (test_profiles.py reads it itself)
    ap.add_argument("case")
    ARGS = ap.parse_args()
    fn = namespace.get("case_" + ARGS.case)
    if not fn:
        print("unknown case %r" % ARGS.case)
        return 1
    try:
        fn()
    except Skip as e:
        print("[ SKIP ] %s: %s" % (ARGS.case, e))
        return SKIP
    except Fail as e:
        print("[ FAIL ] %s: %s" % (ARGS.case, e))
        return 1
    print("[ PASS ] %s" % ARGS.case)
    return 0


if __name__ == "__main__":
    sys.exit(run_cases(globals()))
