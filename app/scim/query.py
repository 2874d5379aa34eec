"""List and search parameters (RFC 7644 §3.4.2, RFC 9865) turned into a validated ``ListQuery``.

The filter is parsed once with scim2-models and checked against the configured limits
(length, nesting depth, number of terms) with an iterative walk, so a hostile filter gets
400 invalidFilter, never a recursion error or a runaway query. Attribute names and types
are checked by the storage compiler, which is where the attribute map lives.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidFilterException,
    InvalidSyntaxException,
    InvalidValueException,
    ScimFilter,
    SearchRequest,
)
from scim2_models.path import (
    AttrPath,
    Comparison,
    FilterNode,
    LogicalExpr,
    Not,
    Present,
    ValuePath,
)

from app.scim import cursor as cursors
from app.scim import observed
from app.scim.errors import from_validation_error
from app.scim.filter_errors import explained
from app.scim.projection import Projection
from app.scim.resources import ResourceKind
from app.scim.store import CursorPosition, ListQuery, SortSpec
from app.scim.text import unstorable


@dataclass(frozen=True, slots=True)
class QueryLimits:
    default_count: int = 100
    max_count: int = 1000
    max_filter_length: int = 4096
    max_filter_depth: int = 16
    max_filter_terms: int = 64
    cursor_secret: bytes = field(default=cursors.PROCESS_KEY, repr=False)
    cursor_ttl_seconds: int = 3600


def _walk(node: FilterNode) -> Iterator[tuple[FilterNode, int]]:
    """Every node of a filter tree with its nesting level, walked without recursion."""
    stack: list[tuple[FilterNode, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        yield current, level
        if isinstance(current, LogicalExpr):
            stack.extend((term, level + 1) for term in current.terms)
        elif isinstance(current, Not):
            stack.append((current.expr, level + 1))
        elif isinstance(current, ValuePath):
            stack.append((current.val_filter, level + 1))


_STRING = re.compile(r'"(?:[^"\\\x00-\x1F]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*"')
"""A string literal, as scim2-models' filter grammar lexes it (JSON rules)."""


def _parse(text: str) -> FilterNode:
    """The filter's tree, parsed as its template: string literals replaced by placeholders.

    scim2-models caches parses by filter text, but an identity provider's lookups differ
    only in their values (``userName eq "..."`` before every create), so each would be a
    new parse (a few hundred µs of lark). The template is the same every time: it is
    parsed once, and the values are put back into the tree. A template that does not
    parse is reported from the filter itself, so the error points at the right column.
    """
    literals: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f'"{len(literals) - 1}"'

    template = _STRING.sub(placeholder, text)
    if not literals:
        return ScimFilter(text).ast
    try:
        shape = ScimFilter(template).ast
    except InvalidFilterException:
        return ScimFilter(text).ast
    return _with_values(shape, [json.loads(literal) for literal in literals])


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")


def filter_shape(text: str) -> str:
    """The filter without its values: attribute paths, operators and ``"…"`` for each
    literal, which a log line may carry (``userName eq "…"``)."""
    return _NUMBER.sub("…", _STRING.sub('"…"', text))


def _with_values(node: FilterNode, values: list[str]) -> FilterNode:
    if isinstance(node, Comparison) and isinstance(node.value, str):
        return dataclasses.replace(node, value=values[int(node.value)])
    if isinstance(node, LogicalExpr):
        return dataclasses.replace(node, terms=tuple(_with_values(t, values) for t in node.terms))
    if isinstance(node, Not):
        return dataclasses.replace(node, expr=_with_values(node.expr, values))
    if isinstance(node, ValuePath):
        return dataclasses.replace(node, val_filter=_with_values(node.val_filter, values))
    return node


def parse_filter(text: str | None, limits: QueryLimits) -> FilterNode | None:
    """Parse once with scim2-models; syntax errors and limits are 400 invalidFilter."""
    if text is None:
        return None
    if not text.strip():
        # A client that built its filter from an empty value must not get the directory.
        raise InvalidFilterException(
            detail="the filter is empty; leave out filter to list every resource"
        )
    if len(text) > limits.max_filter_length:
        raise InvalidFilterException(
            detail=f"filter longer than {limits.max_filter_length} characters"
        )
    if (record := observed.current()) is not None:
        record.filter = filter_shape(text)[:256]
    try:
        node = _parse(text)
    except RecursionError:
        raise InvalidFilterException(detail="filter nested too deeply") from None
    except InvalidFilterException as exc:
        raise explained(exc, text) from None
    nodes = list(_walk(node))
    depth = max(level for _, level in nodes)
    terms = sum(isinstance(n, Comparison | Present) for n, _ in nodes)
    # Comparison values reach SQL as bound parameters: refuse what no database can bind.
    if reason := unstorable([n.value for n, _ in nodes if isinstance(n, Comparison)]):
        raise InvalidFilterException(detail=f"filter value: {reason}")
    if depth > limits.max_filter_depth:
        raise InvalidFilterException(
            detail=f"filter nests {depth} levels, more than {limits.max_filter_depth}"
        )
    if terms > limits.max_filter_terms:
        raise InvalidFilterException(
            detail=f"filter has {terms} comparisons, more than {limits.max_filter_terms}"
        )
    return node


def parse_sort(sort_by: str | None, sort_order: str | None) -> SortSpec | None:
    """``sortBy`` as an attribute path (RFC 7644 §3.4.2.3); ``sortOrder`` defaults ascending."""
    if sort_by is None or not sort_by.strip():
        return None
    order = (sort_order or "ascending").strip().lower()
    if order not in ("ascending", "descending"):
        raise InvalidValueException(detail=f"sortOrder {sort_order!r}: ascending or descending")
    text = sort_by.strip()
    uri = None
    if text.lower().startswith("urn:"):
        uri, _, text = text.rpartition(":")
    attr, _, sub = text.partition(".")
    try:
        path = AttrPath(attr=attr, sub_attr=sub or None, uri=uri)
    except ValueError:
        raise InvalidValueException(detail=f"sortBy {sort_by!r} is not an attribute") from None
    return SortSpec(path, descending=order == "descending")


MAX_START_INDEX = 2**53
"""Past any real result set, and inside every database's OFFSET integer."""


def paging(start_index: int | None, count: int | None, limits: QueryLimits) -> tuple[int, int]:
    """1-based startIndex (below 1 means 1, beyond any table clamped); count floored at 0
    and capped at the maximum."""
    start = min(max(1, start_index or 1), MAX_START_INDEX)
    wanted = limits.default_count if count is None else count
    return start, min(max(0, wanted), limits.max_count)


def binding(tenant: str, query: ListQuery) -> str:
    """What a cursor is bound to: the same caller asking the same ordered question."""
    sort = query.sort
    return cursors.fingerprint(
        tenant,
        sorted(kind.name for kind in query.kinds),
        str(query.filter) if query.filter is not None else "",
        str(sort.attr).lower() if sort else "",
        bool(sort and sort.descending),
    )


def list_query(
    kinds: Sequence[ResourceKind],
    *,
    filter: str | None,
    start_index: int | None,
    count: int | None,
    limits: QueryLimits,
    sort_by: str | None = None,
    sort_order: str | None = None,
    cursor: str | None = None,
    tenant: str = "",
) -> ListQuery:
    """A validated query; a ``cursor`` (even empty, RFC 9865 §2) selects keyset paging."""
    start, size = paging(start_index, count, limits)
    query = ListQuery(
        kinds=kinds,
        filter=parse_filter(filter, limits),
        sort=parse_sort(sort_by, sort_order),
        start_index=start,
        count=size,
        cursor_mode=cursor is not None,
    )
    if not cursor:
        return query
    position: CursorPosition = cursors.decode(
        limits.cursor_secret, cursor, binding(tenant, query), limits.cursor_ttl_seconds
    )
    return ListQuery(
        kinds=query.kinds,
        filter=query.filter,
        sort=query.sort,
        start_index=1,
        count=query.count,
        cursor_mode=True,
        cursor=position,
    )


def search_request(
    kinds: Sequence[ResourceKind], body: Any, limits: QueryLimits, *, tenant: str
) -> tuple[ListQuery, Projection]:
    """A SearchRequest body (RFC 7644 §3.4.3), validated by scim2-models, as a query."""
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="the request body must be a JSON object")
    try:
        request: SearchRequest[Any] = SearchRequest.model_validate(
            body, scim_ctx=Context.SEARCH_REQUEST
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    query = list_query(
        kinds,
        filter=str(request.filter) if request.filter is not None else None,
        start_index=request.start_index,
        count=request.count,
        limits=limits,
        sort_by=str(request.sort_by) if request.sort_by is not None else None,
        sort_order=request.sort_order.value if request.sort_order else None,
        cursor=request.cursor,
        tenant=tenant,
    )
    projection = Projection.parse(
        [str(a) for a in request.attributes or ()],
        [str(a) for a in request.excluded_attributes or ()],
    )
    return query, projection
