"""`make bench`, the author's loop: `course watch` running, the deck open in Chromium, a save.

Measured as an author lives it: from the moment the lesson file is written to the `load`
event of the deck reloading itself in the browser (prose-only edit, then a code edit), and
to the moment the page hears that the handouts are in build/ too. Chromium is driven by
Playwright and may reach nothing but the watch server (any other request is refused and
counted). Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .preview import CHROMIUM_ARGS, find_chromium

SERVING = re.compile(r"Serving build/ at (http://127\.0\.0\.1:\d+)/")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
LONG = 300  # seconds: a limit for anything that should take a few
# The edits: prose only; a code cell after the last check (the lesson runs again); a code
# cell before the first one (the lesson and, in a lesson with checks, its proof run again).
KINDS = ("prose", "code", "code_above")
# Seconds between the handouts of one save and the next save: an author reads the new slide
# before typing again, and watch uses that time to start and warm the next runs' kernels.
# BENCH_READING=0 saves back to back (a save then may wait for a kernel still loading torch).
READING_S = float(os.environ.get("BENCH_READING", "8"))


def measure_watch(course: Path, lesson: Path, runs: int) -> dict:
    """Median seconds from save to deck reloaded, and to handouts refreshed, per kind of edit."""
    chromium = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        return {"watch_skipped": "no Chromium or Playwright: the watch loop was not measured"}
    watch = _Watch(course)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page, refused = _open_deck(browser, watch, lesson.stem)
            figures = {}
            for kind in KINDS:
                times = [_save_and_wait(page, watch, lesson, kind) for _ in range(runs)]
                figures[f"watch_{kind}_deck_s"] = statistics.median(t[0] for t in times)
                figures[f"watch_{kind}_handouts_s"] = statistics.median(t[1] for t in times)
            figures["watch_refused_requests"] = len(refused)
            browser.close()
    finally:
        watch.stop()
    return figures


class _Watch:
    """`course watch --port 0` on the course, after its first build."""

    def __init__(self, course: Path) -> None:
        self.log = course / "watch-bench.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scripts", "--root", str(course), "watch", "--port", "0"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.url = _until(lambda: SERVING.search(self.log.read_text()), "watch to serve")[1]
        lessons = len(list((course / "sources").glob("[0-9][0-9]_*.py")))
        _until(lambda: self.status()["now"] >= lessons, "watch's first build")

    def status(self, lesson: str = "") -> dict:
        with OPENER.open(f"{self.url}/__reload?lesson={lesson}&since=0", timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _open_deck(browser, watch: _Watch, name: str):
    refused: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 720})

    def only_watch(route) -> None:  # offline: the watch server on this machine and nothing else
        if route.request.url.startswith(watch.url + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_watch)
    deck = next((Path(watch.log.parent) / "build" / name).glob("*.slides.html"))
    page.goto(f"{watch.url}/{name}/{deck.name}")
    page.wait_for_selector(".reveal.ready", timeout=LONG * 1000)
    return page, refused


def _save_and_wait(page, watch: _Watch, lesson: Path, kind: str) -> tuple[float, float]:
    """Write an edit; seconds until the deck reloaded with it, and until the handouts are in."""
    time.sleep(READING_S)
    stamp = time.monotonic_ns()
    text = edited(lesson.read_text(encoding="utf-8"), kind, stamp)
    with page.expect_event("load", timeout=LONG * 1000):
        started = time.perf_counter()
        lesson.write_text(text, encoding="utf-8")
    deck = time.perf_counter() - started
    if str(stamp) not in page.content():
        raise RuntimeError(f"bench: the reloaded deck of {lesson.stem} does not show the edit")
    _until(lambda: not watch.status(lesson.stem)["handouts"], "the handouts", step=0.02)
    return deck, time.perf_counter() - started


def edited(text: str, kind: str, stamp: int) -> str:
    """The lesson `text` with one edit of `kind` (see KINDS) that shows `stamp`."""
    text = text.rstrip("\n")
    if kind == "prose":  # a new prose cell: no code changed, the cached execution is reused
        return f"{text}\n\n# %% [markdown]\n# Edited at {stamp}.\n"
    if kind == "code":  # a new, harmless code cell at the end: the lesson runs again
        return f"{text}\n\n# %%\n_bench_edit = {stamp}\n"
    first_code = text.index("\n# %%\n")  # the same before the first code cell: the proof too
    return f"{text[:first_code]}\n# %%\n_bench_edit = {stamp}\n{text[first_code:]}\n"


def _until(condition, what: str, step: float = 0.1):
    deadline = time.monotonic() + LONG
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise RuntimeError(f"bench: gave up after {LONG} s waiting for {what}")
