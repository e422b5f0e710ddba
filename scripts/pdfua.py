"""Tagged PDF/UA-1 handouts: what WeasyPrint 70's tagging leaves out, added around it.

WeasyPrint 70 writes a structure tree (`pdf_tags=True`) and the PDF/UA identification
(`pdf_variant="pdf/ua-1"`), but two things a screen reader or a PDF/UA checker needs are
missing, and this module supplies them:

- Page furniture. The running header, footer and page numbers (CSS margin boxes) are
  marked as real content whose structure elements are then dropped from the tree: the text
  is neither tagged nor an artifact, which PDF/UA forbids (Matterhorn 01-005) and which
  makes a reader announce "page 3 of 18" in the middle of a paragraph. Here they become
  `/Artifact` marked content of type `/Pagination`, and are left out of the tree.
- Code. `<pre>` is tagged `NonStruct`; it becomes `/Code`, so assistive technology can tell
  a listing from prose.
- Formulas. A formula is an `<img>` (scripts/mathsvg.py), tagged `/Figure`; it becomes
  `/Formula`, keeping its LaTeX as `/Alt`, so a reader announces a formula, not a picture.

`install()` wraps the three WeasyPrint functions involved (idempotent), as linebreak.py
does for its bug; `mark_page_furniture(document)` flags a laid-out document's margin boxes.
Remove the furniture part when WeasyPrint tags margin boxes as artifacts itself.
"""

from __future__ import annotations

from contextlib import contextmanager

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.pdf import stream as pdf_stream
from weasyprint.pdf import tags

VARIANT = "pdf/ua-1"  # see README: why UA-1 and not UA-2
_FURNITURE = "_course_page_furniture"  # attribute set on boxes inside margin boxes

_MARKED = pdf_stream.Stream.marked  # WeasyPrint's own functions
_BUILD_BOX_TREE = tags._build_box_tree
_GET_PDF_TAG = tags._get_pdf_tag


def install() -> None:
    """Route WeasyPrint's tagging through the functions below."""
    pdf_stream.Stream.marked = _marked
    tags._build_box_tree = _build_box_tree
    tags._get_pdf_tag = _get_pdf_tag


def mark_page_furniture(document) -> None:
    """Flag every box inside a page's margin boxes (header, footer, page number)."""
    for page in document.pages:
        for margin in page._page_box.children:
            if isinstance(margin, boxes.MarginBox):
                subtype = "/Header" if margin.at_keyword.startswith("@top") else "/Footer"
                for box in margin.descendants():
                    setattr(box, _FURNITURE, subtype)


@contextmanager
def _marked(self, box, tag):
    subtype = getattr(box, _FURNITURE, None)
    if subtype is None or self._tags is None:
        with _MARKED(self, box, tag):
            yield
        return
    properties = pydyf.Dictionary({"Type": "/Pagination", "Subtype": subtype})
    self.begin_marked_content("Artifact", properties)
    try:
        yield
    finally:
        self.end_marked_content()


def _build_box_tree(box, *args):
    if isinstance(box, boxes.MarginBox):
        return iter(())  # an artifact has no place in the structure tree
    elements = _BUILD_BOX_TREE(box, *args)
    return map(_as_formula, elements) if _is_formula(box) else elements


def _is_formula(box) -> bool:
    if box.element is None or box.element_tag != "img":
        return False
    return bool({"math-inline", "math-block"} & set(box.element.get("class", "").split()))


def _as_formula(element):
    if element["S"] == "/Figure":
        element["S"] = "/Formula"
    return element


def _get_pdf_tag(tag):
    if tag == "pre":
        return "Code"
    return _GET_PDF_TAG(tag)
