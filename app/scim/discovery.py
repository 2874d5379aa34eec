"""The discovery documents of RFC 7644 §4, generated from the models this service serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    NotFoundException,
    Pagination,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)

from app.scim.resources import KINDS, ResourceKind


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


def _resource_type(kind: ResourceKind, base_url: str) -> dict[str, Any]:
    out = ResourceType.from_resource(kind.model).model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json"
    )
    out["meta"] = {
        "resourceType": "ResourceType",
        "location": f"{base_url}/ResourceTypes/{kind.name}",
    }
    return out


def resource_types(base_url: str) -> list[dict[str, Any]]:
    return [_resource_type(kind, base_url) for kind in KINDS.values()]


def resource_type(name: str, base_url: str) -> dict[str, Any]:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFoundException(detail=f"ResourceType {name} not found")
    return _resource_type(kind, base_url)


_SCHEMA_MODELS = (User, EnterpriseUser, Group)


def _schema(model: Any, base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = model.to_schema().model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json"
    )
    out["meta"] = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{out['id']}"}
    return out


def schemas(base_url: str) -> list[dict[str, Any]]:
    return [_schema(model, base_url) for model in _SCHEMA_MODELS]


def schema(urn: str, base_url: str) -> dict[str, Any]:
    for model in _SCHEMA_MODELS:
        if str(model.__schema__).lower() == urn.lower():
            return _schema(model, base_url)
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
