"""Vendored browser and print assets (npm packages in node_modules), inlined for offline use."""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from pathlib import Path

from .errors import CourseError

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?([^'\")]+)['\"]?\s*\)\s*;")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+?)['\"]?\s*\)")
FONT_TYPES = {".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".eot": ""}


class MissingAsset(CourseError):
    """A vendored file is not installed; the message says how to install it."""


def vendored(relative: str) -> Path:
    """The path of a file inside node_modules, or MissingAsset with the fix."""
    path = NODE_MODULES / relative
    if not path.is_file():
        raise MissingAsset(
            str(path), "vendored asset is missing", "run `make setup` (npm ci) to install it"
        )
    return path


@functools.cache
def inline_js(relative: str) -> str:
    """A vendored script, safe to place inside a <script> element."""
    # A literal `</script` inside the code would end the element early.
    return vendored(relative).read_text(encoding="utf-8").replace("</script", "<\\/script")


@functools.cache
def inline_css(relative: str) -> str:
    """A vendored stylesheet with its @imports and url()s (fonts, images) inlined as data."""
    return _inline_css_file(vendored(relative))


def template_css(name: str) -> str:
    """One of our own stylesheets from scripts/templates/css."""
    return (TEMPLATES / "css" / name).read_text(encoding="utf-8")


def template_js(name: str) -> str:
    """One of our own scripts from scripts/templates/deck, safe inside a <script> element."""
    return (TEMPLATES / "deck" / name).read_text(encoding="utf-8").replace("</script", "<\\/script")


def data_uri(path: Path) -> str:
    """A file as a data: URI."""
    kind = FONT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{kind or 'application/octet-stream'};base64,{encoded}"


def _inline_css_file(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    css = CSS_IMPORT.sub(lambda m: _inline_import(path, m.group(1)), css)
    return CSS_URL.sub(lambda m: _inline_url(path, m.group(1)), css)


def _inline_import(css_path: Path, target: str) -> str:
    if target.startswith(("http:", "https:", "//")):
        return ""  # a web font import: the fallback fonts in the stack take over offline
    return _inline_css_file((css_path.parent / target).resolve())


def _inline_url(css_path: Path, target: str) -> str:
    if target.startswith(("data:", "#")):
        return f"url({target})"
    clean = target.split("?")[0].split("#")[0]
    file = (css_path.parent / clean).resolve()
    if file.suffix in (".eot", ".ttf") or not file.is_file():
        return "url(data:,)"  # every browser we target takes the .woff beside these
    return f'url("{data_uri(file)}")'
