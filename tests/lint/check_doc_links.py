#!/usr/bin/env python3
"""Every relative link in the tracked Markdown files resolves: the file exists and, for
"file#anchor", the file has a heading with that anchor (GitHub's slug: lower case, punctuation
dropped, spaces to '-'). Links inside code blocks and absolute URLs are not checked.

usage: check_doc_links.py SOURCE_ROOT       exit 0 clean, 1 a broken link
"""
import os
import re
import subprocess
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def slug(text):
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def markdown_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "*.md"], capture_output=True, text=True, check=True)
        files = [f for f in out.stdout.splitlines() if os.path.isfile(os.path.join(root, f))]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
        found += [os.path.relpath(os.path.join(d, n), root) for n in names if n.endswith(".md")]
    return sorted(found)


def anchors(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            cache[path] = {slug(h) for h in HEADING.findall(FENCE.sub("", f.read()))}
    return cache[path]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = markdown_files(root)
    bad = 0
    for rel in files:
        path = os.path.join(root, rel)
        with open(path, encoding="utf-8") as f:
            text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), f.read())
        for m in LINK.finditer(text):
            link = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto: ...
                continue
            target, _, anchor = link.partition("#")
            tpath = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
            line = text.count("\n", 0, m.start()) + 1
            if not os.path.exists(tpath):
                print("%s:%d: link to '%s': no such file" % (rel, line, link))
                bad += 1
            elif anchor and os.path.isfile(tpath) and tpath.endswith(".md") and anchor not in anchors(tpath):
                print("%s:%d: link to '%s': no heading with that anchor in %s" % (rel, line, link, target or rel))
                bad += 1
    print("%d Markdown files, %d broken links" % (len(files), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
