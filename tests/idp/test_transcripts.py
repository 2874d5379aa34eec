"""Okta and Entra PATCH bodies, kept as transcripts, replayed through HTTP on every backend.

Each file in ``transcripts/`` holds the user to create (``setup``), the request Okta or
Entra sends (``{id}`` stands for the created user's id) and what must come back: the status
and a fragment of the resource, where ``null`` means "absent". The bodies are reconstructed
from the vendors' documentation and reported interoperability issues (RFC 7644 §3.5.2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.json"))


def _load(path: Path, user_id: str = "") -> dict[str, Any]:
    transcript: dict[str, Any] = json.loads(path.read_text().replace("{id}", user_id))
    return transcript


def assert_fragment(actual: Any, expected: Any, where: str = "resource") -> None:
    """``actual`` holds ``expected``: objects by key (``None`` = absent), lists element-wise."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in expected.items():
            if value is None:
                assert key not in actual, f"{where}.{key} should be absent"
            else:
                assert key in actual, f"{where}.{key} is missing"
                assert_fragment(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for n, (item, wanted) in enumerate(zip(actual, expected, strict=True)):
            assert_fragment(item, wanted, f"{where}[{n}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


async def _replay(client: httpx.AsyncClient, path: Path) -> tuple[dict[str, Any], httpx.Response]:
    setup = _load(path)["setup"]
    created = await client.post("/scim/v2/Users", json=setup)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    transcript = _load(path, user_id)
    request = transcript["request"]
    response = await client.request(
        request["method"], f"/scim/v2/Users/{user_id}", json=request["body"]
    )
    return transcript, response


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript_replays(client: httpx.AsyncClient, path: Path) -> None:
    transcript, response = await _replay(client, path)
    expect = transcript["expect"]
    assert response.status_code == expect["status"], response.text
    assert_fragment(response.json(), expect["resource"])
    fetched = await client.get(f"/scim/v2/Users/{response.json()['id']}")
    assert_fragment(fetched.json(), expect["resource"])


FOUND_BY = [p for p in TRANSCRIPTS if "found_by" in _load(p)["expect"]]


@pytest.mark.parametrize("path", FOUND_BY, ids=[p.stem for p in FOUND_BY])
async def test_patched_user_is_found_by_filter(client: httpx.AsyncClient, path: Path) -> None:
    """After Okta's deactivate and Entra's disable, ``filter=active eq false`` finds the user."""
    transcript, response = await _replay(client, path)
    listing = await client.get(
        "/scim/v2/Users", params={"filter": transcript["expect"]["found_by"]}
    )
    assert listing.status_code == 200, listing.text
    assert [r["id"] for r in listing.json()["Resources"]] == [response.json()["id"]]
