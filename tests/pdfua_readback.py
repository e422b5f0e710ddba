"""Read a tagged PDF back with pypdf: its structure tree, and what each page's content marks.

Shared by the accessibility tests (fixture and real handouts). No PDF/UA validator runs here
(veraPDF is not available); these are the checks of it that a read-back can make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, IndirectObject

TEXT_OPERATORS = {b"Tj", b"TJ", b"'", b'"'}


@dataclass
class Tree:
    """The structure tree flattened: elements in reading order, and the content they own."""

    elements: list[DictionaryObject] = field(default_factory=list)
    mcids: set[tuple[int, int]] = field(default_factory=set)  # (page number, MCID)

    def kinds(self) -> list[str]:
        return [str(e["/S"]) for e in self.elements]

    def alts(self, kind: str = "/Figure") -> list[str | None]:
        return [str(e["/Alt"]) if "/Alt" in e else None for e in self.elements if e["/S"] == kind]


@dataclass
class PageMarks:
    """How a page's content is marked: text inside MCIDs, inside artifacts, or unmarked."""

    mcids: set[int] = field(default_factory=set)
    artifacts: list[str] = field(default_factory=list)  # subtype of each text artifact
    unmarked_text: int = 0  # text-showing operators outside any marked content


def structure_tree(reader: PdfReader) -> Tree:
    """Every structure element under /StructTreeRoot, depth first, and the MCIDs it reaches."""
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    tree = Tree()

    def walk(node, page: int | None) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid, page)
            return
        if not isinstance(node, DictionaryObject):
            tree.mcids.add((page, int(node)))  # a bare integer kid is an MCID on `page`
            return
        if node.get("/Type") == "/OBJR":
            return  # a link annotation, not content
        if "/Pg" in node:
            page = pages[node.raw_get("/Pg").idnum]
        if "/S" in node:
            tree.elements.append(node)
        if "/MCID" in node:  # a marked-content reference dictionary
            tree.mcids.add((page, int(node["/MCID"])))
        if "/K" in node:
            walk(
                node.raw_get("/K")
                if isinstance(node.raw_get("/K"), IndirectObject)
                else node["/K"],
                page,
            )

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], None)
    return tree


def page_marks(reader: PdfReader, number: int) -> PageMarks:
    """What one page's content stream marks, read operator by operator."""
    page = reader.pages[number]
    marks, stack = PageMarks(), []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator in (b"BDC", b"BMC"):
            tag = str(operands[0])
            properties = operands[1] if operator == b"BDC" else {}
            if isinstance(properties, DictionaryObject) and "/MCID" in properties:
                marks.mcids.add(int(properties["/MCID"]))
            stack.append((tag, properties))
        elif operator == b"EMC":
            stack.pop()
        elif operator in TEXT_OPERATORS:
            if not stack:
                marks.unmarked_text += 1
            elif stack[-1][0] == "/Artifact":
                properties = stack[-1][1]
                marks.artifacts.append(str(properties.get("/Subtype", "")) if properties else "")
    return marks


def open_pdf(path: Path) -> PdfReader:
    return PdfReader(path)
