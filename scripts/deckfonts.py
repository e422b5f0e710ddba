"""Fonts for the characters a deck's own fonts lack: Chinese, Japanese, Korean, emoji, symbols.

A deck carries its fonts (reveal.js's Source Sans Pro for prose, Noto Sans Mono for code:
scripts/slides.py), so it looks the same on every laptop. They draw Latin, Greek and Cyrillic.
Any other character would be drawn by whatever font the lecturer's laptop has, or shown as an
empty box where it has none (a bare Linux install; the build machine). So a deck also
carries the faces the handout falls back on (scripts/handout.py: Noto Sans SC and KR, Noto
Sans Math, Noto Sans Symbols 2, Noto Emoji), each cut down to the characters of this deck
that the prose face lacks, as the family "Deck Fallback" that every font stack of the deck
names before its generic family (deck.css). A deck in English carries none of them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont

from . import assets
from .files import write_atomic

FAMILY = "Deck Fallback"
# What the deck's prose face draws (its cmap, like the others', is read once per process).
OWN_FACE = "reveal.js/dist/theme/fonts/source-sans-pro/source-sans-pro-regular.ttf"
# The faces a character the deck's own lack is drawn with: the first that has it.
FALLBACK_FACES = (
    "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
    "@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf",
    "@expo-google-fonts/noto-sans-math/400Regular/NotoSansMath_400Regular.ttf",
    "@expo-google-fonts/noto-sans-symbols-2/400Regular/NotoSansSymbols2_400Regular.ttf",
    "@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf",
)


def fallback_font_css(text: str) -> str:
    """@font-face rules for the characters of `text` that the deck's prose face lacks (the
    code face's are drawn by it first anyway); empty when it draws them all.

    Kept in the font cache under a name made of those characters, the faces and fontTools'
    version: a deck's next build reads no font at all but the prose face's character map."""
    from .slides import FONT_CACHE  # where the deck's code font, cut down, is kept too

    own = _cmap(OWN_FACE)
    missing = "".join(sorted(c for c in set(text) if ord(c) > 0x7F and ord(c) not in own))
    if not missing:
        return ""
    key = hashlib.sha256(f"{fontTools.version} {FALLBACK_FACES} {missing}".encode())
    stored = FONT_CACHE / f"deck-fallback-{key.hexdigest()[:16]}.css"
    if stored.is_file():
        return stored.read_text(encoding="utf-8")
    css = "\n".join(_face_rule(face, chars) for face, chars in _by_face(missing).items())
    try:
        write_atomic(stored, css)
    except OSError:
        pass  # a tool installed read-only: cut the faces again next time
    return css


def _by_face(characters: str) -> dict[str, str]:
    """Each character under the first fallback face that draws it (none: left out)."""
    by_face: dict[str, str] = {}
    for character in characters:
        face = next((f for f in FALLBACK_FACES if ord(character) in _cmap(f)), None)
        if face is not None:
            by_face[face] = by_face.get(face, "") + character
    return by_face


@functools.cache
def _cmap(face: str) -> frozenset[int]:
    font = TTFont(str(assets.vendored(face)), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _face_rule(face: str, characters: str) -> str:
    """One @font-face: `face` cut down to `characters`, as WOFF data."""
    options = subset.Options(flavor="woff", layout_features=["*"])
    font = subset.load_font(str(assets.vendored(face)), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    data = io.BytesIO()
    subset.save_font(font, data, options)
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return (
        f'@font-face {{ font-family: "{FAMILY}"; '
        f'src: url("data:font/woff;base64,{encoded}") format("woff"); }}'
    )
