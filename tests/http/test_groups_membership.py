"""Derived and relational membership behaviour (RFC 7643 §4.1.2 groups, §4.2 members)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from app.http.auth import digest
from tests.conftest import (
    BASE,
    CreateGroup,
    CreateUser,
    assert_scim_error,
    client_for,
    group_payload,
    patch_payload,
)


def _add(*ids: str) -> dict[str, Any]:
    return patch_payload({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})


async def _member_ids(client: httpx.AsyncClient, group_id: str) -> set[str]:
    body = (await client.get(f"/scim/v2/Groups/{group_id}")).json()
    return {m["value"] for m in body.get("members", [])}


async def test_user_groups_lists_direct_and_indirect_groups(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    inner = await create_group("Inner", alice["id"])
    outer = await create_group("Outer", inner["id"])
    body = (await client.get(f"/scim/v2/Users/{alice['id']}")).json()
    assert body["groups"] == [
        {
            "value": inner["id"],
            "$ref": f"{BASE}/Groups/{inner['id']}",
            "display": "Inner",
            "type": "direct",
        },
        {
            "value": outer["id"],
            "$ref": f"{BASE}/Groups/{outer['id']}",
            "display": "Outer",
            "type": "indirect",
        },
    ]


async def test_group_reached_directly_and_through_nesting_is_direct(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    inner = await create_group("Inner", alice["id"])
    await create_group("Outer", inner["id"], alice["id"])
    body = (await client.get(f"/scim/v2/Users/{alice['id']}")).json()
    assert {g["display"]: g["type"] for g in body["groups"]} == {
        "Inner": "direct",
        "Outer": "direct",
    }


async def test_user_in_no_group_has_no_groups(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    alice = await create_user("alice")
    assert "groups" not in (await client.get(f"/scim/v2/Users/{alice['id']}")).json()


async def test_user_list_renders_groups_per_user(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    await create_user("bob")
    group = await create_group("Admins", alice["id"])
    listing = (await client.get("/scim/v2/Users")).json()
    groups = {
        u["userName"]: [g["value"] for g in u.get("groups", [])] for u in listing["Resources"]
    }
    assert groups == {"alice": [group["id"]], "bob": []}


async def test_user_groups_excluded_on_request(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    await create_group("Admins", alice["id"])
    response = await client.get(
        f"/scim/v2/Users/{alice['id']}", params={"excludedAttributes": "groups"}
    )
    assert "groups" not in response.json()


async def test_groups_sent_on_user_create_are_ignored(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    user = await create_user("alice", groups=[{"value": group["id"]}])
    assert "groups" not in user
    assert await _member_ids(client, group["id"]) == set()


async def test_deleting_a_user_removes_its_memberships(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"], bob["id"])
    assert (await client.delete(f"/scim/v2/Users/{alice['id']}")).status_code == 204
    assert await _member_ids(client, group["id"]) == {bob["id"]}


async def test_deleting_a_group_removes_it_from_other_groups(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    inner = await create_group("Inner", alice["id"])
    outer = await create_group("Outer", inner["id"], alice["id"])
    assert (await client.delete(f"/scim/v2/Groups/{inner['id']}")).status_code == 204
    assert await _member_ids(client, outer["id"]) == {alice["id"]}
    groups = (await client.get(f"/scim/v2/Users/{alice['id']}")).json()["groups"]
    assert [g["value"] for g in groups] == [outer["id"]]


async def test_deleting_a_member_moves_the_version_of_its_groups(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    before = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()["meta"]
    assert (await client.delete(f"/scim/v2/Users/{alice['id']}")).status_code == 204
    response = await client.get(
        f"/scim/v2/Groups/{group['id']}", headers={"If-None-Match": before["version"]}
    )
    assert response.status_code == 200
    assert response.json()["meta"]["version"] != before["version"]
    assert response.json()["meta"]["lastModified"] > before["lastModified"]


async def test_deleting_a_non_member_leaves_other_groups_versions(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"])
    assert (await client.delete(f"/scim/v2/Users/{bob['id']}")).status_code == 204
    fetched = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert fetched["meta"]["version"] == group["meta"]["version"]


async def test_delete_through_the_wrong_endpoint_moves_no_version(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    inner = await create_group("Inner")
    outer = await create_group("Outer", inner["id"])
    assert_scim_error(await client.delete(f"/scim/v2/Users/{inner['id']}"), 404)
    fetched = (await client.get(f"/scim/v2/Groups/{outer['id']}")).json()
    assert fetched["meta"]["version"] == outer["meta"]["version"]


async def test_group_cannot_contain_itself(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    response = await client.patch(f"/scim/v2/Groups/{group['id']}", json=_add(group["id"]))
    assert_scim_error(response, 400, "invalidValue")
    assert await _member_ids(client, group["id"]) == set()


async def test_nested_cycle_is_refused(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    a = await create_group("A")
    b = await create_group("B", a["id"])
    c = await create_group("C", b["id"])
    response = await client.patch(f"/scim/v2/Groups/{a['id']}", json=_add(c["id"]))
    assert_scim_error(response, 400, "invalidValue")
    assert await _member_ids(client, a["id"]) == set()


async def test_cycle_through_put_is_refused(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    a = await create_group("A")
    b = await create_group("B", a["id"])
    payload = {"schemas": [b["schemas"][0]], "displayName": "A", "members": [{"value": b["id"]}]}
    response = await client.put(f"/scim/v2/Groups/{a['id']}", json=payload)
    assert_scim_error(response, 400, "invalidValue")


async def test_user_of_another_tenant_is_an_unknown_member(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    alice = await create_user("alice")
    await app.state.store.create_token("other", digest("other-token"), "other-tenant")
    async with client_for(app, {"Authorization": "Bearer other-token"}) as other:
        created = await other.post("/scim/v2/Groups", json=group_payload("Theirs"))
        response = await other.patch(
            f"/scim/v2/Groups/{created.json()['id']}", json=_add(alice["id"])
        )
    assert_scim_error(response, 400, "invalidValue")


async def test_twenty_concurrent_adds_all_land(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    users = [await create_user(f"user{i}") for i in range(20)]
    group = await create_group("Admins")
    responses = await asyncio.gather(
        *(client.patch(f"/scim/v2/Groups/{group['id']}", json=_add(u["id"])) for u in users)
    )
    assert [r.status_code for r in responses] == [204] * 20
    assert await _member_ids(client, group["id"]) == {u["id"] for u in users}
    final = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert final["meta"]["version"] == 'W/"21"'


async def test_concurrent_cross_nesting_lets_only_one_side_in(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    a, b = await create_group("A"), await create_group("B")
    responses = await asyncio.gather(
        client.patch(f"/scim/v2/Groups/{a['id']}", json=_add(b["id"])),
        client.patch(f"/scim/v2/Groups/{b['id']}", json=_add(a["id"])),
    )
    assert sorted(r.status_code for r in responses) == [204, 400]
    memberships = await _member_ids(client, a["id"]) | await _member_ids(client, b["id"])
    assert len(memberships) == 1
