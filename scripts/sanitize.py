"""Raw HTML in a lesson's prose: keep what reads, drop what runs or fetches.

Markdown cells may hold inline HTML, and ordinary tags (`<sub>`, `<kbd>`, `<details>`,
`<br>`, links) pass untouched. Three things never reach a deck, handout or notebook:

- elements that run or embed code or other pages (`<script>`, `<iframe>`, `<object>`, ...);
- attributes that run code (`onerror=`, `onclick=`, ...) and `javascript:` URLs;
- remote resources (`![](https://...)`, `<img src="https://...">`): a deck must work offline,
  and a lecture hall's network is not to be trusted.

markdown-it finds the HTML and the images (with their lines, for messages); the standard
library's HTML parser rewrites each piece of HTML without what is dropped. The build strips
and warns (`build.py`); `make lint` reports the same findings as errors (`lint.py`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it import MarkdownIt

DROPPED_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta",
     "link", "noscript", "portal"}
)  # fmt: skip
URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "poster", "data", "action", "formaction"})
RESOURCE_ATTRIBUTES = frozenset({"src", "srcset", "poster", "data"})  # fetched, not followed
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
LOCAL_SCHEMES = re.compile(r"^\s*(?:data|blob):", re.IGNORECASE)
# What a screen reader hears for an author's `<img>` that has no alt: nbconvert's own words,
# which its HTML exporter used to add in a pass our exporters skip (scripts/nbhtml.py).
NO_ALT = "No description has been provided for this image"
VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"})
_PARSER = MarkdownIt("commonmark").enable("table")
UNSAFE_FIX = "decks must work offline and prose runs no code (sources/README.md, Raw HTML)"


@dataclass(frozen=True)
class Finding:
    """One thing removed from a markdown cell: its line in the cell (0-based) and what it was."""

    line: int
    what: str
    stripped: bool = True  # False: found but could not be cut out (the build refuses it)


def sanitize_markdown(source: str) -> tuple[str, list[Finding]]:
    """The markdown with unsafe HTML and remote images removed, and what was removed."""
    lines = source.splitlines(keepends=True)
    findings: list[Finding] = []
    for token in _PARSER.parse(source):
        if token.map is None:
            continue
        first, last = token.map
        if token.type == "html_block":
            cleaned, found = clean_html("".join(lines[first:last]))
            if cleaned != "".join(lines[first:last]):
                # same number of entries: the token maps of later blocks stay true
                lines[first:last] = [cleaned] + [""] * (last - first - 1)
                findings += [Finding(first, what) for what in found]
        elif token.type == "inline":
            findings += _clean_inline(token, lines, first, last)
    return "".join(lines), findings


def clean_html(fragment: str) -> tuple[str, list[str]]:
    """`fragment` without dropped elements, script attributes and remote resources."""
    cleaner = _Cleaner()
    cleaner.feed(fragment)
    cleaner.close()
    return "".join(cleaner.out), cleaner.found


def _clean_inline(token, lines: list[str], first: int, last: int) -> list[Finding]:
    findings = []
    for child in token.children or []:
        if child.type == "html_inline":
            cleaned, found = clean_html(child.content)
            if cleaned != child.content:
                line = _replace_once(lines, first, last, re.escape(child.content), cleaned)
                findings += [Finding(first if line is None else line, what) for what in found]
        elif child.type == "image" and _is_remote(child.attrs.get("src", "")):
            url = str(child.attrs["src"])
            image = r"!\[[^\]]*\]\(\s*<?" + re.escape(url) + r">?[^)]*\)"
            line = _replace_once(lines, first, last, image, child.content)
            problem = _image_problem(url)
            findings.append(Finding(first if line is None else line, problem, line is not None))
    return findings


def _replace_once(lines: list[str], first: int, last: int, pattern: str, new: str) -> int | None:
    """Replace the first match of `pattern` in lines[first:last]; the line it was on."""
    for index in range(first, last):
        lines[index], count = re.subn(pattern, lambda _match: new, lines[index], count=1)
        if count:
            return index
    return None


def _image_problem(url: str) -> str:
    if url.startswith("attachment:"):
        # jupytext keeps no attachments: the image pasted into the notebook is gone
        return (
            f"image {url} pasted into the notebook is not in the .py (jupytext drops it: save "
            "it as a file beside the lesson, or let `make adopt` do that from the .ipynb)"
        )
    return f"remote image {url}"


def _is_remote(url: str) -> bool:
    return bool(REMOTE.match(url)) and not LOCAL_SCHEMES.match(url)


def _attribute_problem(name: str, value: str) -> str | None:
    if name.startswith("on"):
        return f"event handler {name}="
    if name in URL_ATTRIBUTES and value.strip().lower().startswith(("javascript:", "vbscript:")):
        return f"{name}=javascript: URL"
    if name in RESOURCE_ATTRIBUTES and _is_remote(value):
        return f"remote resource {name}={value}"
    if name == "style" and "url(" in value.lower():
        return "style with url()"
    return None


class _Cleaner(HTMLParser):
    """Re-emits HTML as it came, minus what this module drops."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.found: list[str] = []
        self._skipping = 0  # depth inside a dropped element: its content goes too

    def handle_starttag(self, tag, attrs) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag) -> None:
        if tag in DROPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif not self._skipping:
            self.out.append(f"</{tag}>")

    def handle_data(self, data) -> None:
        if not self._skipping:
            self.out.append(data)

    def handle_entityref(self, name) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data) -> None:
        self.handle_data(f"<!--{data}-->")

    def _start(self, tag: str, attrs: list, closed: bool) -> None:
        if tag in DROPPED_ELEMENTS:
            self.found.append(f"<{tag}> element")
            if not closed and tag not in VOID:
                self._skipping += 1
            return
        if self._skipping:
            return
        kept = []
        for name, value in attrs:
            problem = _attribute_problem(name, value or "")
            if problem is None:
                kept.append(name if value is None else f'{name}="{html.escape(value)}"')
            else:
                self.found.append(problem)
        if tag == "img" and not any(k.startswith("src=") for k in kept):
            alt = dict(attrs).get("alt") or ""
            self.out.append(html.escape(alt))  # an image with nothing local to show: its text
            return
        if tag == "img" and not any(name == "alt" for name, _ in attrs):
            kept.append(f'alt="{NO_ALT}"')  # as nbconvert says it (scripts/nbhtml.py)
        inside = " ".join([tag, *kept])
        self.out.append(f"<{inside}{' /' if closed else ''}>")
