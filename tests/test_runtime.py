"""A build process's set-up: WeasyPrint's libraries found from the linker's cache."""

from __future__ import annotations

import ctypes.util
import json
import shutil
import subprocess
import sys

import pytest

from scripts.libraries import _linker_cache, found_in_linker_cache

from .conftest import REPO

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("ldconfig", path="/sbin:/usr/sbin"),
    reason="the linker cache (ldconfig) is Linux's",
)

# Names WeasyPrint 70 tries (weasyprint/text/ffi.py): some exist on this system, some are other
# systems' names, and harfbuzz-vector is optional and often missing.
NAMES = [
    "gobject-2.0", "gobject-2.0-0", "libgobject-2.0-0", "pango-1.0", "pango-1.0-0", "harfbuzz",
    "harfbuzz-0.0", "harfbuzz-subset", "harfbuzz-vector", "fontconfig", "fontconfig-1",
    "pangoft2-1.0", "no-such-library",
]  # fmt: skip

# Imports WeasyPrint's libraries as a build does (or plainly) and reports which were found
# and which of find_library's slow ways (ldconfig, then gcc, then ld) were asked.
PROBE = """
import ctypes.util, json, sys
asked = []
for way in ("_findSoname_ldconfig", "_findLib_gcc", "_findLib_ld"):
    real = getattr(ctypes.util, way)
    setattr(ctypes.util, way, lambda *a, real=real, way=way: asked.append(way) or real(*a))
if sys.argv[1] == "build":
    from scripts import runtime
    runtime.configure()
from weasyprint.text import ffi
names = ("gobject", "pango", "harfbuzz", "harfbuzz_subset", "harfbuzz_vector", "fontconfig",
         "pangoft2")
print(json.dumps({"asked": asked, "found": [getattr(ffi, n) is not None for n in names]}))
"""


def test_the_linker_cache_names_the_same_libraries_as_find_library():
    standard = {name: ctypes.util.find_library(name) for name in NAMES}
    with found_in_linker_cache():
        cached = {name: ctypes.util.find_library(name) for name in NAMES}
    assert cached == standard
    assert ctypes.util.find_library("no-such-library") is None  # the standard one, restored


def test_a_build_loads_weasyprints_libraries_without_running_a_compiler():
    def probe(how: str) -> dict:
        run = subprocess.run(
            [sys.executable, "-c", PROBE, how], cwd=REPO, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    plain, build = probe("plain"), probe("build")
    assert "_findLib_gcc" in plain["asked"]  # WeasyPrint alone asks the compiler
    assert build["asked"] == []
    assert build["found"] == plain["found"]  # and the same libraries are loaded


def test_fonts_subset_without_harfbuzz_get_one_note_naming_the_package(monkeypatch, capsys):
    from weasyprint.pdf import fonts

    from scripts import cli, libraries

    monkeypatch.setattr(fonts, "harfbuzz_subset", object())  # as where the library loaded
    assert libraries.font_subsetter() == "HarfBuzz"
    assert libraries.subsetter_note() is None
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)  # as WeasyPrint leaves it without one
    assert libraries.font_subsetter() == "fontTools"
    assert "install libharfbuzz-subset0" in libraries.subsetter_note()
    cli._say_subsetter_note.cache_clear()
    cli._say_subsetter_note()
    cli._say_subsetter_note()  # a second build in the same process (course watch)
    cli._say_subsetter_note.cache_clear()
    assert capsys.readouterr().out.count("libharfbuzz-subset0") == 1


@pytest.mark.skipif(
    "harfbuzz-subset" not in (_linker_cache() or {}),
    reason="HarfBuzz's subsetter is not installed (Debian: libharfbuzz-subset0, which .ci/run "
    "installs)",
)
def test_a_build_subsets_fonts_with_harfbuzz_where_the_system_has_it():
    probe = (
        "from scripts import libraries, runtime\n"
        "runtime.configure()\n"
        "print(libraries.font_subsetter())"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "HarfBuzz"


def test_a_build_process_collects_garbage_less_often_and_still_collects_it():
    probe = (
        "import gc\n"
        "from scripts import runtime\n"
        "runtime.configure()\n"
        "collections = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'stop' and collections.append(info))\n"
        "for _ in range(100_000):\n"
        "    cycle = []; cycle.append(cycle)\n"  # garbage only the collector can free
        "print(gc.get_threshold()[0], len(collections), sum(c['collected'] for c in collections))"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    threshold, collections, collected = map(int, run.stdout.split())
    assert threshold == 20_000  # Python's default is 700: 0.3 s of a handout went on collecting
    assert 1 <= collections <= 10  # 100,000 new lists: about five collections, not 140
    assert collected >= 80_000  # and the cycles were freed all the same
