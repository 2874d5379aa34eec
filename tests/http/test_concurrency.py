"""Uniqueness is the database's job: concurrent creates cannot both win."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import user_payload


async def test_fifty_concurrent_creates_of_one_user_name_give_one_201(
    client: httpx.AsyncClient,
) -> None:
    names = [
        "".join(c.upper() if (i >> (j % 8)) & 1 else c for j, c in enumerate("bjensen"))
        for i in range(50)
    ]
    responses = await asyncio.gather(
        *(client.post("/scim/v2/Users", json=user_payload(name)) for name in names)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses
    assert all(r.json().get("scimType") == "uniqueness" for r in responses if r.status_code == 409)
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 1
