"""Token scopes and expiry: a token works only for its scopes and until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.http import auth
from app.http.auth import EVENTS, METRICS, SCIM, digest, require_scope
from tests.conftest import assert_scim_error


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _probe(app: FastAPI, scope: str) -> None:
    """An endpoint asking for ``scope``, as the events and metrics endpoints do."""

    async def probe(request: Request) -> JSONResponse:
        principal = await require_scope(request, scope)
        return JSONResponse(
            {
                "tenant": principal.tenant,
                "token": principal.token_name,
                "scopes": sorted(principal.scopes),
            }
        )

    app.add_api_route("/probe", probe)


async def test_a_token_outside_its_scopes_gets_the_401_of_an_unknown_token(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    await app.state.store.create_token("feed", digest("feed-secret"), "default", [EVENTS])
    refused = await anonymous.get("/scim/v2/Users", headers=_bearer("feed-secret"))
    unknown = await anonymous.get("/scim/v2/Users", headers=_bearer("no-such-token"))
    assert_scim_error(refused, 401)
    assert refused.content == unknown.content
    assert refused.headers["www-authenticate"] == unknown.headers["www-authenticate"]


async def test_a_new_token_holds_the_scim_scope(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    await app.state.store.create_token("okta", digest("okta-secret"), "default")
    stored = await app.state.store.find_token(digest("okta-secret"))
    assert stored is not None and stored.scopes == {SCIM}


async def test_require_scope_admits_a_token_holding_the_scope(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    _probe(app, METRICS)
    await app.state.store.create_token("prom", digest("prom-secret"), "acme", [METRICS, SCIM])
    response = await anonymous.get("/probe", headers=_bearer("prom-secret"))
    assert response.status_code == 200
    assert response.json() == {"tenant": "acme", "token": "prom", "scopes": [METRICS, SCIM]}


async def test_require_scope_refuses_a_token_without_the_scope(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    _probe(app, METRICS)
    await app.state.store.create_token("okta", digest("okta-secret"), "default", [SCIM])
    assert_scim_error(await anonymous.get("/probe", headers=_bearer("okta-secret")), 401)


async def test_the_bootstrap_token_holds_every_scope_but_writing_catalogues(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _probe(app, EVENTS)
    response = await client.get("/probe")
    assert response.status_code == 200
    assert response.json()["scopes"] == sorted(auth.SCOPES - {auth.CATALOG})
    assert response.json()["token"] == auth.BOOTSTRAP_NAME


async def test_an_expired_token_is_refused(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    expired = datetime.now(UTC) - timedelta(seconds=1)
    await app.state.store.create_token("old", digest("old-secret"), "default", expires=expired)
    assert_scim_error(await anonymous.get("/scim/v2/Users", headers=_bearer("old-secret")), 401)


async def test_a_token_not_yet_expired_works(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    await app.state.store.create_token("new", digest("new-secret"), "default", expires=later)
    response = await anonymous.get("/scim/v2/Users", headers=_bearer("new-secret"))
    assert response.status_code == 200


class _Clock:
    """``time`` as the authenticator sees it, with the wall clock movable."""

    def __init__(self) -> None:
        import time

        self._time = time
        self.skew = 0.0

    def monotonic(self) -> float:
        return self._time.monotonic()

    def time(self) -> float:
        return self._time.time() + self.skew


async def test_a_cached_token_stops_at_its_expiry(
    app: FastAPI, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(auth, "time", clock)
    ends = datetime.now(UTC) + timedelta(minutes=5)
    await app.state.store.create_token("soon", digest("soon-secret"), "default", expires=ends)
    first = await anonymous.get("/scim/v2/Users", headers=_bearer("soon-secret"))
    assert first.status_code == 200
    clock.skew = 301.0
    assert_scim_error(await anonymous.get("/scim/v2/Users", headers=_bearer("soon-secret")), 401)


async def test_a_cached_old_secret_stops_when_its_grace_ends(
    app: FastAPI, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(auth, "time", clock)
    store = app.state.store
    await store.create_token("okta", digest("old-secret"), "default")
    grace_ends = datetime.now(UTC) + timedelta(minutes=5)
    await store.rotate_token("okta", digest("new-secret"), grace_ends)
    first = await anonymous.get("/scim/v2/Users", headers=_bearer("old-secret"))
    assert first.status_code == 200
    clock.skew = 301.0
    assert_scim_error(await anonymous.get("/scim/v2/Users", headers=_bearer("old-secret")), 401)
    assert (await anonymous.get("/scim/v2/Users", headers=_bearer("new-secret"))).status_code == 200
