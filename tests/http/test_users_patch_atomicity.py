"""PATCH is all or none, and versions move only when the document changes (RFC 7644 §3.5.2)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.storage.repository import SqlTransaction
from tests.conftest import CreateUser, PatchUser, assert_scim_error, patch_payload


async def _fetch(client: httpx.AsyncClient, user_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/scim/v2/Users/{user_id}")).json()
    return body


async def test_failing_third_operation_leaves_resource_version_and_last_modified(
    client: httpx.AsyncClient, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", nickName="Babs")
    response = await patch_user(
        user["id"],
        {"op": "replace", "path": "nickName", "value": "Barb"},
        {"op": "add", "path": "title", "value": "Tour Guide"},
        {"op": "replace", "path": 'emails[type eq "work" and value co "x"].display', "value": "x"},
    )
    assert_scim_error(response, 400, "noTarget")
    assert await _fetch(client, user["id"]) == user


async def test_failing_operation_after_a_change_writes_nothing(
    client: httpx.AsyncClient, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    response = await patch_user(
        user["id"],
        {"op": "add", "path": "title", "value": "Tour Guide"},
        {"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646"}},
    )
    assert_scim_error(response, 400, "mutability")
    assert "title" not in await _fetch(client, user["id"])


async def test_patch_changing_nothing_keeps_version_and_last_modified(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", nickName="Babs")
    response = await patch_user(user["id"], {"op": "replace", "path": "nickName", "value": "Babs"})
    assert response.status_code == 200
    assert response.json()["meta"] == user["meta"]
    assert response.headers["etag"] == user["meta"]["version"]


async def test_add_then_remove_in_one_request_keeps_version(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    response = await patch_user(
        user["id"],
        {"op": "add", "path": "title", "value": "Tour Guide"},
        {"op": "remove", "path": "title"},
    )
    assert response.json()["meta"]["version"] == user["meta"]["version"]


async def test_change_moves_version_and_last_modified(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    body = (await patch_user(user["id"], {"op": "add", "path": "title", "value": "x"})).json()
    assert body["meta"]["version"] == 'W/"2"'
    assert body["meta"]["lastModified"] >= user["meta"]["lastModified"]
    assert body["meta"]["created"] == user["meta"]["created"]


async def test_if_match_with_current_version_applies(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    headers = {"If-Match": user["meta"]["version"]}
    op = {"op": "add", "path": "title", "value": "x"}
    response = await patch_user(user["id"], op, headers=headers)
    assert response.status_code == 200


async def test_if_match_with_stale_version_is_412_and_writes_nothing(
    client: httpx.AsyncClient, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    op = {"op": "add", "path": "title", "value": "x"}
    response = await patch_user(user["id"], op, headers={"If-Match": 'W/"7"'})
    assert_scim_error(response, 412)
    assert await _fetch(client, user["id"]) == user


async def test_concurrent_patches_adding_different_emails_all_land(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    """No PATCH overwrites another's read-modify-write: a write that finds the version
    moved since its read is made again on the locked row."""
    user = await create_user("bjensen")
    addresses = [f"user{n}@example.com" for n in range(8)]

    async def add(address: str) -> httpx.Response:
        body = patch_payload({"op": "add", "path": "emails", "value": [{"value": address}]})
        return await client.patch(f"/scim/v2/Users/{user['id']}", json=body)

    responses = await asyncio.gather(*(add(a) for a in addresses))
    assert [r.status_code for r in responses] == [200] * len(addresses)
    stored = await _fetch(client, user["id"])
    assert sorted(e["value"] for e in stored["emails"]) == sorted(addresses)
    assert stored["meta"]["version"] == f'W/"{len(addresses) + 1}"'


async def test_patch_whose_row_changed_after_its_read_is_applied_on_the_locked_row(
    client: httpx.AsyncClient,
    create_user: CreateUser,
    patch_user: PatchUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await create_user("bjensen")
    unless_changed = SqlTransaction.update_unless_changed
    raced: list[int] = []

    async def racing(self: SqlTransaction, *args: Any, **kwargs: Any) -> Any:
        if not raced:  # another writer moves the version between this PATCH's read and write
            raced.append(
                await self.executor.execute(sa.text("UPDATE resources SET version = version + 1"))
            )
        return await unless_changed(self, *args, **kwargs)

    monkeypatch.setattr(SqlTransaction, "update_unless_changed", racing)
    response = await patch_user(user["id"], {"op": "replace", "path": "displayName", "value": "B"})
    assert response.status_code == 200, response.text
    assert raced == [1]
    stored = await _fetch(client, user["id"])
    assert stored["displayName"] == "B"
    assert stored["meta"]["version"] == 'W/"3"'
