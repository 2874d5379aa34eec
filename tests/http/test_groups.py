"""Groups CRUD and reads (RFC 7643 §4.2, RFC 7644 §3.3-§3.6): members rendered from rows."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.scim import relations
from tests.conftest import (
    BASE,
    GROUP_SCHEMA,
    CreateGroup,
    CreateUser,
    assert_scim_error,
    group_payload,
)


async def test_create_returns_201_with_members_rendered(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user("bjensen", displayName="Barbara Jensen")
    response = await client.post("/scim/v2/Groups", json=group_payload("Admins", user["id"]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{BASE}/Groups/{body['id']}"
    assert body["schemas"] == [GROUP_SCHEMA]
    assert body["meta"]["resourceType"] == "Group"
    assert body["members"] == [
        {
            "value": user["id"],
            "$ref": f"{BASE}/Users/{user['id']}",
            "display": "Barbara Jensen",
            "type": "User",
        }
    ]


async def test_member_display_falls_back_to_user_name(
    create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen")
    group = await create_group("Admins", user["id"])
    assert group["members"][0]["display"] == "bjensen"


async def test_member_display_sent_by_the_client_is_kept(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen", displayName="Barbara Jensen")
    group = await create_group("Admins")
    member = {"value": user["id"], "display": "Babs (from Okta)"}
    operation = {"op": "add", "path": "members", "value": [member]}
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}?attributes=members",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [operation],
        },
    )
    assert response.json()["members"][0]["display"] == "Babs (from Okta)"
    fetched = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert fetched["members"][0]["display"] == "Babs (from Okta)"


async def test_nested_group_member_has_type_group(create_group: CreateGroup) -> None:
    inner = await create_group("Inner")
    outer = await create_group("Outer", inner["id"])
    assert outer["members"] == [
        {
            "value": inner["id"],
            "$ref": f"{BASE}/Groups/{inner['id']}",
            "display": "Inner",
            "type": "Group",
        }
    ]


async def test_duplicate_display_name_in_other_case_is_409_uniqueness(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    await create_group("Admins")
    response = await client.post("/scim/v2/Groups", json=group_payload("ADMINS"))
    assert_scim_error(response, 409, "uniqueness")


async def test_create_with_unknown_member_is_400_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    payload = group_payload("Admins", "6f1c2b8e-0000-4000-8000-000000000000")
    response = await client.post("/scim/v2/Groups", json=payload)
    assert_scim_error(response, 400, "invalidValue")
    assert (await client.get("/scim/v2/Groups")).json()["totalResults"] == 0


async def test_create_with_non_uuid_member_is_400_invalid_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Groups", json=group_payload("Admins", "not-an-id"))
    assert_scim_error(response, 400, "invalidValue")


async def test_missing_display_name_is_400_invalid_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Groups", json={"schemas": [GROUP_SCHEMA]})
    assert_scim_error(response, 400, "invalidValue")


async def test_get_renders_members(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    users = [await create_user(f"user{i}") for i in range(3)]
    group = await create_group("Admins", *(u["id"] for u in users))
    body = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert sorted(m["value"] for m in body["members"]) == sorted(u["id"] for u in users)


async def test_get_streams_members_across_batches(
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(relations, "STREAM_BATCH", 2)
    users = [await create_user(f"user{i}") for i in range(5)]
    group = await create_group("Admins", *(u["id"] for u in users))
    response = await client.get(f"/scim/v2/Groups/{group['id']}")
    assert response.headers["content-type"] == "application/scim+json; charset=utf-8"
    assert response.headers["etag"] == 'W/"1"'
    body = response.json()
    assert sorted(m["value"] for m in body["members"]) == sorted(u["id"] for u in users)
    assert body["meta"]["location"] == f"{BASE}/Groups/{group['id']}"


async def test_get_of_group_without_members_has_no_members_attribute(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Empty")
    body = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert "members" not in body
    assert body["displayName"] == "Empty"


async def test_get_with_matching_if_none_match_is_304(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    response = await client.get(
        f"/scim/v2/Groups/{group['id']}", headers={"If-None-Match": 'W/"1"'}
    )
    assert response.status_code == 304
    assert response.content == b""


async def test_get_of_unknown_group_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Groups/6f1c2b8e-0000-4000-8000-000000000000")
    assert_scim_error(response, 404)


async def test_get_with_excluded_members_leaves_them_out(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    group = await create_group("Admins", user["id"])
    response = await client.get(
        f"/scim/v2/Groups/{group['id']}", params={"excludedAttributes": "members"}
    )
    assert response.status_code == 200
    assert "members" not in response.json()
    assert response.json()["displayName"] == "Admins"


async def test_get_with_attributes_not_naming_members_leaves_them_out(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    group = await create_group("Admins", user["id"])
    body = (
        await client.get(f"/scim/v2/Groups/{group['id']}", params={"attributes": "displayName"})
    ).json()
    assert "members" not in body


async def test_list_renders_members_of_each_group(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    await create_group("A", alice["id"])
    await create_group("B", bob["id"], alice["id"])
    listing = (await client.get("/scim/v2/Groups")).json()
    members = {g["displayName"]: {m["value"] for m in g["members"]} for g in listing["Resources"]}
    assert members == {"A": {alice["id"]}, "B": {alice["id"], bob["id"]}}


async def test_list_excluding_members_leaves_them_out(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    await create_group("Admins", user["id"])
    listing = (await client.get("/scim/v2/Groups", params={"excludedAttributes": "members"})).json()
    assert listing["totalResults"] == 1
    assert "members" not in listing["Resources"][0]


async def test_filter_by_display_name_ignores_case(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    await create_group("Others")
    listing = (
        await client.get("/scim/v2/Groups", params={"filter": 'displayName eq "ADMINS"'})
    ).json()
    assert [g["id"] for g in listing["Resources"]] == [group["id"]]


async def test_external_id_is_kept_and_filterable(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins", externalId="okta-123")
    assert group["externalId"] == "okta-123"
    listing = (
        await client.get("/scim/v2/Groups", params={"filter": 'externalId eq "okta-123"'})
    ).json()
    assert [g["id"] for g in listing["Resources"]] == [group["id"]]


async def test_members_are_rows_not_part_of_the_stored_document(
    database_url: str, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    group = await create_group("Admins", user["id"])
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        document = (
            await connection.execute(
                sa.text("SELECT document FROM resources WHERE display_name = 'Admins'")
            )
        ).scalar_one()
        rows = (await connection.execute(sa.text("SELECT count(*) FROM memberships"))).scalar_one()
    await engine.dispose()
    assert "members" not in str(document)
    assert rows == 1
    assert group["members"][0]["value"] == user["id"]


async def test_put_replaces_members_with_the_given_set(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob, carol = [await create_user(n) for n in ("alice", "bob", "carol")]
    group = await create_group("Admins", alice["id"], bob["id"])
    response = await client.put(
        f"/scim/v2/Groups/{group['id']}", json=group_payload("Admins", bob["id"], carol["id"])
    )
    assert response.status_code == 200, response.text
    assert {m["value"] for m in response.json()["members"]} == {bob["id"], carol["id"]}
    assert response.json()["meta"]["version"] == 'W/"2"'


async def test_put_without_members_clears_them(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    group = await create_group("Admins", user["id"])
    response = await client.put(f"/scim/v2/Groups/{group['id']}", json=group_payload("Admins"))
    assert response.status_code == 200, response.text
    assert "members" not in response.json()


async def test_put_with_unknown_member_is_400_and_changes_nothing(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user()
    group = await create_group("Admins", user["id"])
    payload = group_payload("Renamed", "6f1c2b8e-0000-4000-8000-000000000000")
    response = await client.put(f"/scim/v2/Groups/{group['id']}", json=payload)
    assert_scim_error(response, 400, "invalidValue")
    after = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert after["displayName"] == "Admins"
    assert [m["value"] for m in after["members"]] == [user["id"]]


async def test_delete_returns_204_then_404(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    assert (await client.delete(f"/scim/v2/Groups/{group['id']}")).status_code == 204
    assert_scim_error(await client.delete(f"/scim/v2/Groups/{group['id']}"), 404)
