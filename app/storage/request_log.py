"""The ``request_log`` table behind the Store's request-log methods (mixed into ``SqlStore``)."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from app.scim.resources import USER
from app.scim.store import LoggedRequest, LogQuery
from app.storage.tables import RequestLogRow, ResourceRow

request_log = RequestLogRow.__table__  # type: ignore[attr-defined]
resources = ResourceRow.__table__  # type: ignore[attr-defined]

_PRUNE = request_log.delete().where(request_log.c.time < sa.bindparam("before"))
_FIELDS = [f.name for f in dataclasses.fields(LoggedRequest)]


_COLUMNS = ["id", *_FIELDS]


_INSERT = request_log.insert().values(
    {column: sa.bindparam(column, type_=request_log.c[column].type) for column in _COLUMNS}
)
"""One row's INSERT: a batch runs it once per row in one trip (``Executor.many``), so
its statement is prepared once whatever the batch size."""


def _row(entry: LoggedRequest) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in _FIELDS}
    row["id"] = uuid.uuid4()
    row["tolerances"] = ",".join(entry.tolerances) or None
    return row


def _entry(row: Any) -> LoggedRequest:
    values = {name: row[name] for name in _FIELDS}
    values["tolerances"] = tuple(filter(None, (row["tolerances"] or "").split(",")))
    moment: datetime = values["time"]
    values["time"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return LoggedRequest(**values)


def _user_ids(user_name: str, tenant: str | None) -> Any:
    """Ids of users named ``user_name`` (folded, as the uniqueness key is)."""
    query = sa.select(sa.cast(resources.c.id, sa.String())).where(
        resources.c.resource_type == USER.name, resources.c.name_key == user_name.casefold()
    )
    return query.where(resources.c.tenant == tenant) if tenant else query


def select_rows(query: LogQuery) -> Any:
    statement = sa.select(request_log).order_by(request_log.c.time.desc()).limit(query.limit)
    if query.since is not None:
        statement = statement.where(request_log.c.time >= query.since)
    if query.resource_id is not None:
        statement = statement.where(request_log.c.resource_id == query.resource_id)
    if query.request_id is not None:
        statement = statement.where(request_log.c.request_id == query.request_id)
    if query.tenant is not None:
        statement = statement.where(request_log.c.tenant == query.tenant)
    if query.status_class is not None:
        low = query.status_class * 100
        statement = statement.where(request_log.c.status.between(low, low + 99))
    if query.user_name is not None:
        by_id = request_log.c.resource_id.in_(_user_ids(query.user_name, query.tenant))
        # A create that failed has no id: its body names the user.
        named = orjson.dumps({"userName": query.user_name}).decode()[1:-1]
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", named) + "%"
        statement = statement.where(sa.or_(by_id, request_log.c.body.ilike(pattern, escape="\\")))
    return statement


class RequestLogMethods:
    """The Store protocol's request-log methods, over the mixing class's ``transaction``."""

    def transaction(self, *, write: bool, snapshot: bool = False, single: bool = False) -> Any:
        raise NotImplementedError

    async def write_request_log(self, rows: Sequence[LoggedRequest]) -> None:
        if not rows:
            return
        async with self.transaction(write=True, single=True) as tx:
            await tx.executor.many(_INSERT, [_row(entry) for entry in rows])

    async def prune_request_log(self, before: datetime) -> int:
        async with self.transaction(write=True, single=True) as tx:
            count: int = await tx.executor.execute(_PRUNE, {"before": before})
            return count

    async def find_request_log(self, query: LogQuery) -> list[LoggedRequest]:
        async with self.transaction(write=False) as tx:
            rows = await tx.executor.rows(select_rows(query))
        return [_entry(row) for row in rows]
