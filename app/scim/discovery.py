"""The discovery documents of RFC 7644 §4, generated from the models this service serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    NotFoundException,
    Pagination,
    Patch,
    ServiceProviderConfig,
    Sort,
)

from app.scim.attributes import SchemaSpec
from app.scim.resources import Registry, ResourceKind


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the service really supports, so ServiceProviderConfig never overclaims."""

    patch: bool
    sort: bool
    max_results: int
    default_page_size: int
    cursor: bool = False
    cursor_timeout: int | None = None


def service_provider_config(caps: Capabilities, base_url: str) -> dict[str, Any]:
    config = ServiceProviderConfig(
        patch=Patch(supported=caps.patch),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=caps.max_results),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=caps.sort),
        etag=ETag(supported=True),
        pagination=Pagination(
            index=True,
            cursor=caps.cursor,
            cursor_timeout=caps.cursor_timeout,
            default_pagination_method="index",
            default_page_size=caps.default_page_size,
            max_page_size=caps.max_results,
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="OAuth Bearer Token",
                description="Authentication with a bearer token made by `python -m app token`",
                primary=True,
            )
        ],
    )
    out = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json")
    out["meta"] = {
        "resourceType": "ServiceProviderConfig",
        "location": f"{base_url}/ServiceProviderConfig",
    }
    return out


RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def _resource_type(kind: ResourceKind, base_url: str) -> dict[str, Any]:
    """The ResourceType document (RFC 7643 §6) of ``kind``, from its declaration alone."""
    out: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name,
        "name": kind.name,
        "description": kind.description or kind.name,
        "endpoint": kind.endpoint,
        "schema": kind.core.urn,
    }
    if kind.extensions:
        out["schemaExtensions"] = [
            {"schema": e.urn, "required": e.urn in kind.required_extensions}
            for e in kind.extensions
        ]
    out["meta"] = {
        "resourceType": "ResourceType",
        "location": f"{base_url}/ResourceTypes/{kind.name}",
    }
    return out


def resource_types(kinds: Registry, base_url: str) -> list[dict[str, Any]]:
    return [_resource_type(kind, base_url) for kind in kinds]


def resource_type(kinds: Registry, name: str, base_url: str) -> dict[str, Any]:
    kind = kinds.get(name)
    if kind is None:
        raise NotFoundException(detail=f"ResourceType {name} not found")
    return _resource_type(kind, base_url)


def _served(kinds: Registry) -> list[SchemaSpec]:
    """Each schema any served type uses, once, in declaration order."""
    seen: dict[str, SchemaSpec] = {}
    for kind in kinds:
        for spec in (kind.core, *kind.extensions):
            seen.setdefault(spec.urn.lower(), spec)
    return list(seen.values())


def _schema(spec: SchemaSpec, base_url: str) -> dict[str, Any]:
    out = dict(spec.document)
    out["meta"] = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{spec.urn}"}
    return out


def schemas(kinds: Registry, base_url: str) -> list[dict[str, Any]]:
    return [_schema(spec, base_url) for spec in _served(kinds)]


def schema(kinds: Registry, urn: str, base_url: str) -> dict[str, Any]:
    for spec in _served(kinds):
        if spec.urn.lower() == urn.lower():
            return _schema(spec, base_url)
    raise NotFoundException(detail=f"Schema {urn} not found")


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse of every item (discovery lists are small and unpaged)."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }
