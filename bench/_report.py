"""What compare.py prints: one table per request kind, the sections, then the verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from _checks import KINDS, ROWS, Verdict
from _wrk import Figures

HEADER = (
    f"  {'':<32}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}{'CPU-ms/req':>12}{'of it DB':>10}"
    f"{'requests':>10}{'errors':>8}{'use %':>7}{'others %':>10}"
)
LEGEND = [
    "",
    "CPU-ms/req and use %: server + database processes, per request and as a share of",
    "their core (core 0); of it DB: the database processes' part. others %: share of",
    "core 0 / of wrk's core 1 used by other processes meanwhile. Marks: ! non-2xx or",
    "socket errors; ~ under 10 requests per connection, so req/s reads low (in-flight",
    "requests are lost); * disturbed by other processes even after two re-runs",
    "(bench/_wrk.py).",
]


def _db(figures: Figures) -> str:
    return f"{figures.db_cpu_ms:.3f}" if figures.database_seconds else "-"


def _row(label: str, figures: Figures) -> str:
    marks = (" !" if figures.errors else "") + (" ~" if figures.few else "")
    marks += " *" if figures.noisy else ""
    others = f"{figures.others[0] * 100:.0f}/{figures.others[1] * 100:.0f}"
    return (
        f"  {label:<32}{figures.rps:>9.1f}{figures.p50_ms:>10.2f}{figures.p99_ms:>10.2f}"
        f"{figures.cpu_ms:>12.3f}{_db(figures):>10}{figures.requests:>10}{figures.errors:>8}"
        f"{figures.usage * 100:>7.0f}{others:>10}{marks}"
    )


def progress(row: str, kind: str, figures: Figures) -> str:
    """The line printed as each run ends."""
    errors = f", {figures.errors} ERRORS" if figures.errors else ""
    c0, c1 = figures.others
    return (
        f"  {row:<12}{kind:<12}{figures.rps:9.1f} req/s  p50 {figures.p50_ms:7.2f} ms"
        f"  p99 {figures.p99_ms:8.2f} ms  CPU {figures.cpu_ms:7.3f} ms/req"
        f"  use {figures.usage:4.0%}  others {c0:.0%}/{c1:.0%}{errors}"
    )


def tables(runs: Mapping[str, Mapping[str, Figures]]) -> list[str]:
    """One table per request kind, a row per server measured (CPU: server + database)."""
    lines: list[str] = []
    for kind, title in KINDS.items():
        rows = [(row, runs[row][kind]) for row in ROWS if kind in runs.get(row, {})]
        if not rows:
            continue
        lines += ["", title, HEADER, *(_row(ROWS[row], figures) for row, figures in rows)]
        lines += [
            f"    ! {ROWS[row]}: {figures.non2xx} non-2xx, {figures.socket_errors} socket "
            f"errors/timeouts; first: {figures.first_error or '-'}"
            for row, figures in rows
            if figures.errors
        ]
    return [*LEGEND, *lines] if lines else []


def groups(result: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not result:
        return []
    lines = ["", "Groups: PATCH add 1,000 members (median of interleaved rounds)"]
    for key, label in (("add_1k", "group of 1,000"), ("add_50k", "group of 50,000")):
        figures = result[key]
        samples = " ".join(f"{value:.0f}" for value in figures["samples_ms"])
        lines.append(
            f"  {label:<18} {figures['ms']:9.1f} ms  CPU {figures['cpu_ms']:8.1f} ms"
            f"  (runs: {samples})"
        )
    lines.append(f"  filling both groups took {result['add_1k']['fill_s']:.1f} s")
    return lines


def memory(result: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not result:
        return []
    lines = ["", "Memory: server RSS under a GET/filter/PATCH mix"]
    for key in ("start", "after_10k", "after_100k"):
        figures = result[key]
        lines.append(
            f"  {key:<11} {figures['rss_mib']:8.1f} MiB after {figures['requests']:>7,} "
            f"requests ({figures['errors']} errors)"
        )
    return lines


def verdicts(results: Sequence[Verdict]) -> list[str]:
    lines = ["", "Targets"]
    for verdict in results:
        status = "PASS" if verdict.passed else "FAIL"
        ratio = f"{verdict.ratio:8.2f}x" if verdict.ratio is not None else f"{'-':>9}"
        note = f"  [{verdict.note}]" if verdict.note else ""
        lines.append(f"  {status}  {ratio} ({verdict.check.limit:>8})  {verdict.check.label}{note}")
    passed = sum(verdict.passed for verdict in results)
    lines += ["", f"{passed} PASS / {len(results) - passed} FAIL"]
    return lines
