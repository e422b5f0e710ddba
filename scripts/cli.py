"""The command line the Makefile calls: build, readme, bump, lint, new, preview, watch, bench."""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from . import archive, course
from .files import remove_leftovers
from .lesson import LessonError, find_lessons, read_lesson
from .report import LessonResult, print_summary

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; the return value is the exit code."""
    parser = argparse.ArgumentParser(prog="python -m scripts", description=__doc__)
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="course repository (default: this one)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build every lesson (or the ones named)")
    build.add_argument("lessons", nargs="*", help="lesson names or paths; default: all")
    build.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    readme = commands.add_parser("readme", help="regenerate the README contents table")
    readme.add_argument("--check", action="store_true", help="only say whether it is out of date")
    bump = commands.add_parser("bump", help="raise a lesson's version and set its date to today")
    bump.add_argument("lesson", help="the lesson number NN (or its file)")
    bump.add_argument("--part", choices=("minor", "major"), default="minor")
    lint = commands.add_parser("lint", help="ruff, then the lesson checker (sources/README.md)")
    lint.add_argument("lessons", nargs="*", help="lesson names or paths; default: everything")
    new = commands.add_parser("new", help="start the next lesson, sources/NN_slug.py")
    new.add_argument("title", help='the lesson title, e.g. "Loss Functions"')
    preview = commands.add_parser("preview", help="contact sheets of the built decks and handouts")
    preview.add_argument("lessons", nargs="*", help="lesson names or paths; default: all built")
    watch = commands.add_parser("watch", help="serve build/ and rebuild a lesson when saved")
    watch.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free one")
    watch.add_argument("--host", default="127.0.0.1", help="a loopback address (default)")
    commands.add_parser("bench", help="time the build against plain scripts and by hand")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "build":
        return command_build(root, args.lessons, args.jobs)
    if args.command == "readme":
        return command_readme(root, args.check)
    if args.command == "bump":
        from .bump import bump_lesson

        return bump_lesson(root, args.lesson, args.part)
    if args.command == "lint":
        from .lint import command_lint

        return command_lint(root, args.lessons)
    if args.command == "new":
        from .scaffold import command_new

        return command_new(root, args.title)
    if args.command == "preview":
        return command_preview(root, args.lessons)
    if args.command == "watch":
        from .watch import command_watch

        return command_watch(root, args.host, args.port)
    if args.command == "bench":
        from .bench import main as run_bench

        return run_bench(root)
    return 2


def command_build(root: Path, selected: list[str], jobs: int) -> int:
    """Build lessons in parallel, then the index page; print a summary, failures first."""
    started = time.perf_counter()
    with build_lock(root):
        for leftover in remove_leftovers(root / "build"):
            print(f"  removed {leftover.relative_to(root)} (left by an interrupted build)")
        paths, early_errors = _lesson_paths(root, selected)
        results = _build_all(root, paths, jobs)
        results += early_errors
        infos, failures = _course_facts(root, results)
        course.write_index(root, infos, failures)
    print_summary(results, time.perf_counter() - started)
    return 1 if any(r.error for r in results) else 0


def command_preview(root: Path, selected: list[str]) -> int:
    """Contact sheets of the built lessons (scripts/preview.py), then the index that shows them."""
    from .preview import preview_course

    code = preview_course(root, selected)
    infos = []
    for path in sorted((root / "sources").glob("[0-9][0-9]_*.py")):
        try:
            infos.append(read_lesson(path).info)
        except LessonError:
            continue  # a lesson whose header is broken cannot be listed
    course.write_index(root, infos, {})
    return code


def command_readme(root: Path, check: bool) -> int:
    """Regenerate (or check) the README contents table from the lesson headers."""
    infos = [read_lesson(p).info for p in find_lessons(root / "sources")]
    readme = root / "README.md"
    if check:
        text = readme.read_text(encoding="utf-8")
        if course.replace_between_markers(text, course.readme_table(infos)) != text:
            print(
                "README.md:1: the lesson table is out of date; run `make readme`", file=sys.stderr
            )
            return 1
        print("README.md: lesson table is up to date")
        return 0
    changed = course.update_readme(readme, infos)
    print("README.md: lesson table updated" if changed else "README.md: already up to date")
    return 0


@contextmanager
def build_lock(root: Path):
    """One build at a time per tree: a second one waits, and says what it is waiting for."""
    (root / "build").mkdir(exist_ok=True)
    with open(root / "build" / ".lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            print(
                f"build/.lock: another build is running (pid {holder}); waiting for it to finish",
                flush=True,
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def progress(name: str, message: str) -> None:
    """One line per lesson and stage, printed as it happens."""
    print(f"  {name:<34} {message}", flush=True)


def _lesson_paths(root: Path, selected: list[str]):
    sources = root / "sources"
    paths = sorted(p for p in sources.glob("*.py"))
    errors = []
    try:
        find_lessons(sources)
    except LessonError as error:  # duplicate numbers: those lessons fail, the others build
        duplicates = {p for p in paths if p.name[:2] == error.path.name[:2]}
        for path in sorted(duplicates):
            errors.append(LessonResult(path=path, name=path.stem, error=str(error)))
        paths = [p for p in paths if p not in duplicates]
    if selected:
        wanted = {Path(s).stem for s in selected} | {Path(s).stem[:2] for s in selected}
        paths = [p for p in paths if p.stem in wanted or p.stem[:2] in wanted]
    return paths, errors


def _build_all(root: Path, paths: list[Path], jobs: int) -> list:
    # Up-to-date lessons are found without importing the pipeline: a no-op build stays fast.
    fresh = [p for p in paths if archive.is_fresh(p, root / "build" / p.stem)]
    stale = [p for p in paths if p not in fresh]
    workers = _workers(jobs, len(stale))
    print(f"Building {len(stale)} of {len(paths)} lesson(s) with {workers} worker(s)", flush=True)
    results = [_unchanged(root, p) for p in fresh]
    if stale:
        results += _build_stale(root, stale, workers)
    return results


def _workers(jobs: int, stale: int) -> int:
    if not stale:
        return 1  # and the pipeline stays unimported: a no-op build stays fast
    from .build import ARTIFACTS  # each lesson renders these at once (scripts/schedule.py)

    return max(1, min(jobs, stale * len(ARTIFACTS)))


def _unchanged(root: Path, path: Path) -> LessonResult:
    progress(path.stem, "up to date")
    manifest = archive.read_manifest(root / "build" / path.stem) or {}
    return LessonResult(
        path=path, name=path.stem, version=manifest.get("version", ""), skipped=True
    )


def _build_stale(root: Path, paths: list[Path], workers: int) -> list:
    if workers <= 1:
        from .build import build_lesson

        return [build_lesson(p, root, progress) for p in paths]
    from .schedule import build_lessons

    return build_lessons(paths, root, workers, progress)


def _course_facts(root: Path, results: list):
    """Every lesson for the index page (not only those built now), and this run's failures."""
    infos, failures = [], {r.name: r.error for r in results if r.error}
    for path in sorted((root / "sources").glob("*.py")):
        try:
            infos.append(read_lesson(path).info)
        except LessonError:
            continue  # a lesson whose header is broken cannot be listed
    return infos, failures
