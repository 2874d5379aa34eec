"""Input a fuzzer found: each once reached a 500 or a non-SCIM body; each is now a SCIM error."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import (
    GROUP_SCHEMA,
    CreateGroup,
    CreateUser,
    PatchUser,
    assert_scim_error,
    patch_payload,
    user_payload,
)

HUGE = str(2**70)


async def test_start_index_beyond_any_integer_is_an_empty_page(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    response = await client.get(f"/scim/v2/Users?startIndex={HUGE}")
    assert response.status_code == 200
    body = response.json()
    assert body["totalResults"] == 1
    assert body.get("Resources", []) == []


async def test_count_beyond_any_integer_is_capped(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    response = await client.get(f"/scim/v2/Users?count={HUGE}")
    assert response.status_code == 200
    assert response.json()["totalResults"] == 1


@pytest.mark.parametrize("start_index", [2**63 - 1, HUGE], ids=["int64-max", "string"])
async def test_search_start_index_beyond_any_table_is_an_empty_page(
    client: httpx.AsyncClient, create_user: CreateUser, start_index: int | str
) -> None:
    await create_user("bjensen")
    response = await client.post(
        "/scim/v2/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "startIndex": start_index,
        },
    )
    assert response.status_code == 200
    assert response.json()["totalResults"] == 1
    assert response.json().get("Resources", []) == []


async def test_json_count_beyond_int64_is_invalid_value(client: httpx.AsyncClient) -> None:
    raw = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":%d}' % (
        2**70
    )
    response = await client.post(
        "/scim/v2/Users/.search", content=raw, headers={"Content-Type": "application/scim+json"}
    )
    assert_scim_error(response, 400, "invalidValue")


async def test_lone_surrogate_in_filter_value_is_invalid_filter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": 'userName eq "\\ud800"'})
    assert_scim_error(response, 400, "invalidFilter")


async def test_nul_in_filter_value_is_invalid_filter(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": 'userName eq "a\\u0000b"'})
    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_trailing_slash_is_a_scim_404_not_a_redirect(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/scim/v2/Users/", json=user_payload())
    assert_scim_error(response, 404)
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_nul_in_user_name_is_invalid_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=user_payload("a\x00b"))
    assert_scim_error(response, 400, "invalidValue")
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_nul_in_nested_value_is_invalid_value(client: httpx.AsyncClient) -> None:
    payload = user_payload("bjensen", name={"givenName": "Bar\x00bara"})
    assert_scim_error(await client.post("/scim/v2/Users", json=payload), 400, "invalidValue")


async def test_nul_in_patch_value_is_invalid_value(
    client: httpx.AsyncClient, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user("bjensen")
    response = await patch_user(
        user["id"], {"op": "replace", "path": "displayName", "value": "x\x00"}
    )
    assert_scim_error(response, 400, "invalidValue")
    fetched = (await client.get(f"/scim/v2/Users/{user['id']}")).json()
    assert "displayName" not in fetched


async def test_lone_surrogate_in_body_is_invalid_syntax(client: httpx.AsyncClient) -> None:
    raw = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\\ud800"}'
    response = await client.post(
        "/scim/v2/Users", content=raw, headers={"Content-Type": "application/scim+json"}
    )
    assert response.status_code == 400
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize("attribute", ["userName", "externalId", "displayName"], ids=lambda a: a)
async def test_key_attribute_longer_than_512_characters_is_invalid_value(
    client: httpx.AsyncClient, attribute: str
) -> None:
    payload = {**user_payload("bjensen"), attribute: "a" * 513}
    assert_scim_error(await client.post("/scim/v2/Users", json=payload), 400, "invalidValue")
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_key_attribute_of_512_characters_is_stored(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=user_payload("a" * 512))
    assert response.status_code == 201, response.text


async def test_user_name_that_folds_past_512_characters_is_invalid_value(
    client: httpx.AsyncClient,
) -> None:
    # "İ" lower-cases to two code points: 300 characters fold to 600.
    response = await client.post("/scim/v2/Users", json=user_payload("İ" * 300))
    assert_scim_error(response, 400, "invalidValue")


async def test_group_display_name_longer_than_512_characters_is_invalid_value(
    client: httpx.AsyncClient,
) -> None:
    payload = {"schemas": [GROUP_SCHEMA], "displayName": "g" * 513}
    assert_scim_error(await client.post("/scim/v2/Groups", json=payload), 400, "invalidValue")


async def test_member_display_longer_than_512_characters_is_invalid_value(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    member = {"value": alice["id"], "display": "x" * 600}
    op = {"op": "add", "path": "members", "value": [member]}
    response = await client.patch(f"/scim/v2/Groups/{group['id']}", json=patch_payload(op))
    assert_scim_error(response, 400, "invalidValue")
    fetched = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert fetched.get("members", []) == []


@pytest.mark.parametrize("moment", ["0999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"])
async def test_date_time_filter_before_year_1000_is_compared(
    client: httpx.AsyncClient, create_user: CreateUser, moment: str
) -> None:
    await create_user("bjensen")
    response = await client.get("/scim/v2/Users", params={"filter": f'meta.created gt "{moment}"'})
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 1


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_date_time_filter_out_of_range_in_utc_is_invalid_filter(
    client: httpx.AsyncClient, moment: str
) -> None:
    response = await client.get(
        "/scim/v2/Users", params={"filter": f'meta.lastModified lt "{moment}"'}
    )
    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.parametrize("expression", ["meta.created pr", "not (meta.lastModified pr)"])
async def test_present_on_a_timestamp_column_is_answered(
    client: httpx.AsyncClient, create_user: CreateUser, expression: str
) -> None:
    await create_user("bjensen")
    response = await client.get("/scim/v2/Users", params={"filter": expression})
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == (0 if expression.startswith("not") else 1)


async def test_cursor_with_non_ascii_signature_is_invalid_cursor(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/scim/v2/Users", params={"cursor": "abc.é"})
    assert_scim_error(response, 400, "invalidCursor")


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda i: i.replace("-", ""), lambda i: "{" + i + "}", lambda i: "urn:uuid:" + i],
    ids=["upper", "no-hyphens", "braces", "urn"],
)
async def test_other_spellings_of_an_id_name_no_resource(
    client: httpx.AsyncClient, create_user: CreateUser, spelling: Callable[[str], str]
) -> None:
    user = await create_user("bjensen")
    other = spelling(user["id"])
    assert_scim_error(await client.get(f"/scim/v2/Users/{other}"), 404)
    assert_scim_error(await client.delete(f"/scim/v2/Users/{other}"), 404)
    assert (await client.get(f"/scim/v2/Users/{user['id']}")).status_code == 200
