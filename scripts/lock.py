"""One build at a time per course, with a lock that can never outlive the build holding it.

The lock is `flock` on `build/.lock`: the kernel drops it when the last descriptor of it is
closed, that is when its holder dies, however it dies. Worker processes are forked with a
copy of that descriptor, so each worker closes its copy first thing (`release_in_child`) and
dies with its parent (schedule.py): no process but the build itself ever holds the lock.
A lock found held by processes whose build is gone (left by a tool that did not follow these
rules) is taken over, with one line saying so.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

_held: set[int] = set()  # descriptors of locks this process holds, for release_in_child


@contextmanager
def build_lock(build_dir: Path, say=print):
    """Hold `build_dir/.lock` for the duration; wait for a live build, take over a dead one's."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not _try_lock(fd):
            _wait_or_take_over(fd, path, say)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held.add(fd)
        yield
    finally:
        _held.discard(fd)
        os.close(fd)  # releases the lock


def release_in_child() -> None:
    """In a forked worker: close the inherited lock descriptors (the parent keeps the lock)."""
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_or_take_over(fd: int, path: Path, say) -> None:
    holder = _recorded_pid(fd)
    if holder is not None and process_alive(holder):
        say(f"build/.lock: another build is running (pid {holder}); waiting for it to finish")
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    leftovers = sorted(_processes_holding(path) - {os.getpid()})
    named = ", ".join(str(pid) for pid in leftovers) or "none found"
    say(
        f"build/.lock: the build that held it (pid {holder or '?'}) is gone; "
        f"stopping the processes it left behind ({named}) and taking over"
    )
    for pid in leftovers:
        _kill(pid)
    deadline = time.monotonic() + 10
    while not _try_lock(fd):
        if time.monotonic() > deadline:  # someone we cannot see or stop: wait like for a build
            fcntl.flock(fd, fcntl.LOCK_EX)
            return
        time.sleep(0.05)


def _recorded_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts; a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return _state(pid) != "Z"  # a zombie holds nothing


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def _processes_holding(path: Path) -> set[int]:
    """Processes with `path` open (Linux /proc; an empty set elsewhere)."""
    try:
        target = os.stat(path)
    except OSError:
        return set()
    holders = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            for fd in (proc / "fd").iterdir():
                info = os.stat(fd)
                if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
                    holders.add(int(proc.name))
                    break
        except OSError:
            continue  # gone, or not ours to look at
    return holders


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
