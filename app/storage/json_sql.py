"""Every difference between PostgreSQL (JSONB) and SQLite (JSON1) the query compiler needs.

The filter compiler and the sorter speak only to a ``Dialect``: how to read a value out of
the ``search`` document, how to iterate the elements of a multi-valued attribute, how to
test containment, order strings by code point and match substrings. Nothing else in the
code base writes ``jsonb_*`` or ``json_*`` SQL (RFC 7644 §3.4.2.2 semantics, two engines).

Why containment (``@>``) on PostgreSQL: ``resources.search`` carries a GIN index with the
``jsonb_path_ops`` operator class (migration ``search_gin``), which serves exactly
``search @> '{...}'`` and nothing else. Every ``eq`` on a JSON attribute (``emails.value eq``,
``emails[type eq "work"].value eq``, ``name.familyName eq``, extension attributes) is
written as containment so it is index-backed; ``jsonb_path_ops`` is smaller and faster than
the default ``jsonb_ops`` for that single operator, and we need no other (key-exists
operators are never generated). SQLite has no JSON index; its hot paths are the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from app.storage.binds import Binder

ValueType = str
"""The SCIM type of a compared value: string, boolean, integer, decimal, dateTime, ..."""

_EMPTY_JSON = ("null", '""', "[]", "{}")


def _sqlite_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in keys)


@dataclass(frozen=True, slots=True)
class Elements:
    """A multi-valued attribute iterated as rows: ``source`` to select from, ``item`` each."""

    source: Any
    item: Any


@dataclass(frozen=True, slots=True)
class Dialect:
    """SQL that differs per backend; ``sqlite`` picks the engine."""

    sqlite: bool

    def value(self, doc: Any, keys: tuple[str, ...], kind: ValueType) -> Any:
        """The scalar at ``keys`` in the JSON ``doc``, typed for comparison; NULL if absent."""
        if self.sqlite:
            target = _sqlite_type(kind)
            if not keys:
                return sa.type_coerce(doc, target)
            return sa.func.json_extract(doc, _sqlite_path(keys), type_=target)
        text = (
            sa.func.jsonb_extract_path_text(doc, *keys, type_=sa.Text)
            if keys
            else doc.op("#>>")(sa.literal_column("'{}'"))
        )
        if kind == "boolean":
            return sa.cast(text, sa.Boolean)
        if kind in ("integer", "decimal"):
            return sa.cast(text, sa.Numeric)
        return sa.type_coerce(text, sa.Text)

    def present(self, doc: Any, keys: tuple[str, ...]) -> sa.ColumnElement[bool]:
        """RFC 7644 §3.4.2.2 ``pr``: a value that is not null, "" , [] or {}."""
        if self.sqlite:
            path = _sqlite_path(keys)
            kind = sa.func.json_type(doc, path)
            raw = sa.func.json_extract(doc, path)
            empty = (raw != value for value in ("", "[]", "{}"))
            return sa.and_(kind.is_not(None), kind != "null", *empty)
        raw = sa.func.jsonb_extract_path(doc, *keys, type_=JSONB) if keys else doc
        text = sa.cast(raw, sa.Text)
        return sa.and_(raw.is_not(None), *(text != value for value in _EMPTY_JSON))

    def elements(self, doc: Any, keys: tuple[str, ...]) -> Elements:
        """The items of the array at ``keys`` as a correlated table-valued source.

        PostgreSQL yields jsonb items (read with ``value(item, ...)``); SQLite yields SQL
        scalars for scalar items and JSON text for objects, which json_extract reads.
        """
        if self.sqlite:
            table = sa.func.json_each(doc, _sqlite_path(keys)).table_valued("value").alias()
            return Elements(table, table.c.value)
        array = sa.func.jsonb_extract_path(doc, *keys, type_=JSONB)
        table = sa.func.jsonb_array_elements(array).table_valued("value").alias()
        return Elements(table, sa.type_coerce(table.c.value, JSONB))

    def contains(
        self, doc: Any, fragment: dict[str, Any], bind: Binder
    ) -> sa.ColumnElement[bool] | None:
        """``doc @> fragment`` where the backend has an index for it, else None."""
        if self.sqlite:
            return None
        return sa.type_coerce(doc, JSONB).op("@>", is_comparison=True)(
            sa.cast(bind(fragment, JSONB), JSONB)
        )

    def json_array(self, *items: Any) -> Any:
        """A JSON array built from SQL values in one row."""
        return (sa.func.json_array if self.sqlite else sa.func.json_build_array)(*items)

    def json_aggregate(self, item: Any) -> Any:
        """The JSON array of ``item`` over a group of rows, read back as a Python list."""
        function = sa.func.json_group_array if self.sqlite else sa.func.json_agg
        return function(item, type_=sa.JSON)

    def ordered(self, expression: Any, kind: ValueType = "string") -> Any:
        """Strings in code-point order: PostgreSQL's default collation is not (COLLATE "C")."""
        if self.sqlite or not isinstance(getattr(expression, "type", None), sa.String):
            return expression
        return expression.collate("C")

    def substring(
        self, expression: Any, op: str, needle: str, bind: Binder
    ) -> sa.ColumnElement[bool]:
        """co / sw / ew matching ``needle`` literally, whatever ``%``, ``_`` or ``\\`` it holds.

        PostgreSQL: LIKE with those three escaped. SQLite's LIKE ignores ASCII case, which
        would break caseExact attributes, so it uses instr/substr, which have no wildcards.
        """
        if self.sqlite:
            bound = bind(needle, sa.Text())
            if op == "co":
                return sa.func.instr(expression, bound) > 0
            size = sa.func.length(bound)
            if op == "sw":
                return sa.func.substr(expression, 1, size) == bound
            start = sa.func.length(expression) - size + 1
            return sa.and_(start >= 1, sa.func.substr(expression, start) == bound)
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op]
        return expression.like(bind(pattern, sa.Text()), escape="\\")  # type: ignore[no-any-return]


def _sqlite_type(kind: ValueType) -> Any:
    if kind == "boolean":
        return sa.Boolean()
    if kind == "integer":
        return sa.Integer()
    if kind == "decimal":
        return sa.Float()
    return sa.Text()
