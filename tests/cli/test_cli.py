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


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrt", required=True)
    ap.add_argument("--preload", default="")
    ap.add_argument("--sanitize", type=int, default=0)
    ap.add_argument("--version", default="")
    ap.add_argument("case")
    ARGS = ap.parse_args()
    fn = globals().get("case_" + ARGS.case)
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
    sys.exit(main())
