"""`make bench`, target 2: the CPU a handout's layout costs per page, for any revision's code.

Run as a script, in a course folder, with the code to measure first on PYTHONPATH; the bench
runs it on today's code and on a baseline's (scripts/bench.py), one after the other, so both
are timed by the same measure on the same machine in the same hour. Each lesson's two
handouts are rendered once, which leaves the records a rebuild or a save finds in place
(scripts/svgreplay.py, scripts/contents.py; older code keeps none), then `runs` more times;
the least CPU time of `write_pdf` per handout (layout and PDF, the part WeasyPrint does) is
summed over the handouts and divided by their pages. Prints one line of JSON.

    PYTHONPATH=CODE python scripts/benchpages.py COURSE RUNS
"""

from __future__ import annotations

import inspect
import io
import json
import sys
import time
from pathlib import Path


def measure(course: Path, runs: int) -> dict:
    """Least CPU seconds of `write_pdf` per handout, summed, with the handouts' pages."""
    from pypdf import PdfReader

    from scripts import build  # the revision on PYTHONPATH, not necessarily this file's

    timed = _TimedWritePdf(build)
    seconds, pages = 0.0, 0
    for path in sorted((course / "sources").glob("[0-9][0-9]_*.py")):
        prepared = _prepare(build, path, course)
        for edition in ("worked", "student"):
            build.render(prepared, edition, _quiet)  # the first render: records in place
            best = min(timed.render(prepared, edition) for _ in range(runs))
            seconds += best
            pages += len(PdfReader(io.BytesIO(timed.last_pdf)).pages)
        build.discard(prepared)
    return {"seconds": seconds, "pages": pages, "ms_per_page": 1000 * seconds / pages}


class _TimedWritePdf:
    """`build.write_pdf` wrapped: the CPU time and bytes of the last call."""

    def __init__(self, build) -> None:
        self.build, self.write_pdf = build, build.write_pdf
        self.last_seconds, self.last_pdf = 0.0, b""
        build.write_pdf = self._write_pdf

    def _write_pdf(self, *args, **kwargs) -> bytes:
        started = time.process_time()
        self.last_pdf = self.write_pdf(*args, **kwargs)
        self.last_seconds = time.process_time() - started
        return self.last_pdf

    def render(self, prepared, edition: str) -> float:
        self.build.render(prepared, edition, _quiet)
        return self.last_seconds


def _prepare(build, path: Path, course: Path):
    """Read and execute (or take from the cache) a lesson, with today's signature or the
    first round's, which had no course configuration."""
    if "config" not in inspect.signature(build.prepare).parameters:
        return build.prepare(path, course, _quiet)
    from scripts import runtime
    from scripts.config import load_config

    runtime.configure()  # the logging and WeasyPrint set-up a build makes first
    return build.prepare(path, course, load_config(course), _quiet)


def _quiet(name: str, message: str) -> None:
    """Progress, which the measure does not print."""


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]))))
