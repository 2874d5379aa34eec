"""The bare stack: FastAPI + an asyncpg pool, one query per request, no SQLAlchemy, no auth.

The floor the service is compared with (bench/compare.py): the same tables, the same
uvicorn, and only what answering needs:

- ``GET /scim/v2/Users/{id}``: one SELECT of the document by id and tenant;
- ``GET /scim/v2/Users?filter=userName eq "x"`` (that filter form only): one SELECT by
  ``name_key``;
- ``POST /scim/v2/Users``: one INSERT into ``resources`` with the columns a row needs (the
  search twin and key columns from ``app.scim.service.rewrite``, as the service writes
  them); no schema validation.

Run: ``.venv/bin/python bench/bare_app.py --port 8001 --dsn postgresql://postgres@127.0.0.1/db``
"""

from __future__ import annotations

import argparse
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

from app.scim.resources import USER
from app.scim.service import rewrite
from app.scim.text import fold, instant

TENANT = "default"
MEDIA_TYPE = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_NAME_EQ = re.compile(r'^\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)

SELECT_BY_ID = """SELECT id, document, version, created, last_modified FROM resources
WHERE id = $1 AND tenant = $2 AND resource_type = 'User'"""
SELECT_BY_NAME = """SELECT id, document, version, created, last_modified FROM resources
WHERE tenant = $1 AND resource_type = 'User' AND name_key = $2"""
INSERT = """INSERT INTO resources (id, tenant, resource_type, name_key, external_id, active,
display_name, version, created, last_modified, document, search)
VALUES ($1, $2, 'User', $3, $4, $5, $6, 1, $7, $7, $8, $9)"""


async def _json_codec(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


def _render(request: Request, row: Any) -> dict[str, Any]:
    resource_id = str(row["id"])
    return {
        **row["document"],
        "id": resource_id,
        "meta": {
            "resourceType": "User",
            "created": instant(row["created"]),
            "lastModified": instant(row["last_modified"]),
            "location": f"{request.base_url}scim/v2/Users/{resource_id}",
            "version": f'W/"{row["version"]}"',
        },
    }


def _scim(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE)


def _error(status: int, detail: str) -> Response:
    schema = "urn:ietf:params:scim:api:messages:2.0:Error"
    return _scim({"schemas": [schema], "status": str(status), "detail": detail}, status)


def create_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=4, max_size=16, init=_json_codec)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/scim/v2/Users/{resource_id}")
    async def get_user(request: Request, resource_id: str) -> Response:
        try:
            key = uuid.UUID(resource_id)
        except ValueError:
            return _error(404, "no such user")
        row = await request.app.state.pool.fetchrow(SELECT_BY_ID, key, TENANT)
        return _scim(_render(request, row)) if row else _error(404, "no such user")

    @app.get("/scim/v2/Users")
    async def filter_users(request: Request, filter: str = "") -> Response:
        match = USER_NAME_EQ.match(filter)
        if match is None:
            return _error(400, 'only filter=userName eq "x" is served')
        name = orjson.loads(f'"{match.group(1)}"')
        rows = await request.app.state.pool.fetch(SELECT_BY_NAME, TENANT, fold(name))
        resources = [_render(request, row) for row in rows]
        return _scim(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": len(resources),
                "startIndex": 1,
                "itemsPerPage": len(resources),
                "Resources": resources,
            }
        )

    @app.post("/scim/v2/Users")
    async def create_user(request: Request) -> Response:
        document = orjson.loads(await request.body())
        write = rewrite(USER, document)
        key, now = uuid.uuid4(), datetime.now(UTC)
        keys = write.keys
        try:
            await request.app.state.pool.execute(
                INSERT, key, TENANT, keys.name_key, keys.external_id, keys.active,
                keys.display_name, now, write.document, write.search,
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            return _error(409, "userName is taken")
        row = {"id": key, "document": write.document, "version": 1, "created": now}
        return _scim(_render(request, {**row, "last_modified": now}), 201)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--dsn", required=True, help="postgresql://user@host:port/database")
    args = parser.parse_args()
    uvicorn.run(create_app(args.dsn), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
