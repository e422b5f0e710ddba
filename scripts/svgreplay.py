"""SVG figures and formulas painted from a record of the last render, not drawn again.

WeasyPrint paints an SVG image by walking its tree and parsing every path, style and
transform, on every render. A handout's SVGs are its figures and its formulas (each an
`<img>` with a data: URL), and a prose save changes none of them: in lesson 01's worked
handout they took 0.33 s of about 2.2 s, every save.

So, within `kept(...)`, each SVG's drawing is recorded: the operators it added to the page and
the resources they name. The next render of that handout (the next save) replays the record
instead of drawing the SVG again: the same operators, the same resources, in the same place
of the page's content. The records go to build/.cache/<lesson>.<edition>.forms, keyed by the
SVG's content and drawn size, and hold only the SVGs the render used.

What a record may hold is what replays exactly: operators, alpha states, WeasyPrint's own
opacity groups, and raster images named by data: URLs inside the SVG. An SVG with text (its
glyphs belong to the document's fonts), gradients, patterns, masks or anything else is drawn
every time, as before. WeasyPrint skips a colour or alpha operator when the page already has
that colour, so a drawing to be recorded starts and ends with that memory cleared: it then
says everything it relies on, and a replayed page has the same bytes as a drawn one
(tests/test_svgreplay.py).

`install()` wraps WeasyPrint's `SVGImage.draw`; only build processes call it (runtime.py).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import pickle
import re
import zlib
from pathlib import Path

import pydyf
import weasyprint
from weasyprint import images

from .files import write_atomic

SUFFIX = ".forms"  # build/.cache/<lesson>.<edition>.forms
FORMAT = 2  # bump when a record's shape changes: older files are then ignored
ALPHA_KEYS = ({"ca"}, {"CA"})  # stream.set_alpha's states, the only ones a record may name
GROUP_KEYS = {"Type", "Subtype", "BBox", "Resources", "Group"}  # stream.add_group's forms
RASTER_URL = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")
TEXT_TAGS = {"text", "tspan", "textPath", "foreignObject", "font", "font-face"}
# Content names a resource as an operand just before its operator: "/a0.5 gs", "/x3 Do".
NAME_USE = re.compile(rb"/[^\s/\[\]<>()]+ ([A-Za-z*'\"]+)")
STATE_USE = re.compile(rb"/([^\s/\[\]<>()]+) gs\b")  # pydyf's set_state
OBJECT_USE = re.compile(rb"/([^\s/\[\]<>()]+) Do\b")  # pydyf's draw_x_object
REPLAYABLE_USES = {b"gs", b"Do"}  # not a pattern's scn, a shading's sh, a font's Tf...

_original_draw = images.SVGImage.draw
_store: _Store | None = None  # the records of the handout being rendered, inside kept()


class _Store:
    """The records read for one handout (`known`), and the ones its render has used."""

    def __init__(self, known: dict):
        self.known = known
        self.used: dict = {}


def install() -> None:
    """Paint WeasyPrint's SVG images from records within kept() (idempotent)."""
    images.SVGImage.draw = _draw


@contextlib.contextmanager
def kept(folder: Path, lesson: str, edition: str):
    """Render with the records kept for `lesson` in `folder` (either edition's: they share
    figures), then, if the block succeeds, keep the records this render used in the edition's
    file. A file that cannot be read or is from another version is ignored."""
    global _store
    path = folder / f"{lesson}.{edition}{SUFFIX}"
    known: dict = {}
    for other in sorted(folder.glob(f"{glob.escape(lesson)}.*{SUFFIX}")):
        if other != path:
            known.update(_read(other))
    known.update(_read(path))
    _store = _Store(known)
    try:
        yield
        _write(path, _store.used)
    finally:
        _store = None


def _draw(self, stream, width, height, style) -> None:
    """SVGImage.draw, replayed from its record when there is one, recorded when it can be."""
    key = _key(self, width, height) if _store and self._context else None
    if key is None:  # outside kept(), or an SVG a record cannot name
        return _original_draw(self, stream, width, height, style)
    _forget_state(stream)
    record = _store.known.get(key)
    if record is None or not _replay(stream, record, self._context):
        start, objects = len(stream.stream), set(stream._resources["XObject"])
        _original_draw(self, stream, width, height, style)
        _forget_state(stream)
        record = _record_drawing(self, stream, start, objects)
    if record is not None:
        # Known from now on, so that the SVG's next use in this handout replays it too: drawn
        # again, the same SVGImage paints its <symbol>s once more, in a corner, a few
        # thousandths of their size (WeasyPrint 70 keeps state from the first drawing).
        _store.known[key] = _store.used[key] = record


def _forget_state(stream) -> None:
    """Clear WeasyPrint's memory of the current colour and alpha, which lets it skip an
    operator that sets them again: a recorded drawing must not rely on what came before it."""
    stream._current_color = stream._current_color_stroke = None
    stream._current_alpha = stream._current_alpha_stroke = None


def _key(image, width: float, height: float):
    """The SVG's content and drawn size; None for an SVG not given as a data: URL (a file's
    content may change under the same name)."""
    url = image._base_url or ""
    if not url.startswith("data:"):
        return None
    return (hashlib.sha256(url.encode()).hexdigest(), float(width), float(height))


# Recording


def _record_drawing(image, stream, start: int, objects_before: set) -> dict | None:
    """What replays the drawing that added `stream.stream[start:]`, in plain Python values;
    None when the SVG or what its drawing used is beyond what a record may hold."""
    if not _drawable_again(image) or len(stream.stream) < start:
        return None
    content = _joined(stream.stream[start:])
    new_objects = set(stream._resources["XObject"]) - objects_before
    return _record_content(stream, content, _raster_urls(image), new_objects)


def _record_content(stream, content: bytes, urls: dict, new_objects: set) -> dict | None:
    """Record `content` and the resources it names in `stream`: alpha states, opacity groups
    made while drawing it (`new_objects`), raster images it names by data: URL."""
    if not set(NAME_USE.findall(content)) <= REPLAYABLE_USES:
        return None
    resources = stream._resources
    states = {}
    for name in _names(STATE_USE, content):
        state = dict(resources["ExtGState"].get(name.decode()) or {})
        if not _is_alpha(state):
            return None
        states[name.decode()] = state
    objects = []
    for name in _names(OBJECT_USE, content):
        entry = _record_object(stream, name.decode(), urls, new_objects)
        if entry is None:
            return None
        objects.append(entry)
    return {"content": content, "states": states, "objects": objects}


def _record_object(stream, name: str, urls: dict, new_objects: set):
    x_object = stream._resources["XObject"].get(name, False)
    if x_object is None:  # a raster image: the document holds it until the PDF is written
        url = urls.get(name[1:-1])  # "i" + md5 of its URL + interpolation, as WeasyPrint names it
        if url is None:
            return None
        entry = stream._images[name]
        return ("image", name, url, entry["interpolate"], sorted(entry["dpi_ratios"]))
    if name not in new_objects or set(getattr(x_object, "extra", ())) != GROUP_KEYS:
        return None
    inner = x_object.extra["Resources"]
    if inner["Pattern"] or inner["Shading"]:
        return None
    group = _record_content(x_object, _joined(x_object.stream), urls, set(inner["XObject"]))
    if group is None or len(group["states"]) != len(inner["ExtGState"]):
        return None
    return ("group", name, list(x_object.extra["BBox"]), group)


def _joined(items) -> bytes:
    """Content stream items as pydyf writes them."""
    return b"\n".join(pydyf._to_bytes(item) for item in items)


def _names(pattern, content: bytes) -> list[bytes]:
    """The operands of `pattern` in `content`, each once, in order of first use."""
    return list(dict.fromkeys(pattern.findall(content)))


def _drawable_again(image) -> bool:
    """No text (its glyphs are the document's fonts) and nothing from outside the SVG, but
    raster images by data: URL."""
    for element in image._svg.tree._etree_node.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if tag in TEXT_TAGS:
            return False
        href = _href(element)
        if tag == "image" and not href.startswith(RASTER_URL):
            return False
        if tag == "use" and not href.startswith("#"):
            return False
        if tag == "style" and ("url(" in (element.text or "") or "@import" in (element.text or "")):
            return False  # a stylesheet that may fetch what the SVG's own content does not hold
    return True


def _href(element) -> str:
    return element.get("{http://www.w3.org/1999/xlink}href") or element.get("href") or ""


def _raster_urls(image) -> dict[str, str]:
    """Each raster image's URL by the md5 that WeasyPrint names it with."""
    urls = {}
    for element in image._svg.tree._etree_node.iter("{http://www.w3.org/2000/svg}image"):
        url = _href(element)
        urls[hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()] = url
    return urls


# Replaying


def _replay(stream, record: dict, context) -> bool:
    """Add the recorded drawing to `stream`; False, with nothing added, when the record does
    not replay here (an image that no longer loads)."""
    try:
        loaded = _load_images(record, context)
    except Exception:
        return False
    content = _add_resources(stream, record, loaded)
    if content:
        stream.stream.append(content)
    return True


def _add_resources(stream, record: dict, loaded: dict) -> bytes:
    """Add what `record` names to `stream`'s resources, as drawing would have; return its
    content with each opacity group under the name the group got here."""
    resources = stream._resources
    for name, state in record["states"].items():
        resources["ExtGState"].setdefault(name, pydyf.Dictionary(state))
    renamed = {}
    for kind, name, *rest in record["objects"]:
        if kind == "image":
            _, interpolate, ratios = rest
            for ratio in ratios:
                stream.add_image(loaded[rest[0]], interpolate, ratio)
        else:
            bbox, inner = rest
            group = stream.add_group(0, 0, 0, 0)
            group.extra["BBox"][:] = bbox
            group.stream = [_add_resources(group, inner, loaded)]
            renamed[name.encode()] = group.id.encode()
    content = record["content"]
    if any(old != new for old, new in renamed.items()):
        content = OBJECT_USE.sub(lambda use: b"/%s Do" % renamed.get(use[1], use[1]), content)
    return content


def _load_images(record: dict, context) -> dict:
    """The raster images `record` (and its groups) name, by URL, loaded as drawing would."""
    loaded = {}
    for kind, _name, *rest in record["objects"]:
        if kind == "image":
            loaded[rest[0]] = context.get_image_from_uri(url=rest[0], forced_mime_type="image/*")
            if loaded[rest[0]] is None:
                raise ValueError("image did not load")
        else:
            loaded.update(_load_images(rest[1], context))
    return loaded


# The file


def _read(path: Path) -> dict:
    try:
        packed = zlib.decompress(path.read_bytes())
        data = _PlainUnpickler(io.BytesIO(packed)).load()
    except (OSError, zlib.error, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _version():
        return {}
    records = data.get("records")
    if not isinstance(records, dict):
        return {}
    return {key: record for key, record in records.items() if _well_formed(record)}


def _well_formed(record) -> bool:
    """A record of the shape _record_content makes: one that replays without failing."""
    if not isinstance(record, dict) or set(record) != {"content", "states", "objects"}:
        return False
    content, states, objects = record["content"], record["states"], record["objects"]
    if not (isinstance(content, bytes) and isinstance(states, dict) and isinstance(objects, list)):
        return False
    if not all(_is_alpha(state) for state in states.values()):
        return False
    return all(_well_formed_object(entry) for entry in objects)


def _is_alpha(state) -> bool:
    return isinstance(state, dict) and set(state) in ALPHA_KEYS and _numbers(state.values())


def _numbers(values) -> bool:
    return all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values)


def _well_formed_object(entry) -> bool:
    if not isinstance(entry, tuple) or len(entry) < 2 or not isinstance(entry[1], str):
        return False
    if entry[0] == "image" and len(entry) == 5:
        return isinstance(entry[2], str) and isinstance(entry[4], list) and _numbers(entry[4])
    if entry[0] == "group" and len(entry) == 4:
        bbox = entry[2]
        box_ok = isinstance(bbox, list) and len(bbox) == 4 and _numbers(bbox)
        return box_ok and _well_formed(entry[3])
    return False


def _write(path: Path, records: dict) -> None:
    """Atomically; a record that cannot be kept costs only the next render's time. A handout
    without SVGs keeps no file (and drops the one it had)."""
    if not records:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    data = pickle.dumps({"version": _version(), "records": records}, pickle.HIGHEST_PROTOCOL)
    data = zlib.compress(data, 1)  # a fifth of the size (lesson 04's: 527 KB, 102 KB) in 3 ms
    with contextlib.suppress(OSError):  # a .part left by a killed build: remove_leftovers
        write_atomic(path, data)


def _version() -> tuple:
    return (FORMAT, weasyprint.__version__)


class _PlainUnpickler(pickle.Unpickler):
    """Reads dicts, lists, tuples, bytes, strings and numbers, and no class at all: a record
    in build/.cache can hold data but never make this process run code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
