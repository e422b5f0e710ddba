"""How empty each page of a handout is, measured on the page as printed.

Each page is rendered in grey at 50 dpi with poppler's `pdftoppm` (what a reader sees, not
what the layout intended). A page is as empty as the blank space below its lowest inked row,
as a fraction of the text area (the @page margins, which hold only the running stamp, do not
count). Run it on built handouts:

    .venv/bin/python -m tests.pagefill build/*/*.pdf

Shared by tests/test_handout_pdf.py, which checks that no page but a lesson's last one is
mostly empty.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

DPI = 50
INK = 200  # a grey level below this (of 255) is ink; the answer boxes' rules are lighter
MM = 1 / 25.4  # inches


def margins_mm() -> tuple[float, float]:
    """Top and bottom margin of handout.css's @page rule, in mm."""
    # Imported here so that the script runs from any folder with the repository on the path.
    from tests.test_handout_pdf import MM as PT_PER_MM
    from tests.test_handout_pdf import page_margins

    top, _, bottom, _ = page_margins()
    return top / PT_PER_MM, bottom / PT_PER_MM


def empty_fractions(pdf: Path) -> list[float]:
    """Per page, the fraction of the text area below the last ink (1.0: a blank page)."""
    top_mm, bottom_mm = margins_mm()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(DPI), "-png", str(pdf), f"{folder}/page"],
            check=True,
        )
        pages = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        return [_empty_fraction(Image.open(p), top_mm, bottom_mm) for p in pages]


def _empty_fraction(image: Image.Image, top_mm: float, bottom_mm: float) -> float:
    grey = image.convert("L")
    width, height = grey.size
    first = round(top_mm * MM * DPI)
    last = height - round(bottom_mm * MM * DPI)
    pixels = grey.load()
    inked = [y for y in range(first, last) if any(pixels[x, y] < INK for x in range(width))]
    if not inked:
        return 1.0
    return (last - 1 - inked[-1]) / (last - first)


def main(paths: list[str]) -> None:
    for path in paths:
        fractions = empty_fractions(Path(path))
        cells = " ".join(f"{round(100 * f):3d}" for f in fractions)
        worst = max(fractions[:-1], default=0.0)
        print(f"{Path(path).name}: {len(fractions)} pages, worst but last {worst:.0%}\n  {cells}")


if __name__ == "__main__":
    main(sys.argv[1:])
