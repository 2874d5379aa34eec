"""A throwaway PostgreSQL cluster the tests may stop hard: Debian's ``initdb`` and
``pg_ctl`` on a temporary directory and a free port, never the shared server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port


def _as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root; the tests run as root in CI."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def available() -> bool:
    return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *arguments: str) -> None:
        subprocess.run(
            _as_postgres("pg_ctl", "-D", str(self.directory / "data"), *arguments),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self._pg_ctl("-o", options, "-l", log, "-w", "start")

    def stop_hard(self) -> None:
        """As a crash would: no checkpoint, connections cut."""
        self._pg_ctl("-m", "immediate", "-w", "stop")


@contextmanager
def cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="scim-outage-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        subprocess.run(
            _as_postgres("initdb", "-D", str(directory / "data"), "-U", "postgres", "--auth=trust"),
            check=True,
            capture_output=True,
            timeout=120,
        )
        running = Cluster(directory, free_port())
        running.start()
        try:
            yield running
        finally:
            subprocess.run(
                _as_postgres("pg_ctl", "-D", str(directory / "data"), "-m", "immediate", "stop"),
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
