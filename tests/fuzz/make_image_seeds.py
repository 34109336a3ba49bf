#!/usr/bin/env python3
"""Writes tests/fuzz/corpus_image/*.hex: small JPEG and PNG seeds for fuzz_image.

usage: tests/fuzz/make_image_seeds.py [DATA]      (DATA: the test data folder, default $VRT_DATA)

The full COCO photos (100-200 KB) ran at ~10 executions/s under ASan: the fuzzer spent its time
decoding pixels, not exploring the decoders' paths. These re-encodings of two photos at 17x9 to
64x48 cover the same coding modes (JPEG baseline, progressive, 4:4:4/4:2:2/4:2:0, grey, restart
intervals, optimised Huffman tables; PNG RGB, grey, grey+alpha, palette, RGBA, 16-bit grey) in under 4 KB each. Needs Pillow. Each file is hex text with a comment saying what it is.
"""
import io
import os
import sys

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VRT_DATA", os.path.join(ROOT, "..", "shared", "data"))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus_image")
PHOTOS = ["000000000139.jpg", "000000001000.jpg"]


def jpeg(img, **kw):
    b = io.BytesIO()
    img.save(b, "JPEG", **kw)
    return b.getvalue()


def png(img, **kw):
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def cases(photo):
    a = photo.resize((64, 48))
    b = photo.resize((17, 9))
    c = photo.resize((33, 31))
    yield "jpeg_baseline_420_64x48", jpeg(a, quality=60, subsampling=2)
    yield "jpeg_progressive_444_33x31", jpeg(c, quality=70, subsampling=0, progressive=True)
    yield "jpeg_422_optimized_17x9", jpeg(b, quality=80, subsampling=1, optimize=True)
    yield "jpeg_grey_33x31", jpeg(c.convert("L"), quality=50)
    yield "jpeg_restart_64x48", jpeg(a, quality=50, restart_marker_blocks=2)
    yield "png_rgb_33x31", png(c)
    yield "png_grey_17x9", png(b.convert("L"))
    yield "png_grey_alpha_17x9", png(b.convert("LA"))
    yield "png_palette_33x31", png(c.convert("P", palette=Image.ADAPTIVE, colors=16))
    yield "png_rgba_17x9", png(b.convert("RGBA"))
    yield "png_grey16_17x9", png(b.convert("I;16"))


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, name in enumerate(PHOTOS):
        photo = Image.open(os.path.join(DATA, "images", "coco_val2017", name)).convert("RGB")
        for case, data in cases(photo):
            path = os.path.join(OUT, "%s_%d.hex" % (case, i))
            h = data.hex()
            with open(path, "w") as f:
                f.write("# %s of images/coco_val2017/%s (tests/fuzz/make_image_seeds.py), %d bytes\n"
                        % (case, name, len(data)))
                for k in range(0, len(h), 96):
                    f.write(h[k:k + 96] + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
