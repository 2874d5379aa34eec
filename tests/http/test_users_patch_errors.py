"""PATCH errors carry the scimType of RFC 7644 §3.12 and write nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import (
    PATCH_SCHEMA,
    CreateUser,
    MakeApp,
    PatchUser,
    assert_scim_error,
    client_for,
    patch_payload,
    user_payload,
)


async def test_remove_without_path_is_no_target(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    assert_scim_error(await patch_user(user["id"], {"op": "remove"}), 400, "noTarget")


async def test_replace_through_filter_matching_nothing_is_no_target_when_not_describable(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """Only eq filters describe an entry to create; ``co`` matching nothing is noTarget."""
    user = await create_user()
    op = {"op": "replace", "path": 'emails[value co "@x"].type', "value": "work"}
    assert_scim_error(await patch_user(user["id"], op), 400, "noTarget")


async def test_unknown_attribute_path_is_invalid_path(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    op = {"op": "replace", "path": "favouriteColour", "value": "blue"}
    assert_scim_error(await patch_user(user["id"], op), 400, "invalidPath")


async def test_unparsable_path_is_invalid_path(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    op = {"op": "replace", "path": 'emails[type eq "work"', "value": "x"}
    assert_scim_error(await patch_user(user["id"], op), 400, "invalidPath")


@pytest.mark.parametrize(
    ("op", "path", "value"),
    [
        ("replace", "id", "other"),
        ("replace", "meta.created", "2020-01-01T00:00:00Z"),
        ("add", "groups", [{"value": "2819c223-7f76-453a-919d-413861904646"}]),
        ("remove", "groups", None),
    ],
)
async def test_read_only_target_is_mutability(
    create_user: CreateUser, patch_user: PatchUser, op: str, path: str, value: object
) -> None:
    user = await create_user()
    operation = {"op": op, "path": path, **({"value": value} if value is not None else {})}
    assert_scim_error(await patch_user(user["id"], operation), 400, "mutability")


async def test_pathless_id_of_another_resource_is_mutability(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    value = {"id": "2819c223-7f76-453a-919d-413861904646", "nickName": "x"}
    response = await patch_user(user["id"], {"op": "replace", "value": value})
    assert_scim_error(response, 400, "mutability")


async def test_removing_required_attribute_is_mutability(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.2: a required attribute removed or unassigned SHALL be ``mutability``."""
    user = await create_user()
    response = await patch_user(user["id"], {"op": "remove", "path": "userName"})
    assert_scim_error(response, 400, "mutability")


async def test_replacing_required_attribute_with_null_is_mutability(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    response = await patch_user(user["id"], {"op": "replace", "path": "userName", "value": None})
    assert_scim_error(response, 400, "mutability")


@pytest.mark.parametrize(
    ("path", "value"),
    [("active", "maybe"), ("name", 5), ("emails", "not-a-list-of-objects"), ("title", {"a": 1})],
)
async def test_value_of_wrong_type_is_invalid_value(
    create_user: CreateUser, patch_user: PatchUser, path: str, value: object
) -> None:
    user = await create_user()
    response = await patch_user(user["id"], {"op": "replace", "path": path, "value": value})
    assert_scim_error(response, 400, "invalidValue")
    assert "errors.pydantic.dev" not in response.json()["detail"]


async def test_unknown_op_is_invalid_value(create_user: CreateUser, patch_user: PatchUser) -> None:
    user = await create_user()
    op = {"op": "merge", "path": "nickName", "value": "x"}
    assert_scim_error(await patch_user(user["id"], op), 400, "invalidValue")


async def test_missing_operations_is_invalid_value(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    body = {"schemas": [PATCH_SCHEMA]}
    response = await client.patch(f"/scim/v2/Users/{user['id']}", json=body)
    assert_scim_error(response, 400, "invalidValue")


async def test_body_that_is_not_an_object_is_invalid_syntax(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    response = await client.patch(f"/scim/v2/Users/{user['id']}", json=[1])
    assert_scim_error(response, 400, "invalidSyntax")


async def test_body_with_another_message_schema_is_invalid_syntax(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    body = {**patch_payload({"op": "add", "path": "title", "value": "x"}), "schemas": ["urn:x"]}
    response = await client.patch(f"/scim/v2/Users/{user['id']}", json=body)
    assert_scim_error(response, 400, "invalidSyntax")


async def test_more_operations_than_the_limit_is_400_saying_why(make_app: MakeApp) -> None:
    async with client_for(make_app(max_patch_operations=2)) as client:
        created = await client.post(
            "/scim/v2/Users",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"},
        )
        user_id = created.json()["id"]
        ops = [{"op": "add", "path": "title", "value": str(n)} for n in range(3)]
        response = await client.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(*ops))
        assert_scim_error(response, 400, "invalidValue")
        assert "at most 2 in one request" in response.json()["detail"]
        accepted = await client.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(*ops[:2]))
        assert accepted.status_code == 200


def _filtered_primary(n: int) -> dict[str, object]:
    return {"op": "replace", "path": f'emails[value eq "u{n}@x.co"].primary', "value": False}


async def test_patch_walking_more_list_entries_than_the_limit_is_400(make_app: MakeApp) -> None:
    async with client_for(make_app(max_patch_list_entries=50)) as client:
        emails = [{"value": f"u{n}@x.co"} for n in range(20)]
        created = await client.post("/scim/v2/Users", json=user_payload("a", emails=emails))
        user = created.json()
        ops = [_filtered_primary(n) for n in range(3)]  # 3 x 20 entries walked
        response = await client.patch(f"/scim/v2/Users/{user['id']}", json=patch_payload(*ops))
        assert_scim_error(response, 400, "invalidValue")
        assert "SCIM_MAX_PATCH_LIST_ENTRIES" in response.json()["detail"]
        fetched = (await client.get(f"/scim/v2/Users/{user['id']}")).json()
        assert fetched["meta"]["version"] == user["meta"]["version"]


async def test_patch_within_the_list_entry_limit_applies(make_app: MakeApp) -> None:
    async with client_for(make_app(max_patch_list_entries=50)) as client:
        emails = [{"value": f"u{n}@x.co"} for n in range(20)]
        created = await client.post("/scim/v2/Users", json=user_payload("a", emails=emails))
        ops = [_filtered_primary(n) for n in range(2)]  # 2 x 20 entries walked
        response = await client.patch(
            f"/scim/v2/Users/{created.json()['id']}", json=patch_payload(*ops)
        )
        assert response.status_code == 200, response.text


async def test_adds_count_the_entries_they_append_to(make_app: MakeApp) -> None:
    """Many one-value adds walk a growing list (duplicates are skipped by comparison)."""
    async with client_for(make_app(max_patch_list_entries=50)) as client:
        created = await client.post("/scim/v2/Users", json=user_payload("a"))
        ops = [
            {"op": "add", "path": "emails", "value": [{"value": f"u{n}@x.co"}]} for n in range(12)
        ]
        response = await client.patch(
            f"/scim/v2/Users/{created.json()['id']}", json=patch_payload(*ops)
        )
        assert_scim_error(response, 400, "invalidValue")  # 0 + 1 + ... + 11 = 66 entries


async def test_user_name_taken_by_another_user_is_409_uniqueness(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    await create_user("bjensen")
    other = await create_user("jsmith")
    op = {"op": "replace", "path": "userName", "value": "BJENSEN"}
    assert_scim_error(await patch_user(other["id"], op), 409, "uniqueness")
