"""The one definition of case-insensitive string equality used everywhere (RFC 7643 §2.1)."""

from datetime import UTC, datetime
from unicodedata import normalize


def fold(value: str) -> str:
    """NFC, lower case, NFC again: the form scim2-models' default comparison key uses.

    Computed in Python and stored, so SQLite (whose lower() is ASCII-only) and PostgreSQL
    (whose lower() depends on the database's ctype) compare the same way.
    """
    return normalize("NFC", normalize("NFC", value).lower())


def instant(value: datetime) -> str:
    """A dateTime as a fixed-width UTC string, so text order is time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(value: str) -> str | None:
    """The fixed-width UTC form of an xsd:dateTime string, or None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return instant(parsed)
