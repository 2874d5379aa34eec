"""Sort keys and keyset predicates: ``sortBy`` (RFC 7644 §3.4.2.3) and RFC 9865 cursors.

The order is (sort key, id): non-caseExact strings sort on their folded form (that is what
the search document and the folded columns hold), in code-point order on both databases;
a missing value sorts last ascending and first descending (the whole order reversed, as
scim2-models' ``SearchRequest.sort`` does); ties are broken by id, in the same direction, so
pages are stable. A cursor resumes strictly after (or before) an anchor ``(key, id)`` with a keyset
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
from app.storage.binds import Binder
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


def components(key: SortKey) -> list[Any]:
    """ORDER BY components: null flag (when the key may be missing), key, id."""
    parts: list[Any] = []
    if key.nullable:
        parts.append(sa.case((key.expr.is_(None), 1), else_=0))
    parts.append(key.expr)
    parts.append(ROW_ID)
    return parts


def order_by(key: SortKey, *, backwards: bool = False) -> list[Any]:
    """Every component in one direction, so the keyset is one row-value comparison that an
    index on (key, id) serves; ``backwards`` reverses it (for previous pages)."""
    descending = key.descending != backwards
    return [part.desc() if descending else part.asc() for part in components(key)]


def beyond(
    key: SortKey, anchor: Anchor, bind: Binder, *, backwards: bool = False
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``anchor`` in the order (strictly before when ``backwards``).

    ``(flag, key, id) > (:flag, :key, :id)``; with a missing anchor key the key component
    is left out, since every row sharing the anchor's null flag has no key either.
    """
    parts = components(key)
    values: list[Any] = [anchor.key, anchor.id]
    if key.nullable:
        values.insert(0, 1 if anchor.key is None else 0)
    if anchor.key is None:
        parts, values = (
            [p for i, p in enumerate(parts) if i != len(parts) - 2],
            [v for i, v in enumerate(values) if i != len(values) - 2],
        )
    bound = [bind(value, part.type) for part, value in zip(parts, values, strict=True)]
    left, right = sa.tuple_(*parts), sa.tuple_(*bound)
    return left < right if key.descending != backwards else left > right
