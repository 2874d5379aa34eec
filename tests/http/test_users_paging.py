"""Index paging (RFC 7644 §3.4.2.4) and cursor paging (RFC 9865) on GET /Users."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.scim import cursor as cursor_module
from tests.conftest import BulkUsers, MakeApp, assert_scim_error, client_for


def _users(count: int) -> list[dict[str, Any]]:
    return [{"userName": f"user{i:05d}"} for i in range(count)]


async def _page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/scim/v2/Users", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_paging_1050_users_by_100_returns_each_exactly_once(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    ids = await bulk_users(_users(1050))
    seen: list[str] = []
    for start in range(1, 1051, 100):
        body = await _page(client, startIndex=start, count=100)
        assert body["totalResults"] == 1050
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == len(body["Resources"])
        seen.extend(r["id"] for r in body["Resources"])
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 1050


async def test_count_zero_returns_only_total(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(3))
    body = await _page(client, count=0)
    assert body["totalResults"] == 3
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []


async def test_negative_count_means_zero(client: httpx.AsyncClient, bulk_users: BulkUsers) -> None:
    await bulk_users(_users(3))
    assert (await _page(client, count=-5))["itemsPerPage"] == 0


async def test_start_index_below_one_means_one(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(3))
    body = await _page(client, startIndex=-3, count=1)
    assert body["startIndex"] == 1
    assert body["Resources"][0]["userName"] == "user00000"


async def test_count_above_maximum_is_capped(make_app: MakeApp, bulk_users: BulkUsers) -> None:
    await bulk_users(_users(8))
    async with client_for(make_app(max_page_size=5)) as client:
        body = await _page(client, count=50)
    assert body["itemsPerPage"] == 5
    assert body["totalResults"] == 8


async def _walk(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    pages = [await _page(client, cursor="", **params)]
    while "nextCursor" in pages[-1]:
        pages.append(await _page(client, cursor=pages[-1]["nextCursor"], **params))
    return pages


async def test_cursor_paging_returns_each_user_once_in_order(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(250))
    pages = await _walk(client, count=100, sortBy="userName", sortOrder="descending")
    names = [r["userName"] for page in pages for r in page["Resources"]]
    assert names == sorted((u["userName"] for u in _users(250)), reverse=True)
    assert [page["itemsPerPage"] for page in pages] == [100, 100, 50]
    assert "startIndex" not in pages[0]


async def test_cursor_paging_sorted_by_id_returns_each_user_once(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    ids = await bulk_users(_users(5))
    pages = await _walk(client, count=2, sortBy="id")
    assert [r["id"] for page in pages for r in page["Resources"]] == sorted(ids)


async def test_first_cursor_page_has_no_previous_cursor(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(5))
    assert "previousCursor" not in (await _page(client, cursor="", count=2))


async def test_previous_cursor_returns_the_previous_page(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(7))
    pages = await _walk(client, count=3, filter='userName sw "user"')
    back = await _page(
        client, cursor=pages[2]["previousCursor"], count=3, filter='userName sw "user"'
    )
    assert back["Resources"] == pages[1]["Resources"]
    assert back["nextCursor"] and back["previousCursor"]


async def test_tampered_cursor_is_400_invalid_cursor(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(3))
    token = (await _page(client, cursor="", count=1))["nextCursor"]
    body, _, signature = token.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    response = await client.get("/scim/v2/Users", params={"cursor": forged, "count": 1})
    assert_scim_error(response, 400, "invalidCursor")


async def test_cursor_used_with_another_filter_is_400_invalid_cursor(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(3))
    token = (await _page(client, cursor="", count=1))["nextCursor"]
    response = await client.get(
        "/scim/v2/Users", params={"cursor": token, "count": 1, "filter": "userName pr"}
    )
    assert_scim_error(response, 400, "invalidCursor")


async def test_cursor_signed_with_another_secret_is_400_invalid_cursor(
    make_app: MakeApp, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(3))
    async with client_for(make_app(cursor_secret="one")) as first:
        token = (await _page(first, cursor="", count=1))["nextCursor"]
    async with client_for(make_app(cursor_secret="two")) as second:
        response = await second.get("/scim/v2/Users", params={"cursor": token, "count": 1})
    assert_scim_error(response, 400, "invalidCursor")


async def test_old_cursor_is_400_expired_cursor(
    client: httpx.AsyncClient, bulk_users: BulkUsers, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bulk_users(_users(3))
    token = (await _page(client, cursor="", count=1))["nextCursor"]
    now = time.time()
    monkeypatch.setattr(cursor_module.time, "time", lambda: now + 7200)
    response = await client.get("/scim/v2/Users", params={"cursor": token, "count": 1})
    assert_scim_error(response, 400, "expiredCursor")


async def test_service_provider_config_advertises_sort_cursor_and_max_results(
    make_app: MakeApp,
) -> None:
    async with client_for(make_app(max_page_size=250)) as client:
        body = (await client.get("/scim/v2/ServiceProviderConfig")).json()
    assert body["sort"]["supported"] is True
    assert body["pagination"]["cursor"] is True
    assert body["pagination"]["index"] is True
    assert body["filter"]["maxResults"] == 250


async def test_cursor_paging_on_a_sparse_attribute_matches_index_paging_both_ways(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    titles = ["b", None, "a", None, "B", "c", None]
    await bulk_users(
        [{"userName": f"u{i}", **({"title": t} if t else {})} for i, t in enumerate(titles)]
    )
    for order in ("ascending", "descending"):
        params = {"sortBy": "title", "sortOrder": order}
        expected = [r["id"] for r in (await _page(client, count=50, **params))["Resources"]]
        pages = await _walk(client, count=2, **params)
        assert [r["id"] for p in pages for r in p["Resources"]] == expected
        backwards = [pages[-1]]
        while "previousCursor" in backwards[-1]:
            cursor = backwards[-1]["previousCursor"]
            backwards.append(await _page(client, cursor=cursor, count=2, **params))
        assert [r["id"] for p in reversed(backwards) for r in p["Resources"]] == expected


OLD = timedelta(days=1)


async def _index_pages(client: httpx.AsyncClient, total: int, size: int) -> list[list[str]]:
    pages = []
    for start in range(1, total + 1, size):
        body = await _page(client, startIndex=start, count=size)
        pages.append([r["id"] for r in body["Resources"]])
    return pages


async def test_pages_walked_in_order_are_the_pages_read_directly(
    make_app: MakeApp, bulk_users: BulkUsers
) -> None:
    """Each page of an import starts where the previous ended (app.storage.positions);
    what it returns is what a process that never saw the previous pages returns."""
    await bulk_users(_users(250), age=OLD)
    walking = make_app()
    async with client_for(walking) as walker:
        walked = await _index_pages(walker, 250, 20)
    assert walking.state.store.positions.nearest(("default", ("User",)), 250).index == 250
    direct = []
    for start in range(1, 251, 20):
        async with client_for(make_app()) as fresh:
            body = await _page(fresh, startIndex=start, count=20)
            direct.append([r["id"] for r in body["Resources"]])
    assert walked == direct


async def test_a_page_after_a_deletion_is_counted_from_the_start_again(
    client: httpx.AsyncClient, make_app: MakeApp, bulk_users: BulkUsers
) -> None:
    ids = await bulk_users(_users(100), age=OLD)
    await _index_pages(client, 60, 20)
    assert (await client.delete(f"/scim/v2/Users/{ids[3]}")).status_code == 204
    after = await _page(client, startIndex=61, count=20)
    async with client_for(make_app()) as fresh:
        expected = await _page(fresh, startIndex=61, count=20)
    assert [r["id"] for r in after["Resources"]] == [r["id"] for r in expected["Resources"]]
    assert after["Resources"][0]["id"] == ids[61]


async def test_total_follows_creates_and_deletes(
    client: httpx.AsyncClient, create_user: Any
) -> None:
    users = [await create_user(f"u{i}") for i in range(3)]
    assert (await client.delete(f"/scim/v2/Users/{users[0]['id']}")).status_code == 204
    assert (await _page(client))["totalResults"] == 2
    assert (await _page(client, count=0))["totalResults"] == 2


async def test_total_counts_only_the_callers_tenant(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(_users(5), tenant="other")
    await bulk_users(_users(2))
    assert (await _page(client))["totalResults"] == 2
