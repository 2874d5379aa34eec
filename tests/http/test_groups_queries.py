"""How many statements group reads and writes cost, whatever the group's size.

Counted with SQLAlchemy's ``before_cursor_execute`` event on the app's engine: a read that
leaves members out never mentions the membership table, a full read costs the same number
of statements for 3 members as for 60, and a PATCH adding one member costs the same on a
large group as on a small one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from tests.conftest import CreateGroup, CreateUser, patch_payload


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = app.state.store.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The request log is written in the background, after earlier requests.
        if "request_log" not in statement:
            seen.append(statement.lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


async def _group_of(
    create_user: CreateUser, create_group: CreateGroup, name: str, size: int
) -> str:
    users = [await create_user(f"{name}-{i}") for i in range(size)]
    group = await create_group(name, *(u["id"] for u in users))
    return str(group["id"])


async def test_get_excluding_members_never_touches_memberships(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    group_id = await _group_of(create_user, create_group, "big", 5)
    with _statements(app) as seen:
        response = await client.get(
            f"/scim/v2/Groups/{group_id}", params={"excludedAttributes": "members"}
        )
    assert response.status_code == 200
    assert seen
    assert not [s for s in seen if "memberships" in s]


async def test_list_excluding_members_never_touches_memberships(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    await _group_of(create_user, create_group, "big", 5)
    with _statements(app) as seen:
        response = await client.get(
            "/scim/v2/Groups",
            params={"filter": 'displayName eq "big"', "excludedAttributes": "members"},
        )
    assert response.json()["totalResults"] == 1
    assert not [s for s in seen if "memberships" in s]


async def test_full_get_costs_one_membership_query_whatever_the_size(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    small = await _group_of(create_user, create_group, "small", 3)
    large = await _group_of(create_user, create_group, "large", 60)
    counts = []
    for group_id in (small, large):
        with _statements(app) as seen:
            body = (await client.get(f"/scim/v2/Groups/{group_id}")).json()
        counts.append((len(seen), len([s for s in seen if "memberships" in s])))
        assert body["members"]
    assert counts[0] == counts[1]
    assert counts[0][1] == 1


async def test_patch_add_one_costs_the_same_on_a_large_group(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    small = await _group_of(create_user, create_group, "small", 3)
    large = await _group_of(create_user, create_group, "large", 60)
    counts = []
    for group_id in (small, large):
        newcomer = await create_user(f"new-{group_id}")
        body = patch_payload({"op": "add", "path": "members", "value": [{"value": newcomer["id"]}]})
        with _statements(app) as seen:
            response = await client.patch(f"/scim/v2/Groups/{group_id}", json=body)
        assert response.status_code == 204
        counts.append(len(seen))
    assert counts[0] == counts[1]
