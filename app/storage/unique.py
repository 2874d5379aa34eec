"""Rows of ``unique_values``: the database's answer to ``uniqueness`` server (RFC 7643 §2.2).

A write of a resource whose type declares unique attributes (``SCIM_SCHEMAS``) replaces
that resource's rows inside its transaction; the table's primary key refuses a value that
another resource of the tenant and type holds, and the store answers 409 uniqueness.
``UniqueOps`` is mixed into ``SqlTransaction``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from scim2_models import UniquenessException

from app.scim.resources import ResourceKind
from app.storage.errors import INTEGRITY_ERRORS
from app.storage.executors import Executor
from app.storage.tables import UniqueValueRow

unique_values = UniqueValueRow.__table__  # type: ignore[attr-defined]

_INSERT = unique_values.insert()
_CLEAR = unique_values.delete().where(unique_values.c.resource_id == sa.bindparam("resource"))


class UniqueOps:
    executor: Executor

    async def write_unique(
        self,
        tenant: str,
        kind: ResourceKind,
        resource_id: uuid.UUID,
        values: Sequence[tuple[str, str]],
        *,
        new: bool,
    ) -> None:
        """Make ``values`` the unique values ``resource_id`` holds (none but these)."""
        if not new:
            await self.executor.execute(_CLEAR, {"resource": resource_id})
        for attribute, value in values:
            row = {
                "tenant": tenant,
                "resource_type": kind.name,
                "attribute": attribute,
                "value": value,
                "resource_id": resource_id,
            }
            try:
                await self.executor.execute(_INSERT, row)
            except INTEGRITY_ERRORS as exc:
                name = attribute.rpartition(":")[2] if ":" in attribute else attribute
                raise UniquenessException(
                    detail=f"another {kind.name} already has this {name}"
                ) from exc
