"""Every committed change writes its events with it; nothing else does (issue 12)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import (
    USER_SCHEMA,
    CreateGroup,
    CreateUser,
    MakeApp,
    PatchUser,
    client_for,
    group_payload,
    patch_payload,
    user_payload,
)
from tests.events.helpers import all_events, types

EVENT_KEYS = [
    "sequence",
    "type",
    "time",
    "tenant",
    "resource_type",
    "resource_id",
    "version",
    "resource",
    "changed",
    "previous",
    "members",
    "request_id",
    "token",
    "client",
]


async def test_a_created_user_is_one_event_in_the_documented_shape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/scim/v2/Users",
        json=user_payload("bjensen", displayName="Babs", password="s3cret!"),
        headers={"User-Agent": "Okta SCIM Client 1.0.0", "X-Request-Id": "req-1"},
    )
    user = response.json()
    [event] = await all_events(app)
    assert list(event) == EVENT_KEYS
    assert event["sequence"] == 1
    assert event["type"] == "user.created"
    assert event["tenant"] == "default"
    assert (event["resource_type"], event["resource_id"]) == ("User", user["id"])
    assert event["version"] == 1
    assert event["resource"] == user
    assert set(event["changed"]) == {"schemas", "userName", "displayName"}
    assert event["previous"] == {}
    assert event["members"] is None
    assert (event["request_id"], event["client"]) == ("req-1", "Okta")
    assert event["time"].endswith("Z")


async def test_no_event_carries_a_password(app: FastAPI, create_user: CreateUser) -> None:
    await create_user("bjensen", password="s3cret!")
    assert "s3cret!" not in str(await all_events(app))


async def test_a_changed_attribute_is_named_with_its_previous_value(
    app: FastAPI, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", name={"givenName": "Barbara", "familyName": "Jensen"})
    response = await patch_user(
        user["id"], {"op": "replace", "path": "name.givenName", "value": "Babs"}
    )
    event = (await all_events(app))[-1]
    assert event["type"] == "user.updated"
    assert event["version"] == 2 == int(response.json()["meta"]["version"].strip('W/"'))
    assert event["changed"] == ["name.givenName"]
    assert event["previous"] == {"name.givenName": "Barbara"}
    assert event["resource"]["name"]["givenName"] == "Babs"


async def test_an_active_flip_in_a_patch_is_a_deactivation(
    app: FastAPI, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", active=True)
    await patch_user(user["id"], {"op": "replace", "value": {"active": False}})
    assert (await types(app))[-1] == "user.deactivated"


async def test_an_active_flip_in_a_put_is_a_reactivation(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user("bjensen", active=False)
    body = user_payload("bjensen", active=True, displayName="Babs")
    await client.put(f"/scim/v2/Users/{user['id']}", json=body)
    event = (await all_events(app))[-1]
    assert event["type"] == "user.reactivated"
    assert set(event["changed"]) == {"active", "displayName"}


async def test_a_patch_that_changes_nothing_emits_nothing(
    app: FastAPI, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", displayName="Babs")
    await patch_user(user["id"], {"op": "replace", "path": "displayName", "value": "Babs"})
    assert await types(app) == ["user.created"]


async def test_a_put_that_changes_nothing_emits_nothing(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user("bjensen", displayName="Babs")
    await client.put(
        f"/scim/v2/Users/{user['id']}", json=user_payload("bjensen", displayName="Babs")
    )
    assert await types(app) == ["user.created"]


async def test_a_refused_write_emits_nothing(
    app: FastAPI, create_user: CreateUser, client: httpx.AsyncClient
) -> None:
    await create_user("bjensen")
    response = await client.post("/scim/v2/Users", json=user_payload("BJensen"))
    assert response.status_code == 409
    assert await types(app) == ["user.created"]


async def test_a_write_rolled_back_after_changing_members_emits_nothing(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen")
    await create_group("Taken")
    group = await create_group("Admins")
    before = await types(app)
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        json=patch_payload(
            {"op": "add", "path": "members", "value": [{"value": user["id"]}]},
            {"op": "replace", "path": "displayName", "value": "Taken"},
        ),
    )
    assert response.status_code == 409
    assert await types(app) == before


async def test_a_group_created_with_members_says_who(
    app: FastAPI, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen")
    group = await create_group("Admins", user["id"])
    created, added = (await all_events(app))[1:]
    assert created["type"] == "group.created"
    assert "members" not in created["resource"]
    assert added["type"] == "group.members_added"
    assert added["resource_id"] == group["id"]
    assert added["members"] == [{"value": user["id"], "type": "User"}]


async def test_adding_a_member_twice_reports_it_once(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    first, second = await create_user("bjensen"), await create_user("jsmith")
    group = await create_group("Admins", first["id"])
    value = [{"value": first["id"]}, {"value": second["id"]}]
    await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        json=patch_payload({"op": "add", "path": "members", "value": value}),
    )
    event = (await all_events(app))[-1]
    assert event["type"] == "group.members_added"
    assert event["members"] == [{"value": second["id"], "type": "User"}]
    assert event["version"] == 2


async def test_removing_an_absent_member_emits_nothing(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen")
    group = await create_group("Admins")
    before = await types(app)
    await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        json=patch_payload({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}),
    )
    assert await types(app) == before


async def test_a_replace_reports_who_left_and_who_came(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    stays, goes, comes = [await create_user(n) for n in ("a", "b", "c")]
    group = await create_group("Admins", stays["id"], goes["id"])
    body = group_payload("Admins", stays["id"], comes["id"])
    await client.put(f"/scim/v2/Groups/{group['id']}", json=body)
    removed, added = (await all_events(app))[-2:]
    assert removed["type"] == "group.members_removed"
    assert removed["members"] == [{"value": goes["id"], "type": "User"}]
    assert added["members"] == [{"value": comes["id"], "type": "User"}]


async def test_member_events_hold_at_most_a_thousand_ids(
    app: FastAPI, client: httpx.AsyncClient, bulk_users: Any, create_group: CreateGroup
) -> None:
    ids = await bulk_users([{"userName": f"u{i}"} for i in range(2500)])
    group = await create_group("Everyone")
    members = [{"value": i} for i in ids]
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        json=patch_payload({"op": "add", "path": "members", "value": members}),
    )
    assert response.status_code == 204, response.text
    chunks = [e for e in await all_events(app) if e["type"] == "group.members_added"]
    assert [len(e["members"]) for e in chunks] == [1000, 1000, 500]
    assert {m["value"] for e in chunks for m in e["members"]} == set(ids)


async def test_deleting_a_user_first_removes_it_from_its_groups(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    user = await create_user("bjensen")
    group = await create_group("Admins", user["id"])
    await client.delete(f"/scim/v2/Users/{user['id']}")
    removed, deleted = (await all_events(app))[-2:]
    assert removed["type"] == "group.members_removed"
    assert removed["resource_id"] == group["id"]
    assert removed["version"] == 2
    assert removed["members"] == [{"value": user["id"], "type": "User"}]
    assert (deleted["type"], deleted["resource_id"]) == ("user.deleted", user["id"])


async def test_deleting_a_nested_group_removes_it_from_its_parent_first(
    app: FastAPI, client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    child = await create_group("Child")
    parent = await create_group("Parent", child["id"])
    await client.delete(f"/scim/v2/Groups/{child['id']}")
    removed, deleted = (await all_events(app))[-2:]
    assert (removed["type"], removed["resource_id"]) == ("group.members_removed", parent["id"])
    assert removed["members"] == [{"value": child["id"], "type": "Group"}]
    assert (deleted["type"], deleted["resource_id"]) == ("group.deleted", child["id"])


async def test_a_deleted_group_is_one_event(
    app: FastAPI, client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    await client.delete(f"/scim/v2/Groups/{group['id']}")
    assert await types(app) == ["group.created", "group.deleted"]


async def test_group_updates_name_the_changed_attribute(
    app: FastAPI, client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        json=patch_payload({"op": "replace", "path": "displayName", "value": "Root"}),
    )
    event = (await all_events(app))[-1]
    assert (event["type"], event["changed"], event["previous"]) == (
        "group.updated",
        ["displayName"],
        {"displayName": "Admins"},
    )


async def test_sequences_count_per_tenant(make_app: MakeApp) -> None:
    app = make_app()
    await app.state.store.create_token("other", "d" * 64, "other")
    async with client_for(app) as client:
        await client.post("/scim/v2/Users", json=user_payload("a"))
        await client.post("/scim/v2/Users", json=user_payload("b"))
    assert [e["sequence"] for e in await all_events(app)] == [1, 2]
    assert await all_events(app, "other") == []


async def test_events_off_writes_none(make_app: MakeApp) -> None:
    app = make_app(events=False)
    async with client_for(app) as client:
        response = await client.post(
            "/scim/v2/Users", json={"schemas": [USER_SCHEMA], "userName": "a"}
        )
    assert response.status_code == 201
    assert await all_events(app) == []
