"""`make watch`: serve build/ on this machine, rebuild a lesson when it is saved, reload the page.

Three parts, one thread each: the HTTP server (files from build/, HTML pages with a small
reload script added as they are sent), the file watcher (watchfiles, on sources/), and the
main thread, which runs `python -m scripts build NN_slug` for each saved lesson and records
the outcome the pages poll for. Ctrl-C stops all three.
"""

from __future__ import annotations

import io
import ipaddress
import json
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import watchfiles

from .errors import SettingError
from .lesson import FILE_NAME
from .report import read_report

RELOAD_PATH = "/__reload"
LESSON_FOLDER = re.compile(r"^\d\d_[a-z0-9_]+$")
# Added to every HTML page as it is served (never to the files): poll, then reload or show
# the build error over the page. The last good deck stays underneath.
RELOAD_SCRIPT = """
<script>/* added by `make watch` while serving; not part of the file */
(function () {
  var lesson = %(lesson)s, since = %(since)d, box = null;
  function show(error) {
    if (!error) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "watch-build-error";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99999;margin:0;" +
        "padding:0.8em 1.2em;background:#b00020;color:#fff;font:16px/1.4 monospace;" +
        "white-space:pre-wrap;text-align:left";
      document.body.appendChild(box);
    }
    box.textContent = "Build failed; this is the last good version.\\n" + error;
  }
  function poll() {
    fetch("%(endpoint)s?lesson=" + lesson + "&since=" + since, {cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.reload) { location.reload(); return; }
        show(state.error);
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });  /* watch stopped or restarting */
  }
  poll();
})();
</script>
"""


class BuildLog:
    """Which lesson was rebuilt when, and which ones fail: what the pages poll for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0  # builds finished so far; a page remembers the count it was served at
        self._last: dict[str, tuple[int, str]] = {}  # lesson → (count, error or "")

    def record(self, lesson: str, error: str) -> None:
        """One finished build of `lesson`; an empty error means it succeeded."""
        with self._lock:
            self.count += 1
            self._last[lesson] = (self.count, error)

    def status(self, lesson: str, since: int) -> dict:
        """Reload when the page's lesson (any lesson, for other pages) was rebuilt since."""
        with self._lock:
            if lesson:
                entries = [self._last[lesson]] if lesson in self._last else []
            else:
                entries = list(self._last.values())
            errors = [error for _, error in entries if error]
            return {
                "now": self.count,
                "reload": any(count > since and not error for count, error in entries),
                "error": errors[0] if errors else None,
            }


class PreviewHandler(SimpleHTTPRequestHandler):
    """Files from build/; HTML pages get the reload script; /__reload answers the polls."""

    def __init__(self, *args, log: BuildLog, **kwargs):
        self.log = log  # set first: the base class handles the request inside __init__
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        """build/ at the root, and legacy/ beside it: the course page links archived versions
        as ../legacy/..., which a browser asks for as /legacy/..."""
        url_path = urlsplit(path).path
        if url_path != "/legacy" and not url_path.startswith("/legacy/"):
            return super().translate_path(path)
        build_dir = self.directory  # this handler serves one request: swapping it is safe
        self.directory = str(Path(build_dir).parent / "legacy")
        try:
            return super().translate_path(path[len("/legacy") :] or "/")
        finally:
            self.directory = build_dir

    def do_GET(self) -> None:
        if urlsplit(self.path).path == RELOAD_PATH:
            self._send_status()
        else:
            super().do_GET()

    def send_head(self):
        """The page with the script added, a redirect to a renamed deck, or the file as is."""
        url_path = urlsplit(self.path).path
        target = Path(self.translate_path(self.path))
        if target.is_dir() and url_path.endswith("/"):
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            return self._send_page(target)
        renamed = _current_deck(target)
        if renamed is not None:  # a version bump renamed the deck the browser had open
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", url_path.rsplit("/", 1)[0] + "/" + renamed.name)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()

    def log_message(self, format: str, *args) -> None:
        """Quiet: the page polls every second, and the terminal is for build messages."""

    def _send_page(self, target: Path):
        page = inject_reload_script(target.read_bytes(), self._lesson_of(target), self.log.count)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(page)

    def _send_status(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        lesson = query.get("lesson", [""])[0]
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        body = json.dumps(self.log.status(lesson, since)).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _lesson_of(self, page: Path) -> str:
        """`02_x` for a page in build/02_x/; empty for the index and other pages."""
        try:
            parts = page.resolve().relative_to(Path(self.directory).resolve()).parts
        except ValueError:
            return ""
        return parts[0] if len(parts) == 2 and LESSON_FOLDER.match(parts[0]) else ""


def inject_reload_script(page: bytes, lesson: str, since: int) -> bytes:
    """The page with the reload script just before its last `</body>`."""
    script = RELOAD_SCRIPT % {
        "lesson": json.dumps(lesson),
        "since": since,
        "endpoint": RELOAD_PATH,
    }
    end = page.rfind(b"</body>")
    end = len(page) if end < 0 else end
    return page[:end] + script.encode() + page[end:]


def _current_deck(missing: Path) -> Path | None:
    """The deck now in a lesson folder when the one asked for (an older version) is gone."""
    if missing.exists() or not missing.name.endswith(".slides.html"):
        return None
    if not LESSON_FOLDER.match(missing.parent.name) or not missing.parent.is_dir():
        return None
    decks = list(missing.parent.glob(f"{missing.parent.name}_v*.slides.html"))
    return decks[0] if len(decks) == 1 else None


def make_server(build_dir: Path, host: str, port: int, log: BuildLog) -> ThreadingHTTPServer:
    """An HTTP server for build/, bound to `host` (a loopback address) only."""
    handler = partial(PreviewHandler, directory=str(build_dir), log=log)
    return ThreadingHTTPServer((host, port), handler)


class Builder:
    """Runs the build in a child process and records each lesson's outcome from its report."""

    def __init__(self, root: Path, log: BuildLog) -> None:
        self.root, self.log = root, log
        self.process: subprocess.Popen | None = None

    def build(self, lessons: list[str]) -> None:
        """Build the named lessons (every lesson when none); the terminal shows the build."""
        names = lessons or sorted(p.stem for p in (self.root / "sources").glob("*.py"))
        print(f"watch: building {', '.join(lessons) or 'every lesson'}", flush=True)
        with tempfile.TemporaryDirectory(prefix="watch-") as folder:
            report = Path(folder) / "report.json"
            command = [sys.executable, "-m", "scripts", "--root", str(self.root), "build"]
            command += [*lessons, "--report", str(report)]
            if lessons:
                command += ["--jobs", "1"]
            self.process = subprocess.Popen(command)  # its output goes straight to the terminal
            code = self.process.wait()
            self.process = None
            errors = read_report(report)  # what the build says, not what it printed
        for name in names:
            error = errors.get(name, "")
            if code and not errors:  # the build stopped before it could report on the lessons
                error = f"sources/{name}.py:1: the build exited with code {code}; see the terminal"
            self.log.record(name, error)
            print(f"watch: {name} {'FAILED: ' + error if error else 'ok'}", flush=True)

    def stop(self) -> None:
        """Interrupt a build in progress (it never leaves half-written artifacts)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def watch_sources(sources: Path, saved: queue.Queue, stop: threading.Event) -> None:
    """Put the name of each saved (or added) lesson on `saved` until `stop` is set."""
    for changes in watchfiles.watch(
        sources,
        watch_filter=_is_lesson_saved,
        stop_event=stop,
        recursive=False,
        raise_interrupt=False,
    ):
        for name in sorted({Path(path).stem for _, path in changes}):
            saved.put(name)


def _is_lesson_saved(change: watchfiles.Change, path: str) -> bool:
    return change != watchfiles.Change.deleted and bool(FILE_NAME.match(Path(path).name))


def command_watch(root: Path, host: str, port: int) -> int:
    """Serve, watch and rebuild until Ctrl-C; 0 on a clean stop."""
    if not _is_loopback(host):
        raise SettingError(
            f"--host {host}", "not a loopback address", "watch serves only this machine: 127.0.0.1"
        )
    (root / "build").mkdir(exist_ok=True)
    log = BuildLog()
    try:
        server = make_server(root / "build", host, port, log)
    except OSError as error:
        raise SettingError(
            f"--port {port}",
            f"cannot serve on {host}:{port} ({error.strerror})",
            "choose another port, e.g. make watch PORT=8001",
        ) from None
    # Ctrl-C stops watch even when a shell started it in the background with SIGINT ignored;
    # `kill` (SIGTERM) stops it just as cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    stop, saved = threading.Event(), queue.Queue()
    threads = [
        threading.Thread(target=server.serve_forever, name="serve", daemon=True),
        threading.Thread(target=watch_sources, args=(root / "sources", saved, stop), daemon=True),
    ]
    for thread in threads:
        thread.start()
    builder = Builder(root, log)
    print(f"Serving build/ at http://{host}:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        builder.build([])  # bring build/ up to date first: cached lessons take a second
        while True:
            builder.build(_next_saved(saved))
    except KeyboardInterrupt:
        print("\nwatch: stopping", flush=True)
    finally:
        stop.set()
        builder.stop()
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join(timeout=5)
    print("watch: stopped", flush=True)
    return 0


def _next_saved(saved: queue.Queue) -> list[str]:
    """Wait for a saved lesson; take the others saved meanwhile too, each once."""
    names = [saved.get()]
    while not saved.empty():
        names.append(saved.get_nowait())
    return list(dict.fromkeys(names))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
