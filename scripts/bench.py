"""`make bench`: time the build against the plain scripts and the by-hand pipeline (not a test)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import buildserver, runtime
from .benchwatch import measure_watch
from .errors import SettingError
from .files import write_atomic
from .libraries import font_subsetter

BIN = Path(sys.executable).parent
CODE = Path(__file__).resolve().parent.parent  # this build's code: scripts/ is in it
BENCHPAGES = CODE / "scripts" / "benchpages.py"
# Target 2 is stated against the first round's handouts: its code, on its own four lessons,
# timed by the same measure on the same machine (BENCH_PAGES_BASELINE; "" skips it).
FIRST_ROUND = "3538783"
# The synthetic courses are made of the build's own fixture lessons (small, every feature),
# with a lesson of another author's beside them: four, so that a course of 4 lessons and one
# of 40 are the same mix, and their seconds per lesson compare like with like (with the three
# of tests/fixtures/course alone, the 4-lesson course was half lessons with checks, the 40-lesson
# one a third). A course without them (an installed tool) uses its own lessons.
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SCALE_FIXTURES = (
    *sorted((FIXTURES / "course" / "sources").glob("[0-9][0-9]_*.py")),
    FIXTURES / "others" / "sources" / "03_no_headings.py",
)


def run_benchmark(root: Path) -> dict:
    """Every figure of the table, measured in one run in a temporary copy of the course.
    Builds are cold (each starts its own Python, as on a fresh machine or in CI), except
    the `warm_` figures, built by a warm build process (scripts/buildserver.py), as an
    author's every build after the first is."""
    cold = os.environ.get(buildserver.VARIABLE)
    os.environ[buildserver.VARIABLE] = "0"  # and for every build started from here on
    try:
        return _run_benchmark(root)
    finally:
        os.environ.pop(buildserver.VARIABLE)
        if cold is not None:
            os.environ[buildserver.VARIABLE] = cold


def _run_benchmark(root: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(root / "sources", course / "sources")
        lessons = sorted((course / "sources").glob("[0-9][0-9]_*.py"))
        scripts = {p.stem: _median(lambda p=p: _plain_script(p)) for p in lessons}
        figures = _Figures(lessons=len(lessons), runs=_runs(), floor_s=sum(scripts.values()))
        # The handouts' figures depend on it (scripts/libraries.py): recorded beside them.
        figures["font_subsetter"] = _font_subsetter()
        figures["by_hand_s"] = _median(lambda: _by_hand(lessons, Path(tmp) / "by-hand"))
        figures.update(_clean_builds(course))
        figures["noop_build_s"] = _median(lambda: _build(course)[0])
        figures.update(_handout_pages(root, course, Path(tmp)))
        edited = lessons[0]
        figures["edited_lesson"] = edited.stem
        figures["edited_lesson_script_s"] = scripts[edited.stem]
        figures["prose_edit_s"] = _median(lambda: _edit_and_build(course, edited, "prose"))
        figures["code_edit_s"] = _median(lambda: _edit_and_build(course, edited, "code"))
        figures.update(_warm(course, edited))
        figures.update(measure_watch(course, edited, _runs()))
        figures["scale"] = [_scale(root, Path(tmp) / f"scale-{n}", n) for n in _scale_sizes()]
    return dict(figures)


def _handout_pages(root: Path, course: Path, tmp: Path) -> dict:
    """Target 2: the CPU of a handout's layout per page (scripts/benchpages.py), today's code on
    this course, and the baseline's on its own lessons, in turns, so that the machine's noise
    falls on both alike: medians of BENCH_RUNS, and their ratio."""
    revision = os.environ.get("BENCH_PAGES_BASELINE", FIRST_ROUND)
    baseline, skipped = _baseline_checkout(root, revision, tmp / "baseline")
    today, before = [], []
    for _ in range(_runs()):
        if baseline is not None:
            try:
                before.append(_pages_cpu(baseline, baseline))
            except subprocess.CalledProcessError as error:  # old code, today's packages
                last = (error.stderr.decode().strip().splitlines() or ["no message"])[-1]
                baseline, skipped = None, f"{revision}'s code failed here: {last[:200]}"
        today.append(_pages_cpu(CODE, course))
    figures = {
        "handout_ms_per_page": statistics.median(m["ms_per_page"] for m in today),
        "handout_pages": today[0]["pages"],
    }
    if baseline is None:
        return figures | {"handout_baseline_skipped": skipped}
    return figures | {
        "handout_baseline": revision,
        "handout_baseline_ms_per_page": statistics.median(m["ms_per_page"] for m in before),
        "handout_baseline_pages": before[0]["pages"],
    }


def _baseline_checkout(root: Path, revision: str, folder: Path) -> tuple[Path | None, str]:
    """The baseline revision's code and lessons, from git, beside this machine's packages and
    fonts; or None and why not."""
    if not revision:
        return None, "BENCH_PAGES_BASELINE is empty"
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", revision, "scripts", "sources"],
        capture_output=True,
    )
    if archive.returncode != 0:
        return None, f"git has no {revision} here: {archive.stderr.decode().strip()[:200]}"
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    (folder / "node_modules").symlink_to(root.resolve() / "node_modules")
    return folder, ""


def _pages_cpu(code: Path, course: Path) -> dict:
    """scripts/benchpages.py with `code` first on the path (-P: not this file's folder)."""
    env = dict(os.environ, PYTHONPATH=str(code))
    command = [sys.executable, "-P", str(BENCHPAGES), str(course), "2"]
    done = subprocess.run(command, cwd=course, env=env, check=True, capture_output=True)
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def synthetic_course(templates: list[Path], course: Path, lessons: int) -> None:
    """`course`/sources with `lessons` lessons, the templates taken in turn and renumbered."""
    (course / "sources").mkdir(parents=True)
    for number in range(1, lessons + 1):
        template = templates[(number - 1) % len(templates)]
        slug = template.stem.split("_", 1)[1]
        shutil.copy(template, course / "sources" / f"{number:02d}_{slug}_{number}.py")


class _Figures(dict):
    """The figures, each printed as soon as it is measured: a bench takes minutes."""

    def __init__(self, **figures) -> None:
        super().__init__()
        self.update(figures)

    def __setitem__(self, key: str, value) -> None:
        super().__setitem__(key, value)
        print(f"bench: {key} = {value}", flush=True)

    def update(self, figures: dict) -> None:
        for key, value in figures.items():
            self[key] = value


def _scale_sizes() -> list[int]:
    """BENCH_SCALE: lesson counts of the synthetic courses, "4,40" by default ("" skips)."""
    raw = os.environ.get("BENCH_SCALE", "4,40")
    sizes = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(size.isdigit() and int(size) > 0 for size in sizes):
        raise SettingError("BENCH_SCALE", f"{raw!r} is not a list of lesson counts", 'e.g. "4,40"')
    return [int(size) for size in sizes]


def _scale(root: Path, course: Path, lessons: int) -> dict:
    """A synthetic course of `lessons` lessons, built clean once, then again with nothing to do:
    seconds per lesson, no-op seconds and peak memory, as the course grows."""
    templates = list(SCALE_FIXTURES)
    if not all(path.is_file() for path in templates):
        templates = sorted((root / "sources").glob("[0-9][0-9]_*.py"))
    synthetic_course(templates, course, lessons)
    figures = {"lessons": lessons, **_clean_builds(course)}
    figures["per_lesson_s"] = figures["clean_build_s"] / lessons
    figures["noop_build_s"] = _build(course)[0]
    with _warm_server(course) as warm:
        figures.update(_clean_builds(course, warm))
    figures["warm_per_lesson_s"] = figures["warm_clean_build_s"] / lessons
    return figures


def _warm(course: Path, edited: Path) -> dict:
    """The clean build, the no-op and the two edits again, each run by a warm build process."""
    with _warm_server(course) as warm:
        figures = _clean_builds(course, warm)
        figures["warm_noop_build_s"] = _median(lambda: _build(course, warm)[0])
        for kind in ("prose", "code"):
            edit = _median(lambda kind=kind: _edit_and_build(course, edited, kind, warm))
            figures[f"warm_{kind}_edit_s"] = edit
    return figures


@dataclass(frozen=True)
class _Warm:
    """A warm build process: the environment its builds are run in, and its pid. A build it
    runs is a child of it, not of the command the bench starts (which only waits): its memory
    is sampled in this process's tree, which also holds the idle process and its kernel
    starter, as the machine does while an author builds."""

    env: dict
    pid: int


@contextlib.contextmanager
def _warm_server(course: Path):
    """A warm build process for `course`, left by a build as an author's would be and waited
    for until it listens; stopped after."""
    env = dict(os.environ, **{buildserver.VARIABLE: "30"})
    path = buildserver.socket_path(course, env)
    if path is None:
        raise SettingError("TMPDIR", "too long for a warm build process's socket", "shorten it")
    _build(course, _Warm(env, 0))  # builds here, then leaves the process
    deadline = time.monotonic() + 300
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield _Warm(env, buildserver.server_pid(path))
    finally:
        buildserver.ask_to_quit(path)
        while path.exists() and time.monotonic() < deadline + 60:
            time.sleep(0.1)


def _clean_builds(course: Path, warm: _Warm | None = None) -> dict:
    """`BENCH_RUNS` clean builds, timed: their median seconds; then one more, sampled for
    memory: its peaks (named `warm_...` when a warm process ran them). No timed build is
    sampled: reading every process's memory every 50 ms took 3 % more time from a clean
    build of our course in the terminal, and 10 % from one in a warm process."""
    prefix = "warm_" if warm else ""
    seconds = _median(lambda: _clean_build(course, warm)[0])
    _, rss, pss = _clean_build(course, warm, memory=True)
    return {
        f"{prefix}clean_build_s": seconds,
        f"{prefix}peak_rss_mb": rss / 2**20,
        f"{prefix}peak_pss_mb": pss / 2**20,
    }


def _clean_build(course: Path, warm: _Warm | None = None, memory: bool = False) -> tuple:
    shutil.rmtree(course / "build", ignore_errors=True)
    return _build(course, warm, memory)


def print_table(f: dict) -> None:
    """One table: seconds and the ratio each target is stated in."""
    rows = [
        ("floor: plain scripts, summed", f["floor_s"], "1.00 x floor"),
        (
            "by hand: jupytext+nbconvert x2+weasyprint",
            f["by_hand_s"],
            f"{f['by_hand_s'] / f['clean_build_s']:.2f} x clean build (target >= 2.5)",
        ),
        (
            "clean build",
            f["clean_build_s"],
            f"{f['clean_build_s'] / f['floor_s']:.2f} x floor (target <= 1.3)",
        ),
        ("no-op build", f["noop_build_s"], "target <= 0.25 s"),
        _handout_row(f),
        (
            f"prose-only edit of {f['edited_lesson']}",
            f["prose_edit_s"],
            f"{f['prose_edit_s'] / f['edited_lesson_script_s']:.2f} x its script "
            f"({f['edited_lesson_script_s']:.2f} s; target <= 0.75)",
        ),
        (
            f"code edit of {f['edited_lesson']}",
            f["code_edit_s"],
            f"{f['code_edit_s'] / f['edited_lesson_script_s']:.2f} x its script",
        ),
        *_warm_rows(f),
    ]
    print(
        f"\nBenchmark: {f['lessons']} lessons, median of {f['runs']} runs, {os.cpu_count()} cores, "
        f"fonts subset by {f.get('font_subsetter', '?')}"
    )
    print(f"  {'measure':<44} {'seconds':>8}  ratio")
    for name, seconds, ratio in rows:
        print(f"  {name:<44} {seconds:>8.2f}  {ratio}")
    for name, prefix in (
        ("peak memory (RSS) of the clean build", ""),
        ("warm process: clean build's peak (RSS)", "warm_"),  # the process's idle tree in it
    ):
        print(
            f"  {name:<44} {f[prefix + 'peak_rss_mb']:>6.0f}MB  "
            f"target <= 2048 MB; PSS {f[prefix + 'peak_pss_mb']:.0f} MB"
        )
    _print_watch(f)
    for s in f["scale"]:
        print(
            f"  synthetic course of {s['lessons']:>2} lessons: clean {s['clean_build_s']:.1f} s "
            f"({s['per_lesson_s']:.2f} s per lesson; warm {s['warm_per_lesson_s']:.2f} s), "
            f"no-op {s['noop_build_s']:.2f} s, "
            f"peak {s['peak_rss_mb']:.0f} MB (PSS {s['peak_pss_mb']:.0f} MB; "
            f"warm {s['warm_peak_rss_mb']:.0f} MB, PSS {s['warm_peak_pss_mb']:.0f} MB)"
        )
    _print_scale_ratio(f["scale"])


def _warm_rows(f: dict) -> list[tuple[str, float, str]]:
    """The builds again, run by a warm build process: an author's every build but the first."""
    script = f["edited_lesson_script_s"]
    return [
        (
            "warm process: clean build",
            f["warm_clean_build_s"],
            f"{f['warm_clean_build_s'] / f['floor_s']:.2f} x floor",
        ),
        ("warm process: no-op build", f["warm_noop_build_s"], "target <= 0.25 s"),
        (
            "warm process: prose-only edit",
            f["warm_prose_edit_s"],
            f"{f['warm_prose_edit_s'] / script:.2f} x its script",
        ),
        (
            "warm process: code edit",
            f["warm_code_edit_s"],
            f"{f['warm_code_edit_s'] / script:.2f} x its script",
        ),
    ]


def _print_scale_ratio(scale: list[dict]) -> None:
    """Target 4: the smallest course's seconds per lesson against the largest's."""
    if len(scale) < 2:
        return
    small = min(scale, key=lambda s: s["lessons"])
    large = max(scale, key=lambda s: s["lessons"])
    for kind, key in (("cold", "per_lesson_s"), ("warm", "warm_per_lesson_s")):
        ratio = small[key] / large[key]
        print(
            f"  per lesson, {small['lessons']} against {large['lessons']} lessons, {kind}: "
            f"{ratio:.2f} x (target <= 1.15)"
        )


def _handout_row(f: dict) -> tuple[str, float, str]:
    """Milliseconds, not seconds: the table's second column is the measure's own unit."""
    name = f"handout layout, CPU ms per page ({f['handout_pages']})"
    if "handout_baseline_ms_per_page" not in f:
        return name, f["handout_ms_per_page"], f"no baseline: {f['handout_baseline_skipped']}"
    ratio = f["handout_ms_per_page"] / f["handout_baseline_ms_per_page"]
    return (
        name,
        f["handout_ms_per_page"],
        f"{ratio:.2f} x {f['handout_baseline']}'s {f['handout_baseline_ms_per_page']:.1f} ms "
        f"over its {f['handout_baseline_pages']} pages (target <= 0.5)",
    )


def _print_watch(f: dict) -> None:
    if "watch_skipped" in f:
        print(f"  {f['watch_skipped']}")
        return
    script = f["edited_lesson_script_s"]
    rows = [
        ("watch, prose edit: save to deck reloaded", f["watch_prose_deck_s"], "target <= 1.0 s"),
        ("watch, prose edit: save to handouts in", f["watch_prose_handouts_s"], "target <= 3 s"),
        (
            "watch, code edit: save to deck reloaded",
            f["watch_code_deck_s"],
            f"target <= script + 1 s = {script + 1:.2f} s",
        ),
        ("watch, code edit: save to handouts in", f["watch_code_handouts_s"], ""),
        ("watch, code edit above a check: save to deck", f["watch_code_above_deck_s"], ""),
        ("watch, code edit above a check: to handouts", f["watch_code_above_handouts_s"], ""),
    ]
    for name, seconds, target in rows:
        print(f"  {name:<44} {seconds:>8.2f}  {target}")
    print(f"  requests the browser made off this machine: {f['watch_refused_requests']} (refused)")


def main(root: Path) -> int:
    """Run, print, and keep the figures in build/bench.json."""
    figures = run_benchmark(root)
    print_table(figures)
    write_atomic(root / "build" / "bench.json", json.dumps(figures, indent=2) + "\n")
    print("written: build/bench.json")
    return 0


def _font_subsetter() -> str:
    """ "HarfBuzz" or "fontTools": the route the builds measured here take for fonts."""
    runtime.configure()  # loads WeasyPrint's libraries as a build does
    return font_subsetter()


def _median(measure) -> float:
    return statistics.median(measure() for _ in range(_runs()))


def _runs() -> int:
    """BENCH_RUNS, read when measuring (not frozen at import): runs per figure, 3 by default."""
    raw = os.environ.get("BENCH_RUNS", "3")
    if not raw.isdigit() or int(raw) < 1:
        raise SettingError("BENCH_RUNS", f"{raw!r} is not a positive whole number", "e.g. 3")
    return int(raw)


def _timed(command: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _plain_script(lesson: Path) -> float:
    env = dict(os.environ, MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory() as cwd:
        return _timed([sys.executable, str(lesson)], Path(cwd), env)


def _by_hand(lessons: list[Path], work: Path) -> float:
    """The route this build replaces: four tools, four interpreters per lesson."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    total = 0.0
    for lesson in lessons:
        notebook = work / f"{lesson.stem}.ipynb"
        total += _timed(
            [str(BIN / "jupytext"), "--to", "ipynb", "--execute", str(lesson), "-o", str(notebook)],
            work,
        )
        total += _timed([str(BIN / "jupyter"), "nbconvert", "--to", "slides", str(notebook)], work)
        total += _timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(notebook)], work)
        total += _timed(
            [str(BIN / "weasyprint"), f"{lesson.stem}.html", f"{lesson.stem}.pdf"], work
        )
    return total


def _build(course: Path, warm: _Warm | None = None, memory: bool = False) -> tuple[float, int, int]:
    """Seconds of one `build`; with `memory`, the largest summed RSS of its process tree and
    their summed PSS at its peaks (_sample_memory), else 0 and 0. With `warm`, the build is
    sent to that warm process (or leaves one, when it has no pid yet), whose tree is then
    sampled too."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts", "--root", str(course), "build"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=warm.env if warm else None,
    )
    if not memory:
        process.wait()
        return time.perf_counter() - started, 0, 0
    peak = [0, 0]
    roots = [process.pid, warm.pid] if warm and warm.pid else [process.pid]
    sampler = threading.Thread(target=_sample_memory, args=(process, roots, peak), daemon=True)
    sampler.start()
    process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    return seconds, peak[0], peak[1]


def _sample_memory(process: subprocess.Popen, roots: list[int], peak: list[int]) -> None:
    """While `process` runs, every 50 ms, the summed RSS of the processes under `roots` (the
    command's, and a warm process's) that were there 50 ms before too, and at
    each new peak their summed PSS. A worker starts a kernel by forking: until the kernel's
    program replaces the child, milliseconds later, the child shows its parent's memory,
    which it shares rather than holds. Sampled in that moment, one kernel launch of the 80 in
    a 40-lesson course added 129 MB to the peak. RSS counts a page shared by several
    processes in each of them, as the kernels forked from the starter (scripts/kernelfork.py)
    share torch's; PSS divides it among them, so its sum is the memory the build holds. It is
    read only at a new peak: reading it costs about 8 ms per process that has loaded torch,
    which every 50 ms would take most of a core from the build sampled."""
    seen: set[int] = set()
    while process.poll() is None:
        tree = {pid for root in roots for pid in _tree(root)}
        rss = sum(_memory(pid, "VmRSS:", "status") for pid in tree & seen)
        if rss > peak[0]:
            peak[0] = rss
            pss = sum(_memory(pid, "Pss:", "smaps_rollup") for pid in tree & seen)
            peak[1] = max(peak[1], pss)
        seen = tree
        time.sleep(0.05)


def _tree(root_pid: int) -> list[int]:
    """The pid and all its descendants, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root_pid], [root_pid]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _memory(pid: int, field: str, table: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{table}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _edit_and_build(course: Path, lesson: Path, kind: str, warm: _Warm | None = None) -> float:
    text = lesson.read_text(encoding="utf-8")
    stamp = time.monotonic_ns()
    if kind == "prose":  # a new prose cell: no code changed
        text = text.rstrip("\n") + f"\n\n# %% [markdown]\n# Edited at {stamp}.\n"
    else:  # a new, harmless code cell: the lesson must run again
        text = text.rstrip("\n") + f"\n\n# %%\n_bench_edit = {stamp}\n"
    lesson.write_text(text, encoding="utf-8")
    return _build(course, warm)[0]
