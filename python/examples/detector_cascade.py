#!/usr/bin/env python3
"""Detector + classifier cascade: YOLOX finds objects, a classifier labels every box's crop
(DeepStream's primary/secondary inference; vrt/session.h cascades, one CUDA graph per frame).

    python3 detector_cascade.py yolox_nano.onnx SqueezeNet_fp16.onnx --source image:street.jpg

Frames come from visionrt.Source as numpy arrays (views of the library's buffers, no copy) and go
through Session.run; each Detection carries .secondary, the classifier's top classes for its crop.
"""
import argparse
import os

import visionrt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("detector")
    ap.add_argument("classifier")
    ap.add_argument("--source", default="/dev/video0" if os.path.exists("/dev/video0") else "synthetic:")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--frames", type=int, default=10)
    a = ap.parse_args()
    src = visionrt.Source(a.source, format="RGB24")
    info = src.info
    s = visionrt.Session(a.detector, backend=a.backend, width=info["width"], height=info["height"],
                         cascade=a.classifier)
    for n, frame in enumerate(src):
        r = s.run(frame)
        print("frame %d: %d boxes (detector %.2f ms, crops + classifier %.2f ms)" % (
            n, len(r.detections), r.times["model"] / 1e6, r.times.get("secondary", 0) / 1e6))
        for d in r.detections:
            what = ", ".join("%s %.2f" % (c.label or c.index, c.score) for c in d.secondary[:2]) or "-"
            print("  %-12s %.2f  [%4.0f %4.0f %4.0f %4.0f]  -> %s" % (d.label or d.class_id, d.score, d.x1, d.y1,
                                                                     d.x2, d.y2, what))
        if n + 1 >= a.frames:
            break


if __name__ == "__main__":
    main()
