"""Text rules shared by every layer: case-insensitive equality (RFC 7643 §2.1), instants as
sortable strings, and which strings can be stored at all."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unicodedata import normalize

KEY_LENGTH = 512
"""Longest userName, displayName, externalId (folded, where folded) or member display:
they are indexed columns, varchar(512) on PostgreSQL. Checked before storage so both
backends refuse the same values (SQLite would store anything)."""


def too_long(name: str, value: str | None) -> str | None:
    """Why ``value`` of attribute ``name`` cannot be a key column, or None when it can."""
    if value is not None and len(value) > KEY_LENGTH:
        return f"{name} is longer than {KEY_LENGTH} characters"
    return None


def issued_id(value: object) -> uuid.UUID | None:
    """The UUID ``value`` names when written as this service writes ids, else None.

    ``id`` is caseExact (RFC 7643 §3.1): upper case, no hyphens, braces or ``urn:uuid:``
    spell the same UUID but not the same id, in URLs, filters and member values alike.
    """
    text = str(value)
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        return None
    return parsed if str(parsed) == text else None


def fold(value: str) -> str:
    """NFC, lower case, NFC again: the form scim2-models' default comparison key uses.

    Computed in Python and stored, so SQLite (whose lower() is ASCII-only) and PostgreSQL
    (whose lower() depends on the database's ctype) compare the same way.
    """
    return normalize("NFC", normalize("NFC", value).lower())


def instant(value: datetime) -> str:
    """A dateTime as a fixed-width UTC string, so text order is time order."""
    utc = value if value.tzinfo is UTC else value.replace(tzinfo=value.tzinfo or UTC)
    if utc.tzinfo is not UTC:
        utc = utc.astimezone(UTC)
    # isoformat pads years before 1000 (strftime's %Y does not) and always writes the
    # microseconds with this timespec, so the width is fixed; "+00:00" becomes "Z" (a list
    # page writes 200 of these: slicing costs less than a copy without the zone).
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_instant(value: str) -> str | None:
    """The fixed-width UTC form of an xsd:dateTime string, or None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return instant(parsed)
    except (ValueError, OverflowError):  # OverflowError: out of range once moved to UTC
        return None


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included, walked without recursion."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def unstorable(value: Any) -> str | None:
    """Why a JSON value cannot be stored and compared faithfully, or None when it can.

    U+0000 is valid JSON but PostgreSQL text and jsonb refuse it, and a lone surrogate
    (reachable through a filter's ``\\ud800`` escape) is not UTF-8 at all; both are refused
    up front on every backend rather than failing differently in each database.
    """
    for text in _strings(value):
        if "\x00" in text:
            return "strings must not contain U+0000"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "strings must be valid Unicode (no lone surrogates)"
    return None


_CATALOG = uuid.UUID("6f1c2a4e-5b3d-4e8f-9a7c-1d2e3f405162")


def catalog_row(tenant: str, kind: Any, resource_id: str) -> uuid.UUID:
    """The row id of a catalogue entry: derived from the tenant, the type and the
    application's own id, so a read by that id is a primary-key lookup."""
    return uuid.uuid5(_CATALOG, f"{tenant}\0{kind.name}\0{resource_id}")
