"""PATCH /Users/{id}: the operations of RFC 7644 §3.5.2, its examples adapted to Users."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ENTERPRISE, CreateUser, PatchUser, patch_payload

WORK = {"value": "bjensen@example.com", "type": "work", "primary": True}
HOME = {"value": "babs@jensen.org", "type": "home"}
ADDRESS = {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}


async def _user(create_user: CreateUser, **extra: Any) -> dict[str, Any]:
    return await create_user("bjensen", emails=[dict(WORK), dict(HOME)], **extra)


async def _fetch(client: httpx.AsyncClient, user_id: str) -> dict[str, Any]:
    response = await client.get(f"/scim/v2/Users/{user_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_patch_returns_200_with_resource_and_new_etag(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    response = await patch_user(user["id"], {"op": "replace", "path": "nickName", "value": "Babs"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nickName"] == "Babs"
    assert body["id"] == user["id"]
    assert response.headers["etag"] == body["meta"]["version"] == 'W/"2"'
    assert response.headers["content-type"] == "application/scim+json; charset=utf-8"


async def test_patch_is_durable(
    client: httpx.AsyncClient, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    await patch_user(user["id"], {"op": "add", "path": "title", "value": "Tour Guide"})
    assert (await _fetch(client, user["id"]))["title"] == "Tour Guide"


async def test_add_appends_to_multi_valued_attribute(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.1: add to a multi-valued attribute adds the new values."""
    user = await create_user("bjensen", emails=[dict(HOME)])
    other = {"value": "b@example.org", "type": "other"}
    body = (await patch_user(user["id"], {"op": "add", "path": "emails", "value": [other]})).json()
    assert body["emails"] == [HOME, other]


async def test_add_of_an_equal_value_does_not_duplicate_it(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await _user(create_user)
    response = await patch_user(user["id"], {"op": "add", "path": "emails", "value": [HOME]})
    assert response.json()["emails"] == [WORK, HOME]
    assert response.json()["meta"]["version"] == 'W/"1"'


async def test_add_without_path_merges_the_value_object(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.1, second example: a pathless add names attributes in its value."""
    user = await create_user("bjensen", emails=[dict(HOME)])
    value = {"emails": [{"value": "babs@example.com", "type": "work"}], "nickName": "Babs"}
    body = (await patch_user(user["id"], {"op": "add", "value": value})).json()
    assert body["nickName"] == "Babs"
    assert [e["value"] for e in body["emails"]] == ["babs@jensen.org", "babs@example.com"]


async def test_pathless_value_takes_dotted_and_urn_qualified_keys(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", name={"familyName": "Jensen"})
    value = {
        "name.givenName": "Barbara",
        f"{ENTERPRISE}:department": "Tour Operations",
        ENTERPRISE: {"costCenter": "4130"},
    }
    body = (await patch_user(user["id"], {"op": "replace", "value": value})).json()
    assert body["name"] == {"familyName": "Jensen", "givenName": "Barbara"}
    assert body[ENTERPRISE] == {"department": "Tour Operations", "costCenter": "4130"}
    assert ENTERPRISE in body["schemas"]


async def test_replace_sub_attribute_keeps_its_siblings(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen", name={"givenName": "Barbara", "familyName": "Jensen"})
    op = {"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"}
    body = (await patch_user(user["id"], op)).json()
    assert body["name"] == {"givenName": "Barbara", "familyName": "Jensen-Smith"}


async def test_replace_through_value_filter_changes_only_matching_entries(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.3: ``emails[type eq "work"].value`` replaces the work address only."""
    user = await _user(create_user)
    op = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@example.com"}
    body = (await patch_user(user["id"], op)).json()
    assert body["emails"] == [{**WORK, "value": "b@example.com"}, HOME]


async def test_replace_sub_attribute_of_filtered_address(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.3 example: ``addresses[type eq "work"].streetAddress``."""
    user = await create_user("bjensen", addresses=[dict(ADDRESS)])
    op = {
        "op": "replace",
        "path": 'addresses[type eq "work"].streetAddress',
        "value": "1010 Broadway Ave",
    }
    body = (await patch_user(user["id"], op)).json()
    assert body["addresses"] == [{**ADDRESS, "streetAddress": "1010 Broadway Ave"}]


async def test_replace_filtered_entry_with_complex_value(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.3 example: replace ``addresses[type eq "work"]`` with an object."""
    user = await create_user("bjensen", addresses=[dict(ADDRESS)])
    value = {"type": "work", "streetAddress": "911 Universal City Plaza", "postalCode": "91608"}
    op = {"op": "replace", "path": 'addresses[type eq "work"]', "value": value}
    body = (await patch_user(user["id"], op)).json()
    assert body["addresses"] == [{**ADDRESS, **value}]


async def test_replace_multi_valued_attribute_replaces_all_values(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await _user(create_user)
    new = {"value": "only@example.com", "type": "work"}
    body = (
        await patch_user(user["id"], {"op": "replace", "path": "emails", "value": [new]})
    ).json()
    assert body["emails"] == [new]


async def test_replace_without_path_sets_each_attribute(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.3, last example: a pathless replace of emails and nickName."""
    user = await _user(create_user)
    value = {"emails": [{"value": "bjensen@example.com", "type": "work"}], "nickName": "Babs"}
    body = (await patch_user(user["id"], {"op": "replace", "value": value})).json()
    assert body["emails"] == value["emails"]
    assert body["nickName"] == "Babs"


async def test_remove_with_filter_removes_matching_entries(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2.2: ``emails[type eq "home"]`` removes the home address only."""
    user = await _user(create_user)
    body = (await patch_user(user["id"], {"op": "remove", "path": 'emails[type eq "home"]'})).json()
    assert body["emails"] == [WORK]


async def test_remove_with_complex_filter(create_user: CreateUser, patch_user: PatchUser) -> None:
    """RFC 7644 §3.5.2.2 example: ``emails[type eq "work" and value ew "example.com"]``."""
    user = await _user(create_user)
    path = 'emails[type eq "work" and value ew "example.com"]'
    body = (await patch_user(user["id"], {"op": "remove", "path": path})).json()
    assert body["emails"] == [HOME]


async def test_remove_whole_attribute(create_user: CreateUser, patch_user: PatchUser) -> None:
    user = await _user(create_user)
    body = (await patch_user(user["id"], {"op": "remove", "path": "emails"})).json()
    assert "emails" not in body


async def test_primary_true_on_one_value_clears_the_others(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    """RFC 7644 §3.5.2: setting primary on one value unsets it on the others."""
    user = await _user(create_user)
    op = {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}
    body = (await patch_user(user["id"], op)).json()
    assert [e.get("primary") for e in body["emails"]] == [False, True]


async def test_set_and_remove_enterprise_manager_by_urn_path(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    path = f"{ENTERPRISE}:manager"
    added = await patch_user(user["id"], {"op": "add", "path": path, "value": {"value": "boss"}})
    assert added.json()[ENTERPRISE]["manager"]["value"] == "boss"
    removed = await patch_user(user["id"], {"op": "remove", "path": path})
    assert "manager" not in removed.json().get(ENTERPRISE, {})


async def test_replace_enterprise_department_by_urn_path(
    create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    op = {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Finance"}
    body = (await patch_user(user["id"], op)).json()
    assert body[ENTERPRISE] == {"department": "Finance"}
    assert ENTERPRISE in body["schemas"]


async def test_patch_of_unknown_user_is_404(patch_user: PatchUser) -> None:
    op = {"op": "replace", "path": "nickName", "value": "x"}
    response = await patch_user("2819c223-7f76-453a-919d-413861904646", op)
    assert response.status_code == 404


async def test_service_provider_config_advertises_patch(client: httpx.AsyncClient) -> None:
    body = (await client.get("/scim/v2/ServiceProviderConfig")).json()
    assert body["patch"] == {"supported": True}


async def test_patch_accepts_projection_parameters(
    create_user: CreateUser, patch_user: PatchUser, client: httpx.AsyncClient
) -> None:
    """attributes/excludedAttributes are accepted on PATCH (RFC 7644 §3.9)."""
    user = await create_user()
    body = patch_payload({"op": "add", "path": "title", "value": "x"})
    response = await client.patch(
        f"/scim/v2/Users/{user['id']}", params={"attributes": "userName,title"}, json=body
    )
    assert response.status_code == 200
    assert response.json()["title"] == "x"
