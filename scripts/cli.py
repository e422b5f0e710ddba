"""The command line the Makefile calls: build, readme, bump, lint, new, preview, watch, bench."""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import course
from .lesson import LessonError, find_lessons, read_lesson

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
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "build":
        return command_build(root, args.lessons, args.jobs)
    if args.command == "readme":
        return command_readme(root, args.check)
    if args.command == "bump":
        from .bump import bump_lesson

        return bump_lesson(root, args.lesson, args.part)
    return 2


def command_build(root: Path, selected: list[str], jobs: int) -> int:
    """Build lessons in parallel, then the index page; print a summary, failures first."""
    started = time.perf_counter()
    with build_lock(root):
        paths, early_errors = _lesson_paths(root, selected)
        results = _build_all(root, paths, jobs)
        results += early_errors
        infos, failures = _course_facts(results)
        course.write_index(root, infos, failures)
    _print_summary(results, time.perf_counter() - started)
    return 1 if any(r.error for r in results) else 0


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
    from .build import LessonResult

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
    from .build import build_lesson

    print(
        f"Building {len(paths)} lesson(s) with {min(jobs, len(paths)) or 1} worker(s)", flush=True
    )
    if jobs <= 1 or len(paths) <= 1:
        return [build_lesson(p, root, progress) for p in paths]
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        futures = [pool.submit(build_lesson, p, root, progress) for p in paths]
        return [f.result() for f in futures]


def _course_facts(results: list):
    infos, failures = [], {}
    for result in sorted(results, key=lambda r: r.path.name):
        if result.error:
            failures[result.name] = result.error
        try:
            infos.append(read_lesson(result.path).info)
        except LessonError:
            continue  # a lesson whose header is broken cannot be listed
    return infos, failures


def _print_summary(results: list, seconds: float) -> None:
    ordered = sorted(results, key=lambda r: (not r.error, r.path.name))
    print("\nSummary")
    print(f"  {'lesson':<34} {'version':<8} {'status':<10} {'time':>6}  built")
    for r in ordered:
        status = "FAILED" if r.error else ("up to date" if r.skipped else "built")
        made = "-" if r.skipped or r.error else ", ".join(_short(n) for n in r.built)
        print(f"  {r.name:<34} {r.version or '?':<8} {status:<10} {r.seconds:>5.1f}s  {made}")
    for r in ordered:
        for warning in r.warnings:
            print(f"warning: {warning}")
    failed = [r for r in ordered if r.error]
    for r in failed:
        print(f"error: {r.error}", file=sys.stderr)
    if results and all(r.skipped for r in results):
        print("Nothing to do: every lesson is up to date.")
    print(
        f"{len(results) - len(failed)} of {len(results)} lesson(s) ok in {seconds:.1f}s"
        + (f"; {len(failed)} failed" if failed else "")
    )


def _short(name: str) -> str:
    """`02_x_v1.2.worked.pdf` → `worked.pdf`."""
    return name.split("_v", 1)[-1].split(".", 2)[-1]
