"""Durations as operators write them: ``30s``, ``15m``, ``12h``, ``90d``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"\s*(\d{1,9})\s*([smhdw])\s*", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``12h`` -> 12 hours; ValueError naming the accepted form otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 12h, 90d or 2w")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2].lower()])
