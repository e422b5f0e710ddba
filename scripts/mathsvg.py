"""LaTeX math in markdown → SVG images (ziamath), so decks and handouts need no MathJax."""

from __future__ import annotations

import base64
import functools
import html
import re

import ziamath

# Rendering size in px; images are sized in em, so this only sets the drawing's precision.
RENDER_SIZE = 20.0
# Code (fenced or inline) first so that a `$` inside code is never read as math.
TOKENS = re.compile(
    r"(?P<fence>^(?P<ticks>```+|~~~+).*?^(?P=ticks)[ \t]*$)"
    r"|(?P<code>(?P<bt>`+).+?(?P=bt))"
    r"|(?P<display>\$\$(?P<dbody>.+?)\$\$)"
    r"|(?P<inline>(?<![\\$])\$(?P<ibody>[^\s$](?:[^$]*?[^\s\\$])?)\$(?!\d))",
    re.DOTALL | re.MULTILINE,
)
VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


class MathError(ValueError):
    """A formula ziamath cannot parse."""


def replace_math(markdown: str) -> str:
    """The markdown with every `$...$` and `$$...$$` replaced by an inline SVG image."""
    return TOKENS.sub(_replace_token, markdown)


def has_math(markdown: str) -> bool:
    """True when the markdown holds math outside code."""
    return any(m.group("display") or m.group("inline") for m in TOKENS.finditer(markdown))


def _replace_token(match: re.Match) -> str:
    if match.group("display"):
        image = formula_image(match.group("dbody").strip(), display=True)
        return f'\n\n<div class="math-display">{image}</div>\n\n'
    if match.group("inline"):
        return formula_image(match.group("ibody"), display=False)
    return match.group(0)


@functools.lru_cache(maxsize=4096)
def formula_image(latex: str, display: bool) -> str:
    """One `<img>` holding the formula as SVG, sized in em and sat on the text baseline."""
    try:
        svg = ziamath.Latex(latex, size=RENDER_SIZE, inline=not display).svg()
    except Exception as error:  # latex2mathml raises several types for bad input
        raise MathError(f"cannot render ${latex}$ ({type(error).__name__})") from None
    x, y, width, height = (float(v) for v in VIEWBOX.search(svg).groups())
    descent = (y + height) / RENDER_SIZE  # baseline is at y = 0 in ziamath's drawing
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    style = (
        f"width:{width / RENDER_SIZE:.3f}em;height:{height / RENDER_SIZE:.3f}em;"
        f"vertical-align:{-descent:.3f}em"
    )
    alt = html.escape(latex, quote=True)
    kind = "math-block" if display else "math-inline"
    return (
        f'<img class="{kind}" style="{style}" alt="{alt}" src="data:image/svg+xml;base64,{data}">'
    )
