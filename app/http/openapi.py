"""OpenAPI descriptions of SCIM bodies, so /docs shows the real request and response shapes.

Bodies are read raw (to control content types and errors), so FastAPI cannot infer their
schema: the request body refers to the component the response model registers.
"""

from __future__ import annotations

import re
from typing import Any

from scim2_models import Error, ListResponse

from app.scim.resources import ResourceKind

_MEDIA_TYPES = ("application/scim+json", "application/json")


def _component(model: type[Any]) -> str:
    """The component name FastAPI gives a model (non-word characters become ``_``)."""
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", model.__name__)


def request_body(kind: ResourceKind) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{_component(kind.model)}"}
    return {
        "requestBody": {
            "required": True,
            "content": {media: {"schema": schema} for media in _MEDIA_TYPES},
        }
    }


def patch_body() -> dict[str, Any]:
    """A PatchOp body (RFC 7644 §3.5.2), described inline: no response model registers it."""
    operation = {
        "type": "object",
        "required": ["op"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace"]},
            "path": {"type": "string"},
            "value": {},
        },
    }
    schema = {
        "type": "object",
        "required": ["Operations"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "Operations": {"type": "array", "items": operation},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {media: {"schema": schema} for media in _MEDIA_TYPES},
        }
    }


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": description}
    for code, description in (
        (400, "Invalid request (scimType says why)"),
        (401, "Missing or invalid bearer token"),
        (404, "No such resource"),
        (409, "Uniqueness conflict"),
        (412, "If-Match precondition failed"),
        (413, "Body too large"),
        (415, "Unsupported content type"),
    )
}


def responses(kind: ResourceKind, status: int, *, listed: bool = False) -> dict[int | str, Any]:
    if status == 204:
        return {**ERRORS}
    model: Any = ListResponse[kind.model] if listed else kind.model  # type: ignore[name-defined]
    return {status: {"model": model, "description": "The resource"}, **ERRORS}


SECURITY_SCHEME = "bearer"


_TENANT = {
    "name": "tenant",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The tenant the token belongs to (SCIM_TENANT_IN_PATH)",
}


def _json_bodies(spec: dict[str, Any]) -> None:
    """SCIM bodies are JSON objects: FastAPI, seeing a media type other than
    application/json, documents them as ``type: string`` (beside the model's ``$ref``, which
    then no object can satisfy). Found by the schemathesis run (tests/fuzz)."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for answer in operation.get("responses", {}).values():
                for media in answer.get("content", {}).values():
                    schema = media.get("schema")
                    if isinstance(schema, dict) and schema.get("type") == "string":
                        del schema["type"]
                        if "$ref" not in schema:
                            schema["type"] = "object"


def install_security(app: Any, prefix: str) -> None:
    """Declare bearer auth for every operation under ``prefix`` (the Authorize button).

    Declared in the document rather than as a FastAPI security dependency, which would
    cost every request a dependency resolution for a check ``app.http.auth`` does anyway.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema  # type: ignore[no-any-return]
        spec: dict[str, Any] = build()
        spec.setdefault("components", {})["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `python -m app token create`",
            }
        }
        _json_bodies(spec)
        for path, operations in spec.get("paths", {}).items():
            if path.startswith(prefix):
                for operation in operations.values():
                    operation["security"] = [{SECURITY_SCHEME: []}]
                    if "{tenant}" in prefix:
                        operation.setdefault("parameters", []).insert(0, _TENANT)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi
