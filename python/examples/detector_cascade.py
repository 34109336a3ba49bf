#!/usr/bin/env python3
"""Detector + classifier cascade: a detector finds objects, a classifier labels every box's crop
(DeepStream's primary/secondary inference; vrt/session.h cascades, one CUDA graph per frame).

    python3 detector_cascade.py yolox_nano.onnx SqueezeNet_fp16.onnx --source image:street.jpg
    python3 detector_cascade.py yolox_nano.onnx resnet18.onnx --classes 2,7 --min-size 48 --topk 3

Frames come from visionrt.Source as numpy arrays (views of the library's buffers, no copy) and go
through Session.run; each Detection carries .secondary, the classifier's top classes for its crop.
--classes limits the crops to some detector classes, --min-size skips small boxes, --batch is the
crops per frame at most (the CUDA backend runs the classifier on that batch whole).
"""
import argparse
import os

import visionrt


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("detector")
    ap.add_argument("classifier")
    ap.add_argument("--detector-profile", help="default: the profile matching the model's name")
    ap.add_argument("--classifier-profile", help="default: the profile matching the model's name")
    ap.add_argument("--source", default="/dev/video0" if os.path.exists("/dev/video0") else "synthetic:")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--frames", type=int, default=10, help="stop after N frames (0: until the source ends)")
    ap.add_argument("--classes", help="detector class ids to classify, e.g. 2,7 (default: all)")
    ap.add_argument("--min-size", type=float, default=1.0, help="skip boxes smaller than this (pixels)")
    ap.add_argument("--topk", type=int, default=0, help="classes per crop, 1..5 (default: the profile's)")
    ap.add_argument("--batch", type=int, default=16, help="crops per frame at most, 1..64")
    a = ap.parse_args(argv)
    classes = [int(c) for c in a.classes.split(",")] if a.classes else None
    with visionrt.Source(a.source, format="RGB24") as src:
        info = src.info
        s = visionrt.Session(a.detector, a.detector_profile, a.backend, width=info["width"],
                             height=info["height"], cascade=a.classifier, cascade_profile=a.classifier_profile,
                             cascade_classes=classes, cascade_min_size=a.min_size, cascade_topk=a.topk,
                             cascade_max_batch=a.batch)
        for n, frame in enumerate(src):
            r = s.run(frame)
            print("frame %d: %d boxes (detector %.2f ms, crops + classifier %.2f ms)" % (
                n, len(r.detections), r.times["model"] / 1e6, r.times.get("secondary", 0) / 1e6))
            for d in r.detections:
                what = ", ".join("%s %.2f" % (c.label or c.index, c.score) for c in d.secondary) or "-"
                print("  %-12s %.2f  [%4.0f %4.0f %4.0f %4.0f]  -> %s" % (d.label or d.class_id, d.score, d.x1,
                                                                         d.y1, d.x2, d.y2, what))
            if a.frames and n + 1 >= a.frames:
                break
        s.close()


if __name__ == "__main__":
    main()
