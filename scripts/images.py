"""Images beside the lesson: `![alt](figures/plot.png)` in prose, carried inside every artifact.

A diagram drawn by hand or exported from another tool is a file next to the lesson, and the
prose points at it by a relative path. None of the artifacts can keep that path: a deck is
one HTML file opened from anywhere, a handout is printed, a student notebook is downloaded
alone. So the build reads each such file once (`attach_local_images`) and carries it:

- in the student notebook, as the markdown cell's attachment (`attachment:plot.png`), the
  notebook format's own way to hold an image, which Jupyter, VS Code and Colab show (an
  `<img src=...>` as a `data:` URL: not every front end resolves an attachment in raw HTML);
- in deck and handouts, as a `data:` URL (`inline_attachments`, on the copy they render).

A path that names no file, a file outside the lesson's folder (sources/), or a kind of image
that a browser or WeasyPrint cannot draw stops the lesson with `file:line`; `make lint`
reports the same, and an image without alt text too. The manifest records each file's hash,
so a build with only an image changed rebuilds the lessons that show it (`archive.is_fresh`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from .lesson import Lesson, LessonError
from .sanitize import REMOTE

# What a browser and WeasyPrint both draw, by file suffix.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
_PARSER = MarkdownIt("commonmark").enable("table")
ATTACHMENT = re.compile(r"attachment:([A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class LocalImage:
    """One image a markdown cell points at by a path: its line in the cell (0-based), the
    path as written, and its alt text (None: an `<img>` with no alt attribute)."""

    line: int
    src: str
    alt: str | None


def local_images(source: str) -> list[LocalImage]:
    """The images of a markdown cell given by a relative path (not a URL, data or attachment)."""
    lines = source.splitlines()
    found = []
    for token in _PARSER.parse(source):
        if token.map is None:
            continue
        first, last = token.map
        if token.type == "html_block":
            found += _html_images(token.content, lines, first, last)
        for child in token.children or []:
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                found.append(LocalImage(_line_of(src, lines, first, last), src, child.content))
            elif child.type == "html_inline":
                found += _html_images(child.content, lines, first, last)
    return [image for image in found if is_local(image.src)]


def is_local(src: str) -> bool:
    """A path to a file, rather than a URL, a data: URL, an attachment or an anchor."""
    src = src.strip()
    return bool(src) and not src.startswith("#") and not REMOTE.match(src)


def attach_local_images(lesson: Lesson) -> dict[str, str]:
    """Make each image path in the prose the cell's attachment; the files' hashes by path.

    The hashes, by the path from the lesson's folder, go into the manifest."""
    used: dict[str, str] = {}
    for index, cell in enumerate(lesson.notebook.cells):
        if cell.cell_type != "markdown":
            continue
        images = local_images(cell.source)
        if not images:
            continue
        attachments = dict(cell.get("attachments", {}))
        names: dict[str, str] = {}
        for image in images:
            if image.src in names:
                continue
            line = lesson.cell_lines[index][0] + 1 + image.line  # after the `# %%` line
            path, relative = resolve(lesson.info.path, image.src, line)
            data = path.read_bytes()
            names[image.src] = _attachment_name(path.name, attachments)
            attachments[names[image.src]] = {IMAGE_TYPES[path.suffix.lower()]: _base64(data)}
            used[relative] = hashlib.sha256(data).hexdigest()
        cell.source = _pointing_at_attachments(cell.source, names, attachments)
        cell["attachments"] = {  # those the markdown points at; an <img> carries its own
            name: bundle
            for name, bundle in attachments.items()
            if f"attachment:{name}" in cell.source
        }
        if not cell["attachments"]:
            del cell["attachments"]
    return used


def resolve(lesson_path: Path, src: str, line: int) -> tuple[Path, str]:
    """The file an image path names, and that path from the lesson's folder (posix).

    LessonError (at `line`) when it names no file, a file outside the lesson's folder
    (sources/: the folder the build watches, and archives from git), or an image of a kind
    deck and handout cannot both draw."""
    folder = lesson_path.resolve().parent
    written = unquote(urlsplit(src.strip()).path)
    path = (folder / written).resolve()
    course = folder.parent
    if not path.is_relative_to(folder):
        raise LessonError(
            lesson_path,
            line,
            f"image {src} is outside the lesson's folder, {folder.name}/",
            f"copy it under {folder.name}/ (e.g. {folder.name}/figures/) and give its path "
            "from there",
        )
    if not path.is_file():
        raise LessonError(
            lesson_path,
            line,
            f"image {src} not found (looked for {path.relative_to(course)})",
            "put the file there, or give its path from the lesson's folder",
        )
    if path.suffix.lower() not in IMAGE_TYPES:
        raise LessonError(
            lesson_path,
            line,
            f"image {src}: a {path.suffix or 'suffix-less'} file is not drawn by both the "
            "browser and the PDF handout",
            "save it as PNG, JPEG, GIF or SVG",
        )
    return path, Path(os.path.relpath(path, folder)).as_posix()


def inline_attachments(cell) -> None:
    """In a copy to render: each `attachment:NAME` becomes the image's `data:` URL."""
    attachments = cell.get("attachments")
    if not attachments:
        return

    def data_url(match: re.Match) -> str:
        bundle = attachments.get(match[1])
        if not bundle:
            return match[0]
        mime, data = next(iter(bundle.items()))
        return f"data:{mime};base64,{data}"

    cell.source = ATTACHMENT.sub(data_url, cell.source)


def no_alt(src: str) -> str:
    """What `make lint` says of an image with empty alt text (a screen reader skips it)."""
    return (
        f"image {src} has no alt text; say what it shows and what to take from it: "
        f"![Diagram of a tensor's shape and strides]({src})"
    )


def _line_of(src: str, lines: list[str], first: int, last: int) -> int:
    """Where the path is written: in its block, or (a reference-style image) in the cell."""
    for index in [*range(first, last), *range(len(lines))]:
        if src in lines[index]:
            return index
    return first


def _html_images(fragment: str, lines: list[str], first: int, last: int) -> list[LocalImage]:
    finder = _ImgFinder()
    finder.feed(fragment)
    finder.close()
    return [LocalImage(_line_of(src, lines, first, last), src, alt) for src, alt in finder.found]


class _ImgFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "img" and attributes.get("src"):
            self.found.append((attributes["src"], attributes.get("alt")))


def _attachment_name(file_name: str, taken: dict) -> str:
    """The file's name, in characters every notebook front end takes in a URL, made unique."""
    stem, dot, suffix = re.sub(r"[^A-Za-z0-9._-]", "_", file_name).rpartition(".")
    name, count = f"{stem}{dot}{suffix}", 1
    while name in taken:
        count += 1
        name = f"{stem}-{count}{dot}{suffix}"
    return name


def _pointing_at_attachments(source: str, names: dict[str, str], attachments: dict) -> str:
    """The source with each image path replaced: in markdown (`](...)`, a `[ref]:` line) by
    the attachment, in an `<img src=...>` by the image's data: URL, since notebook front
    ends resolve `attachment:` in markdown's images but not all of them in raw HTML."""
    markdown = r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)"
    html = r"(\bsrc\s*=\s*[\"']?)"
    after = r"(?=[\s)\"'>]|$)"
    for src, name in names.items():
        path = re.escape(src) + after
        source = re.sub(markdown + path, rf"\1attachment:{name}", source, flags=re.MULTILINE)
        mime, data = next(iter(attachments[name].items()))
        url = f"data:{mime};base64,{data}"
        source = re.sub(html + path, lambda match, url=url: match[1] + url, source)
    return source


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
