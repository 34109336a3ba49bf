#!/usr/bin/env python3
"""YOLO + depth: a detector and a depth model on the same frame, and how near each detected object is
(the median depth inside its box, Result.depth_median).

    python3 yolo_depth.py yolov8n.onnx depth_anything_v2_vits.onnx --source video.mp4
    python3 yolo_depth.py yolox_nano.onnx depth.onnx --detector-profile models/yolox.conf \\
            --depth-profile models/depth-anything.conf                    # /dev/video0, else synthetic:

Two Sessions take the same numpy frame (each copies it into its own slot). Depth Anything predicts
relative inverse depth: larger is nearer, without a unit; "near" below is the median normalised to
0..1 over the frame (1 = the nearest thing in view). On the CUDA backend the depth map also stays on
the GPU for other GPU code: torch.from_dlpack(depth.device_map("depth_raw")) right after run().
"""
import argparse
import os

import visionrt


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("detector")
    ap.add_argument("depth")
    ap.add_argument("--detector-profile", help="default: the profile matching the model's name")
    ap.add_argument("--depth-profile", help="default: the profile matching the model's name")
    ap.add_argument("--source", default="/dev/video0" if os.path.exists("/dev/video0") else "synthetic:")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--frames", type=int, default=10, help="stop after N frames (0: until the source ends)")
    a = ap.parse_args(argv)
    with visionrt.Source(a.source, format="RGB24") as src:
        w, h = src.info["width"], src.info["height"]
        det = visionrt.Session(a.detector, a.detector_profile, a.backend, width=w, height=h)
        depth = visionrt.Session(a.depth, a.depth_profile, a.backend, width=w, height=h)
        for n, frame in enumerate(src):
            boxes, d = det.run(frame), depth.run(frame)
            print("frame %d: %d objects (detector %.2f ms, depth %.2f ms)" % (
                n, len(boxes.detections), boxes.times["model"] / 1e6, d.times["model"] / 1e6))
            for o in boxes.detections:
                med = d.depth_median(o)  # (raw, normalised) or None when the box holds no valid pixel
                near = "near %.2f (raw %.3g)" % (med[1], med[0]) if med else "no depth"
                print("  %-12s %.2f  [%4.0f %4.0f %4.0f %4.0f]  %s" % (o.label or o.class_id, o.score, o.x1, o.y1,
                                                                      o.x2, o.y2, near))
            if a.frames and n + 1 >= a.frames:
                break
        det.close()
        depth.close()


if __name__ == "__main__":
    main()
