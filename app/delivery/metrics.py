"""Delivery metrics: attempts by outcome and delivery lag (commit to 2xx), in-process.

Kept as plain counters until the process exposes Prometheus metrics (issue 13).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Protocol

ATTEMPTS: Counter[str] = Counter()
LAGS: list[float] = []
_MAX_LAGS = 10_000


class _Outcome(Protocol):
    @property
    def duration_ms(self) -> int: ...


def delivered(event: dict[str, Any], _outcome: _Outcome) -> None:
    ATTEMPTS["delivered"] += 1
    committed = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    LAGS.append((datetime.now(UTC) - committed).total_seconds())
    if len(LAGS) > _MAX_LAGS:
        del LAGS[: _MAX_LAGS // 2]


def failed(outcome: str) -> None:
    ATTEMPTS[outcome] += 1
