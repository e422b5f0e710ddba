"""Contact sheets for review: every slide of a deck, and the first handout pages, as PNGs.

`make preview` writes build/NN_slug/preview.png (a thumbnail of every slide, taken in headless
Chromium through Playwright) and preview-worked.png / preview-student.png (the first pages of
each handout, rendered by poppler's pdftoppm); build/index.html shows them.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from . import archive
from .files import write_atomic

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Debian's Chromium, headless, as a well-behaved offline tool: no sandbox (containers, root),
# no GPU, no update checks or other background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SLIDE_SIZE = (1280, 720)  # the deck's Reveal width and height
THUMBNAIL = (384, 216)
COLUMNS = 4
GAP = 12
CAPTION = 14  # room under each thumbnail for its number
HANDOUT_PAGES = 4
HANDOUT_DPI = 40
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
NEAR_EMPTY = 0.3  # a slide whose content ends above this share of its height is near-empty
# Per slide, in slide pixels (Reveal's scale undone): how far its content reaches, which
# elements clip their own content (a scroll box hides code as surely as the slide's edge), and
# what its cells are, so that a slide of output alone can be told from one with its code.
MEASURE = """(slide) => {
  const scale = Reveal.getScale();
  const box = slide.getBoundingClientRect();
  const heading = slide.querySelector('h1, h2');
  const found = {title: (heading || slide).textContent.replace('¶', '').trim().slice(0, 60),
                 bottom: 0, right: 0, left: 0, clipped: [], cells: []};
  for (const el of slide.querySelectorAll('*')) {
    if (el.closest('aside.notes') || el.closest('.deck-chrome')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    found.bottom = Math.max(found.bottom, (r.bottom - box.top) / scale);
    found.right = Math.max(found.right, (r.right - box.left) / scale);
    found.left = Math.min(found.left, (r.left - box.left) / scale);
    const style = getComputedStyle(el);
    const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
    if (clips && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) {
      found.clipped.push(el.tagName.toLowerCase() + '.' + el.className);
    }
  }
  for (const cell of slide.querySelectorAll('.jp-Cell')) {
    if (cell.closest('aside.notes')) continue;
    const prose = cell.querySelector('.jp-RenderedMarkdown');
    const parts = {
      prose: prose !== null,
      heading_only: prose !== null && prose.children.length > 0 &&
        Array.from(prose.children).every(c => /^H[1-6]$/.test(c.tagName)),
      input: prose === null && cell.querySelector('.jp-InputArea-editor') !== null,
      output: prose === null && cell.querySelector('.jp-OutputArea-output') !== null,
    };
    found.cells.push(parts);
  }
  return found;
}"""


def find_chromium() -> str | None:
    """The Chromium executable to drive: $CHROMIUM, Debian's, or one on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def preview_course(root: Path, selected: list[str]) -> int:
    """Write the contact sheets of every built lesson (or the ones named); the exit code."""
    decks = built_decks(root, selected)
    if not decks:
        print("preview: nothing built yet; run `make build` first", file=sys.stderr)
        return 1
    chromium = find_chromium()
    if chromium is None:
        print(
            "preview: no Chromium found (looked for $CHROMIUM, "
            f"{', '.join(CHROMIUM_CANDIDATES)}, chromium on the PATH); "
            "install it (`apt-get install chromium`) or set CHROMIUM",
            file=sys.stderr,
        )
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for deck in decks:
                shots = slide_screenshots(browser, deck)
                write_atomic(deck.parent / "preview.png", contact_sheet(shots))
                print(f"  {deck.parent.name:<34} preview.png: {review_line(browser, deck)}")
        finally:
            browser.close()
    for deck in decks:
        _preview_handouts(deck)
    return 0


def built_decks(root: Path, selected: list[str]) -> list[Path]:
    """The deck of every lesson in build/ that has one (only the selected, when named)."""
    decks = []
    for folder in sorted((root / "build").glob("[0-9][0-9]_*")):
        wanted = {Path(s).stem for s in selected} | {Path(s).stem[:2] for s in selected}
        if selected and folder.name not in wanted and folder.name[:2] not in wanted:
            continue
        manifest = archive.read_manifest(folder)
        names = manifest.artifacts if manifest else ()
        decks += [folder / n for n in names if n.endswith(".slides.html")]
    return decks


def measure_slides(page) -> list[dict]:
    """Every slide of the deck open in `page` measured (MEASURE), in order."""
    slides = []
    for index in range(page.evaluate("() => Reveal.getSlides().length")):
        page.evaluate(
            f"() => {{ const s = Reveal.getSlides()[{index}]; "
            "const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }"
        )
        page.evaluate(NEXT_FRAME)
        handle = page.evaluate_handle(f"() => Reveal.getSlides()[{index}]")
        slides.append(page.evaluate(MEASURE, handle))
    return slides


def slide_problems(slides: list[dict], size: tuple[int, int] = SLIDE_SIZE) -> dict[str, list]:
    """The slide numbers (from 1) that break the deck's layout rules, by rule."""
    width, height = size
    problems: dict[str, list] = {"overflow": [], "near-empty": [], "output-only": []}
    for number, slide in enumerate(slides, start=1):
        if slide["bottom"] > height + 1 or slide["right"] > width + 1 or slide["left"] < -1:
            problems["overflow"].append(number)
        elif slide["clipped"]:
            problems["overflow"].append(number)
        if number > 1 and _near_empty(slides, number - 1, height):
            problems["near-empty"].append(number)
        if number > 1 and _output_only(slide, slides[number - 2]):
            problems["output-only"].append(number)
    return problems


def deck_summary(slides: list[dict]) -> dict[str, int]:
    """Counts for a review: slides, "(cont.)" slides, and slides that break a layout rule."""
    summary = {"slides": len(slides), "cont": sum(_continued(s) for s in slides)}
    summary.update({rule: len(found) for rule, found in slide_problems(slides).items()})
    return summary


def _continued(slide: dict) -> bool:
    return slide["title"].endswith("(cont.)")


def _near_empty(slides: list[dict], index: int, height: int) -> bool:
    """A thin slide whose neighbour (its own continuation) could have taken its content.

    A slide with a heading of its own (a section title, a short statement) is exempt: a new
    heading always starts a new slide, so no neighbour may take its content.
    """
    if slides[index]["bottom"] >= NEAR_EMPTY * height:
        return False
    follows = index + 1 < len(slides) and _continued(slides[index + 1])
    return _continued(slides[index]) or follows


def _output_only(slide: dict, previous: dict) -> bool:
    """Output with no code on a slide right after a slide that ends with code and no output."""
    body = [c for c in slide["cells"] if not c["heading_only"]]
    before = previous["cells"][-1] if previous["cells"] else None
    ends_with_code = before is not None and before["input"] and not before["output"]
    lone_output = bool(body) and body[0]["output"] and not body[0]["input"]
    return ends_with_code and lone_output


def review_line(browser, deck: Path) -> str:
    """What a reviewer checks first: slide counts, and the slides that break a layout rule."""
    page = browser.new_page(viewport={"width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1]})
    try:
        page.goto(deck.resolve().as_uri())
        page.wait_for_selector(".reveal.ready")
        slides = measure_slides(page)
    finally:
        page.close()
    summary = deck_summary(slides)
    line = f"{summary['slides']} slides ({summary['cont']} continued)"
    for rule, numbers in slide_problems(slides).items():
        line += f"; {rule} {len(numbers)}" + (f" (slides {numbers})" if numbers else "")
    return line


def slide_screenshots(browser, deck: Path) -> list[bytes]:
    """A 1280x720 PNG of every slide, in order, as the audience sees it."""
    page = browser.new_page(viewport={"width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1]})
    try:
        page.goto(deck.resolve().as_uri())
        page.wait_for_selector(".reveal.ready")
        shots = []
        for h, v in page.evaluate(
            "() => Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); "
            "return [i.h, i.v || 0]; })"
        ):
            page.evaluate(f"() => Reveal.slide({h}, {v})")
            page.evaluate(NEXT_FRAME)
            shots.append(page.screenshot())
        return shots
    finally:
        page.close()


def contact_sheet(shots: list[bytes]) -> bytes:
    """Thumbnails in a grid, each captioned with the number of the slide it shows."""
    rows = max(1, -(-len(shots) // COLUMNS))
    cell_w, cell_h = THUMBNAIL[0] + GAP, THUMBNAIL[1] + CAPTION + GAP
    sheet = Image.new("RGB", (COLUMNS * cell_w + GAP, rows * cell_h + GAP), "#5c6670")
    draw = ImageDraw.Draw(sheet)
    for index, shot in enumerate(shots):
        thumb = Image.open(io.BytesIO(shot)).convert("RGB").resize(THUMBNAIL, Image.LANCZOS)
        x, y = GAP + (index % COLUMNS) * cell_w, GAP + (index // COLUMNS) * cell_h
        sheet.paste(thumb, (x, y))
        draw.text((x, y + THUMBNAIL[1] + 3), f"slide {index + 1}", fill="white")
    return _png(sheet)


def handout_strip(pdf: Path, pages: int = HANDOUT_PAGES) -> bytes | None:
    """The first pages of a handout side by side, or None when pdftoppm is missing."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    with tempfile.TemporaryDirectory(prefix="handout-preview-") as tmp:
        first_pages = ["-f", "1", "-l", str(pages), "-r", str(HANDOUT_DPI)]
        subprocess.run([pdftoppm, "-png", *first_pages, pdf, f"{tmp}/p"], check=True)
        images = [Image.open(p).convert("RGB") for p in sorted(Path(tmp).glob("p-*.png"))]
        width = sum(i.width for i in images) + GAP * (len(images) + 1)
        height = max(i.height for i in images) + 2 * GAP
        strip = Image.new("RGB", (width, height), "#5c6670")
        x = GAP
        for image in images:
            strip.paste(image, (x, GAP))
            x += image.width + GAP
        return _png(strip)


def _preview_handouts(deck: Path) -> None:
    stem = deck.name.removesuffix(".slides.html")
    for edition in ("worked", "student"):
        pdf = deck.parent / f"{stem}.{edition}.pdf"
        if not pdf.is_file():
            continue
        strip = handout_strip(pdf)
        if strip is None:
            print(
                "preview: pdftoppm not found, handout pages skipped; "
                "install poppler-utils (`apt-get install poppler-utils`)",
                file=sys.stderr,
            )
            return
        write_atomic(deck.parent / f"preview-{edition}.png", strip)
        print(f"  {deck.parent.name:<34} preview-{edition}.png: first {HANDOUT_PAGES} pages")


def _png(image: Image.Image) -> bytes:
    data = io.BytesIO()
    image.save(data, format="PNG", optimize=True)
    return data.getvalue()
