"""Build one lesson: read, archive the outgoing version, execute once, write every artifact.

The stages are separate functions (prepare, render one artifact, finish) so that the
scheduler (scripts/schedule.py) can render a lesson's deck and handouts in parallel.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import archive, checks, contents, svgreplay
from .alttext import with_alt_text
from .config import CourseConfig
from .editions import make_edition, stable_ids
from .execute import Run, execute_cached_together
from .files import write_atomic
from .handout import render_handout_html, write_pdf
from .images import attach_local_images, inline_attachments
from .lesson import Lesson, LessonError, read_lesson, shown, unknown_tags
from .lessonfiles import named_files
from .mathsvg import MathError, replace_math
from .report import LessonResult
from .sanitize import UNSAFE_FIX, sanitize_markdown
from .slidefit import fit_slides
from .slides import cut_slides, render_deck, slide_count

Progress = Callable[[str, str], None]


# Rendered from one execution; longest first. The student deck leaves out the solutions and
# speaker notes: it is the deck the published site offers (scripts/site.py).
ARTIFACTS = ("worked", "student", "deck", "student-deck")
DECKS = {  # artifact: (edition, file suffix, what its title slide says it is)
    "deck": ("slides", "slides.html", ""),
    "student-deck": ("student-slides", "student-slides.html", "student edition, no solutions"),
}
# `course watch` publishes the lecturer's deck first; these follow in the background.
AFTER_DECK = tuple(artifact for artifact in ARTIFACTS if artifact != "deck")
# The kernel every Jupyter, JupyterLab, VS Code and Colab install has: students open the
# notebook with it, whatever kernel the author's header names.
STUDENT_KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass
class Prepared:
    """A lesson read and executed once: what every renderer of it needs, in any process."""

    lesson: Lesson
    notebook: nbformat.NotebookNode  # as executed: the student notebook comes from this
    rendered: nbformat.NotebookNode  # with math as SVG: the deck and the handouts
    staging: Path  # artifacts are written here and published together, or not at all
    executed: bool  # False when the outputs came from the execution cache
    config: CourseConfig  # the course's facts, shown on every artifact
    warnings: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # already in build/NN_slug (deck first)


@dataclass
class Rendered:
    """What rendering one artifact tells the summary."""

    slides: int = 0
    warnings: list[str] = field(default_factory=list)


def build_lesson(path: Path, root: Path, config: CourseConfig, progress: Progress) -> LessonResult:
    """Build every artifact of one lesson in this process (the serial route: --jobs 1)."""
    result = LessonResult(path=path, name=path.stem)
    started = time.perf_counter()
    prepared = None
    try:
        prepared = prepare(path, root, config, progress)
        note_prepared(result, prepared)
        for artifact in ARTIFACTS:
            note_rendered(result, render(prepared, artifact, progress))
        finish(prepared, result, progress)
    except Exception as error:
        result.error = error_line(path, error)
        result.version = result.version or header_version(path)
    finally:
        if prepared is not None:
            discard(prepared)
    result.seconds = time.perf_counter() - started
    return result


def prepare(
    path: Path, root: Path, config: CourseConfig, progress: Progress, side_by_side: bool = False
) -> Prepared:
    """Read the lesson, archive its outgoing version, execute it (or reuse the cache).

    `side_by_side`: run the lesson and its checks' proof at the same time, when cores would
    otherwise idle (one lesson being built); with the cores busy building other lessons, it
    would only hold more kernels in memory at once."""
    lesson = read_lesson(path)  # read: jupytext + header checks
    info = lesson.info
    stripped = strip_unsafe_prose(lesson)  # no script, handler or remote fetch in any output
    shown = attach_local_images(lesson)  # each image file the prose shows, carried inside
    lesson.files = {**shown, **named_files(lesson.notebook, path.parent)}  # and data it reads
    archive.refuse_archived_version(lesson, root)  # never build a version legacy/ already has
    _archive_previous_version(lesson, root, config, progress)  # older version → legacy/ first
    started = time.perf_counter()
    runs = [Run(lesson), *_proof_run(lesson)]  # each from the cache if it can
    cache = root / "build" / ".cache"
    (notebook, ran), *proof = execute_cached_together(runs, cache, side_by_side)
    seconds = f"{time.perf_counter() - started:.1f}s"
    progress(info.name, f"execute {seconds}{'' if ran else ' (cached)'}")
    for ran_stub, stub_ran in proof:
        checks.prove_checks(lesson, ran_stub)  # each check says "not yet" unanswered
        progress(info.name, f"checks {seconds}{'' if stub_ran else ' (cached)'}")
    rendered = for_rendering(notebook, lesson)
    staging = Path(tempfile.mkdtemp(dir=_ensure(root / "build"), prefix=f".{info.name}-"))
    return Prepared(lesson, notebook, rendered, staging, ran, config, stripped)


def render(prepared: Prepared, artifact: str, progress: Progress) -> Rendered:
    """Write one artifact ("deck", "worked" or "student") into the lesson's staging folder."""
    info = prepared.lesson.info
    if artifact in DECKS:
        return _timed(progress, info.name, artifact, lambda: _write_deck(prepared, artifact))
    _timed(progress, info.name, f"{artifact} pdf", lambda: _write_handout(prepared, artifact))
    return Rendered()


def finish(prepared: Prepared, result: LessonResult, progress: Progress) -> None:
    """Write the student notebook, then publish every artifact at once."""
    info = prepared.lesson.info
    student = stable_ids(make_edition(prepared.notebook, "notebook"))
    student.metadata["lesson"] = dict(prepared.notebook.metadata["lesson"])
    student.metadata["kernelspec"] = dict(STUDENT_KERNEL)  # not the author's own environment
    _write(prepared.staging, f"{info.stem}.ipynb", nbformat.writes(student))
    # All or nothing: the artifacts move into build/NN_slug only now.
    out_dir = prepared.staging.parent / info.name
    result.built = archive.publish(
        prepared.staging, out_dir, prepared.lesson, prepared.config, prepared.published
    )
    progress(info.name, f"done: {len(result.built)} artifacts")


def publish_deck(prepared: Prepared) -> None:
    """Move the rendered deck into build/NN_slug now, ahead of the handouts (`course watch`:
    an author looks at the deck first). `finish` records it with the rest."""
    name = f"{prepared.lesson.info.stem}.slides.html"
    out_dir = _ensure(prepared.staging.parent / prepared.lesson.info.name)
    os.replace(prepared.staging / name, out_dir / name)
    prepared.published.append(name)


def discard(prepared: Prepared) -> None:
    """Remove the staging folder (empty after a publish; partial after a failure)."""
    shutil.rmtree(prepared.staging, ignore_errors=True)


def note_prepared(result: LessonResult, prepared: Prepared) -> None:
    result.version = prepared.lesson.info.version
    result.warnings += unknown_tags(prepared.lesson) + prepared.warnings
    result.executed = prepared.executed


def note_rendered(result: LessonResult, rendered: Rendered) -> None:
    result.slides = result.slides or rendered.slides
    result.warnings += rendered.warnings


def error_line(path: Path, error: Exception) -> str:
    """Any failure as the one line the summary prints."""
    if isinstance(error, LessonError):  # ArchiveError is one too
        return str(error)
    # a bug in the build itself: still one line, and the other lessons still build
    return f"{shown(path)}:1: the build failed: {type(error).__name__}: {error}; report this"


def header_version(path: Path) -> str:
    """The version a lesson's header names, for the summary of a lesson that failed."""
    try:
        return read_lesson(path).info.version
    except LessonError:
        return ""


def strip_unsafe_prose(lesson: Lesson) -> list[str]:
    """Remove scripts, event handlers and remote resources from the prose; one warning each.

    A remote image that cannot be cut out (a reference-style link) fails the lesson instead.
    """
    warnings = []
    for index, cell in enumerate(lesson.notebook.cells):
        if cell.cell_type != "markdown":
            continue
        cleaned, findings = sanitize_markdown(cell.source)
        first, _ = lesson.cell_lines[index]
        for finding in findings:
            line = first + 1 + finding.line  # the cell's text starts after its `# %%` line
            if not finding.stripped:
                raise LessonError(lesson.info.path, line, finding.what, UNSAFE_FIX)
            warnings.append(
                f"{shown(lesson.info.path)}:{line}: {finding.what} removed; {UNSAFE_FIX}"
            )
        cell.source = cleaned
    return warnings


def _proof_run(lesson: Lesson) -> list[Run]:
    """The run that proves the checks: the student notebook, answers blank, where each check
    must fail (one extra kernel per lesson with checks, cached like the lesson's own run).
    None for a lesson without checks; a check the proof cannot read fails here, unrun."""
    if not checks.has_checks(lesson.notebook):
        return []
    for index, cell in enumerate(lesson.notebook.cells):
        problem = checks.check_problem(cell.source) if checks.is_check(cell) else None
        if problem:
            offset, what, fix = problem
            first, _ = lesson.cell_lines[index]
            raise LessonError(lesson.info.path, first + 1 + offset, what, fix)
    stub = checks.stub_notebook(make_edition(lesson.notebook, "notebook"))
    # Only the checks' printed lines are read from it: its figures are never drawn.
    where = "in the student notebook, answers blank"
    return [Run(lesson, stub, checks.STUDENT_RUN, where, figures=False)]


def _write_deck(prepared: Prepared, artifact: str) -> Rendered:
    info = prepared.lesson.info
    edition, suffix, label = DECKS[artifact]
    deck = cut_slides(make_edition(prepared.rendered, edition), info, prepared.config, label)
    deck, too_tall = fit_slides(deck, prepared.lesson)  # overflowing → continuation slides
    stable_ids(deck)
    page = render_deck(deck, info, prepared.config)
    _write(prepared.staging, f"{info.stem}.{suffix}", page)
    if artifact != "deck":  # the summary counts the lecturer's slides and reports each cut once
        return Rendered()
    return Rendered(slides=slide_count(deck), warnings=too_tall)


def _archive_previous_version(
    lesson: Lesson, root: Path, config: CourseConfig, progress: Progress
) -> None:
    if archive.read_manifest(root / "build" / lesson.info.name) is not None:
        archive.archive_outgoing(lesson, root, progress)
        return
    committed = archive.committed_outgoing_source(lesson, root)
    if committed is None:
        return
    version, source, commit = committed  # a fresh clone after a bump: rebuild the outgoing
    progress(lesson.info.name, f"rebuilding v{version} from git to archive it")
    with tempfile.TemporaryDirectory(prefix=f"{lesson.info.name}-v{version}-") as tmp:
        old_path = Path(tmp) / "sources" / lesson.info.path.name
        old_path.parent.mkdir()
        old_path.write_bytes(source)
        _restore_committed_files(old_path, root, commit)  # as they were in that version
        old = build_lesson(old_path, Path(tmp), config, lambda name, message: None)
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


def _restore_committed_files(old_path: Path, root: Path, commit: str) -> None:
    """Beside an outgoing source rebuilt from git, the files it may show or read (images,
    data: every file in sources/ but Python's), as its commit recorded them."""
    for relative in archive.committed_listing(root, commit, "sources"):
        data = None if relative.endswith(".py") else archive.committed_file(root, commit, relative)
        if data is not None:
            target = old_path.parent.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _write_handout(prepared: Prepared, edition: str) -> None:
    info, config = prepared.lesson.info, prepared.config
    notebook = stable_ids(make_edition(prepared.rendered, edition))
    page = render_handout_html(notebook, info, edition, config)
    # Figures and formulas painted, and the contents numbered, from the last render's records
    # (svgreplay.py, contents.py), kept beside the execution cache: the staging folder is in
    # build/.
    cache = prepared.staging.parent / ".cache"
    with svgreplay.kept(cache, info.name, edition), contents.pages_kept(cache, info.name, edition):
        pdf = write_pdf(page, info, edition, config)
    _write(prepared.staging, f"{info.stem}.{edition}.pdf", pdf)


def for_rendering(notebook, lesson: Lesson):
    """What deck and handouts show: math as SVG, images inline, each figure with its cell's
    alt text."""
    return with_alt_text(_prose_for_rendering(notebook, lesson))


def _prose_for_rendering(notebook, lesson: Lesson):
    """A copy whose prose carries its images as data and its math as SVG."""
    rendered = copy.deepcopy(notebook)
    macros: dict = {}  # \newcommand in one cell holds for the lesson's later cells, as in Jupyter
    for index, cell in enumerate(rendered.cells):
        if cell.cell_type != "markdown":
            continue
        inline_attachments(cell)  # a page carries its images: `data:` URLs, no files beside
        try:
            cell.source = replace_math(cell.source, macros)
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
    progress(name, f"{stage} {time.perf_counter() - started:.1f}s")
    return value
