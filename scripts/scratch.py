"""One temporary folder per build process, so that nothing a build puts in /tmp outlives it.

A build writes temporary files in three places: WeasyPrint copies the handout fonts (7 MB)
into a folder per font configuration, each kernel gets a folder of sockets and settings, and
jupyter_client a connection file per kernel. A process that ends normally deletes them. A
process killed outright cannot: Ctrl-C abandons the build's workers with SIGKILL, and a build
may itself be killed with SIGKILL. Each such kill left 7 MB of fonts, and a kernel folder and
a connection file per running lesson, in /tmp for good: a day of work on this project had left
14 font folders, 47 kernel folders and 52 connection files there.

`enter()` makes `course-build-<pid>` in the system's temporary folder and points this
process, the workers it forks (`tempfile.tempdir`) and the programs they start, kernels
included (`TMPDIR`), at it; the folder goes when the process exits. One that a build killed
with SIGKILL could not delete is deleted by the next build: `enter()` removes the folders of
processes that no longer exist.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .errors import SettingError
from .lock import process_alive

PREFIX = "course-build-"
# A kernel's Unix sockets are `<kernel folder>/s-1` to `s-5`. A socket's path has room for
# 107 bytes on Linux and 103 on macOS; a longer one fails deep in ZeroMQ ("File name too
# long"), so the room is checked once, up front (`enter`).
SOCKETS = "s"
KERNEL_FOLDER = "k-"
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
KERNEL_ROOM = len(f"/{KERNEL_FOLDER}12345678/{SOCKETS}-99")
# The longest temporary folder that leaves room for ours (any pid: Linux's are at most 7
# digits) and a kernel's inside it; checked whatever the pid, so that it passes or fails alike.
LONGEST_BASE = SOCKET_PATH_MAX - KERNEL_ROOM - len(f"/{PREFIX}1234567")

_entered: dict[int, Path] = {}  # pid -> its folder: a forked worker is not its parent


def enter(say=None) -> Path:
    """This process's temporary folder, made (and the dead builds' swept) on the first call;
    `say(line)`, if given, is told of each folder swept."""
    pid = os.getpid()
    if pid in _entered:
        return _entered[pid]
    base = Path(tempfile.gettempdir())
    for folder in sweep(base):
        if say is not None:
            say(f"  removed {folder} (temporary files of a build that was killed)")
    if len(os.fsencode(base)) > LONGEST_BASE:
        raise _too_long(base, LONGEST_BASE)
    folder = _make(base, pid)
    if len(os.fsencode(folder)) + KERNEL_ROOM > SOCKET_PATH_MAX:  # the longer name of _make
        folder.rmdir()
        raise _too_long(base, SOCKET_PATH_MAX - KERNEL_ROOM - len(folder.name) - 1)
    tempfile.tempdir = str(folder)  # this process, and the workers it forks from now on
    os.environ["TMPDIR"] = str(folder)  # the kernels, which are programs of their own
    atexit.register(_remove, folder, pid)
    _entered[pid] = folder
    return folder


def _make(base: Path, pid: int) -> Path:
    """`course-build-<pid>`: short, since the kernels' sockets are inside. Where that name is
    taken (a stale one is swept first, so: by someone else), a name made unique instead."""
    folder = base / f"{PREFIX}{pid}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-", dir=base))
    return folder


def _too_long(base: Path, longest: int) -> SettingError:
    return SettingError(
        "TMPDIR",
        f"the temporary folder {base} is too long a path for the kernels' Unix sockets "
        f"({len(os.fsencode(base))} bytes; at most {longest} fit)",
        "set TMPDIR to a shorter folder, such as /tmp",
    )


def kernel_folder() -> Path:
    """A new folder for one kernel, short-named: its sockets' paths must stay short."""
    return Path(tempfile.mkdtemp(prefix=KERNEL_FOLDER))


def sweep(base: Path) -> list[Path]:
    """Delete the folders in `base` of builds whose process is gone; returns them."""
    swept = []
    for folder in base.glob(f"{PREFIX}*"):
        pid = _pid_of(folder.name)
        if pid is None or not _ours(folder) or process_alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            swept.append(folder)
    return swept


def _ours(folder: Path) -> bool:
    """A folder (not a link) of this user's: a shared /tmp holds other users' builds too."""
    try:
        return folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
    except OSError:
        return False


def _pid_of(name: str) -> int | None:
    number = name[len(PREFIX) :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # never from a forked child that inherited the exit handlers
        shutil.rmtree(folder, ignore_errors=True)
