"""``python -m app catalog add|list|remove|import``: the application's roles and entitlements.

Catalogue types (SCIM_RESOURCE_TYPES ``Role``, ``Entitlement``, or a configured type with
``x-catalog``) are read-only to SCIM clients; this is how the application writes them.
``import FILE`` takes a JSON array of resources in their served form (``schemas`` and the
application's own ``id`` included), creating or replacing each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scim2_models import SCIMException

from app.scim import catalog
from app.scim.resources import Registry, ResourceKind
from app.scim.store import ListQuery
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.repository import SqlStore


def register(commands: Any) -> None:
    """Add the ``catalog`` subcommand to the CLI's parser."""
    parser = commands.add_parser("catalog", help="manage the roles and entitlements catalogue")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create or replace one entry")
    add.add_argument("type", help="resource type, e.g. Role, Entitlement, License")
    add.add_argument("--id", required=True, help="the application's own id of the entry")
    add.add_argument("--display-name", required=True)
    add.add_argument("--description", default=None)
    listing = actions.add_parser("list", help="list the entries of a type")
    listing.add_argument("type")
    remove = actions.add_parser("remove", help="remove one entry")
    remove.add_argument("type")
    remove.add_argument("id")
    imported = actions.add_parser("import", help="create or replace every entry of a JSON file")
    imported.add_argument("file")
    for action in (add, listing, remove, imported):
        action.add_argument("--tenant", default=None)


def _kind(kinds: Registry, name: str) -> ResourceKind:
    kind = kinds.get(name)
    if kind is None or not kind.catalog:
        served = ", ".join(k.name for k in kinds if k.catalog) or "none (SCIM_RESOURCE_TYPES)"
        raise SCIMException(detail=f"{name!r} is not a catalogue type; served: {served}")
    return kind


def _kind_of(kinds: Registry, document: Any) -> ResourceKind:
    """The catalogue type of an imported resource: by its core schema, then its ``type``."""
    schemas = document.get("schemas", []) if isinstance(document, dict) else []
    found: list[ResourceKind] = [k for k in kinds if k.catalog and k.core.urn in schemas]
    typed = [k for k in found if k.name in (document.get("type"), _meta_type(document))]
    if len(typed) == 1 or len(found) == 1:
        chosen: ResourceKind = (typed or found)[0]
        return chosen
    raise SCIMException(detail=f"no single catalogue type takes {document.get('id')!r}")


def _meta_type(document: dict[str, Any]) -> Any:
    meta = document.get("meta")
    return meta.get("resourceType") if isinstance(meta, dict) else None


async def _list(store: SqlStore, tenant: str, kind: ResourceKind) -> None:
    query = ListQuery(kinds=[kind], filter=None, sort=None, start_index=1, count=10_000)
    async with store.transaction(write=False) as tx:
        page = await tx.list(tenant, query)
    for stored in page.resources:
        document = stored.document
        print(f"{document.get('id')}\t{document.get('displayName', '')}")


async def _run(settings: Settings, kinds: Registry, args: argparse.Namespace, entries: Any) -> None:
    store = SqlStore(create_engine(settings.database_url))
    tenant, now = args.tenant or settings.default_tenant, datetime.now(UTC)
    try:
        if args.action == "import":
            if not isinstance(entries, list):
                raise SCIMException(detail=f"{args.file}: expected a JSON array of resources")
            for entry in entries:
                await catalog.put(store, tenant, _kind_of(kinds, entry), entry, now)
            print(f"{len(entries)} entries imported", file=sys.stderr)
        elif args.action == "add":
            document = {"id": args.id, "displayName": args.display_name}
            if args.description is not None:
                document["description"] = args.description
            _, new = await catalog.put(store, tenant, _kind(kinds, args.type), document, now)
            print(f"{args.type} {args.id} {'created' if new else 'replaced'}", file=sys.stderr)
        elif args.action == "list":
            await _list(store, tenant, _kind(kinds, args.type))
        else:
            await catalog.remove(store, tenant, _kind(kinds, args.type), args.id, now)
    finally:
        await store.close()


def run(settings: Settings, kinds: Registry, args: argparse.Namespace) -> int:
    try:
        entries = None
        if args.action == "import":
            entries = json.loads(Path(args.file).read_text(encoding="utf-8"))
        asyncio.run(_run(settings, kinds, args, entries))
    except (SCIMException, OSError, json.JSONDecodeError) as exc:
        detail = getattr(exc, "detail", None) or str(exc)
        print(f"error: {detail}", file=sys.stderr)
        return 1
    return 0
