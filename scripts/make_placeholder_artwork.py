"""Draw the neutral placeholder artwork of certificates as JPEG (static/certificates/*-placeholder.jpg).

Why JPEG: a raster image is embedded once per PDF and referenced by every page, where an SVG is redrawn on
each page (about 3 ms a page in a batch); and WeasyPrint copies a JPEG into the PDF as it is, where it
decodes and re-compresses a PNG for every document (about 90 ms for this border with its transparency).
The artwork sits on white paper, so it needs no transparency. The SVG files beside them are the same
drawings, kept as the readable source. Run from the project root:
`.venv/bin/python scripts/make_placeholder_artwork.py`.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

GOLD = (184, 134, 11)
OUT = Path(__file__).resolve().parent.parent / "static" / "certificates"


def border(px_per_mm: int = 5) -> Image.Image:
    """The double-line frame of a 400 × 300 mm sheet (stretched to the page by the CSS)."""
    s = px_per_mm
    img = Image.new("RGB", (400 * s, 300 * s), (255, 255, 255))
    d = ImageDraw.Draw(img)

    def rect(x, y, w, h, width):
        d.rectangle([x * s, y * s, (x + w) * s, (y + h) * s], outline=GOLD, width=max(1, round(width * s)))

    rect(12, 10, 376, 280, 2.2)
    rect(16, 14, 368, 272, 0.6)
    rect(36, 31, 328, 238, 0.6)
    rect(39, 34, 322, 232, 1.4)
    line = max(1, round(0.8 * s))
    for x0, y0, x1, y1 in ((16, 14, 36, 31), (384, 14, 364, 31), (16, 286, 36, 269), (384, 286, 364, 269)):
        d.line([x0 * s, y0 * s, x1 * s, y1 * s], fill=GOLD, width=line)
    for poly in (
        [(26, 22.5), (32, 22.5), (26, 27.5)], [(374, 22.5), (368, 22.5), (374, 27.5)],
        [(26, 277.5), (32, 277.5), (26, 272.5)], [(374, 277.5), (368, 277.5), (374, 272.5)],
        [(200, 14), (206, 22.5), (200, 31), (194, 22.5)], [(200, 269), (206, 277.5), (200, 286), (194, 277.5)],
        [(16, 150), (26, 144), (36, 150), (26, 156)], [(364, 150), (374, 144), (384, 150), (374, 156)],
    ):
        points = [(x * s, y * s) for x, y in poly]
        d.line([*points, points[0]], fill=GOLD, width=line, joint="curve")
    return img


def emblem(size: int = 400) -> Image.Image:
    """A circle with a five-pointed star: deliberately NOT the national emblem."""
    k = size / 100
    img = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse([3 * k, 3 * k, 97 * k, 97 * k], outline=GOLD, width=round(3 * k))
    for i in range(48):  # the dashed inner circle
        a0, a1 = 2 * math.pi * i / 48, 2 * math.pi * (i + 0.6) / 48
        d.arc([10 * k, 10 * k, 90 * k, 90 * k], math.degrees(a0), math.degrees(a1), fill=GOLD, width=round(k))
    star = [(50, 18), (57.6, 40.5), (81.4, 40.8), (62.3, 55), (69.4, 77.7), (50, 64), (30.6, 77.7), (37.7, 55),
            (18.6, 40.8), (42.4, 40.5)]
    points = [(x * k, y * k) for x, y in star]
    d.line([*points, points[0], points[1]], fill=GOLD, width=round(2.5 * k), joint="curve")
    return img


if __name__ == "__main__":
    border().save(OUT / "border-placeholder.jpg", quality=90, optimize=True)
    emblem().save(OUT / "emblem-placeholder.jpg", quality=90, optimize=True)
    print("written:", *(p.name for p in sorted(OUT.glob("*-placeholder.jpg"))))
