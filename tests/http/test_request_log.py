"""One JSON line per request (app/http/request_log.py), read from the process's stdout."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from app.http.request_log import client, request_id
from app.scim import service
from tests.conftest import AUTH, TOKEN, MakeApp, client_for, patch_payload, user_payload
from tests.live import free_port

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Lines:
    """The server's JSON lines written so far (every line must parse; the test client's
    own httpx lines left out)."""

    def read() -> list[dict[str, Any]]:
        found = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
        return [line for line in found if line.get("logger") != "httpx"]

    return read


@pytest.fixture
async def logged(lines: Lines, make_app: MakeApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built after stdout is captured, logging JSON at info."""
    app = make_app(log_format="json")
    async with client_for(app) as c:
        yield c


def requests(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in found if line["event"] == "request"]


async def test_each_request_writes_one_line_with_the_route_template(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    created = (await logged.post("/scim/v2/Users", json=user_payload())).json()
    lines()
    await logged.get(f"/scim/v2/Users/{created['id']}")
    (line,) = requests(lines())
    assert line["route"] == "/scim/v2/Users/{resource_id}"
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "info")
    assert line["duration_ms"] > 0
    assert line["timestamp"].endswith("Z")


async def test_line_names_the_tenant_and_the_token_not_the_token_itself(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    await logged.get("/scim/v2/Users")
    found = lines()
    (line,) = requests(found)
    assert (line["tenant"], line["token"]) == ("default", "bootstrap")
    assert TOKEN not in json.dumps(found)


async def test_a_cli_token_is_logged_by_its_name(make_app: MakeApp, lines: Lines) -> None:
    from app.http.auth import digest

    app = make_app(log_format="json")
    await app.state.store.create_token("okta-prod", digest("s3cret-token"), "acme")
    async with client_for(app, {"Authorization": "Bearer s3cret-token"}) as c:
        await c.get("/scim/v2/Users")
    found = lines()
    (line,) = requests(found)
    assert (line["tenant"], line["token"]) == ("acme", "okta-prod")
    assert "s3cret-token" not in json.dumps(found)


async def test_client_is_read_from_the_user_agent(logged: httpx.AsyncClient, lines: Lines) -> None:
    await logged.get("/scim/v2/Users", headers={"User-Agent": "Okta SCIM Client 1.0.0"})
    (line,) = requests(lines())
    assert line["client"] == "Okta"


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("Okta SCIM Client 1.0.0", "Okta"),
        ("Azure AD SCIM Provisioning", "Entra"),
        ("Microsoft Entra ID Provisioning", "Entra"),
        ("curl/8.5.0", "other"),
    ],
)
def test_user_agents_map_to_clients(agent: str, expected: str) -> None:
    assert client(agent) == expected


async def test_request_id_from_the_request_is_echoed_and_logged(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    response = await logged.get("/scim/v2/Users", headers={"X-Request-ID": "okta-42 abc"})
    assert response.headers["x-request-id"] == "okta-42 abc"
    (line,) = requests(lines())
    assert line["request_id"] == "okta-42 abc"


@pytest.mark.parametrize("given", [b"x" * 129, b"bad\x01id", b""])
def test_a_long_or_unprintable_request_id_is_replaced(given: bytes) -> None:
    generated = request_id(given)
    assert generated != given.decode("latin-1")
    assert len(generated) == 32


async def test_a_request_without_an_id_gets_a_generated_one(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    response = await logged.get("/scim/v2/Users")
    (line,) = requests(lines())
    assert line["request_id"] == response.headers["x-request-id"]
    assert len(line["request_id"]) == 32


async def test_tolerances_that_fired_are_listed(logged: httpx.AsyncClient, lines: Lines) -> None:
    created = (await logged.post("/scim/v2/Users", json=user_payload())).json()
    lines()
    operation = {"op": "Replace", "path": "active", "value": "False"}
    await logged.patch(f"/scim/v2/Users/{created['id']}", json=patch_payload(operation))
    (line,) = requests(lines())
    assert set(line["tolerances"]) == {"capitalised_op", "boolean_string"}


async def test_debug_level_shows_each_tolerance_with_the_request_id(
    make_app: MakeApp, lines: Lines
) -> None:
    app = make_app(log_format="json", log_level="debug")
    async with client_for(app) as c:
        await c.post("/scim/v2/Users", json=user_payload(id="client-sent"))
    found = lines()
    (fired,) = [line for line in found if line["event"].startswith("tolerance fired")]
    (line,) = requests(found)
    assert fired["request_id"] == line["request_id"]
    assert fired["logger"] == "app.scim.policy"


async def test_an_error_line_carries_its_scim_type(logged: httpx.AsyncClient, lines: Lines) -> None:
    await logged.post("/scim/v2/Users", json=user_payload())
    await logged.post("/scim/v2/Users", json=user_payload())
    line = requests(lines())[-1]
    assert (line["status"], line["scimType"]) == (409, "uniqueness")


async def test_a_filter_is_logged_without_its_values(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    query = 'userName eq "alice@example.com" and meta.lastModified gt "2020-01-01T00:00:00Z"'
    await logged.get("/scim/v2/Users", params={"filter": query})
    found = lines()
    (line,) = requests(found)
    assert line["filter"] == 'userName eq "…" and meta.lastModified gt "…"'
    assert "alice" not in json.dumps(found)


async def test_bodies_and_passwords_are_never_logged(
    logged: httpx.AsyncClient, lines: Lines
) -> None:
    await logged.post("/scim/v2/Users", json=user_payload(password="hunter2-secret"))
    assert "hunter2-secret" not in json.dumps(lines())


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics"])
async def test_probes_are_not_logged_at_info(
    logged: httpx.AsyncClient, lines: Lines, path: str
) -> None:
    assert (await logged.get(path)).status_code == 200
    assert requests(lines()) == []


async def test_a_503_logs_its_cause_once_at_warning(make_app: MakeApp, lines: Lines) -> None:
    closed = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    app = make_app(log_format="json", database_url=closed)
    async with client_for(app) as c:
        response = await c.get("/scim/v2/Users")
    assert response.status_code == 503
    found = lines()
    (line,) = [line for line in found if line["level"] == "warning"]
    assert line["event"] == "request"
    assert line["status"] == 503
    assert "connection refused" in line["cause"]
    assert line["error"] == "ConnectionRefusedError"


async def test_a_500_logs_one_traceback_and_answers_the_scim_envelope(
    make_app: MakeApp, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "search", broken)
    app = make_app(log_format="json")
    async with client_for(app) as c:
        response = await c.get("/scim/v2/Users")
    assert response.status_code == 500
    assert response.json()["status"] == "500"
    assert response.headers["x-request-id"]
    found = lines()
    (line,) = [line for line in found if line["level"] == "error"]
    assert (line["event"], line["error"]) == ("request", "RuntimeError")
    assert line["exception"].count("Traceback (most recent call last)") == 1
    assert "RuntimeError: boom" in line["exception"]


async def test_console_format_is_for_people(make_app: MakeApp, lines: Lines) -> None:
    app = make_app(log_format="console")
    async with client_for(app, AUTH) as c:
        await c.get("/scim/v2/Users")
    with pytest.raises(json.JSONDecodeError):
        lines()
