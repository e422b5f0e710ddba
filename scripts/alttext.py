"""Authored alt text: the `alt` cell metadata of a figure cell, carried onto its figures.

An author writes what a figure shows on the cell's marker line,
`# %% alt="Scatter plot of ..."`. `with_alt_text` copies it into the metadata of each image
output of the executed notebook (`output.metadata["alt"]`), where the deck and handout
templates read it for the `<img alt>` (and so WeasyPrint for the PDF's `/Figure /Alt`).
`figure_cells` finds the cells that draw a figure, for the lint rule that asks for one.
"""

from __future__ import annotations

import ast
import copy

import nbformat

KEY = "alt"  # the cell metadata key, documented in sources/README.md
IMAGE_TYPES = ("image/svg+xml", "image/png", "image/jpeg")


def with_alt_text(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook whose figures carry their cell's alt text."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        alt = cell.metadata.get(KEY)
        if cell.cell_type != "code" or not isinstance(alt, str) or not alt.strip():
            continue
        for output in cell.get("outputs", []):
            if is_figure(output):
                output.setdefault("metadata", {})[KEY] = " ".join(alt.split())
    return notebook


def is_figure(output) -> bool:
    """True for an output that shows an image."""
    return any(kind in output.get("data", {}) for kind in IMAGE_TYPES)


def figure_cells(notebook: nbformat.NotebookNode) -> set[int]:
    """Indexes of code cells that draw a figure when the lesson runs, read from the code.

    A cell draws when one of its top-level statements calls `plt.show()` or a function the
    lesson defines that does (lesson 03 draws its graphs through such a helper): a `def` that
    calls `plt.show()` draws nothing until it is called.
    """
    trees = {i: _parse(c.source) for i, c in enumerate(notebook.cells) if c.cell_type == "code"}
    drawers = _drawing_functions([t for t in trees.values() if t is not None])
    return {
        index
        for index, tree in trees.items()
        if tree is not None and any(_calls(s, drawers) for s in _top_level(tree))
    }


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        return None  # the header check reports it


def _drawing_functions(trees: list[ast.Module]) -> set[str]:
    """Names of the lesson's functions that show a figure, directly or through another."""
    functions = {
        node.name: node
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    drawers: set[str] = set()
    while True:  # a helper that calls a drawing helper draws too
        more = {n for n, f in functions.items() if n not in drawers and _calls(f, drawers)}
        if not more:
            return drawers
        drawers |= more


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    skipped = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [s for s in tree.body if not isinstance(s, skipped)]


def _calls(node: ast.AST, drawers: set[str]) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "show":
            if isinstance(func.value, ast.Name) and func.value.id in ("plt", "pyplot"):
                return True
        if isinstance(func, ast.Name) and func.id in drawers:
            return True
    return False
