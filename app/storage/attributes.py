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

_COLUMNS: dict[str, dict[str, ColumnTarget]] = {
    "User": {
        "username": ColumnTarget(
            resources.c.name_key, folded=True, nullable=False, access="scoped"
        ),
        "active": ColumnTarget(resources.c.active),
    },
    "Group": {
        "displayname": ColumnTarget(
            resources.c.name_key, folded=True, nullable=False, access="scoped"
        )
    },
}

_MEMBER_TYPE = ColumnTarget(memberships.c.member_type, nullable=False, lowered=True)

_RELATIONS: dict[str, dict[str, RelationTarget]] = {
    "Group": {
        "members": RelationTarget(
            memberships,
            memberships.c.group_id,
            {
                "value": ColumnTarget(memberships.c.member_id, is_uuid=True, nullable=False),
                "type": _MEMBER_TYPE,
            },
        )
    },
    "User": {
        "groups": RelationTarget(
            memberships,
            memberships.c.member_id,
            {"value": ColumnTarget(memberships.c.group_id, is_uuid=True, nullable=False)},
            transitive=True,
        )
    },
}

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
        column = _COLUMNS.get(kind.name, {}).get(dotted) or _COMMON.get(dotted)
        if column is not None:
            return column
        relation = _RELATIONS.get(kind.name, {}).get(spec.name.lower())
        if relation is not None:
            return relation
    if spec.name.lower() in _NOT_STORED and not urn:
        return None
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
