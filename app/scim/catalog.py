"""Catalogues the application publishes (Okta Identity Governance roles and entitlements).

A catalogue type (``ResourceKind.catalog``) is read by SCIM clients and written by the
application (``python -m app catalog``): entries keep the application's own ``id``, and
each is one row whose id derives from it (``app.scim.text.catalog_row``). Okta's rules
(its "SCIM with entitlements" guide): ``displayName`` is required, ``description`` holds at
most 1,000 characters, and an entitlement's ``type`` is its resource type's name.

Users carry the assignments (RFC 7643 §4.1.2 ``roles``, ``entitlements``). When the
matching catalogue is served, each value must name one of its entries (else 400
invalidValue) and is stored as ``{value, display, type}`` from the entry; Entra's values
sent as a JSON string of ``{id, value, displayName}`` are read by their ``value``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, InvalidValueException, NotFoundException

from app.scim.documents import canonical
from app.scim.errors import from_validation_error
from app.scim.resources import ResourceKind
from app.scim.store import ResourceWrite, Store, StoredResource, Transaction
from app.scim.text import catalog_row, too_long

MAX_DESCRIPTION = 1000
"""Okta shows at most this many characters of a role's or entitlement's description."""


def _typed(kind: ResourceKind) -> bool:
    return "type" in kind.core.attributes


def _entry(kind: ResourceKind, document: dict[str, Any]) -> dict[str, Any]:
    """A catalogue entry as given (served form), checked and in canonical form."""
    if not isinstance(document, dict):
        raise InvalidValueException(detail=f"a {kind.name} must be a JSON object")
    entry_id = document.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise InvalidValueException(detail=f"a {kind.name} needs the application's own 'id'")
    body = {k: v for k, v in document.items() if k not in ("id", "meta")}
    body.setdefault("schemas", [kind.core.urn])
    if _typed(kind):
        body.setdefault("type", kind.name)
        if body["type"] != kind.name:
            raise InvalidValueException(
                detail=f"type must be {kind.name!r}, the name of its resource type"
            )
    description = body.get("description")
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
        raise InvalidValueException(
            detail=f"description holds at most {MAX_DESCRIPTION} characters"
        )
    try:
        resource = kind.model.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    return {**canonical(kind, resource, Context.RESOURCE_CREATION_REQUEST), "id": entry_id}


async def put(
    store: Store, tenant: str, kind: ResourceKind, document: dict[str, Any], now: Any
) -> tuple[StoredResource, bool]:
    """Create or replace one entry; (the stored entry, whether it is new)."""
    from app.scim.service import rewrite

    entry = _entry(kind, document)
    if reason := too_long("id", entry["id"]):
        raise InvalidValueException(detail=reason)
    row = catalog_row(tenant, kind, entry["id"])
    write = rewrite(kind, entry)
    write = ResourceWrite(write.document, write.search, write.keys, write.unique, row_id=row)
    async with store.transaction(write=True) as tx:
        current = await tx.get(tenant, kind, row, for_update=True)
        if current is None:
            return await tx.insert(tenant, kind, write, now), True
        if current.document == write.document:
            return current, False
        return await tx.update(tenant, kind, current, write, now), False


async def remove(store: Store, tenant: str, kind: ResourceKind, entry_id: str, now: Any) -> None:
    async with store.transaction(write=True) as tx:
        if not await tx.delete(tenant, kind, catalog_row(tenant, kind, entry_id), now):
            raise NotFoundException(detail=f"{kind.name} {entry_id} not found")


def _value(item: Any) -> tuple[str, dict[str, Any]]:
    """An assignment's catalogue id, and the rest of what the client sent with it."""
    if not isinstance(item, dict) or not isinstance(item.get("value"), str):
        raise InvalidValueException(detail="each assignment needs a string 'value'")
    value = item["value"]
    if value.startswith("{"):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("value"), str):
            value = decoded["value"]  # Entra's app role, sent as a JSON string
    return value, item


async def _resolve(
    tx: Transaction, tenant: str, attribute: str, kinds: tuple[ResourceKind, ...], items: Any
) -> list[dict[str, Any]]:
    wanted = [_value(item) for item in items or []]
    rows = {
        catalog_row(tenant, k, value): k
        for value, item in wanted
        for k in kinds
        if not item.get("type") or not _typed(k) or item.get("type") == k.name
    }
    found = await tx.documents(list(rows)) if rows else {}
    resolved: dict[tuple[str, str], dict[str, Any]] = {}
    for value, item in wanted:
        match = next(
            ((k, found[r]) for r, k in rows.items() if r in found and found[r].get("id") == value),
            None,
        )
        if match is None:
            names = " or ".join(k.name for k in kinds)
            raise InvalidValueException(detail=f"{attribute}: no {names} has the id {value!r}")
        kind, entry = match
        out = {"value": value, "display": entry.get("displayName")}
        if _typed(kind) or attribute == "entitlements":
            out["type"] = entry.get("type", kind.name)
        elif isinstance(item.get("type"), str):
            out["type"] = item["type"]  # e.g. Entra's WindowsAzureActiveDirectoryRole
        if isinstance(item.get("primary"), bool):
            out["primary"] = item["primary"]
        resolved[(kind.name, value)] = {k: v for k, v in out.items() if v is not None}
    return list(resolved.values())


async def assigned(
    tx: Transaction, tenant: str, kind: ResourceKind, write: ResourceWrite
) -> ResourceWrite:
    """``write`` with its assignments checked against the served catalogues."""
    from app.scim.service import rewrite

    document = dict(write.document)
    changed = False
    for attribute, kinds in kind.assigned.items():
        key = next((k for k in document if k.lower() == attribute.lower()), None)
        if key is None:
            continue
        resolved = await _resolve(tx, tenant, attribute, kinds, document[key])
        if resolved != document[key]:
            changed = True
            if resolved:
                document[key] = resolved
            else:
                del document[key]
    return rewrite(kind, document) if changed else write
