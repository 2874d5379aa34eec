"""Schemas and resource types declared by the operator in ``SCIM_SCHEMAS`` (RFC 7643 §6, §7).

``SCIM_SCHEMAS`` names a JSON file, or a directory of them, each holding an array of
discovery documents in the form ``/Schemas`` and ``/ResourceTypes`` serve them. A
ResourceType whose id is a type already served (``User``) adds its ``schemaExtensions``
to that type; a new id adds a resource type whose core schema is one of the files'
Schemas. The models are built by scim2-models (``Resource.from_schema``,
``Extension.from_schema``), so validation, PATCH, projection, filters and discovery read
them as they read the built-in ones.

A bad definition is a ``SchemaConfigError`` whose message is one line naming the file,
the attribute and what is wrong; the server refuses to start with it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from scim2_models import Extension, Resource, Schema

from app.scim.attributes import SchemaSpec, schema_spec
from app.scim.resources import Registry, ResourceKind

SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
_TYPES = frozenset(
    {"string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex"}
)
BUNDLED = ("Role", "Entitlement", "Agent", "AgenticApplication")
"""Optional types shipped in ``app/scim/bundled`` and switched on by SCIM_RESOURCE_TYPES."""
_MAX_NAME = 32
"""``resources.resource_type`` is a 32-character column."""


class SchemaConfigError(Exception):
    """A definition the server cannot serve; ``str()`` is the one line to print."""


@dataclass(frozen=True, slots=True)
class _Schema:
    file: str
    schema: Schema
    spec: SchemaSpec


def _documents(path: Path) -> list[tuple[str, Any]]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise SchemaConfigError(f"{path}: no *.json file in this directory")
    found: list[tuple[str, Any]] = []
    for file in files:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SchemaConfigError(f"{file}: cannot be read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise SchemaConfigError(f"{file}: not JSON: {exc}") from None
        items = loaded if isinstance(loaded, list) else [loaded]
        found += [(str(file), item) for item in items]
    return found


def _kind_of(file: str, document: Any) -> str:
    schemas = document.get("schemas") if isinstance(document, dict) else None
    listed = {str(s).lower() for s in schemas} if isinstance(schemas, list) else set()
    if SCHEMA_URN.lower() in listed:
        return "schema"
    if RESOURCE_TYPE_URN.lower() in listed:
        return "resource_type"
    name = document.get("id") if isinstance(document, dict) else None
    raise SchemaConfigError(
        f"{file}: {name or 'a document'}: schemas must hold {SCHEMA_URN} or {RESOURCE_TYPE_URN}"
    )


def _where(document: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """The attribute a pydantic error location points at: ``attributes.2.subAttributes.0``."""
    names: list[str] = []
    current: Any = document
    for part in loc:
        if isinstance(current, dict):
            current = next((v for k, v in current.items() if k.lower() == str(part).lower()), None)
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
            if isinstance(current, dict) and isinstance(current.get("name"), str):
                names.append(current["name"])
        else:
            break
    field = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
    where = f"attribute {'.'.join(names)}" if names else "the schema"
    return f"{where}: {field}" if field and field not in names else where


def _check_attributes(file: str, urn: str, attributes: list[Any], parent: str = "") -> None:
    """What scim2-models accepts but no resource could use (RFC 7643 §2.3, §7)."""
    seen: set[str] = set()
    for attribute in attributes:
        name = attribute.get("name") if isinstance(attribute, dict) else None
        if not isinstance(name, str) or not name:
            raise SchemaConfigError(f"{file}: {urn}: an attribute of {parent or urn} has no name")
        where = f"{file}: {urn}: attribute {parent}{name}"
        if name.lower() in seen:
            raise SchemaConfigError(f"{where}: declared twice")
        seen.add(name.lower())
        kind = attribute.get("type")
        if kind not in _TYPES:
            raise SchemaConfigError(f"{where}: type {kind!r} is not one of {sorted(_TYPES)}")
        subs = attribute.get("subAttributes")
        if kind == "complex":
            if parent:
                raise SchemaConfigError(f"{where}: a sub-attribute cannot be complex")
            if not isinstance(subs, list) or not subs:
                raise SchemaConfigError(f"{where}: a complex attribute needs subAttributes")
            _check_attributes(file, urn, subs, f"{name}.")
        elif subs:
            raise SchemaConfigError(f"{where}: only a complex attribute has subAttributes")


def _schema(file: str, document: dict[str, Any]) -> _Schema:
    urn = document.get("id")
    if not isinstance(urn, str) or not urn.lower().startswith("urn:"):
        raise SchemaConfigError(f"{file}: a Schema's id must be a URN, got {urn!r}")
    attributes = document.get("attributes")
    if not isinstance(attributes, list) or not attributes:
        raise SchemaConfigError(f"{file}: {urn}: attributes must list one or more attributes")
    _check_attributes(file, urn, attributes)
    if not document.get("name"):
        # Optional in RFC 7643 §7; scim2-models names the model class after it.
        document = {**document, "name": urn.rsplit(":", 1)[-1]}
    try:
        schema = Schema.model_validate(document)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = _where(document, tuple(error["loc"]))
        raise SchemaConfigError(f"{file}: {urn}: {where}: {error['msg']}") from None
    return _Schema(file, schema, schema_spec(schema, configured=True))


def _built(file: str, found: _Schema, build: Any) -> Any:
    """The model scim2-models builds from a schema; its refusal is one line too."""
    try:
        return build(found.schema)
    except (ValueError, TypeError) as exc:
        raise SchemaConfigError(f"{file}: {found.spec.urn}: {exc}") from None


def _extensions(
    file: str,
    document: dict[str, Any],
    kind: ResourceKind,
    schemas: dict[str, _Schema],
    known: dict[str, Any],
) -> list[tuple[type[Extension], SchemaSpec, bool]]:
    """The extensions ``document`` adds to ``kind`` (those it has already are kept)."""
    out = []
    listed = document.get("schemaExtensions") or []
    if not isinstance(listed, list):
        raise SchemaConfigError(f"{file}: {document.get('id')}: schemaExtensions must be a list")
    for item in listed:
        urn = item.get("schema") if isinstance(item, dict) else None
        if isinstance(urn, str) and kind.extension(urn) is not None:
            continue
        found = schemas.get(str(urn).lower())
        if found is None:
            raise SchemaConfigError(
                f"{file}: {document.get('id')}: schemaExtensions names {urn!r}, which no "
                "Schema document of SCIM_SCHEMAS defines"
            )
        model = known.get(found.spec.urn.lower())
        if model is None:
            model = _built(file, found, Extension.from_schema)
            known[found.spec.urn.lower()] = model
        out.append((model, found.spec, bool(item.get("required"))))
    return out


def _new_kind(file: str, document: dict[str, Any], schemas: dict[str, _Schema]) -> ResourceKind:
    name, endpoint, core = document.get("id"), document.get("endpoint"), document.get("schema")
    if not isinstance(name, str) or not name.isidentifier() or len(name) > _MAX_NAME:
        raise SchemaConfigError(f"{file}: a ResourceType id must be a name, got {name!r}")
    if not isinstance(endpoint, str) or not endpoint.startswith("/") or "/" in endpoint[1:]:
        raise SchemaConfigError(f"{file}: {name}: endpoint must look like /Name, got {endpoint!r}")
    found = schemas.get(str(core).lower())
    if found is None:
        raise SchemaConfigError(
            f"{file}: {name}: schema {core!r} is not defined by a Schema document of SCIM_SCHEMAS"
        )
    model: type[Resource[Any]] = _built(file, found, Resource.from_schema)
    display = found.spec.attributes.get("displayname")
    assigns = document.get("x-assigns")
    return ResourceKind(
        name=name,
        endpoint=endpoint,
        model=model,
        core=found.spec,
        extensions=(),
        name_attribute=display.name if display is not None else None,
        unique_name=bool(document.get("x-catalog")),
        description=str(document.get("description") or document.get("name") or name),
        base_model=model,
        catalog=bool(document.get("x-catalog")),
        assigns=assigns if isinstance(assigns, str) else None,
    )


def _assigned(kinds: dict[str, ResourceKind]) -> dict[str, ResourceKind]:
    """Tie each catalogue to the types whose attribute it names (Role -> User ``roles``)."""
    catalogues = [k for k in kinds.values() if k.catalog and k.assigns]
    out = {}
    for name, kind in kinds.items():
        assigned = {
            attribute.name: tuple(c for c in catalogues if c.assigns == attribute.name)
            for attribute in kind.core.attributes.values()
            if not kind.catalog and any(c.assigns == attribute.name for c in catalogues)
        }
        out[name] = dataclasses.replace(kind, assigned=assigned) if assigned else kind
    return out


def build(
    documents: list[tuple[str, Any]],
    base: Registry,
    references: Sequence[tuple[str, Any]] = (),
) -> Registry:
    """``base`` with the documents' resource types and extensions added; ``references`` are
    Schema documents the types may name without serving them (the bundled ones)."""
    schemas: dict[str, _Schema] = {}
    for file, document in references:
        parsed = _schema(file, document)
        schemas[parsed.spec.urn.lower()] = parsed
    types: list[tuple[str, dict[str, Any]]] = []
    for file, document in documents:
        if _kind_of(file, document) == "schema":
            parsed = _schema(file, document)
            if parsed.spec.urn.lower() in schemas and file not in _bundled_files():
                raise SchemaConfigError(f"{file}: {parsed.spec.urn}: defined twice")
            schemas[parsed.spec.urn.lower()] = parsed
        else:
            types.append((file, document))
    kinds = dict(base.kinds)
    known_models: dict[str, Any] = {}
    for file, document in types:
        name = document.get("id")
        kind = kinds.get(name) if isinstance(name, str) else None
        if kind is None:
            kind = _new_kind(file, document, schemas)
            if base.by_endpoint(kind.endpoint) or any(
                k.endpoint.lower() == kind.endpoint.lower() for k in kinds.values()
            ):
                raise SchemaConfigError(f"{file}: {name}: endpoint {kind.endpoint} is taken")
        elif document.get("schema") not in (None, kind.core.urn):
            raise SchemaConfigError(
                f"{file}: {name}: schema must be {kind.core.urn}, the core schema of {name}"
            )
        kinds[kind.name] = kind.with_extensions(
            _extensions(file, document, kind, schemas, known_models)
        )
    return Registry(_assigned(kinds))


def _bundled_files() -> dict[str, str]:
    folder = resources.files("app.scim") / "bundled"
    return {str(folder / f"{name}.json"): name for name in BUNDLED}


def _bundled(names: Sequence[str]) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(documents of the types switched on, Schema documents of every bundled type)."""
    unknown = [n for n in names if n not in BUNDLED]
    if unknown:
        raise SchemaConfigError(
            f"SCIM_RESOURCE_TYPES: {unknown[0]!r} is not one of {', '.join(BUNDLED)}"
        )
    chosen, references = [], []
    for file, name in _bundled_files().items():
        documents = _documents(Path(file))
        references += [(f, d) for f, d in documents if _kind_of(f, d) == "schema"]
        if name in names:
            chosen += documents
    return chosen, references


def load(path: str | None, base: Registry, bundled: Sequence[str] = ()) -> Registry:
    """The registry to serve: ``base``, the bundled types named, the SCIM_SCHEMAS ones."""
    if not path and not bundled:
        return base
    documents, references = _bundled(bundled)
    if path:
        where = Path(path)
        if not where.exists():
            raise SchemaConfigError(f"{path}: no such file or directory (SCIM_SCHEMAS)")
        documents += _documents(where)
    return build(documents, base, references)
