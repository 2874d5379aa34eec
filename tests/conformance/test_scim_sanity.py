"""scim-sanity's live probe, strict mode, against live servers: every check passes.

The probe walks discovery, the User and Group lifecycles (POST, GET, PUT, PATCH, DELETE), the
Agent and AgenticApplication lifecycles of draft-abbey-scim-agent-extension-00, search and
error handling (RFC 7644 §3, §4). On default settings every check passes but the agent phases,
which skip because the optional agent types are off; with them on (``agent_server``,
SCIM_RESOURCE_TYPES) those pass too. No other check may skip.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer

SCIM_SANITY = Path(sys.executable).with_name("scim-sanity")
AGENT_PHASES = ("Phase 4 —", "Phase 5 —", "Phase 5a —")

# Checks whose expectation contradicts the RFC: check name -> the RFC section and why. Each is
# left out of the all-pass test and asserted as still failing by an xfail(strict=True) test,
# so it stays visible in every run (and turns red the day the tool or the server changes).
RFC_DISAGREEMENTS: dict[str, str] = {
    "PATCH /Groups/{id} add member": (
        "scim-sanity adds the member 'fake-member-id' and expects 200. A member's value is the "
        "id of a resource of this service (RFC 7643 §4.2), so a value naming none is "
        "400 invalidValue (RFC 7644 §3.12); accepting it would store a dangling reference."
    ),
    "PATCH /Groups/{id}": (
        "scim-sanity wants 200 with a body. RFC 7644 §3.5.2 lets a PATCH answer 204 No "
        "Content, and a group does by default (what Entra recommends and Okta accepts; "
        "SCIM_GROUP_PATCH_RETURNS=full answers 200 with every member)."
    ),
    "PATCH /Groups/{id} remove members": (
        "as for PATCH /Groups/{id}: the default 204 is what RFC 7644 §3.5.2 allows."
    ),
}


def _probe(server: LiveServer) -> dict[str, Any]:
    command = [
        str(SCIM_SANITY), "probe", server.base_url, "--token", server.token,
        "--strict", "--i-accept-side-effects", "--json-output", "--timeout", "30",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.stdout.strip(), f"no report (rc {done.returncode}):\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="session")
def sanity_report(live_server: LiveServer) -> dict[str, Any]:
    """One strict probe run per backend on default settings; its JSON report."""
    return _probe(live_server)


@pytest.fixture(scope="session")
def agent_report(agent_server: LiveServer) -> dict[str, Any]:
    """The same probe against a server that also serves the agent types."""
    return _probe(agent_server)


def _agent_phase(result: dict[str, Any]) -> bool:
    return str(result.get("phase", "")).startswith(AGENT_PHASES)


def _not_passing(
    report: dict[str, Any], allowed: Callable[[dict[str, Any]], bool] = lambda result: False
) -> list[str]:
    failures = [
        f"{r['status']:5} {r['phase']} / {r['name']}: {r.get('message', '')}"
        for r in report["results"]
        if r["status"] != "pass" and r["name"] not in RFC_DISAGREEMENTS and not allowed(r)
    ]
    issues = [f"  {i['priority']} {i['title']}" for i in report.get("issues", [])]
    return failures + issues if failures else []


def test_scim_sanity_runs_in_strict_mode(sanity_report: dict[str, Any]) -> None:
    assert sanity_report["mode"] == "strict"


def test_scim_sanity_probe_all_pass_on_default_settings(sanity_report: dict[str, Any]) -> None:
    def agent_phase_skipped(result: dict[str, Any]) -> bool:
        return result["status"] == "skip" and _agent_phase(result)

    failures = _not_passing(sanity_report, agent_phase_skipped)
    assert not failures, "scim-sanity checks not passing:\n" + "\n".join(failures)


def test_scim_sanity_skips_only_the_agent_phases_on_default_settings(
    sanity_report: dict[str, Any],
) -> None:
    skipped = {str(r["phase"]) for r in sanity_report["results"] if r["status"] == "skip"}
    assert skipped and all(p.startswith(AGENT_PHASES) for p in skipped), skipped


def test_scim_sanity_runs_the_agent_phases_when_the_agent_types_are_served(
    agent_report: dict[str, Any],
) -> None:
    phases = {str(r.get("phase", "")) for r in agent_report["results"] if r["status"] == "pass"}
    for phase in AGENT_PHASES:
        assert any(p.startswith(phase) for p in phases), f"{phase} did not pass"


def test_scim_sanity_probe_all_pass_with_the_agent_types_served(
    agent_report: dict[str, Any],
) -> None:
    failures = _not_passing(agent_report)
    assert not failures, "scim-sanity checks not passing:\n" + "\n".join(failures)


if RFC_DISAGREEMENTS:

    @pytest.mark.parametrize(
        "check",
        [
            pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=why))
            for name, why in RFC_DISAGREEMENTS.items()
        ],
    )
    def test_scim_sanity_check_contradicting_the_rfc(
        check: str, sanity_report: dict[str, Any]
    ) -> None:
        results = [r for r in sanity_report["results"] if r["name"] == check]
        assert results, f"scim-sanity no longer runs {check!r}: remove it from the list"
        assert all(r["status"] == "pass" for r in results), results
