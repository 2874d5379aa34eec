"""Agents and agentic applications (draft-abbey-scim-agent-extension-00), SCIM_RESOURCE_TYPES."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeApp, assert_scim_error, client_for, patch_payload

AGENT = "urn:ietf:params:scim:schemas:core:2.0:Agent"
APPLICATION = "urn:ietf:params:scim:schemas:core:2.0:AgenticApplication"


@pytest.fixture
async def agents(make_app: MakeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app(resource_types="Agent,AgenticApplication")) as client:
        yield client


async def _agent(client: httpx.AsyncClient, name: str = "research", **more: Any) -> httpx.Response:
    return await client.post("/scim/v2/Agents", json={"schemas": [AGENT], "name": name, **more})


async def test_agent_types_are_advertised(agents: httpx.AsyncClient) -> None:
    listed = (await agents.get("/scim/v2/ResourceTypes")).json()["Resources"]
    endpoints = {r["id"]: r["endpoint"] for r in listed}
    assert endpoints["Agent"] == "/Agents"
    assert endpoints["AgenticApplication"] == "/AgenticApplications"
    assert (await agents.get(f"/scim/v2/Schemas/{AGENT}")).status_code == 200


async def test_agent_is_created_read_and_deleted(agents: httpx.AsyncClient) -> None:
    created = await _agent(agents, displayName="Research", agentType="Researcher", active=True)
    assert created.status_code == 201, created.text
    agent_id = created.json()["id"]
    fetched = (await agents.get(f"/scim/v2/Agents/{agent_id}")).json()
    assert (fetched["name"], fetched["agentType"], fetched["meta"]["resourceType"]) == (
        "research",
        "Researcher",
        "Agent",
    )
    assert (await agents.delete(f"/scim/v2/Agents/{agent_id}")).status_code == 204
    assert (await agents.get(f"/scim/v2/Agents/{agent_id}")).status_code == 404


async def test_agent_name_is_required(agents: httpx.AsyncClient) -> None:
    response = await agents.post("/scim/v2/Agents", json={"schemas": [AGENT]})
    assert_scim_error(response, 400, "invalidValue")


async def test_agent_name_is_unique_ignoring_case(agents: httpx.AsyncClient) -> None:
    assert (await _agent(agents, "Research")).status_code == 201
    assert_scim_error(await _agent(agents, "research"), 409, "uniqueness")


async def test_agent_is_deactivated_by_patch_and_found_by_filter(
    agents: httpx.AsyncClient,
) -> None:
    agent_id = (await _agent(agents, active=True)).json()["id"]
    await _agent(agents, "other", active=True)
    op = {"op": "replace", "value": {"active": False}}
    patched = await agents.patch(f"/scim/v2/Agents/{agent_id}", json=patch_payload(op))
    assert patched.status_code == 200 and patched.json()["active"] is False
    listed = await agents.get("/scim/v2/Agents", params={"filter": "active eq false"})
    assert [r["id"] for r in listed.json()["Resources"]] == [agent_id]


async def test_agent_is_replaced_by_put(agents: httpx.AsyncClient) -> None:
    agent_id = (await _agent(agents, description="old")).json()["id"]
    body = {"schemas": [AGENT], "name": "research", "description": "new"}
    replaced = await agents.put(f"/scim/v2/Agents/{agent_id}", json=body)
    assert replaced.status_code == 200 and replaced.json()["description"] == "new"


async def test_agentic_application_lifecycle(agents: httpx.AsyncClient) -> None:
    body = {"schemas": [APPLICATION], "name": "support-platform", "displayName": "Support"}
    created = await agents.post("/scim/v2/AgenticApplications", json=body)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    listed = await agents.get(
        "/scim/v2/AgenticApplications", params={"filter": 'name eq "SUPPORT-PLATFORM"'}
    )
    assert [r["id"] for r in listed.json()["Resources"]] == [app_id]


async def test_agents_are_not_served_unless_switched_on(client: httpx.AsyncClient) -> None:
    assert (await client.get("/scim/v2/Agents")).status_code == 404
