"""Remembered positions in creation-ordered lists (app.storage.positions)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.scim.store import Anchor
from app.storage import positions
from app.storage.positions import Position, Positions

KEY = ("tenant", ("User",))
OLD = datetime.now(UTC) - timedelta(days=1)


def _at(index: int, *, created: datetime = OLD, deleted: int = 0) -> Position:
    return Position(index, Anchor(created, uuid.uuid4()), deleted)


def test_nearest_is_the_closest_position_at_or_before_the_page() -> None:
    known = Positions()
    for index in (100, 200, 300):
        known.remember(KEY, _at(index))
    assert known.nearest(KEY, 251).index == 200
    assert known.nearest(KEY, 300).index == 300
    assert known.nearest(KEY, 99) is None


def test_a_row_created_moments_ago_is_not_remembered() -> None:
    known = Positions()
    known.remember(KEY, _at(100, created=datetime.now(UTC)))
    assert known.nearest(KEY, 101) is None


def test_a_new_deletion_count_forgets_the_older_positions() -> None:
    known = Positions()
    known.remember(KEY, _at(100))
    known.remember(KEY, _at(200, deleted=1))
    assert known.nearest(KEY, 151) is None
    assert known.nearest(KEY, 201).index == 200


def test_positions_are_per_list() -> None:
    known = Positions()
    known.remember(KEY, _at(100))
    assert known.nearest(("other", ("User",)), 101) is None


def test_each_list_keeps_a_bounded_number_of_positions() -> None:
    known = Positions()
    for index in range(1, positions.PER_LIST + 10):
        known.remember(KEY, _at(index * 10))
    assert known.nearest(KEY, 15) is None
    assert known.nearest(KEY, (positions.PER_LIST + 9) * 10 + 1) is not None


def test_positions_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    known = Positions()
    known.remember(KEY, _at(100))
    later = positions.time.monotonic() + positions.TTL_SECONDS + 1
    monkeypatch.setattr(positions.time, "monotonic", lambda: later)
    assert known.nearest(KEY, 101) is None
