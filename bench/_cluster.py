"""A throwaway PostgreSQL 15 cluster for one bench run, pinned to one core.

``initdb`` runs as the ``postgres`` OS user in a temporary directory; the postmaster
listens on a free loopback port (and a socket in that directory, never the shared
cluster's) with ``autovacuum=off``, so a database that was never analysed stays without
planner statistics. ``taskset`` pins pg_ctl, hence the postmaster and every backend it
forks. The cluster is stopped and its directory removed when the ``with`` block ends,
however it ends, unless ``keep`` is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _procs import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "autovacuum": "off",
    "max_connections": "100",
    "log_min_messages": "warning",
}


@dataclass(frozen=True)
class Cluster:
    root: Path
    port: int
    core: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])


def _as_postgres(*argv: str | Path, core: int | None = None) -> None:
    pinned = ["taskset", "-c", str(core)] if core is not None else []
    command = ["runuser", "-u", "postgres", "--", *pinned, *map(str, argv)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _start(cluster: Cluster) -> None:
    options = " ".join(
        f"-c {key}={value}"
        for key, value in {
            **SETTINGS,
            "port": str(cluster.port),
            "unix_socket_directories": str(cluster.root),
        }.items()
    )
    _as_postgres(
        PG_BIN / "pg_ctl",
        "-D",
        cluster.data,
        "-l",
        cluster.root / "postgres.log",
        "-o",
        options,
        "-w",
        "start",
        core=cluster.core,
    )
    affinity = os.sched_getaffinity(cluster.postmaster_pid())
    if affinity != {cluster.core}:
        raise RuntimeError(f"postmaster not pinned to core {cluster.core}: {affinity}")


def _stop(cluster: Cluster) -> None:
    if (cluster.data / "postmaster.pid").exists():
        _as_postgres(PG_BIN / "pg_ctl", "-D", cluster.data, "-m", "fast", "-w", "stop")


@contextmanager
def throwaway_cluster(core: int = 0, keep: bool = False) -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="scim-bench-pg-"))
    shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root=root, port=free_port(), core=core)
    try:
        _as_postgres(
            PG_BIN / "initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        _start(cluster)
        yield cluster
    finally:
        if keep:
            print(f"--keep: cluster left running on port {cluster.port}, data in {root}")
        else:
            try:
                _stop(cluster)
            finally:
                shutil.rmtree(root, ignore_errors=True)
