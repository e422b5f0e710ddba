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
    python sandbox.py kernels COURSE_ROOT FD AT_ONCE_JSON     # kernels forked on request
                                              # AT_ONCE_JSON: [[[modules], [also]], ...]

The third is the build's kernel starter (scripts/kernelfork.py): a process that has imported
ipykernel, and beside it the modules the lessons import (torch: 2-3 s of CPU), once, and then
forks one kernel per request, each guarded as the first mode guards a kernel it starts.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import runpy
import select
import signal
import socket
import struct
import sys
import tempfile
import warnings

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


def serve_kernels(
    course_root: str,
    listener: socket.socket,
    at_once: list[list[list[str]]],
    loaded: int | None = None,
) -> None:
    """Import ipykernel, then fork a kernel for each request on `listener`.

    A request is one line of JSON, {"course_root", "args", "env", "cwd", "modules"}: what the
    kernel's command line, environment and folder would have been, and the modules its lesson
    imports first (torch, say). The answer is the kernel's pid, with a pidfd of it (a process
    that is not the asker's child cannot be waited for, and a pid alone may be reused).
    Requests wait in the listener's queue while imports load.

    A kernel without modules is forked from this process. For each set of modules, a child
    of this one imports them once (the sets in `at_once` as this process starts, the others
    at the first request for them) and forks the kernels that need them: a lesson finds no
    module loaded that it does not import itself, but for what `at_once` adds to a set, the
    modules its packages import at their first use (kernelfork.LOADED_AT_FIRST_USE: torch's
    TorchDynamo). A lesson that never calls on them could see them in `sys.modules`, and
    sympy's warning filter for its own deprecations. Modules that print, warn or fail to
    import would leave a forked kernel different from a fresh one (whose cell shows it): that
    child exits, and the build starts such kernels the usual way.

    `loaded`, a pipe's end: the first child of `at_once` to have imported its set (or failed
    to) writes a byte to it, and each then closes it; with no such set, this process does."""
    parent = os.environ.pop(PARENT_VARIABLE, "")
    _guard(course_root, int(parent) if parent.isdigit() else None)
    # Read once, as ipykernel loads: the process its kernels will watch as their parent.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    import ipykernel.kernelapp  # noqa: F401  (what every kernel imports first)

    starters = {
        tuple(modules): _starter_with(tuple(modules), listener, tuple(also), loaded)
        for modules, also in at_once
    }
    if loaded is not None:
        os.close(loaded)  # the children hold it now
    askers: dict[int, int] = {}  # pidfd of a process that asked for a kernel -> the kernel's
    listener.settimeout(1.0)
    while True:
        _reap_kernels()
        # A second now and then, to reap the kernels that have ended.
        ready, _, _ = select.select([listener, *askers, *askers.values()], [], [], 1.0)
        _end_orphans(askers, ready)
        if listener not in ready:
            continue
        try:
            connection, _ = listener.accept()
        except TimeoutError:  # an asker that has gone since
            continue
        with connection:
            try:
                request, kernel = _answer(connection, listener, course_root, starters)
            except (OSError, ValueError):
                continue  # an asker that gave up waiting, or a request that does not read
        if kernel is not None:
            _watch_asker(askers, request, kernel)


def _watch_asker(askers: dict[int, int], request: dict, kernel: int) -> None:
    """Have `kernel` (a pidfd) killed when the process that asked for it (PARENT_VARIABLE of
    its environment: a build's worker) ends, however it ends. A kernel dies with this starter
    too, but a starter kept by a warm build process (scripts/buildserver.py) outlives the
    builds: a build killed outright would otherwise leave its kernels running until then."""
    asker = request.get("env", {}).get(PARENT_VARIABLE, "")
    try:
        askers[os.pidfd_open(int(asker))] = kernel
    except ValueError:  # no asker named: the kernel dies with this starter only
        os.close(kernel)
    except OSError:  # the asker has ended already
        _kill(kernel)
        os.close(kernel)


def _end_orphans(askers: dict[int, int], ready: list) -> None:
    """Kill the kernels whose asker has ended; forget those that have ended themselves."""
    for asker, kernel in list(askers.items()):
        if asker in ready or kernel in ready:
            if kernel not in ready:
                _kill(kernel)
            os.close(asker)
            os.close(kernel)
            del askers[asker]


def _kill(pidfd: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)


def _answer(connection: socket.socket, listener, course_root: str, starters: dict) -> tuple:
    """Fork the kernel asked for on `connection`: the request, and a pidfd of the kernel
    (None when there is none: the asker then starts the kernel itself)."""
    connection.settimeout(10.0)
    request = json.loads(connection.makefile("rb").readline() or b"{}")
    if request.get("course_root") != course_root:
        return request, None  # closed without an answer
    modules = tuple(request.get("modules", ()))
    if not modules:
        return request, _send_kernel(connection, _fork_kernel(request, [listener, connection]))
    if modules not in starters:
        starters[modules] = _starter_with(modules, listener)
    answer, fds = b"", []
    if starters[modules] is not None:
        try:
            starters[modules].sendall(json.dumps(request).encode() + b"\n")
            answer, fds, _, _ = socket.recv_fds(starters[modules], 64, 1)
        except OSError:
            pass
    if not fds:  # that starter has exited: its imports said something
        starters[modules] = None
        return request, None
    try:
        socket.send_fds(connection, [answer], fds)
    except OSError:
        os.close(fds[0])
        raise
    return request, fds[0]


def _starter_with(
    modules: tuple[str, ...],
    listener: socket.socket,
    also: tuple[str, ...] = (),
    loaded: int | None = None,
) -> socket.socket:
    """A child of this process that imports `modules` (and `also`: what their packages load
    at first use), says so on `loaded`, then forks a kernel for each request sent over the
    socket returned."""
    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        code = 3
        try:
            listener.close()
            ours.close()
            die_with_parent(os.getppid())
            quiet = _imported_quietly([*modules, *also])
            if loaded is not None:
                with contextlib.suppress(OSError):  # a build that no longer listens
                    os.write(loaded, b".")
                os.close(loaded)
            if quiet:
                _serve_forks(theirs)
                code = 0
        finally:
            os._exit(code)
    theirs.close()
    return ours


def _serve_forks(connection: socket.socket) -> None:
    """Fork a kernel per request from the starter, until the starter has gone. The kernels
    that have ended are reaped every second, not only at the next request: a starter kept
    by a warm build process (scripts/buildserver.py) may wait many minutes for one. The
    starter sends a request only once the last is answered (`_answer`), so no second line
    can wait unseen in the reader's buffer while `select` waits on the socket."""
    requests = connection.makefile("rb")
    while True:
        _reap_kernels()
        readable, _, _ = select.select([connection], [], [], 1.0)
        if not readable:
            continue
        line = requests.readline()
        if not line:
            return
        os.close(_send_kernel(connection, _fork_kernel(json.loads(line), [connection])))


def _fork_kernel(request: dict, sockets: list[socket.socket]) -> int:
    pid = os.fork()
    if pid == 0:
        for open_socket in sockets:
            open_socket.close()
        _become_kernel(request)
    return pid


def _send_kernel(connection: socket.socket, pid: int) -> int:
    """Send the kernel's pid and a pidfd of it; the pidfd is the caller's to close."""
    pidfd = os.pidfd_open(pid)  # before this process can reap it: the pid is still ours
    try:
        socket.send_fds(connection, [b"%d\n" % pid], [pidfd])
    except OSError:
        os.close(pidfd)
        raise
    return pidfd


def _imported_quietly(modules: list[str]) -> bool:
    """Import `modules`; True when none of them failed, warned or wrote to stdout or stderr.

    Warnings are heard through `warnings.showwarning`, not `catch_warnings`: that would undo,
    on leaving, the filters the imports add (numpy adds five), which a fresh kernel keeps."""
    warned = []
    shown, warnings.showwarning = warnings.showwarning, lambda *args, **kwargs: warned.append(1)
    sys.stdout, sys.stderr = _FollowingStream("stdout"), _FollowingStream("stderr")
    with tempfile.TemporaryFile() as said:
        kept = os.dup(1), os.dup(2)
        os.dup2(said.fileno(), 1)
        os.dup2(said.fileno(), 2)
        try:
            for module in modules:
                __import__(module)
        except Exception:
            return False
        finally:
            warnings.showwarning = shown
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, saved in enumerate(kept, start=1):
                os.dup2(saved, fd)
                os.close(saved)
        return not warned and os.fstat(said.fileno()).st_size == 0


class _FollowingStream:
    """sys.stdout or sys.stderr as the imports see it: whatever the process's stream is when
    it is used. What keeps the stream it was given at import (torch makes dozens of logging
    handlers) would, in a fresh kernel, hold the kernel's own stream, whose text shows in the
    notebook; in a forked kernel it must lead there too, not to this server's stream."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _target(self):
        stream = getattr(sys, self._name)
        return getattr(sys, f"__{self._name}__") if stream is self else stream

    def __getattr__(self, attribute: str):
        return getattr(self._target(), attribute)


def _reap_kernels() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass  # none started yet


def _become_kernel(request: dict) -> None:
    """In the forked child: the process `python sandbox.py kernel ...` would have been."""
    code = 1
    try:
        os.setsid()  # a process group of its own, as jupyter_client gives a kernel it starts
        quiet = os.open(os.devnull, os.O_RDWR)
        os.dup2(quiet, 0)
        os.dup2(quiet, 1)
        os.close(quiet)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # Its parent is this server: it dies with it, and ipykernel watches it as its parent.
        os.environ[PARENT_VARIABLE] = os.environ["JPY_PARENT_PID"] = str(os.getppid())
        tempfile.tempdir = None  # the asker's TMPDIR, not this server's
        run_kernel(request["course_root"], request["args"])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        os._exit(code)  # never back into the server's loop


def main() -> None:
    mode, course_root, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "kernel":
        run_kernel(course_root, rest)
    elif mode == "script":
        run_script(course_root, rest[0])
    elif mode == "kernels":
        loaded = int(rest[2]) if len(rest) > 2 else None
        serve_kernels(course_root, socket.socket(fileno=int(rest[0])), json.loads(rest[1]), loaded)
    else:
        sys.exit(f"sandbox.py: unknown mode {mode!r}; use `kernel`, `script` or `kernels`")


if __name__ == "__main__":
    main()
