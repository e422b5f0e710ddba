"""LaTeX math in markdown → SVG images (ziamath), so decks and handouts need no MathJax.

Prose written for Jupyter uses what MathJax reads there: `$...$` and `\\(...\\)` inline,
`$$...$$`, `\\[...\\]` and a bare `\\begin{align}...\\end{align}` (equation, gather, ...) on
their own, and macros defined in one formula (`\\newcommand{\\R}{\\mathbb{R}}`) and used in
the lesson's later ones. All of these are drawn here; a formula that only defines macros draws
nothing.
"""

from __future__ import annotations

import base64
import functools
import html
import re

import ziamath

# Rendering size in px; images are sized in em, so this only sets the drawing's precision.
RENDER_SIZE = 20.0
ENVIRONMENTS = "equation|align|gather|multline|eqnarray|alignat|flalign"
# Code (fenced or inline) first so that a `$` inside code is never read as math.
TOKENS = re.compile(
    r"(?P<fence>^(?P<ticks>```+|~~~+).*?^(?P=ticks)[ \t]*$)"
    r"|(?P<code>(?P<bt>`+).+?(?P=bt))"
    r"|(?P<display>\$\$(?P<dbody>.+?)\$\$)"
    r"|(?P<bracket>\\\[(?P<bbody>.+?)\\\])"
    rf"|(?P<environment>\\begin\{{(?P<env>{ENVIRONMENTS})(?P<star>\*?)\}}.*?\\end\{{(?P=env)(?P=star)\}})"
    r"|(?P<paren>\\\((?P<pbody>.+?)\\\))"
    r"|(?P<inline>(?<![\\$])\$(?P<ibody>[^\s$](?:[^$]*?[^\s\\$])?)\$(?!\d))",
    re.DOTALL | re.MULTILINE,
)
VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
DEFINITION = re.compile(r"\\(newcommand|renewcommand|providecommand|def|DeclareMathOperator)\*?")
MACRO_NAME = re.compile(r"\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))")
MACRO_EXPANSIONS = 20  # a macro that expands into itself stops here


class MathError(ValueError):
    """A formula ziamath cannot parse."""


def replace_math(markdown: str, macros: dict | None = None) -> str:
    """The markdown with every formula replaced by an inline SVG image.

    `macros` (name: (argument count, body)) carries the definitions of one lesson's earlier
    cells; this cell's definitions are added to it."""
    macros = {} if macros is None else macros
    return TOKENS.sub(lambda match: _replace_token(match, macros), markdown)


def has_math(markdown: str) -> bool:
    """True when the markdown holds math outside code."""
    return any(_formula(m) is not None for m in TOKENS.finditer(markdown))


def _formula(match: re.Match) -> tuple[str, bool] | None:
    """The LaTeX a token holds and whether it is displayed; None for code."""
    if match.group("display"):
        return match.group("dbody").strip(), True
    if match.group("bracket"):
        return match.group("bbody").strip(), True
    if match.group("environment"):
        return match.group("environment").strip(), True
    if match.group("paren"):
        return match.group("pbody").strip(), False
    if match.group("inline"):
        return match.group("ibody"), False
    return None


def _replace_token(match: re.Match, macros: dict) -> str:
    formula = _formula(match)
    if formula is None:
        return match.group(0)
    latex, display = formula
    latex = expand_macros(define_macros(latex, macros), macros)
    if not latex.strip():
        return ""  # a formula that only defines macros shows nothing, as in Jupyter
    image = formula_image(latex, display=display)
    return f'\n\n<div class="math-display">{image}</div>\n\n' if display and image else image


def define_macros(latex: str, macros: dict) -> str:
    """Take each macro definition out of `latex` into `macros`; the rest of the formula."""
    rest, position = [], 0
    for match in DEFINITION.finditer(latex):
        if match.start() < position:
            continue  # inside a definition already read
        parsed = _definition(latex, match)
        if parsed is None:
            continue
        name, count, body, end = parsed
        macros[name] = (count, body)
        rest.append(latex[position : match.start()])
        position = end
    rest.append(latex[position:])
    return "".join(rest)


def _definition(latex: str, match: re.Match) -> tuple[str, int, str, int] | None:
    """`\\newcommand{\\name}[n]{body}` (or `\\def\\name{body}`, `\\DeclareMathOperator`)
    at `match`: its name, argument count, body and end; None when it does not parse."""
    named = MACRO_NAME.match(latex, match.end())
    if not named:
        return None
    name, end = named.group(1) or named.group(2), named.end()
    count = 0
    arguments = re.match(r"\s*\[(\d)\]", latex[end:])
    if arguments:
        count, end = int(arguments.group(1)), end + arguments.end()
    body, end = _braced(latex, end)
    if body is None:
        return None
    if match.group(1) == "DeclareMathOperator":
        body = rf"\operatorname{{{body}}}"
    return name, count, body, end


def _braced(text: str, start: int) -> tuple[str | None, int]:
    """The content of the `{...}` group at `start` (after spaces), and the index after it."""
    index = start
    while index < len(text) and text[index].isspace():
        index += 1
    if index >= len(text) or text[index] != "{":
        return None, start
    depth = 0
    for end in range(index, len(text)):
        if text[end] == "{" and text[end - 1] != "\\":
            depth += 1
        elif text[end] == "}" and text[end - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[index + 1 : end], end + 1
    return None, start


def expand_macros(latex: str, macros: dict) -> str:
    """`latex` with each defined macro replaced by its body, its `#1`... by the arguments."""
    if not macros:
        return latex
    names = "|".join(re.escape(name) for name in sorted(macros, key=len, reverse=True))
    use = re.compile(rf"({names})(?![A-Za-z])")
    for _ in range(MACRO_EXPANSIONS):
        expanded = _expand_once(latex, use, macros)
        if expanded == latex:
            break
        latex = expanded
    return latex


def _expand_once(latex: str, use: re.Pattern, macros: dict) -> str:
    out, position = [], 0
    for match in use.finditer(latex):
        if match.start() < position:
            continue
        count, body = macros[match.group(1)]
        end = match.end()
        for number in range(1, count + 1):
            argument, after = _braced(latex, end)
            if argument is None:  # a single token argument: \\norm x
                token = re.match(r"\s*(\\[A-Za-z]+|\S)", latex[end:])
                argument, after = (token.group(1), end + token.end()) if token else ("", end)
            body, end = body.replace(f"#{number}", argument), after
        out.append(latex[position : match.start()] + "{" + body + "}")
        position = end
    out.append(latex[position:])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def formula_image(latex: str, display: bool) -> str:
    """One `<img>` holding the formula as SVG, sized in em and sat on the text baseline."""
    try:
        svg = ziamath.Latex(latex, size=RENDER_SIZE, inline=not display).svg()
    except Exception as error:  # latex2mathml raises several types for bad input
        raise MathError(f"cannot render ${latex}$ ({type(error).__name__})") from None
    x, y, width, height = (float(v) for v in VIEWBOX.search(svg).groups())
    if width <= 0 or height <= 0:
        return ""  # nothing to draw (an empty group, say): no image, which would break the line
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
