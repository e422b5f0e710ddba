"""Process set-up for building: called explicitly (cli.py, and each worker in schedule.py),
never as a side effect of importing a stage."""

from __future__ import annotations

import gc
import logging

# Python collects cyclic garbage after every 700 new container objects (its default), and
# rendering makes them by the million: WeasyPrint's boxes and styles, nbconvert's trees. Lesson
# 01's worked handout ran 294-340 collections, 0.31-0.39 s of its 2.5-3 s; with 20,000, eight
# collections, 0.06-0.07 s, and its garbage is still collected, a little later.
NEW_OBJECTS_PER_COLLECTION = 20_000


def configure() -> None:
    """Quiet the libraries' chatter, apply the WeasyPrint workarounds, collect garbage less
    often, compress PDFs at zlib's default level, replay recorded SVGs, keep the answers WeasyPrint
    repeats (idempotent)."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(NEW_OBJECTS_PER_COLLECTION, older, oldest)
    from .libraries import found_in_linker_cache

    with found_in_linker_cache():  # WeasyPrint's libraries without a compiler run per name
        # WeasyPrint: only builds that render pay for it
        from . import deflate, linebreak, memo, pdfua, svgreplay

    linebreak.install()  # a WeasyPrint bug that left one word alone on a line: see linebreak.py
    pdfua.install()  # tagged PDF: furniture as artifacts, /Code, /Formula (see pdfua.py)
    deflate.install()  # PDF streams at zlib level 6, not 9: same pages, sooner (deflate.py)
    svgreplay.install()  # SVGs painted from the last render's record (svgreplay.py)
    memo.install()  # answers WeasyPrint asked for again and again, kept once known (memo.py)
    # nbconvert warns that figures have no alt text on every export, WeasyPrint about pygments'
    # empty CSS values, and both WeasyPrint and fontTools once per font when HarfBuzz's
    # subsetter is missing: the build says that once instead (libraries.subsetter_note), and
    # the progress lines matter more.
    for name in ("traitlets", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
