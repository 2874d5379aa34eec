"""Start-up and misconfiguration: one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app import dburl
from app.http.health import Readiness
from app.storage.migrations import head
from tests.live import ROOT, _environment, free_port, live_database, run_cli, serve

CLOSED = "postgresql+asyncpg://scim:hunter2@127.0.0.1:{port}/scim"


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> str:
    """An empty, never migrated database of the current backend."""
    return live_database(database_url, tmp_path, "fresh")


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5433/db", "postgresql+asyncpg://u:p@h:5433/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///./scim.db", "sqlite+aiosqlite:///./scim.db"),
        ("sqlite+aiosqlite:///./scim.db", "sqlite+aiosqlite:///./scim.db"),
    ],
)
def test_pasted_database_urls_mean_the_async_drivers(given: str, expected: str) -> None:
    assert dburl.normalise(given) == expected


def test_passwords_are_masked_in_messages() -> None:
    assert dburl.masked("postgresql+asyncpg://scim:hunter2@db:5432/x") == (
        "postgresql+asyncpg://scim:***@db:5432/x"
    )


@pytest.mark.parametrize("url", ["mysql://root@localhost/scim", "not a url"])
def test_an_unknown_database_scheme_exits_2_naming_the_accepted_forms(url: str) -> None:
    done = run_cli(url, "token", "list")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("error: SCIM_DATABASE_URL: unsupported database URL")
    assert "postgresql://" in line and "sqlite" in line


def test_a_setting_that_does_not_parse_exits_2_with_one_line() -> None:
    done = run_cli("sqlite:///x.db", "token", "list", env={"SCIM_DB_POOL_SIZE": "many"})
    assert done.returncode == 2
    assert one_line(done.stderr).startswith("error: SCIM_DB_POOL_SIZE:")


def test_cli_commands_name_their_database_with_the_password_masked() -> None:
    done = run_cli(CLOSED.format(port=free_port()), "token", "list")
    assert "database: postgresql+asyncpg://scim:***@127.0.0.1:" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


@pytest.mark.parametrize("argv", [("token", "list"), ("migrate",)])
def test_cli_commands_fail_with_one_line_when_the_database_is_down(argv: tuple[str, ...]) -> None:
    port = free_port()
    done = run_cli(CLOSED.format(port=port), *argv)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("database: ")
    assert one_line("\n".join(lines[1:])).startswith(
        f"error: cannot use the database at 127.0.0.1:{port}:"
    )


def test_token_commands_on_an_unmigrated_database_name_the_migrate_command(
    fresh_url: str,
) -> None:
    done = run_cli(fresh_url, "token", "list")
    assert done.returncode == 1
    assert "run `python -m app migrate`" in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


def test_serve_refuses_an_unmigrated_schema_naming_the_migrate_command(fresh_url: str) -> None:
    port = str(free_port())
    done = run_cli(fresh_url, "serve", "--port", port)
    assert done.returncode == 1
    line = done.stderr.splitlines()[-1]
    assert line.startswith("error: the database schema is at no revision")
    assert "run `python -m app migrate`" in line
    assert "Traceback" not in done.stderr


def test_serve_migrates_first_when_asked(fresh_url: str, tmp_path: Path) -> None:
    env = {"SCIM_MIGRATE_ON_START": "true"}
    with serve(fresh_url, tmp_path / "log", env=env, migrate=False) as server:
        assert httpx.get(f"{server.origin}/readyz", timeout=5).status_code == 200


@pytest.mark.postgresql_only
def test_processes_migrating_together_migrate_once(fresh_url: str) -> None:
    environment = _environment(fresh_url, "t", {})
    command = [sys.executable, "-m", "app", "migrate"]
    processes = [
        subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    done = run_cli(fresh_url, "token", "list")
    assert done.returncode == 0, done.stderr


def test_serve_starts_on_an_unreachable_database_and_is_unready(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "log"
    with serve(CLOSED.format(port=port), log, migrate=False) as server:
        ready = httpx.get(f"{server.origin}/readyz", timeout=5)
        live = httpx.get(f"{server.origin}/livez", timeout=5)
    assert (ready.status_code, live.status_code) == (503, 200)
    assert ready.json()["failed"] == "database"
    text = log.read_text()
    assert f"cannot use the database at 127.0.0.1:{port}" in text
    assert f"database unreachable at 127.0.0.1:{port}" in text
    assert "hunter2" not in text


async def test_an_unreachable_database_is_warned_about_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Flaky:
        calls = 0

        async def schema_revision(self) -> str | None:
            self.calls += 1
            if self.calls < 3:
                raise ConnectionRefusedError("refused")
            return head()

    readiness = Readiness(Flaky(), head(), checks_db=True, where="db:5432")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="app.health"):
        await asyncio.wait_for(readiness.wait_for_database(every=0.01), 5)
    messages = [r.getMessage() for r in caplog.records if r.name == "app.health"]
    assert len([m for m in messages if m.startswith("database unreachable at db:5432")]) == 2
    assert messages[-1] == "database at db:5432 reachable again"
