"""``SCIM_DATABASE_URL`` as operators paste it, turned into the async URL the service uses.

``postgres://`` and ``postgresql://`` (what Heroku, RDS and ``psql`` print) mean asyncpg,
``sqlite://`` means aiosqlite; any other scheme is refused with the accepted forms.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_SCHEMES = {
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
}

ACCEPTED = (
    "postgresql+asyncpg://user:password@host:5432/db (or postgresql://, postgres://), "
    "sqlite+aiosqlite:///path/to/file.db (or sqlite:///)"
)


def normalise(url: str) -> str:
    """The async form of ``url``; ValueError naming the accepted forms for anything else."""
    scheme, sep, rest = url.strip().partition("://")
    driver = _SCHEMES.get(scheme.lower()) if sep else None
    if driver is None:
        shown = f"{scheme}://" if sep else repr(url[:40])
        raise ValueError(f"unsupported database URL {shown}; use {ACCEPTED}")
    return f"{driver}://{rest}"


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def where(url: str) -> str:
    """The host and port (or file) a URL points at, for messages."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return parts.path.removeprefix("/") or ":memory:"
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
