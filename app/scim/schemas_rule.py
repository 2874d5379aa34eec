"""One rule for the ``schemas`` member of request bodies (RFC 7643 §3, RFC 7644 §3.5.2).

POST and PUT bodies must list the resource type's core schema, and PATCH bodies the
PatchOp message schema, for Users and Groups alike; a missing or empty ``schemas`` is 400
``invalidSyntax``; a schema this resource type does not have is 400 ``invalidValue``
(after ``policy.foreign_schema_urns`` has dropped those that carry no data). The details name
what is accepted, so the person reading Okta's or Entra's error can fix the mapping.
"""

from __future__ import annotations

from typing import Any

from scim2_models import InvalidSyntaxException, InvalidValueException

from app.scim.resources import ResourceKind

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _schemas(payload: dict[str, Any]) -> list[str] | None:
    for key, value in payload.items():
        if key.lower() == "schemas":
            return [str(urn) for urn in value] if isinstance(value, list) else None
    return None


def require_resource_schemas(kind: ResourceKind, payload: dict[str, Any]) -> None:
    accepted = ", ".join(kind.schema_urns)
    schemas = _schemas(payload)
    if not schemas or kind.core.urn.lower() not in {urn.lower() for urn in schemas}:
        raise InvalidSyntaxException(
            detail=f"schemas must list {kind.core.urn} for a {kind.name} "
            f"(accepted schemas: {accepted})"
        )
    known = {urn.lower() for urn in kind.schema_urns}
    unknown = [urn for urn in schemas if urn.lower() not in known]
    if unknown:
        raise InvalidValueException(
            detail=f"unknown schema {unknown[0]!r} for a {kind.name}; accepted schemas: {accepted}"
        )


def require_patch_schemas(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the request body must be a JSON object")
    schemas = _schemas(payload)
    if not schemas or PATCH_URN.lower() not in {urn.lower() for urn in schemas}:
        raise InvalidSyntaxException(detail=f"schemas must list {PATCH_URN} in a PATCH body")
