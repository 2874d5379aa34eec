"""Where rows sit in a tenant's creation-ordered list, remembered to serve deep pages.

``startIndex=99901`` is an OFFSET that walks 99,900 index entries: the page costs ten times
the first. Okta imports by walking the pages in order, so each page ends where the next one
starts: the first and last rows served are remembered as *positions* (their place in the
list and their key), and a later page seeks to the key of the nearest position at or
before its start and counts only from there.

A position stays right while no row before it appears or goes:

- rows go only by deletion, and a position remembers the tenant's deletion counter (kept by
  the database, ``resource_counts``); when it moved, the position is dropped and the page
  is read by OFFSET;
- rows appear at the end, since the order is creation time; a position is only taken at a
  row created over ``SETTLED_SECONDS`` ago, so no transaction still open can commit a row
  before it.

Positions are per process, bounded in number and age; a process without one reads by
OFFSET, as every process did before.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.scim.store import Anchor

SETTLED_SECONDS = 60.0
MAX_LISTS = 256
PER_LIST = 64
TTL_SECONDS = 600.0

ListKey = tuple[str, tuple[str, ...]]
"""(tenant, resource type names)."""


@dataclass(frozen=True, slots=True)
class Position:
    """The row at 1-based ``index`` of the list has key ``anchor``; ``deleted`` is the
    tenant's deletion count when it was seen."""

    index: int
    anchor: Anchor
    deleted: int


@dataclass(slots=True)
class _List:
    indexes: list[int] = field(default_factory=list)
    positions: dict[int, Position] = field(default_factory=dict)
    seen: float = 0.0


class Positions:
    def __init__(self) -> None:
        self._lists: OrderedDict[ListKey, _List] = OrderedDict()

    def nearest(self, key: ListKey, start_index: int) -> Position | None:
        """The remembered position closest at or before ``start_index``, if any."""
        found = self._lists.get(key)
        if found is None or time.monotonic() - found.seen > TTL_SECONDS:
            return None
        at = bisect.bisect_right(found.indexes, start_index)
        return found.positions[found.indexes[at - 1]] if at else None

    def remember(self, key: ListKey, position: Position) -> None:
        if not _settled(position.anchor):
            return
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = _List()
            if len(self._lists) > MAX_LISTS:
                self._lists.popitem(last=False)
        self._lists.move_to_end(key)
        if found.positions and next(iter(found.positions.values())).deleted != position.deleted:
            found.indexes, found.positions = [], {}
        if position.index not in found.positions:
            bisect.insort(found.indexes, position.index)
            if len(found.indexes) > PER_LIST:
                del found.positions[found.indexes.pop(0)]
        found.positions[position.index] = position
        found.seen = time.monotonic()

    def forget(self, key: ListKey) -> None:
        self._lists.pop(key, None)


def _settled(anchor: Anchor) -> bool:
    created = anchor.key
    if not isinstance(created, datetime):
        return False
    moment = created if created.tzinfo is not None else created.replace(tzinfo=UTC)
    return datetime.now(UTC) - moment > timedelta(seconds=SETTLED_SECONDS)
