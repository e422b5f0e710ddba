"""The stage scheduler: artifacts render in parallel processes; a failure stays with its lesson."""

from __future__ import annotations

import os
import subprocess
import sys

from scripts import archive, build, schedule, scratch
from scripts.config import CourseConfig

from .conftest import REPO

REAL_RENDER = build.render
BROKEN = "01_tag_table"


def quiet(name: str, message: str) -> None:
    """A progress callback the worker processes can import (a lambda cannot be sent to them)."""


def render_breaking_one_handout(prepared, artifact, progress):
    if prepared.lesson.info.name == BROKEN and artifact == "student":
        raise RuntimeError("the renderer broke")
    return REAL_RENDER(prepared, artifact, progress)


def test_a_failed_render_fails_its_own_lesson_and_publishes_nothing_of_it(course_copy, monkeypatch):
    # The pool forks its workers after this patch, so they render with it too.
    monkeypatch.setattr(build, "render", render_breaking_one_handout)
    paths = [course_copy / "sources" / f"{name}.py" for name in (BROKEN, "02_second")]
    broken, fine = schedule.build_lessons(paths, course_copy, CourseConfig(), 2, quiet)

    assert broken.error == (
        "sources/01_tag_table.py:1: the build failed: RuntimeError: the renderer broke; report this"
    )
    assert broken.version == "1.3"  # the summary still names the version that failed
    assert not (course_copy / "build" / BROKEN).exists()  # none of its artifacts went out
    assert fine.error == ""
    assert sorted(p.name for p in (course_copy / "build" / "02_second").iterdir()) == sorted(
        [*fine.built, ".built.json", ".source.py"]
    )
    assert len(fine.built) == len(build.ARTIFACTS) + 1 and fine.slides > 0 and fine.executed
    assert not list((course_copy / "build").glob(".0*"))  # staging folders are gone


def test_results_come_back_in_the_order_asked_with_their_time(course_copy):
    paths = sorted((course_copy / "sources").glob("0*.py"), reverse=True)
    results = schedule.build_lessons(paths, course_copy, CourseConfig(), 2, quiet)
    assert [r.path for r in results] == paths
    assert all(not r.error and r.seconds > 0 for r in results)


REAL_PREPARE = build.prepare


def prepare_counting_staged(path, root, config, progress, side_by_side=False):
    """build.prepare, noting how many other lessons are staged (under way) as it starts."""
    staged = len(list((root / "build").glob(".0*")))
    with open(root / "staged.txt", "a") as record:
        record.write(f"{staged}\n")
    return REAL_PREPARE(path, root, config, progress, side_by_side)


def test_a_lesson_starts_only_when_few_are_under_way(course_copy, monkeypatch):
    """Memory does not grow with the course: with one worker, at most two lessons are under way
    (one rendering, one preparing), so no lesson starts before the first one is published."""
    monkeypatch.setattr(build, "prepare", prepare_counting_staged)
    paths = sorted((course_copy / "sources").glob("0*.py"))
    assert len(paths) >= 3
    results = schedule.build_lessons(paths, course_copy, CourseConfig(), 1, quiet)
    assert all(not r.error for r in results)
    staged = [int(n) for n in (course_copy / "staged.txt").read_text().split()]
    assert len(staged) == len(paths) and max(staged) <= 1


def prepare_noting_its_start(path, root, config, progress, side_by_side=False):
    with open(root / "stages.txt", "a") as record:  # one short append: a whole line
        record.write("prepare\n")
    return REAL_PREPARE(path, root, config, progress, side_by_side)


def render_noting_its_start(prepared, artifact, progress):
    with open(prepared.lesson.info.path.parent.parent / "stages.txt", "a") as record:
        record.write(f"{artifact}\n")
    return REAL_RENDER(prepared, artifact, progress)


def test_every_lesson_starts_executing_before_the_renders_while_few_are_under_way(
    course_copy, monkeypatch
):
    """A lesson's execution is the long pole: on two cores, a fourth lesson that began only
    once the first was published ran alone at the end while the other core idled."""
    monkeypatch.setattr(build, "prepare", prepare_noting_its_start)
    monkeypatch.setattr(build, "render", render_noting_its_start)
    sources = course_copy / "sources"
    (sources / "05_fourth.py").write_text((sources / "02_second.py").read_text())
    paths = sorted(sources.glob("0*.py"))
    assert len(paths) == 4

    results = schedule.build_lessons(paths, course_copy, CourseConfig(), 2, quiet)

    assert all(not r.error for r in results)
    stages = (course_copy / "stages.txt").read_text().split()
    assert stages[:4] == ["prepare"] * 4
    assert sorted(stages[4:]) == sorted(build.ARTIFACTS * 4)


def test_decks_first_publishes_the_deck_before_the_handouts(course_copy):
    """`course watch`'s route: the deck is in build/ (and announced) while the handouts render;
    a save meanwhile is not taken as built (the manifest hashes the bytes that were read)."""
    source = course_copy / "sources" / "02_second.py"
    out = course_copy / "build" / "02_second"
    announced = []

    def on_deck(name: str) -> None:
        announced.append((name, sorted(p.name for p in out.iterdir())))
        source.write_text(source.read_text(encoding="utf-8") + "\n# %%\n_saved_again = 1\n")

    (result,) = schedule.build_decks_first([source], course_copy, CourseConfig(), 2, quiet, on_deck)

    assert result.error == ""
    deck = next(name for name in result.built if name.endswith(".slides.html"))
    assert announced == [("02_second", [deck])]  # the deck alone, before anything else
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*result.built, ".built.json", ".source.py"]
    )
    assert len(result.built) == len(build.ARTIFACTS) + 1  # and the student notebook
    assert deck in archive.read_manifest(out).artifacts
    assert not archive.is_fresh(source, out, CourseConfig())  # the second save is still due


def test_decks_first_renders_the_student_deck_while_the_browser_loads_the_deck(
    course_copy, monkeypatch
):
    """The build process would only wait for the browser: it renders the student deck then,
    and the pool's workers are handed the two handouts alone."""
    import time
    from concurrent.futures import ProcessPoolExecutor

    source = course_copy / "sources" / "02_second.py"
    handed = []
    real_submit = ProcessPoolExecutor.submit

    def recording(self, function, *args, **kwargs):
        handed.append(args[1] if function is schedule._render else function.__name__)
        return real_submit(self, function, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", recording)
    staged = []

    def on_deck(name: str) -> None:  # as watch's wait for the page: up to 10 s here
        deadline = time.monotonic() + 10
        while not staged and time.monotonic() < deadline:
            staged.extend((course_copy / "build").glob(".02_second-*/*.student-slides.html"))
            time.sleep(0.01)

    (result,) = schedule.build_decks_first([source], course_copy, CourseConfig(), 2, quiet, on_deck)

    assert result.error == ""
    assert staged  # the student deck was in the staging folder while the deck was loading
    assert sorted(handed) == ["student", "worked"]
    assert any(name.endswith(".student-slides.html") for name in result.built)


def test_a_worker_forked_after_a_kernel_ran_gets_a_loop_of_its_own_and_the_parent_keeps_its():
    # `course watch` runs kernels in its own process, then forks workers: a worker that ran on
    # the copied loop spun for ever (Python 3.13), and closing the copy carelessly took the
    # parent's wake-up pipe out of their shared epoll set.
    import os
    import re
    from pathlib import Path

    from jupyter_core.utils import ensure_event_loop, run_sync

    async def nothing():
        return None

    run_sync(nothing)()  # as nbclient does: jupyter_core now remembers a loop
    parent = ensure_event_loop()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        schedule._drop_inherited_event_loop()
        own = ensure_event_loop()
        os.write(write_end, b"own" if own is not parent and not own.is_closed() else b"inherited")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read_end, 16) == b"own"
    os.close(read_end)
    os.close(write_end)

    # The parent's loop still watches its wake-up pipe (what call_soon_threadsafe writes to).
    epoll_set = Path(f"/proc/self/fdinfo/{parent._selector.fileno()}").read_text()
    assert parent._ssock.fileno() in {int(fd) for fd in re.findall(r"tfd:\s*(\d+)", epoll_set)}


def test_a_build_leaves_none_of_weasyprints_font_folders_behind(course_copy, short_temp):
    # WeasyPrint copies the handout's fonts (7 MB) into a temporary folder per font
    # configuration and deletes it when the configuration is collected; a pool worker ends
    # without a last collection, so a configuration per PDF left most of them in /tmp.
    # The command line's own folder (scripts/scratch.py) would hide that, and `course watch`'s
    # build process lives for hours, forking new workers for every save: so the scheduler
    # runs here on its own, in a fresh process (a pool forked from this test process, which
    # has run kernels and holds their threads, could deadlock on Python 3.13).
    build_only = (
        "import sys; from pathlib import Path\n"
        "from scripts import runtime, schedule\n"
        "from scripts.cli import progress\n"
        "from scripts.config import CourseConfig\n"
        "runtime.configure()\n"
        "root = Path(sys.argv[1])\n"
        "results = schedule.build_lessons(sorted((root / 'sources').glob('0*.py')), root,"
        " CourseConfig(), 2, progress)\n"
        "sys.exit(1 if any(r.error for r in results) else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", build_only, str(course_copy)],
        cwd=REPO,
        env=dict(os.environ, TMPDIR=str(short_temp)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((course_copy / "build").glob("*/*.pdf"))) == 6  # three lessons, two each
    assert not list(short_temp.glob("weasyprint-*"))
    assert not list(short_temp.glob(f"{scratch.KERNEL_FOLDER}*"))  # nor a kernel's folder
