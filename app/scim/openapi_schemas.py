"""OpenAPI components drawn from the served SCIM schemas (RFC 7643 §7), custom ones included.

The ``/docs`` page shows what ``/Schemas`` serves: one component per schema (its name unique),
one per resource type (core attributes plus each extension under its URN) and its list
response, the PatchOp, SearchRequest and Error messages, each with an example body. Built
once, when the OpenAPI document is first asked for; requests never touch it.
"""

from __future__ import annotations

import re
from typing import Any

from app.scim.attributes import SchemaSpec
from app.scim.resources import Registry, ResourceKind

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SCIM_TYPES = [
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
]

_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "decimal": {"type": "number"},
    "integer": {"type": "integer"},
    "dateTime": {"type": "string", "format": "date-time"},
    "reference": {"type": "string", "format": "uri-reference"},
    "binary": {"type": "string", "format": "byte"},
}


def _word(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text[:1].upper() + text[1:])


def _attribute(attribute: dict[str, Any], configured: bool) -> dict[str, Any]:
    """One attribute of a Schema document as a JSON Schema property."""
    kind = attribute.get("type", "string")
    if kind == "complex":
        item = _object(attribute.get("subAttributes") or [], configured)
    else:
        item = dict(_TYPES.get(kind, {"type": "string"}))
        values = attribute.get("canonicalValues")
        if configured and values:
            item["enum"] = list(values)
    prop: dict[str, Any] = (
        {"type": "array", "items": item} if attribute.get("multiValued") else item
    )
    if attribute.get("description"):
        prop["description"] = attribute["description"]
    if attribute.get("mutability") == "readOnly":
        prop["readOnly"] = True
    if attribute.get("mutability") == "writeOnly" or attribute.get("returned") == "never":
        prop["writeOnly"] = True
    return prop


def _object(attributes: list[dict[str, Any]], configured: bool) -> dict[str, Any]:
    properties = {a["name"]: _attribute(a, configured) for a in attributes}
    required = [
        a["name"] for a in attributes if a.get("required") and a.get("mutability") != "readOnly"
    ]
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


class Components:
    """Unique component names for the served schemas and resource types."""

    def __init__(self, kinds: Registry) -> None:
        self.kinds = kinds
        self.names: dict[str, str] = {}
        taken = {kind.name for kind in kinds} | {f"{kind.name}ListResponse" for kind in kinds}
        taken |= {"PatchOp", "Error", "SearchRequest", "ListResponse"}
        for kind in kinds:
            for spec in kind.extensions:
                if spec.urn.lower() in self.names:
                    continue
                base = _word(str(spec.document.get("name") or spec.urn.rsplit(":", 1)[-1]))
                name = base if base not in taken else f"{base}Extension"
                suffix = 2
                while name in taken:
                    name, suffix = f"{base}{suffix}", suffix + 1
                taken.add(name)
                self.names[spec.urn.lower()] = name

    def ref(self, name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def extension(self, spec: SchemaSpec) -> str:
        return self.names[spec.urn.lower()]

    def resource(self, kind: ResourceKind) -> dict[str, Any]:
        body = _object(kind.core.document.get("attributes") or [], kind.core.configured)
        properties = {
            "schemas": {
                "type": "array",
                "items": {"type": "string", "enum": list(kind.schema_urns)},
                "description": "The schema URNs of the resource (extensions it carries).",
            },
            "id": {"type": "string", "readOnly": True, "description": "Issued by the server."},
            "externalId": {"type": "string", "description": "The identity provider's id."},
            **body["properties"],
            "meta": {
                "type": "object",
                "readOnly": True,
                "properties": {
                    "resourceType": {"type": "string"},
                    "created": {"type": "string", "format": "date-time"},
                    "lastModified": {"type": "string", "format": "date-time"},
                    "location": {"type": "string", "format": "uri"},
                    "version": {"type": "string"},
                },
            },
        }
        for spec in kind.extensions:
            properties[spec.urn] = {
                **self.ref(self.extension(spec)),
                "description": str(spec.document.get("description") or spec.urn),
            }
        out: dict[str, Any] = {
            "type": "object",
            "description": kind.description or kind.name,
            "required": ["schemas", *body.get("required", [])],
            "properties": properties,
            "example": example(kind),
        }
        if kind.required_extensions:
            out["required"] += sorted(kind.required_extensions)
        return out

    def build(self) -> dict[str, Any]:
        schemas: dict[str, Any] = {}
        for kind in self.kinds:
            schemas[kind.name] = self.resource(kind)
            schemas[f"{kind.name}ListResponse"] = _list(self.ref(kind.name), kind)
            for spec in kind.extensions:
                name = self.extension(spec)
                if name not in schemas:
                    attributes = spec.document.get("attributes") or []
                    schemas[name] = {
                        **_object(attributes, spec.configured),
                        "description": str(spec.document.get("description") or spec.urn),
                    }
        schemas.update(messages())
        return schemas


def _list(item: dict[str, Any], kind: ResourceKind) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["schemas", "totalResults"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string", "enum": [LIST_URN]}},
            "totalResults": {"type": "integer"},
            "startIndex": {"type": "integer"},
            "itemsPerPage": {"type": "integer"},
            "Resources": {"type": "array", "items": item},
        },
        "example": {
            "schemas": [LIST_URN],
            "totalResults": 1,
            "startIndex": 1,
            "itemsPerPage": 1,
            "Resources": [served_example(kind)],
        },
    }


_SAMPLE = {
    "string": "example",
    "boolean": True,
    "decimal": 1.5,
    "integer": 1,
    "dateTime": "2026-01-01T00:00:00Z",
    "reference": "https://example.com",
    "binary": "ZXhhbXBsZQ==",
}

OKTA_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "Tester"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "active": True,
    "password": "1mz050nq",
}
"""The create Okta sends (its SCIM 2.0 reference), used as the User request example."""


def _sample(attribute: dict[str, Any]) -> Any:
    if attribute.get("type") == "complex":
        value: Any = {
            sub["name"]: _sample(sub)
            for sub in attribute.get("subAttributes") or []
            if sub.get("name") != "$ref"
        }
    elif attribute.get("canonicalValues"):
        value = attribute["canonicalValues"][0]
    else:
        value = _SAMPLE.get(str(attribute.get("type")), "example")
    return [value] if attribute.get("multiValued") else value


def example(kind: ResourceKind) -> dict[str, Any]:
    """A request body that POST accepts: Okta's create for Users, else the required
    attributes (and a name) with sample values."""
    if kind.name_attribute == "userName" and not kind.required_extensions:
        return dict(OKTA_USER)
    body: dict[str, Any] = {"schemas": [kind.core.urn]}
    if kind.catalog:
        body["id"] = "admin"
    for attribute in kind.core.document.get("attributes") or []:
        name = attribute.get("name")
        wanted = attribute.get("required") or name in ("displayName", kind.name_attribute)
        if wanted and attribute.get("mutability") not in ("readOnly",):
            body[name] = _sample(attribute) if name != "type" else kind.name
    for spec in kind.extensions:
        if spec.urn in kind.required_extensions:
            attributes = spec.document.get("attributes") or []
            body[spec.urn] = {a["name"]: _sample(a) for a in attributes if a.get("required")}
            body["schemas"].append(spec.urn)
    return body


def served_example(kind: ResourceKind) -> dict[str, Any]:
    """``example(kind)`` as a read returns it: id and meta added, password left out."""
    body = {k: v for k, v in example(kind).items() if k != "password"}
    resource_id = body.get("id", "2819c223-7f76-453a-919d-413861904646")
    return {
        **body,
        "id": resource_id,
        "meta": {
            "resourceType": kind.name,
            "created": "2026-01-01T00:00:00Z",
            "lastModified": "2026-01-01T00:00:00Z",
            "location": f"https://scim.example.com/scim/v2{kind.endpoint}/{resource_id}",
            "version": 'W/"1"',
        },
    }


def patch_example(kind: ResourceKind) -> dict[str, Any]:
    """A member add for a type with members (Okta's group push), else Okta's deactivation."""
    if kind.members:
        value = [{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"}]
        operation: dict[str, Any] = {"op": "add", "path": kind.members, "value": value}
    else:
        operation = {"op": "replace", "value": {"active": False}}
    return {"schemas": [PATCH_URN], "Operations": [operation]}


def messages() -> dict[str, Any]:
    """PatchOp, SearchRequest and Error (RFC 7644 §3.5.2, §3.4.3, §3.12)."""
    operation = {
        "type": "object",
        "required": ["op"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace"]},
            "path": {"type": "string", "description": 'e.g. members[value eq "id"]'},
            "value": {"description": "What to add or replace; any JSON value"},
        },
    }
    return {
        "PatchOp": {
            "type": "object",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": {"type": "array", "items": {"type": "string", "enum": [PATCH_URN]}},
                "Operations": {"type": "array", "minItems": 1, "items": operation},
            },
        },
        "SearchRequest": {
            "type": "object",
            "required": ["schemas"],
            "properties": {
                "schemas": {"type": "array", "items": {"type": "string", "enum": [SEARCH_URN]}},
                "filter": {"type": "string"},
                "attributes": {"type": "array", "items": {"type": "string"}},
                "excludedAttributes": {"type": "array", "items": {"type": "string"}},
                "sortBy": {"type": "string"},
                "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
                "startIndex": {"type": "integer"},
                "count": {"type": "integer"},
            },
            "example": {
                "schemas": [SEARCH_URN],
                "filter": 'userName eq "test.user@okta.local"',
                "startIndex": 1,
                "count": 100,
            },
        },
        "Error": {
            "type": "object",
            "required": ["schemas", "status"],
            "properties": {
                "schemas": {"type": "array", "items": {"type": "string", "enum": [ERROR_URN]}},
                "status": {"type": "string", "description": "The HTTP status, as a string"},
                "scimType": {"type": "string", "enum": SCIM_TYPES},
                "detail": {"type": "string"},
            },
            "example": {
                "schemas": [ERROR_URN],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "a User with this userName already exists",
            },
        },
    }
