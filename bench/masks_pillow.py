"""Pillow's side of bench/masks.bench.ts: ImageDraw.polygon + PNG save (default settings) of the
same polygons, timed here so that interpreter start-up is not counted.

usage: masks_pillow.py POLYGONS.json MODE ROUNDS
MODE: L (8-bit), I;16 (drawn directly on a 16-bit image), I>I;16 (drawn on a 32-bit image and
converted to 16-bit before saving). Prints one JSON object.
"""
import io
import json
import sys
import time

try:
    import PIL
    from PIL import Image, ImageDraw
except ImportError:
    print(json.dumps({"error": "Pillow is missing"}))
    sys.exit(3)


def main():
    path, mode, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path) as f:
        data = json.load(f)
    width, height = data["width"], data["height"]
    key = "value" if mode == "L" else "value16"
    images = [
        [(polygon[key], [tuple(p) for p in polygon["points"]]) for polygon in image]
        for image in data["images"]
    ]

    def mask(polygons):
        image = Image.new("I" if mode == "I>I;16" else mode, (width, height), 0)
        draw = ImageDraw.Draw(image)
        for value, points in polygons:
            draw.polygon(points, fill=value)
        if mode == "I>I;16":
            image = image.convert("I;16")
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getbuffer().nbytes, image

    mask(images[0])
    total_bytes = 0
    count = 0
    start = time.perf_counter()
    for _ in range(rounds):
        for polygons in images:
            size, _ = mask(polygons)
            total_bytes += size
            count += 1
    seconds = time.perf_counter() - start

    _, first = mask(images[0])
    # What the first mask holds, so that both sides can be seen to draw the same shapes.
    values = sorted(v for v in set(first.getdata()) if v != 0) if mode != "L" else None
    foreground = (
        width * height - first.histogram()[0] if mode == "L" else sum(1 for v in first.getdata() if v)
    )
    print(
        json.dumps(
            {
                "pillow": PIL.__version__,
                "masks": count,
                "seconds": seconds,
                "bytes": total_bytes / count,
                "foreground": foreground,
                "values": values[:5] if values else None,
            }
        )
    )


main()
