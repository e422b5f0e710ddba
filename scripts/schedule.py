"""Build many lessons on a pool of processes, one stage at a time.

A lesson is one `prepare` (read, archive, execute) followed by one `render` per artifact (the
two handouts and the deck), then a `finish` that publishes them together. Scheduling the
stages rather than whole lessons keeps every core busy: one edited lesson renders its three
artifacts at once, and a long lesson no longer finishes alone while the other cores idle.

Which stage goes next is ours to choose, not the pool's queue: a lesson's execution is the
long pole (10 s for ours, its renders 4 s at most), so a waiting lesson is prepared before a
prepared one is rendered, while few are under way; the renders fill the cores at the end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
import warnings
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path

from . import build, lock, runtime
from .config import CourseConfig
from .report import LessonResult
from .sandbox import die_with_parent

BACKGROUND_NICENESS = 10  # nice(1): a busy process at 10 gets about a tenth of a core at 0
# In `course watch`, rendered by the build process while the author's browser loads the new
# deck, when it would otherwise only wait; the pool's workers then take just the handouts.
WHILE_DECK_LOADS = "student-deck"
HANDOUTS = tuple(artifact for artifact in build.AFTER_DECK if artifact != WHILE_DECK_LOADS)


@dataclass
class _Lesson:
    """The scheduler's view of one lesson: its result so far and the artifacts still due."""

    result: LessonResult
    prepared: build.Prepared | None = None
    due: set[str] = field(default_factory=set)
    started: bool = False
    closed: bool = False


def build_lessons(
    paths: list[Path], root: Path, config: CourseConfig, jobs: int, progress
) -> list[LessonResult]:
    """Build `paths` with up to `jobs` processes; the results are in the order of `paths`."""
    lessons = {path: _Lesson(LessonResult(path=path, name=path.stem)) for path in paths}
    pool = _pool(jobs)
    stages = _Stages(paths, lessons, jobs)
    running: dict[Future, tuple[Path, str]] = {}
    # A lesson's two runs (as written, and its checks' proof) side by side only while cores
    # would idle: with every core on a lesson of its own, it would only double the kernels
    # held in memory (peak 1.7 GB instead of 1.0 GB for the four lessons on two cores).
    side_by_side = len(paths) < jobs

    def submit_next() -> None:
        # One stage more than there are workers: a worker that finishes starts the next one
        # at once, while this process records (and perhaps publishes) what came back.
        while len(running) < jobs + 1 and (stage := stages.next()) is not None:
            if stage[1] == "prepare":
                call = (_prepare, stage[0], root, config, progress, side_by_side)
            else:
                call = (_render, *stage, progress)
            running[pool.submit(*call)] = (_path_of(stage[0]), stage[1])

    try:
        submit_next()
        _run_to_end(pool, running, lessons, progress, stages.due, submit_next)
    except BaseException:  # interrupted: no worker may go on rendering (or hold a kernel)
        _abandon(pool, lessons)
        raise
    pool.shutdown()
    return [lessons[path].result for path in paths]


class _Stages:
    """The stages not yet started, and which one goes next.

    A waiting lesson's prepare comes first, while fewer than `2 * jobs` lessons are under way:
    on two cores, the fourth lesson of four used to start executing only once the first was
    published, behind the others' renders, and then ran alone for 11 s while a core idled
    (the clean build of our course took 46 s for 77 s of work). The bound keeps memory from
    growing with the course: each prepared lesson's notebooks stay in this process until it is
    published. Otherwise the renders, the earliest lesson's first, its handouts before decks,
    so that lessons are published (and their memory freed) in turn."""

    def __init__(self, paths: list[Path], lessons: dict, jobs: int) -> None:
        self.waiting = list(paths)
        self.renders: list[tuple] = []  # (prepared, artifact), in the order they fell due
        self.lessons = lessons
        self.most_under_way = 2 * jobs

    def due(self, renders: list[tuple]) -> None:
        self.renders.extend(renders)

    def next(self) -> tuple | None:
        """(path, "prepare"), (prepared, artifact), or None when nothing can start now."""
        if self.waiting and self._under_way() < self.most_under_way:
            path = self.waiting.pop(0)
            self.lessons[path].started = True
            return path, "prepare"
        return self.renders.pop(0) if self.renders else None

    def _under_way(self) -> int:
        return sum(lesson.started and not lesson.closed for lesson in self.lessons.values())


def _path_of(subject) -> Path:
    return subject if isinstance(subject, Path) else subject.lesson.info.path


def build_decks_first(
    paths: list[Path], root: Path, config: CourseConfig, jobs: int, progress, on_deck
) -> list[LessonResult]:
    """`course watch`'s route: each lesson's deck is published as soon as it is rendered, and
    `on_deck(name)` called; its handouts follow on the pool, and `finish` records them all.

    Prepare and deck run in this process, which `course watch` keeps warm (imports done, no
    pool to fork and no notebook to pickle before the deck), so the deck an author is looking
    at comes first; the handouts take the other cores meanwhile. `on_deck` returns once the
    browser has the deck (watch says so), and this process renders the student deck while it
    waits, in a thread: on two cores the student deck used to fall behind one handout, on a
    worker, and end the build 0.1-0.2 s after the other handout.
    """
    lessons = {path: _Lesson(LessonResult(path=path, name=path.stem)) for path in paths}
    pool = _pool(max(1, min(jobs, len(HANDOUTS))), background=True)
    try:
        running: dict[Future, tuple[Path, str]] = {}
        for path in paths:
            lesson = lessons[path]
            prepared = _prepare(path, root, config, progress, side_by_side=True)
            if not _advance(lesson, "prepare", prepared, progress):
                continue  # it failed: already closed
            lesson.due = set(build.AFTER_DECK) | {"deck"}
            deck = _render(lesson.prepared, "deck", progress)
            if deck[1]:  # failed: no handouts either, and nothing is published
                lesson.due = {"deck"}
                _advance(lesson, "deck", deck, progress)
                continue
            build.publish_deck(lesson.prepared)
            # The thread has ended before the pool forks: a fork copies only the thread that
            # forks, and a lock the other held at that moment would stay held in the worker.
            with ThreadPoolExecutor(max_workers=1) as meanwhile:
                aside = meanwhile.submit(_render, lesson.prepared, WHILE_DECK_LOADS, progress)
                on_deck(path.stem)
            _advance(lesson, "deck", deck, progress)
            _advance(lesson, WHILE_DECK_LOADS, aside.result(), progress)
            for edition in HANDOUTS:
                running[pool.submit(_render, lesson.prepared, edition, progress)] = (path, edition)
        _run_to_end(pool, running, lessons, progress)
    except BaseException:
        _abandon(pool, lessons)
        raise
    # Not waiting for the workers to exit: they have nothing left to do, and joining them took
    # 0.15-0.25 s between the handouts being written and the author's page hearing so.
    pool.shutdown(wait=False)
    return [lessons[path].result for path in paths]


def _pool(jobs: int, background: bool = False) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),  # each worker starts warm, imports done
        initializer=_init_worker,
        initargs=(os.getpid(), background),
    )


def _run_to_end(pool, running: dict, lessons: dict, progress, due=None, submit_next=None) -> None:
    """Collect finished stages, hand the renders a prepare makes due to `due`, and let
    `submit_next` start what may start now, until nothing runs."""
    while running:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            path, stage = running.pop(future)
            follow_ups = _advance(lessons[path], stage, future.result(), progress)
            if due is not None:
                due(follow_ups)
        if submit_next is not None:
            submit_next()


def _abandon(pool: ProcessPoolExecutor, lessons: dict) -> None:
    _stop_workers(pool)
    for lesson in lessons.values():
        if lesson.prepared is not None:
            build.discard(lesson.prepared)  # staged, never to be published


def _init_worker(parent: int, background: bool = False) -> None:
    """First thing in each worker: never hold the build lock, leave Ctrl-C to the parent,
    and die with the parent even when it is killed with SIGKILL. A background worker (the
    handouts, while an author looks at the new deck) leaves the cores to the browser and
    the editor first."""
    if background:
        os.nice(BACKGROUND_NICENESS)
    lock.release_in_child()
    _drop_inherited_event_loop()
    runtime.configure()  # inherited from the parent already; explicit all the same
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


def _drop_inherited_event_loop() -> None:
    """A fork copies the parent's asyncio loop, epoll instance and all: both processes would
    then wait on one epoll set, and the worker spins for ever waiting on its kernel. That
    happens when the parent ran a kernel before forking (as tests and `course watch` do);
    close the copy, and nbclient (jupyter_core's run_sync) makes the worker a loop of its own.

    The copy can hide in two places: asyncio's current loop (Python 3.11 and 3.12 keep it
    across a fork; 3.13 forgets it) and the loop jupyter_core's run_sync remembers, which
    outlives the fork on every version. `ensure_event_loop` returns the latter."""
    from jupyter_core.utils import ensure_event_loop

    loops = {ensure_event_loop()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loops.add(asyncio.get_event_loop_policy().get_event_loop())
        except RuntimeError:
            pass  # none was set
    for loop in loops:
        if not loop.is_running():
            _detach_selector(loop)
            loop.close()


def _detach_selector(loop: asyncio.AbstractEventLoop) -> None:
    """Point this process's copy of the loop's epoll descriptor at /dev/null before closing
    the loop: closing unregisters the loop's wake-up pipe, and on the shared epoll set that
    would unregister it in the parent too. (`_selector` is asyncio's own, unchanged since 3.4.)"""
    selector = getattr(loop, "_selector", None)
    if selector is None or selector.fileno() < 0:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, selector.fileno())  # the unregister then fails, and is ignored
    finally:
        os.close(null)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in multiprocessing.active_children():
        worker.kill()
        worker.join(timeout=5)


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
    lesson.closed = True
    if lesson.prepared is None:
        return  # prepare failed: nothing was staged
    try:
        if not lesson.result.error:
            build.finish(lesson.prepared, lesson.result, progress)
    except Exception as error:
        lesson.result.error = build.error_line(lesson.result.path, error)
    finally:
        build.discard(lesson.prepared)


def _prepare(path: Path, root: Path, config: CourseConfig, progress, side_by_side) -> tuple:
    return _guarded(path, lambda: build.prepare(path, root, config, progress, side_by_side))


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
