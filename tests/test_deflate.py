"""Handouts compressed at zlib level 6 (scripts/deflate.py): the same pages, less CPU time."""

from __future__ import annotations

import io
import re
import zlib

import pydyf
import pytest
from pypdf import PdfReader

from scripts import build, deflate, handout
from scripts.config import load_config
from scripts.editions import make_edition, stable_ids

# The second byte of a zlib header says how hard its compressor tried: 0x9c for the default
# level (6), 0xda for the best (9). Each PDF stream's data starts right after "stream\n".
STREAM_START = re.compile(rb"\bstream\r?\n(..)", re.DOTALL)
LEVEL_6, LEVEL_9 = b"\x78\x9c", b"\x78\xda"


def _handout(root, edition: str = "worked") -> bytes:
    config = load_config(root)
    path = sorted((root / "sources").glob("[0-9][0-9]_*.py"))[0]
    prepared = build.prepare(path, root, config, lambda name, message: None)
    try:
        info = prepared.lesson.info
        notebook = stable_ids(make_edition(prepared.rendered, edition))
        page = handout.render_handout_html(notebook, info, edition, config)
        return handout.write_pdf(page, info, edition, config)
    finally:
        build.discard(prepared)


def _pages(pdf: bytes) -> list[tuple[bytes, str]]:
    """Each page's content stream, decompressed, and its text."""
    reader = PdfReader(io.BytesIO(pdf))
    return [(page.get_contents().get_data(), page.extract_text()) for page in reader.pages]


@pytest.fixture
def pydyfs_own_level(monkeypatch):
    monkeypatch.setattr(pydyf, "zlib", zlib)


def test_every_stream_of_a_handout_is_compressed_at_level_6(others_course):
    pdf = _handout(others_course.root)
    headers = STREAM_START.findall(pdf)
    assert len(headers) > 10  # pages, fonts, object streams
    assert set(headers) == {LEVEL_6}


def test_level_6_changes_bytes_not_pages(others_course, request):
    ours = _handout(others_course.root, "student")
    request.getfixturevalue("pydyfs_own_level")
    level_9 = _handout(others_course.root, "student")
    assert set(STREAM_START.findall(level_9)) == {LEVEL_9}  # pydyf's own level, for comparison
    assert ours != level_9
    assert _pages(ours) == _pages(level_9)  # every page draws the same, text and all
    assert len(ours) < 1.05 * len(level_9)


def test_install_is_idempotent_and_keeps_the_rest_of_zlib():
    deflate.install()
    deflate.install()
    assert pydyf.zlib.decompress is zlib.decompress
    packed = pydyf.zlib.compressobj(level=9)
    data = packed.compress(b"tensor " * 1000) + packed.flush()
    assert data[:2] == LEVEL_6 and zlib.decompress(data) == b"tensor " * 1000
