"""Resource versions as weak ETags, and the preconditions of RFC 7644 §3.14."""

from scim2_models import PreconditionFailedException


def etag(version: int) -> str:
    return f'W/"{version}"'


def _tags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def _matches(header: str, version: int) -> bool:
    tags = _tags(header)
    current = etag(version)
    return "*" in tags or current in tags or current.removeprefix("W/") in tags


def check_if_match(if_match: str | None, version: int) -> None:
    """Refuse a write whose If-Match names another version (412)."""
    if if_match is not None and not _matches(if_match, version):
        raise PreconditionFailedException(
            detail=f"If-Match does not match the current version {etag(version)}"
        )


def not_modified(if_none_match: str | None, version: int) -> bool:
    """True when a GET can answer 304 Not Modified."""
    return if_none_match is not None and _matches(if_none_match, version)
