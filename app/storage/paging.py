"""Sort keys and keyset predicates: ``sortBy`` (RFC 7644 §3.4.2.3) and RFC 9865 cursors.

The order is (sort key, id): non-caseExact strings sort on their folded form (that is what
the search document and the folded columns hold), in code-point order on both databases;
a missing value sorts last ascending and first descending (the whole order reversed, as
scim2-models' ``SearchRequest.sort`` does); ties are broken by id ascending so pages are
stable. A cursor resumes strictly after (or before) an anchor ``(key, id)`` with a keyset
predicate instead of OFFSET, so a deep page costs what the first page costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from scim2_models import InvalidValueException

from app.scim.resources import ResourceKind
from app.scim.store import Anchor, SortSpec
from app.storage.attributes import (
    DEFAULT_ORDER,
    ROW_ID,
    ColumnTarget,
    JsonTarget,
    resolve,
    resources,
)
from app.storage.json_sql import Dialect


@dataclass(frozen=True, slots=True)
class SortKey:
    """The expression rows are ordered by before their id."""

    expr: Any
    nullable: bool
    descending: bool


def _expression(kind: ResourceKind, spec: SortSpec, dialect: Dialect) -> tuple[Any, bool] | None:
    resolved = resolve(kind, spec.attr)
    if resolved is None:
        return None
    if resolved.spec.multi_valued or (resolved.sub is None and resolved.spec.is_complex):
        raise InvalidValueException(
            detail=f"sortBy {resolved.text!r}: only a singular attribute can order results"
        )
    target = resolved.target
    kind_name = resolved.leaf.type
    if isinstance(target, ColumnTarget):
        expr = target.column
        return (expr if target.is_uuid else dialect.ordered(expr, kind_name)), target.nullable
    if not isinstance(target, JsonTarget):
        raise InvalidValueException(detail=f"sortBy {resolved.text!r} is not sortable")
    keys = target.keys + ((resolved.sub.name.lower(),) if resolved.sub else ())
    return dialect.ordered(dialect.value(resources.c.search, keys, kind_name), kind_name), True


def sort_key(kinds: Sequence[ResourceKind], spec: SortSpec | None, dialect: Dialect) -> SortKey:
    """The key of ``sortBy`` over ``kinds``; without one, creation order.

    Across resource types, rows of a type without the attribute have no value
    (RFC 7644 §3.4.2.1); an attribute that no type has is 400 invalidValue.
    """
    if spec is None:
        return SortKey(DEFAULT_ORDER.column, False, False)
    found = [(kind, _expression(kind, spec, dialect)) for kind in kinds]
    known = [(kind, item) for kind, item in found if item is not None]
    if not known:
        raise InvalidValueException(detail=f"sortBy {str(spec.attr)!r} is not an attribute")
    if len(known) == 1 and len(kinds) == 1:
        expr, nullable = known[0][1]
        return SortKey(expr, nullable, spec.descending)
    cases = [(resources.c.resource_type == kind.name, item[0]) for kind, item in known]
    return SortKey(sa.case(*cases), True, spec.descending)


def _components(key: SortKey) -> list[tuple[Any, bool]]:
    """(expression, descending) in ORDER BY order: null flag, key, id."""
    parts: list[tuple[Any, bool]] = []
    if key.nullable:
        parts.append((sa.case((key.expr.is_(None), 1), else_=0), key.descending))
    parts.append((key.expr, key.descending))
    parts.append((ROW_ID, False))
    return parts


def order_by(key: SortKey, *, backwards: bool = False) -> list[Any]:
    """ORDER BY clauses; ``backwards`` reverses every component (for previous pages)."""
    return [
        expr.desc() if descending != backwards else expr.asc()
        for expr, descending in _components(key)
    ]


def _anchor_values(key: SortKey, anchor: Anchor) -> list[Any]:
    values: list[Any] = []
    if key.nullable:
        values.append(1 if anchor.key is None else 0)
    values.append(anchor.key)
    values.append(anchor.id)
    return values


def beyond(key: SortKey, anchor: Anchor, *, backwards: bool = False) -> sa.ColumnElement[bool]:
    """Rows strictly after ``anchor`` in the order (strictly before when ``backwards``).

    Lexicographic on the components; a NULL key component is skipped because every
    row sharing the anchor's null flag has a NULL key too.
    """
    alternatives = []
    equal: list[Any] = []
    for (expr, descending), value in zip(
        _components(key), _anchor_values(key, anchor), strict=True
    ):
        if value is None:
            continue
        later = expr < value if descending != backwards else expr > value
        alternatives.append(sa.and_(*equal, later))
        equal.append(expr == value)
    return sa.or_(*alternatives)
