"""List and search parameters (RFC 7644 §3.4.2) turned into a validated ``ListQuery``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import FilterNode

from app.scim.resources import ResourceKind
from app.scim.store import ListQuery


@dataclass(frozen=True, slots=True)
class QueryLimits:
    default_count: int = 100
    max_count: int = 1000
    max_filter_length: int = 4096


def parse_filter(text: str | None, limits: QueryLimits) -> FilterNode | None:
    """Parse once with scim2-models; a syntax error is 400 invalidFilter."""
    if text is None or not text.strip():
        return None
    if len(text) > limits.max_filter_length:
        raise InvalidFilterException(
            detail=f"filter longer than {limits.max_filter_length} characters"
        )
    return ScimFilter(text).ast


def paging(start_index: int | None, count: int | None, limits: QueryLimits) -> tuple[int, int]:
    """1-based startIndex (below 1 means 1); count floored at 0 and capped at the maximum."""
    start = max(1, start_index or 1)
    wanted = limits.default_count if count is None else count
    return start, min(max(0, wanted), limits.max_count)


def list_query(
    kinds: Sequence[ResourceKind],
    *,
    filter: str | None,
    start_index: int | None,
    count: int | None,
    limits: QueryLimits,
) -> ListQuery:
    start, size = paging(start_index, count, limits)
    return ListQuery(
        kinds=kinds, filter=parse_filter(filter, limits), start_index=start, count=size
    )
