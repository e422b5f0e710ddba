"""`make watch`: serves build/ on 127.0.0.1 only, rebuilds a saved lesson, reloads, stops."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from watchfiles import Change

from scripts import warmbuild
from scripts.watch import BuildLog, _is_lesson_or_its_file, inject_reload_script

from .conftest import copy_course

# Never a proxy from the environment: the point is to reach this machine directly.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SERVING = re.compile(r"Serving build/ at http://127\.0\.0\.1:(\d+)/")


def wait_for(condition, timeout: float, what: str):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Watch:
    """`python -m scripts watch` running on a course folder, its terminal in a log file."""

    def __init__(self, root: Path):
        self.root, self.log = root, root / "watch.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scripts", "--root", str(root), "watch", "--port", "0"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        found = wait_for(lambda: SERVING.search(self.output()), 60, "the Serving line")
        self.port = int(found[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> str:
        with OPENER.open(self.url + path, timeout=10) as response:
            return response.read().decode("utf-8")

    def status(self, lesson: str = "", since: int = 0) -> dict:
        return json.loads(self.get(f"/__reload?lesson={lesson}&since={since}"))

    def wait_for_first_build(self) -> None:
        """Until watch's first build has finished (it builds every lesson once)."""
        count = len(list((self.root / "sources").glob("*.py")))
        wait_for(lambda: self.status()["now"] >= count, 120, "the first build of every lesson")

    def stop(self) -> int:
        """SIGINT, as Ctrl-C sends; the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def built_copy(tiny_course, target: Path) -> Path:
    """A copy of the built fixture course: watch's first build finds it up to date."""
    shutil.copytree(tiny_course.root, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.fixture(scope="module")
def watching(tiny_course, tmp_path_factory):
    """One watch process for the module, after its first build (every lesson) finished."""
    watch = Watch(built_copy(tiny_course, tmp_path_factory.mktemp("watch") / "course"))
    watch.wait_for_first_build()
    yield watch
    if watch.process.poll() is None:
        watch.stop()


def deck_path(root: Path, lesson: str) -> str:
    (deck,) = (root / "build" / lesson).glob("*.slides.html")
    return f"/{lesson}/{deck.name}"


def test_pages_are_served_with_the_reload_script_but_files_stay_unchanged(watching):
    page = watching.get("/")
    assert "<h1>Course materials</h1>" in page and "/__reload" in page  # the default title
    assert "/__reload" not in (watching.root / "build" / "index.html").read_text("utf-8")


def test_watch_listens_on_127_0_0_1_only(watching):
    has_proc = Path("/proc/net/tcp").exists()
    if has_proc:
        assert listening_addresses(watching.port) == ["127.0.0.1"]
    others = non_loopback_addresses()
    if not others and not has_proc:
        pytest.skip("this machine has no non-loopback address and no /proc to check")
    for address in others:
        with pytest.raises(OSError):
            socket.create_connection((address, watching.port), timeout=3).close()


def test_watch_refuses_a_host_that_is_not_loopback(tmp_path):
    (tmp_path / "sources").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "scripts", "--root", str(tmp_path), "watch", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: --host 0.0.0.0: not a loopback address; watch serves only this machine: 127.0.0.1"
    )


def test_saved_lesson_is_rebuilt_alone_and_its_page_told_to_reload(watching):
    deck = deck_path(watching.root, "02_second")
    other = next((watching.root / "build" / "01_tag_table").glob("*.slides.html"))
    other_built = other.stat().st_mtime_ns
    since = watching.status()["now"]
    source = watching.root / "sources" / "02_second.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("MARK_UNICODE", "MARK_SAVED_EDIT"), encoding="utf-8")
    wait_for(lambda: watching.status("02_second", since)["reload"], 120, "a reload for the page")
    assert "MARK_SAVED_EDIT" in watching.get(deck)
    assert watching.status("01_tag_table", since)["reload"] is False
    assert other.stat().st_mtime_ns == other_built
    assert "watch: building 02_second" in watching.output()
    assert "watch: 02_second deck ready; handouts follow" in watching.output()
    wait_for(lambda: not watching.status("02_second")["handouts"], 120, "the handouts")
    assert "watch: 02_second ok" in watching.output()


def test_url_of_an_older_deck_version_leads_to_the_current_deck(watching):
    page = watching.get("/02_second/02_second_v1.9.slides.html")  # built is v2.0
    assert "Second Fixture" in page and "/__reload" in page


def test_build_error_is_shown_and_the_last_good_deck_stays(watching):
    deck = deck_path(watching.root, "01_tag_table")
    source = watching.root / "sources" / "01_tag_table.py"
    source.write_text(
        source.read_text(encoding="utf-8") + '\n# %%\nraise ValueError("MARK_BROKEN")\n',
        encoding="utf-8",
    )
    error = wait_for(lambda: watching.status("01_tag_table")["error"], 120, "the build error")
    assert error.startswith("sources/01_tag_table.py:") and "MARK_BROKEN" in error
    assert "MARK_PLAIN_MD" in watching.get(deck)
    assert "error: sources/01_tag_table.py:" in watching.output()


@pytest.mark.parametrize("moment", ["idle", "building"])
def test_sigint_stops_watch_cleanly(tiny_course, tmp_path, moment):
    watch = Watch(built_copy(tiny_course, tmp_path / "course"))
    if moment == "idle":
        watch.wait_for_first_build()
    else:
        wait_for(lambda: "watch: building" in watch.output(), 60, "the first build to start")
    assert watch.stop() == 0
    assert "watch: stopped" in watch.output()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", watch.port), timeout=3).close()


def test_status_asks_a_page_to_reload_only_after_its_lesson_rebuilt():
    log = BuildLog()
    log.record("01_a", "")
    served_at = log.count
    assert log.status("01_a", served_at)["reload"] is False
    log.record("02_b", "sources/02_b.py:3: boom; fix it")
    assert log.status("01_a", served_at) == {
        "now": 2,
        "seen": 2,
        "reload": False,
        "error": None,
        "handouts": [],
    }
    assert log.status("", served_at)["error"] == "sources/02_b.py:3: boom; fix it"
    log.record("01_a", "")
    assert log.status("01_a", served_at)["reload"] is True


def test_a_deck_page_reloads_once_its_deck_is_new_and_says_when_handouts_are_due():
    log = BuildLog()
    log.record("01_a", "")
    deck_page = course_page = log.count
    log.record_deck("01_a")  # deck first: its pages reload now
    assert log.status("01_a", deck_page)["reload"] is True
    deck_page = log.count  # the reloaded page
    assert log.status("01_a", deck_page) == {
        "now": deck_page,
        "seen": 2,
        "reload": False,
        "error": None,
        "handouts": ["01_a"],
    }
    assert log.status("", course_page)["handouts"] == ["01_a"]
    log.record("01_a", "")  # the handouts are in: the deck page stays, the course page follows
    assert log.status("01_a", deck_page)["reload"] is False
    assert log.status("01_a", deck_page)["handouts"] == []
    assert log.status("", deck_page)["reload"] is True


def test_handouts_that_fail_after_the_deck_show_their_error():
    log = BuildLog()
    log.record_deck("01_a")
    served_at = log.count
    log.record("01_a", "sources/01_a.py:1: the build failed; report this")
    state = log.status("01_a", served_at)
    assert state["reload"] is False and state["error"].startswith("sources/01_a.py:1:")
    assert state["handouts"] == []


def test_a_waiting_page_is_answered_when_news_comes_and_not_before():
    log = BuildLog()
    started = time.monotonic()
    log.wait(log.seen, 0.3)  # nothing happens: it waits the whole timeout
    assert time.monotonic() - started >= 0.3
    threading.Timer(0.2, log.record_deck, args=("01_a",)).start()
    started = time.monotonic()
    log.wait(0, 30)
    assert log.seen == 1 and time.monotonic() - started < 10


def test_handouts_start_at_once_when_no_page_shows_the_lesson():
    log, shown = BuildLog(), []
    log.record_deck("01_a", lambda: shown.append("01_a"))
    assert shown == ["01_a"]


def test_handouts_wait_until_the_reloaded_deck_page_asks_for_news():
    log, shown = BuildLog(), []
    old_page = log.count
    waiting = threading.Thread(target=log.wait, args=(log.seen, 30, "01_a"))
    waiting.start()  # the deck page, waiting for news of its lesson
    for _ in range(500):
        if log.status("01_a", old_page) and log._watching["01_a"]:
            break
        time.sleep(0.01)
    log.record_deck("01_a", lambda: shown.append("01_a"))
    waiting.join(timeout=10)
    assert shown == []  # the browser is loading the new deck: the handouts wait
    assert log.status("01_a", old_page)["reload"] is True  # the old page's answer
    assert shown == []
    log.status("01_a", log.count)  # the reloaded page's first question: it has the deck
    log.status("01_a", log.count)
    assert shown == ["01_a"]


def test_the_build_process_waits_for_word_that_the_deck_is_shown(monkeypatch):
    events = []
    default = signal.getsignal(warmbuild.SHOWN)
    warmbuild.listen_for_shown()
    try:
        threading.Timer(0.2, os.kill, args=(os.getpid(), warmbuild.SHOWN)).start()
        started = time.monotonic()
        warmbuild._deck_shown(events.append, "01_a")
        assert events == [{"deck": "01_a"}]
        assert 0.15 < time.monotonic() - started < warmbuild.SHOWN_WAIT
        monkeypatch.setattr(warmbuild, "SHOWN_WAIT", 0.3)  # no word comes: it goes on anyway
        os.kill(os.getpid(), warmbuild.SHOWN)  # a late word about an earlier deck
        started = time.monotonic()
        warmbuild._deck_shown(events.append, "02_b")
        assert time.monotonic() - started >= 0.3
    finally:
        signal.signal(warmbuild.SHOWN, default)


def test_watch_keeps_a_kernel_ahead_for_each_run_of_the_lesson_saved_last(tmp_path, monkeypatch):
    header = (
        '# ---\n# jupyter:\n#   lesson:\n#     title: "{}"\n#     version: "1.0"\n'
        '#     date: "2026-01-01"\n#     summary: ["a line"]\n# ---\n\n'
    )
    sources = tmp_path / "sources"
    sources.mkdir()
    plain = sources / "01_plain.py"
    plain.write_text(header.format("Plain") + "# %%\nimport json\n", "utf-8")
    checked = sources / "02_checked.py"
    checked.write_text(
        header.format("Checked")
        + '# %%\nimport fractions\nfrom os import path\n\n# %% tags=["check"]\nassert True\n',
        "utf-8",
    )
    asked = []
    monkeypatch.setattr(warmbuild.execute, "start_spare_kernels", lambda *a: asked.append(a))
    os.utime(plain, (1, 1))  # saved long ago: the checked lesson is the one being edited
    warmbuild._start_spares(tmp_path, warmbuild._newest_lesson(tmp_path))
    os.utime(checked, (1, 1))
    os.utime(plain, (2, 2))
    warmbuild._start_spares(tmp_path, warmbuild._newest_lesson(tmp_path))
    plain.write_text("not a lesson yet", "utf-8")  # being written: plain kernels, no imports
    warmbuild._start_spares(tmp_path, warmbuild._newest_lesson(tmp_path))
    assert asked == [
        (tmp_path, 2, ("fractions", "os")),  # the lesson and its checks' proof
        (tmp_path, 1, ("json",)),
        (tmp_path,),
    ]


def test_handout_workers_find_the_code_of_the_lesson_saved_last_highlighted_for_print(tmp_path):
    # They are forked from the build process for each save, and a worker's cache dies with it.
    from scripts import build, handout
    from scripts.config import load_config
    from scripts.editions import make_edition, stable_ids

    root = copy_course(tmp_path / "course")
    lesson = root / "sources" / "02_second.py"
    os.utime(lesson, (time.time() + 60,) * 2)  # saved last
    config = load_config(root)
    prepared = build.prepare(lesson, root, config, lambda name, message: None)
    try:
        handout._print_highlight.cache_clear()
        # as after watch's warm-up and after each save
        warmbuild._highlight_for_print(root, warmbuild._newest_lesson(root))
        before = handout._print_highlight.cache_info()
        page = stable_ids(make_edition(prepared.rendered, "worked"))
        handout.render_handout_html(page, prepared.lesson.info, "worked", config)
        after = handout._print_highlight.cache_info()
    finally:
        build.discard(prepared)
    assert before.currsize > 0 and after.hits > before.hits
    assert after.misses == before.misses  # every code cell of the executed lesson was cached


def test_reload_script_is_valid_javascript(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on the PATH to check the script's syntax with")
    page = inject_reload_script(b"<body></body>", "01_a", 7).decode()
    script = tmp_path / "reload.js"
    script.write_text(page.split("<script>", 1)[1].rsplit("</script>", 1)[0], encoding="utf-8")
    checked = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_reload_script_goes_before_the_last_body_end():
    page = b"<html><body><script>'</body>'</script></body></html>"
    injected = inject_reload_script(page, "01_a", 7)
    assert injected.startswith(page[: page.rfind(b"</body>")])
    assert injected.endswith(b"</body></html>")
    assert b'"01_a", since = 7' in injected


def listening_addresses(port: int) -> list[str]:
    """The local addresses with a listening TCP socket on `port`, from Linux's /proc."""
    found = []
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                # /proc writes each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
                found.append(str(ipaddress.ip_address(words)))
    return found


def non_loopback_addresses() -> list[str]:
    """This machine's own IPv4 addresses other than 127.x, as far as they can be found."""
    candidates = set()
    try:
        candidates.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # UDP connect sends nothing; it picks the interface
        candidates.add(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return sorted(a for a in candidates if not ipaddress.ip_address(a).is_loopback)


def test_archived_versions_are_served_from_legacy_beside_build(watching):
    archived = watching.root / "legacy" / "02_second" / "v1.0"
    archived.mkdir(parents=True, exist_ok=True)
    (archived / "02_second_v1.0.ipynb").write_text('{"archived": true}', encoding="utf-8")
    # build/index.html links it as ../legacy/..., which a browser asks for as /legacy/...
    assert watching.get("/legacy/02_second/v1.0/02_second_v1.0.ipynb") == '{"archived": true}'
    with pytest.raises(urllib.error.HTTPError):
        watching.get("/legacy/../sources/02_second.py")  # nothing outside legacy/ leaks


def test_a_redrawn_image_rebuilds_the_lesson_that_shows_it(watching):
    figures = watching.root / "sources" / "figures"
    figures.mkdir(exist_ok=True)
    dot = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><circle r="{}"/></svg>'
    (figures / "dot.svg").write_text(dot.format(5), encoding="utf-8")
    source = watching.root / "sources" / "02_second.py"
    since = watching.status()["now"]
    shown = "\n# %% [markdown]\n# ![A black dot](figures/dot.svg)\n"
    source.write_text(source.read_text(encoding="utf-8") + shown, encoding="utf-8")
    wait_for(lambda: watching.status("02_second", since)["reload"], 120, "the lesson's reload")
    wait_for(lambda: not watching.status("02_second")["handouts"], 120, "the handouts")
    since = watching.status()["now"]
    (figures / "dot.svg").write_text(dot.format(9), encoding="utf-8")
    wait_for(lambda: watching.status("02_second", since)["reload"], 120, "a reload for the image")
    redrawn = base64.b64encode(dot.format(9).encode()).decode()
    assert redrawn in watching.get(deck_path(watching.root, "02_second"))


def test_watch_rebuilds_for_a_lesson_or_a_file_beside_it_but_not_an_editors_own_files(tmp_path):
    sources = tmp_path / "sources"
    seen = {
        name: _is_lesson_or_its_file(sources, change, str(sources / name))
        for name, change in [
            ("02_second.py", Change.modified),
            ("02_second.py~", Change.added),
            ("#02_second.py#", Change.added),
            (".02_second.py.swp", Change.modified),
            ("helper.py", Change.modified),
            ("data/points.csv", Change.modified),
            ("figures/loop.png", Change.deleted),
            ("figures/.loop.png.kate-swp", Change.added),
            ("__pycache__/x.pyc", Change.added),
        ]
    }
    assert [name for name, kept in seen.items() if kept] == [
        "02_second.py",
        "data/points.csv",
        "figures/loop.png",
    ]
    assert not _is_lesson_or_its_file(sources, Change.deleted, str(sources / "02_second.py"))
