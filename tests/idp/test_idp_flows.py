"""Okta's and Microsoft Entra ID's flows, replayed from tests/idp/{okta,entra}/*.json.

Each transcript is the sequence of requests the provider sends (Okta: its SCIM spec tests, user
provisioning, group push; Entra: users and groups in its default shapes and in its
aadOptscim062020 shapes) with the answers it accepts. The file's ``requires`` lists the server
features the flow depends on, printed with any failing step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

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


@pytest.mark.parametrize("transcript", TRANSCRIPTS)
async def test_idp_transcript_replays(
    transcript: dict[str, Any], client: httpx.AsyncClient
) -> None:
    await replay(client, "/scim/v2", transcript)
