"""Settings from the environment, checked before a build does any work.

Kept apart from the stages they tune (execute.py) so that checking them imports nothing
heavy: a build with nothing to do never loads nbclient or jupyter_client.
"""

from __future__ import annotations

import math
import os

from .errors import SettingError

DEFAULT_CELL_TIMEOUT = 120  # seconds; COURSE_CELL_TIMEOUT overrides it


def cell_timeout() -> int:
    """Seconds a cell may run: COURSE_CELL_TIMEOUT, a positive number (120 when unset)."""
    raw = os.environ.get("COURSE_CELL_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_CELL_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    # 0 would mean "no timeout" to nbclient: a looping lesson would hang the build for ever.
    if not 0 < seconds < float("inf"):
        raise SettingError(
            "COURSE_CELL_TIMEOUT",
            f"{raw!r} is not a positive number of seconds",
            f"set it to e.g. {DEFAULT_CELL_TIMEOUT}, or unset it for the default",
        )
    return math.ceil(seconds)
