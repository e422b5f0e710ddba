"""A head start for the workers: caches filled in the build's own process before they fork.

A worker forked from the build's process inherits what that process has cached, and pays
once, itself, for what it has not: WeasyPrint's and nbconvert's first render (fonts, the
user-agent stylesheets, templates; about 0.35 s of CPU per worker here), each formula as SVG
(`mathsvg.formula_image`) and each code cell highlighted for print
(`handout.highlight_for_print`), both cached per process.

In a clean build of a course that uses torch, the build's process has imported its pipeline
in about 1 s while the kernel starter still imports torch, matplotlib and TorchDynamo (about
3 s, scripts/kernelfork.py): no kernel can start before it is done, and a core idles. The
build fills those caches then (`while_kernels_load`), one lesson at a time in the order the
build takes them, and stops as soon as the starter is ready, so no kernel waits for it.
`course watch`'s build process warms itself the same way once, as it starts
(`render_unexecuted`, scripts/warmbuild.py).
"""

from __future__ import annotations

import contextlib
import datetime
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .config import CourseConfig


def while_kernels_load(paths: list[Path], config: CourseConfig, loading: Callable[[], bool]):
    """Fill the caches for the lessons `paths`, in order, while `loading()` says that the
    kernels cannot start yet; each step is a fraction of a second. A lesson that does not read
    or render is skipped: its build says what is wrong with it."""
    if not loading():
        return  # nothing to wait for: no time to spare (a rebuild, `course watch`)
    from .lesson import read_lesson

    with skeleton() as (source, staging):
        for artifact in ("worked", "deck"):  # the first handout costs the most, then a deck
            if not loading():
                return
            render_unexecuted(source, artifact, config, staging)
    for path in paths:
        if not loading():
            return
        try:
            fill_caches(read_lesson(path), config)
        except Exception:
            continue


def fill_caches(lesson, config: CourseConfig) -> None:
    """The lesson's formulas as SVG, then its code highlighted for print, cached in this
    process as a render of its handout asks for them; the page made is dropped."""
    from .build import for_rendering
    from .handout import render_handout_html

    render_handout_html(for_rendering(lesson.notebook, lesson), lesson.info, "worked", config)


@contextlib.contextmanager
def skeleton() -> Iterator[tuple[Path, Path]]:
    """`make new`'s lesson (every kind of cell, no run) in a temporary course of its own, and
    a staging folder there: the records a render keeps beside it (build.py) go with it."""
    from . import scaffold

    with tempfile.TemporaryDirectory(prefix="warm-up-") as folder:
        source = Path(folder) / "sources" / "99_warm_up.py"
        source.parent.mkdir()
        source.write_text(scaffold.render("Warm up", datetime.date(2000, 1, 1)), encoding="utf-8")
        staging = Path(folder) / "build" / "staging"
        staging.mkdir(parents=True)
        yield source, staging


def render_unexecuted(path: Path, artifact: str, config: CourseConfig, staging: Path) -> None:
    """Render `artifact` of the lesson `path` as it is, not executed, into `staging`."""
    from . import build
    from .lesson import read_lesson

    lesson = read_lesson(path)
    rendered = build.for_rendering(lesson.notebook, lesson)
    prepared = build.Prepared(lesson, lesson.notebook, rendered, staging, False, config)
    build.render(prepared, artifact, lambda name, message: None)
