"""Compile a scim2-models filter tree into one SQLAlchemy WHERE clause (RFC 7644 §3.4.2.2)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
)

from app.scim.resources import ResourceKind
from app.scim.text import fold
from app.storage.attributes import column_for


def _path(attr: AttrPath) -> str:
    parts = [attr.attr.lower()] + ([attr.sub_attr.lower()] if attr.sub_attr else [])
    name = ".".join(parts)
    return f"{attr.uri.lower()}:{name}" if attr.uri else name


class SqlFilter(FilterVisitor[sa.ColumnElement[bool]]):
    """One visitor per compile; ``kinds`` are the resource types the query spans."""

    def __init__(self, kinds: Sequence[ResourceKind]) -> None:
        self.kinds = kinds

    def visit_logical_expr(self, node: LogicalExpr) -> sa.ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return sa.and_(*terms) if node.op == LogicalOperator.and_ else sa.or_(*terms)

    def visit_not(self, node: Not) -> sa.ColumnElement[bool]:
        return sa.not_(self.visit(node.expr))

    def visit_comparison(self, node: Comparison) -> sa.ColumnElement[bool]:
        if node.op != CompareOperator.eq:
            raise InvalidFilterException(detail=f"operator {node.op} is not supported")
        path = _path(node.attr_path)
        clauses = []
        for kind in self.kinds:
            target = column_for(kind.name, path)
            if target is None:
                raise InvalidFilterException(detail=f"cannot filter on {path!r}")
            clauses.append(_equals(target.column, target.folded, target.is_uuid, node.value))
        return sa.or_(*clauses)


def _equals(column: Any, folded: bool, is_uuid: bool, value: Any) -> sa.ColumnElement[bool]:
    if is_uuid:
        try:
            return column == uuid.UUID(str(value))  # type: ignore[no-any-return]
        except ValueError:
            return sa.false()
    if folded and isinstance(value, str):
        value = fold(value)
    return column == value  # type: ignore[no-any-return]


def compile_filter(kinds: Sequence[ResourceKind], node: FilterNode) -> sa.ColumnElement[bool]:
    """The WHERE clause for ``node`` over rows of ``kinds``."""
    return SqlFilter(kinds).visit(node)
