"""wrk runs: a warm-up, then a measured run whose server-side CPU time is read around it.

wrk (Debian's, LuaJIT) runs pinned to its own core with one thread and 16 connections;
the Lua scripts of ``bench/lua`` build the requests, count non-2xx responses and print
one ``BENCH_JSON`` line from ``done()``, parsed here.

On a shared machine other processes can take the server's core during a run: then its
req/s reads low while its CPU-ms/req holds. Each run records the share of both cores
that processes other than the server, the database and wrk used. A run is made again
(twice at most, keeping the least disturbed) when they took more than a quarter of the
server's core, or more than half of wrk's core while the server's core was under 75 %
busy (wrk starved, the server waiting for requests).
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _procs import core_busy_seconds, cpu_seconds

LUA = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_JSON "
NOISY, STARVED = 0.25, 0.5
"""Shares of the server's core, and of wrk's, taken by other processes above which a run
is made again (the second only when the server's core was not kept busy)."""


@dataclass(frozen=True)
class Load:
    """How wrk loads a server; durations in seconds."""

    duration: float
    warm_up: float
    connections: int = 16
    core: int = 1
    timeout: int = 60
    stretch: float = 3.0
    server_core: int = 0
    retries: int = 2

    @property
    def min_requests(self) -> int:
        return 10 * self.connections


@dataclass(frozen=True)
class Target:
    """Where wrk sends requests and whose CPU time they cost."""

    url: str
    base: str
    headers: dict[str, str]
    cpu_roots: tuple[int, ...]


@dataclass(frozen=True)
class Figures:
    """One measured wrk run, with the server-side (server + database) CPU time it cost."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    cpu_seconds: float
    connections: int
    others: tuple[float, float] = (0.0, 0.0)
    first_error: str = ""
    database_seconds: float = 0.0
    """The part of ``cpu_seconds`` spent by the database's processes (the roots after the
    first), so a request's cost can be split between the server and PostgreSQL."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ms_per_req(self) -> float:
        """Wall time per request at the run's concurrency: 1000 / req/s."""
        return 1000 / self.rps if self.rps else float("inf")

    @property
    def cpu_ms(self) -> float:
        """Server + database CPU milliseconds per request."""
        return 1000 * self.cpu_seconds / self.requests if self.requests else float("inf")

    @property
    def db_cpu_ms(self) -> float:
        """Database CPU milliseconds per request (part of ``cpu_ms``)."""
        return 1000 * self.database_seconds / self.requests if self.requests else float("inf")

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors

    @property
    def usage(self) -> float:
        """Share of the server's core that the server and database used during the run."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def noisy(self) -> bool:
        """Other processes took the server's core, or took wrk's while the server idled."""
        return self.others[0] > NOISY or (self.others[1] > STARVED and self.usage < 0.75)

    @property
    def few(self) -> bool:
        """Too few requests for req/s to be exact (see ``measure``)."""
        return self.requests < 10 * self.connections

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rps": self.rps,
            "ms_per_req": self.ms_per_req,
            "cpu_ms_per_req": self.cpu_ms,
            "db_cpu_ms_per_req": self.db_cpu_ms,
            "few_requests": self.few,
            "server_core_usage": self.usage,
            "others_share_server_core": self.others[0],
            "others_share_load_core": self.others[1],
        }


def _wrk(load: Load, target: Target, script: str, args: Sequence[str], seconds: float) -> Any:
    seed = str(random.randrange(1, 2**31))  # also the unique prefix of post.lua's names
    command = [
        "taskset", "-c", str(load.core), "wrk", "-t1", f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s", f"--timeout={load.timeout}s",
        *(f"-H{name}: {value}" for name, value in target.headers.items()),
        "-s", str(LUA / f"{script}.lua"), target.url, "--",
        target.base, seed, *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"wrk gave no result ({done.returncode}): {done.stdout}{done.stderr}")


def measure(
    load: Load,
    target: Target,
    script: str,
    args: Sequence[str] = (),
    *,
    seconds: float | None = None,
    warm_up: bool = True,
) -> Figures:
    """Warm up, then one measured run of ``script`` with its own ``args``.

    wrk counts only the requests completed in its window, so a run of few requests
    under-counts by up to its connections (those in flight at the end, and slow starts on
    threaded servers): when the warm-up predicts fewer than ``Load.min_requests``, the
    measured run is made ``Load.stretch`` times longer.
    """
    seconds = seconds or load.duration
    if warm_up and load.warm_up > 0:
        warm = _wrk(load, target, script, args, load.warm_up)
        predicted = warm["requests"] / load.warm_up * seconds
        if predicted < load.min_requests:
            seconds *= load.stretch
    best = _measured(load, target, script, args, seconds)
    for _ in range(load.retries):
        if not best.noisy:
            break
        again = _measured(load, target, script, args, seconds)
        best = min(best, again, key=lambda figures: (figures.noisy, figures.others[0]))
    return best


def _measured(
    load: Load, target: Target, script: str, args: Sequence[str], seconds: float
) -> Figures:
    """One measured run, with what the server and others used of the two cores meanwhile."""
    cores = (load.server_core, load.core)
    busy = [core_busy_seconds(core) for core in cores]
    databases = target.cpu_roots[1:]
    server, client, began = cpu_seconds(target.cpu_roots), _children_seconds(), time.monotonic()
    database = cpu_seconds(databases) if databases else 0.0
    raw = _wrk(load, target, script, args, seconds)
    server, client = cpu_seconds(target.cpu_roots) - server, _children_seconds() - client
    database = (cpu_seconds(databases) - database) if databases else 0.0
    busy = [core_busy_seconds(core) - before for core, before in zip(cores, busy, strict=True)]
    wall = time.monotonic() - began
    others = (max(0.0, busy[0] - server) / wall, max(0.0, busy[1] - client) / wall)
    first_error = f"{raw['first_bad_status']} {raw['first_bad_body']}" if raw["non2xx"] else ""
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=raw["socket_errors"] + raw["timeouts"],
        cpu_seconds=server,
        connections=load.connections,
        others=others,
        first_error=first_error[:200],
        database_seconds=database,
    )


def _children_seconds() -> float:
    """CPU time of this process's reaped children (wrk runs), and of this process."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime
