"""PDF streams compressed at zlib's default level, 6, instead of pydyf's 9.

pydyf, which writes WeasyPrint's PDFs, compresses every stream (page contents, fonts, the
tags' object streams) at level 9 and offers no setting for it. Over the eight handouts of our
four lessons, level 9 took 1.13 s of CPU to compress 23.5 MB into 3.66 MB, level 6 0.47 s
into 3.73 MB (2 % more). Compression is lossless, so the pages are the same either way
(tests/test_deflate.py), and an author waits for every handout after every save.

`install()` gives pydyf a `zlib` whose compressors use level 6, whatever level pydyf asks
for; everything else is the standard module's. Only build processes call it (runtime.py).
"""

from __future__ import annotations

import types
import zlib

import pydyf

LEVEL = 6  # zlib's own default: most of level 9's size for a fraction of its time


def install() -> None:
    """Make pydyf compress at LEVEL (idempotent)."""
    pydyf.zlib = _AT_LEVEL


def _compressobj(level: int = LEVEL, *args, **kwargs):
    return zlib.compressobj(LEVEL, *args, **kwargs)


def _compress(data, level: int = LEVEL, *args, **kwargs):
    return zlib.compress(data, LEVEL, *args, **kwargs)


_AT_LEVEL = types.SimpleNamespace(
    **{name: getattr(zlib, name) for name in dir(zlib) if not name.startswith("__")},
)
_AT_LEVEL.compressobj = _compressobj
_AT_LEVEL.compress = _compress
