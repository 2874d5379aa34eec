"""Null-safe comparisons of one scalar operand, typed by its SCIM attribute (RFC 7644 §3.4.2.2).

The filter value is checked against the attribute type (``active gt "x"`` is invalidFilter)
and brought to the stored form in Python with the same functions that build the search
document: folded when case-insensitive, a fixed-width UTC instant for dateTimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from scim2_models import InvalidFilterException
from scim2_models.path import CompareOperator, Comparison

from app.scim.attributes import AttributeSpec
from app.scim.text import fold, issued_id, parse_instant
from app.storage.attributes import ColumnTarget
from app.storage.binds import Binder
from app.storage.json_sql import Dialect

_ORDERING = frozenset(
    {CompareOperator.gt, CompareOperator.ge, CompareOperator.lt, CompareOperator.le}
)
_SUBSTRING = frozenset({CompareOperator.co, CompareOperator.sw, CompareOperator.ew})
_STRINGS = frozenset({"string", "reference", "binary"})


@dataclass(frozen=True, slots=True)
class Operand:
    """A scalar SQL expression and how its stored form relates to the filter value."""

    expr: Any
    spec: AttributeSpec
    folded: bool = False
    lowered: bool = False
    is_uuid: bool = False
    is_column: bool = False
    nullable: bool = True


def _invalid(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


def check_type(operand: Operand, op: CompareOperator, value: Any, where: str) -> None:
    """Refuse comparisons RFC 7644 §3.4.2.2 gives no meaning: ordering booleans, substrings
    of non-strings, a value of another type than the attribute's (400 invalidFilter)."""
    kind = operand.spec.type
    if value is None:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise _invalid(f"{where}: null can only be compared with eq or ne")
        return
    if op in _SUBSTRING and (kind not in _STRINGS or operand.is_uuid):
        raise _invalid(f"{where}: operator {op.value} needs a string attribute, not {kind}")
    if op in _ORDERING and kind in ("boolean", "binary"):
        raise _invalid(f"{where}: operator {op.value} cannot order a {kind} attribute")
    expected: tuple[type, ...] = {
        "boolean": (bool,),
        "integer": (int,),
        "decimal": (int, float),
    }.get(kind, (str,))
    if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
        raise _invalid(f"{where}: {value!r} is not a valid {kind} value")


def normalise(operand: Operand, value: Any, where: str) -> Any:
    """The filter value in the form the stored value has (folded, instant, UUID...)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if operand.spec.type == "dateTime":
        parsed = parse_instant(value)
        if parsed is None:
            raise _invalid(f"{where}: {value!r} is not a dateTime")
        if operand.is_column:
            return datetime.fromisoformat(parsed.replace("Z", "+00:00"))
        return parsed
    if operand.is_uuid:
        return issued_id(value)
    if operand.folded or (not operand.spec.case_exact and operand.spec.type == "string"):
        return fold(value)
    return value.lower() if operand.lowered else value


def compare(
    dialect: Dialect, operand: Operand, node: Comparison, bind: Binder
) -> sa.ColumnElement[bool]:
    """One null-safe comparison of a scalar operand (RFC 7644 §3.4.2.2 operators)."""
    where = str(node.attr_path)
    check_type(operand, node.op, node.value, where)
    value = normalise(operand, node.value, where)
    expr = operand.expr
    if operand.lowered:
        expr = sa.func.lower(expr)
    if node.op in (CompareOperator.eq, CompareOperator.ne):
        if operand.is_uuid and node.value is not None and value is None:
            equal: sa.ColumnElement[bool] = sa.false()
        elif value is None:
            equal = expr.is_(None)
        else:
            equal = _guard(operand, expr, expr == bind(value))
        return equal if node.op == CompareOperator.eq else sa.not_(equal)
    if operand.is_uuid and value is None:
        raise _invalid(f"{where}: {node.value!r} is not an id")
    if node.op in _SUBSTRING:
        return _guard(operand, expr, dialect.substring(expr, node.op.value, value, bind))
    ordered = expr if operand.is_uuid else dialect.ordered(expr, operand.spec.type)
    bound = bind(value)
    test = {
        CompareOperator.gt: ordered > bound,
        CompareOperator.ge: ordered >= bound,
        CompareOperator.lt: ordered < bound,
        CompareOperator.le: ordered <= bound,
    }[node.op]
    return _guard(operand, expr, test)


def _guard(operand: Operand, expr: Any, test: Any) -> sa.ColumnElement[bool]:
    """Make a test FALSE rather than NULL on a missing value (three-valued logic)."""
    return sa.and_(expr.is_not(None), test) if operand.nullable else test


def column_operand(target: ColumnTarget, spec: AttributeSpec) -> Operand:
    return Operand(
        target.column,
        spec,
        folded=target.folded,
        lowered=target.lowered,
        is_uuid=target.is_uuid,
        is_column=True,
        nullable=target.nullable,
    )


def present_scalar(operand: Operand) -> sa.ColumnElement[bool]:
    """``pr`` on one scalar: not null, and not the empty string (RFC 7644 §3.4.2.2)."""
    test = operand.expr.is_not(None)
    kind = operand.spec.type
    # Strings, and dateTimes kept as JSON strings, can be empty; a timestamp column cannot.
    textual = kind in _STRINGS or (kind == "dateTime" and not operand.is_column)
    if textual and not operand.is_uuid:
        return sa.and_(test, operand.expr != "")
    return test  # type: ignore[no-any-return]
