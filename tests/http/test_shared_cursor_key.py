"""The cursor key lives in the database (a migration makes it): processes share it."""

from __future__ import annotations

import os

import pytest

from app.scim import cursor
from tests.conftest import CreateUser, MakeApp, client_for


async def test_a_cursor_from_one_process_pages_on_another(
    make_app: MakeApp, create_user: CreateUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "c"):
        await create_user(name)
    first = make_app()
    monkeypatch.setattr(cursor, "PROCESS_KEY", os.urandom(32))  # another process's own key
    second = make_app()
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        client_for(first) as one,
        client_for(second) as other,
    ):
        page = (await one.get("/scim/v2/Users", params={"cursor": "", "count": 2})).json()
        response = await other.get(
            "/scim/v2/Users", params={"cursor": page["nextCursor"], "count": 2}
        )
    assert response.status_code == 200, response.text
    assert [u["userName"] for u in response.json()["Resources"]] == ["c"]


async def test_the_configured_secret_still_wins(make_app: MakeApp, create_user: CreateUser) -> None:
    await create_user("a")
    await create_user("b")
    signer, other = make_app(cursor_secret="one"), make_app(cursor_secret="two")
    async with (
        signer.router.lifespan_context(signer),
        other.router.lifespan_context(other),
        client_for(signer) as one,
        client_for(other) as two,
    ):
        page = (await one.get("/scim/v2/Users", params={"cursor": "", "count": 1})).json()
        response = await two.get("/scim/v2/Users", params={"cursor": page["nextCursor"]})
    assert response.status_code == 400
