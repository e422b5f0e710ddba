"""Process set-up for building: called explicitly (cli.py, and each worker in schedule.py),
never as a side effect of importing a stage."""

from __future__ import annotations

import logging


def configure() -> None:
    """Quiet the libraries' chatter and apply the WeasyPrint workaround (idempotent)."""
    from .libraries import found_in_linker_cache

    with found_in_linker_cache():  # WeasyPrint's libraries without a compiler run per name
        from . import linebreak, pdfua  # import WeasyPrint: only builds that render pay for it

    linebreak.install()  # a WeasyPrint bug that left one word alone on a line: see linebreak.py
    pdfua.install()  # tagged PDF: furniture as artifacts, /Code, /Formula (see pdfua.py)
    # nbconvert warns that figures have no alt text on every export, WeasyPrint about pygments'
    # empty CSS values, and both WeasyPrint and fontTools once per font when HarfBuzz's
    # subsetter is missing: the build says that once instead (libraries.subsetter_note), and
    # the progress lines matter more.
    for name in ("traitlets", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
