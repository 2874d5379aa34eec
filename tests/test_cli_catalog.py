"""python -m app catalog add|list|remove|import: the application writes its catalogue."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from app.cli import main
from tests.conftest import MakeApp, client_for, printed


@pytest.fixture
def governed_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_RESOURCE_TYPES", "Role,Entitlement")
    return database_url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, printed(out), err


async def _run_async(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI runs its own event loop: from an async test, in a thread."""
    return await asyncio.to_thread(_run, capsys, *argv)


async def test_added_role_is_served_and_listed(
    governed_env: str, capsys: pytest.CaptureFixture[str], make_app: MakeApp
) -> None:
    argv = ("catalog", "add", "Role", "--id", "admin", "--display-name", "Admin")
    code, _, err = await _run_async(capsys, *argv)
    assert code == 0 and "created" in err
    async with client_for(make_app(resource_types="Role,Entitlement")) as client:
        role = (await client.get("/scim/v2/Roles/admin")).json()
    assert role["displayName"] == "Admin"
    assert (await _run_async(capsys, "catalog", "list", "Role"))[1] == "admin\tAdmin\n"


async def test_import_takes_resources_in_their_served_form(
    governed_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, make_app: MakeApp
) -> None:
    entries = [
        {"schemas": ["urn:okta:scim:schemas:core:1.0:Role"], "id": "r1", "displayName": "One"},
        {
            "schemas": ["urn:okta:scim:schemas:core:1.0:Entitlement"],
            "id": "e1",
            "displayName": "Reports",
            "type": "Entitlement",
        },
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(entries))
    assert (await _run_async(capsys, "catalog", "import", str(path)))[0] == 0
    async with client_for(make_app(resource_types="Role,Entitlement")) as client:
        listed: httpx.Response = await client.get("/scim/v2/Entitlements")
    assert [r["id"] for r in listed.json()["Resources"]] == ["e1"]


def test_remove_of_an_unknown_entry_fails(
    governed_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "catalog", "remove", "Role", "nobody")
    assert code == 1 and "not found" in err


def test_description_over_1000_characters_is_refused(
    governed_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["catalog", "add", "Role", "--id", "x", "--display-name", "X"]
    code, _, err = _run(capsys, *argv, "--description", "d" * 1001)
    assert code == 1 and "1000" in err


def test_a_type_that_is_no_catalogue_is_refused(
    governed_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "catalog", "list", "User")
    assert code == 1 and "not a catalogue type" in err
