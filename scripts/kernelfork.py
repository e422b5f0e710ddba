"""Kernels forked from a process that has already imported what every lesson imports.

Every run of a lesson used to start a new Python, import ipykernel (0.25 s of CPU) and then
the lesson's own imports: `import torch, matplotlib.pyplot` is 2-3 s of CPU, paid in every
run, twice per lesson with checks. A clean build of our four lessons paid it eight times.

`start()` launches one kernel starter per build (`python sandbox.py kernels ...`): it imports
ipykernel once and forks a kernel per request; for a lesson that imports torch, numpy or
matplotlib at its top level, a child of it that has imported those (once per set of them)
forks the kernel. Each forked kernel enters its own sandbox and sees what a kernel started
afresh would see: the modules loaded ahead are the ones its lesson imports first thing
anyway, as `course watch`'s spare kernels do (scripts/execute.py). One exception, when the
starter imports at once: what torch imports later by itself, at the first optimizer step or
`assert_close` (LOADED_AT_FIRST_USE), is loaded too, for a lesson that may never call on it.
Imports that print, warn or fail, and anything else that goes wrong, leave `launch()`
returning None: the kernel is then started the usual way.

The starter is launched before the build imports its pipeline, and its listening socket is
made here first, so the workers' first requests queue there while torch loads on the core
that the pipeline's imports leave idle.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

from .files import write_atomic
from .lock import process_alive
from .sandbox import PARENT_VARIABLE

SANDBOX = Path(__file__).resolve().parent / "sandbox.py"  # every run of a lesson goes through it
SOCKET_NAME = "kernels"
# What the starter may import ahead: heavy, and seen to decide nothing at import from the
# kernel it will run in (tests/test_kernelfork.py). Others might: `tqdm.auto` picks its
# notebook or its terminal progress bar as it loads, by asking IPython whether a shell runs.
PRELOADED = frozenset({"torch", "numpy", "matplotlib", "matplotlib.pyplot"})
# What a preloaded package imports later by itself, at the first call of functions lessons use
# all the time: torch loads TorchDynamo (and with it torch.fx's symbolic shapes and sympy) at
# the first optimizer step, `torch.func` transform or decomposed op, and the symbolic shapes
# at the first `torch.testing.assert_close`. That is 0.4-1.2 s of CPU that every run paid
# again. They are loaded ahead where the wait is no one's: by the starter when it imports at
# once, as the build starts (its lessons will run: a clean build's eight runs then share one
# import, and it overlaps the build's own imports), and by `course watch`'s spare kernels,
# between saves (scripts/execute.py). A starter asked later, at a build's first kernel, leaves
# them to the lesson: loading them then would only put the same wait before the run.
LOADED_AT_FIRST_USE = {"torch": ("torch._dynamo",)}
# Seconds a request may wait for the starter: it answers once its imports are in.
ANSWER_WAIT = 120.0

_starter: dict = {}  # "process", "path", "owner": the pid that launched it


def start(course_root: Path, lessons: list[Path], folder: Path, at_once: bool = False) -> None:
    """Launch the starter for `course_root`, its socket in `folder`. With `at_once`, it
    imports what `lessons` import while this process imports the pipeline on the other core;
    else at the first kernel that needs it (a build may run nothing, all from its cache)."""
    stop()
    path = folder / SOCKET_NAME
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    sets = {tuple(file_imports(lesson)) for lesson in lessons} if at_once else set()
    # Each set with what its packages load at first use: [modules, also].
    preload = sorted([list(modules), first_use_imports(modules)] for modules in sets if modules)
    command = [sys.executable, str(SANDBOX), "kernels", str(course_root), str(listener.fileno())]
    # With sets to import at once, the starter writes a byte (or closes its end) once the
    # first has loaded or failed to: until then the build may fill caches (`loading`).
    ready, loaded = os.pipe() if preload else (None, None)
    signalled = [loaded] if loaded is not None else []
    try:
        process = subprocess.Popen(
            [*command, json.dumps(preload), *map(str, signalled)],
            env={**os.environ, **kernel_environment()},
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=[listener.fileno(), *signalled],
        )
    except OSError:
        _close(ready)
        return
    finally:
        listener.close()  # the starter holds these now
        _close(loaded)
    _starter.update(process=process, path=path, owner=os.getpid(), ready=ready)


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def loading() -> bool:
    """True while the starter, asked to import sets of modules at once, has loaded none of
    them yet: no kernel for them can start before, and the build has a core to spare."""
    ready = _starter.get("ready")
    if ready is None or _starter["owner"] != os.getpid():
        return False
    readable, _, _ = select.select([ready], [], [], 0)
    return not readable


def inherited() -> bool:
    """True in a build forked from a warm build process (scripts/buildserver.py) whose
    starter still runs: the build asks it for its kernels instead of launching its own."""
    process = _starter.get("process")
    return process is not None and _starter["owner"] != os.getpid() and process_alive(process.pid)


def stop() -> None:
    """Stop the starter (its kernels die with it); only the process that launched it can."""
    process = _starter.get("process")
    if process is not None and _starter["owner"] == os.getpid():
        process.kill()
        process.wait()
        Path(_starter["path"]).unlink(missing_ok=True)
        _close(_starter["ready"])
    _starter.clear()


def kernel_environment() -> dict[str, str]:
    """What a kernel's environment adds to the build's, but its own settings folder; the
    starter's too, since matplotlib and the hash seed read theirs as the imports load."""
    return {
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
        "SOURCE_DATE_EPOCH": "0",
        # The process that starts it (a build's worker): a kernel that finds it gone exits
        # at once and says nothing (scripts/sandbox.py).
        PARENT_VARIABLE: str(os.getpid()),
    }


def preloadable(modules) -> list[str]:
    """What the starter may load ahead for a lesson importing `modules` at its top level.

    Each is a package of PRELOADED, or the package a submodule of it belongs to (importing
    `torch.func` imports `torch` first): never a module the lesson would not load itself.
    The list is a key too, one child of the starter per list (scripts/sandbox.py), so it
    says no more than it needs to: `torch` alone for `torch.func` (torch loads most of its
    submodules itself), and no `numpy` beside torch or pyplot, which load it anyway."""
    names = set()
    for name in modules:
        package = name.split(".")[0]
        if package in PRELOADED:
            names.add(name if name in PRELOADED else package)
    if names & {"torch", "matplotlib.pyplot"}:
        names.discard("numpy")
    return sorted(names)


def first_use_imports(modules) -> list[str]:
    """What the packages of `modules` import later by themselves (LOADED_AT_FIRST_USE)."""
    packages = dict.fromkeys(name.split(".")[0] for name in modules)
    return [name for package in packages for name in LOADED_AT_FIRST_USE.get(package, ())]


def code_digest(path: Path) -> str:
    """A digest of the lesson file's code cells, each with its `# %%` line: what its run
    depends on, read without jupytext. The header and the markdown cells are left out, so a
    prose edit keeps it, and any edit of code (a comment too) changes it, as it changes the
    execution cache's key. A hint for when to load torch, never a cache key: where the two
    disagree, a build loads torch early for nothing, or late. "" when the file does not read."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeError):
        return ""
    digest, in_code = hashlib.sha256(), False
    for line in lines:
        if line.startswith("# %%"):
            in_code = not ("[markdown]" in line or "[md]" in line)
        if in_code and line.strip():  # blank lines part cells, as jupytext reads them
            digest.update(line.encode())
    return digest.hexdigest()


def recorded_digest(cache: Path, lesson: Path) -> str:
    """The code digest the lesson's last build without error recorded in `cache` ("" if none)."""
    try:
        return (cache / f"{lesson.stem}.code").read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return ""


def record_digest(cache: Path, lesson: Path, digest: str) -> None:
    write_atomic(cache / f"{lesson.stem}.code", digest)


def file_imports(path: Path) -> list[str]:
    """What the starter may load for the lesson file, from its top-level imports.

    Read from the percent-format file itself: its markdown is comments and jupytext comments
    out magics, so the file is Python, and its top level is the top level of its code cells.
    A lesson that does not parse imports nothing here (its run says why)."""
    try:
        statements = ast.parse(path.read_bytes(), filename=str(path)).body
    except (OSError, SyntaxError, ValueError):
        return []
    return preloadable(imported_names(statements))


def imported_names(statements: list[ast.stmt]) -> list[str]:
    """The absolute modules `statements` import (not `__future__`), in order."""
    names: list[str] = []
    for node in statements:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            names.append(node.module)
    return names


def launch(
    command: list[str], env: dict[str, str], cwd: str, modules: tuple[str, ...] = ()
) -> ForkedKernel | None:
    """A kernel for `command` (the kernelspec's `python sandbox.py kernel ROOT -f FILE`) forked
    by the starter with `modules` (`preloadable`) imported, or None: no starter, another
    command, or no answer (its imports said something)."""
    if not _starter or command[:3] != [sys.executable, str(SANDBOX), "kernel"]:
        return None
    request = {
        "course_root": command[3],
        "args": command[4:],
        "env": env,
        "cwd": str(cwd),
        "modules": list(modules),
    }
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(ANSWER_WAIT)
            connection.connect(str(_starter["path"]))
            connection.sendall(json.dumps(request).encode() + b"\n")
            message, fds, _, _ = socket.recv_fds(connection, 64, 1)
    except OSError:  # the starter has exited (its imports were noisy), or timed out
        return None
    if not fds:
        return None
    return ForkedKernel(int(message), fds[0])


class ForkedKernel:
    """What jupyter_client and the build ask of a kernel's subprocess.Popen, for a process
    that is the starter's child rather than ours: watched and signalled through a pidfd."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.wait(0, raise_on_timeout=False)

    def wait(self, timeout: float | None = None, raise_on_timeout: bool = True) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self.pidfd], [], [], timeout)
            if not ready:
                if raise_on_timeout:
                    raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
                return None
            # Its exit status goes to the starter: a kernel that has ended reads as killed.
            self.returncode = -signal.SIGKILL
            os.close(self.pidfd)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:
        if self.returncode is None:
            os.close(self.pidfd)
