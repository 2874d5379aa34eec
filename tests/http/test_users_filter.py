"""Filter validation, limits and typed comparisons on GET /Users (RFC 7644 §3.4.2.2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.conftest import BulkUsers, CreateUser, MakeApp, assert_scim_error, client_for


async def _list(client: httpx.AsyncClient, expression: str) -> httpx.Response:
    return await client.get("/scim/v2/Users", params={"filter": expression})


@pytest.mark.parametrize(
    ("expression", "mentions"),
    [
        ('bogus eq "x"', "bogus"),
        ('name.bogus eq "x"', "name.bogus"),
        ('urn:example:unknown:2.0:User:x eq "y"', "x"),
        ('active gt "x"', "active"),
        ('active eq "yes"', "active"),
        ("title eq 1", "title"),
        ('name eq "x"', "name"),
        ('userName pr and emails[bogus eq "x"]', "bogus"),
        ('title[value eq "x"]', "title"),
        ('meta.created gt "yesterday"', "meta.created"),
        ('active co "t"', "active"),
    ],
)
async def test_meaningless_filter_is_400_invalid_filter_naming_the_attribute(
    client: httpx.AsyncClient, expression: str, mentions: str
) -> None:
    response = await _list(client, expression)
    assert_scim_error(response, 400, "invalidFilter")
    assert mentions in response.json()["detail"]


async def test_syntax_error_is_400_invalid_filter(client: httpx.AsyncClient) -> None:
    assert_scim_error(await _list(client, 'userName eq "x" and'), 400, "invalidFilter")


async def test_filter_longer_than_limit_is_400_invalid_filter(make_app: MakeApp) -> None:
    async with client_for(make_app(max_filter_length=64)) as client:
        response = await _list(client, 'userName eq "' + "x" * 60 + '"')
    assert_scim_error(response, 400, "invalidFilter")


async def test_filter_deeper_than_limit_is_400_invalid_filter(make_app: MakeApp) -> None:
    expression = "not (" * 5 + 'userName eq "x"' + ")" * 5
    async with client_for(make_app(max_filter_depth=4)) as client:
        response = await _list(client, expression)
    assert_scim_error(response, 400, "invalidFilter")


async def test_filter_with_more_terms_than_limit_is_400_invalid_filter(make_app: MakeApp) -> None:
    expression = " or ".join(f'userName eq "u{i}"' for i in range(5))
    async with client_for(make_app(max_filter_terms=4)) as client:
        response = await _list(client, expression)
    assert_scim_error(response, 400, "invalidFilter")


async def test_pathologically_nested_filter_is_400_not_500(client: httpx.AsyncClient) -> None:
    expression = "(" * 1500 + 'userName eq "x"' + ")" * 1500
    response = await _list(client, "not " * 500 + "(" + expression + ")")
    assert_scim_error(response, 400, "invalidFilter")


async def test_datetime_compares_as_instant_whatever_the_offset(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users([{"userName": "a"}])
    created = (await client.get("/scim/v2/Users")).json()["Resources"][0]["meta"]["created"]
    moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    later = (moment + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=5)))
    earlier = (moment - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-7)))
    assert (await _list(client, f'meta.created lt "{later.isoformat()}"')).json()[
        "totalResults"
    ] == 1
    assert (await _list(client, f'meta.created lt "{earlier.isoformat()}"')).json()[
        "totalResults"
    ] == 0


async def test_root_search_filters_across_served_types(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users([{"userName": "a", "title": "x"}, {"userName": "b"}])
    response = await client.post("/scim/v2/.search", json={"filter": 'title eq "x"'})
    assert response.status_code == 200, response.text
    assert [r["userName"] for r in response.json()["Resources"]] == ["a"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('title co "%_"', ["100%_done"]),
        ('title sw "100%"', ["100%_done", "100%xdone"]),
        ('title co "\\\\"', ["a\\b"]),
        ('title ew "_done"', ["100%_done", "100x_done"]),
    ],
)
async def test_substring_operators_take_wildcards_literally(
    client: httpx.AsyncClient, bulk_users: BulkUsers, expression: str, expected: list[str]
) -> None:
    titles = ["100%_done", "100%xdone", "100x_done", "a\\b", "ab"]
    await bulk_users([{"userName": f"u{i}", "title": t} for i, t in enumerate(titles)])
    body = (await _list(client, expression)).json()
    assert [r["title"] for r in body["Resources"]] == expected


async def test_id_is_case_exact(client: httpx.AsyncClient, bulk_users: BulkUsers) -> None:
    (user_id,) = await bulk_users([{"userName": "bjensen"}])
    exact = await _list(client, f'id eq "{user_id}"')
    upper = await _list(client, f'id eq "{user_id.upper()}"')
    assert exact.json()["totalResults"] == 1
    assert upper.json()["totalResults"] == 0


async def _user_names(client: httpx.AsyncClient, **params: Any) -> tuple[int, list[str]]:
    response = await client.get("/scim/v2/Users", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["totalResults"], [r["userName"] for r in body.get("Resources", [])]


async def test_user_name_lookup_finds_the_user_in_any_case(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    assert await _user_names(client, filter='userName eq "BJensen"') == (1, ["bjensen"])


async def test_user_name_lookup_past_the_first_page_is_empty_but_counted(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    found = await _user_names(client, filter='userName eq "bjensen"', startIndex=2)
    assert found == (1, [])


async def test_user_name_lookup_with_more_terms_applies_them_all(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen", active=True)
    expression = 'userName eq "bjensen" and active eq false'
    assert await _user_names(client, filter=expression) == (0, [])


async def test_user_name_lookup_with_count_zero_returns_only_the_total(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    assert await _user_names(client, filter='userName eq "bjensen"', count=0) == (1, [])


async def test_lookups_of_one_shape_each_match_their_own_value(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    """The clause of ``userName eq`` is built once; every lookup still binds its own value."""
    ids = {name: (await create_user(name))["id"] for name in ("alice", "bob")}
    for name in ("alice", "BOB", "Alice", "bob"):
        found = (await _list(client, f'userName eq "{name}"')).json()["Resources"]
        assert [user["id"] for user in found] == [ids[name.lower()]]
    others = (await _list(client, 'userName ne "alice"')).json()["Resources"]
    assert [user["id"] for user in others] == [ids["bob"]]
    assert (await _list(client, 'userName eq "carol"')).json()["totalResults"] == 0
