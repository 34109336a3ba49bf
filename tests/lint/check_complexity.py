#!/usr/bin/env python3
"""Complexity limits for src/: no function longer than 150 lines or with a cyclomatic
complexity over 40, measured with lizard (PyPI) on every .c/.h/.cu/.cuh file.

Known violations are listed in complexity_allow.txt (function, file, reason). The check
fails on a violation that is not listed AND on a listed function that is now within the
limits or gone, so the list can only shrink: remove the line when you fix a function.

usage: check_complexity.py --root SRC_ROOT [--allow FILE] [--max-length 150] [--max-ccn 40]
                           [--print-violations]
Exit status: 0 clean, 1 a violation or a stale allowlist line, 77 lizard not found (skip).
"""
import argparse
import os
import sys

LIZARD_VERSION = "1.24.3"  # keep in step with scripts/quickstart (tools venv)


def find_lizard(root, build_dir):
    """Imports lizard, or re-runs this script with a Python that has it (the tools venv
    that ./scripts/quickstart test creates). Returns the module or exits 77."""
    try:
        import lizard  # noqa: F401

        return lizard
    except ImportError:
        pass
    candidates = []
    if os.environ.get("VRT_LIZARD_PYTHON"):
        candidates.append(os.environ["VRT_LIZARD_PYTHON"])
    for base in (build_dir, os.path.join(root, "build")):
        if base:
            candidates.append(os.path.join(base, ".venv-tools", "bin", "python3"))
    if os.environ.get("VRT_LINT_REEXEC") != "1":
        for py in candidates:
            if os.path.isfile(py) and os.access(py, os.X_OK):
                os.environ["VRT_LINT_REEXEC"] = "1"
                os.execv(py, [py] + sys.argv)
    print(
        "SKIP: lizard (PyPI) not found: looked in this Python (%s) and %s.\n"
        "./scripts/quickstart test installs it into build/.venv-tools; by hand:\n"
        "  python3 -m venv build/.venv-tools && build/.venv-tools/bin/pip install lizard==%s"
        % (sys.executable, ", ".join(candidates) or "no venv", LIZARD_VERSION)
    )
    sys.exit(77)


def source_files(src):
    for d, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".h", ".cu", ".cuh")):
                yield os.path.join(d, f)


def measure(lizard, root, max_len, max_ccn):
    """{(function, path relative to root): (length, ccn, line)} over the limits."""
    out = {}
    for path in source_files(os.path.join(root, "src")):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as f:
            code = f.read()
        # lizard picks its reader by file name: CUDA sources are read as C++.
        name = path + ".cpp" if path.endswith((".cu", ".cuh")) else path
        info = lizard.analyze_file.analyze_source_code(name, code)
        for fn in info.function_list:
            if fn.length > max_len or fn.cyclomatic_complexity > max_ccn:
                key = (fn.name, rel)
                prev = out.get(key)
                cur = (fn.length, fn.cyclomatic_complexity, fn.start_line)
                if prev is None or cur[:2] > prev[:2]:
                    out[key] = cur
    return out


def read_allow(path):
    allow = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                print("%s:%d: expected 'function file reason', got: %s" % (path, n, line))
                sys.exit(1)
            allow[(parts[0], parts[1])] = (parts[2], n)
    return allow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True, help="source tree (holds src/)")
    ap.add_argument("--build-dir", default="", help="build tree (may hold .venv-tools)")
    ap.add_argument("--allow", default=os.path.join(os.path.dirname(__file__), "complexity_allow.txt"))
    ap.add_argument("--max-length", type=int, default=150)
    ap.add_argument("--max-ccn", type=int, default=40)
    ap.add_argument("--print-violations", action="store_true", help="list every violation as allowlist lines")
    a = ap.parse_args()
    lizard = find_lizard(a.root, a.build_dir)
    found = measure(lizard, a.root, a.max_length, a.max_ccn)
    if a.print_violations:
        for (fn, rel), (length, ccn, line) in sorted(found.items(), key=lambda kv: (kv[0][1], kv[1][2])):
            print("%-36s %-48s length %d, CCN %d" % (fn, rel, length, ccn))
        return 0
    allow = read_allow(a.allow)
    limits = "%d lines, cyclomatic complexity %d" % (a.max_length, a.max_ccn)
    new = sorted(k for k in found if k not in allow)
    stale = sorted((k for k in allow if k not in found), key=lambda k: allow[k][1])
    for fn, rel in new:
        length, ccn, line = found[(fn, rel)]
        print(
            "%s:%d: %s: %d lines, cyclomatic complexity %d (limits: %s): split it into named steps"
            % (rel, line, fn, length, ccn, limits)
        )
    for fn, rel in stale:
        print(
            "%s:%d: '%s %s' is listed but is now within the limits (or gone): remove the line"
            % (os.path.relpath(a.allow, a.root), allow[(fn, rel)][1], fn, rel)
        )
    listed = len(allow) - len(stale)
    print(
        "lizard %s: %d functions over the limits (%s), %d of them listed in %s; %d new, %d stale"
        % (lizard.version if hasattr(lizard, "version") else "?", len(found), limits, listed,
           os.path.basename(a.allow), len(new), len(stale))
    )
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
