"""A new user's bad day: killed builds, stale locks, guarded lessons, and every bad input
gives one line, a non-zero exit where the input is wrong, and loses nothing."""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scripts import execute, sandbox, scratch
from scripts.lesson import read_lesson

from .conftest import HEADER, REPO, copy_course, guarded, lesson, run_build, run_script, snapshot

ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0 and not Path("/proc/self/ns/user").exists(),
    reason="the sandbox needs root or user namespaces",
)


def start_build(root: Path, *args: str, temp: Path | None = None) -> subprocess.Popen:
    """The build in its own process group, as a terminal or `timeout` would run it (`temp`:
    its TMPDIR)."""
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "scripts", "--root", str(root), "build", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=dict(os.environ, **({"TMPDIR": str(temp)} if temp else {})),
    )


def wait_until_rendering(proc: subprocess.Popen) -> None:
    for line in proc.stdout:
        if "execute" in line:  # a lesson was executed: the pool is rendering now
            return
    raise AssertionError("the build ended before rendering:\n" + proc.stderr.read()[-2000:])


def processes_of(root: Path) -> list[int]:
    """Live processes whose command line names this course (workers, kernels)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if str(root) in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def wait_for_no_processes(root: Path, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_of(root)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def edited(root: Path) -> None:
    """Change every lesson's prose so that the build has work to do."""
    for source in (root / "sources").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text + "\n# %% [markdown]\n# One more line.\n", encoding="utf-8")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killed_build_leaves_no_process_and_the_next_build_finishes(tmp_path, how, short_temp):
    root = copy_course(tmp_path / "course")
    temp = short_temp  # the builds' TMPDIR: kernels' and WeasyPrint's folders go here
    proc = start_build(root, "--jobs", "2", temp=temp)
    wait_until_rendering(proc)
    if how == "SIGKILL":
        os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers must follow
    else:
        os.killpg(proc.pid, signal.SIGTERM)  # what `timeout` and CI limits send
    proc.wait(timeout=30)
    assert wait_for_no_processes(root) == []
    # Stopped, the build deletes its temporary files, though its workers were killed outright;
    # killed, it cannot, and leaves one folder, which the next build deletes and names.
    left = [folder.name for folder in temp.iterdir()]
    if how == "SIGKILL":
        assert left == [f"course-build-{proc.pid}"]
    else:
        assert left == []
    rebuilt = run_build(root, "build", "--jobs", "2", timeout=240, env={"TMPDIR": str(temp)})
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "another build is running" not in rebuilt.stdout
    assert list(temp.iterdir()) == []
    if how == "SIGKILL":
        assert f"removed {temp / left[0]} (temporary files of a build that was killed)" in (
            rebuilt.stdout
        )
    decks = sorted(p.name for p in (root / "build").glob("*/*.slides.html"))
    assert decks == [
        "01_tag_table_v1.3.slides.html",
        "02_second_v2.0.slides.html",
        "04_long_content_v1.0.slides.html",
    ]
    assert not list((root / "build").glob(".[0-9][0-9]_*"))


def test_only_the_temporary_folders_of_builds_that_are_gone_are_swept(tmp_path):
    gone = [subprocess.Popen([sys.executable, "-c", "pass"]) for _ in range(2)]
    for process in gone:
        process.wait()
    dead = tmp_path / f"course-build-{gone[0].pid}"
    (dead / "k-abcdefgh").mkdir(parents=True)
    live = tmp_path / f"course-build-{os.getpid()}"
    live.mkdir()
    unrelated = tmp_path / "course-build-notes"
    unrelated.mkdir()
    elsewhere = tmp_path / "elsewhere"  # a link with a dead build's name is not followed
    (elsewhere / "kept").mkdir(parents=True)
    (tmp_path / f"course-build-{gone[1].pid}").symlink_to(elsewhere)

    assert scratch.sweep(tmp_path) == [dead]
    assert not dead.exists() and live.is_dir() and unrelated.is_dir()
    assert (elsewhere / "kept").is_dir()


def test_a_temporary_folder_too_deep_for_the_kernels_sockets_is_one_line_before_any_run(tmp_path):
    root = copy_course(tmp_path / "course")
    deep = tmp_path / ("t" * 90)
    deep.mkdir()
    built = run_build(root, "build", env={"TMPDIR": str(deep)})
    assert built.returncode == 1
    assert built.stderr.strip().splitlines() == [
        f"error: TMPDIR: the temporary folder {deep} is too long a path for the kernels' Unix "
        f"sockets ({len(str(deep))} bytes; at most {scratch.LONGEST_BASE} fit); "
        "set TMPDIR to a shorter folder, such as /tmp"
    ]
    assert list(deep.iterdir()) == []
    assert not (root / "build" / "01_tag_table").exists()


def test_a_kernel_whose_starter_died_before_it_was_guarded_exits_at_once_and_says_nothing(
    tmp_path,
):
    # A build stopped while a kernel was starting: the worker that started it is gone, and
    # the build is deleting the kernel's folder. It used to run on into a traceback.
    course, run = tmp_path / "course", tmp_path / "run"  # the course is mounted read-only
    course.mkdir()
    run.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    kernel = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "sandbox.py"), "kernel", str(course)]
        + ["-f", str(run / "kernel.json")],
        cwd=run,
        env=dict(os.environ, **{sandbox.PARENT_VARIABLE: str(gone.pid)}),
        capture_output=True,
        text=True,
        timeout=30,  # a kernel that started would run until it is stopped
    )
    assert (kernel.returncode, kernel.stdout, kernel.stderr) == (1, "", "")
    assert not (run / "kernel.json").exists()  # ipykernel never started


def test_a_lesson_does_not_see_the_kernels_parent_variable(tmp_path):
    source = tmp_path / "sources" / "01_env.py"
    source.parent.mkdir()
    code = f"import os\nprint(os.environ.get({sandbox.PARENT_VARIABLE!r}))\n"
    source.write_text(HEADER + "# %%\n" + code, encoding="utf-8")
    executed = execute.execute(read_lesson(source))
    assert executed.cells[0].outputs[0].text == "None\n"


def test_sigterm_and_ctrl_c_print_one_line_and_no_traceback(tmp_path):
    root = copy_course(tmp_path / "course")
    for signum, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        proc = start_build(root, "--jobs", "2")
        wait_until_rendering(proc)
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == code
        assert "Traceback" not in stderr
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"interrupted ({signum.name})"), stderr
        assert wait_for_no_processes(root) == []
        edited(root)


def test_the_command_leaves_without_teardown_but_with_its_output_code_and_clean_up(tmp_path):
    # entry.entry skips Python's teardown of the pipeline's modules: what must happen at exit
    # still does. Output into a pipe is block-buffered: without a flush, the summary is lost.
    root = copy_course(tmp_path / "course")
    temp = tmp_path / "temp"
    temp.mkdir()
    command = [sys.executable, "-m", "scripts", "--root", str(root), "build"]
    env = dict(os.environ, TMPDIR=str(temp))
    built = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert built.returncode == 0, built.stderr
    assert built.stdout.rstrip().splitlines()[-1].startswith("3 of 3 lesson(s) ok in ")
    missing = subprocess.run([*command, "99_nope"], capture_output=True, text=True, env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ")
    assert list(temp.iterdir()) == []  # each build's scratch folder removed at its exit


def test_lock_held_by_a_dead_builds_leftover_is_taken_over_with_one_line(tmp_path):
    root = copy_course(tmp_path / "course")
    (root / "build").mkdir()
    holder = subprocess.Popen(  # a leftover: holds the lock, its build (pid 999999) is gone
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, b'999999')\n"
            "print('held', flush=True)\n"
            "time.sleep(120)\n",
            str(root / "build" / ".lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    built = run_build(root, "build", "01", timeout=120)
    assert built.returncode == 0, built.stderr
    assert (
        f"build/.lock: the build that held it (pid 999999) is gone; stopping the processes "
        f"it left behind ({holder.pid}) and taking over"
    ) in built.stdout
    assert holder.wait(timeout=10) == -signal.SIGKILL


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"REACHED")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """A server on 127.0.0.1 of this machine, which a guarded lesson must not reach."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def harmful_lessons(root: Path, port: int) -> dict[str, str]:
    victim = root / "sources" / "01_tag_table.py"
    return {
        "03_deletes.py": lesson(f"# %%\nimport os\n\nos.remove({str(victim)!r})\n"),
        "05_fetches.py": lesson(
            "# %%\nimport urllib.request\n\n"
            f"print(urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=3).read())\n"
        ),
    }


@ROOT_ONLY
def test_harmful_lessons_fail_under_make_test_and_the_course_survives(tmp_path, local_server):
    root = copy_course(tmp_path / "course")
    victim = root / "sources" / "01_tag_table.py"
    before = victim.read_bytes()
    for name, source in harmful_lessons(root, local_server).items():
        (root / "sources" / name).write_text(source, encoding="utf-8")
        work = tmp_path / name
        work.mkdir()
        done = run_script(root / "sources" / name, work)  # what make test and make run use
        assert done.returncode != 0, f"{name} was not stopped"
        assert "REACHED" not in done.stdout
        assert re.search(r"Read-only file system|Connection refused|URLError", done.stderr)
    assert victim.read_bytes() == before


@ROOT_ONLY
def test_harmful_lessons_fail_under_the_build_and_the_course_survives(course, local_server):
    before = guarded(course)
    victim = course / "sources" / "01_tag_table.py"
    source_before = victim.read_bytes()
    for name, source in harmful_lessons(course, local_server).items():
        (course / "sources" / name).write_text(source, encoding="utf-8")
    built = run_build(course, "build")
    assert built.returncode == 1
    errors = [line for line in built.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, built.stderr
    assert "sources/03_deletes.py:19: cell (lines 19-22) failed: " in errors[0]
    assert "Read-only file system" in errors[0]
    assert "sources/05_fetches.py:19: cell (lines 19-22) failed: URLError" in errors[1]
    assert victim.read_bytes() == source_before
    assert guarded(course) == before


def test_make_run_runs_one_lesson_guarded_and_shows_its_traceback(course_copy):
    source = lesson("# %%\nprint('ran guarded')\nraise ValueError('boom')\n")
    (course_copy / "sources" / "03_fails.py").write_text(source, encoding="utf-8")
    command = [sys.executable, "-m", "scripts", "--root", str(course_copy), "run", "03"]
    env = dict(os.environ, MPLBACKEND="Agg")  # no display
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "ran guarded" in done.stdout
    assert "Traceback" in done.stderr and "ValueError: boom" in done.stderr
    assert "03_fails.py" in done.stderr


# ---- every bad input: one line, the right exit code, nothing else touched ----


def errors_of(built) -> list[str]:
    return [line for line in built.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("value", ["0", "abc", "-3", "inf"])
def test_cell_timeout_must_be_a_positive_number(course, value, monkeypatch):
    before = guarded(course)
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", value)
    built = run_build(course, "build")
    assert built.returncode == 1
    assert errors_of(built) == [
        f"error: COURSE_CELL_TIMEOUT: {value!r} is not a positive number of seconds; "
        "set it to e.g. 120, or unset it for the default"
    ]
    assert "Traceback" not in built.stderr
    assert guarded(course) == before


def set_version(course: Path, version: str) -> Path:
    source = course / "sources" / "01_tag_table.py"
    text = re.sub(r'version: "[\d.]+"', f'version: "{version}"', source.read_text("utf-8"))
    source.write_text(text, encoding="utf-8")
    return source


@pytest.mark.parametrize(
    ("version", "problem"),
    [("1.5", "lower than the newest in"), ("1.11", "already archived in")],
)
def test_versions_are_checked_against_legacy_after_make_clean(course, version, problem):
    archived = course / "legacy" / "01_tag_table" / "v1.11"
    archived.mkdir(parents=True)
    (archived / "01_tag_table_v1.11.py").write_text("# taught in spring\n", encoding="utf-8")
    before = snapshot(course / "legacy")
    build_before = snapshot(course / "build" / "01_tag_table")
    set_version(course, version)
    built = run_build(course, "build", "01")
    assert built.returncode == 1
    assert errors_of(built) == [
        f"error: sources/01_tag_table.py:10: version {version} is {problem} "
        "legacy/01_tag_table/ (newest: v1.11); archived versions are never rebuilt; "
        "raise it above 1.11 (make bump LESSON=01)"
    ]
    assert snapshot(course / "legacy") == before
    assert snapshot(course / "build" / "01_tag_table") == build_before


def test_bump_gets_past_legacy_and_keeps_the_readme_table_current(course):
    archived = course / "legacy" / "01_tag_table" / "v1.11"
    archived.mkdir(parents=True)
    (archived / "01_tag_table_v1.11.py").write_text("# taught in spring\n", encoding="utf-8")
    set_version(course, "1.5")
    done = run_build(course, "bump", "01")
    assert done.returncode == 0, done.stderr
    assert "version 1.5 → 1.12" in done.stdout
    assert run_build(course, "readme", "--check").returncode == 0
    assert run_build(course, "build", "01").returncode == 0


def test_header_without_version_is_listed_on_the_course_page_with_its_error(course):
    source = course / "sources" / "01_tag_table.py"
    source.write_text(re.sub(r'#\s+version: "[\d.]+"\n', "", source.read_text("utf-8")), "utf-8")
    built = run_build(course, "build")
    assert built.returncode == 1
    index = (course / "build" / "index.html").read_text(encoding="utf-8")
    assert "Tag Table Fixture" in index  # the last good build's title, still linked
    assert "01_tag_table_v1.3.slides.html" in index
    assert "header key `lesson.version` is missing" in index


UNSAFE = (
    "# %% [markdown]\n"
    "# Keys <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O <script>alert(1)</script>\n"
    "# <img src=#top onerror=alert(2)> ![cat](https://example.com/cat.png)\n"
    "#\n"
    "# <details><summary>More</summary>Hidden detail</details>\n"
)


def test_unsafe_html_is_stripped_from_every_output_and_warned(course):
    (course / "sources" / "03_html.py").write_text(lesson(UNSAFE), encoding="utf-8")
    built = run_build(course, "build", "03")
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stdout.splitlines() if "removed;" in line]
    assert [w.split(": ", 2)[1] for w in warnings] == [
        "sources/03_html.py:20",
        "sources/03_html.py:21",
        "sources/03_html.py:21",
    ]
    out = course / "build" / "03_html"
    deck = (out / "03_html_v1.0.slides.html").read_text(encoding="utf-8")
    notebook = (out / "03_html_v1.0.ipynb").read_text(encoding="utf-8")
    for text in (deck, notebook):
        assert "alert(1)</script>" not in text and "onerror=alert" not in text
        assert "example.com" not in text
    assert "<kbd>Ctrl</kbd>" in deck and "<sub>2</sub>" in deck and "<details>" in deck


def test_unsafe_html_is_a_lint_error_with_its_line(course):
    (course / "sources" / "03_html.py").write_text(lesson(UNSAFE), encoding="utf-8")
    command = [sys.executable, "-m", "scripts", "--root", str(course), "lint", "03"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    found = [line for line in done.stdout.splitlines() if " in prose;" in line]
    assert found == [
        "sources/03_html.py:20: <script> element in prose; decks must work offline and prose "
        "runs no code (sources/README.md, Raw HTML)",
        "sources/03_html.py:21: event handler onerror= in prose; decks must work offline and "
        "prose runs no code (sources/README.md, Raw HTML)",
        "sources/03_html.py:21: remote image https://example.com/cat.png in prose; decks must "
        "work offline and prose runs no code (sources/README.md, Raw HTML)",
    ]


def test_a_byte_order_mark_is_accepted(course):
    source = "\ufeff" + lesson("# %%\nprint('bom')\n")
    (course / "sources" / "03_bom.py").write_text(source, encoding="utf-8")
    built = run_build(course, "build", "03")
    assert built.returncode == 0, built.stderr


LIGHT = """\
# ---
# jupyter:
#   jupytext:
#     text_representation: {extension: .py, format_name: light}
# ---

# # A title
#
# Some prose.

import math
print(math.pi)
"""


@pytest.mark.parametrize("command", ["build", "lint"])
def test_light_format_script_names_the_conversion(course, command):
    before = guarded(course)
    (course / "sources" / "03_light.py").write_text(LIGHT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "scripts", "--root", str(course), command, "03"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    expected = (
        "sources/03_light.py:6: no `# %%` cell markers: this is not a Jupytext percent "
        "script (a light-format script, or plain Python?); convert it in place with "
        "`.venv/bin/jupytext --to py:percent sources/03_light.py`"
    )
    assert expected in done.stdout + done.stderr
    assert guarded(course) == before


def test_a_notebook_in_sources_is_refused_by_build_and_lint(course):
    before = guarded(course)
    (course / "sources" / "03_notes.ipynb").write_text("{}", encoding="utf-8")
    built = run_build(course, "build")
    assert built.returncode == 1
    assert errors_of(built) == [
        "error: sources/03_notes.ipynb:1: a notebook is not a lesson source; make it a lesson "
        "with `make adopt NOTEBOOK=sources/03_notes.ipynb` (header, images and data included), "
        "then delete the .ipynb"
    ]
    linted = run_build(course, "lint")
    assert linted.returncode == 1 and "sources/03_notes.ipynb:1: a notebook" in linted.stdout
    assert guarded(course) == before


def test_a_pasted_attachment_is_named_and_stripped(course):
    body = "# %% [markdown]\n# A diagram: ![diagram.png](attachment:diagram.png)\n"
    (course / "sources" / "03_pasted.py").write_text(lesson(body), encoding="utf-8")
    built = run_build(course, "build", "03")
    assert built.returncode == 0, built.stderr
    assert (
        "warning: sources/03_pasted.py:20: image attachment:diagram.png pasted into the "
        "notebook is not in the .py (jupytext drops it: save it as a file beside the lesson, "
        "or let `make adopt` do that from the .ipynb) removed;"
    ) in built.stdout


def test_the_student_notebook_names_the_standard_kernel(course):
    header = HEADER.replace(
        "kernelspec: {name: python3, display_name: Python 3, language: python}",
        "kernelspec: {name: conda-env-torch-py, display_name: torch (conda), language: python}",
    )
    (course / "sources" / "03_conda.py").write_text(lesson("# %%\nx = 1\n", header), "utf-8")
    assert run_build(course, "build", "03").returncode == 0
    notebook = json.loads((course / "build/03_conda/03_conda_v1.0.ipynb").read_text("utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_every_duplicate_number_fails_once_naming_the_other_files(course):
    before = guarded(course)
    for name in ("03_a.py", "03_b.py", "05_a.py", "05_b.py"):
        (course / "sources" / name).write_text(lesson("# %%\nx = 1\n"), encoding="utf-8")
    built = run_build(course, "build")
    assert built.returncode == 1
    assert sorted(errors_of(built)) == [
        f"error: sources/{a}:1: lesson number {a[:2]} is also used by sources/{b}; "
        "give each lesson its own two-digit number"
        for a, b in (("03_a.py", "03_b.py"), ("03_b.py", "03_a.py"),
                     ("05_a.py", "05_b.py"), ("05_b.py", "05_a.py"))
    ]  # fmt: skip
    assert guarded(course) == before
    for command in (["readme"], ["bump", "03"]):
        done = run_build(course, *command)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "lesson number 03 is also used by" in done.stderr


def test_building_a_lesson_that_does_not_exist_is_an_error(course):
    built = run_build(course, "build", "99")
    assert built.returncode == 1
    assert errors_of(built) == [
        "error: sources/: no lesson '99'; name one by number, NN_slug or path (lessons: 01, 02, 04)"
    ]


def test_make_help_lists_the_targets():
    done = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0
    listed = {line.split()[0] for line in done.stdout.splitlines()[1:]}
    assert {"build", "test", "lint", "run", "new", "adopt", "watch", "bump", "preview"} <= listed


def font_names(pdf: Path) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(pdf).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        names |= {str(font.get_object()["/BaseFont"]).split("+", 1)[-1] for font in fonts.values()}
    return names


def test_a_cjk_title_gets_a_cjk_font_and_other_handouts_do_not(course):
    header = HEADER.replace('"Broken"', '"张量基础 テンソル 텐서"')
    (course / "sources" / "03_cjk.py").write_text(lesson("# %%\nx = 1\n", header), "utf-8")
    assert run_build(course, "build", "03").returncode == 0
    fonts = font_names(course / "build/03_cjk/03_cjk_v1.0.worked.pdf")
    assert {"Course-CJK-Bold", "Course-Hangul-Bold"} <= fonts
    plain = font_names(course / "build/01_tag_table/01_tag_table_v1.3.worked.pdf")
    assert not any("CJK" in name or "Hangul" in name for name in plain)


def test_a_lesson_that_asks_for_input_is_told_it_runs_unattended(course):
    source = lesson("# %%\nname = input('your name? ')\n")
    (course / "sources" / "03_asks.py").write_text(source, encoding="utf-8")
    built = run_build(course, "build", "03")
    assert built.returncode == 1
    assert "StdinNotImplementedError" in built.stderr + built.stdout
    assert "cannot ask for input(): set the value in the code" in built.stderr + built.stdout
