"""Okta's and Microsoft Entra ID's flows, replayed from tests/idp/{okta,entra}/*.json.

Each transcript is the sequence of requests the provider sends (Okta: its SCIM spec tests, user
provisioning, group push; Entra: users and groups in its default shapes and in its
aadOptscim062020 shapes) with the answers it accepts. The file's ``requires`` lists the server
features the flow depends on, printed with any failing step; its optional ``settings`` are
the server settings it runs with (``schemas``: a SCIM_SCHEMAS file from the repository root),
its optional ``catalog`` the roles and entitlements the application published before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.scim import catalog
from tests.conftest import MakeApp, client_for
from tests.idp.idp_replay import replay

HERE = Path(__file__).parent
FILES = sorted(p for folder in ("okta", "entra") for p in (HERE / folder).glob("*.json"))
TRANSCRIPTS = [
    pytest.param(json.loads(p.read_text()), id=f"{p.parent.name}/{p.stem}") for p in FILES
]


def test_transcripts_are_found() -> None:
    """Guards the parametrisation below against an empty glob (which would run nothing)."""
    assert {p.parent.name for p in FILES} == {"okta", "entra"}
    assert all(t.values[0]["steps"] for t in TRANSCRIPTS)


ROOT = HERE.parents[1]


def _settings(transcript: dict[str, Any]) -> dict[str, Any]:
    """A transcript's ``settings`` (e.g. ``schemas``: a path from the repository root)."""
    settings = dict(transcript.get("settings", {}))
    if "schemas" in settings:
        settings["schemas"] = str(ROOT / settings["schemas"])
    return settings


async def _seed(app: FastAPI, catalogue: dict[str, list[dict[str, Any]]]) -> None:
    """The application's catalogue (roles, entitlements) the transcript starts from."""
    for type_name, entries in catalogue.items():
        kind = app.state.runtime.kinds.get(type_name)
        for entry in entries:
            await catalog.put(app.state.store, "default", kind, entry, datetime.now(UTC))


@pytest.mark.parametrize("transcript", TRANSCRIPTS)
async def test_idp_transcript_replays(transcript: dict[str, Any], make_app: MakeApp) -> None:
    app = make_app(**_settings(transcript))
    await _seed(app, transcript.get("catalog", {}))
    async with client_for(app) as client:
        await replay(client, "/scim/v2", transcript)
