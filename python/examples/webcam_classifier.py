#!/usr/bin/env python3
"""Webcam classifier: frames from a camera (or any source URI) through a classifier, top-1 per frame.

    python3 webcam_classifier.py SqueezeNet_fp16.onnx                    # /dev/video0, else synthetic:
    python3 webcam_classifier.py resnet50.onnx --source video.mp4 --profile models/resnet50.conf

The pipeline runs capture and the model on the library's threads (newest frame wins, drops counted);
this loop only prints. Ctrl-C stops it cleanly.
"""
import argparse
import os

import visionrt


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--profile", help="default: the profile matching the model's name")
    ap.add_argument("--source", default="/dev/video0" if os.path.exists("/dev/video0") else "synthetic:")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--frames", type=int, default=0, help="stop after N results (0: until Ctrl-C)")
    a = ap.parse_args(argv)
    with visionrt.Pipeline([a.source], a.model, a.profile, backend=a.backend, max_frames=a.frames) as p:
        try:
            for r in p:
                top = r.classes[0]
                print("frame %5d  %-30s %.3f   model %.2f ms" % (r.index, top.label or top.index, top.score,
                                                                 r.times["model"] / 1e6))
        except KeyboardInterrupt:
            pass
        s = p.stats[0]
        print("%d results, %.1f fps, %d dropped" % (s["results"], s["fps"], s["dropped"]))


if __name__ == "__main__":
    main()
