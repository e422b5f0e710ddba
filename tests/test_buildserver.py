"""The warm build process that `course build` leaves for the next build (scripts/buildserver.py):
the next build runs in it and looks the same, stops as a build stops, and leaves nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts import buildserver

from .conftest import copy_course, run_build
from .test_config import write as write_config
from .test_robustness import start_build, wait_until_rendering

SPAWNED = "A build process stays warm for the next build"
SPAWNED_LINE = f"{SPAWNED} (2 min idle; COURSE_BUILD_SERVER=0 turns it off)"


def server_env(temp: Path, minutes: str = "2") -> dict[str, str]:
    return {"TMPDIR": str(temp), "COURSE_BUILD_SERVER": minutes}


def warm_server(root: Path, temp: Path, minutes: str = "2") -> int:
    """Build `root` here, which leaves a warm process; its pid once it listens."""
    built = run_build(root, "build", "--jobs", "2", env=server_env(temp, minutes))
    assert built.returncode == 0, built.stdout + built.stderr
    assert SPAWNED in built.stderr
    socket_file = listening(temp)
    return int(socket_file.with_suffix(".pid").read_text())


def listening(temp: Path) -> Path:
    """The socket of the one warm process in `temp`, once it listens (90 s at most)."""
    folder = temp / f"course-server-{os.getuid()}"
    deadline = time.monotonic() + 90
    while not list(folder.glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [socket_file] = folder.glob("*.sock")
    return socket_file


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not Path(f"/proc/{pid}").exists()


def stop(root: Path, temp: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scripts", "--root", str(root), "stop"]
    env = dict(os.environ, TMPDIR=str(temp))
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def add_prose(lesson: Path) -> None:
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text + "\n# %% [markdown]\n# One more line.\n", encoding="utf-8")


def test_the_next_build_runs_in_the_warm_process_and_says_what_a_build_here_says(
    tmp_path, short_temp
):
    root = copy_course(tmp_path / "course")
    server = warm_server(root, short_temp)
    try:
        add_prose(root / "sources" / "02_second.py")
        client = subprocess.Popen(
            [sys.executable, "-m", "scripts", "--root", str(root), "build", "--jobs", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, **server_env(short_temp)),
        )
        out, err = client.communicate(timeout=300)
        assert client.returncode == 0, out + err
        assert "Building 1 of 3 lesson(s)" in out
        assert out.rstrip().splitlines()[-1].startswith("3 of 3 lesson(s) ok in ")
        assert SPAWNED not in err  # it did not run here
        # The build lock names the process that built: the warm process's child, not ours.
        builder = int((root / "build" / ".lock").read_text())
        assert builder not in (client.pid, server)
        assert (
            "One more line."
            in next((root / "build" / "02_second").glob("*.slides.html")).read_text()
        )
        # A failing lesson: its error line and exit code come back as from a build here.
        with (root / "sources" / "02_second.py").open("a", encoding="utf-8") as source:
            source.write('\n# %%\nassert 1 == 2, "a broken check"\n')
        failed = run_build(root, "build", "02", env=server_env(short_temp))
        assert failed.returncode == 1
        assert "AssertionError: a broken check" in failed.stderr
        assert SPAWNED not in failed.stderr
    finally:
        stopped = stop(root, short_temp)
    assert stopped.stdout.startswith("stopped 1 warm build process(es)")
    assert gone(server)
    assert not list((short_temp / f"course-server-{os.getuid()}").iterdir())


def test_a_build_killed_outright_stops_its_run_in_the_warm_process_and_its_kernels(
    tmp_path, short_temp, monkeypatch
):
    root = copy_course(tmp_path / "course")
    server = warm_server(root, short_temp)
    try:
        idle = descendants(server)  # its kernel starter, with the lessons' imports loaded
        for lesson in (root / "sources").glob("*.py"):
            add_prose(lesson)
        (root / "build" / ".cache").rename(tmp_path / "cache")  # every lesson runs again
        monkeypatch.setenv(buildserver.VARIABLE, "2")  # start_build's environment is ours
        client = start_build(root, "--jobs", "2", temp=short_temp)
        wait_until_rendering(client)
        assert descendants(server) - idle  # the build, its workers and kernels
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=30)
        deadline = time.monotonic() + 20
        while descendants(server) != idle and time.monotonic() < deadline:
            time.sleep(0.2)
        assert descendants(server) == idle
        rebuilt = run_build(root, "build", "--jobs", "2", env=server_env(short_temp))
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "Building 0 of 3" not in rebuilt.stdout  # the killed build did not go on
        assert not list((root / "build").glob(".[0-9][0-9]_*"))  # its staging folders swept
        assert (
            "One more line."
            in next((root / "build" / "04_long_content").glob("*.slides.html")).read_text()
        )
    finally:
        stop(root, short_temp)
    assert gone(server)


def test_a_warm_process_that_stopped_answering_is_put_down_and_replaced(tmp_path, short_temp):
    root = copy_course(tmp_path / "course")
    server = warm_server(root, short_temp)
    os.kill(server, signal.SIGSTOP)  # as a stuck process would: it takes no build on
    add_prose(root / "sources" / "02_second.py")
    try:
        built = run_build(root, "build", "02", timeout=120, env=server_env(short_temp))
        assert built.returncode == 0, built.stdout + built.stderr
        assert SPAWNED in built.stderr  # built here, after 5 s, and a new process left
        assert gone(server)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, signal.SIGKILL)
        listening(short_temp)  # the new one
        assert stop(root, short_temp).stdout.startswith("stopped 1 ")


def test_an_idle_warm_process_goes_by_itself_and_leaves_nothing(tmp_path, short_temp):
    root = copy_course(tmp_path / "course")
    server = warm_server(root, short_temp, minutes="0.05")  # 3 s
    assert gone(server, timeout=30)
    assert not list((short_temp / f"course-server-{os.getuid()}").iterdir())
    # The next build runs here and leaves another.
    add_prose(root / "sources" / "02_second.py")
    again = run_build(root, "build", "02", env=server_env(short_temp, "0.05"))
    assert again.returncode == 0 and SPAWNED in again.stderr


def test_a_course_whose_settings_do_not_read_gets_a_process_that_says_so(tmp_path, short_temp):
    root = copy_course(tmp_path / "course")
    write_config(root, "[tool.course]\ntitle = 3\n")
    error = 'error: pyproject.toml:5: `tool.course.title` is 3, not text; quote it: "..."'
    first = run_build(root, "build", env=server_env(short_temp))
    assert first.returncode == 1 and first.stderr.splitlines() == [error, SPAWNED_LINE]
    listening(short_temp)
    try:
        again = run_build(root, "build", env=server_env(short_temp))
        assert again.returncode == 1 and again.stderr.splitlines() == [error]
        write_config(root, '[tool.course]\ntitle = "Fixed"\n')
        fixed = run_build(root, "build", "02", env=server_env(short_temp))
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert fixed.stderr == ""  # built by the warm process, once the settings read
    finally:
        assert stop(root, short_temp).stdout.startswith("stopped 1 ")


def test_another_code_course_or_start_setting_finds_another_process(tmp_path):
    env = {"TMPDIR": "/tmp", "HOME": "/home/a", "LANG": "C.UTF-8"}  # names only, nothing made
    one = buildserver.socket_path(tmp_path / "one", env)
    assert one.parent == Path("/tmp") / f"course-server-{os.getuid()}"
    assert buildserver.socket_path(tmp_path / "one", {**env, "HOME": "/home/b"}) == one
    assert buildserver.socket_path(tmp_path / "two", env) != one
    assert buildserver.socket_path(tmp_path / "one", {**env, "LANG": "de_DE.UTF-8"}) != one
    assert buildserver.socket_path(tmp_path / "one", {**env, "PYTHONHASHSEED": "1"}) != one
    # Where a socket's name would not fit, there is no server: the build runs here.
    assert buildserver.socket_path(tmp_path / "one", {**env, "TMPDIR": "/t" * 60}) is None


def test_a_socket_folder_anyone_else_could_write_to_is_never_used(tmp_path, short_temp):
    # In a shared /tmp another user can make the folder first: a process listening there
    # would be handed the build's environment and terminal.
    root = copy_course(tmp_path / "course")
    folder = short_temp / f"course-server-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    env = {**os.environ, **server_env(short_temp)}
    path = buildserver.socket_path(root, env)
    impostor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    impostor.bind(str(path))
    impostor.listen(1)
    try:
        built = run_build(root, "build", "02", env=server_env(short_temp))
        assert built.returncode == 0, built.stdout + built.stderr
        assert SPAWNED not in built.stderr  # no process started into that folder either
        impostor.setblocking(False)
        with pytest.raises(BlockingIOError):
            impostor.accept()  # nobody came
    finally:
        impostor.close()


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_idle_setting_is_one_line_before_any_work(course_copy, value):
    built = run_build(course_copy, "build", env={"COURSE_BUILD_SERVER": value})
    assert built.returncode == 1
    assert built.stderr.splitlines() == [
        f"error: COURSE_BUILD_SERVER: {value!r} is not a number of minutes; set it to the"
        " minutes a warm build process waits (default 15), or to 0 for none"
    ]
    assert not (course_copy / "build" / "02_second").exists()


def test_handing_a_build_over_imports_none_of_the_pipeline():
    # Every build after an author's first starts as a command that only hands it over: the
    # modules it imports are its start-up time (0.08 s against 0.12 s with the whole tool).
    probe = (
        "import sys, scripts.entry; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('scripts', 'nbformat', 'nbconvert', 'weasyprint', 'jupytext', 'jinja2', 'nbclient'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "scripts.buildserver" in loaded  # it is the module that hands a build over
    pipeline = loaded - {"scripts", "scripts.entry", "scripts.buildserver", "scripts.errors"}
    assert pipeline <= {"scripts.lock", "scripts.toolprint"}, pipeline
