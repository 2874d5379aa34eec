"""Compile a scim2-models filter tree into one SQLAlchemy WHERE clause (RFC 7644 §3.4.2.2).

The compiler knows operators and scopes, never where an attribute lives: ``attributes``
(the map) says that, ``json_sql.Dialect`` says how each backend reads JSON, ``operands``
types and compares one value. A scope is where names are looked up: the resource row, one
element of a multi-valued JSON attribute, or one child row (memberships). Multi-valued
attributes match when any value matches; ``ne`` is ``not eq`` (no value equals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    Present,
    ValuePath,
)

from app.scim.attributes import AttributeSpec
from app.scim.resources import ResourceKind
from app.storage.attributes import (
    ColumnTarget,
    JsonTarget,
    RelationTarget,
    Resolved,
    correlate,
    resolve,
    resources,
)
from app.storage.binds import Binder
from app.storage.json_sql import Dialect
from app.storage.operands import (
    Operand,
    check_type,
    column_operand,
    compare,
    normalise,
    present_scalar,
)

SEARCH = resources.c.search


def _invalid(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


def _exists(source: Any, *where: Any) -> sa.ColumnElement[bool]:
    return sa.select(sa.literal(1)).select_from(source).where(*where).exists()


def _related(relation: RelationTarget, where: Any) -> sa.ColumnElement[bool]:
    """Rows with a related child row matching ``where``.

    A transitive relation (User ``groups``) walks down from the matching groups through
    nested groups with one recursive CTE, seeded by ``where`` so only the groups that
    match are expanded; UNION ends the walk even on data that holds a cycle.
    """
    if not relation.transitive:
        return _exists(relation.table, correlate(relation), where)
    table = relation.table
    seed = sa.select(table.c.member_id, table.c.member_type).where(where)
    reach = seed.cte(recursive=True)
    inner = table.alias()
    reach = reach.union(
        sa.select(inner.c.member_id, inner.c.member_type).where(
            inner.c.group_id == reach.c.member_id, reach.c.member_type == relation.nested_type
        )
    )
    return _exists(reach, reach.c.member_id == resources.c.id)


def _nest(keys: Sequence[str], leaf: Any) -> Any:
    for key in reversed(keys):
        leaf = {key: leaf}
    return leaf


def _eq_value(operand: Operand, node: Comparison) -> Any:
    """The normalised operand of an ``eq`` that containment can serve, else None."""
    if node.op != CompareOperator.eq or node.value is None:
        return None
    check_type(operand, node.op, node.value, str(node.attr_path))
    return normalise(operand, node.value, str(node.attr_path))


class Scope:
    """Where the attribute names of (part of) a filter are looked up."""

    def compare(self, node: Comparison) -> sa.ColumnElement[bool]:
        raise NotImplementedError

    def present(self, node: Present) -> sa.ColumnElement[bool]:
        raise NotImplementedError

    def value_path(self, node: ValuePath) -> sa.ColumnElement[bool]:
        raise _invalid(f"{node.attr_path}: a value filter cannot be nested in another")


class SqlFilter(FilterVisitor[sa.ColumnElement[bool]]):
    """Walks the tree; the scope turns each attribute test into SQL."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def visit_logical_expr(self, node: LogicalExpr) -> sa.ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return sa.and_(*terms) if node.op == LogicalOperator.and_ else sa.or_(*terms)

    def visit_not(self, node: Not) -> sa.ColumnElement[bool]:
        return sa.not_(self.visit(node.expr))

    def visit_comparison(self, node: Comparison) -> sa.ColumnElement[bool]:
        return self.scope.compare(node)

    def visit_present(self, node: Present) -> sa.ColumnElement[bool]:
        return self.scope.present(node)

    def visit_value_path(self, node: ValuePath) -> sa.ColumnElement[bool]:
        return self.scope.value_path(node)


def _scalar_value_spec(parent: AttributeSpec) -> AttributeSpec:
    """``value`` names the element itself in a list of scalars (``schemas[value eq ...]``)."""
    return replace(parent, name="value", multi_valued=False, sub={})


class ElementScope(Scope):
    """Inside ``attr[...]``: names are sub-attributes of one element of a JSON array."""

    def __init__(self, item: Any, parent: AttributeSpec, dialect: Dialect, bind: Binder) -> None:
        self.item, self.parent, self.dialect, self.bind = item, parent, dialect, bind

    def _operand(self, path: AttrPath) -> Operand:
        if path.sub_attr is not None:
            raise _invalid(f"{path}: too deep inside {self.parent.name}[...]")
        keys: tuple[str, ...] = ()
        if not self.parent.sub and path.attr.lower() == "value":
            spec = _scalar_value_spec(self.parent)
        else:
            found = self.parent.sub.get(path.attr.lower())
            if found is None:
                raise _invalid(f"{self.parent.name} has no sub-attribute {path.attr!r}")
            spec, keys = found, (found.name.lower(),)
        return Operand(self.dialect.value(self.item, keys, spec.type), spec)

    def compare(self, node: Comparison) -> sa.ColumnElement[bool]:
        return compare(self.dialect, self._operand(node.attr_path), node, self.bind)

    def present(self, node: Present) -> sa.ColumnElement[bool]:
        return present_scalar(self._operand(node.attr_path))


class RelationScope(Scope):
    """Inside ``members[...]``: names are columns of one child row."""

    def __init__(
        self, relation: RelationTarget, parent: AttributeSpec, dialect: Dialect, bind: Binder
    ) -> None:
        self.relation, self.parent, self.dialect, self.bind = relation, parent, dialect, bind

    def _operand(self, path: AttrPath) -> Operand:
        column = self.relation.columns.get(path.attr.lower())
        spec = self.parent.sub.get(path.attr.lower())
        if path.sub_attr is not None or column is None or spec is None:
            raise _invalid(f"{self.parent.name}[...] cannot filter on {str(path)!r}")
        return column_operand(column, spec)

    def compare(self, node: Comparison) -> sa.ColumnElement[bool]:
        return compare(self.dialect, self._operand(node.attr_path), node, self.bind)

    def present(self, node: Present) -> sa.ColumnElement[bool]:
        return present_scalar(self._operand(node.attr_path))


def _comparable(resolved: Resolved) -> Resolved:
    """A multi-valued complex attribute compares on its ``value`` (RFC 7644 §3.4.2.2)."""
    spec = resolved.spec
    if resolved.sub is None and spec.is_complex:
        if spec.multi_valued and "value" in spec.sub:
            return replace(resolved, sub=spec.sub["value"])
        raise _invalid(f"{resolved.text} is complex: compare one of its sub-attributes")
    return resolved


_EQUALITY = (CompareOperator.eq, CompareOperator.ne)
_BUILT_SIZE = 1024
_built: dict[tuple[Any, ...], tuple[ResourceKind, sa.ColumnElement[bool]]] = {}


class RowScope(Scope):
    """Top level: names are attributes of one resource type."""

    def __init__(self, kind: ResourceKind, dialect: Dialect, bind: Binder, *, strict: bool) -> None:
        self.kind, self.dialect, self.bind, self.strict = kind, dialect, bind, strict
        self.unknown: set[str] = set()
        self.index_backed: dict[int, str] = {}
        """Clauses an index serves by themselves (by id), with the index's access kind."""

    def _backed(self, clause: sa.ColumnElement[bool], access: str) -> sa.ColumnElement[bool]:
        self.index_backed[id(clause)] = access
        return clause

    def _resolve(self, path: AttrPath) -> Resolved | None:
        resolved = resolve(self.kind, path)
        if resolved is None:
            if self.strict:
                raise _invalid(f"unknown attribute {str(path)!r} for {self.kind.name}")
            self.unknown.add(str(path).lower())
        return resolved

    def compare(self, node: Comparison) -> sa.ColumnElement[bool]:
        found = self._resolve(node.attr_path)
        if found is None:
            return sa.false()
        resolved = _comparable(found)
        target = resolved.target
        if isinstance(target, ColumnTarget):
            clause = self._column_compare(column_operand(target, resolved.leaf), node)
            indexed = target.access and node.op == CompareOperator.eq and node.value is not None
            return self._backed(clause, target.access) if indexed else clause  # type: ignore[arg-type]
        if node.op == CompareOperator.ne and resolved.spec.multi_valued:
            return sa.not_(self.compare(replace(node, op=CompareOperator.eq)))
        if isinstance(target, RelationTarget):
            scope = RelationScope(target, resolved.spec, self.dialect, self.bind)
            inner = scope.compare(replace(node, attr_path=AttrPath(resolved.leaf.name)))
            return _related(target, inner)
        return self._json_compare(target, resolved, node)

    def _column_compare(self, operand: Operand, node: Comparison) -> sa.ColumnElement[bool]:
        """``compare`` on a column, built once per attribute, operator and bind position
        for a string equality, whose clause does not depend on the value: building it
        anew was a fifth of an Okta lookup (``userName eq "..."``)."""
        reusable = (
            node.op in _EQUALITY
            and isinstance(node.value, str)
            and not operand.is_uuid
            and operand.spec.type != "dateTime"
        )
        if not reusable:
            return compare(self.dialect, operand, node, self.bind)
        position = len(self.bind.values)
        key = (id(self.kind), self.dialect.sqlite, str(node.attr_path).lower(), node.op, position)
        hit = _built.get(key)
        if hit is not None and hit[0] is self.kind:
            where = str(node.attr_path)
            check_type(operand, node.op, node.value, where)
            self.bind.record(normalise(operand, node.value, where))
            return hit[1]
        clause = compare(self.dialect, operand, node, self.bind)
        if len(_built) >= _BUILT_SIZE:
            _built.clear()
        _built[key] = (self.kind, clause)
        return clause

    def _json_compare(
        self, target: JsonTarget, resolved: Resolved, node: Comparison
    ) -> sa.ColumnElement[bool]:
        sub = (resolved.sub.name.lower(),) if resolved.sub else ()
        if not resolved.spec.multi_valued:
            keys = target.keys + sub
            operand = Operand(self.dialect.value(SEARCH, keys, resolved.leaf.type), resolved.leaf)
            value = _eq_value(operand, node)
            fast = (
                None
                if value is None
                else self.dialect.contains(SEARCH, _nest(keys, value), self.bind)
            )
            return (
                self._backed(fast, "bare")
                if fast is not None
                else compare(self.dialect, operand, node, self.bind)
            )
        leaf = resolved.leaf if sub else _scalar_value_spec(resolved.spec)
        elements = self.dialect.elements(SEARCH, target.keys)
        operand = Operand(self.dialect.value(elements.item, sub, leaf.type), leaf)
        value = _eq_value(operand, node)
        if value is not None:
            element = _nest(sub, value)
            fast = self.dialect.contains(SEARCH, _nest(target.keys, [element]), self.bind)
            if fast is not None:
                return self._backed(fast, "bare")
        return _exists(elements.source, compare(self.dialect, operand, node, self.bind))

    def present(self, node: Present) -> sa.ColumnElement[bool]:
        resolved = self._resolve(node.attr_path)
        if resolved is None:
            return sa.false()
        target = resolved.target
        if isinstance(target, ColumnTarget):
            return present_scalar(column_operand(target, resolved.leaf))
        if isinstance(target, RelationTarget):
            if resolved.sub is None:
                return _exists(target.table, correlate(target))
            inner = RelationScope(target, resolved.spec, self.dialect, self.bind)
            return _related(target, inner.present(Present(AttrPath(resolved.sub.name))))
        if resolved.spec.multi_valued and resolved.sub is not None:
            elements = self.dialect.elements(SEARCH, target.keys)
            item = self.dialect.value(
                elements.item, (resolved.sub.name.lower(),), resolved.sub.type
            )
            return _exists(elements.source, present_scalar(Operand(item, resolved.sub)))
        keys = target.keys + ((resolved.sub.name.lower(),) if resolved.sub else ())
        return self.dialect.present(SEARCH, keys)

    def value_path(self, node: ValuePath) -> sa.ColumnElement[bool]:
        resolved = self._resolve(node.attr_path)
        if resolved is None:
            return sa.false()
        if not resolved.spec.multi_valued:
            raise _invalid(f"{resolved.text} is single-valued: [...] needs a multi-valued one")
        target = resolved.target
        if isinstance(target, RelationTarget):
            inner = SqlFilter(RelationScope(target, resolved.spec, self.dialect, self.bind))
            return _related(target, inner.visit(node.val_filter))
        assert isinstance(target, JsonTarget)
        elements = self.dialect.elements(SEARCH, target.keys)
        scope = ElementScope(elements.item, resolved.spec, self.dialect, self.bind)
        clause = SqlFilter(scope).visit(node.val_filter)
        fast = self._contains_all(target, resolved.spec, node.val_filter, scope)
        return self._backed(fast, "bare") if fast is not None else _exists(elements.source, clause)

    def _contains_all(
        self, target: JsonTarget, spec: AttributeSpec, node: FilterNode, scope: ElementScope
    ) -> sa.ColumnElement[bool] | None:
        """``emails[type eq "work" and value eq "x"]`` as one containment (index-backed)."""
        terms = (
            node.terms
            if (isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_)
            else (node,)
        )
        element: dict[str, Any] = {}
        for term in terms:
            if not isinstance(term, Comparison) or not spec.sub:
                return None
            value = _eq_value(scope._operand(term.attr_path), term)
            key = term.attr_path.attr.lower()
            if value is None or key in element:
                return None
            element[key] = value
        return self.dialect.contains(SEARCH, _nest(target.keys, [element]), self.bind)


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """The WHERE clause of a filter, and an index-backed term of its top-level ``and``.

    ``access`` is an ``eq`` an index serves alone (userName, externalId, id, or a JSONB
    containment); ``scoped`` says its index also leads with tenant and resource type. The
    list query pre-selects candidate ids with it, so the plan does not depend on statistics.
    """

    where: sa.ColumnElement[bool]
    access: sa.ColumnElement[bool] | None = None
    scoped: bool = False


def _conjuncts(node: FilterNode) -> list[FilterNode]:
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        return list(node.terms)
    return [node]


def compile_filter(
    kinds: Sequence[ResourceKind], node: FilterNode, dialect: Dialect, bind: Binder
) -> CompiledFilter:
    """The WHERE clause for ``node`` over rows of ``kinds``.

    Across several resource types (root ``/.search``), an attribute one type lacks is
    false for its rows (RFC 7644 §3.4.2.1); one that no type has is 400 invalidFilter.
    """
    if len(kinds) == 1:
        scope = RowScope(kinds[0], dialect, bind, strict=True)
        clauses = [SqlFilter(scope).visit(term) for term in _conjuncts(node)]
        where = clauses[0] if len(clauses) == 1 else sa.and_(*clauses)
        for clause in clauses:
            if id(clause) in scope.index_backed:
                return CompiledFilter(where, clause, scope.index_backed[id(clause)] == "scoped")
        return CompiledFilter(where)
    clauses = []
    unknown: list[set[str]] = []
    for kind in kinds:
        scope = RowScope(kind, dialect, bind, strict=False)
        clause = SqlFilter(scope).visit(node)
        clauses.append(sa.and_(resources.c.resource_type == kind.name, clause))
        unknown.append(scope.unknown)
    missing = set.intersection(*unknown) if unknown else set()
    if missing:
        raise _invalid(f"unknown attribute {sorted(missing)[0]!r}")
    return CompiledFilter(sa.or_(*clauses))
