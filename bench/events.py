"""Change events: their cost on writes, and webhook delivery lag (issue 12), in one run.

Usage: ``.venv/bin/python bench/events.py [--quick]`` (root: initdb runs as ``postgres``;
``--quick`` makes 3 s runs and a 5 s lag run, about 3 minutes; else about 6).

- Setup as ``bench/compare.py``: a throwaway PostgreSQL cluster pinned to core 0, one
  database with 10,000 users; a webhook receiver in this process (core 1, beside wrk)
  answering 200 to every POST.
- Cost: this service on that database with ``SCIM_EVENTS=off``, with events and no
  endpoint, and with events and one webhook endpoint delivered inside the server process;
  wrk ``post`` and ``patch`` on each. Each configuration runs twice, in an order and then
  its reverse, each run after a VACUUM of the tables the runs write (autovacuum is off, and
  the dead rows and index entries of earlier runs would otherwise fall on later ones).
  Printed: req/s and server + database CPU per request of both runs together, and the
  ratios events/off (the target: throughput at least 0.9x, i.e. CPU per request at most
  1/0.9).
- Lag: with events and the endpoint, a paced client makes 100 writes/s (POSTs); the
  receiver notes when each delivery arrives; lag is arrival minus the event's ``time``
  (taken in the write's transaction, just before commit). Printed: p50 and p99 (target:
  p50 under 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from _cluster import throwaway_cluster
from _database import bulk_users, fresh_database, run_sql
from _procs import Server, free_port
from _wrk import Figures, Load, Target, measure

from app.storage.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USERS = 10_000
SERVER_CORE, LOAD_CORE = 0, 1


class Receiver(ThreadingHTTPServer):
    """Answers 200 to every POST; records (arrival, event time) while ``recording``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _Handler)
        self.arrivals: list[tuple[float, str]] = []
        self.recording = False
        self.count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        arrived = time.time()
        self.server.count += 1
        if self.server.recording:
            self.server.arrivals.append((arrived, json.loads(body)["data"]["time"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


def _service(url: str, work: Path, name: str, events: bool) -> Server:
    port = free_port()
    env = {
        "SCIM_DATABASE_URL": url,
        "SCIM_BOOTSTRAP_TOKEN": TOKEN,
        "SCIM_LOG_LEVEL": "warning",
        "SCIM_EVENTS": "on" if events else "off",
        # The limiter runs (its cost is measured) but never refuses the bench's load.
        "SCIM_RATE_LIMIT": "1000000/second",
        "SCIM_MAX_IN_FLIGHT_PER_TENANT": "0",
    }
    argv = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Server(
        name,
        argv,
        port,
        "/scim/v2/ServiceProviderConfig",
        work / f"{name}.log",
        env=env,
        headers=AUTH,
        core=SERVER_CORE,
    )


def _webhook(url: str, *arguments: str) -> str:
    """``python -m app webhook ...`` on the bench database; its first line of stdout."""
    env = {**os.environ, "SCIM_DATABASE_URL": url}
    argv = [sys.executable, "-m", "app", "webhook", *arguments]
    done = subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    return done.stdout.decode().splitlines()[0].split()[0] if done.stdout.strip() else ""


WRITTEN = ("resources", "events", "event_sequences", "resource_counts", "request_log")
"""Vacuumed before every run, then a CHECKPOINT: each run starts from a database without
the dead rows and index entries the run before left (autovacuum is off in the bench
cluster) and right after a checkpoint (after one, the first change of each page writes
the whole page to the WAL), so a later configuration pays for nothing an earlier one did."""


def _pooled(runs: list[Figures]) -> Figures:
    """Several runs of one configuration as one: their requests, seconds and CPU added."""
    first = runs[0]
    return dataclasses.replace(
        first,
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        cpu_seconds=sum(r.cpu_seconds for r in runs),
    )


def _cost(load: Load, server: Server, pids: tuple[int, ...], ids: Path) -> dict[str, Figures]:
    target = Target(server.base_url, "/scim/v2", AUTH, pids)
    return {
        "post": measure(load, target, "post", []),
        "patch": measure(load, target, "patch", [str(ids)]),
    }


async def _paced_writes(base: str, rate: float, seconds: float) -> int:
    """POST users at ``rate`` per second for ``seconds``; how many were made."""
    made = 0
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as client:
        start = time.monotonic()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            body = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"lag-{time.time_ns()}-{i}",
            }
            tasks.append(asyncio.create_task(client.post("/scim/v2/Users", json=body)))
        for response in await asyncio.gather(*tasks):
            made += response.status_code == 201
    return made


def _drained(receiver: Receiver, limit: float = 120.0) -> float:
    """Wait until deliveries stop arriving (the backlog of the cost runs is delivered);
    the seconds it took."""
    began, seen = time.monotonic(), -1
    while receiver.count != seen and time.monotonic() - began < limit:
        seen = receiver.count
        time.sleep(1.0)
    return time.monotonic() - began


def _lag(server: Server, receiver: Receiver, seconds: float) -> list[float]:
    waited = _drained(receiver)
    print(f"backlog of the cost runs delivered {waited:.0f} s after them", flush=True)
    receiver.arrivals.clear()
    receiver.recording = True
    made = asyncio.run(_paced_writes(server.base_url, 100.0, seconds))
    deadline = time.monotonic() + 30
    while len(receiver.arrivals) < made and time.monotonic() < deadline:
        time.sleep(0.05)
    receiver.recording = False
    return sorted(
        arrived - datetime.fromisoformat(sent.replace("Z", "+00:00")).timestamp()
        for arrived, sent in receiver.arrivals
    )


def _row(name: str, figures: dict[str, Figures]) -> str:
    cells = [f"{k} {f.rps:7.0f} req/s {f.cpu_ms:6.2f} ms CPU" for k, f in figures.items()]
    return f"{name:<22}" + " | ".join(cells)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {LOAD_CORE})
    load = Load(duration=3, warm_up=1) if args.quick else Load(duration=8, warm_up=2)
    work = Path(tempfile.mkdtemp(prefix="scim-events-bench-"))
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with throwaway_cluster(core=SERVER_CORE) as cluster:
        url = cluster.url("events")
        asyncio.run(fresh_database(url))
        upgrade(url)
        users = asyncio.run(bulk_users(url, 0, USERS))
        ids = work / "ids"
        ids.write_text("".join(f"{user_id}\n" for user_id, _ in users))
        measured: dict[str, dict[str, list[Figures]]] = {}
        lags: list[float] = []
        # Each configuration twice, in an order and its reverse, so drift of the machine
        # or of the database over the run falls on all of them alike.
        configurations = (
            ("events off", False, False),
            ("events", True, False),
            ("events + 1 webhook", True, True),
        )
        endpoint = ""
        for name, events, hook in (*configurations, *reversed(configurations)):
            if hook and not endpoint:
                endpoint = _webhook(url, "add", "--url", receiver.url, "--allow-insecure")
            if not hook and endpoint:
                _webhook(url, "remove", endpoint)
                endpoint = ""
            asyncio.run(run_sql(url, *(f"VACUUM {table}" for table in WRITTEN), "CHECKPOINT"))
            server = _service(url, work, name.replace(" ", "-").replace("+", ""), events)
            server.start()
            try:
                figures = _cost(load, server, (server.pid, cluster.postmaster_pid()), ids)
                for kind, run in figures.items():
                    measured.setdefault(name, {}).setdefault(kind, []).append(run)
                print(_row(f"  run: {name}", figures), flush=True)
                if hook and not lags:
                    lags = _lag(server, receiver, 5.0 if args.quick else 10.0)
            finally:
                server.stop()
        results = {
            name: {kind: _pooled(runs) for kind, runs in kinds.items()}
            for name, kinds in measured.items()
        }
    off = results["events off"]
    print("\n".join(_row(name, figures) for name, figures in results.items()))
    for kind in ("post", "patch"):
        for name in ("events", "events + 1 webhook"):
            on = results[name][kind]
            rps, cpu = on.rps / off[kind].rps, off[kind].cpu_ms / on.cpu_ms
            verdict = "PASS" if cpu >= 0.9 else "FAIL"  # capacity, as bench/compare.py judges
            print(f"{kind} {name}/off: throughput {rps:.2f}x, capacity (CPU) {cpu:.2f}x  {verdict}")
    if lags:
        p50 = statistics.median(lags) * 1000
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000
        verdict = "PASS" if p50 < 100 else "FAIL"
        print(
            f"delivery lag at 100 writes/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"({len(lags)} deliveries)  {verdict}"
        )
    print(f"webhook deliveries received in all: {receiver.count}")
    receiver.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
