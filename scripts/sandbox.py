"""The one guard every lesson runs under: in the build's kernel, in `make test`, in `make run`.

A lesson runs in a temporary folder and may write there. It must never write into sources/,
legacy/ or build/, even by an absolute path, and it must not reach the network, so that a
lesson that would fail on an offline lecture-hall laptop fails here first. The guard:

- a private mount table in which the course folder and the build tool are read-only;
- a private network namespace that holds only a loopback interface (nothing listens there
  unless the lesson itself starts it);
- death with the parent process, even when the parent is killed with SIGKILL.

It also gives every run the course's matplotlib style (`templates/matplotlibrc`), so that a
figure looks the same in the build, in `make test` and in `make run`.

This needs root (as in CI) or, without root, unprivileged user namespaces (most Linux
desktops); `protection()` says which parts hold. Where neither is available the lesson runs
unprotected and `make run` says so.

Run as a file, not as part of the `scripts` package, so that the lesson cannot import the
build's own modules:

    python sandbox.py kernel COURSE_ROOT -f CONNECTION_FILE   # ipykernel, for the build
    python sandbox.py script COURSE_ROOT LESSON.py            # a plain-script run
"""

import ctypes
import fcntl
import os
import runpy
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
# Flags a remount must repeat inside a user namespace (statvfs and mount share these values).
KEPT_FLAGS = 2 | 4 | 8 | 1024 | 2048  # nosuid, nodev, noexec, noatime, nodiratime
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
# The same file as scripts/execute.py's STYLE, which puts it in the execution cache key.
STYLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates", "matplotlibrc")
# Set by the build in each kernel's environment: the pid of the process that starts it.
PARENT_VARIABLE = "COURSE_KERNEL_PARENT"


def isolate(folders: list[str]) -> str:
    """Enter private mount and network namespaces with `folders` read-only.

    Returns what holds: "read-only course, loopback-only network", or why nothing does.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() != 0 and not _become_root_in_user_namespace(libc):
        return "unprotected: not root, and user namespaces are not available here"
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
        return f"unprotected: unshare failed ({os.strerror(ctypes.get_errno())})"
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return "unprotected: cannot make the mount table private"
    if not all(_read_only(libc, folder) for folder in folders):
        return "network isolated, but the course folder could not be made read-only"
    _loopback_up()
    return "read-only course, loopback-only network"


def _become_root_in_user_namespace(libc) -> bool:
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(CLONE_NEWUSER) != 0:
        return False
    try:
        with open("/proc/self/setgroups", "w") as handle:
            handle.write("deny")
        with open("/proc/self/uid_map", "w") as handle:
            handle.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as handle:
            handle.write(f"0 {gid} 1")
    except OSError:
        return False
    return True


def _read_only(libc, folder: str) -> bool:
    path = folder.encode()
    kept = os.statvfs(folder).f_flag & KEPT_FLAGS
    return (
        libc.mount(path, path, None, MS_BIND | MS_REC, None) == 0
        and libc.mount(path, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | kept, None) == 0
    )


def _loopback_up() -> None:
    """A new network namespace starts with `lo` down; a lesson may still talk to itself."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sh", b"lo", 0)
            flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))
    except OSError:
        pass  # no loopback at all: still no way out


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to kill this process when the one that started it dies (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the parent's own shutdown is the only guard
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request above was in place


def _guard(course_root: str, parent: int | None = None) -> str:
    die_with_parent(parent)
    tool_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    protection = isolate(sorted({os.path.realpath(course_root), os.path.realpath(tool_root)}))
    sys.path[0] = os.getcwd()  # not this file's folder: lessons must not import the build
    # Set, not defaulted: a MATPLOTLIBRC of the author's own would make the build's figures
    # depend on who built them.
    os.environ["MATPLOTLIBRC"] = STYLE
    return protection


def run_kernel(course_root: str, kernel_args: list[str]) -> None:
    """Hand over to ipykernel, guarded, as if it had been started directly.

    The build names the process that starts the kernel (PARENT_VARIABLE). Stopped while a
    kernel was starting, a build's worker could die before the kernel had asked to die
    with it; the kernel then ran on into a temporary folder the build had deleted, and its
    traceback (FileNotFoundError from getcwd) reached the terminal under the build's one line
    (1 stop in 25 on a busy machine). Such a kernel now exits at once and says nothing."""
    parent = os.environ.pop(PARENT_VARIABLE, "")  # not in the lesson's environment
    _guard(course_root, int(parent) if parent.isdigit() else None)
    # What cells print reaches the build through the kernel's messages (ipykernel captures
    # the file descriptors too); the kernel's own log lines ("KeyboardInterrupt caught in
    # kernel" when a build is stopped) would only clutter the build's terminal.
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    os.close(quiet)
    sys.argv = ["ipykernel_launcher", *kernel_args]
    runpy.run_module("ipykernel_launcher", run_name="__main__")


def run_script(course_root: str, lesson: str) -> None:
    """Run a lesson top to bottom, guarded, as `python lesson.py` would (tracebacks included)."""
    protection = _guard(course_root)
    if protection.startswith("unprotected"):
        print(f"sandbox: {protection}; the lesson runs without the build's guard", file=sys.stderr)
    sys.argv = [lesson]
    runpy.run_path(lesson, run_name="__main__")


def main() -> None:
    mode, course_root, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "kernel":
        run_kernel(course_root, rest)
    elif mode == "script":
        run_script(course_root, rest[0])
    else:
        sys.exit(f"sandbox.py: unknown mode {mode!r}; use `kernel` or `script`")


if __name__ == "__main__":
    main()
