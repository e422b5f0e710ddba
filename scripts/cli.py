"""The commands of `course` (scripts/entry.py reads the command line and runs `main`)."""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from pathlib import Path

from . import archive, buildserver, course, headstart, kernelfork, runtime, scratch
from .config import CourseConfig, load_config
from .entry import (
    course_root,
    entry,  # noqa: F401  the console script of a .venv set up before entry.py
    parser,
)
from .errors import CourseError
from .files import remove_leftovers
from .lesson import LessonError, LessonInfo, read_lesson
from .lessons import Lessons
from .libraries import subsetter_note
from .lock import build_lock
from .report import LessonResult, print_summary, write_report


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a `timeout`, CI's time limit) handled like Ctrl-C: stop cleanly, one line."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user error or an interruption is one line, never a traceback."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        return run(argv)
    except CourseError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(
            f"\ninterrupted ({signal.Signals(signum).name}): nothing half-built was published; "
            "run the command again to finish",
            file=sys.stderr,
        )
        return 128 + signum


def _raise_interrupted(signum, frame) -> None:
    raise Interrupted(signum)


def run(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; the return value is the exit code."""
    args = parser().parse_args(argv)
    root = course_root(args.root)
    return COMMANDS[args.command](root, args)


def _build(root: Path, args) -> int:
    return command_build(root, load_config(root), args.lessons, args.jobs, args.report)


def _readme(root: Path, args) -> int:
    return command_readme(root, load_config(root), args.check)


def _bump(root: Path, args) -> int:
    from .bump import bump_lesson

    return bump_lesson(root, load_config(root), args.lesson, args.part, changes=args.changes)


def _lint(root: Path, args) -> int:
    from .lint import command_lint

    return command_lint(root, load_config(root), args.lessons)


def _new(root: Path, args) -> int:
    from .scaffold import command_new

    return command_new(root, load_config(root), args.title)


def _adopt(root: Path, args) -> int:
    from .adopt import command_adopt

    return command_adopt(root, load_config(root), args.notebooks, args.title)


def _preview(root: Path, args) -> int:
    return command_preview(root, load_config(root), args.lessons)


def _watch(root: Path, args) -> int:
    from .watch import command_watch

    return command_watch(root, args.host, args.port)


def _stop(root: Path, args) -> int:
    """Ask the course's warm build processes to go (scripts/buildserver.py)."""
    stopped = [
        p for p in buildserver.servers_of(root, dict(os.environ)) if buildserver.ask_to_quit(p)
    ]
    print(f"stopped {len(stopped)} warm build process(es) of {root}")
    return 0


def _run(root: Path, args) -> int:
    return command_run(root, args.lesson)


def _site(root: Path, args) -> int:
    from .site import command_site

    return command_site(root, load_config(root))


def _bench(root: Path, args) -> int:
    from .bench import main as run_bench

    return run_bench(root)


COMMANDS = {
    "build": _build,
    "readme": _readme,
    "bump": _bump,
    "lint": _lint,
    "new": _new,
    "adopt": _adopt,
    "preview": _preview,
    "site": _site,
    "watch": _watch,
    "stop": _stop,
    "run": _run,
    "bench": _bench,
}


def command_build(
    root: Path,
    config: CourseConfig,
    selected: list[str],
    jobs: int,
    report: Path | None = None,
    on_deck=None,
) -> int:
    """Build lessons in parallel, then the index page; print a summary, failures first.

    With `on_deck` (course watch), each deck is published as soon as it is rendered and
    `on_deck(name)` is called; the handouts follow (schedule.build_decks_first)."""
    started = time.perf_counter()
    _check_settings()
    lessons = Lessons.find(root)
    paths = lessons.select(selected)  # an unknown name stops here, before anything is locked
    with build_lock(root / "build", say=lambda line: print(line, flush=True)):
        for leftover in remove_leftovers(root / "build"):
            print(f"  removed {leftover.relative_to(root)} (left by an interrupted build)")
        buildable = [p for p in paths if p not in lessons.problems]
        results = _build_all(root, config, buildable, jobs, on_deck)
        results += _problem_results(lessons, selected)
        _update_course_pages(root, config, lessons, results)
    print_summary(results, time.perf_counter() - started)
    if report is not None:
        write_report(report, results)  # for `course watch`, which reads it instead of our text
    return 1 if any(r.error for r in results) else 0


def _check_settings() -> None:
    """Settings from the environment, checked before any work (a bad one is one line)."""
    from .settings import cell_timeout

    cell_timeout()
    buildserver.idle_minutes()


def command_run(root: Path, which: str) -> int:
    """Run one lesson as a plain script under the build's guard (sandbox.py), traceback and all."""
    import subprocess
    import tempfile

    from .kernelfork import SANDBOX
    from .lessonfiles import link_lesson_folder

    lessons = Lessons.find(root)
    path = lessons.select([which])[0]
    with tempfile.TemporaryDirectory(prefix=f"{path.stem}-") as workdir:
        link_lesson_folder(Path(workdir), path.parent)  # its data files, as the build runs it
        command = [sys.executable, str(SANDBOX), "script", str(root), str(path)]
        return subprocess.run(command, cwd=workdir).returncode


def command_preview(root: Path, config: CourseConfig, selected: list[str]) -> int:
    """Contact sheets of the built lessons (scripts/preview.py), then the index that shows them."""
    from .preview import preview_course

    code = preview_course(root, selected)
    _update_course_pages(root, config, Lessons.find(root), [], readme=False)
    return code


def command_readme(root: Path, config: CourseConfig, check: bool) -> int:
    """Regenerate (or check) the README contents table from the lesson headers."""
    lessons = Lessons.find(root)
    lessons.check()
    infos = [read_lesson(p).info for p in lessons.paths]
    readme = root / "README.md"
    if check:
        text = readme.read_text(encoding="utf-8")
        if course.replace_between_markers(text, course.readme_table(config, infos)) != text:
            print(
                "error: README.md:1: the lesson table is out of date; run `make readme`",
                file=sys.stderr,
            )
            return 1
        print("README.md: lesson table is up to date")
        return 0
    changed = course.update_readme(readme, config, infos)
    print("README.md: lesson table updated" if changed else "README.md: already up to date")
    return 0


def progress(name: str, message: str) -> None:
    """One line per lesson and stage, printed as it happens."""
    print(f"  {name:<34} {message}", flush=True)


def _problem_results(lessons: Lessons, selected: list[str]) -> list[LessonResult]:
    """The files that cannot be built as they stand (duplicate numbers, notebooks)."""
    chosen = set(lessons.select(selected)) if selected else None
    return [
        LessonResult(path=path, name=path.stem, error=str(error))
        for path, error in lessons.problems.items()
        if chosen is None or path in chosen
    ]


def _build_all(root: Path, config: CourseConfig, paths: list[Path], jobs: int, on_deck) -> list:
    # Up-to-date lessons are found without importing the pipeline: a no-op build stays fast.
    fresh = [p for p in paths if archive.is_fresh(p, root / "build" / p.stem, config)]
    stale = [p for p in paths if p not in fresh]
    digests = {path: kernelfork.code_digest(path) for path in stale}
    # `course watch` keeps kernels started ahead instead; a warm build process, a starter.
    if stale and on_deck is None and not kernelfork.inherited():
        _start_kernel_starter(root, stale, digests)
    try:
        workers = _workers(jobs, len(stale))
        print(
            f"Building {len(stale)} of {len(paths)} lesson(s) with {workers} worker(s)", flush=True
        )
        results = [_unchanged(root, p) for p in fresh]
        if stale:
            results += _build_stale(root, config, stale, workers, on_deck)
            _record_code_digests(root, results, digests)
    finally:
        kernelfork.stop()
    return results


def _start_kernel_starter(root: Path, stale: list[Path], digests: dict[Path, str]) -> None:
    """Kernels forked from one process that imports ipykernel while this one imports the
    pipeline (scripts/kernelfork.py); its socket in this process's temporary folder. It
    loads torch at once for the lessons that will run: those that have never run here (a
    first build, a clean one) and those whose code changed since their last build (a code
    edit, `kernelfork.code_digest`). A kernel is then sure to be asked for, and waits less;
    for a prose edit, whose runs come from the cache, torch is never loaded."""
    folder = scratch.enter(say=lambda line: print(line, flush=True))
    cache = root / "build" / ".cache"
    will_run = [
        path
        for path in stale
        if not (cache / f"{path.stem}.ipynb").is_file()
        or digests[path] != kernelfork.recorded_digest(cache, path)
    ]
    kernelfork.start(root, will_run, folder, at_once=bool(will_run))


def _record_code_digests(root: Path, results: list, digests: dict[Path, str]) -> None:
    """Each lesson built without error: the digest of its code as this build read it."""
    for result in results:
        if result.path in digests and not result.error:
            kernelfork.record_digest(root / "build" / ".cache", result.path, digests[result.path])


def _workers(jobs: int, stale: int) -> int:
    if not stale:
        return 1  # and the pipeline stays unimported: a no-op build stays fast
    runtime.configure()  # first: it imports WeasyPrint the quick way (scripts/libraries.py)
    from .build import ARTIFACTS  # each lesson renders these at once (scripts/schedule.py)

    return max(1, min(jobs, stale * len(ARTIFACTS)))


def _unchanged(root: Path, path: Path) -> LessonResult:
    progress(path.stem, "up to date")
    manifest = archive.read_manifest(root / "build" / path.stem)
    version = manifest.version if manifest else ""
    return LessonResult(path=path, name=path.stem, version=version, skipped=True)


def _build_stale(
    root: Path, config: CourseConfig, paths: list[Path], workers: int, on_deck=None
) -> list:
    runtime.configure()  # logging and the WeasyPrint workaround, before the workers fork
    # Temporary files in a folder that goes with this process; set before the workers fork.
    scratch.enter(say=lambda line: print(line, flush=True))
    _say_subsetter_note()  # the handouts' fonts subset the slow way: how to fix it
    # While the kernel starter still loads torch, caches the workers will inherit (headstart.py).
    headstart.while_kernels_load(paths, config, kernelfork.loading)
    if on_deck is not None:
        from .schedule import build_decks_first

        return build_decks_first(paths, root, config, workers, progress, on_deck)
    if workers <= 1:
        from .build import build_lesson

        return [build_lesson(p, root, config, progress) for p in paths]
    from .schedule import build_lessons

    return build_lessons(paths, root, config, workers, progress)


@functools.cache  # once per process: `course watch` builds many times in one
def _say_subsetter_note() -> None:
    note = subsetter_note()
    if note:
        print(note, flush=True)


def _update_course_pages(
    root: Path, config: CourseConfig, lessons: Lessons, results: list, readme: bool = True
) -> None:
    """The index page lists every lesson, readable or not; the README table follows headers.

    An up-to-date lesson's header is the one its build recorded (its manifest): the lessons
    this build skipped, the ones it has just built, and, in `course watch`, the ones it was
    not asked to build. Reading them again would parse each with jupytext: half of what a
    build with nothing to do costs, and 0.25 s of every save in `course watch`."""
    skipped = {r.path for r in results if r.skipped}
    infos, unreadable = [], {}
    for path in lessons.buildable():
        try:
            infos.append(_header(root, config, path, path in skipped))
        except LessonError as error:
            unreadable[path.stem] = str(error)  # listed with its error, and its last good build
    failures = {r.name: r.error for r in results if r.error}
    course.write_index(root, config, infos, failures, unreadable)
    note = ""
    if readme and not unreadable:
        note = course.refresh_readme(root, config, lessons, infos if not lessons.problems else None)
    if note:
        print(note, flush=True)


def _header(root: Path, config: CourseConfig, path: Path, skipped: bool) -> LessonInfo:
    """A lesson's header: from its build's manifest while the build is up to date, else read."""
    if skipped or archive.is_fresh(path, root / "build" / path.stem, config):
        return course.last_built(root, path.stem)
    return read_lesson(path).info
