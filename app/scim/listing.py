"""The ListResponse of a list or search (RFC 7644 §3.4.2), with RFC 9865 cursors."""

from __future__ import annotations

from typing import Any

from app.scim import cursor as cursors
from app.scim.context import RequestContext
from app.scim.projection import Projection
from app.scim.query import QueryLimits, binding
from app.scim.service import present
from app.scim.store import ListQuery, Page

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _cursors(
    ctx: RequestContext, query: ListQuery, page: Page, limits: QueryLimits
) -> dict[str, str]:
    """nextCursor / previousCursor (RFC 9865 §2.2): present only when that page exists."""
    out: dict[str, str] = {}
    if page.first is None or page.last is None:
        return out
    bound = binding(ctx.tenant, query)
    backwards = query.cursor is not None and query.cursor.backwards
    has_next = backwards or page.more
    has_previous = page.more if backwards else query.cursor is not None
    if has_next:
        out["nextCursor"] = cursors.encode(limits.cursor_secret, bound, page.last, backwards=False)
    if has_previous:
        out["previousCursor"] = cursors.encode(
            limits.cursor_secret, bound, page.first, backwards=True
        )
    return out


def list_response(
    ctx: RequestContext, query: ListQuery, page: Page, projection: Projection, limits: QueryLimits
) -> dict[str, Any]:
    """itemsPerPage is what this page holds; startIndex only for index paging."""
    kinds = {kind.name: kind for kind in query.kinds}
    resources = [
        projection.apply(present(ctx, kinds[r.resource_type], r), kinds[r.resource_type])
        for r in page.resources
    ]
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE],
        "totalResults": page.total,
        "itemsPerPage": len(resources),
    }
    if query.cursor_mode:
        body.update(_cursors(ctx, query, page, limits))
    else:
        body["startIndex"] = query.start_index
    body["Resources"] = resources
    return body
