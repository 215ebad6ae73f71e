"""The plain script an export of type `both` is measured against (bench/both.bench.ts).

What a person writes to export a project by hand: read the COCO file, write YOLO (Darknet) labels
and the COCO file again, and zip them with the images (stored, as the images are PNG). Prints one
JSON line: seconds (inside Python, after start-up) and items per second.

    python3 bench/plain_export.py annotations.json images/ out.zip
"""
import json
import sys
import time
import zipfile
from collections import defaultdict


def yolo_lines(annotations, image, class_index):
    width, height = image["width"], image["height"]
    for annotation in annotations:
        x, y, w, h = annotation["bbox"]
        yield "%d %.6f %.6f %.6f %.6f" % (
            class_index[annotation["category_id"]],
            (x + w / 2) / width,
            (y + h / 2) / height,
            w / width,
            h / height,
        )


def export(coco_path, images_dir, out_path):
    with open(coco_path) as f:
        coco = json.load(f)
    by_image = defaultdict(list)
    for annotation in coco["annotations"]:
        by_image[annotation["image_id"]].append(annotation)
    class_index = {c["id"]: i for i, c in enumerate(sorted(coco["categories"], key=lambda c: c["id"]))}
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as archive:
        for image in coco["images"]:
            archive.write(f"{images_dir}/{image['file_name']}", f"images/{image['file_name']}")
            stem = image["file_name"].rsplit(".", 1)[0]
            lines = yolo_lines(by_image[image["id"]], image, class_index)
            archive.writestr(f"labels/{stem}.txt", "\n".join(lines) + "\n")
        archive.writestr("obj.names", "".join(c["name"] + "\n" for c in coco["categories"]))
        archive.writestr("annotations/coco.json", json.dumps(coco), zipfile.ZIP_DEFLATED)
    return len(coco["images"])


if __name__ == "__main__":
    started = time.perf_counter()
    items = export(*sys.argv[1:4])
    seconds = time.perf_counter() - started
    print(json.dumps({"items": items, "seconds": seconds, "itemsPerSecond": items / seconds}))
