"""python -m app token create|list|revoke."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.cli import main


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    return database_url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_create_prints_the_token_once_and_list_shows_its_name(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "token", "create", "--name", "cli-okta")
    token = out.strip()
    assert code == 0 and len(token) >= 32
    code, out, _ = _run(capsys, "token", "list")
    assert "cli-okta" in out and token not in out
    assert _run(capsys, "token", "revoke", "cli-okta")[0] == 0


def test_token_create_with_a_taken_name_fails(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "token", "create", "--name", "cli-dup")[0] == 0
    code, _, err = _run(capsys, "token", "create", "--name", "cli-dup")
    assert code == 1 and "exists" in err
    _run(capsys, "token", "revoke", "cli-dup")


def test_revoking_an_unknown_token_fails(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "token", "revoke", "never-made")
    assert code == 1 and "no token" in err


def test_token_create_with_scopes_and_expiry_is_listed_with_them(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--name", "cli-feed", "--scope", "events", "metrics", "--expires-in", "90d"]
    assert _run(capsys, "token", "create", *argv)[0] == 0
    _, out, _ = _run(capsys, "token", "list")
    line = next(row for row in out.splitlines() if row.startswith("cli-feed\t"))
    _, tenant, scopes, created, expires, last_used = line.split("\t")
    assert (tenant, scopes, last_used) == ("default", "events,metrics", "never")
    days = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
    assert timedelta(days=89) < days <= timedelta(days=90)
    _run(capsys, "token", "revoke", "cli-feed")


def test_token_create_refuses_an_unknown_scope(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "create", "--name", "cli-x", "--scope", "admin"])
    assert exit_info.value.code == 2
    assert "unknown scope 'admin'" in capsys.readouterr().err


def test_token_create_refuses_a_malformed_duration(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "create", "--name", "cli-x", "--expires-in", "soon"])
    assert exit_info.value.code == 2
    assert "not a duration like 30s" in capsys.readouterr().err


def test_token_rotate_prints_a_new_token_and_lists_the_grace(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _run(capsys, "token", "create", "--name", "cli-rot")[1].strip()
    code, out, err = _run(capsys, "token", "rotate", "cli-rot", "--grace", "24h")
    new = out.splitlines()[0]
    assert code == 0 and len(new) >= 32 and new != old
    assert "old secret works until" in err
    _, listed, _ = _run(capsys, "token", "list")
    assert "previous secret until" in listed and new not in listed
    _run(capsys, "token", "revoke", "cli-rot")


def test_token_revoke_says_what_it_did(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "token", "create", "--name", "cli-gone")
    code, out, _ = _run(capsys, "token", "revoke", "cli-gone")
    assert code == 0 and out.strip() == "token 'cli-gone' revoked; it stops working within 1 s"


def test_rotating_an_unknown_token_fails(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "token", "rotate", "never-made")
    assert code == 1 and "no token" in err
