"""SVGs painted from the last render's record (scripts/svgreplay.py): the same bytes and
pages as drawing them, without drawing them again."""

from __future__ import annotations

import base64
import io
import pickle
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image
from weasyprint import HTML

from scripts import build, svgreplay
from scripts.config import load_config
from scripts.lessons import Lessons

SVG = '<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="0 0 100 50">{body}</svg>'
SIZE = 'width="240" height="120"'


def _png() -> str:
    image = Image.new("RGB", (4, 2), "white")
    image.putpixel((1, 0), (200, 30, 30))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return "data:image/png;base64," + base64.b64encode(data.getvalue()).decode()


# Each as WeasyPrint draws it: operators only, an opacity group, a raster image, a glyph
# defined once and used (as scripts/mathsvg.py writes formulas); then three a record cannot
# hold: text, whose glyphs are the document's fonts, a stylesheet that may fetch, a gradient.
FIGURES = {
    "paths": '<rect width="100" height="50" fill="#eef"/><path d="M0 0 L100 50" stroke="blue"/>',
    "opacity": '<rect width="60" height="30" fill="red" style="opacity: 0.5"/>'
    '<circle cx="70" cy="25" r="20" fill="green" fill-opacity="0.3"/>',
    "raster": f'<image href="{_png()}" width="80" height="40"/>',
    "symbol": '<symbol id="g" viewBox="0 0 10 10"><path d="M1 1 L9 1 L5 9 Z"/></symbol>'
    '<use href="#g" x="10" y="10" width="30" height="30"/>',
    "text": '<text x="10" y="30" font-size="20">Wx</text>',
    "fetching": '<style>rect { fill: url(#missing) red }</style><rect width="100" height="50"/>',
    "gradient": '<linearGradient id="l"><stop offset="0" stop-color="red"/>'
    '<stop offset="1" stop-color="blue"/></linearGradient>'
    '<rect width="100" height="50" fill="url(#l)"/>',
}
RECORDABLE = {"paths", "opacity", "raster", "symbol"}


def _url(name: str, body: str = "") -> str:
    svg = SVG.format(size=SIZE, body=body or FIGURES[name])
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _page(names) -> str:
    images = "".join(f'<p>{name}</p><img alt="{name}" src="{_url(name)}">' for name in names)
    return f"<!doctype html><html lang='en'><body>{images}</body></html>"


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """The SVGs WeasyPrint draws itself (by figure name), as each render goes."""
    names = {_url(name): name for name in FIGURES}
    seen: list[str] = []
    original = svgreplay._original_draw

    def counting(image, *args):
        seen.append(names.get(image._base_url, "?"))
        return original(image, *args)

    monkeypatch.setattr(svgreplay, "_original_draw", counting)
    return seen


def _render(page: str, folder: Path | None = None) -> bytes:
    if folder is None:
        return HTML(string=page).write_pdf()
    with svgreplay.kept(folder, "01_x", "worked"):
        return HTML(string=page).write_pdf()


def test_a_replayed_render_has_the_bytes_of_a_drawn_one(tmp_path, drawn):
    page = _page(FIGURES)
    first = _render(page, tmp_path)
    assert sorted(drawn) == sorted(FIGURES)  # nothing recorded yet: every SVG drawn
    drawn.clear()
    second = _render(page, tmp_path)
    assert sorted(drawn) == ["fetching", "gradient", "text"]  # the rest replayed from the record
    assert second == first


def test_the_record_holds_what_replays_exactly(tmp_path):
    _render(_page(FIGURES), tmp_path)
    records = svgreplay._read(tmp_path / "01_x.worked.forms")
    assert len(records) == len(RECORDABLE)
    kinds = sorted(kind for record in records.values() for kind, *_ in record["objects"])
    assert kinds == ["group", "image"]  # the opacity group; the raster image, by URL
    assert all(svgreplay._well_formed(record) for record in records.values())


def test_an_svg_used_twice_is_drawn_once(tmp_path, drawn):
    # Drawn a second time, WeasyPrint 70 also paints the <symbol> itself, tiny, in a corner:
    # the second use replays the first drawing instead, so a render's bytes do not depend on
    # what the record held.
    page = _page(["symbol", "paths", "symbol"])
    first = _render(page, tmp_path)
    assert drawn == ["symbol", "paths"]
    assert _render(page, tmp_path) == first


def test_replayed_pages_look_as_weasyprint_draws_them(tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: `apt-get install poppler-utils`")
    page = _page(FIGURES)
    own = _render(page)  # outside kept(): WeasyPrint's drawing, untouched
    _render(page, tmp_path)
    replayed = _render(page, tmp_path)
    assert _pixels(own, tmp_path / "own") == _pixels(replayed, tmp_path / "replayed")


def _pixels(pdf: bytes, stem: Path) -> list[bytes]:
    stem.with_suffix(".pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", str(stem.with_suffix(".pdf")), str(stem)], check=True)
    return [path.read_bytes() for path in sorted(stem.parent.glob(f"{stem.name}-*.ppm"))]


def test_a_replayed_formula_keeps_its_own_colour_after_coloured_text(tmp_path):
    # WeasyPrint skips a colour operator when the page already has that colour: a formula
    # recorded after black text in its line must still say "black" after red text.
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: `apt-get install poppler-utils`")
    black = '<path d="M10 5 L90 5 L50 45 Z"/>'  # its fill: black, said nowhere
    figure = f'<img alt="" src="{_url("", black)}">'
    after = '<!doctype html><html lang="en"><body><p style="color: {}">Text {}</p></body></html>'
    _render(after.format("black", figure), tmp_path)
    red = after.format("red", figure)
    assert _pixels(_render(red, tmp_path), tmp_path / "replayed") == _pixels(
        _render(red), tmp_path / "own"
    )


def test_a_record_is_rebuilt_at_its_drawn_size_only(tmp_path, drawn):
    _render(_page(["paths"]), tmp_path)
    drawn.clear()
    wider = _page(["paths"]).replace("<img ", '<img style="width: 300px" ')
    _render(wider, tmp_path)
    assert drawn == ["paths"]


@pytest.mark.parametrize(
    "content",
    [
        b"not compressed",
        zlib.compress(b"not a pickle"),
        zlib.compress(pickle.dumps({"version": ("older",), "records": {}})),
        b"",
    ],
)
def test_an_unreadable_record_file_is_drawn_past_and_replaced(tmp_path, drawn, content):
    path = tmp_path / "01_x.worked.forms"
    path.write_bytes(content)
    page = _page(["paths", "raster"])
    pdf = _render(page, tmp_path)
    assert sorted(drawn) == ["paths", "raster"]
    assert len(svgreplay._read(path)) == 2  # written anew
    assert _render(page, tmp_path) == pdf


def test_a_record_file_naming_a_class_is_not_read(tmp_path):
    _render(_page(["paths"]), tmp_path)
    path = tmp_path / "01_x.worked.forms"
    data = _load(path)
    data["note"] = Path("/")  # unpickling it would construct a PosixPath
    _save(path, data)
    assert svgreplay._read(path) == {}


def _load(path: Path) -> dict:
    return pickle.loads(zlib.decompress(path.read_bytes()))


def _save(path: Path, data: dict) -> None:
    path.write_bytes(zlib.compress(pickle.dumps(data)))


def test_a_malformed_record_is_dropped_on_reading(tmp_path):
    _render(_page(["paths", "opacity"]), tmp_path)
    path = tmp_path / "01_x.worked.forms"
    data = _load(path)
    records = data["records"]
    opacity = next(key for key, record in records.items() if record["objects"])
    records[opacity]["objects"] = [("group", "x0")]  # its bounding box and content lost
    _save(path, data)
    assert set(svgreplay._read(path)) == set(records) - {opacity}


def test_a_record_with_text_where_a_number_goes_is_dropped(tmp_path):
    _render(_page(["opacity"]), tmp_path)
    path = tmp_path / "01_x.worked.forms"
    data = _load(path)
    (record,) = data["records"].values()
    name, state = next(iter(record["states"].items()))
    record["states"][name] = {key: "0 0 1 rg" for key in state}  # PDF operators, not an alpha
    _save(path, data)
    assert svgreplay._read(path) == {}


def test_a_handout_without_svgs_keeps_no_record_file(tmp_path):
    _render(_page(["paths"]), tmp_path)
    _render("<p>No figure any more</p>", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_keeps_the_last_record(tmp_path):
    _render(_page(["paths"]), tmp_path)
    path = tmp_path / "01_x.worked.forms"
    before = path.read_bytes()
    with pytest.raises(RuntimeError), svgreplay.kept(tmp_path, "01_x", "worked"):
        HTML(string=_page(["opacity"])).write_pdf()
        raise RuntimeError("the handout failed after its figures")
    assert path.read_bytes() == before


def test_the_build_keeps_records_that_its_next_render_replays(others_course, tmp_path, drawn):
    root = tmp_path / "course"
    shutil.copytree(others_course.root, root)
    kept = sorted(path.name for path in (root / "build" / ".cache").glob("*.forms"))
    assert "01_converted_notebook.worked.forms" in kept
    assert "01_converted_notebook.student.forms" in kept
    path = Lessons.find(root).paths[0]
    prepared = build.prepare(path, root, load_config(root), lambda name, message: None)
    try:
        build.render(prepared, "worked", lambda name, message: None)
        (ours,) = prepared.staging.glob("*.worked.pdf")
        (built,) = (root / "build" / path.stem).glob("*.worked.pdf")
        assert drawn == []  # its figure and formulas, all replayed
        assert ours.read_bytes() == built.read_bytes()
    finally:
        build.discard(prepared)
