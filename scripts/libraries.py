"""WeasyPrint's native libraries, found from the linker's cache instead of by compiler runs.

WeasyPrint loads Pango, HarfBuzz, fontconfig and GObject through cffi, trying each one under
the names it has on Windows, macOS and Linux in turn. For every name that is not a file on
this system, cffi asks `ctypes.util.find_library`, which on Linux runs `ldconfig -p`, then
`gcc`, then `ld`: on this machine 22 `ldconfig`, 16 `gcc` and 16 `ld` runs, about 0.3-0.45 s
of the 0.9-1.0 s that importing WeasyPrint takes, in every process that renders.

`found_in_linker_cache()` answers `find_library` from one reading of `ldconfig -p` while
WeasyPrint is imported. A name the cache lacks gets None at once, as the compiler runs would
have found, and WeasyPrint goes on to its next name; each of its lists includes the Linux
soname (`libpango-1.0.so.0`), which the dynamic loader finds itself, LD_LIBRARY_PATH
included. Outside the `with` block, `find_library` is the standard library's again.

One of those libraries is optional: HarfBuzz's subsetter (`libharfbuzz-subset.so.0`, Debian's
`libharfbuzz-subset0`). Without it WeasyPrint subsets each PDF's fonts with fontTools, in
Python, a route it warns it will drop. With fontTools 4.67 (pyproject.toml) that costs about
what HarfBuzz does (the eight handouts: 28.3 s of CPU against 29.5 s); with 4.68, which reads
every GSUB and GPOS table before dropping them, 48.7 s. `subsetter_note()` tells the author,
once per build process.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import re
import shutil
import subprocess
import sys

LOADER = "weasyprint.text.ffi"  # the module that loads them, once per process
SUBSETTER_PACKAGE = "libharfbuzz-subset0"  # Debian's and Ubuntu's name for it
# A line of `ldconfig -p`: "    libpango-1.0.so.0 (libc6,x86-64) => /lib/.../libpango-1.0.so.0"
CACHE_LINE = re.compile(r"^\s+(lib(\S+?)\.so\S*)\s+\(([^)]*)\)", re.MULTILINE)
# The cache's word for this machine's own libraries, as ctypes.util reads it (not the 32-bit
# ones a multi-arch system also lists).
ABI = {
    "x86_64": "libc6,x86-64",
    "ppc64": "libc6,64bit",
    "sparc64": "libc6,64bit",
    "s390x": "libc6,64bit",
    "ia64": "libc6,IA-64",
}


@contextlib.contextmanager
def found_in_linker_cache():
    """Within the block, `ctypes.util.find_library` looks names up in the linker's cache."""
    if LOADER in sys.modules:  # the libraries are loaded already: nothing to look up
        yield
        return
    sonames = _linker_cache() if sys.platform.startswith("linux") else None
    if sonames is None:  # another system, or no ldconfig: the standard lookup
        yield
        return
    standard = ctypes.util.find_library
    ctypes.util.find_library = sonames.get
    try:
        yield
    finally:
        ctypes.util.find_library = standard


def _linker_cache() -> dict[str, str] | None:
    """`find_library`'s answers for every library in the cache: name -> soname."""
    ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin")
    if ldconfig is None:
        return None
    try:
        listing = subprocess.run(
            [ldconfig, "-p"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    abi = ABI.get(os.uname().machine, "libc6") if sys.maxsize > 2**32 else "libc6"
    sonames: dict[str, str] = {}
    for soname, name, kind in CACHE_LINE.findall(listing):
        if kind.startswith(abi):
            sonames.setdefault(name, soname)  # the first listed, as find_library takes
    return sonames


def font_subsetter() -> str:
    """Which subsetter this process's PDFs get their fonts from: "HarfBuzz" or "fontTools"."""
    from weasyprint.pdf import fonts  # WeasyPrint's own test, as its `Font.subset` makes it

    if fonts.harfbuzz_subset is not None and fonts.harfbuzz.hb_version_atleast(4, 1, 0):
        return "HarfBuzz"
    return "fontTools"


def subsetter_note() -> str | None:
    """A line for the author when handouts take the slow route for their fonts, else None."""
    if font_subsetter() == "HarfBuzz":
        return None
    return (
        "note: no HarfBuzz subsetter (libharfbuzz-subset.so.0): WeasyPrint subsets the handouts' "
        "fonts with fontTools instead, a route it is dropping; install "
        f"{SUBSETTER_PACKAGE} (Debian, Ubuntu) or your system's harfbuzz package"
    )
