#!/usr/bin/env python3
"""The bad-input catalogue (tests/cli/bad_inputs.tsv): every bad input of every
command must give one clear message and the documented exit status, never a
crash, a hang, a sanitizer report or a silent success.

Usage: test_bad_inputs.py --vrt PATH --table FILE [--preload LIB] [--sanitize 0|1] CASE|--all|--list

Each row of the table: case, expected exit status, a message fragment that
stdout+stderr must contain (case-insensitive; '-' for none), the command
(vrt's arguments, split on spaces; a token starting with '>' redirects
stdout to that file), and optional checks after it separated by ' ;; ':
  unchanged:FILE   the file still has the content the fixture gave it
  absent:FILE      no such file exists afterwards
  fake:SPEC        run under the fake V4L2 device (LD_PRELOAD) with this spec
Placeholders: {D} the test data folder (rows using it skip without it),
{B} tests/cli/bad_models, {M} models/ of the source tree, {T} a fresh folder
of fixtures (made below) per case, {SQ} SqueezeNet, {IMG} a COCO photo.

Exit status: 0 pass, 1 fail, 77 skip. Only the Python standard library.
"""
import argparse
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77


def read_table(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise SystemExit("%s:%d: want 4 tab-separated columns, got %d" % (path, n, len(parts)))
            case, code, frag, cmd = parts
            checks = []
            if " ;; " in cmd:
                cmd, rest = cmd.split(" ;; ", 1)
                checks = [c.strip() for c in rest.split(" ;; ")]
            rows.append({"case": case.strip(), "code": int(code), "frag": frag.strip(), "cmd": cmd.strip(),
                         "checks": checks})
    return rows


def png_bytes(w, h, data_rows=1):
    """A PNG whose header claims w x h, with (too little) data for data_rows rows."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\0" + b"\x80" * (3 * min(w, 64)) for _ in range(data_rows))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_with_size(src, w, h):
    """The JPEG src with its frame header (SOF0/SOF2) claiming w x h."""
    b = bytearray(open(src, "rb").read())
    i = 2
    while i + 9 < len(b):
        if b[i] != 0xFF:
            break
        m = b[i + 1]
        ln = (b[i + 2] << 8) | b[i + 3]
        if m in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", b, i + 5, h, w)
            return bytes(b)
        i += 2 + ln
    raise RuntimeError("no SOF marker in " + src)


def make_fixtures(t, data):
    """The files the rows name as {T}/...: made fresh for every case."""
    def write(name, content, mode="wb"):
        with open(os.path.join(t, name), mode) as f:
            f.write(content)
    write("empty.onnx", b"")
    write("text.onnx", b"this is not a model\n")
    write("garbage.onnx", bytes(range(256)) * 8)
    os.mkdir(os.path.join(t, "dir.onnx"))
    os.mkfifo(os.path.join(t, "fifo.onnx"))
    write("empty.jpg", b"")
    write("text.jpg", b"not an image at all\n")
    write("labels_short.txt", b"cat\n")
    write("old.jsonl", b"OLD JSONL\n")
    write("old.html", b"OLD REPORT\n")
    write("huge.png", png_bytes(65000, 65000))
    write("trunc.png", png_bytes(64, 64, data_rows=3))
    write("odd.raw", b"\0" * 100)
    for name in ("external_fifo", "external_dot"):
        d = os.path.join(t, name)
        os.mkdir(d)
        shutil.copy(os.path.join(HERE, "bad_models", name + ".onnx"), d)
    os.mkfifo(os.path.join(t, "external_fifo", "fifo.bin"))
    img = os.path.join(data, "images", "coco_val2017", "000000000139.jpg") if data else None
    if img and os.path.exists(img):
        b = open(img, "rb").read()
        write("trunc.jpg", b[: len(b) // 3])
        write("huge.jpg", jpeg_with_size(img, 65000, 65000))
        write("odd.jpg", jpeg_with_size(img, 0, 0))


def substitute(tok, subs):
    for k, v in subs.items():
        tok = tok.replace("{%s}" % k, v)
    return tok


def run_case(args, row, data):
    needs_data = "{D}" in row["cmd"] or "{SQ}" in row["cmd"] or "{IMG}" in row["cmd"]
    if needs_data and not data:
        print("SKIP %s: test data not found (set VRT_DATA)" % row["case"])
        return SKIP
    t = tempfile.mkdtemp(prefix="vrt_bad_")
    try:
        make_fixtures(t, data)
        subs = {"D": data or "", "B": os.path.join(HERE, "bad_models"), "M": os.path.join(ROOT, "models"), "T": t,
                "SQ": os.path.join(data or "", "models", "squeezenet1.0_fp16", "SqueezeNet_fp16.onnx"),
                "IMG": os.path.join(data or "", "images", "coco_val2017", "000000000139.jpg"),
                "LONG": os.path.join(t, *(["d" * 200] * 30))}
        argv, out_path = [], None
        for tok in row["cmd"].split(" "):
            if not tok:
                continue
            tok = substitute(tok, subs)
            if tok.startswith(">"):
                out_path = tok[1:]
            else:
                argv.append(tok)
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if args.sanitize:
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=1") + ":exitcode=86"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=86"
        for c in row["checks"]:
            if c.startswith("fake:"):
                if not args.preload:
                    print("SKIP %s: the fake V4L2 preload library is not built" % row["case"])
                    return SKIP
                env["LD_PRELOAD"] = args.preload
                env["VRT_FAKE_V4L2"] = c[5:]
                if args.sanitize:
                    env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
        before = {}
        for c in row["checks"]:
            if c.startswith("unchanged:"):
                p = substitute(c[10:], subs)
                before[p] = open(p, "rb").read()
        stdout = open(out_path, "wb") if out_path else subprocess.PIPE
        print("$ vrt " + " ".join(argv) + (" > " + out_path if out_path else ""))
        try:
            p = subprocess.run([args.vrt] + argv, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=90,
                               cwd=t)
        except subprocess.TimeoutExpired:
            print("FAIL %s: no answer within 90 s (a hang)" % row["case"])
            return 1
        finally:
            if out_path:
                stdout.close()
        out = (p.stdout or b"").decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
        for line in out.splitlines()[-12:]:
            print("  | " + line[:400])
        print("  exit %d" % p.returncode)
        ok = True
        if "Sanitizer" in out or "runtime error:" in out:
            print("FAIL %s: sanitizer report" % row["case"])
            ok = False
        if p.returncode < 0:
            print("FAIL %s: killed by signal %d" % (row["case"], -p.returncode))
            ok = False
        if p.returncode != row["code"]:
            print("FAIL %s: exit %d, expected %d" % (row["case"], p.returncode, row["code"]))
            ok = False
        if row["frag"] != "-" and row["frag"].lower() not in out.lower():
            print("FAIL %s: the output lacks %r" % (row["case"], row["frag"]))
            ok = False
        for path, content in before.items():
            if not os.path.exists(path) or open(path, "rb").read() != content:
                print("FAIL %s: %s was changed or removed" % (row["case"], path))
                ok = False
        for c in row["checks"]:
            if c.startswith("absent:"):
                pat = substitute(c[7:], subs)
                d, base = os.path.split(pat)
                left = [f for f in os.listdir(d) if f.startswith(base)]
                if left:
                    print("FAIL %s: left behind %s" % (row["case"], left))
                    ok = False
        print(("PASS " if ok else "") + row["case"] if ok else "")
        return 0 if ok else 1
    finally:
        for root, dirs, _ in os.walk(t):
            for d in dirs:
                os.chmod(os.path.join(root, d), stat.S_IRWXU)
        shutil.rmtree(t, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrt", required=True)
    ap.add_argument("--table", default=os.path.join(HERE, "bad_inputs.tsv"))
    ap.add_argument("--preload", default="")
    ap.add_argument("--sanitize", type=int, default=0)
    ap.add_argument("case", nargs="?", default="--all")
    args = ap.parse_args()
    rows = read_table(args.table)
    names = [r["case"] for r in rows]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate case names in " + args.table)
    if args.case == "--list":
        print(";".join(names))
        return 0
    data = os.environ.get("VRT_DATA", "")
    if not data or not os.path.isdir(os.path.join(data, "models")):
        data = ""
    todo = rows if args.case == "--all" else [r for r in rows if r["case"] == args.case]
    if not todo:
        raise SystemExit("no case %r in %s" % (args.case, args.table))
    results = [run_case(args, r, data) for r in todo]
    if any(r == 1 for r in results):
        return 1
    return SKIP if all(r == SKIP for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
