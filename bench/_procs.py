"""Processes of a bench run: free ports, pinned servers, CPU time and memory from /proc.

CPU time of a process tree is utime + stime of every live process in it (each covers all
of that process's threads) plus cutime + cstime, the time of the children each one has
reaped: a PostgreSQL backend that exits between two readings is counted once, in its
reaper, and never twice. Readings are in clock ticks (10 ms), so runs must be seconds long.

Other processes' share of a core (the noise of a shared machine) is the core's busy time
(/proc/stat) less what the bench's own processes on it used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(int(entry.name))[1])
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    return children


def process_tree(roots: Iterable[int]) -> list[int]:
    """The roots and all their live descendants."""
    children = _children()
    found: list[int] = []
    pending = list(roots)
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def cpu_seconds(roots: Iterable[int]) -> float:
    """CPU time used so far by the process trees under ``roots`` (see module docstring)."""
    ticks = 0
    for pid in process_tree(roots):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        # fields[11:15] are utime, stime, cutime, cstime (stat fields 14 to 17)
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / TICK


def core_busy_seconds(core: int) -> float:
    """Time core ``core`` spent on anything but idle and iowait since boot (/proc/stat)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(value) for value in line.split()[1:9]]
            return (sum(values) - values[3] - values[4]) / TICK
    raise ValueError(f"no cpu{core} in /proc/stat")


def rss_mib(roots: Iterable[int]) -> float:
    """Resident memory (VmRSS) of the process trees under ``roots``, in MiB."""
    kib = 0
    for pid in process_tree(roots):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                kib += int(line.split()[1])
    return kib / 1024


@dataclass
class Server:
    """A server under test: started pinned to ``core``, stopped by its own pid."""

    name: str
    argv: Sequence[str]
    port: int
    ready_path: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    api_base: str = "/scim/v2"
    core: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", str(self.core), *self.argv],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops it
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                response = httpx.get(self.base_url + self.ready_path, headers=self.headers)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not become ready; log tail:\n{tail}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
