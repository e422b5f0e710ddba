"""Kernels forked by the build's kernel starter: the same runs as fresh kernels, for less."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import nbformat
import pytest

from scripts import execute, kernelfork, scratch
from scripts.lesson import read_lesson

from .test_execute import FIVE_LINES, STYLE_HEADER


@pytest.fixture
def starter(tmp_path):
    """start(lesson_files): a kernel starter for them, stopped after the test; the kernels
    it forked are counted in `forked`."""
    forked = []
    launch = kernelfork.launch

    def counting_launch(*args):
        kernel = launch(*args)
        forked.append(kernel)
        return kernel

    def start(*lessons):
        kernelfork.start(tmp_path, list(lessons), scratch.enter())
        kernelfork.launch = counting_launch

    start.forked = forked
    yield start
    kernelfork.launch = launch
    kernelfork.stop()


def write_lesson(tmp_path, name: str, code: str):
    path = tmp_path / "sources" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STYLE_HEADER + "# %%\n" + code, "utf-8")
    return path


def test_the_starter_preloads_what_every_lesson_imports_at_its_top_level(tmp_path):
    first = write_lesson(
        tmp_path,
        "01_a.py",
        "from __future__ import annotations\nimport torch, numpy as np\n"
        "from torch.func import jacrev\nfrom . import sibling\n"
        "def later():\n    import only_when_called\n",
    )
    second = write_lesson(tmp_path, "02_b.py", "import numpy\nimport torch.func\nimport torch\n")
    unparsed = write_lesson(tmp_path, "03_c.py", "import torch\nprint(\n")
    assert kernelfork.common_imports([first]) == ["torch", "numpy", "torch.func"]
    tqdm = write_lesson(tmp_path, "05_e.py", "import tqdm.auto\nimport torch\n")
    assert kernelfork.common_imports([tqdm]) == ["torch"]  # tqdm.auto decides as it loads
    assert kernelfork.common_imports([first, second]) == ["torch", "numpy", "torch.func"]
    assert kernelfork.common_imports([second, first]) == ["numpy", "torch.func", "torch"]
    assert kernelfork.common_imports([first, write_lesson(tmp_path, "04_d.py", "x = 1\n")]) == []
    assert kernelfork.common_imports([first, unparsed]) == []


def test_a_lesson_run_in_a_forked_kernel_equals_a_run_in_a_fresh_one(tmp_path, starter):
    # What a lesson could see of how its kernel began: its names, environment, temporary
    # folder, import path, threads, warning filters, and its figures and printed output.
    code = (
        "import numpy as np\nimport logging, os, sys, tempfile, threading, torch, warnings\n"
        + FIVE_LINES
        + "plt.show()\nprint(np.arange(3), sorted(dir()))\n"
        + "print(sorted(os.environ), tempfile.gettempdir(), sys.path[1:], sys.argv[0])\n"
        + "print(sorted(thread.name for thread in threading.enumerate()), __name__)\n"
        # The same filters; those the imports add come before the kernel's own in a fresh
        # kernel and after them in a forked one, which changes nothing they filter.
        + "print(sorted(map(str, warnings.filters)))\n"
    )
    # What torch's logging handlers, made at import, write shows in the notebook (its line
    # has a time and a process id: it is compared apart).
    logged = "logging.getLogger('torch').warning('via a handler')\n"
    lesson_file = write_lesson(tmp_path, "01_style.py", code + "# %%\n_\n# %%\n" + logged)
    lesson = read_lesson(lesson_file)
    scratch.enter()  # its TMPDIR, for both runs
    fresh = execute.execute(lesson)
    starter(lesson.info.path)
    forked = execute.execute(lesson)
    assert [type(kernel) for kernel in starter.forked] == [kernelfork.ForkedKernel]
    assert kernelfork.common_imports([lesson.info.path]) == ["numpy", "torch", "matplotlib.pyplot"]
    for run in (fresh, forked):
        (said,) = run.cells.pop().outputs
        assert said.name == "stderr" and said.text.endswith("] via a handler\n")
    assert nbformat.writes(forked) == nbformat.writes(fresh)


def test_a_forked_kernel_has_the_common_imports_loaded_and_its_own_process(tmp_path, starter):
    probe = "import os, sys\n\nprint('numpy' in sys.modules, os.getpid())\n\nimport numpy\n"
    lesson = read_lesson(write_lesson(tmp_path, "01_probe.py", probe))
    assert execute.execute(lesson).cells[0].outputs[0].text.startswith("False ")
    starter(lesson.info.path)
    first, second = (execute.execute(lesson).cells[0].outputs[0].text.split() for _ in "12")
    assert first[0] == second[0] == "True"  # loaded by the starter, once
    assert first[1] != second[1]  # but each run is a kernel of its own
    assert all(kernel.poll() is not None for kernel in starter.forked)  # and each has ended


def test_imports_that_print_stop_the_starter_and_runs_start_fresh_kernels(
    tmp_path, starter, monkeypatch
):
    # `import this` prints a poem: a kernel forked after it would print nothing at the
    # lesson's own `import this`, unlike a fresh kernel. The starter exits instead.
    monkeypatch.setattr(kernelfork, "PRELOADED", {"this"})
    lesson = read_lesson(write_lesson(tmp_path, "01_this.py", "import this\n"))
    starter(lesson.info.path)
    executed = execute.execute(lesson)
    assert "Beautiful is better than ugly." in executed.cells[0].outputs[0].text
    assert starter.forked == [None]
    assert kernelfork._starter["process"].wait(timeout=10) == 3


def test_the_starter_imports_at_once_only_when_asked_to(tmp_path, monkeypatch):
    # A clean build asks at once, so that torch loads while the build loads its pipeline; a
    # build that may find every run in its cache asks at the first kernel it needs. A noisy
    # import shows when the starter imports: it exits then.
    monkeypatch.setattr(kernelfork, "PRELOADED", {"this"})
    lesson_file = write_lesson(tmp_path, "01_this.py", "import this\n")
    try:
        kernelfork.start(tmp_path, [lesson_file], scratch.enter(), at_once=True)
        assert kernelfork._starter["process"].wait(timeout=30) == 3
        kernelfork.start(tmp_path, [lesson_file], scratch.enter())
        with pytest.raises(subprocess.TimeoutExpired):
            kernelfork._starter["process"].wait(timeout=3)
    finally:
        kernelfork.stop()


def test_a_kernel_of_another_course_is_not_forked_by_this_courses_starter(tmp_path, starter):
    lesson = read_lesson(write_lesson(tmp_path / "other", "01_x.py", "print(1)\n"))
    starter(write_lesson(tmp_path, "01_y.py", "print(2)\n"))
    assert execute.execute(lesson).cells[0].outputs[0].text == "1\n"
    assert starter.forked == [None]


def test_a_forked_kernel_is_watched_and_killed_through_its_pidfd(tmp_path, starter):
    lesson_file = write_lesson(tmp_path, "01_x.py", "print(1)\n")
    starter(lesson_file)
    kernel = execute._new_kernel(tmp_path)
    try:
        execute.run_sync(kernel.km.start_kernel)(cwd=str(kernel.run_dir))
        process = kernel.km.provisioner.process
        assert isinstance(process, kernelfork.ForkedKernel)
        assert process.poll() is None
        with pytest.raises(Exception, match="kernel"):
            process.wait(timeout=0.1)
        os.kill(process.pid, 0)  # there
        process.kill()
        assert process.wait(timeout=10) == -signal.SIGKILL and process.poll() == -signal.SIGKILL
    finally:
        execute._discard(kernel)


def test_the_starter_and_its_kernels_die_with_the_process_that_started_them(tmp_path):
    import multiprocessing

    lesson_file = write_lesson(tmp_path, "01_sleep.py", "import time\ntime.sleep(60)\n")
    found = multiprocessing.get_context("fork").Queue()

    def build_and_hang():  # a build killed outright while its kernel runs
        kernelfork.start(tmp_path, [lesson_file], scratch.enter())
        kernel = execute._new_kernel(tmp_path)
        execute.run_sync(kernel.km.start_kernel)(cwd=str(kernel.run_dir))
        found.put((kernelfork._starter["process"].pid, kernel.km.provisioner.process.pid))
        time.sleep(60)

    child = multiprocessing.get_context("fork").Process(target=build_and_hang)
    child.start()
    pids = found.get(timeout=60)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_build_has_torch_loaded_at_once_only_when_a_lesson_has_never_run(tmp_path, monkeypatch):
    from scripts import cli

    asked = []
    monkeypatch.setattr(kernelfork, "start", lambda *args, at_once: asked.append(at_once))
    lessons = [write_lesson(tmp_path, f"0{n}_x.py", "import torch\n") for n in (1, 2)]
    cli._start_kernel_starter(tmp_path, lessons)  # a clean build: it will run them
    cache = tmp_path / "build" / ".cache"
    cache.mkdir(parents=True)
    (cache / "01_x.ipynb").write_text("{}")
    cli._start_kernel_starter(tmp_path, lessons)  # 02 has never run
    (cache / "02_x.ipynb").write_text("{}")
    cli._start_kernel_starter(tmp_path, lessons)  # both may come from the cache
    assert asked == [True, True, False]
