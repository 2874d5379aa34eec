"""What Okta and Entra send that strict RFC 7644 §3.5.2 would refuse, accepted and logged."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import ENTERPRISE, USER_SCHEMA, CreateUser, PatchUser, assert_scim_error


def _names(caplog: pytest.LogCaptureFixture) -> set[str]:
    return {
        r.getMessage().removeprefix("tolerance fired: ")
        for r in caplog.records
        if r.name == "app.scim.policy"
    }


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="app.scim.policy")
    return caplog


async def test_capitalised_ops_are_applied(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    user = await create_user("bjensen", nickName="Babs", title="x")
    response = await patch_user(
        user["id"],
        {"op": "Add", "path": "displayName", "value": "Barbara"},
        {"op": "Replace", "path": "nickName", "value": "Barb"},
        {"op": "Remove", "path": "title"},
    )
    body = response.json()
    assert (body["displayName"], body["nickName"], "title" in body) == ("Barbara", "Barb", False)
    assert "capitalised_op" in _names(debug_log)


@pytest.mark.parametrize(
    ("value", "expected"), [("False", False), ("false", False), ("True", True), ("true", True)]
)
async def test_boolean_strings_are_read_as_booleans(
    create_user: CreateUser,
    patch_user: PatchUser,
    debug_log: pytest.LogCaptureFixture,
    value: str,
    expected: bool,
) -> None:
    user = await create_user("bjensen", active=not expected)
    body = (
        await patch_user(user["id"], {"op": "replace", "path": "active", "value": value})
    ).json()
    assert body["active"] is expected
    assert "boolean_string" in _names(debug_log)


async def test_boolean_strings_inside_pathless_and_complex_values(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    user = await create_user("bjensen", emails=[{"value": "a@example.com", "type": "work"}])
    value = {"active": "False", "emails": [{"value": "b@example.com", "primary": "True"}]}
    body = (await patch_user(user["id"], {"op": "add", "value": value})).json()
    assert body["active"] is False
    assert body["emails"][1] == {"value": "b@example.com", "primary": True}
    assert "boolean_string" in _names(debug_log)


async def test_string_true_for_a_string_attribute_stays_a_string(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    body = (await patch_user(user["id"], {"op": "add", "path": "title", "value": "true"})).json()
    assert body["title"] == "true"


async def test_unmatched_filter_creates_entry(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    """Entra adds a work email through ``emails[type eq "work"].value`` on a user without one."""
    user = await create_user("bjensen", emails=[{"value": "h@example.com", "type": "home"}])
    op = {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w@example.com"}
    body = (await patch_user(user["id"], op)).json()
    assert body["emails"][1] == {"value": "w@example.com", "type": "work"}
    assert "unmatched_filter_creates" in _names(debug_log)


async def test_replace_through_unmatched_filter_creates_entry(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    op = {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Hollywood"}
    body = (await patch_user(user["id"], op)).json()
    assert body["addresses"] == [{"type": "work", "locality": "Hollywood"}]


async def test_matched_filter_does_not_log_the_tolerance(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    user = await create_user("bjensen", emails=[{"value": "w@example.com", "type": "work"}])
    op = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "v@example.com"}
    await patch_user(user["id"], op)
    assert "unmatched_filter_creates" not in _names(debug_log)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": {"value": ""}},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": ""},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager.value", "value": ""},
        {"op": "Replace", "value": {f"{ENTERPRISE}:manager": {"value": ""}}},
        {"op": "Replace", "value": {ENTERPRISE: {"manager": ""}}},
    ],
)
async def test_empty_manager_value_removes_manager(
    create_user: CreateUser,
    patch_user: PatchUser,
    debug_log: pytest.LogCaptureFixture,
    operation: dict[str, object],
) -> None:
    user = await create_user(
        "bjensen", **{ENTERPRISE: {"department": "Eng", "manager": {"value": "boss"}}}
    )
    body = (await patch_user(user["id"], operation)).json()
    assert body[ENTERPRISE] == {"department": "Eng"}
    assert "empty_manager_removes" in _names(debug_log)


async def test_manager_as_string_sets_manager_value(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    """Entra sends the manager's id as the whole value of ``...:User:manager``."""
    user = await create_user()
    op = {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss-id"}
    body = (await patch_user(user["id"], op)).json()
    assert body[ENTERPRISE]["manager"]["value"] == "boss-id"
    assert body[ENTERPRISE]["manager"]["$ref"].endswith("/Users/boss-id")
    assert "manager_as_string" in _names(debug_log)


async def test_pathless_id_and_schemas_ignored(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    """Okta repeats the resource's ``id`` (and ``schemas``) inside a pathless replace."""
    user = await create_user()
    value = {"id": user["id"], "schemas": [USER_SCHEMA], "displayName": "Babs"}
    response = await patch_user(user["id"], {"op": "replace", "value": value})
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Babs"
    assert {"pathless_id", "pathless_schemas"} <= _names(debug_log)


async def test_pathless_schemas_naming_another_schema_is_invalid_value(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    value = {"schemas": ["urn:example:other"], "displayName": "Babs"}
    response = await patch_user(user["id"], {"op": "replace", "value": value})
    assert_scim_error(response, 400, "invalidValue")


async def test_okta_pathless_deactivate_sets_active_false(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", active=True)
    body = (await patch_user(user["id"], {"op": "replace", "value": {"active": False}})).json()
    assert body["active"] is False


async def test_remove_by_value_removes_entries(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    """Entra's legacy remove names the entries in ``value`` rather than in a path filter."""
    emails = [{"value": "a@example.com"}, {"value": "b@example.com"}]
    user = await create_user("bjensen", emails=emails)
    op = {"op": "Remove", "path": "emails", "value": [{"value": "a@example.com"}]}
    body = (await patch_user(user["id"], op)).json()
    assert body["emails"] == [{"value": "b@example.com"}]
    assert "remove_by_value" in _names(debug_log)


async def test_pathless_value_filter_keys_become_paths(
    create_user: CreateUser, patch_user: PatchUser, debug_log: pytest.LogCaptureFixture
) -> None:
    """Entra's aadOptscim062020 pathless replace carries ``emails[type eq "work"].value``."""
    user = await create_user("bjensen", emails=[{"value": "old@example.com", "type": "work"}])
    value = {"displayName": "Barbara", 'emails[type eq "work"].value': "new@example.com"}
    response = await patch_user(user["id"], {"op": "replace", "value": value})
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Barbara"
    assert response.json()["emails"] == [{"value": "new@example.com", "type": "work"}]
    assert "pathless_filtered_keys" in _names(debug_log)
