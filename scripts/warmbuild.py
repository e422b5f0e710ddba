"""The build process `course watch` keeps running, so that a save costs only the build itself.

Starting Python and importing the pipeline (nbconvert, WeasyPrint, jupytext) takes about a
second, as long as rendering a deck: a fresh `course build` per save would double the time
from save to deck. This process pays it once, when watch starts, then builds on request:

- stdin, one JSON request per line: `{"lessons": ["02_x", ...]}` (an empty list: every lesson).
  Named lessons are built deck first (schedule.build_decks_first); every lesson, as `make`.
- stdout, one JSON event per line: `{"deck": "02_x"}` when a lesson's new deck is in build/
  (its handouts wait for SIGUSR1 from watch: the page has reloaded; see `_deck_shown`),
  then `{"done": {"02_x": ""}, "code": 0}` when the request is over (each lesson's error, or "").
- The build's own lines (progress, summary, errors) go to stderr: watch's terminal.

Run by scripts/watch.py as `python -m scripts.warmbuild COURSE_ROOT`; it dies with watch.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import cli, execute, runtime, scratch
from .config import load_config
from .errors import CourseError
from .report import read_report
from .sandbox import die_with_parent

# Watch sends this when the browser has the new deck (or no page shows that lesson). Until
# then the handouts wait: on two cores, two WeasyPrint workers doubled the time the browser
# took to load the deck. At most SHOWN_WAIT seconds, if no word comes.
SHOWN = signal.SIGUSR1
SHOWN_WAIT = 2.0


def serve(root: Path, requests, emit) -> None:
    """Build each request read from `requests` (lines); report through `emit(event)`."""
    runtime.configure()
    scratch.enter()  # the warm-up's fonts and the spare kernels' folders too
    warm_up(root, load_config(root))
    _between_saves(root)  # the first code edit then finds its kernels started, torch loaded
    try:
        for line in requests:
            lessons = json.loads(line)["lessons"]
            on_deck = (lambda name: _deck_shown(emit, name)) if lessons else None
            with tempfile.TemporaryDirectory(prefix="watch-") as folder:
                report = Path(folder) / "report.json"
                code = _build(root, lessons, report, on_deck)
                emit({"done": read_report(report), "code": code})
            # After saying "done", which the page shows as the handouts being in (0.2 s
            # sooner); only a save in the next 0.2 s waits for these.
            _between_saves(root)
    finally:
        execute.stop_spare_kernels()


def _between_saves(root: Path) -> None:
    """Get ready for the next save while the author reads: garbage collected, kernels
    started ahead in place of any the last runs took, and the code of the lesson saved last
    (read once for both) highlighted for print."""
    _tidy()
    newest = _newest_lesson(root)
    _start_spares(root, newest)
    _highlight_for_print(root, newest)


def _tidy() -> None:
    """While the author reads: collect garbage, then freeze what is left (gc.freeze), so that
    a full collection (0.13 s here, now and then) does not fall into the next save's deck,
    and forked handout workers share more memory with this process."""
    gc.unfreeze()  # what was frozen last time is collected too, if it has died since
    gc.collect()
    gc.freeze()


def _start_spares(root: Path, newest) -> None:
    """Kernels started ahead for the lesson saved last (`newest`, None when it does not read),
    the one the author is most likely editing: one per run a code edit of it needs (its
    checks' proof is a second), each importing what the lesson imports."""
    from . import checks

    if newest is None:  # no lesson, or one being written that does not read yet: plain ones
        execute.start_spare_kernels(root)
        return
    runs = 2 if checks.has_checks(newest.notebook) else 1
    execute.start_spare_kernels(root, runs, execute.lesson_imports(newest.notebook))


def _deck_shown(emit, name: str) -> None:
    """Say that `name`'s deck is in build/, then let the browser have the cores: wait until
    watch says the page has it (SHOWN), or SHOWN_WAIT seconds. The handouts start after."""
    global _shown
    _shown = False  # a late word about an earlier deck
    emit({"deck": name})
    deadline = time.monotonic() + SHOWN_WAIT
    while not _shown and time.monotonic() < deadline:
        time.sleep(0.01)  # the signal ends a sleep early


def listen_for_shown() -> None:
    """From now on SHOWN sets a flag instead of ending the process (its default). A handler,
    not a blocked signal: the kernels this process starts get the default back on exec."""
    signal.signal(SHOWN, _on_shown)


def _on_shown(signum, frame) -> None:
    # A plain flag, no lock: the handler runs in the main thread between two bytecodes, and
    # a lock that thread held at that moment (a threading.Event's) would never be released.
    global _shown
    _shown = True


_shown = False


def warm_up(root: Path, config) -> None:
    """Render a deck and a handout of `make new`'s skeleton (not executed) in a temporary
    folder, so that the first save does not pay what every process pays once: imports,
    templates, the deck's subset font, fontconfig and WeasyPrint's first layout (about 4 s
    of the first deck on this machine). Handouts render in processes forked from this one,
    so they start warm too. Then the deck of the lesson saved last, the one the author is
    most likely editing: its formulas and code are then cached for the first save."""
    from . import headstart

    with headstart.skeleton() as (source, staging):
        for artifact, path in (("deck", source), ("worked", source), ("deck", _newest(root))):
            if path is None:
                continue
            try:
                headstart.render_unexecuted(path, artifact, config, staging)
            except Exception:
                if path == source:
                    raise  # the skeleton fails only when the installation is broken: say so
                # a lesson that fails is the build's to report, with its file and line


def _highlight_for_print(root: Path, newest) -> None:
    """The handout page of the lesson saved last (`newest`), made and dropped here: its code,
    highlighted for print, is then cached in this process and in the handout workers forked
    from it. A worker's own cache goes with it, so each save highlighted every cell again:
    lesson 01's handout page took 0.18-0.22 s in a forked worker, 0.09-0.14 s with the cache
    filled here."""
    from .headstart import fill_caches

    if newest is None:
        return
    try:
        fill_caches(newest, load_config(root))
    except Exception:  # a setting being written: the build says what is wrong
        pass


def _newest_lesson(root: Path):
    """The lesson saved last, read; None when there is none or it does not read yet."""
    from .lesson import read_lesson

    path = _newest(root)
    try:
        return read_lesson(path) if path else None
    except Exception:  # a lesson being written: the build says what is wrong with it
        return None


def _newest(root: Path) -> Path | None:
    lessons = list((root / "sources").glob("[0-9][0-9]_*.py"))
    return max(lessons, key=lambda path: path.stat().st_mtime) if lessons else None


def _build(root: Path, lessons: list[str], report: Path, on_deck) -> int:
    """One `course build`, as the command line runs it; a user error is its one line."""
    try:
        return cli.command_build(
            root, load_config(root), lessons, os.cpu_count() or 1, report, on_deck
        )
    except CourseError as error:  # a bad pyproject.toml, an unknown lesson: as cli.main says it
        for text in str(error).splitlines():
            print(f"error: {text}", file=sys.stderr, flush=True)
        return 1


def main(root: Path) -> int:
    die_with_parent(os.getppid())
    listen_for_shown()  # before the first deck: watch signals only after one
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the build's prints: the terminal
    sys.stdout = sys.stderr

    def emit(event: dict) -> None:
        events.write(json.dumps(event) + "\n")
        events.flush()

    try:
        serve(root, sys.stdin, emit)
    except KeyboardInterrupt:  # Ctrl-C or watch stopping: the build cleaned up after itself
        return 130
    except BrokenPipeError:  # watch is gone
        return 1
    except CourseError as error:  # a setting that no build can run with (TMPDIR too deep)
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
