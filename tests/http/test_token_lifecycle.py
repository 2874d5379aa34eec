"""Token rotation with a grace, last use, and revocation reaching every worker within 1 s."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from app.http.auth import CACHE_SECONDS, digest
from tests.conftest import MakeApp, assert_scim_error, client_for


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/scim/v2/Users", headers=_bearer(token))).status_code


async def test_during_the_grace_both_the_old_and_the_new_secret_work(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    store = app.state.store
    await store.create_token("okta", digest("old-secret"), "default")
    grace_ends = datetime.now(UTC) + timedelta(hours=24)
    assert await store.rotate_token("okta", digest("new-secret"), grace_ends)
    assert await _status(anonymous, "old-secret") == 200
    assert await _status(anonymous, "new-secret") == 200


async def test_after_the_grace_the_old_secret_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    store = app.state.store
    await store.create_token("okta", digest("old-secret"), "default")
    assert await store.rotate_token("okta", digest("new-secret"), datetime.now(UTC))
    assert_scim_error(await anonymous.get("/scim/v2/Users", headers=_bearer("old-secret")), 401)
    assert await _status(anonymous, "new-secret") == 200


async def test_a_rotated_token_keeps_its_name_tenant_and_scopes(app: FastAPI) -> None:
    store = app.state.store
    await store.create_token("feed", digest("old-secret"), "acme", ["events"])
    await store.rotate_token("feed", digest("new-secret"), datetime.now(UTC))
    found = await store.find_token(digest("new-secret"))
    assert found is not None
    assert (found.name, found.tenant, found.scopes) == ("feed", "acme", {"events"})


async def test_rotating_an_unknown_token_changes_nothing(app: FastAPI) -> None:
    assert not await app.state.store.rotate_token("nobody", digest("x"), datetime.now(UTC))


async def test_a_request_records_the_tokens_last_use(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    before = datetime.now(UTC)
    await app.state.store.create_token("okta", digest("okta-secret"), "default")
    assert await _status(anonymous, "okta-secret") == 200
    await app.state.runtime.authenticator.close()
    [token] = await app.state.store.list_tokens()
    assert token.last_used is not None and token.last_used >= before - timedelta(seconds=1)


async def test_last_use_is_written_at_most_once_a_minute(
    make_app: MakeApp,
) -> None:
    first_worker, second_worker = make_app(), make_app()
    store = first_worker.state.store
    await store.create_token("okta", digest("okta-secret"), "default")
    for worker in (first_worker, second_worker):
        async with client_for(worker, headers={}) as client:
            assert await _status(client, "okta-secret") == 200
        await worker.state.runtime.authenticator.close()
        [token] = await store.list_tokens()
        if worker is first_worker:
            recorded = token.last_used
    assert recorded is not None and token.last_used == recorded


async def test_a_revoked_token_stops_on_every_worker_within_a_second(make_app: MakeApp) -> None:
    workers = [make_app(), make_app()]
    await workers[0].state.store.create_token("okta", digest("okta-secret"), "default")
    clients = [client_for(worker, headers={}) for worker in workers]
    for client in clients:
        assert await _status(client, "okta-secret") == 200
    assert await workers[0].state.store.revoke_token("okta")
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    for client in clients:
        assert await _status(client, "okta-secret") == 401
        await client.aclose()
