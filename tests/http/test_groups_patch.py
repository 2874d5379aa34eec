"""PATCH on Groups (RFC 7644 §3.5.2): member operations are set operations on rows."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import (
    CreateGroup,
    CreateUser,
    MakeApp,
    assert_scim_error,
    client_for,
    patch_payload,
)

MISSING = "6f1c2b8e-0000-4000-8000-000000000000"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


async def _members(client: httpx.AsyncClient, group_id: str) -> set[str]:
    body = (await client.get(f"/scim/v2/Groups/{group_id}")).json()
    return {m["value"] for m in body.get("members", [])}


async def _patch(client: httpx.AsyncClient, group_id: str, *ops: dict[str, Any]) -> httpx.Response:
    return await client.patch(f"/scim/v2/Groups/{group_id}", json=patch_payload(*ops))


async def test_add_members_with_several_values(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins")
    value = [{"value": alice["id"]}, {"value": bob["id"]}]
    response = await _patch(client, group["id"], {"op": "add", "path": "members", "value": value})
    assert response.status_code == 204, response.text
    assert await _members(client, group["id"]) == {alice["id"], bob["id"]}


async def test_add_existing_member_is_ignored(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    op = {"op": "add", "path": "members", "value": [{"value": alice["id"]}]}
    response = await _patch(client, group["id"], op)
    assert response.status_code == 204, response.text
    assert response.headers["etag"] == 'W/"1"'
    assert await _members(client, group["id"]) == {alice["id"]}


async def test_entra_capitalised_add_with_null_ref(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    op = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": alice["id"]}]}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {alice["id"]}


async def test_remove_member_by_value_filter(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"], bob["id"])
    op = {"op": "remove", "path": f'members[value eq "{alice["id"]}"]'}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {bob["id"]}


async def test_remove_members_with_value_list_entra(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"], bob["id"])
    op = {"op": "Remove", "path": "members", "value": [{"value": bob["id"]}]}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {alice["id"]}


async def test_remove_members_without_value_removes_all(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"], bob["id"])
    assert (
        await _patch(client, group["id"], {"op": "remove", "path": "members"})
    ).status_code == 204
    assert await _members(client, group["id"]) == set()


async def test_remove_members_with_empty_value_list_removes_nothing(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    op = {"op": "Remove", "path": "members", "value": []}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {alice["id"]}


async def test_remove_absent_member_is_no_error(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    op = {"op": "remove", "path": f'members[value eq "{MISSING}"]'}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {alice["id"]}


async def test_replace_members_sets_exactly_the_given_members(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob, carol = [await create_user(n) for n in ("alice", "bob", "carol")]
    group = await create_group("Admins", alice["id"], bob["id"])
    value = [{"value": bob["id"]}, {"value": carol["id"]}]
    op = {"op": "replace", "path": "members", "value": value}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {bob["id"], carol["id"]}


async def test_pathless_replace_with_members_sets_them(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"])
    op = {"op": "replace", "value": {"members": [{"value": bob["id"]}]}}
    assert (await _patch(client, group["id"], op)).status_code == 204
    assert await _members(client, group["id"]) == {bob["id"]}


async def test_okta_pathless_rename_with_id_and_member_changes(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"])
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        params={"excludedAttributes": "members"},
        json=patch_payload(
            {
                "op": "replace",
                "value": {"id": group["id"], "displayName": "Renamed", "externalId": "okta-9"},
            },
            {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
            {"op": "remove", "path": f'members[value eq "{alice["id"]}"]'},
        ),
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Renamed"
    assert response.json()["externalId"] == "okta-9"
    assert response.json()["id"] == group["id"]
    assert await _members(client, group["id"]) == {bob["id"]}


async def test_pathless_replace_with_another_id_is_400_mutability(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    op = {"op": "replace", "value": {"id": MISSING, "displayName": "Renamed"}}
    assert_scim_error(await _patch(client, group["id"], op), 400, "mutability")
    fetched = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert fetched["displayName"] == "Admins"


async def test_operations_apply_in_order(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    response = await _patch(
        client,
        group["id"],
        {"op": "add", "path": "members", "value": [{"value": alice["id"]}]},
        {"op": "remove", "path": f'members[value eq "{alice["id"]}"]'},
    )
    assert response.status_code == 204
    assert await _members(client, group["id"]) == set()


async def test_unknown_member_is_400_and_nothing_changes(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob = await create_user("alice"), await create_user("bob")
    group = await create_group("Admins", alice["id"])
    response = await _patch(
        client,
        group["id"],
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "remove", "path": f'members[value eq "{alice["id"]}"]'},
        {"op": "add", "path": "members", "value": [{"value": bob["id"]}, {"value": MISSING}]},
    )
    assert_scim_error(response, 400, "invalidValue")
    after = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert after["displayName"] == "Admins"
    assert after["meta"]["version"] == 'W/"1"'
    assert {m["value"] for m in after["members"]} == {alice["id"]}


async def test_member_value_spelled_otherwise_than_issued_is_400(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    op = {"op": "add", "path": "members", "value": [{"value": alice["id"].upper()}]}
    assert_scim_error(await _patch(client, group["id"], op), 400, "invalidValue")
    assert await _members(client, group["id"]) == set()


async def test_failing_document_operation_leaves_members_unchanged(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    await create_group("Taken")
    group = await create_group("Admins")
    response = await _patch(
        client,
        group["id"],
        {"op": "add", "path": "members", "value": [{"value": alice["id"]}]},
        {"op": "replace", "path": "displayName", "value": "taken"},
    )
    assert_scim_error(response, 409, "uniqueness")
    assert await _members(client, group["id"]) == set()


async def test_member_sub_attribute_path_is_400_invalid_path(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    op = {"op": "replace", "path": f'members[value eq "{alice["id"]}"].display', "value": "x"}
    assert_scim_error(await _patch(client, group["id"], op), 400, "invalidPath")


async def test_response_is_204_without_a_body_by_default(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    """RFC 7644 §3.5.2: a 200 carries the entire resource; a group answers 204 instead."""
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    op = {"op": "replace", "path": "displayName", "value": "Renamed"}
    response = await _patch(client, group["id"], op)
    assert response.status_code == 204
    assert response.content == b"" and response.headers["etag"] == 'W/"2"'


async def test_response_leaves_members_out_when_excluded(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins", alice["id"])
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        params={"excludedAttributes": "members"},
        json=patch_payload({"op": "replace", "path": "displayName", "value": "Renamed"}),
    )
    assert response.status_code == 200
    assert "members" not in response.json() and response.json()["displayName"] == "Renamed"


async def test_response_has_members_when_attributes_ask(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        params={"attributes": "members"},
        json=patch_payload({"op": "add", "path": "members", "value": [{"value": alice["id"]}]}),
    )
    assert response.status_code == 200
    assert [m["value"] for m in response.json()["members"]] == [alice["id"]]


async def test_full_setting_answers_200_with_every_member(make_app: MakeApp) -> None:
    async with client_for(make_app(group_patch_returns="full")) as client:
        alice = await client.post("/scim/v2/Users", json={"schemas": [USER], "userName": "a"})
        created = await client.post(
            "/scim/v2/Groups",
            json={
                "schemas": [GROUP],
                "displayName": "A",
                "members": [{"value": alice.json()["id"]}],
            },
        )
        op = {"op": "replace", "path": "displayName", "value": "B"}
        response = await _patch(client, created.json()["id"], op)
    assert response.status_code == 200
    assert [m["value"] for m in response.json()["members"]] == [alice.json()["id"]]


async def test_membership_change_moves_the_version(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    op = {"op": "add", "path": "members", "value": [{"value": alice["id"]}]}
    response = await _patch(client, group["id"], op)
    assert response.headers["etag"] == 'W/"2"'


async def test_if_match_mismatch_is_412(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}",
        headers={"If-Match": 'W/"7"'},
        json=patch_payload({"op": "add", "path": "members", "value": [{"value": alice["id"]}]}),
    )
    assert_scim_error(response, 412)
    assert await _members(client, group["id"]) == set()


async def test_unknown_group_is_404(client: httpx.AsyncClient) -> None:
    response = await _patch(client, MISSING, {"op": "remove", "path": "members"})
    assert_scim_error(response, 404)


async def test_patch_without_patch_schema_is_400_invalid_syntax(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    response = await client.patch(
        f"/scim/v2/Groups/{group['id']}", json={"Operations": [{"op": "remove", "path": "members"}]}
    )
    assert_scim_error(response, 400, "invalidSyntax")


async def test_pathless_remove_is_400_no_target(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    assert_scim_error(await _patch(client, group["id"], {"op": "remove"}), 400, "noTarget")


async def test_unknown_attribute_path_is_400_invalid_path(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    op = {"op": "replace", "path": "bogus", "value": 1}
    assert_scim_error(await _patch(client, group["id"], op), 400, "invalidPath")


async def test_removing_display_name_is_400_mutability(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    op = {"op": "remove", "path": "displayName"}
    assert_scim_error(await _patch(client, group["id"], op), 400, "mutability")


async def test_member_selection_other_than_value_is_400_invalid_path(
    client: httpx.AsyncClient, create_group: CreateGroup
) -> None:
    group = await create_group("Admins")
    op = {"op": "remove", "path": 'members[type eq "User"]'}
    assert_scim_error(await _patch(client, group["id"], op), 400, "invalidPath")
