"""Query parameters of list and read endpoints (RFC 7644 §3.4.2, §3.9; RFC 9865 §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from app.scim.projection import Projection


async def _projection(
    attributes: Annotated[
        str | None, Query(description="Comma-separated attributes to return (RFC 7644 §3.9)")
    ] = None,
    excluded_attributes: Annotated[
        str | None,
        Query(alias="excludedAttributes", description="Comma-separated attributes to leave out"),
    ] = None,
) -> Projection:
    return Projection.parse(attributes, excluded_attributes)


ProjectionDep = Annotated[Projection, Depends(_projection)]


@dataclass(frozen=True, slots=True)
class ListParams:
    filter: str | None
    sort_by: str | None
    sort_order: str | None
    start_index: int | None
    count: int | None
    cursor: str | None


async def _list_params(
    filter: Annotated[str | None, Query(description="RFC 7644 §3.4.2.2 filter")] = None,
    sort_by: Annotated[str | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[
        str | None, Query(alias="sortOrder", description="ascending or descending")
    ] = None,
    start_index: Annotated[int | None, Query(alias="startIndex", description="1-based")] = None,
    count: Annotated[int | None, Query(description="Page size")] = None,
    cursor: Annotated[
        str | None, Query(description="RFC 9865 cursor; empty for the first cursor page")
    ] = None,
) -> ListParams:
    return ListParams(filter, sort_by, sort_order, start_index, count, cursor)


ListParamsDep = Annotated[ListParams, Depends(_list_params)]
