"""OpenAPI descriptions of SCIM bodies, so /docs shows the real request and response shapes.

Bodies are read raw (to control content types and errors), so FastAPI cannot infer their
schema: the request body refers to the component the response model registers.
"""

from __future__ import annotations

from typing import Any

from app.scim import openapi_schemas
from app.scim.openapi_schemas import Components
from app.scim.resources import ResourceKind

_MEDIA_TYPES = ("application/scim+json", "application/json")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(name: str, example: Any) -> dict[str, Any]:
    return {media: {"schema": _ref(name), "example": example} for media in _MEDIA_TYPES}


def request_body(kind: ResourceKind) -> dict[str, Any]:
    """The resource type's own component (its served schemas), with a body POST accepts."""
    content = _content(kind.name, openapi_schemas.example(kind))
    return {"requestBody": {"required": True, "content": content}}


def patch_body(kind: ResourceKind) -> dict[str, Any]:
    """A PatchOp body (RFC 7644 §3.5.2): Okta's deactivation, or a member add for groups."""
    content = _content("PatchOp", openapi_schemas.patch_example(kind))
    return {"requestBody": {"required": True, "content": content}}


def search_body() -> dict[str, Any]:
    content = {media: {"schema": _ref("SearchRequest")} for media in _MEDIA_TYPES}
    return {"requestBody": {"required": True, "content": content}}


_ERRORS = (
    (400, "Invalid request (scimType says why)", "invalidValue"),
    (401, "Missing or invalid bearer token", None),
    (404, "No such resource", None),
    (409, "Uniqueness conflict", "uniqueness"),
    (412, "If-Match precondition failed", None),
    (413, "Body too large", None),
    (415, "Unsupported content type", None),
)


def _error(status: int, description: str, scim_type: str | None) -> dict[str, Any]:
    example: dict[str, Any] = {"schemas": [openapi_schemas.ERROR_URN], "status": str(status)}
    if scim_type:
        example["scimType"] = scim_type
    example["detail"] = description
    return {"description": description, "content": _content("Error", example)}


ERRORS: dict[int | str, dict[str, Any]] = {
    status: _error(status, description, scim_type) for status, description, scim_type in _ERRORS
}


def responses(kind: ResourceKind, status: int, *, listed: bool = False) -> dict[int | str, Any]:
    if status == 204:
        return {204: {"description": "Done, no body"}, **ERRORS}
    if listed:
        name = f"{kind.name}ListResponse"
        example: Any = {
            "schemas": [openapi_schemas.LIST_URN],
            "totalResults": 1,
            "startIndex": 1,
            "itemsPerPage": 1,
            "Resources": [openapi_schemas.served_example(kind)],
        }
    else:
        name, example = kind.name, openapi_schemas.served_example(kind)
    return {status: {"description": "The resource", "content": _content(name, example)}, **ERRORS}


def _without_validation_errors(spec: dict[str, Any]) -> None:
    """FastAPI documents a 422 for path parameters; this service never sends one (bad input
    is a SCIM 400), so the document does not claim it."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


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
        _without_validation_errors(spec)
        components = spec.setdefault("components", {})
        components.setdefault("schemas", {}).update(Components(app.state.runtime.kinds).build())
        components["securitySchemes"] = {
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
