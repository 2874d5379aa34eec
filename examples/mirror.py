"""A host application's mirror of the directory: users, groups and memberships kept in a
local SQLite table in step with this server's change events (issue 12).

Two ways in, both idempotent by sequence (an event at or below the stored position is
ignored, so redeliveries and replays are harmless):

- pull: ``Mirror.follow()`` long-polls ``GET /events?after=<position>&wait=30``;
- push: ``Mirror.receiver()`` is an ASGI app for ``POST /webhook`` that verifies the
  Standard Webhooks signature with the ``standardwebhooks`` package before applying; a
  delivery that skips ahead (the endpoint was added later, or filters types) first
  fetches the missing events from the feed.

Either way, a ``410 Gone`` (the position fell out of retention) resynchronises: take
``GET /events/position``, read every user and group through SCIM, then follow from the
position taken first (changes made during the read arrive again and are re-applied).

Run ``python examples/mirror.py --url https://scim.example --token T --db mirror.db`` to
follow the feed from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    group_id TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER);
INSERT OR IGNORE INTO position VALUES (1, 0);
"""


class Gone(Exception):
    """The feed no longer keeps the events after our position."""


class Mirror:
    def __init__(self, db: str, client: httpx.AsyncClient, secret: str | None = None) -> None:
        """``client`` has the server's base URL and a token with the ``events`` scope."""
        self.db = sqlite3.connect(db, isolation_level=None)
        self.db.executescript(SCHEMA)
        self.client = client
        self.webhook = Webhook(secret) if secret else None
        self._lock = asyncio.Lock()

    @property
    def position(self) -> int:
        return int(self.db.execute("SELECT last FROM position").fetchone()[0])

    # -- applying events ---------------------------------------------------------------

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one event in its own transaction; False when already applied."""
        if event["sequence"] <= self.position:
            return False
        kind, rid = event["type"].split(".", 1)[1], event["resource_id"]
        with self.db:
            self.db.execute("BEGIN")
            if kind == "deleted":
                self.db.execute("DELETE FROM resources WHERE id = ?", (rid,))
                self.db.execute(
                    "DELETE FROM members WHERE group_id = ? OR member_id = ?", (rid, rid)
                )
            elif kind in ("members_added", "members_removed"):
                sql = (
                    "INSERT OR IGNORE INTO members VALUES (?, ?)"
                    if kind == "members_added"
                    else "DELETE FROM members WHERE group_id = ? AND member_id = ?"
                )
                self.db.executemany(sql, [(rid, m["value"]) for m in event["members"]])
                self._store(event["resource"], event["resource_type"], event["version"])
            else:  # created, updated, deactivated, reactivated
                self._store(event["resource"], event["resource_type"], event["version"])
            self.db.execute("UPDATE position SET last = ?", (event["sequence"],))
        return True

    def _store(self, resource: dict[str, Any], kind: str, version: int) -> None:
        self.db.execute(
            "INSERT INTO resources VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "version = excluded.version, document = excluded.document "
            "WHERE excluded.version >= resources.version",
            (resource["id"], kind, version, json.dumps(resource)),
        )

    # -- pull --------------------------------------------------------------------------

    async def catch_up(self, wait: float = 0.0) -> int:
        """Apply the feed's events after our position; how many were new."""
        applied = 0
        while True:
            response = await self.client.get(
                "/events", params={"after": self.position, "limit": 1000, "wait": wait}
            )
            if response.status_code == 410:
                raise Gone(response.json()["detail"])
            response.raise_for_status()
            page = response.json()
            applied += sum(self.apply(event) for event in page["events"])
            if not page["events"]:
                return applied
            wait = 0.0

    async def resync(self) -> None:
        """A full SCIM read, then the position taken before it."""
        position = (await self.client.get("/events/position")).json()["position"]
        users = await self._read_all("/scim/v2/Users")
        groups = await self._read_all("/scim/v2/Groups")
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM resources")
            self.db.execute("DELETE FROM members")
            for kind, found in (("User", users), ("Group", groups)):
                for resource in found:
                    members = resource.pop("members", [])
                    resource.pop("groups", None)
                    version = int(resource["meta"]["version"].strip('W/"'))
                    self._store(resource, kind, version)
                    self.db.executemany(
                        "INSERT INTO members VALUES (?, ?)",
                        [(resource["id"], m["value"]) for m in members],
                    )
            self.db.execute("UPDATE position SET last = ?", (position,))

    async def _read_all(self, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            params = {"startIndex": len(found) + 1, "count": 1000}
            body = (await self.client.get(path, params=params)).json()
            found += body.get("Resources", [])
            if len(found) >= body["totalResults"] or not body.get("Resources"):
                return found

    async def sync(self, wait: float = 0.0) -> int:
        """Catch up, resynchronising first when the feed says so."""
        async with self._lock:
            try:
                return await self.catch_up(wait)
            except Gone:
                await self.resync()
                return await self.catch_up()

    async def follow(self) -> None:
        while True:
            await self.sync(wait=30)

    # -- push --------------------------------------------------------------------------

    async def receive(self, body: bytes, headers: dict[str, str]) -> int:
        """A webhook delivery: the HTTP status to answer."""
        assert self.webhook is not None, "a receiver needs the endpoint's secret"
        try:
            message = self.webhook.verify(body, headers)
        except WebhookVerificationError:
            return 401
        event = message["data"]
        async with self._lock:
            if event["sequence"] > self.position + 1:
                try:
                    await self.catch_up()
                except Gone:
                    await self.resync()
            self.apply(event)
        return 204

    def receiver(self) -> Callable[..., Awaitable[None]]:
        """An ASGI app answering ``POST /webhook``."""

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            ok = scope["method"] == "POST" and scope["path"] == "/webhook"
            status = await self.receive(body, headers) if ok else 404
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        return app

    # -- reading the mirror ------------------------------------------------------------

    def versions(self, kind: str) -> dict[str, int]:
        rows = self.db.execute("SELECT id, version FROM resources WHERE type = ?", (kind,))
        return dict(rows.fetchall())

    def members(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT group_id, member_id FROM members").fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description="Follow a SCIM server's change events.")
    parser.add_argument("--url", required=True, help="the server's origin")
    parser.add_argument("--token", required=True, help="a token with the events scope")
    parser.add_argument("--db", default="mirror.db")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}

    async def run() -> None:
        async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=60) as client:
            await Mirror(args.db, client).follow()

    asyncio.run(run())


if __name__ == "__main__":
    main()
