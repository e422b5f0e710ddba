"""Kernel launcher: start ipykernel with the course (and build tool) folders mounted read-only.

A lesson runs in a temporary folder and may write there. It must never write into sources/,
legacy/ or another lesson's build/, even by an absolute path, so the kernel gets a private
mount namespace in which the whole course folder is read-only. This needs root (as in CI);
elsewhere the kernel starts unprotected and the temporary working folder is the only guard.

Run as a file (not as part of the `scripts` package) so that the lesson cannot import the
build's own modules: `python sandbox.py COURSE_ROOT -f CONNECTION_FILE`.
"""

import ctypes
import os
import runpy
import signal
import sys

CLONE_NEWNS = 0x00020000
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def make_read_only(folder: str) -> bool:
    """Remount `folder` read-only for this process and its children; False if not allowed."""
    if os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    path = folder.encode()
    steps = (
        lambda: libc.unshare(CLONE_NEWNS),  # a private mount table, once per call is harmless
        lambda: libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None),
        lambda: libc.mount(path, path, None, MS_BIND | MS_REC, None),
        lambda: libc.mount(path, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
    )
    return all(step() == 0 for step in steps)


def die_with_parent() -> None:
    """Ask Linux to kill this kernel when the build that started it dies (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the build's own shutdown is the only guard


def main() -> None:
    """Protect the course folder, then hand over to ipykernel as if it were started directly."""
    root, kernel_args = sys.argv[1], sys.argv[2:]
    die_with_parent()
    tool_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    protected = all(make_read_only(folder) for folder in {root, tool_root})
    os.environ["COURSE_SANDBOX"] = "read-only" if protected else "off"
    sys.path[0] = os.getcwd()  # not this file's folder: lessons must not import the build
    sys.argv = ["ipykernel_launcher", *kernel_args]
    runpy.run_module("ipykernel_launcher", run_name="__main__")


if __name__ == "__main__":
    main()
