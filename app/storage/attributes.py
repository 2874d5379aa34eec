"""THE map from SCIM attribute paths to SQL: a column, or a path in the search document.

Nothing else in the code base knows column names for SCIM attributes. Paths are the
lower-cased attribute names of RFC 7644 §3.10 (``username``, ``name.familyname``,
``urn:...:enterprise:2.0:user:department``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.storage.tables import ResourceRow

resources = ResourceRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ColumnTarget:
    """An attribute served by a column; ``folded`` columns hold fold(value)."""

    column: sa.Column[object]
    folded: bool = False
    is_uuid: bool = False


_COMMON: dict[str, ColumnTarget] = {
    "id": ColumnTarget(resources.c.id, is_uuid=True),
    "externalid": ColumnTarget(resources.c.external_id),
    "meta.created": ColumnTarget(resources.c.created),
    "meta.lastmodified": ColumnTarget(resources.c.last_modified),
    "meta.resourcetype": ColumnTarget(resources.c.resource_type),
}

_PER_KIND: dict[str, dict[str, ColumnTarget]] = {
    "User": {"username": ColumnTarget(resources.c.name_key, folded=True)},
    "Group": {"displayname": ColumnTarget(resources.c.name_key, folded=True)},
}


def column_for(kind_name: str, path: str) -> ColumnTarget | None:
    """The column serving ``path`` for a resource type, or None when it lives in JSON."""
    return _PER_KIND.get(kind_name, {}).get(path) or _COMMON.get(path)
