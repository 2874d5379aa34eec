"""A real uvicorn process serving the app, for clients that cannot go through ASGITransport.

The external SCIM suites, the TLS test and the browser test talk to the server over a socket,
so they need ``python -m app serve`` running as an operator would run it: its own process, its
own database (the per-test truncation of ``make_app`` does not reach it), settings from the
environment. Every wait is bounded; the process is always stopped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LiveServer:
    """Where a running server answers, and the bearer token it accepts."""

    origin: str
    base_url: str
    token: str
    log: Path
    pid: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _recreate_postgres_database(url: str, suffix: str = "live") -> str:
    """Drop and create ``<database>_<suffix>`` next to the test database; return its URL."""
    parsed = make_url(url)
    live = parsed.set(database=f"{parsed.database}_{suffix}")
    engine = create_async_engine(parsed, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{live.database}" WITH (FORCE)'))
        await connection.execute(sa.text(f'CREATE DATABASE "{live.database}"'))
    await engine.dispose()
    return live.render_as_string(hide_password=False)


def live_database(test_database_url: str, directory: Path, name: str = "live") -> str:
    """A fresh, unmigrated database of the same backend as the test database."""
    if test_database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{directory / f'{name}.db'}"
    return asyncio.run(_recreate_postgres_database(test_database_url, name))


def _environment(database_url: str, token: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env.update(
        SCIM_DATABASE_URL=database_url,
        SCIM_BOOTSTRAP_TOKEN=token,
        SCIM_LOG_LEVEL="warning",
        # Conformance suites send bursts: the limiter runs without refusing them.
        SCIM_RATE_LIMIT="100000/second",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _wait_until_up(
    process: subprocess.Popen[bytes], server: LiveServer, verify: ssl.SSLContext | bool
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = f"{server.base_url}/ServiceProviderConfig"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log.read_text()
            raise RuntimeError(f"server exited with {process.returncode}:\n{log}")
        try:
            if httpx.get(url, headers=server.headers, verify=verify, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not up after {STARTUP_TIMEOUT}s:\n{server.log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


UNLIMITED = {"SCIM_RATE_LIMIT": "off", "SCIM_MAX_IN_FLIGHT_PER_TENANT": "0"}
"""For tests of something else that send more at once than a tenant may by default
(50 racing creates, 40 PATCHes at SIGTERM): the limits have tests of their own."""


@contextmanager
def serve(
    database_url: str,
    log: Path,
    *,
    token: str = "live-token",
    env: dict[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
    args: Sequence[str] = (),
    migrate: bool = True,
    arguments: Sequence[str] = (),
) -> Iterator[LiveServer]:
    """Migrate, then run ``python -m app serve`` until the block exits.

    ``SCIM_SSL_CERTFILE`` and ``SCIM_SSL_KEYFILE`` in ``env`` make it serve HTTPS; ``verify``
    is then the CA bundle the readiness probe trusts.
    """
    environment = _environment(database_url, token, env or {})
    if migrate:
        subprocess.run(
            [sys.executable, "-m", "app", "migrate"],
            env=environment,
            cwd=ROOT,
            check=True,
            timeout=120,
            capture_output=True,
        )
    port = free_port()
    scheme = "https" if "SCIM_SSL_CERTFILE" in environment else "http"
    origin = f"{scheme}://127.0.0.1:{port}"
    server = LiveServer(origin=origin, base_url=f"{origin}/scim/v2", token=token, log=log)
    command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += [*args, *arguments]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=environment, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    server = dataclasses.replace(server, pid=process.pid)
    try:
        _wait_until_up(process, server, verify)
        yield server
    finally:
        _stop(process)


def run_cli(
    database_url: str, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m app ARGV`` to its end (at most 60 s), its output captured."""
    environment = _environment(database_url, "live-token", env or {})
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
