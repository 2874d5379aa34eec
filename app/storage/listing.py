"""The statement behind a list or search (RFC 7644 §3.4.2): total and page in one round trip.

Shape, whatever the filter, sort or paging::

    [WITH matched AS MATERIALIZED (SELECT id, tenant, resource_type FROM resources
                                   WHERE <index-backed term>)]
    SELECT total.n, page.* FROM (SELECT count(*) ...) AS total
    LEFT JOIN (SELECT <row>, <sort key> FROM <window> JOIN resources ...) AS page ON true
    ORDER BY page.<sort key>

- One statement, so the total and the page come from one snapshot without a transaction.
- ``matched`` pre-selects candidate ids with the filter's index-backed ``eq`` (userName,
  externalId, id, a JSONB containment): the only index that can serve that term alone, so
  the plan is the same with or without planner statistics (PostgreSQL plans a freshly
  loaded table as if ``tenant = ...`` were rare, and would walk a (tenant, ...) index).
- The window selects ids only (an index-only scan for the default order), then the page
  joins the documents: a deep ``startIndex`` skips index entries, not heap rows.
- The left join keeps the total when the page is empty (the usual "no such user" lookup).
- A filter that pins a unique key (``userName eq``, Okta's lookup before every create) on
  the first page is one plain select instead: at most one row matches, so the page is every
  match and the total how many there are.

Building this statement costs milliseconds of SQLAlchemy work, far more than running it.
Every value is a named bind parameter (``app.storage.binds``), so statements are cached by
shape (the filter's structure, sort, paging mode) and executed with each request's values.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.scim.store import ListQuery
from app.storage.attributes import resources
from app.storage.binds import Binder
from app.storage.filter_sql import CompiledFilter, compile_filter
from app.storage.json_sql import Dialect
from app.storage.members import groups_column
from app.storage.paging import SortKey, beyond, components, order_by, sort_key
from app.storage.positions import Position
from app.storage.tables import ResourceCountRow

ROW_COLUMNS = (
    resources.c.id,
    resources.c.resource_type,
    resources.c.version,
    resources.c.created,
    resources.c.last_modified,
    resources.c.document,
)

CACHED_SHAPES = 256

counts = ResourceCountRow.__table__  # type: ignore[attr-defined]

_TENANT = sa.bindparam("tenant", type_=sa.String())
_OFFSET = sa.bindparam("offset", type_=sa.BigInteger())
_LIMIT = sa.bindparam("limit", type_=sa.BigInteger())


@dataclass(frozen=True, slots=True)
class ListStatement:
    """The statement and what reading its rows needs: the sort key's column labels."""

    statement: Any
    key_labels: tuple[str, ...]
    backwards: bool


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement for one request: the (possibly shared) statement and its values."""

    built: ListStatement
    params: dict[str, Any]


_shapes: OrderedDict[tuple[Any, ...], ListStatement] = OrderedDict()


def _scope(query: ListQuery, rows: Any) -> sa.ColumnElement[bool]:
    """The tenant's rows of the queried types, tested on ``rows`` (a table or the CTE)."""
    typed = sa.or_(*(rows.c.resource_type == kind.name for kind in query.kinds))
    return sa.and_(rows.c.tenant == _TENANT, typed)


def _source(query: ListQuery, compiled: CompiledFilter | None) -> tuple[Any, Any]:
    """What the count and the window select from, and their WHERE.

    With an index-backed term, the candidates are materialised by it alone (with the
    scope when its unique index leads with tenant and type), and the scope is then tested
    on the candidates' columns, never on ``resources``, so no (tenant, ...) index competes.
    """
    if compiled is None:
        return resources, _scope(query, resources)
    if compiled.access is None:
        return resources, sa.and_(_scope(query, resources), compiled.where)
    access = compiled.access
    if compiled.scoped:
        access = sa.and_(_scope(query, resources), access)
    matched = (
        sa.select(resources.c.id, resources.c.tenant, resources.c.resource_type)
        .where(access)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    source = matched.join(resources, resources.c.id == matched.c.id)
    return source, sa.and_(_scope(query, matched), compiled.where)


def _total(query: ListQuery, source: Any, where: Any) -> Any:
    """``n``, the total, and ``gone``, the tenant's deletions (None when filtered).

    Without a filter the total is the sum of the tenant's count rows (kept by triggers),
    not a count over every row.
    """
    if query.filter is not None:
        count = sa.func.count().label("n")
        return sa.select(count, sa.null().label("gone")).select_from(source).where(where).subquery()
    kept = _scope(query, counts)
    # sum(bigint) is numeric on PostgreSQL: cast back so the total stays an integer.
    live = sa.cast(sa.func.coalesce(sa.func.sum(counts.c.live), 0), sa.BigInteger).label("n")
    deleted = sa.cast(sa.func.coalesce(sa.func.sum(counts.c.deleted), 0), sa.BigInteger)
    gone = deleted.label("gone")
    return sa.select(live, gone).where(kept).subquery()


def _window(
    source: Any, where: Any, key: SortKey, query: ListQuery, bind: Binder, seek: bool
) -> Any:
    """The ids of the page (and their sort key columns), in traversal order.

    ``seek``: the page is counted from a remembered position (``s0``, ``s1``: the created
    time and id of a row at or before its start, ``app.storage.positions``).
    """
    parts = components(key)
    labelled = [part.label(f"k{i}") for i, part in enumerate(parts)]
    window = sa.select(resources.c.id.label("wid"), *labelled).select_from(source)
    if not query.cursor_mode:
        if seek:
            # The position as a row comparison over the index's last columns, beside the
            # scope's equalities on its first ones: the scan starts at the position (the
            # page at 100,000 reads its own entries) and the index's order is the page's,
            # also in the generic plan of the prepared statement.
            after = sa.tuple_(*parts) >= sa.tuple_(
                sa.bindparam("s0", type_=parts[0].type),
                sa.bindparam("s1", type_=parts[1].type),
            )
            where = sa.and_(where, after)
        ordered = window.where(where).order_by(*order_by(key))
        return ordered.offset(_OFFSET).limit(_LIMIT).subquery("window")
    backwards = query.cursor is not None and query.cursor.backwards
    if query.cursor is not None:
        where = sa.and_(where, beyond(key, query.cursor.anchor, bind, backwards=backwards))
    window = window.where(where).order_by(*order_by(key, backwards=backwards))
    return window.limit(_LIMIT).subquery("window")


def _pinned(query: ListQuery, compiled: CompiledFilter | None) -> bool:
    """Whether the filter pins a unique key (``userName eq``, Okta's lookup before every
    create) and the first page is asked for: then at most one row matches, so the page is
    every match, unordered, and the total is how many there are."""
    scoped = compiled is not None and compiled.scoped
    return scoped and not query.cursor_mode and query.start_index == 1 and query.count >= 1


def _pinned_statement(
    query: ListQuery, dialect: Dialect, compiled: CompiledFilter, with_groups: bool
) -> ListStatement:
    extra = [groups_column(dialect).label("groups")] if with_groups else []
    statement = sa.select(
        sa.func.count().over().label("n"), sa.null().label("gone"), *ROW_COLUMNS, *extra
    ).where(_scope(query, resources), compiled.where)
    return ListStatement(statement, (), False)


def _build(
    query: ListQuery,
    dialect: Dialect,
    compiled: CompiledFilter | None,
    anchors: Binder,
    with_groups: bool,
    seek: bool,
) -> ListStatement:
    if compiled is not None and _pinned(query, compiled):
        return _pinned_statement(query, dialect, compiled, with_groups)
    source, where = _source(query, compiled)
    total = _total(query, source, where)
    key = sort_key(query.kinds, query.sort, dialect)
    if query.count <= 0:
        return ListStatement(sa.select(total.c.n, total.c.gone), (), False)
    window = _window(source, where, key, query, anchors, seek)
    labels = tuple(f"k{i}" for i in range(len(components(key))))
    extra = [groups_column(dialect).label("groups")] if with_groups else []
    page = (
        sa.select(*ROW_COLUMNS, *extra, *(window.c[label] for label in labels))
        .select_from(window.join(resources, resources.c.id == window.c.wid))
        .subquery("page")
    )
    backwards = query.cursor is not None and query.cursor.backwards
    descending = key.descending != backwards
    ordering = [
        dialect.ordered(page.c[label]).desc() if descending else dialect.ordered(page.c[label])
        for label in labels
    ]
    statement = (
        sa.select(total.c.n, total.c.gone, page)
        .select_from(total.outerjoin(page, sa.true()))
        .order_by(*ordering)
    )
    return ListStatement(statement, labels, backwards)


def _shape(
    query: ListQuery,
    dialect: Dialect,
    compiled: CompiledFilter | None,
    with_groups: bool,
    seek: bool,
) -> tuple[Any, ...]:
    """Everything the statement's SQL depends on, values excluded.

    The filter's part is SQLAlchemy's cache key of its clause (its structure) plus the
    values bound outside the ``Binder`` (JSON path keys and such, which are structure too).
    """
    cursor = query.cursor
    filtered: tuple[Any, ...] = ()
    if compiled is not None:
        cache_key = compiled.where._generate_cache_key()
        assert cache_key is not None
        literal = tuple(repr(bp.value) for bp in cache_key.bindparams if bp.key[:1] != "f")
        filtered = (cache_key.key, literal, compiled.access is not None, compiled.scoped)
    sort = query.sort
    return (
        dialect.sqlite,
        tuple(kind.name for kind in query.kinds),
        (str(sort.attr).lower(), sort.descending) if sort else None,
        query.cursor_mode,
        None if cursor is None else (cursor.backwards, cursor.anchor.key is None),
        query.count <= 0,
        with_groups,
        seek,
        _pinned(query, compiled),
        filtered,
    )


def list_statement(
    tenant: str,
    query: ListQuery,
    dialect: Dialect,
    *,
    with_groups: bool,
    seek: Position | None = None,
) -> Prepared:
    """The statement serving ``query`` for ``tenant`` and its values (see the docstring);
    ``seek`` starts an unfiltered, creation-ordered page from a remembered position."""
    values = Binder("f")
    compiled = compile_filter(query.kinds, query.filter, dialect, values) if query.filter else None
    anchors = Binder("a")
    if query.cursor is not None:
        # Bound in the order ``_window`` binds them, so the names line up with a cached one.
        key = sort_key(query.kinds, query.sort, dialect)
        beyond(key, query.cursor.anchor, anchors, backwards=query.cursor.backwards)
    params = {
        "tenant": tenant,
        "offset": query.start_index - (1 if seek is None else seek.index),
        "limit": query.count + 1 if query.cursor_mode else query.count,
        **values.values,
        **anchors.values,
    }
    if seek is not None:
        params.update(s0=seek.anchor.key, s1=seek.anchor.id)
    shape = _shape(query, dialect, compiled, with_groups, seek is not None)
    built = _shapes.get(shape)
    if built is None:
        built = _build(query, dialect, compiled, Binder("a"), with_groups, seek is not None)
        _shapes[shape] = built
        if len(_shapes) > CACHED_SHAPES:
            _shapes.popitem(last=False)
    else:
        _shapes.move_to_end(shape)
    return Prepared(built, params)
