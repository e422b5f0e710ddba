"""Build one lesson: read, archive the outgoing version, execute once, write every artifact."""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

from . import archive
from .editions import make_edition, stable_ids
from .execute import execute_cached
from .files import write_atomic
from .handout import render_handout_html, write_pdf
from .lesson import Lesson, LessonError, read_lesson, shown, unknown_tags
from .mathsvg import MathError, replace_math
from .report import LessonResult
from .slides import cut_slides, fit_slides, render_deck, slide_count

Progress = Callable[[str, str], None]
# nbconvert warns that figures have no alt text on every export; the progress lines matter more.
logging.getLogger("traitlets").setLevel(logging.ERROR)


def build_lesson(path: Path, root: Path, progress: Progress) -> LessonResult:
    """Build every artifact of one lesson; errors become the result's one-line message."""
    result = LessonResult(path=path, name=path.stem)
    started = time.perf_counter()
    try:
        _build(path, root, result, progress)
    except (LessonError, archive.ArchiveError) as error:
        result.error = str(error)
    except Exception as error:  # a bug in the build itself: still one line, still other lessons
        result.error = (
            f"{shown(path)}:1: the build failed: {type(error).__name__}: {error}; report this"
        )
    result.seconds = time.perf_counter() - started
    return result


def _build(path: Path, root: Path, result: LessonResult, progress: Progress) -> None:
    lesson = read_lesson(path)  # read: jupytext + header checks
    info = lesson.info
    result.version = info.version
    result.warnings = unknown_tags(lesson)
    out_dir = root / "build" / info.name
    _archive_previous_version(lesson, root, progress)  # older version → legacy/ first
    executed = _timed(
        progress, info.name, "execute", lambda: execute_cached(lesson, root / "build" / ".cache")
    )
    notebook, result.executed = executed
    rendered = _with_math_as_svg(notebook, lesson)  # LaTeX → SVG for deck and handouts
    with tempfile.TemporaryDirectory(dir=_ensure(root / "build"), prefix=f".{info.name}-") as tmp:
        staging = Path(tmp)
        deck = cut_slides(make_edition(rendered, "slides"), info)
        deck, too_tall = fit_slides(deck, lesson)  # overflowing slides → continuation slides
        stable_ids(deck)
        result.warnings += too_tall
        result.slides = slide_count(deck)
        _timed(
            progress,
            info.name,
            "deck",
            lambda: _write(staging, f"{info.stem}.slides.html", render_deck(deck, info)),
        )
        for edition in ("worked", "student"):
            _timed(
                progress,
                info.name,
                f"{edition} pdf",
                lambda e=edition: _write_handout(staging, rendered, info, e),
            )
        student = stable_ids(make_edition(notebook, "notebook"))
        student.metadata["lesson"] = dict(notebook.metadata["lesson"])
        _write(staging, f"{info.stem}.ipynb", nbformat.writes(student))
        # All or nothing: the artifacts move into build/NN_slug only now.
        result.built = archive.publish(staging, out_dir, lesson)
    progress(info.name, f"done: {len(result.built)} artifacts")


def _archive_previous_version(lesson: Lesson, root: Path, progress: Progress) -> None:
    if archive.read_manifest(root / "build" / lesson.info.name) is not None:
        archive.archive_outgoing(lesson, root, progress)
        return
    committed = archive.committed_outgoing_source(lesson, root)
    if committed is None:
        return
    version, source = committed  # a fresh clone after a bump: rebuild the outgoing version
    progress(lesson.info.name, f"rebuilding v{version} from git to archive it")
    with tempfile.TemporaryDirectory(prefix=f"{lesson.info.name}-v{version}-") as tmp:
        old_path = Path(tmp) / "sources" / lesson.info.path.name
        old_path.parent.mkdir()
        old_path.write_bytes(source)
        old = build_lesson(old_path, Path(tmp), lambda name, message: None)
        if old.error:
            raise archive.ArchiveError(
                lesson.info.path,
                1,
                f"cannot rebuild v{version} from git to archive it ({old.error})",
                "fix or archive that version by hand, then build again",
            )
        archive.archive_outgoing(
            lesson, root, progress, out_dir=Path(tmp) / "build" / lesson.info.name
        )


def _write_handout(staging: Path, notebook, info, edition: str) -> None:
    page = render_handout_html(stable_ids(make_edition(notebook, edition)), info, edition)
    _write(staging, f"{info.stem}.{edition}.pdf", write_pdf(page, info, edition))


def _with_math_as_svg(notebook, lesson: Lesson):
    rendered = copy.deepcopy(notebook)
    for index, cell in enumerate(rendered.cells):
        if cell.cell_type != "markdown":
            continue
        try:
            cell.source = replace_math(cell.source)
        except MathError as error:
            first, _ = lesson.cell_lines[index]
            raise LessonError(
                lesson.info.path, first, str(error), "fix the LaTeX in this cell"
            ) from None
    return rendered


def _write(staging: Path, name: str, data) -> None:
    write_atomic(staging / name, data)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _timed(progress: Progress, name: str, stage: str, action):
    started = time.perf_counter()
    value = action()
    note = ""
    if stage == "execute" and isinstance(value, tuple):
        note = "" if value[1] else " (cached)"
    progress(name, f"{stage} {time.perf_counter() - started:.1f}s{note}")
    return value


def remove_stale(out_dir: Path) -> None:
    """Remove a lesson's build folder (used when its source is gone)."""
    shutil.rmtree(out_dir, ignore_errors=True)
