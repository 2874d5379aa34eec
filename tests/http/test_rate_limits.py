"""Rate limits and back-pressure: per-tenant buckets, requests in flight, failed logins."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from limits import parse

from app.http.auth import digest
from app.http.rate_limits import TokenBuckets
from app.settings import Settings
from tests.conftest import MakeApp, assert_scim_error, client_for

REDIS = "redis://127.0.0.1:6379/3"
PREFIX = "scim-test-security"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _redis_prefix() -> str:
    """A key prefix of this test alone, so runs never share buckets."""
    return f"{PREFIX}-{uuid.uuid4().hex}"


async def _tenant_client(app: FastAPI, tenant: str) -> httpx.AsyncClient:
    secret = f"{tenant}-secret"
    await app.state.store.create_token(tenant, digest(secret), tenant)
    return client_for(app, headers=_bearer(secret))


def test_a_bucket_holds_its_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(parse("200/4 seconds"), clock=lambda: now[0])
    assert [buckets.take("t") for _ in range(200)] == [0.0] * 200
    assert buckets.take("t") == pytest.approx(1 / 50)
    now[0] += 1.0
    assert [buckets.take("t") for _ in range(50)] == [0.0] * 50
    assert buckets.take("t") > 0
    assert buckets.take("other") == 0.0


def test_the_defaults_are_generous() -> None:
    settings = Settings()
    assert settings.rate_limit == "200/4 seconds"
    assert settings.max_in_flight_per_tenant == 32


async def test_over_the_tenant_rate_is_429_with_the_scim_envelope(make_app: MakeApp) -> None:
    async with client_for(make_app(rate_limit="3/minute")) as client:
        for _ in range(3):
            assert (await client.get("/scim/v2/Users")).status_code == 200
        response = await client.get("/scim/v2/Users")
    assert_scim_error(response, 429)


async def test_the_429_says_an_integer_retry_after_and_the_ratelimit_headers(
    make_app: MakeApp,
) -> None:
    async with client_for(make_app(rate_limit="2/minute")) as client:
        for _ in range(2):
            await client.get("/scim/v2/Users")
        response = await client.get("/scim/v2/Users")
    wait = response.headers["retry-after"]
    assert wait.isdigit() and 1 <= int(wait) <= 60
    assert response.headers["ratelimit-policy"] == '"tenant";q=2;w=60'
    assert response.headers["ratelimit"] == f'"tenant";r=0;t={wait}'


async def test_requests_beyond_the_in_flight_cap_get_429(make_app: MakeApp) -> None:
    app = make_app(max_in_flight_per_tenant=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(_request: Request) -> JSONResponse:
        entered.set()
        await release.wait()
        return JSONResponse({})

    app.add_api_route("/slow", slow)
    async with client_for(app) as client:
        held = asyncio.create_task(client.get("/slow"))
        await entered.wait()
        refused = await client.get("/scim/v2/Users")
        release.set()
        assert (await held).status_code == 200
        after = await client.get("/scim/v2/Users")
    assert_scim_error(refused, 429)
    assert refused.headers["retry-after"] == "1"
    assert after.status_code == 200


async def test_another_tenant_is_served_while_one_is_throttled(make_app: MakeApp) -> None:
    app = make_app(rate_limit="5/minute")
    noisy, quiet = await _tenant_client(app, "noisy"), await _tenant_client(app, "quiet")
    async with noisy, quiet:
        for _ in range(5):
            await noisy.get("/scim/v2/Users")
        assert (await noisy.get("/scim/v2/Users")).status_code == 429
        assert (await quiet.get("/scim/v2/Users")).status_code == 200


async def _latencies(client: httpx.AsyncClient, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = await client.get("/scim/v2/Users")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return times


async def test_a_throttled_tenant_does_not_slow_another(make_app: MakeApp) -> None:
    """The quiet tenant's median latency while the noisy one is refused, against its own
    median alone; the two share one event loop, so the bound allows for the extra work."""
    app = make_app(rate_limit="100/minute")
    noisy, quiet = await _tenant_client(app, "noisy"), await _tenant_client(app, "quiet")
    async with noisy, quiet:
        alone = statistics.median(await _latencies(quiet, 30))
        while (await noisy.get("/scim/v2/Users")).status_code != 429:
            pass
        stop = asyncio.Event()

        async def flood() -> int:
            refused = 0
            while not stop.is_set():
                refused += (await noisy.get("/scim/v2/Users")).status_code == 429
                await asyncio.sleep(0)  # a socket would yield here; the transport does not
            return refused

        flooding = asyncio.create_task(flood())
        try:
            during = statistics.median(await _latencies(quiet, 30))
        finally:
            stop.set()
            refused = await flooding
    assert refused > 0
    assert during < max(4 * alone, 0.05), (alone, during)


async def test_failed_authentications_from_one_address_get_429(make_app: MakeApp) -> None:
    async with client_for(make_app(auth_failure_limit="3/minute"), headers={}) as client:
        for attempt in range(3):
            response = await client.get("/scim/v2/Users", headers=_bearer(f"guess-{attempt}"))
            assert_scim_error(response, 401)
        response = await client.get("/scim/v2/Users", headers=_bearer("guess-4"))
    assert_scim_error(response, 429)
    assert int(response.headers["retry-after"]) >= 1


async def test_a_token_in_use_keeps_working_while_its_address_is_over_the_failure_limit(
    make_app: MakeApp,
) -> None:
    app = make_app(auth_failure_limit="3/minute")
    async with await _tenant_client(app, "acme") as legitimate:
        assert (await legitimate.get("/scim/v2/Users")).status_code == 200
        async with client_for(app, headers={}) as attacker:
            for attempt in range(5):
                await attacker.get("/scim/v2/Users", headers=_bearer(f"guess-{attempt}"))
            assert (await attacker.get("/scim/v2/Users")).status_code == 401
        assert (await legitimate.get("/scim/v2/Users")).status_code == 200


async def test_redis_buckets_are_shared_by_workers(make_app: MakeApp) -> None:
    settings = {"rate_limit": "4/minute", "rate_limit_storage": REDIS}
    prefix = _redis_prefix()
    workers = [make_app(**settings, rate_limit_key_prefix=prefix) for _ in range(2)]
    statuses = []
    for index in range(6):
        async with client_for(workers[index % 2]) as client:
            statuses.append((await client.get("/scim/v2/Users")).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_without_redis_requests_are_served_with_one_warning(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(rate_limit="1/minute", rate_limit_storage="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="app.http.rate_limits"):
        async with client_for(app) as client:
            statuses = [(await client.get("/scim/v2/Users")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    warnings = [r for r in caplog.records if r.name == "app.http.rate_limits"]
    assert len(warnings) == 1 and "rate limits are off" in warnings[0].getMessage()


def test_a_malformed_rate_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="not a rate like 50/second"):
        Settings(rate_limit="fast")
