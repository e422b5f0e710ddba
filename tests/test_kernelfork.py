"""Kernels forked by the build's kernel starter: the same runs as fresh kernels, for less."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

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

    def start(*lessons, at_once=False):
        kernelfork.start(tmp_path, list(lessons), scratch.enter(), at_once=at_once)
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


def test_the_starter_preloads_what_the_lesson_imports_at_its_top_level_of_torch_and_co(tmp_path):
    lesson = write_lesson(
        tmp_path,
        "01_a.py",
        "from __future__ import annotations\nimport torch, numpy as np, re\n"
        "from torch.func import jacrev\nfrom . import sibling\nimport tqdm.auto\n"
        "def later():\n    import matplotlib\n",
    )
    # tqdm.auto is not for a starter: it picks its progress bar as it loads, asking IPython.
    # torch.func is in torch, and torch loads numpy: torch alone says it all.
    assert kernelfork.file_imports(lesson) == ["torch"]
    unparsed = write_lesson(tmp_path, "02_b.py", "import torch\nprint(\n")
    assert kernelfork.file_imports(unparsed) == []
    assert kernelfork.preloadable(("re", "matplotlib.pyplot", "tqdm")) == ["matplotlib.pyplot"]
    assert kernelfork.preloadable(("numpy.linalg", "matplotlib.colors")) == ["matplotlib", "numpy"]
    assert kernelfork.preloadable(("numpy", "matplotlib.pyplot")) == ["matplotlib.pyplot"]


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
    assert kernelfork.file_imports(lesson.info.path) == ["matplotlib.pyplot", "torch"]
    for run in (fresh, forked):
        (said,) = run.cells.pop().outputs
        assert said.name == "stderr" and said.text.endswith("] via a handler\n")
    assert nbformat.writes(forked) == nbformat.writes(fresh)


def test_a_forked_kernel_has_the_lessons_imports_loaded_and_its_own_process(tmp_path, starter):
    probe = "import os, sys\n\nprint('numpy' in sys.modules, os.getpid())\n\nimport numpy\n"
    lesson = read_lesson(write_lesson(tmp_path, "01_probe.py", probe))
    assert execute.execute(lesson).cells[0].outputs[0].text.startswith("False ")
    starter(lesson.info.path)
    first, second = (execute.execute(lesson).cells[0].outputs[0].text.split() for _ in "12")
    assert first[0] == second[0] == "True"  # loaded by the starter, once
    assert first[1] != second[1]  # but each run is a kernel of its own
    assert all(kernel.poll() is not None for kernel in starter.forked)  # and each has ended


def children(pid: int) -> list[int]:
    return [int(child) for child in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def test_imports_that_print_leave_those_runs_to_fresh_kernels_and_only_them(
    tmp_path, starter, monkeypatch
):
    # `import this` prints a poem: a kernel forked after it would print nothing at the
    # lesson's own `import this`, unlike a fresh kernel. The starter's child that imported it
    # exits; kernels that need other modules, or none, are still forked.
    monkeypatch.setattr(kernelfork, "PRELOADED", {"this", "tabnanny"})
    noisy = read_lesson(write_lesson(tmp_path, "01_this.py", "import this\n"))
    quiet = read_lesson(write_lesson(tmp_path, "02_tab.py", "import tabnanny\nprint(2)\n"))
    starter(noisy.info.path)
    for _ in "12":
        executed = execute.execute(noisy)
        assert "Beautiful is better than ugly." in executed.cells[0].outputs[0].text
    assert execute.execute(quiet).cells[0].outputs[0].text == "2\n"
    assert [type(kernel).__name__ for kernel in starter.forked] == ["NoneType"] * 2 + [
        "ForkedKernel"
    ]


@pytest.mark.parametrize("at_once", [True, False])
def test_the_starter_imports_at_once_only_when_asked_to(tmp_path, starter, at_once):
    # A clean build asks at once, so that torch loads while the build loads its pipeline; a
    # build that may find every run in its cache asks at the first kernel it needs.
    lesson_file = write_lesson(tmp_path, "01_np.py", "import numpy\n")
    kernelfork.start(tmp_path, [lesson_file], scratch.enter(), at_once=at_once)
    process = kernelfork._starter["process"]
    deadline = time.monotonic() + (20 if at_once else 2)
    while not children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # a child importing numpy, at once; none before a kernel is asked for
    assert len(children(process.pid)) == at_once
    execute.execute(read_lesson(lesson_file))
    assert len(children(process.pid)) == 1  # one per set of modules, however asked


def test_what_torch_imports_at_first_use_is_its_own_addition_to_a_set():
    assert kernelfork.first_use_imports(("numpy", "torch.func", "torch")) == ["torch._dynamo"]
    assert kernelfork.first_use_imports(("matplotlib.pyplot", "numpy")) == []


@pytest.mark.parametrize("at_once", [True, False])
def test_what_torch_imports_at_first_use_is_loaded_ahead_by_a_starter_asked_at_once(
    tmp_path, starter, at_once
):
    # An optimizer's first step imports TorchDynamo (1 s of CPU): a clean build's starter
    # loads it once for every run; for an edited lesson's run it waits for the step.
    loaded = "print('torch._dynamo' in sys.modules)\n"
    step = "torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).step()\n"
    lesson = read_lesson(
        write_lesson(tmp_path, "01_step.py", "import sys, torch\n" + loaded + step + loaded)
    )
    starter(lesson.info.path, at_once=at_once)
    executed = execute.execute(lesson)
    assert [type(kernel) for kernel in starter.forked] == [kernelfork.ForkedKernel]
    assert executed.cells[0].outputs[0].text == f"{at_once}\nTrue\n"


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

    lesson_file = write_lesson(tmp_path, "01_sleep.py", "import numpy\n")
    found = multiprocessing.get_context("fork").Queue()

    def build_and_hang():  # a build killed outright while its kernels run
        kernelfork.start(tmp_path, [lesson_file], scratch.enter())
        pids = [kernelfork._starter["process"].pid]
        for imports in ((), ("numpy",)):  # one forked by the starter, one by its child
            kernel = execute._new_kernel(tmp_path, imports)
            execute.run_sync(kernel.km.start_kernel)(cwd=str(kernel.run_dir))
            pids.append(kernel.km.provisioner.process.pid)
        found.put([*pids, *children(pids[0])])
        time.sleep(60)

    child = multiprocessing.get_context("fork").Process(target=build_and_hang)
    child.start()
    pids = found.get(timeout=60)
    # the starter, two kernels, and the starter's children: the first kernel and numpy's starter
    assert len(pids) == 5
    assert all_gone_after_killing(child, pids)


def test_a_forked_kernel_dies_with_the_process_that_asked_for_it_though_its_starter_lives(
    tmp_path, starter
):
    # A warm build process keeps its starter across builds (scripts/buildserver.py): the
    # kernels of a build killed outright must not wait for the starter to go.
    import multiprocessing

    lesson_file = write_lesson(tmp_path, "01_x.py", "import numpy\n")
    starter(lesson_file)
    found = multiprocessing.get_context("fork").Queue()

    def ask_and_hang():  # a build's worker, killed outright while its kernels run
        pids = []
        for imports in ((), ("numpy",)):  # one forked by the starter, one by its child
            kernel = execute._new_kernel(tmp_path, imports)
            execute.run_sync(kernel.km.start_kernel)(cwd=str(kernel.run_dir))
            pids.append(kernel.km.provisioner.process.pid)
        found.put(pids)
        time.sleep(60)

    asker = multiprocessing.get_context("fork").Process(target=ask_and_hang)
    asker.start()
    kernels = found.get(timeout=60)
    time.sleep(1.5)  # the starter looks at its askers at least once a second
    assert all(alive(pid) for pid in kernels)
    assert all_gone_after_killing(asker, kernels)
    starter_pid = kernelfork._starter["process"].pid
    assert alive(starter_pid)
    # Reaped while the starter waits for its next request, not left as zombies until then.
    deadline = time.monotonic() + 5
    while zombies_under(starter_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert zombies_under(starter_pid) == []


def zombies_under(pid: int) -> list[int]:
    """The processes below `pid` that have ended and wait to be reaped."""
    found = []
    for child in children(pid):
        if not alive(child) and Path(f"/proc/{child}").exists():
            found.append(child)
        found += zombies_under(child)
    return found


def all_gone_after_killing(process, pids: list[int], timeout: float = 10) -> bool:
    """Kill `process` (a multiprocessing child) outright; whether `pids` are gone soon after."""
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_build_has_torch_loaded_at_once_only_for_the_lessons_that_will_run(tmp_path, monkeypatch):
    # At once: a lesson that has never run here, or whose code changed since its last build;
    # a prose edit's runs come from the cache, and torch is not loaded for them at all.
    from scripts import cli
    from scripts.report import LessonResult

    asked = []
    monkeypatch.setattr(
        kernelfork,
        "start",
        lambda root, lessons, folder, at_once: asked.append([p.stem for p in lessons] * at_once),
    )
    lessons = [write_lesson(tmp_path, f"0{n}_x.py", "import torch\n") for n in (1, 2)]

    def build(*failed: str) -> None:
        digests = {path: kernelfork.code_digest(path) for path in lessons}
        cli._start_kernel_starter(tmp_path, lessons, digests)
        cache = tmp_path / "build" / ".cache"
        cache.mkdir(parents=True, exist_ok=True)
        for path in lessons:
            (cache / f"{path.stem}.ipynb").write_text("{}")  # as its runs would
        results = [
            LessonResult(path, path.stem, error="x" * (path.stem in failed)) for path in lessons
        ]
        cli._record_code_digests(tmp_path, results, digests)

    def edit(path, cell: str) -> None:
        path.write_text(path.read_text("utf-8") + cell, "utf-8")

    build()  # a clean build: both will run
    build()  # nothing changed
    edit(lessons[0], "\n# %% [markdown]\n# More prose.\n")
    build()  # a prose edit
    edit(lessons[1], '\n# %% tags=["hide-input"]\nprint(2)  # a code edit\n')
    build("02_x")  # a code edit, whose build failed: not recorded
    build()  # so the next build still runs it
    build()
    assert asked == [["01_x", "02_x"], [], [], ["02_x"], ["02_x"], []]


def test_the_starter_outlives_a_request_that_does_not_read(tmp_path, starter):
    import socket

    lesson = read_lesson(write_lesson(tmp_path, "01_x.py", "print(1)\n"))
    starter(lesson.info.path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as asker:
        asker.connect(str(kernelfork._starter["path"]))
        asker.sendall(b"not JSON\n")
        assert asker.recv(64) == b""  # closed without an answer
    assert execute.execute(lesson).cells[0].outputs[0].text == "1\n"
    assert [type(kernel) for kernel in starter.forked] == [kernelfork.ForkedKernel]
