"""The peer: scim2-server 0.8.3 from PyPI, in its own venv, loaded through its HTTP API.

``bench/.peer-venv`` is created on first use (pip, with the wheel cached in /tmp/peer when
it is there). Its store is an in-memory dict, so users are loaded by POSTing them, 16 at
a time, before anything is measured.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from _database import user_document

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".peer-venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENT = "scim2-server==0.8.3"
WHEELS = Path("/tmp/peer")
BASE = "/v2"
SCIM_JSON = {"Content-Type": "application/scim+json"}


def ensure_venv() -> Path:
    """The peer's interpreter, creating its venv and installing scim2-server when missing."""
    probe = [str(PYTHON), "-c", "import scim2_server"]
    if PYTHON.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return PYTHON
    print(f"creating {VENV} with {REQUIREMENT} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    links = ["--find-links", str(WHEELS)] if WHEELS.is_dir() else []
    install = [str(PYTHON), "-m", "pip", "install", "--quiet", *links, REQUIREMENT]
    subprocess.run(install, check=True, stderr=subprocess.DEVNULL)
    subprocess.run(probe, check=True)
    return PYTHON


def argv(port: int | str, token: str) -> list[str]:
    return [
        str(ensure_venv()), str(BENCH / "peer_server.py"), "--hostname", "127.0.0.1",
        "--port", str(port), "--bearer-token", token,
    ]  # fmt: skip


async def _post_all(base_url: str, token: str, count: int) -> list[tuple[str, str]]:
    headers = {**SCIM_JSON, "Authorization": f"Bearer {token}"}
    loaded: list[tuple[str, str]] = [("", "")] * count
    queue = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for index in queue:
            document = user_document(index)
            response = await client.post(f"{BASE}/Users", json=document, headers=headers)
            response.raise_for_status()
            loaded[index] = (response.json()["id"], document["userName"])

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(16)))
    return loaded


def load_users(base_url: str, token: str, count: int) -> list[tuple[str, str]]:
    """POST the bench's ``count`` users to the peer; their (id, userName) pairs."""
    return asyncio.run(_post_all(base_url, token, count))
