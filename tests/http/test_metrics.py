"""``GET /metrics`` (app/http/metrics.py), read with prometheus-client's own parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.http.auth import METRICS, SCIM, digest
from tests.conftest import MakeApp, client_for, patch_payload, user_payload


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


async def scrape(c: httpx.AsyncClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = await c.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_request_durations_are_counted_by_route_template(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.post("/scim/v2/Users", json=user_payload())).json()
    for _ in range(3):
        await client.get(f"/scim/v2/Users/{created['id']}")
    found = await scrape(client)
    counts = {
        (
            labels["http_request_method"],
            labels["http_route"],
            labels["http_response_status_code"],
        ): value
        for labels, value in found["http_server_request_duration_seconds_count"]
    }
    assert counts[("GET", "/scim/v2/Users/{resource_id}", "200")] == 3
    assert counts[("POST", "/scim/v2/Users", "201")] == 1


async def test_operations_are_counted_by_type_operation_and_outcome(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/scim/v2/Users", json=user_payload())
    await client.post("/scim/v2/Users", json=user_payload())
    await client.get("/scim/v2/Groups")
    found = await scrape(client)
    counts = {
        (labels["resource_type"], labels["operation"], labels["outcome"]): value
        for labels, value in found["scim_operations_total"]
    }
    assert counts == {
        ("User", "create", "success"): 1,
        ("User", "create", "409"): 1,
        ("Group", "list", "success"): 1,
    }


async def test_tolerances_are_counted_by_name(client: httpx.AsyncClient) -> None:
    created = (await client.post("/scim/v2/Users", json=user_payload())).json()
    operation = {"op": "Replace", "path": "active", "value": False}
    for _ in range(2):
        await client.patch(f"/scim/v2/Users/{created['id']}", json=patch_payload(operation))
    found = await scrape(client)
    counts = {labels["name"]: value for labels, value in found["scim_tolerances_total"]}
    assert counts == {"capitalised_op": 2}


async def test_pool_gauges_are_exported(client: httpx.AsyncClient) -> None:
    await client.get("/scim/v2/Users")
    found = await scrape(client)
    states = {labels["state"] for labels, _ in found["scim_db_pool_connections"]}
    assert states == {"in_use", "idle"}
    assert found["scim_db_pool_waiting"] == [({}, 0.0)]


async def test_no_metric_carries_a_tenant(client: httpx.AsyncClient) -> None:
    await client.post("/scim/v2/Users", json=user_payload())
    found = await scrape(client)
    assert all("tenant" not in labels for series in found.values() for labels, _ in series)


async def test_metrics_token_is_required_when_set(make_app: MakeApp) -> None:
    app = make_app(metrics_token="scrape-me")
    async with client_for(app, headers={}) as c:
        refused = await c.get("/metrics")
        wrong = await c.get("/metrics", headers={"Authorization": "Bearer nope"})
        allowed = await c.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert (refused.status_code, wrong.status_code, allowed.status_code) == (401, 401, 200)
    assert refused.headers["www-authenticate"].startswith("Bearer")


async def test_metrics_need_no_token_by_default(make_app: MakeApp) -> None:
    async with client_for(make_app(), headers={}) as c:
        assert (await c.get("/metrics")).status_code == 200


async def test_a_token_of_scope_metrics_may_scrape(make_app: MakeApp) -> None:
    app = make_app(metrics_token="scrape-me")
    await app.state.store.create_token("prometheus", digest("prom-secret"), "default", [METRICS])
    await app.state.store.create_token("okta", digest("okta-secret"), "default", [SCIM])
    async with client_for(app, headers={}) as c:
        scoped = await c.get("/metrics", headers={"Authorization": "Bearer prom-secret"})
        other = await c.get("/metrics", headers={"Authorization": "Bearer okta-secret"})
    assert (scoped.status_code, other.status_code) == (200, 401)


async def test_webhook_delivery_metrics_are_served(client: httpx.AsyncClient) -> None:
    found = await scrape(client)
    assert "scim_webhook_delivery_lag_seconds_count" in found
