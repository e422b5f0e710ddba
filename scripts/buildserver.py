"""A build process kept warm between `course build`s, so that the next build skips the start.

Every `course build` that does work first starts Python, imports the pipeline (nbconvert,
WeasyPrint, jupytext: about 0.9 s of one core here) and a kernel starter that imports what the
lessons import (torch: 2-3 s). For a small course that start is most of the build: four small
lessons took 3.2 s, 1 s of it before the first lesson ran.

So a build that ran here leaves a server behind for the next one, as Gradle's and Bazel's
daemons do. The server imports the pipeline once, renders a skeleton lesson (fonts, templates,
WeasyPrint's first layout), starts a kernel starter with the course's imports loaded, and then
waits on a Unix socket. The next `course build` of the same course, by the same code, connects
and hands over its command line, current folder, environment and its terminal (stdin, stdout
and stderr, passed as descriptors, so colours and line-by-line progress are as at home); the
server forks a child that runs the build exactly as the command line would, and the child sends
back the exit code. Each build is a fresh fork: nothing of one build is left for the next.

What keeps it safe:
- The socket's name holds a digest of the course folder and of the build's code, packages and
  interpreter (`identity`): changed code finds no server and builds itself, then starts a new
  one, which tells the old one to go.
- Ctrl-C or SIGTERM on `course build` is passed on to the child; a `course build` killed
  outright (SIGKILL) closes the socket, and the child, told by SIGIO, stops as on SIGTERM:
  nothing half-built is published, and the build lock goes with it (scripts/lock.py).
- A server that does not answer within ANSWER_WAIT seconds (stopped, stuck) is put down: the
  build runs here and leaves a new one. The socket's folder is used only if it is this user's
  alone: a server someone else placed there would be handed the build's environment.
- It exits after COURSE_BUILD_SERVER minutes without a build (DEFAULT_IDLE_MINUTES); 0 turns
  servers off. The tests and the bench's cold measures run with it off.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import SettingError
from .lock import process_alive
from .toolprint import tool_fingerprint

VARIABLE = "COURSE_BUILD_SERVER"
DEFAULT_IDLE_MINUTES = 15.0
ANSWER_WAIT = 5.0  # seconds a server may take to take a build on
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
# What a started Python has already read from its environment, for good: a server started
# with other values than a build's would build differently, so they are part of its identity.
READ_AT_START = ("PYTHON", "LANG", "LC_", "MPL", "TZ")
_bound: dict[str, int] = {}  # socket path -> the inode this server bound there
# Passed on to the build: Ctrl-C as itself, a closed terminal as a request to stop.
FORWARDED = {
    signal.SIGINT: signal.SIGINT,
    signal.SIGTERM: signal.SIGTERM,
    signal.SIGHUP: signal.SIGTERM,
}


def idle_minutes() -> float:
    """COURSE_BUILD_SERVER: minutes a server waits for the next build; 0 or "off": no server."""
    raw = os.environ.get(VARIABLE, "").strip().lower()
    if not raw:
        return DEFAULT_IDLE_MINUTES
    if raw in ("off", "no", "false"):
        return 0.0
    try:
        minutes = float(raw)
    except ValueError:
        minutes = -1.0
    if not 0 <= minutes < float("inf"):
        raise SettingError(
            VARIABLE,
            f"{raw!r} is not a number of minutes",
            f"set it to the minutes a warm build process waits (default {DEFAULT_IDLE_MINUTES:g}),"
            " or to 0 for none",
        )
    return minutes


def identity(env: dict[str, str]) -> str:
    """A digest of what a server's builds depend on beyond their request: the interpreter,
    the build's code and pins (scripts/toolprint.py) and the variables read at start."""
    read = sorted((k, v) for k, v in env.items() if k.startswith(READ_AT_START))
    facts = [sys.executable, sys.version, tool_fingerprint(), read]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def socket_path(root: Path, env: dict[str, str]) -> Path | None:
    """Where the server for `root` built by this code listens; None where no name fits.
    Asked before the build, which points TMPDIR at a folder of its own (scripts/scratch.py)."""
    folder = _folder(env)
    path = folder / f"{_root_digest(root)}-{identity(env)}.sock"
    return path if len(os.fsencode(path)) <= SOCKET_PATH_MAX else None


def _folder(env: dict[str, str]) -> Path:
    base = env.get("TMPDIR") or tempfile.gettempdir()
    return Path(base) / f"course-server-{os.getuid()}"


def _root_digest(root: Path) -> str:
    return hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:12]


# The build's side ---------------------------------------------------------------------------


def delegate(path: Path, argv: list[str], env: dict[str, str]) -> int | None:
    """Run `course build` (`argv`) in the warm server listening at `path` (socket_path): its
    exit code, or None when no server takes it on (none, or one going): build here."""
    if not path.exists() or not _ours(path.parent):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(ANSWER_WAIT)
        connection.connect(str(path))
        request = {"argv": argv, "cwd": os.getcwd(), "env": env}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        child = int(_read_message(connection)["pid"])
    except TimeoutError:  # a server that has stopped answering (stopped, or stuck)
        connection.close()
        _put_down(path)  # so that this build leaves a new one
        return None
    except (OSError, ValueError, KeyError, TypeError):
        connection.close()
        return None  # a server gone or going: this build runs here
    connection.settimeout(None)
    return _wait_for(connection, child)


def _wait_for(connection: socket.socket, child: int) -> int:
    """The child's exit code; Ctrl-C and SIGTERM here are passed on to it meanwhile."""

    def forward(signum, frame) -> None:
        try:
            os.kill(child, FORWARDED[signum])
        except ProcessLookupError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    try:
        return int(_read_message(connection)["code"])
    except (OSError, ValueError, KeyError, TypeError):
        print(
            "error: the warm build process ended without a result; run the command again"
            f" (or set {VARIABLE}=0 to build without one)",
            file=sys.stderr,
        )
        return 1
    finally:
        connection.close()


def _put_down(path: Path) -> None:
    """End the server at `path` that no longer answers, and remove its socket and pid file.
    A live server answers within milliseconds: it is bound only once warm."""
    pid_file = path.with_suffix(".pid")
    pid = _recorded_pid(pid_file)
    try:
        # Only a build server: a pid file outlived by its process may name another by now.
        if pid and b"scripts.buildserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)  # its starter dies with it
    except OSError:
        pass
    for leftover in (path, pid_file):
        leftover.unlink(missing_ok=True)


def _read_message(connection: socket.socket, data: bytes = b"") -> dict:
    """One JSON line, its start `data` if already read; ValueError when the other end closed
    first."""
    while not data.endswith(b"\n"):
        piece = connection.recv(65536)
        if not piece:
            raise ValueError("closed")
        data += piece
    return json.loads(data)


def _recorded_pid(pid_file: Path) -> int:
    """The pid a server wrote in its pid file; 0 when there is none (yet) or it does not read."""
    try:
        return int(pid_file.read_text() or 0)
    except (OSError, ValueError):
        return 0


def keep_warm(root: Path, path: Path, env: dict[str, str]) -> None:
    """After a build that ran here: start a server at `path` for the next one, unless one
    is running or starting (the server itself checks: a second one exits at once)."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    if not _ours(path.parent) or _answers(path) or _starting(path):
        return
    log = path.with_suffix(".log")
    with open(log, "wb") as output:
        subprocess.Popen(
            [sys.executable, "-m", "scripts.buildserver", str(root), str(path)],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,  # not in the terminal's group: Ctrl-C is for the build
        )
    minutes = idle_minutes()
    print(
        f"A build process stays warm for the next build ({minutes:g} min idle;"
        f" {VARIABLE}=0 turns it off)",
        file=sys.stderr,
    )


def _ours(folder: Path) -> bool:
    """Whether the socket folder is this user's alone. In a shared /tmp, anyone may make a
    folder of that name first; a server found in it would be sent the build's environment
    and terminal, so such a folder is never used."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def _starting(path: Path) -> bool:
    """Whether a server for `path` is still warming up (its pid file names a live process)."""
    return _names_a_live_process(path.with_suffix(".pid"))


def _names_a_live_process(pid_file: Path) -> bool:
    pid = _recorded_pid(pid_file)
    return bool(pid) and process_alive(pid)


def _answers(path: Path) -> bool:
    return _tell(path, {"ping": True})


def _tell(path: Path, message: dict) -> bool:
    """Send `message` to the server at `path`, expecting no answer: True if one took it."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(ANSWER_WAIT)  # a stopped server's full queue blocks a connect
            connection.connect(str(path))
            connection.sendall(json.dumps(message).encode() + b"\n")
        return True
    except OSError:
        return False


# The server's side ---------------------------------------------------------------------------


def serve(root: Path, path: Path) -> int:
    """Warm up, then build each request in a forked child until idle for too long."""
    if not _claim(path):
        return 0  # another server for this course and code is starting or running
    signal.signal(signal.SIGTERM, _exit_cleanly)  # a shutdown, `kill`: the socket goes too
    try:
        listener = _warm_listener(root, path)
    except BaseException:
        path.with_suffix(".pid").unlink(missing_ok=True)
        raise
    _dismiss_others(root, path)
    try:
        _accept_until_idle(listener, path, idle_minutes() * 60)
    finally:
        _release(listener, path)
    return 0


def _exit_cleanly(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _claim(path: Path) -> bool:
    """One server per socket name: its pid file, made exclusively, or taken over from a
    process that no longer runs."""
    pid_file = path.with_suffix(".pid")
    for _ in range(2):
        try:
            fd = os.open(pid_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                text = pid_file.read_text()
                if not text and time.time() - pid_file.stat().st_mtime < ANSWER_WAIT:
                    return False  # made this instant by another, its pid not yet in
                holder = int(text or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and process_alive(holder):
                return False
            pid_file.unlink(missing_ok=True)
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


def _warm_listener(root: Path, path: Path) -> socket.socket:
    """Everything a build pays before its first lesson, paid now; then the socket, bound
    under a temporary name and renamed, so that no build ever finds a server still warming."""
    import gc
    import importlib

    from . import runtime, scratch

    runtime.configure()  # first: it imports WeasyPrint the quick way (scripts/libraries.py)
    folder = scratch.enter()  # the warm-up's fonts, the kernel starter's socket: ours
    for stage in ("build", "schedule"):  # the pipeline, and the pool that runs it
        importlib.import_module(f"scripts.{stage}")
    _warm_up(root, folder)
    gc.collect()
    gc.freeze()  # what is left is shared with the children, never collected in them
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    warming = path.with_name(f"{path.name}.{os.getpid()}")
    warming.unlink(missing_ok=True)
    listener.bind(str(warming))
    listener.listen(16)
    _bound[str(path)] = os.stat(warming).st_ino  # the socket file's, not the socket's
    os.replace(warming, path)
    return listener


def _warm_up(root: Path, folder: Path) -> None:
    """What watch's build process renders first (warmbuild.warm_up), and a kernel starter
    with the lessons' imports loaded, kept for every build. A course whose settings or
    lessons do not read yet gets neither: its builds will say what is wrong with them."""
    from . import kernelfork, warmbuild
    from .config import load_config
    from .errors import CourseError
    from .lessons import Lessons

    try:
        config = load_config(root)
        lessons = Lessons.find(root)
    except CourseError:
        return
    warmbuild.warm_up(root, config)
    buildable = [p for p in lessons.select([]) if p not in lessons.problems]
    kernelfork.start(root, buildable, folder, at_once=True)
    deadline = time.monotonic() + kernelfork.ANSWER_WAIT
    while kernelfork.loading() and time.monotonic() < deadline:  # torch, say: 2-3 s
        time.sleep(0.05)


def _dismiss_others(root: Path, path: Path) -> None:
    """Ask the servers of this course by older code to go (they finish their builds first),
    and remove what servers that were killed left in the folder."""
    for pid_file in path.parent.glob("*.pid"):
        if not _names_a_live_process(pid_file):
            for suffix in (".pid", ".sock", ".log"):
                pid_file.with_suffix(suffix).unlink(missing_ok=True)
    for log in path.parent.glob("*.log"):  # of a process that ended as it started
        if log != path.with_suffix(".log") and not log.with_suffix(".pid").exists():
            log.unlink(missing_ok=True)
    for other in _sockets_of(root, path.parent):
        if other != path:
            ask_to_quit(other)


def server_pid(path: Path) -> int:
    """The pid of the server whose socket is `path` (the bench samples its memory); 0 if none."""
    return _recorded_pid(path.with_suffix(".pid"))


def ask_to_quit(path: Path) -> bool:
    """Tell the server at `path` to go once its builds are done: True if one was there."""
    return _tell(path, {"quit": True})


def servers_of(root: Path, env: dict[str, str]) -> list[Path]:
    """The sockets of `root`'s servers, whatever code they run (`course stop`)."""
    return _sockets_of(root, _folder(env))


def _sockets_of(root: Path, folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{_root_digest(root)}-*.sock"))


def _accept_until_idle(listener: socket.socket, path: Path, idle_seconds: float) -> None:
    children: set[int] = set()
    last = time.monotonic()
    quitting = False
    while True:
        children -= _reaped(children)
        if children:
            last = time.monotonic()
        elif quitting or time.monotonic() - last >= idle_seconds:
            return
        ready, _, _ = select.select([listener], [], [], 1.0)
        if not ready:
            continue
        connection, _ = listener.accept()
        message, fds = _receive(connection)
        if message.get("quit"):
            quitting = True
            _unlink_if_ours(path)  # new builds go to the new server, or build here
        elif "argv" in message and len(fds) == 3:
            children.add(_fork_build(listener, connection, message, fds))
        for fd in fds:
            os.close(fd)
        connection.close()


def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    connection.settimeout(ANSWER_WAIT)
    try:
        data, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    except OSError:
        return {}, []
    try:
        return _read_message(connection, data), fds
    except (OSError, ValueError):
        return {}, fds  # closed by the caller, as for any message


def _reaped(children: set[int]) -> set[int]:
    ended = set()
    for pid in children:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            ended.add(pid)
    return ended


def _unlink_if_ours(path: Path) -> None:
    """Remove the socket file, unless a newer server has bound that name since."""
    try:
        if os.stat(path).st_ino == _bound.get(str(path)):
            path.unlink()
    except OSError:
        pass


def _release(listener: socket.socket, path: Path) -> None:
    """Remove the socket if it is still ours (a newer server may have taken the name)."""
    from . import kernelfork

    kernelfork.stop()
    _unlink_if_ours(path)
    listener.close()
    log = path.with_suffix(".log")
    if log.is_file() and not log.stat().st_size:  # kept when it says why the server ended
        log.unlink()
    path.with_suffix(".pid").unlink(missing_ok=True)


def _fork_build(listener: socket.socket, connection: socket.socket, request: dict, fds) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        listener.close()
        code = _run_build(connection, request, fds)
    except BaseException:  # noqa: BLE001 - whatever happens, the build hears of it
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _run_build(connection: socket.socket, request: dict, fds: list[int]) -> int:
    """In the forked child: become the `course build` that asked, run it, send the code."""
    import atexit

    from . import cli

    for fd, target in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, target)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # the build's own temporary folder, under the build's TMPDIR
    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        stream = open(number, "r" if number == 0 else "w", closefd=False, encoding="utf-8")
        if number and os.isatty(number):
            stream.reconfigure(line_buffering=True)
        setattr(sys, name, stream)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, passed on by the asker
    for signum in (signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    _stop_when_gone(connection)
    connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    code = cli.main(request["argv"])
    atexit._run_exitfuncs()  # as `course build` does (entry.py): the scratch folder goes
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    try:
        connection.sendall(json.dumps({"code": code}).encode() + b"\n")
    except OSError:
        pass
    return code


def _stop_when_gone(connection: socket.socket) -> None:
    """SIGTERM for this build when the `course build` that asked for it goes away: the
    kernel signals SIGIO when the socket turns readable, and an end of file is its close."""

    def check(signum, frame) -> None:
        try:
            gone = connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return
        except OSError as error:
            gone = error.errno in (errno.ECONNRESET, errno.EPIPE)
        if gone:
            signal.signal(signal.SIGIO, signal.SIG_IGN)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGIO, check)
    fcntl.fcntl(connection.fileno(), fcntl.F_SETOWN, os.getpid())
    flags = fcntl.fcntl(connection.fileno(), fcntl.F_GETFL)
    fcntl.fcntl(connection.fileno(), fcntl.F_SETFL, flags | os.O_ASYNC)


def main() -> int:
    root, path = Path(sys.argv[1]), Path(sys.argv[2])
    return serve(root, path)


if __name__ == "__main__":
    sys.exit(main())
