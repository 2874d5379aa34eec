"""Behind PgBouncer in transaction mode (``SCIM_DB_POOLER=transaction``): Debian's
``pgbouncer``, started by the test in front of the test PostgreSQL, serves a provisioning
flow with no prepared-statement error."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.storage.migrations import upgrade
from tests.conftest import group_payload, patch_payload, user_payload
from tests.live import LiveServer, free_port, live_database, serve

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="needs pgbouncer"),
]


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else [*command]


@pytest.fixture
def bouncer_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database reached through a transaction-mode PgBouncer."""
    direct = live_database(database_url, tmp_path, "bouncer")
    upgrade(direct)
    target = make_url(direct)
    directory = Path(tempfile.mkdtemp(prefix="scim-pgbouncer-"))
    port = free_port()
    (directory / "users.txt").write_text(f'"{target.username}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={target.host} port={target.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "users.txt"}
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
"""
    )
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    with (directory / "stderr").open("wb") as errors:
        process = subprocess.Popen(
            _as_postgres("pgbouncer", str(directory / "pgbouncer.ini")),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"], check=False
        ).returncode:
            failed = process.poll() is not None or time.monotonic() > deadline
            assert not failed, (directory / "stderr").read_text()
            time.sleep(0.1)
        yield target.set(port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


async def _flow(server: LiveServer) -> None:
    base = server.base_url
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(headers=server.headers, timeout=30, limits=limits) as c:
        created = await asyncio.gather(
            *(c.post(f"{base}/Users", json=user_payload(f"u{i:02}")) for i in range(30))
        )
        assert {r.status_code for r in created} == {201}
        ids = [r.json()["id"] for r in created]
        lookups = await asyncio.gather(
            *(
                c.get(f"{base}/Users", params={"filter": f'userName eq "u{i:02}"'})
                for i in range(30)
            )
        )
        assert [r.json()["totalResults"] for r in lookups] == [1] * 30
        group = (await c.post(f"{base}/Groups", json=group_payload("Staff"))).json()

        def add(user_id: str) -> object:
            operation = {"op": "add", "path": "members", "value": [{"value": user_id}]}
            return c.patch(f"{base}/Groups/{group['id']}", json=patch_payload(operation))

        patched = await asyncio.gather(*(add(user_id) for user_id in ids))
        assert {r.status_code for r in patched} == {204}  # type: ignore[attr-defined]
        members = (await c.get(f"{base}/Groups/{group['id']}")).json()["members"]
        assert len(members) == 30
        first = (await c.get(f"{base}/Users", params={"cursor": "", "count": 10})).json()
        second = await c.get(f"{base}/Users", params={"cursor": first["nextCursor"]})
        assert second.status_code == 200
        assert (await c.delete(f"{base}/Users/{ids[0]}")).status_code == 204


def test_the_service_runs_behind_pgbouncer_in_transaction_mode(
    bouncer_url: str, tmp_path: Path
) -> None:
    env = {"SCIM_DB_POOLER": "transaction"}
    log = tmp_path / "log"
    with serve(bouncer_url, log, env=env, migrate=False) as server:
        asyncio.run(_flow(server))
        assert httpx.get(f"{server.origin}/readyz", timeout=5).status_code == 200
    text = log.read_text()
    assert "prepared statement" not in text
    assert '"level":"error"' not in text
