"""``python -m app serve`` as an operator runs it: what it writes to stdout."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.live import serve


def test_served_requests_write_one_json_line_each_and_no_access_line(
    live_database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {"SCIM_LOG_LEVEL": "info", "SCIM_LOG_FORMAT": "json"}
    with serve(live_database_url, log, env=env) as server:
        httpx.get(f"{server.base_url}/Users", headers=server.headers, timeout=10)
        httpx.get(f"{server.origin}/livez", timeout=10)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "request"]
    assert [
        (r["method"], r["route"], r["status"])
        for r in requests
        if r["route"] != "/scim/v2/ServiceProviderConfig"
    ] == [("GET", "/scim/v2/Users", 200)]
    assert "HTTP/1.1" not in text
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)
