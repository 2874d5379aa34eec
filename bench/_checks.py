"""The targets of the performance issue, as ratios of figures measured in the same run.

Throughput targets compare capacity: requests per CPU-second of the server and its
database (``per_cpu_s``, the inverse of CPU-ms/req). Each server is pinned to one core, so
its req/s also depends on how much of that core and of wrk's core the machine's other
processes took during its run, which on a shared 2-core machine varies by up to 2x from
run to run; its CPU per request does not. The req/s ratio of the same runs is printed
beside each verdict.

A figure is named ``row.kind.metric`` (``svc.get.rps``: this service on PostgreSQL with
fresh statistics, GET by id, requests per second) or ``section.name.metric`` for the
groups and memory sections. Each check divides two figures (or, for tail latency, two
metrics of one run) and compares the ratio with its limit; a check whose runs had non-2xx
responses or socket errors fails, whatever its ratio, since their figures are suspect; one
whose runs other processes disturbed (bench/_wrk.py) says so beside its verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ROWS = {
    "svc": "this service (PG, fresh stats)",
    "svc_nostats": "this service (PG, no stats)",
    "bare": "bare stack (FastAPI+asyncpg)",
    "peer": "scim2-server 0.8.3 (in memory)",
    "sqlite": "this service (SQLite)",
    "svc_100k": "this service (PG, 100k users)",
}
KINDS = {
    "get": "GET /Users/{id}",
    "filter_hit": 'GET /Users?filter=userName eq "x" (hit)',
    "filter_miss": 'GET /Users?filter=userName eq "x" (miss)',
    "list_first": "GET /Users?startIndex=1&count=100",
    "list_deep": "GET /Users?startIndex=<last page>&count=100 (9,901; 99,901 at 100k)",
    "patch": "PATCH /Users/{id}",
    "post": "POST /Users",
}
"""Request kinds in run order: reads first, writes last (POST grows the directory)."""
TAGS = ("get", "filter", "patch", "post", "list", "scale", "groups", "memory", "sqlite")
SHORT = {
    "get": "GET",
    "filter_hit": "filter hit",
    "filter_miss": "filter miss",
    "list_first": "list first page",
    "list_deep": "list deep page",
    "patch": "PATCH",
    "post": "POST",
}


@dataclass(frozen=True)
class Check:
    tag: str
    label: str
    numerator: str
    denominator: str
    at_least: float | None = None
    at_most: float | None = None
    beside: tuple[str, str] | None = None
    """Another (numerator, denominator) pair printed with the verdict, not judged."""

    def runs(self) -> set[tuple[str, str]]:
        """The (row, kind) pairs, or sections, whose figures this check reads."""
        return {tuple(name.split(".")[:2]) for name in (self.numerator, self.denominator)}  # type: ignore[misc]

    @property
    def limit(self) -> str:
        if self.at_least is not None:
            return f">= {self.at_least:g}x"
        return f"<= {self.at_most:g}x"

    def passes(self, ratio: float) -> bool:
        if self.at_least is not None:
            return ratio >= self.at_least
        assert self.at_most is not None
        return ratio <= self.at_most


@dataclass(frozen=True)
class Verdict:
    check: Check
    ratio: float | None
    passed: bool
    note: str = ""


def _ratio(tag: str, row: str, kind: str, peer: str, at_least: float) -> Check:
    label = f"{_on(row)}{SHORT[kind]}: capacity vs {ROWS[peer].split(' (')[0]}"
    return Check(
        tag,
        label,
        f"{row}.{kind}.per_cpu_s",
        f"{peer}.{kind}.per_cpu_s",
        at_least=at_least,
        beside=(f"{row}.{kind}.rps", f"{peer}.{kind}.rps"),
    )


def _on(row: str) -> str:
    return {"svc_nostats": "[no stats] ", "sqlite": "[SQLite] "}.get(row, "")


def _peer_checks(row: str) -> list[Check]:
    checks = []
    for kind in ("get", "filter_hit", "filter_miss"):
        tag = "get" if kind == "get" else "filter"
        checks += [_ratio(tag, row, kind, "bare", 0.5), _ratio(tag, row, kind, "peer", 1.5)]
    checks += [
        _ratio("post", row, "post", "bare", 0.4),
        _ratio("post", row, "post", "peer", 1.2),
        _ratio("patch", row, "patch", "peer", 1.2),
        _ratio("list", row, "list_first", "peer", 20),
        Check(
            "list",
            f"{_on(row)}list page at 9,901 vs first page: time/req",
            f"{row}.list_deep.ms_per_req",
            f"{row}.list_first.ms_per_req",
            at_most=2,
        ),
    ]
    return checks


def _scale_checks() -> list[Check]:
    checks = [
        Check(
            "scale",
            f"[100k] {SHORT[kind]} vs at 10k users: CPU-ms/req",
            f"svc_100k.{kind}.cpu_ms",
            f"svc.{kind}.cpu_ms",
            at_most=1.2,
        )
        for kind in ("get", "filter_hit", "filter_miss", "patch")
    ]
    for kind, where in (("list_first", "first page"), ("list_deep", "page at 99,901")):
        checks.append(
            Check(
                "scale",
                f"[100k] list {where} vs first page at 10k: time/req",
                f"svc_100k.{kind}.ms_per_req",
                "svc.list_first.ms_per_req",
                at_most=2,
            )
        )
    return checks


def _sqlite_checks() -> list[Check]:
    checks = [
        _ratio("sqlite", "sqlite", kind, "peer", 1.0)
        for kind in ("get", "filter_hit", "filter_miss")
    ]
    for kind in ("patch", "post"):
        checks.append(
            Check(
                "sqlite",
                f"[SQLite] {SHORT[kind]}, 16 concurrent writers: p99 vs p50",
                f"sqlite.{kind}.p99_ms",
                f"sqlite.{kind}.p50_ms",
                at_most=10,
            )
        )
    return checks


CHECKS: tuple[Check, ...] = (
    *_peer_checks("svc"),
    *_peer_checks("svc_nostats"),
    *_scale_checks(),
    Check(
        "groups",
        "PATCH add 1,000 members to a 50,000-member group vs a 1,000-member one: median",
        "groups.add_50k.ms",
        "groups.add_1k.ms",
        at_most=1.5,
    ),
    Check(
        "memory",
        "server RSS after 100,000 vs after 10,000 mixed requests",
        "memory.after_100k.rss_mib",
        "memory.after_10k.rss_mib",
        at_most=1.1,
    ),
    *_sqlite_checks(),
)


def selected(tags: Iterable[str]) -> list[Check]:
    wanted = set(tags)
    return [check for check in CHECKS if check.tag in wanted]


def judge(
    checks: Iterable[Check],
    figures: Mapping[str, float],
    errors: Mapping[tuple[str, str], int],
    noisy: Iterable[tuple[str, str]] = (),
) -> list[Verdict]:
    """Each check's ratio and verdict: missing figures and runs with errors fail; runs that
    other processes disturbed (``noisy``) are named in the note."""
    disturbed = set(noisy)
    verdicts = []
    for check in checks:
        numerator = figures.get(check.numerator)
        denominator = figures.get(check.denominator)
        if numerator is None or not denominator:
            verdicts.append(Verdict(check, None, False, "not measured"))
            continue
        ratio = numerator / denominator
        runs = sorted(check.runs())
        bad = [f"{row}.{kind}" for row, kind in runs if errors.get((row, kind))]
        loud = [f"{row}.{kind}" for row, kind in runs if (row, kind) in disturbed]
        notes = []
        if check.beside is not None:
            top, bottom = (figures.get(name) for name in check.beside)
            if top is not None and bottom:
                notes.append(f"req/s {top / bottom:.2f}x")
        notes += [f"errors in {', '.join(bad)}"] if bad else []
        notes += [f"noisy: {', '.join(loud)}"] if loud else []
        verdicts.append(Verdict(check, ratio, check.passes(ratio) and not bad, "; ".join(notes)))
    return verdicts
