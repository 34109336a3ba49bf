#!/usr/bin/env python3
"""A web-viewer client for bench/gpu/outputs_live.sh: reads an MJPEG stream (vrt's http:// sink,
/stream/N: multipart/x-mixed-replace) as a browser would, as fast as it comes, and counts the
JPEGs it got (each checked for its SOI/EOI markers) until the server closes the stream or
--seconds pass. Standard library only (the GPU machine has python3 and nothing to install).

    mjpeg_reader.py URL [--seconds S] [--wait S] [--json FILE]

--wait: how long to retry connecting while the server is starting (the run opens its port
after loading the model). Exit status 0 when at least one good JPEG came.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def connect(url, wait):
    t_end = time.monotonic() + wait
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5)
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            if time.monotonic() > t_end:
                raise SystemExit("mjpeg_reader: %s: cannot connect: %s" % (url, e))
            time.sleep(0.1)


def read_parts(resp, boundary, t_end, st):
    """One part after another: '--BOUNDARY', headers with Content-Length, the JPEG."""
    marker = b"--" + boundary
    while time.monotonic() < t_end:
        line = resp.readline()
        if not line:
            st["closed_by_server"] = True
            return
        if not line.strip().startswith(marker):
            continue
        length = None
        while True:
            h = resp.readline()
            if not h or not h.strip():
                break
            k, _, v = h.decode("latin-1").partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        if length is None:
            st["parts_without_length"] += 1
            continue
        body = resp.read(length)
        if len(body) < length:
            st["closed_by_server"] = True
            return
        ok = body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"
        st["frames" if ok else "bad_frames"] += 1
        st["bytes"] += len(body)
        now = time.monotonic()
        if st["frames"] == 1 and ok:
            st["first_frame_s"] = round(now - st["_t0"], 3)
        st["_last"] = now


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--wait", type=float, default=30.0)
    ap.add_argument("--json")
    a = ap.parse_args()
    t0 = time.monotonic()
    resp = connect(a.url, a.wait)
    ctype = resp.headers.get("Content-Type", "")
    if not ctype.startswith("multipart/x-mixed-replace") or "boundary=" not in ctype:
        raise SystemExit("mjpeg_reader: %s: not an MJPEG stream (Content-Type %r)" % (a.url, ctype))
    boundary = ctype.split("boundary=", 1)[1].strip().strip('"').encode()
    st = {"url": a.url, "frames": 0, "bad_frames": 0, "bytes": 0, "parts_without_length": 0,
          "closed_by_server": False, "first_frame_s": None, "_t0": time.monotonic(), "_last": None}
    try:
        read_parts(resp, boundary, time.monotonic() + a.seconds, st)
    except (ConnectionError, OSError) as e:  # the run ended while a JPEG was on its way
        st["closed_by_server"] = True
        st["error"] = str(e)
    span = (st["_last"] or st["_t0"]) - st["_t0"]
    st["seconds"] = round(time.monotonic() - t0, 3)
    st["fps"] = round(st["frames"] / span, 2) if span > 0 else 0.0
    st = {k: v for k, v in st.items() if not k.startswith("_")}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(st, f)
    print("mjpeg_reader: %(frames)d JPEGs (%(bad_frames)d bad) from %(url)s, %(fps).1f fps" % st)
    return 0 if st["frames"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
