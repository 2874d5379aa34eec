"""The request log: one redacted row per write, failed write and 4xx/5xx answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.http.auth import BOOTSTRAP_NAME, digest
from app.scim.redaction import REDACTED
from app.scim.store import LoggedRequest, LogQuery
from tests.conftest import CreateUser, MakeApp, PatchUser, client_for, user_payload

SECRET = "Sup3r-Secret-Pa55!"


async def _logged(app: FastAPI, **query: Any) -> list[LoggedRequest]:
    await app.state.request_log.flush()
    found: list[LoggedRequest] = await app.state.store.find_request_log(LogQuery(**query))
    return found


async def test_a_create_is_logged_with_its_caller_route_status_and_resource(
    app: FastAPI, create_user: CreateUser
) -> None:
    user = await create_user("bjensen")
    [row] = await _logged(app)
    assert (row.method, row.route, row.status) == ("POST", "/scim/v2/Users", 201)
    assert (row.resource_type, row.resource_id) == ("User", user["id"])
    assert (row.tenant, row.token_name) == ("default", BOOTSTRAP_NAME)
    assert row.body is not None and orjson.loads(row.body)["userName"] == "bjensen"
    assert row.duration_ms > 0 and not row.body_truncated


async def test_a_successful_read_is_not_logged(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    assert (await client.get(f"/scim/v2/Users/{user['id']}")).status_code == 200
    assert [row.method for row in await _logged(app)] == ["POST"]


async def test_a_read_answered_404_is_logged_with_its_detail(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    missing = "2819c223-7f76-453a-919d-413861904646"
    response = await client.get(f"/scim/v2/Users/{missing}")
    [row] = await _logged(app)
    assert (row.method, row.status, row.resource_id) == ("GET", 404, missing)
    assert row.route == "/scim/v2/Users/{resource_id}"
    assert row.detail == response.json()["detail"]


async def test_a_failed_write_is_logged_with_its_scim_type(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    assert (await client.post("/scim/v2/Users", json=user_payload("BJENSEN"))).status_code == 409
    newest = (await _logged(app))[0]
    assert (newest.status, newest.scim_type) == (409, "uniqueness")


async def test_a_401_is_logged_without_a_tenant(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    await anonymous.get("/scim/v2/Users", headers={"Authorization": "Bearer wrong"})
    [row] = await _logged(app)
    assert (row.status, row.tenant, row.token_name) == (401, None, None)


async def test_a_password_is_kept_redacted(app: FastAPI, create_user: CreateUser) -> None:
    await create_user("bjensen", password=SECRET)
    [row] = await _logged(app)
    assert row.body is not None and SECRET not in row.body
    assert orjson.loads(row.body)["password"] == REDACTED


async def test_a_patched_password_is_kept_redacted(
    app: FastAPI, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user()
    operations = [
        {"op": "replace", "path": "password", "value": SECRET},
        {"op": "replace", "value": {"password": SECRET}},
    ]
    assert (await patch_user(user["id"], *operations)).status_code == 200
    newest = (await _logged(app))[0]
    assert newest.body is not None and SECRET not in newest.body
    assert [op["value"] for op in orjson.loads(newest.body)["Operations"]] == [
        REDACTED,
        {"password": REDACTED},
    ]


async def test_a_body_over_64_kib_is_cut_and_flagged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post("/scim/v2/Users", json=user_payload(title="x" * 70_000))
    [row] = await _logged(app)
    assert row.body_truncated and row.body is not None
    assert len(row.body.encode()) == 64 * 1024


async def test_a_patch_that_changes_nothing_is_marked(
    app: FastAPI, create_user: CreateUser, patch_user: PatchUser
) -> None:
    user = await create_user(active=True)
    await patch_user(user["id"], {"op": "replace", "path": "active", "value": True})
    await patch_user(user["id"], {"op": "replace", "path": "active", "value": False})
    changed, unchanged, _created = await _logged(app)
    assert unchanged.no_change and not changed.no_change


async def test_the_tolerances_that_fired_are_logged(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    body = user_payload(id=user["id"], meta={"resourceType": "User"})
    assert (await client.put(f"/scim/v2/Users/{user['id']}", json=body)).status_code == 200
    assert "drop_server_owned" in (await _logged(app))[0].tolerances


async def test_a_failure_to_log_never_fails_the_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_rows: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(app.state.store, "write_request_log", broken)
    with caplog.at_level(logging.WARNING, logger="app.http.audit"):
        for name in ("a", "b"):
            assert (await client.post("/scim/v2/Users", json=user_payload(name))).status_code == 201
        await app.state.request_log.flush()
    assert [r.getMessage() for r in caplog.records if r.name == "app.http.audit"] == [
        "could not write the request log: disk full"
    ]


async def test_rows_older_than_the_retention_are_pruned_by_the_server(
    app: FastAPI, create_user: CreateUser
) -> None:
    old = datetime.now(UTC) - timedelta(days=31)
    stale = LoggedRequest("old", old, "POST", "/scim/v2/Users", 201, 1.0)
    await app.state.store.write_request_log([stale])
    await create_user()
    assert [row.method for row in await _logged(app) if row.request_id != "old"] == ["POST"]
    assert "old" not in [row.request_id for row in await _logged(app)]


async def test_a_tenants_own_path_is_logged_with_its_resource(make_app: MakeApp) -> None:
    app = make_app(tenant_in_path=True)
    await app.state.store.create_token("a", digest("a-secret"), "a")
    async with client_for(app, headers={"Authorization": "Bearer a-secret"}) as client:
        created = await client.post("/t/a/scim/v2/Users", json=user_payload("bjensen"))
    [row] = await _logged(app)
    assert (row.route, row.tenant) == ("/t/{tenant}/scim/v2/Users", "a")
    assert (row.resource_type, row.resource_id) == ("User", created.json()["id"])
