"""This service against a bare stack and scim2-server, side by side in one run.

Usage: ``.venv/bin/python bench/compare.py [--quick] [--only get,filter,...] [--keep]
[--json out.json]`` (``make bench`` runs it). Root is needed (initdb runs as the
``postgres`` OS user). How long: ``--quick`` about 3.5 minutes; the full run about 19 on
the 2-core machine at the baseline's speed, 11 of them the memory section, whose 100,000
requests go at the service's own pace (~150 req/s at the baseline), so the full run gets
shorter as the service gets faster (about 10 minutes at the targets' speed).

Everything is a ratio of figures measured in the same run, on a shared and noisy machine:

- Setup: a throwaway PostgreSQL 15 cluster (bench/_cluster.py: temporary directory, free
  port, ``autovacuum=off``, pinned to core 0); two databases migrated and bulk-loaded with
  the same 10,000 Okta-like users (bench/_database.py), one analysed ("fresh stats"), one
  never ("no stats"); later the first grows to 100,000 users.
- Servers, one at a time, each pinned to core 0 beside PostgreSQL, on a free loopback
  port: this service (``python -m app serve``) on each database and on SQLite; the bare
  stack (bench/bare_app.py: FastAPI + asyncpg, one query per request); scim2-server 0.8.3
  in its own venv (bench/_peer.py, bench/peer_server.py: its own threaded wsgiref server,
  in-memory store), loaded with the same users through its API.
- Load: wrk on core 1 (one thread, 16 connections; this process is on core 1 too) with
  the scripts of bench/lua: a warm-up, then a measured run (8 s; 3 s with --quick) per
  request kind. Server CPU per request is the utime + stime of the server's processes and
  of every process of the throwaway cluster (bench/_procs.py) across the measured run,
  divided by its requests. Non-2xx responses and socket errors are counted; a target that
  reads a run with errors fails. Each run also records how much of both cores other
  processes took meanwhile, and is made again when they disturbed it (bench/_wrk.py).
- Sections: the 100,000-user scale, group PATCH cost at 1,000 vs 50,000 members
  (bench/_groups.py), server RSS after 10,000 and 100,000 mixed requests, and this
  service on SQLite under 16 concurrent writers.
- The floor of PATCH and POST (bench/_floor.py): scim2-models' own work on the bench's
  bodies, PostgreSQL's part of this service's write and the bare stack's server-side cost
  of one request, added up beside the budget of the 1.2x-scim2-server targets.

The targets (bench/_checks.py) come from the project's performance issue; the run ends
with ``N PASS / M FAIL``. ``--only`` takes target tags: get, filter, patch, post, list,
scale, groups, memory, sqlite; only the runs those targets read are made. Exit status:
0 when every target passes, 1 when one fails, 2 when the bench itself broke (the figures
measured until then are still printed).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _floor
import _groups
import _peer
import _report
from _checks import KINDS, ROWS, TAGS, Verdict, judge, selected
from _cluster import Cluster, throwaway_cluster
from _database import analyze, bulk_users, count_users, fresh_database, run_sql
from _procs import Server, free_port, rss_mib
from _wrk import Figures, Load, Target, measure

from app.storage.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USERS, SCALE_USERS = 10_000, 100_000
MEMORY_STEPS = (("after_10k", 10_000), ("after_100k", 90_000))
SERVER_CORE, LOAD_CORE = 0, 1
QUICK_SKIPS = {"scale", "groups", "memory"}


@dataclass
class Store:
    """A loaded store of users: where it is, how many, and the files wrk scripts read."""

    name: str
    url: str
    ids: Path
    names: Path
    count: int

    @classmethod
    def write(
        cls, work: Path, name: str, url: str, users: Sequence[tuple[str, str]], count: int = 0
    ) -> Store:
        """``users`` (id, userName) to files; ``count`` when the store holds more of them."""
        ids, names = work / f"{name}.ids", work / f"{name}.names"
        ids.write_text("".join(f"{user_id}\n" for user_id, _ in users))
        names.write_text("".join(f"{user_name}\n" for _, user_name in users))
        return cls(name, url, ids, names, max(count, len(users)))

    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.ids.read_text().split(), self.names.read_text().split(), strict=True))


@dataclass
class Plan:
    """Which (server row, request kind) runs and sections the selected targets read."""

    rows: dict[str, list[str]] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, tags: set[str]) -> Plan:
        needed: dict[str, set[str]] = {}
        sections = set()
        for check in selected(tags):
            for row, kind in check.runs():
                if row in ROWS:
                    needed.setdefault(row, set()).add(kind)
                else:
                    sections.add(row)
        rows = {row: [k for k in KINDS if k in needed[row]] for row in ROWS if row in needed}
        return cls(rows, sections)


class Bench:
    """One run: the stores, the servers, and every figure measured."""

    def __init__(self, cluster: Cluster, work: Path, load: Load) -> None:
        self.cluster, self.work, self.load = cluster, work, load
        self.runs: dict[str, dict[str, Figures]] = {}
        self.sections: dict[str, dict[str, Any]] = {}
        self.stores: dict[str, Store] = {}

    # -- stores -----------------------------------------------------------------------

    def postgres_store(self, name: str, count: int, *, statistics: bool) -> Store:
        url = self.cluster.url(name)
        asyncio.run(fresh_database(url))
        upgrade(url)  # Alembic runs its own event loop
        return self._fill(name, url, count, statistics=statistics)

    def sqlite_store(self, count: int) -> Store:
        url = f"sqlite+aiosqlite:///{self.work / 'bench.db'}"
        upgrade(url)
        return self._fill("sqlite", url, count, statistics=False)

    def _fill(self, name: str, url: str, count: int, *, statistics: bool) -> Store:
        began = time.monotonic()
        users = asyncio.run(bulk_users(url, 0, count))
        if url.startswith("postgresql"):
            self._settle(url, statistics)
        store = Store.write(self.work, name, url, users)
        _say(f"loaded {count:,} users into {name} in {time.monotonic() - began:.1f} s")
        self.stores[name] = store
        return store

    def _settle(self, url: str, statistics: bool) -> None:
        if statistics:
            asyncio.run(analyze(url, "resources", "memberships"))
        asyncio.run(run_sql(url, "CHECKPOINT"))  # the load's dirty pages, not the runs'

    def grow(self, name: str, total: int) -> Store:
        """Bulk-insert users until the store holds ``total`` (POSTed users count too)."""
        store = self.stores[name]
        began, present = time.monotonic(), asyncio.run(count_users(store.url))
        added = asyncio.run(bulk_users(store.url, store.count, max(0, total - present)))
        self._settle(store.url, statistics=True)
        users = store.pairs() + added
        grown = Store.write(self.work, f"{name}_{total}", store.url, users, max(total, present))
        _say(f"grew {name} to {grown.count:,} users in {time.monotonic() - began:.1f} s")
        self.stores[name] = grown
        return grown

    # -- servers ----------------------------------------------------------------------

    def service(self, store: Store) -> Server:
        env = {"SCIM_DATABASE_URL": store.url, "SCIM_BOOTSTRAP_TOKEN": TOKEN}
        # The limiter runs (its cost is measured) but never refuses the bench's load.
        env |= {"SCIM_RATE_LIMIT": "1000000/second", "SCIM_MAX_IN_FLIGHT_PER_TENANT": "0"}
        return self._server(
            f"service-{store.name}",
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", "{port}"],
            "/scim/v2/ServiceProviderConfig",
            env={**env, "SCIM_LOG_LEVEL": "warning"},
            headers=AUTH,
        )

    def bare(self, store: Store) -> Server:
        dsn = store.url.replace("postgresql+asyncpg", "postgresql")
        probe = '/scim/v2/Users?filter=userName eq "probe"'
        argv = [sys.executable, str(BENCH / "bare_app.py"), "--port", "{port}", "--dsn", dsn]
        return self._server("bare", argv, probe)

    def peer(self) -> Server:
        ready = f"{_peer.BASE}/ServiceProviderConfig"
        argv = _peer.argv("{port}", TOKEN)
        return self._server("peer", argv, ready, headers=AUTH, api_base=_peer.BASE)

    def _server(
        self,
        name: str,
        argv: list[str],
        ready: str,
        env: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        api_base: str = "/scim/v2",
    ) -> Server:
        port = free_port()
        return Server(
            name=name,
            argv=[part.replace("{port}", str(port)) for part in argv],
            port=port,
            ready_path=ready,
            log=self.work / f"{name}.log",
            env=env or {},
            headers=headers or {},
            api_base=api_base,
            core=SERVER_CORE,
        )

    @contextmanager
    def running(self, server: Server, *, database: bool) -> Iterator[Target]:
        """The server started, as a wrk target whose CPU includes the cluster's if used."""
        server.start()
        roots = (server.pid, self.cluster.postmaster_pid()) if database else (server.pid,)
        try:
            yield Target(server.base_url, server.api_base, server.headers, roots)
        finally:
            server.stop()

    # -- runs -------------------------------------------------------------------------

    def measure_row(self, row: str, kinds: Sequence[str], target: Target, store: Store) -> None:
        for kind in kinds:
            script, args = _script(kind, store)
            figures = measure(self.load, target, script, args)
            self.runs.setdefault(row, {})[kind] = figures
            _say(_report.progress(row, kind, figures))

    def groups(self, store: Store) -> None:
        server = self.service(store)
        with self.running(server, database=True) as target:
            users = [user_id for user_id, _ in store.pairs()]
            result = _groups.measure(target.url, AUTH, store.url, users, cpu_roots=target.cpu_roots)
        self.sections["groups"] = result
        small, big = result["add_1k"]["ms"], result["add_50k"]["ms"]
        _say(f"  groups: add 1,000 to 1k group {small:.1f} ms, to 50k group {big:.1f} ms")

    def memory(self, store: Store) -> None:
        result: dict[str, Any] = {}
        server = self.service(store)
        load = dataclasses.replace(self.load, retries=0)  # a re-run would add requests
        with self.running(server, database=True) as target:
            result["start"] = {"rss_mib": rss_mib([server.pid]), "requests": 0, "errors": 0}
            done = 0
            for key, requests in MEMORY_STEPS:
                args = [str(store.ids), str(store.names), str(requests)]
                figures = measure(load, target, "mix", args, seconds=1200, warm_up=False)
                done += figures.requests
                time.sleep(0.5)
                rss = rss_mib([server.pid])
                result[key] = {"rss_mib": rss, "requests": done, "errors": figures.errors}
                _say(f"  memory: {rss:.1f} MiB after {done:,} requests ({figures.rps:.0f} req/s)")
        self.sections["memory"] = result

    # -- the whole run ----------------------------------------------------------------

    def run(self, plan: Plan) -> None:
        rows = plan.rows
        if {"svc", "bare", "svc_100k"} & rows.keys() or plan.sections & {"groups", "memory"}:
            self.postgres_store("fresh", USERS, statistics=True)
        if "svc_nostats" in rows:
            self.postgres_store("nostats", USERS, statistics=False)
        for row, store_name in (("svc", "fresh"), ("svc_nostats", "nostats")):
            if row in rows:
                store = self.stores[store_name]
                with self.running(self.service(store), database=True) as target:
                    self.measure_row(row, rows[row], target, store)
        if "bare" in rows:
            with self.running(self.bare(self.stores["fresh"]), database=True) as target:
                self.measure_row("bare", rows["bare"], target, self.stores["fresh"])
        if "peer" in rows:
            self._peer_row(rows["peer"])
        if "sqlite" in rows:
            store = self.sqlite_store(USERS)
            with self.running(self.service(store), database=False) as target:
                self.measure_row("sqlite", rows["sqlite"], target, store)
        self._scale_sections(plan)

    def _peer_row(self, kinds: Sequence[str]) -> None:
        with self.running(self.peer(), database=False) as target:
            began = time.monotonic()
            users = _peer.load_users(target.url, TOKEN, USERS)
            store = Store.write(self.work, "peer", target.url, users)
            _say(f"loaded {USERS:,} users into scim2-server in {time.monotonic() - began:.1f} s")
            self.measure_row("peer", kinds, target, store)

    def _scale_sections(self, plan: Plan) -> None:
        if "svc_100k" in plan.rows or "groups" in plan.sections:
            store = self.grow("fresh", SCALE_USERS)
            if "svc_100k" in plan.rows:
                with self.running(self.service(store), database=True) as target:
                    self.measure_row("svc_100k", plan.rows["svc_100k"], target, store)
            if "groups" in plan.sections:
                self.groups(store)
        if "memory" in plan.sections:
            self.memory(self.stores["fresh"])

    def floor(self) -> None:
        """The floor of PATCH and POST (bench/_floor.py), once every server has stopped."""
        figures = self.figures()
        if not any(f"svc.{kind}.db_cpu_ms" in figures for kind in ("patch", "post")):
            return
        found = _floor.floor(figures, _floor.scim2_models_ms())
        if found:
            self.sections["floor"] = found

    # -- results ----------------------------------------------------------------------

    def figures(self) -> dict[str, float]:
        flat: dict[str, float] = {}
        for row, kinds in self.runs.items():
            for kind, figures in kinds.items():
                for metric in ("rps", "ms_per_req", "cpu_ms", "db_cpu_ms", "p50_ms", "p99_ms"):
                    flat[f"{row}.{kind}.{metric}"] = getattr(figures, metric)
                if figures.cpu_ms:
                    flat[f"{row}.{kind}.per_cpu_s"] = 1000 / figures.cpu_ms
        for section, parts in self.sections.items():
            for part, values in parts.items():
                for metric, value in values.items():
                    if isinstance(value, int | float):
                        flat[f"{section}.{part}.{metric}"] = float(value)
        return flat

    def noisy(self) -> list[tuple[str, str]]:
        return [
            (row, kind)
            for row, kinds in self.runs.items()
            for kind, figures in kinds.items()
            if figures.noisy
        ]

    def errors(self) -> dict[tuple[str, str], int]:
        found = {
            (row, kind): figures.errors
            for row, kinds in self.runs.items()
            for kind, figures in kinds.items()
        }
        for part, values in self.sections.get("memory", {}).items():
            found["memory", part] = values["errors"]
        return found


def _script(kind: str, store: Store) -> tuple[str, list[str]]:
    """The wrk script and its arguments for one request kind on one store."""
    last_page = str(store.count - 99)
    return {
        "get": ("get", [str(store.ids)]),
        "filter_hit": ("filter", [str(store.names)]),
        "filter_miss": ("filter", ["miss"]),
        "list_first": ("list", ["1"]),
        "list_deep": ("list", [last_page]),
        "patch": ("patch", [str(store.ids)]),
        "post": ("post", []),
    }[kind]


STARTED = time.monotonic()


def _say(text: str) -> None:
    """A progress line, stamped with minutes:seconds since the bench started."""
    minutes, seconds = divmod(int(time.monotonic() - STARTED), 60)
    print(f"[{minutes:2d}:{seconds:02d}] {text}", flush=True)


def _arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Target tags for --only: " + ", ".join(TAGS),
    )
    parser.add_argument("--quick", action="store_true", help="3 s runs; no scale/groups/memory")
    parser.add_argument("--only", default="", help="comma-separated target tags to run")
    parser.add_argument("--keep", action="store_true", help="leave the cluster and files")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    tags = {tag.strip() for tag in args.only.split(",") if tag.strip()} or set(TAGS)
    unknown = tags - set(TAGS)
    if unknown:
        parser.error(f"unknown tags {sorted(unknown)}; known: {', '.join(TAGS)}")
    args.tags = tags - QUICK_SKIPS if args.quick else tags
    return args


def _write_json(path: Path, bench: Bench, verdicts: list[Verdict], args: Any) -> None:
    document = {
        "options": {"quick": args.quick, "tags": sorted(args.tags), "load": vars(bench.load)},
        "elapsed_s": args.elapsed,
        "runs": {
            row: {kind: figures.as_dict() for kind, figures in kinds.items()}
            for row, kinds in bench.runs.items()
        },
        "sections": bench.sections,
        "targets": [
            {
                "tag": v.check.tag,
                "label": v.check.label,
                "ratio": v.ratio,
                "limit": v.check.limit,
                "passed": v.passed,
                "note": v.note,
            }
            for v in verdicts
        ],
        "passed": sum(v.passed for v in verdicts),
        "failed": sum(not v.passed for v in verdicts),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def _on_sigterm(_signal: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds through every finally: servers, cluster, files


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    os.sched_setaffinity(0, {LOAD_CORE})  # the bench and wrk share core 1
    load = Load(duration=3, warm_up=1) if args.quick else Load(duration=8, warm_up=2)
    plan = Plan.of(args.tags)
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="scim-bench-"))
    broken: Exception | None = None
    try:
        with throwaway_cluster(core=SERVER_CORE, keep=args.keep) as cluster:
            _say(f"PostgreSQL 15 on port {cluster.port} (core {SERVER_CORE}); files in {work}")
            bench = Bench(cluster, work, load)
            try:
                bench.run(plan)
                bench.floor()
            except Exception as exc:  # report what was measured, then say what broke
                traceback.print_exc()
                broken = exc
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    args.elapsed = time.monotonic() - began
    verdicts = judge(selected(args.tags), bench.figures(), bench.errors(), bench.noisy())
    lines = [
        *_report.tables(bench.runs),
        *_report.groups(bench.sections.get("groups", {})),
        *_report.memory(bench.sections.get("memory", {})),
        *_floor.lines(bench.sections.get("floor", {})),
        *_report.verdicts(verdicts),
    ]
    print("\n".join(lines))
    print(f"elapsed {args.elapsed / 60:.1f} min")
    if args.json:
        _write_json(args.json, bench, verdicts, args)
    if broken is not None:
        _say(f"the bench stopped early: {broken!r}")
        return 2
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
