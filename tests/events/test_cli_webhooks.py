"""python -m app webhook add|list|remove|rotate-secret|replay."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi import FastAPI

from app.cli import main
from tests.conftest import CreateUser, printed
from tests.events.webhooks import hooks


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    return database_url


async def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, printed(out), err


async def test_add_prints_the_id_and_a_whsec_secret_once(
    cli_db: str, app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await _run(capsys, "webhook", "add", "--url", "https://app.example/hook")
    endpoint_id, secret = out.split()
    assert code == 0 and secret.startswith("whsec_")
    found = await hooks(app).get_endpoint(uuid.UUID(endpoint_id))
    assert found is not None and found.event_types == ["*"]
    _, listed, _ = await _run(capsys, "webhook", "list")
    assert endpoint_id in listed and secret not in listed


@pytest.mark.parametrize(
    ("url", "flag"),
    [
        ("http://app.example/hook", "--allow-insecure"),
        ("http://127.0.0.1:9/hook", None),
        ("ftp://app.example/hook", None),
        ("/hook", None),
    ],
)
async def test_add_refuses_urls_that_are_not_https(
    cli_db: str, capsys: pytest.CaptureFixture[str], url: str, flag: str | None
) -> None:
    argv = ["webhook", "add", "--url", url, *([flag] if flag else [])]
    code, out, err = await _run(capsys, *argv)
    assert code == 2 and out == "" and err.splitlines()[-1].startswith("error: ")


async def test_plain_http_to_loopback_is_allowed_when_asked(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["webhook", "add", "--url", "http://127.0.0.1:9/hook", "--allow-insecure"]
    assert (await _run(capsys, *argv))[0] == 0


async def test_a_new_endpoint_starts_at_the_current_position(
    cli_db: str, app: FastAPI, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_user("before")
    argv = ["webhook", "add", "--url", "https://app.example/h", "--events", "user.*,group.*"]
    _, out, _ = await _run(capsys, *argv)
    found = await hooks(app).get_endpoint(uuid.UUID(out.split()[0]))
    assert found is not None and found.position == 1
    assert found.event_types == ["user.*", "group.*"]


async def test_list_shows_position_backlog_and_state(
    cli_db: str, app: FastAPI, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    await _run(capsys, "webhook", "add", "--url", "https://app.example/h")
    await create_user("a")
    await create_user("b")
    _, listed, _ = await _run(capsys, "webhook", "list")
    header, row = listed.splitlines()
    assert header.split("\t")[3:6] == ["state", "position", "backlog"]
    assert row.split("\t")[3:6] == ["active", "0", "2"]


async def test_rotate_secret_prints_a_new_secret(
    cli_db: str, app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = await _run(capsys, "webhook", "add", "--url", "https://app.example/h")
    endpoint_id, old = out.split()
    code, new, _ = await _run(capsys, "webhook", "rotate-secret", endpoint_id)
    found = await hooks(app).get_endpoint(uuid.UUID(endpoint_id))
    assert code == 0 and found is not None
    assert (found.secret, found.previous_secret) == (new.strip(), old)


async def test_replay_moves_the_position_back(
    cli_db: str, app: FastAPI, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_user("a")
    _, out, _ = await _run(capsys, "webhook", "add", "--url", "https://app.example/h")
    endpoint_id = out.split()[0]
    assert (await _run(capsys, "webhook", "replay", endpoint_id, "--from", "0"))[0] == 0
    found = await hooks(app).get_endpoint(uuid.UUID(endpoint_id))
    assert found is not None and found.position == 0


async def test_remove_forgets_the_endpoint_and_unknown_ids_fail(
    cli_db: str, app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = await _run(capsys, "webhook", "add", "--url", "https://app.example/h")
    endpoint_id = out.split()[0]
    assert (await _run(capsys, "webhook", "remove", endpoint_id))[0] == 0
    assert await hooks(app).list_endpoints() == []
    code, _, err = await _run(capsys, "webhook", "remove", endpoint_id)
    assert code == 1 and "no endpoint" in err
    assert (await _run(capsys, "webhook", "remove", "not-an-id"))[0] == 1
