"""A deck carries the faces for the characters its own fonts lack (scripts/deckfonts.py)."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont

from scripts import deckfonts, slides


def faces(css: str) -> list[set[int]]:
    """The characters each @font-face of `css` draws, read back from its WOFF data."""
    found = []
    for data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", css):
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        found.append(set(font.getBestCmap()))
    return found


def test_a_deck_in_english_carries_no_fallback_face():
    assert deckfonts.fallback_font_css("A café, naïve · “quoted” — done") == ""


def test_each_script_gets_the_face_that_draws_it_cut_down_to_its_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(slides, "FONT_CACHE", tmp_path)
    css = deckfonts.fallback_font_css("张量 and 텐서, with 🚀")
    assert css.count(f'font-family: "{deckfonts.FAMILY}"') == 3
    chinese, korean, emoji = faces(css)
    assert {ord("张"), ord("量")} <= chinese and ord("是") not in chinese
    assert {ord("텐"), ord("서")} <= korean and ord("张") not in korean
    assert ord("🚀") in emoji and ord("🔥") not in emoji


def test_the_cut_faces_are_kept_and_read_back_for_the_next_deck(tmp_path, monkeypatch):
    monkeypatch.setattr(slides, "FONT_CACHE", tmp_path)
    first = deckfonts.fallback_font_css("张量")
    assert len(list(tmp_path.glob("deck-fallback-*.css"))) == 1

    def cut_again(face, characters):
        raise AssertionError("cut again instead of read from the cache")

    monkeypatch.setattr(deckfonts, "_face_rule", cut_again)
    assert deckfonts.fallback_font_css("量张") == first  # the same characters, any order
