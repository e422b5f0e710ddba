"""`course`, the command line: build, lint, run, new, adopt, watch, readme, bump, preview, site,
stop, bench.

This module is the command's first step, and imports only what that step takes: reading the
command line and, for a `course build`, handing it to the warm build process
(scripts/buildserver.py) when one is there. Every build after an author's first goes that way,
and importing the whole tool (scripts/cli.py) first doubled the command's own start (about 0.1 s
against 0.05 s on this machine). Anything else, or a build with no warm process, runs
`cli.main`.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
from pathlib import Path

from . import buildserver
from .errors import CourseError


def entry() -> None:
    """The `course` command: a build handed to the warm process, or main(), then out without
    Python's teardown of every module and object the pipeline loaded, which took 0.2 s after
    the summary of a build on this machine (a quarter of a small course's fixed cost). What is
    registered to run at exit (the scratch folder's removal) runs first, and what is printed
    is flushed."""
    env = dict(os.environ)  # before a build changes it (TMPDIR: scripts/scratch.py)
    root = _build_root(sys.argv[1:])
    server = _server_socket(root, env)
    code = None if server is None else buildserver.delegate(server, sys.argv[1:], env)
    if code is None:
        from . import cli

        code = cli.main()
        _leave_warm_server(root, server, env, code)
    atexit._run_exitfuncs()  # what a normal exit runs; the teardown after it is skipped
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1  # a closed or broken pipe: nothing more can be said
    os._exit(code)


def parser(kind: type[argparse.ArgumentParser] = argparse.ArgumentParser):
    """The command line of every command (scripts/cli.py runs them)."""
    parser = kind(prog="course", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=None, help="the course folder (default: the current one)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="build every lesson (or the ones named)")
    build.add_argument("lessons", nargs="*", help="lesson names or paths; default: all")
    build.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    build.add_argument("--report", type=Path, help="also write the results as JSON to this file")
    readme = commands.add_parser("readme", help="regenerate the README contents table")
    readme.add_argument("--check", action="store_true", help="only say whether it is out of date")
    bump = commands.add_parser("bump", help="raise a lesson's version and set its date to today")
    bump.add_argument("lesson", help="the lesson number NN (or its file)")
    bump.add_argument("--part", choices=("minor", "major"), default="minor")
    bump.add_argument(
        "--changes", help="one line on what the new version changes (asked for when omitted)"
    )
    lint = commands.add_parser("lint", help="ruff, then the lesson checker (sources/README.md)")
    lint.add_argument("lessons", nargs="*", help="lesson names or paths; default: everything")
    new = commands.add_parser("new", help="start the next lesson, sources/NN_slug.py")
    new.add_argument("title", help='the lesson title, e.g. "Loss Functions"')
    adopt = commands.add_parser("adopt", help="make a notebook (or several) the next lesson(s)")
    adopt.add_argument("notebooks", nargs="+", type=Path, help=".ipynb files, or scripts")
    adopt.add_argument("--title", help="the lesson title (default: the notebook's title cell)")
    preview = commands.add_parser("preview", help="contact sheets of the built decks and handouts")
    preview.add_argument("lessons", nargs="*", help="lesson names or paths; default: all built")
    watch = commands.add_parser("watch", help="serve build/ and rebuild a lesson when saved")
    watch.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free one")
    watch.add_argument("--host", default="127.0.0.1", help="a loopback address (default)")
    commands.add_parser("site", help="write build/site/: the course as a static web site")
    commands.add_parser("stop", help="stop the warm build process (it also stops when idle)")
    commands.add_parser("bench", help="time the build against plain scripts and by hand")
    run = commands.add_parser("run", help="run a lesson as a plain script, guarded")
    run.add_argument("lesson", help="the lesson number NN, NN_slug or its file")
    return parser


def course_root(given: Path | None) -> Path:
    """The course folder: --root, or the current folder; it must hold sources/."""
    root = (given or Path.cwd()).resolve()
    if not (root / "sources").is_dir():
        raise CourseError(
            f"{root}/sources",
            "no such folder: this is not a course",
            "run `course` in a course folder, or name one with --root",
        )
    return root


def _build_root(argv: list[str]) -> Path | None:
    """The course a `course build` command line builds; None for any other command, or one
    that does not parse (main() then says what is wrong)."""
    if "-h" in argv or "--help" in argv:
        return None
    try:
        args = parser(_QuietParser).parse_args(argv)
        return course_root(args.root) if args.command == "build" else None
    except (ValueError, CourseError):
        return None


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise ValueError(message)


def _server_socket(root: Path | None, env: dict[str, str]) -> Path | None:
    """Where the warm build process for this `course build` listens or would; None for
    another command, or where servers are off."""
    if root is None or _server_minutes() == 0:
        return None
    return buildserver.socket_path(root, env)


def _leave_warm_server(root, server: Path | None, env: dict[str, str], code: int) -> None:
    """After a build that ran here, a warm process to run the next one; not after Ctrl-C
    (the author may be stopping for the day)."""
    if server is not None and code not in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        buildserver.keep_warm(root, server, env)


def _server_minutes() -> float:
    try:
        return buildserver.idle_minutes()
    except CourseError:
        return 0  # a bad COURSE_BUILD_SERVER: the build itself says so (_check_settings)
