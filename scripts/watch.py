"""`make watch`: serve build/ on this machine, rebuild a lesson when it is saved, reload the page.

Three parts, one thread each: the HTTP server (files from build/, HTML pages with a small
reload script added as they are sent), the file watcher (watchfiles, on sources/), and the
main thread, which hands each saved lesson to a build process kept warm for the purpose
(scripts/warmbuild.py) and records what it reports, for the pages to wait on. The author's
loop is deck first: a saved lesson's deck is published, and its pages reload, as soon as it
is rendered; the handouts follow, and the page says so until they are in build/ too.
Ctrl-C stops all of them.
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
import threading
from collections import Counter
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import watchfiles

from . import warmbuild
from .errors import SettingError
from .lesson import FILE_NAME

RELOAD_PATH = "/__reload"
ALL_LESSONS = "*"  # on the queue of saves: a file that is not a lesson (image, data) changed
LESSON_FOLDER = re.compile(r"^\d\d_[a-z0-9_]+$")
# Added to every HTML page as it is served (never to the files): poll, then reload or show
# the build error over the page. The last good deck stays underneath.
RELOAD_WAIT = 25.0  # seconds a page's request may wait for news before it asks again
WATCH_QUIET_MS = 15  # watchfiles reports a save once the folder was quiet this long
RELOAD_SCRIPT = """
<script>/* added by `make watch` while serving; not part of the file */
(function () {
  var lesson = %(lesson)s, since = %(since)d, seen = -1, box = null, note = null;
  function banner(old, id, css, text) {
    if (!text) { if (old) { old.remove(); } return null; }
    if (!old) {
      old = document.createElement("pre");
      old.id = id;
      old.setAttribute("role", "status");
      old.style.cssText = "position:fixed;z-index:99999;margin:0;padding:0.5em 1em;" +
        "font:16px/1.4 monospace;white-space:pre-wrap;text-align:left;" + css;
      document.body.appendChild(old);
    }
    old.textContent = text;
    return old;
  }
  function show(state) {
    box = banner(box, "watch-build-error", "left:0;right:0;bottom:0;background:#b00020;color:#fff",
      state.error && "Build failed; this is the last good version.\\n" + state.error);
    note = banner(note, "watch-handouts", "right:0;top:0;background:#fff3c4;color:#3b2f00",
      state.handouts.length && "Handouts are being rebuilt (" + state.handouts.join(", ") + ")...");
  }
  /* Each request waits at the server until something changed since `seen` (a long poll), so
     a rebuilt deck reloads at once, without polling every few hundred ms. */
  function poll() {
    fetch("%(endpoint)s?lesson=" + lesson + "&since=" + since + "&seen=" + seen,
          {cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.reload) { location.reload(); return; }
        seen = state.seen;
        show(state);
        poll();
      })
      .catch(function () { setTimeout(poll, 2000); });  /* watch stopped or restarting */
  }
  poll();
})();
</script>
"""


class BuildLog:
    """Which lesson's deck was rebuilt when, which handouts are still being rebuilt, and which
    lessons fail: what the pages wait for."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.count = 0  # decks (or builds) finished so far; a page remembers the count it got
        self.seen = 0  # anything recorded so far: a waiting page is answered when it moves
        self._last: dict[str, tuple[int, str]] = {}  # lesson → (count, error or "")
        self._pending: set[str] = set()  # lessons whose deck is new and handouts still due
        self._finished = 0  # the count when a build last finished: the course page follows it
        self._watching: Counter[str] = Counter()  # lesson → pages waiting for its news now
        self._on_shown: dict[str, Callable[[], None]] = {}  # lesson → call when a page has it

    def record_deck(self, lesson: str, on_shown: Callable[[], None] = lambda: None) -> None:
        """`lesson`'s new deck is in build/: its pages reload; its handouts are on the way.
        `on_shown()` is called once a reloaded page asks for news, or now if no page shows
        the lesson: the handouts wait for it, so that the browser has the cores meanwhile."""
        with self._changed:
            self.count += 1
            self._last[lesson] = (self.count, "")
            self._pending.add(lesson)
            if self._watching[lesson]:
                self._on_shown[lesson] = on_shown
            self._news()
        if lesson not in self._on_shown:
            on_shown()

    def record(self, lesson: str, error: str) -> None:
        """One finished build of `lesson`; an empty error means it succeeded. A lesson whose
        deck was shown already reloads no deck page again, unless the build then failed."""
        with self._changed:
            self.count += 1
            if lesson not in self._pending or error:
                self._last[lesson] = (self.count, error)
            self._pending.discard(lesson)
            self._finished = self.count
            self._news()

    def status(self, lesson: str, since: int) -> dict:
        """Reload when the page's lesson (any lesson, for other pages) was rebuilt since."""
        with self._changed:
            if lesson in self._on_shown and since >= self._last[lesson][0]:
                self._on_shown.pop(lesson)()  # a page loaded since the deck: it has it
            if lesson:
                entries = [self._last[lesson]] if lesson in self._last else []
                pending = sorted({lesson} & self._pending)
            else:
                entries = list(self._last.values())
                pending = sorted(self._pending)
            errors = [error for _, error in entries if error]
            rebuilt = any(count > since and not error for count, error in entries)
            return {
                "now": self.count,
                "seen": self.seen,
                # the course page (and other pages) also follow the end of each build
                "reload": rebuilt or (not lesson and self._finished > since),
                "error": errors[0] if errors else None,
                "handouts": pending,
            }

    def wait(self, seen: int, timeout: float, lesson: str = "") -> None:
        """Until something is recorded after `seen` (what a page last heard), or `timeout`."""
        with self._changed:
            self._watching[lesson] += 1
            try:
                self._changed.wait_for(lambda: self.seen != seen, timeout)
            finally:
                self._watching[lesson] -= 1

    def _news(self) -> None:
        self.seen += 1
        self._changed.notify_all()


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
        since, seen = _number(query, "since", 0), _number(query, "seen", -1)
        if seen >= 0:  # the page has heard everything up to `seen`: wait for news
            self.log.wait(seen, RELOAD_WAIT, lesson)
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


def _number(query: dict, key: str, default: int) -> int:
    try:
        return int(query.get(key, [str(default)])[0])
    except ValueError:
        return default


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
    """Hands builds to a warm build process (scripts/warmbuild.py) and records what it reports:
    each new deck as soon as it is published, then each lesson's outcome."""

    def __init__(self, root: Path, log: BuildLog) -> None:
        self.root, self.log = root, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the build process: it imports the pipeline while watch does its first build."""
        command = [sys.executable, "-m", "scripts.warmbuild", str(self.root)]
        # stdin and stdout are for requests and events; its stderr is the terminal
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def build(self, lessons: list[str]) -> None:
        """Build the named lessons (every lesson when none), deck first."""
        names = lessons or sorted(p.stem for p in (self.root / "sources").glob("*.py"))
        print(f"watch: building {', '.join(lessons) or 'every lesson'}", flush=True)
        if self.process is None or self.process.poll() is not None:
            self.start()  # the first build, or the last one's process died
        errors, code = self._request(lessons)
        for name in names:
            error = errors.get(name, "")
            if code and not errors:  # the build stopped before it could report on the lessons
                error = f"sources/{name}.py:1: the build exited with code {code}; see the terminal"
            self.log.record(name, error)
            print(f"watch: {name} {'FAILED: ' + error if error else 'ok'}", flush=True)

    def _request(self, lessons: list[str]) -> tuple[dict, int]:
        """One request; the events it brings until the build is over: (errors, exit code)."""
        process = self.process
        try:
            process.stdin.write(json.dumps({"lessons": lessons}) + "\n")
            process.stdin.flush()
            for line in process.stdout:
                event = json.loads(line)
                if "deck" in event:
                    self.log.record_deck(event["deck"], self._deck_shown)
                    print(f"watch: {event['deck']} deck ready; handouts follow", flush=True)
                else:
                    return event["done"], event["code"]
        except (BrokenPipeError, ValueError):
            pass
        return {}, process.wait()  # it died: its own lines on the terminal say why

    def _deck_shown(self) -> None:
        """Tell the build process that the browser has the new deck: the handouts may start."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(warmbuild.SHOWN)

    def stop(self) -> None:
        """Interrupt a build in progress (it never leaves half-written artifacts), and end."""
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
    """Put the name of each saved (or added) lesson on `saved` until `stop` is set; an image
    or data file a lesson may show or read (sources/figures/..., sources/data/...) puts
    ALL_LESSONS: the build finds which lessons it changes (archive.is_fresh)."""
    for changes in watchfiles.watch(
        sources,
        watch_filter=partial(_is_lesson_or_its_file, sources),
        stop_event=stop,
        recursive=True,
        raise_interrupt=False,
        # A save is one write, or a write and a rename: they come within a few ms. watchfiles
        # waits for a quiet `step` before it reports; its default (50 ms) is paid on every save.
        step=WATCH_QUIET_MS,
    ):
        for name in sorted({_lesson_of_change(sources, Path(path)) for _, path in changes}):
            saved.put(name)


def _is_lesson_or_its_file(sources: Path, change: watchfiles.Change, path: str) -> bool:
    """A lesson saved, or a file a lesson may show or read (an image, data) changed."""
    changed = Path(path)
    if changed.suffix == ".py":
        is_lesson = changed.parent == sources and bool(FILE_NAME.match(changed.name))
        return change != watchfiles.Change.deleted and is_lesson
    # Not an editor's swap, backup or lock file, nor a cache: those are saved all the time.
    parts = changed.relative_to(sources).parts
    editor = changed.name.endswith("~") or changed.name.startswith("#")
    return not editor and not any(p.startswith((".", "__pycache__")) for p in parts)


def _lesson_of_change(sources: Path, path: Path) -> str:
    return path.stem if path.parent == sources and path.suffix == ".py" else ALL_LESSONS


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
    builder.start()
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
    if ALL_LESSONS in names:
        return []  # every lesson: those whose files are unchanged are up to date at once
    return list(dict.fromkeys(names))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
