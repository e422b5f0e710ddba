"""Build many lessons on a pool of processes, one stage at a time.

A lesson is one `prepare` (read, archive, execute) followed by one `render` per artifact (the
two handouts and the deck), then a `finish` that publishes them together. Scheduling the
stages rather than whole lessons keeps every core busy: one edited lesson renders its three
artifacts at once, and a long lesson no longer finishes alone while the other cores idle.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import build
from .report import LessonResult


@dataclass
class _Lesson:
    """The scheduler's view of one lesson: its result so far and the artifacts still due."""

    result: LessonResult
    prepared: build.Prepared | None = None
    due: set[str] = field(default_factory=set)


def build_lessons(paths: list[Path], root: Path, jobs: int, progress) -> list[LessonResult]:
    """Build `paths` with up to `jobs` processes; the results are in the order of `paths`."""
    lessons = {path: _Lesson(LessonResult(path=path, name=path.stem)) for path in paths}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        running: dict[Future, tuple[Path, str]] = {}
        for path in paths:
            running[pool.submit(_prepare, path, root, progress)] = (path, "prepare")
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                path, stage = running.pop(future)
                for follow_up in _advance(lessons[path], stage, future.result(), progress):
                    running[pool.submit(_render, *follow_up, progress)] = (path, follow_up[1])
    return [lessons[path].result for path in paths]


def _advance(lesson: _Lesson, stage: str, outcome: tuple, progress) -> list[tuple]:
    """Record one finished stage; returns the render jobs it makes due (after a prepare)."""
    value, error, seconds = outcome
    lesson.result.seconds += seconds  # the sum of its stages' times: its share of the machine
    if error:
        lesson.result.error = lesson.result.error or error
        lesson.result.version = lesson.result.version or build.header_version(lesson.result.path)
    elif stage == "prepare":
        lesson.prepared = value
        build.note_prepared(lesson.result, value)
        lesson.due = set(build.ARTIFACTS)
        return [(value, artifact) for artifact in build.ARTIFACTS]
    else:
        build.note_rendered(lesson.result, value)
    lesson.due.discard(stage)
    if not lesson.due:
        _close(lesson, progress)
    return []


def _close(lesson: _Lesson, progress) -> None:
    """Every stage is back: publish (in this process, so publishing is never concurrent)."""
    if lesson.prepared is None:
        return  # prepare failed: nothing was staged
    try:
        if not lesson.result.error:
            build.finish(lesson.prepared, lesson.result, progress)
    except Exception as error:
        lesson.result.error = build.error_line(lesson.result.path, error)
    finally:
        build.discard(lesson.prepared)


def _prepare(path: Path, root: Path, progress) -> tuple:
    return _guarded(path, lambda: build.prepare(path, root, progress))


def _render(prepared: build.Prepared, artifact: str, progress) -> tuple:
    return _guarded(prepared.lesson.info.path, lambda: build.render(prepared, artifact, progress))


def _guarded(path: Path, stage) -> tuple:
    # Runs in a worker: an exception becomes its one-line message here, since exceptions with
    # several arguments (LessonError) do not survive the trip back between processes.
    started = time.perf_counter()
    try:
        return stage(), "", time.perf_counter() - started
    except Exception as error:
        return None, build.error_line(path, error), time.perf_counter() - started
