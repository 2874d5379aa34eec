"""SCIM_OPENTELEMETRY: FastAPI's native OpenTelemetry runs only when the operator asks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.telemetry import _asgi

from tests.conftest import MakeApp, client_for


@pytest.fixture
def provider_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts FastAPI's look-ups of the global tracer provider (one per request while on)."""
    calls: list[int] = []
    real = _asgi.trace.get_tracer_provider

    def counted() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(_asgi.trace, "get_tracer_provider", counted)
    return calls


async def test_by_default_a_request_does_not_look_up_opentelemetry_providers(
    make_app: MakeApp, provider_lookups: list[int]
) -> None:
    async with client_for(make_app()) as c:
        assert (await c.get("/scim/v2/Users")).status_code == 200
    assert provider_lookups == []


async def test_with_opentelemetry_on_fastapi_instruments_every_request(
    make_app: MakeApp, provider_lookups: list[int]
) -> None:
    async with client_for(make_app(opentelemetry=True)) as c:
        assert (await c.get("/scim/v2/Users")).status_code == 200
    assert provider_lookups
