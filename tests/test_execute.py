"""The execution cache: what re-runs a lesson and what does not; serial and parallel agree."""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
from xml.etree import ElementTree

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scripts import execute
from scripts.execute import _read_cache, cache_key
from scripts.lesson import read_lesson

from .conftest import run_build, run_script


def lesson_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[new_markdown_cell("## Prose"), new_code_cell("print(1)")])


def test_prose_edit_keeps_the_cache_key():
    before = lesson_notebook()
    after = copy.deepcopy(before)
    after.cells[0].source = "## Prose, reworded"
    assert cache_key(after) == cache_key(before)


def test_code_edit_and_code_cell_tag_change_the_key():
    before = lesson_notebook()
    edited, tagged = copy.deepcopy(before), copy.deepcopy(before)
    edited.cells[1].source = "print(2)"
    tagged.cells[1].metadata["tags"] = ["solution"]
    assert len({cache_key(before), cache_key(edited), cache_key(tagged)}) == 3


@pytest.mark.parametrize("package", ["torch", "numpy", "matplotlib", "ipykernel"])
def test_an_upgrade_of_each_package_alone_changes_the_key(monkeypatch, package):
    before = cache_key(lesson_notebook())
    real = execute._version
    monkeypatch.setattr(execute, "_version", lambda p: "99.0" if p == package else real(p))
    assert cache_key(lesson_notebook()) != before


def test_a_course_title_change_keeps_the_execution_cache(course_copy):
    assert run_build(course_copy, "build", "02").returncode == 0
    (course_copy / "pyproject.toml").write_text(
        '[tool.course]\ntitle = "Another Course"\n', encoding="utf-8"
    )
    again = run_build(course_copy, "build", "02")
    assert again.returncode == 0 and "execute" in again.stdout and "(cached)" in again.stdout
    assert "Another Course" in (course_copy / "build" / "index.html").read_text("utf-8")
    from pypdf import PdfReader

    cover = PdfReader(course_copy / "build/02_second/02_second_v2.0.worked.pdf").pages[0]
    assert "ANOTHER COURSE" in cover.extract_text()  # rebuilt, from the cached execution


def test_unreadable_cache_entry_is_ignored(tmp_path):
    entry = tmp_path / "01_x.ipynb"
    entry.write_text('{"cells": [', encoding="utf-8")  # cut off mid-write
    assert _read_cache(entry, "any-key") is None
    assert _read_cache(tmp_path / "missing.ipynb", "any-key") is None


def test_prose_edit_renders_again_without_running_the_lesson(course_copy):
    assert run_build(course_copy, "build", "02").returncode == 0
    source = course_copy / "sources" / "02_second.py"
    text = source.read_text("utf-8")
    source.write_text(text.replace("Prose with", "Prose, edited, with"), "utf-8")
    again = run_build(course_copy, "build", "02")
    assert "(cached)" in again.stdout
    deck = (course_copy / "build/02_second/02_second_v2.0.slides.html").read_text("utf-8")
    assert "Prose, edited, with" in deck
    # the student notebook is the same whether the lesson ran or came from the cache
    notebook = nbformat.read(course_copy / "build/02_second/02_second_v2.0.ipynb", as_version=4)
    assert notebook.metadata["language_info"]["name"] == "python"
    source.write_text(source.read_text("utf-8") + "\n# %%\nprint('new code')\n", "utf-8")
    assert "(cached)" not in run_build(course_copy, "build", "02").stdout


def test_unchanged_course_build_does_nothing_and_says_so(course_copy):
    assert run_build(course_copy, "build").returncode == 0
    again = run_build(course_copy, "build")
    assert "Nothing to do: every lesson is up to date." in again.stdout
    index = (course_copy / "build" / "index.html").read_bytes()
    # ...and loads none of the pipeline to say so: the course page comes from the manifests
    probe = subprocess.run(
        [sys.executable, "-c", NOTHING_TO_DO_PROBE, str(course_copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.stdout.split() == ["0"], probe.stdout + probe.stderr
    assert (course_copy / "build" / "index.html").read_bytes() == index


NOTHING_TO_DO_PROBE = """
import contextlib, io, sys
from scripts.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["--root", sys.argv[1], "build"])
heavy = ("jupytext", "nbformat", "nbclient", "nbconvert", "weasyprint", "jupyter_client")
print(code, *[name for name in heavy if name in sys.modules])
"""


def test_parallel_build_outputs_equal_serial_build(tmp_path):
    from .conftest import copy_course

    serial = copy_course(tmp_path / "serial")
    parallel = copy_course(tmp_path / "parallel")
    assert run_build(serial, "build", "--jobs", "1").returncode == 0
    assert run_build(parallel, "build", "--jobs", "2").returncode == 0
    names = sorted(
        p.relative_to(serial / "build")
        for p in (serial / "build").glob("0*/*")
        if p.is_file() and not p.name.startswith(".")
    )
    assert names
    for name in names:
        one, two = (serial / "build" / name).read_bytes(), (parallel / "build" / name).read_bytes()
        assert one == two, name


def test_a_change_to_the_figure_style_changes_the_key(monkeypatch, tmp_path):
    before = cache_key(lesson_notebook())
    edited = tmp_path / "matplotlibrc"
    edited.write_bytes(execute.STYLE.read_bytes() + b"\nlines.linewidth: 3\n")
    monkeypatch.setattr(execute, "STYLE", edited)
    assert cache_key(lesson_notebook()) != before


STYLE_HEADER = """\
# ---
# jupyter:
#   lesson:
#     title: "Style"
#     version: "1.0"
#     date: "2026-01-01"
#     summary: ["five lines"]
# ---

"""
FIVE_LINES = """\
import matplotlib.pyplot as plt

fig, ax = plt.subplots()
for k in range(5):
    ax.plot([0, 1, 2], [k, k + 1, k], gid=f"series-{k}")  # plain calls, as in a lesson
"""


def test_figures_drawn_by_the_build_tell_their_lines_apart_without_colour(tmp_path):
    # Five lines in greyscale: each must differ from every other in its dash pattern or its
    # marker, read from the SVG the build's kernel drew (the style comes from the build).
    lesson_file = tmp_path / "sources" / "01_style.py"
    lesson_file.parent.mkdir()
    lesson_file.write_text(STYLE_HEADER + "# %%\n" + FIVE_LINES + "plt.show()\n", "utf-8")
    executed = execute.execute(read_lesson(lesson_file))
    (svg,) = [o.data["image/svg+xml"] for o in executed.cells[0].outputs if "data" in o]
    looks = [_dash_and_marker(svg, f"series-{k}") for k in range(5)]
    assert len(set(looks)) == 5, looks
    # After the first (solid, plain) line, each is dashed and marked: either alone may blur.
    assert all(dash != "solid" and marker for dash, marker in looks[1:]), looks


def test_a_run_without_figures_shows_them_as_text_and_changes_nothing_else(tmp_path):
    # The checks' proof reads only what its checks print: its figures are never drawn.
    lesson_file = tmp_path / "sources" / "01_style.py"
    lesson_file.parent.mkdir()
    names = "print(sorted(name for name in globals() if not name.startswith('_')))\n"
    cells = [
        FIVE_LINES + "plt.show()\nprint('after')\n",
        "get_ipython().run_line_magic('matplotlib', 'inline')\nfig\n",
        names,
    ]
    lesson_file.write_text(STYLE_HEADER + "".join(f"# %%\n{c}" for c in cells), "utf-8")
    lesson = read_lesson(lesson_file)
    runs = [execute.Run(lesson, figures=drawn, variant=f"v{drawn}") for drawn in (True, False)]

    (drawn, _), (not_drawn, _) = execute.execute_cached_together(runs, tmp_path / "cache")

    def shown(notebook):
        return [sorted(o.get("data", {})) for cell in notebook.cells for o in cell.outputs]

    assert shown(drawn)[0] == ["image/svg+xml", "text/plain"]
    assert shown(not_drawn)[0] == ["text/plain"]  # "<Figure size ...>" alone: nothing drawn
    assert "<Figure size" in not_drawn.cells[0].outputs[0].data["text/plain"]
    # `%matplotlib inline` registers matplotlib_inline's printers again: still not drawn.
    assert shown(not_drawn)[2] == ["text/plain"] and "image/svg+xml" in shown(drawn)[2]
    for ran, bare in zip(drawn.cells, not_drawn.cells, strict=True):
        assert ran.execution_count == bare.execution_count  # the set-up is no numbered cell
        texts = [o.text for o in ran.outputs if o.output_type == "stream"]
        assert texts == [o.text for o in bare.outputs if o.output_type == "stream"]
    assert "fig" in not_drawn.cells[2].outputs[0].text  # the lesson's names, and only them
    assert not_drawn.cells[0].execution_count == 1


def test_a_plain_script_run_draws_with_the_same_style(tmp_path):
    script = tmp_path / "sources" / "01_style.py"
    script.parent.mkdir()
    show = "print([(line.get_linestyle(), line.get_marker()) for line in ax.lines])\n"
    script.write_text(FIVE_LINES + show, "utf-8")
    done = run_script(script, tmp_path)
    assert done.returncode == 0, done.stderr
    looks = ast.literal_eval(done.stdout.strip())
    assert len(set(looks)) == 5 and "None" not in {marker for _, marker in looks[1:]}, looks


def _dash_and_marker(svg: str, gid: str) -> tuple[str, str | None]:
    """A line's dash pattern (its SVG stroke-dasharray) and the marker shape it places."""
    root = ElementTree.fromstring(svg)
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == gid)
    style = next(p for p in group.iter(f"{SVG}path")).get("style", "")
    dash = re.search(r"stroke-dasharray:\s*([^;]+)", style)
    # Markers are <use> elements pointing at one <path> in <defs> per marker shape.
    uses = [u.get(f"{XLINK}href") for u in group.iter(f"{SVG}use")]
    return (dash.group(1).strip() if dash else "solid"), (uses[0] if uses else None)


SVG, XLINK = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}"


def test_a_lesson_run_leaves_no_thread_or_descriptor_behind(tmp_path):
    # `course watch` executes every code edit in one process for hours: each run used to
    # leave its kernel client's heartbeat thread, zmq threads and about 18 descriptors.
    import os
    import threading

    lesson_file = tmp_path / "sources" / "01_style.py"
    lesson_file.parent.mkdir()
    lesson_file.write_text(STYLE_HEADER + "# %%\nprint('ran')\n", "utf-8")
    lesson = read_lesson(lesson_file)
    execute.execute(lesson)  # the first run may import and cache what every run shares

    def held() -> tuple:
        return (
            threading.active_count(),
            len(os.listdir("/proc/self/task")),
            len(os.listdir("/proc/self/fd")),
        )

    before = held()
    for _ in range(2):
        assert execute.execute(lesson).cells[0].outputs[0].text == "ran\n"
    assert held() == before


def pid_lesson(tmp_path):
    lesson_file = tmp_path / "sources" / "01_pid.py"
    lesson_file.parent.mkdir(exist_ok=True)
    lesson_file.write_text(STYLE_HEADER + "# %%\nimport os\n\nprint(os.getpid())\n", "utf-8")
    return read_lesson(lesson_file)


def kernel_pid(lesson) -> int:
    return int(execute.execute(lesson).cells[0].outputs[0].text)


def test_a_spare_kernel_runs_the_next_lesson_once_then_runs_start_afresh(tmp_path):
    lesson = pid_lesson(tmp_path)
    execute.start_spare_kernels(tmp_path)
    (spare,) = execute._spares
    started_ahead = spare.km.provisioner.process
    try:
        assert kernel_pid(lesson) == started_ahead.pid
        assert execute._spares == []  # used once
        assert started_ahead.poll() is not None and not spare.folder.exists()  # and gone
        assert kernel_pid(lesson) != started_ahead.pid  # the next run starts its own
    finally:
        execute.stop_spare_kernels()


def test_a_forked_worker_never_uses_its_parents_spare_kernel(tmp_path):
    import multiprocessing

    lesson = pid_lesson(tmp_path)
    execute.start_spare_kernels(tmp_path)
    (spare,) = execute._spares
    process = spare.km.provisioner.process
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(kernel_pid, (lesson,)) != process.pid
        assert execute._spares == [spare] and process.poll() is None  # the parent's, alive
    finally:
        execute.stop_spare_kernels()
    assert process.wait(timeout=10) is not None and not spare.folder.exists()


def test_the_imports_a_spare_kernel_loads_ahead_are_the_lessons_top_level_ones():
    notebook = new_notebook(
        cells=[
            new_markdown_cell("import prose_is_not_code"),
            new_code_cell("from __future__ import annotations\nimport torch, numpy as np"),
            new_code_cell("%timeit 1\nimport not_parsed"),  # a magic: the cell is skipped
            new_code_cell("from torch.func import jacrev\nfrom . import sibling\nimport torch"),
            new_code_cell("def later():\n    import only_when_called\n"),
        ]
    )
    assert execute.lesson_imports(notebook) == ("torch", "numpy", "torch.func")


def module_probe_lesson(tmp_path, module: str):
    """A lesson whose first cell says whether `module` was loaded before it imports it."""
    lesson_file = tmp_path / "sources" / "01_probe.py"
    lesson_file.parent.mkdir(exist_ok=True)
    probe = f"import sys\n\nprint({module!r} in sys.modules)\n\nimport {module}\n"
    lesson_file.write_text(STYLE_HEADER + "# %%\n" + probe, "utf-8")
    return read_lesson(lesson_file)


def test_a_spare_kernel_has_the_lessons_imports_loaded_before_its_first_cell(tmp_path):
    lesson = module_probe_lesson(tmp_path, "tabnanny")  # nothing the kernel loads by itself
    assert execute.execute(lesson).cells[0].outputs[0].text == "False\n"
    execute.start_spare_kernels(tmp_path, 1, execute.lesson_imports(lesson.notebook))
    try:
        warm = execute.execute(lesson)
    finally:
        execute.stop_spare_kernels()
    assert warm.cells[0].outputs[0].text == "True\n"
    assert warm.cells[0].execution_count == 1  # the imports ahead left no history


def test_a_spare_kernel_for_a_torch_lesson_has_what_torch_loads_at_first_use_loaded_too(
    tmp_path,
):
    # TorchDynamo, which torch imports at an optimizer's first step (1 s of CPU), between saves.
    lesson = module_probe_lesson(tmp_path, "torch._dynamo")
    execute.start_spare_kernels(tmp_path, 1, ("torch",))
    try:
        warm = execute.execute(lesson)
    finally:
        execute.stop_spare_kernels()
    assert warm.cells[0].outputs[0].text == "True\n"


def test_a_lesson_run_in_a_warm_spare_kernel_equals_a_run_in_a_fresh_one(tmp_path, monkeypatch):
    lesson_file = tmp_path / "sources" / "01_style.py"
    lesson_file.parent.mkdir()
    code = "import numpy as np\n" + FIVE_LINES + "plt.show()\nprint(np.arange(3), sorted(dir()))\n"
    lesson_file.write_text(STYLE_HEADER + "# %%\n" + code + "# %%\n_\n", "utf-8")
    lesson = read_lesson(lesson_file)
    fresh = execute.execute(lesson)
    execute.start_spare_kernels(tmp_path, 1, execute.lesson_imports(lesson.notebook))
    monkeypatch.setattr(execute, "_new_kernel", None)  # the spare, or this run fails
    try:
        warm = execute.execute(lesson)
    finally:
        execute.stop_spare_kernels()
    assert nbformat.writes(warm) == nbformat.writes(fresh)


def test_a_spare_kernel_whose_imports_printed_is_not_used_nor_are_they_sent_again(
    tmp_path, monkeypatch
):
    # `import this` prints a poem: in a kernel that imported it ahead, the lesson's cell would
    # print nothing, unlike a fresh kernel's. Such a spare is set aside for a fresh kernel.
    monkeypatch.setattr(execute, "_noisy_imports", set())
    lesson = module_probe_lesson(tmp_path, "this")
    execute.start_spare_kernels(tmp_path, 1, ("this",))
    (spare,) = execute._spares
    try:
        executed = execute.execute(lesson)
        execute.start_spare_kernels(tmp_path, 1, ("this",))
        (next_spare,) = execute._spares
        assert next_spare.imports == () and next_spare.warming is None  # a plain kernel
    finally:
        execute.stop_spare_kernels()
    text = "".join(output.text for output in executed.cells[0].outputs)
    assert text.startswith("False\nThe Zen of Python") and not spare.folder.exists()


def test_a_spare_kernel_that_died_does_not_count_its_imports_as_noisy(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "_noisy_imports", set())
    lesson = pid_lesson(tmp_path)
    execute.start_spare_kernels(tmp_path, 1, ("json",))
    (spare,) = execute._spares
    spare.km.provisioner.process.kill()
    spare.km.provisioner.process.wait(timeout=10)
    try:
        assert kernel_pid(lesson) != spare.km.provisioner.process.pid  # a fresh kernel ran it
        execute.start_spare_kernels(tmp_path, 1, ("json",))
        assert execute._noisy_imports == set() and execute._spares[0].imports == ("json",)
    finally:
        execute.stop_spare_kernels()


def test_ctrl_c_while_a_spare_loads_its_imports_stops_that_kernel(tmp_path, monkeypatch):
    lesson = pid_lesson(tmp_path)
    execute.start_spare_kernels(tmp_path, 1, ("json",))
    (spare,) = execute._spares
    process = spare.km.provisioner.process

    def interrupted(kernel):
        raise KeyboardInterrupt

    monkeypatch.setattr(execute, "_warmed_quietly", interrupted)
    with pytest.raises(KeyboardInterrupt):
        execute.execute(lesson)
    assert process.poll() is not None and not spare.folder.exists() and execute._spares == []


def test_stdout_printed_in_pieces_is_one_output_and_text_after_a_figure_stays_after_it():
    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)

    figure = nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg/>"})
    cell = new_code_cell(
        "...",
        outputs=[
            *(stream("stdout", text) for text in ("a\n", "b")),
            figure,
            stream("stdout", "c\n"),
            *(stream("stderr", text) for text in ("d\n", "e\n")),
            stream("stdout", "f\n"),
        ],
    )
    notebook = new_notebook(cells=[cell, new_markdown_cell("prose")])
    execute.join_stream_pieces(notebook)
    shown = [(o.output_type, o.get("name"), o.get("text")) for o in notebook.cells[0].outputs]
    assert shown == [
        ("stream", "stdout", "a\nb"),
        ("display_data", None, None),
        ("stream", "stdout", "c\n"),
        ("stream", "stderr", "d\ne\n"),
        ("stream", "stdout", "f\n"),
    ]


TIMED_EXERCISE = """\
# %%
import time

started = time.monotonic()
time.sleep(1.5)
print(started, time.monotonic())

# %% [markdown] tags=["exercise"]
# ## Exercise: four
# Make `answer` four.

# %% tags=["solution"]
answer = 4

# %%
import os

if "answer" not in globals():
    os._exit(DIES_WITHOUT_AN_ANSWER)

# %% tags=["check"]
assert answer == 4, "answer should be 4"
"""


def exercise_lesson(tmp_path, exit_code: int):
    lesson_file = tmp_path / "sources" / "01_exercise.py"
    lesson_file.parent.mkdir(exist_ok=True)
    code = TIMED_EXERCISE.replace("os._exit(DIES_WITHOUT_AN_ANSWER)", f"os._exit({exit_code})")
    if not exit_code:
        code = code.replace('if "answer" not in globals():\n    os._exit(0)\n', "")
    lesson_file.write_text(STYLE_HEADER + code, "utf-8")
    return read_lesson(lesson_file)


@pytest.mark.parametrize("side_by_side", [True, False])
def test_the_lesson_and_its_checks_proof_run_side_by_side_when_asked(tmp_path, side_by_side):
    # A code edit above a check used to run the lesson, then the student notebook: the deck
    # waited for both, one after the other. With the cores busy on other lessons, they still
    # run one after the other, so that fewer kernels are held at once.
    from scripts.build import _proof_run

    lesson = exercise_lesson(tmp_path, exit_code=0)
    runs = [execute.Run(lesson), *_proof_run(lesson)]
    outcomes = execute.execute_cached_together(runs, tmp_path / "c", side_by_side)
    (ran, executed), (stub, stub_executed) = outcomes
    assert executed and stub_executed
    spans = [[float(t) for t in nb.cells[0].outputs[0].text.split()] for nb in (ran, stub)]
    overlap = max(start for start, _ in spans) < min(end for _, end in spans)
    assert overlap == side_by_side, spans
    again = execute.execute_cached_together(runs, tmp_path / "c", side_by_side)
    assert [executed for _, executed in again] == [False, False]  # both cached


def test_a_run_that_succeeds_is_cached_when_the_one_beside_it_fails(tmp_path):
    from scripts.build import _proof_run
    from scripts.lesson import LessonError

    lesson = exercise_lesson(tmp_path, exit_code=3)  # the kernel dies when answers are blank
    runs = [execute.Run(lesson), *_proof_run(lesson)]
    with pytest.raises(LessonError) as failed:
        execute.execute_cached_together(runs, tmp_path / "c")
    assert "in the student notebook, answers blank: cell" in str(failed.value)
    assert "the kernel died" in str(failed.value)
    assert (tmp_path / "c" / "01_exercise.ipynb").is_file()  # the lesson's own run is kept
    assert not (tmp_path / "c" / "01_exercise.student-run.ipynb").exists()
