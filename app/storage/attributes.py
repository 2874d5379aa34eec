"""THE map from SCIM attribute paths to SQL: a column, a child table, or the search document.

Nothing else in the code base knows where a SCIM attribute is stored. The filter compiler
and the sorter ask ``resolve`` and get one of three targets:

- ``ColumnTarget``: an indexed column of ``resources`` (userName, externalId, id, meta...);
- ``RelationTarget``: rows of a child table, one per value of a multi-valued attribute
  (Group ``members`` and User ``groups`` over ``memberships``);
- ``JsonTarget``: a path of lower-cased keys in ``resources.search`` (everything else).

Attribute names and schema URNs are matched case-insensitively (RFC 7644 §3.10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from scim2_models.path import AttrPath

from app.scim.attributes import AttributeSpec
from app.scim.resources import ResourceKind
from app.storage.tables import MembershipRow, ResourceRow

resources = ResourceRow.__table__  # type: ignore[attr-defined]
memberships = MembershipRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ColumnTarget:
    """An attribute served by a column; ``folded`` columns hold fold(value)."""

    column: Any
    folded: bool = False
    is_uuid: bool = False
    nullable: bool = True
    lowered: bool = False
    """The column holds mixed case, compared case-insensitively through SQL lower()."""
    access: str | None = None
    """How an index serves ``eq`` on this column: ``scoped`` (a unique index on tenant,
    resource type and the column), ``bare`` (an index on the column alone), or not at all."""


@dataclass(frozen=True, slots=True)
class RelationTarget:
    """A multi-valued attribute kept as child rows, ``owner`` pointing at the resource.

    ``transitive``: the attribute also holds what is reached through nested groups (User
    ``groups``, RFC 7643 §4.1.2), so a filter matches indirect memberships too.
    """

    table: Any
    owner: Any
    columns: dict[str, ColumnTarget] = field(default_factory=dict)
    transitive: bool = False
    nested_type: str = ""
    """The resource type whose members nest (walked when ``transitive``)."""


@dataclass(frozen=True, slots=True)
class JsonTarget:
    """An attribute at ``keys`` in the search document."""

    keys: tuple[str, ...]


Target = ColumnTarget | RelationTarget | JsonTarget


@dataclass(frozen=True, slots=True)
class Resolved:
    """An attribute path bound to its schema description and its storage."""

    text: str
    spec: AttributeSpec
    sub: AttributeSpec | None
    target: Target

    @property
    def leaf(self) -> AttributeSpec:
        return self.sub or self.spec


_COMMON: dict[str, ColumnTarget] = {
    "id": ColumnTarget(resources.c.id, is_uuid=True, nullable=False, access="bare"),
    "externalid": ColumnTarget(resources.c.external_id, access="bare"),
    "meta.created": ColumnTarget(resources.c.created, nullable=False),
    "meta.lastmodified": ColumnTarget(resources.c.last_modified, nullable=False),
    "meta.resourcetype": ColumnTarget(resources.c.resource_type, nullable=False),
}

_NAME_KEY = ColumnTarget(resources.c.name_key, folded=True, nullable=False, access="scoped")
_ACTIVE = ColumnTarget(resources.c.active)
_MEMBER_TYPE = ColumnTarget(memberships.c.member_type, nullable=False, lowered=True)


@lru_cache(maxsize=64)
def _columns(kind: ResourceKind) -> dict[str, ColumnTarget]:
    """The kind's attributes kept in columns: its unique name, and a boolean ``active``."""
    columns = {}
    if kind.catalog:
        # The application's own ids, kept exactly (caseExact) in the name column.
        columns["id"] = ColumnTarget(resources.c.name_key, nullable=False, access="scoped")
    elif kind.unique_name and kind.name_attribute:
        columns[kind.name_attribute.lower()] = _NAME_KEY
    active = kind.core.attributes.get("active")
    if active is not None and active.type == "boolean" and not active.multi_valued:
        columns["active"] = _ACTIVE
    return columns


@lru_cache(maxsize=64)
def _relations(kind: ResourceKind) -> dict[str, RelationTarget]:
    """The kind's attributes kept as membership rows: members it holds, groups holding it."""
    relations = {}
    if kind.members:
        relations[kind.members.lower()] = RelationTarget(
            memberships,
            memberships.c.group_id,
            {
                "value": ColumnTarget(memberships.c.member_id, is_uuid=True, nullable=False),
                "type": _MEMBER_TYPE,
            },
        )
    if kind.groups and kind.container is not None:
        relations[kind.groups.lower()] = RelationTarget(
            memberships,
            memberships.c.member_id,
            {"value": ColumnTarget(memberships.c.group_id, is_uuid=True, nullable=False)},
            transitive=True,
            nested_type=kind.container.name,
        )
    return relations


_NOT_STORED = frozenset({"password", "meta"})
"""Never in the search document: password is not kept, meta lives in columns."""

DEFAULT_ORDER = ColumnTarget(resources.c.created, nullable=False)
"""The order of a list without sortBy: creation, served by an index with ``id``."""

ROW_ID = resources.c.id


def _spec(kind: ResourceKind, path: AttrPath) -> tuple[AttributeSpec, str] | None:
    """The attribute's spec and its key prefix ("" for core, the URN for an extension)."""
    if path.uri is None or path.uri.lower() == kind.core.urn.lower():
        spec = kind.attribute(path.attr)
        return (spec, "") if spec is not None else None
    extension = kind.extension(path.uri)
    if extension is None:
        return None
    spec = extension.attributes.get(path.attr.lower())
    return (spec, extension.urn.lower()) if spec is not None else None


def _target(kind: ResourceKind, dotted: str, spec: AttributeSpec, urn: str) -> Target | None:
    if not urn:
        column = _columns(kind).get(dotted) or _COMMON.get(dotted)
        if column is not None:
            return column
        relation = _relations(kind).get(spec.name.lower())
        if relation is not None:
            return relation
    if (spec.name.lower() in _NOT_STORED and not urn) or spec.returned == "never":
        return None  # never filtered: not in the search document
    keys = (urn, spec.name.lower()) if urn else (spec.name.lower(),)
    return JsonTarget(keys)


def resolve(kind: ResourceKind, path: AttrPath) -> Resolved | None:
    """Bind ``path`` to ``kind``'s schema and storage; None when ``kind`` has no such attribute."""
    found = _spec(kind, path)
    if found is None:
        return None
    spec, urn = found
    sub = None
    if path.sub_attr is not None:
        sub = spec.sub.get(path.sub_attr.lower())
        if sub is None:
            return None
    dotted = spec.name.lower() + (f".{sub.name.lower()}" if sub else "")
    target = _target(kind, dotted, spec, urn)
    if target is None:
        return None
    if (
        isinstance(target, RelationTarget)
        and sub is not None
        and sub.name.lower() not in (target.columns)
    ):
        return None
    return Resolved(str(path), spec, sub, target)


def correlate(relation: RelationTarget) -> sa.ColumnElement[bool]:
    """Ties child rows to the resource row of the enclosing query."""
    return relation.owner == resources.c.id  # type: ignore[no-any-return]
