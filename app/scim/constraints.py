"""Rules of configured schemas that scim2-models leaves to the service (RFC 7643 §2.2, §7).

- ``canonicalValues`` of a configured attribute are the only values accepted (400
  invalidValue otherwise), compared case-insensitively unless the attribute is caseExact;
- a ResourceType's ``schemaExtensions`` entry with ``required: true`` makes the extension
  required: a resource without data under its URN is 400 invalidValue;
- ``uniqueness`` server or global: the values the database keeps unique per tenant, each
  as (attribute key, normalised value); the store refuses a duplicate with 409.

Run on the canonical document of every write of a type that has such rules; the built-in
types have none and skip this module (``ResourceKind.checked``).
"""

from __future__ import annotations

import json
from typing import Any

from scim2_models import InvalidValueException

from app.scim.attributes import AttributeSpec, SchemaSpec
from app.scim.resources import ResourceKind
from app.scim.text import fold

UniqueValue = tuple[str, str]
"""(lower-cased attribute key, ``urn:...:attr`` for extensions; normalised value)."""


def _member(document: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in document.items() if k.lower() == lowered), None)


def _allowed(spec: AttributeSpec, value: Any, where: str) -> None:
    if isinstance(value, list):
        for item in value:
            _allowed(spec, item, where)
        return
    if isinstance(value, dict):
        for name, sub in spec.sub.items():
            found = _member(value, name)
            if found is not None:
                _allowed(sub, found, f"{where}.{sub.name}")
        return
    if not spec.canonical or value is None:
        return
    allowed = spec.canonical if spec.case_exact else tuple(fold(v) for v in spec.canonical)
    given = str(value) if spec.case_exact else fold(str(value))
    if given not in allowed:
        raise InvalidValueException(
            detail=f"{where} must be one of {list(spec.canonical)}, not {value!r}"
        )


def _schema_values(kind: ResourceKind, document: dict[str, Any], schema: SchemaSpec) -> Any:
    return document if schema is kind.core else _member(document, schema.urn)


def _check_schema(schema: SchemaSpec, values: Any, prefix: str) -> None:
    if not schema.configured or not isinstance(values, dict):
        return
    for key, value in values.items():
        spec = schema.attributes.get(key.lower())
        if spec is not None:
            _allowed(spec, value, prefix + spec.name)


def _normalised(spec: AttributeSpec, value: Any) -> str:
    if isinstance(value, str):
        return value if spec.case_exact else fold(value)
    return json.dumps(value, sort_keys=True)


def unique_values(kind: ResourceKind, document: dict[str, Any]) -> tuple[UniqueValue, ...]:
    """The values of ``document`` that no other resource of the tenant may hold."""
    found: dict[UniqueValue, None] = {}
    for urn, spec in kind.unique_attributes:
        values = document if not urn else _member(document, urn)
        value = _member(values, spec.name) if isinstance(values, dict) else None
        key = f"{urn}:{spec.name}".lower() if urn else spec.name.lower()
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item != "":
                found[(key, _normalised(spec, item))] = None
    return tuple(found)


def check(kind: ResourceKind, document: dict[str, Any]) -> tuple[UniqueValue, ...]:
    """Refuse what breaks the configured rules; the unique values to store."""
    for urn in kind.required_extensions:
        if not _member(document, urn):
            raise InvalidValueException(detail=f"{kind.name} requires the extension {urn}")
    for schema in (kind.core, *kind.extensions):
        prefix = "" if schema is kind.core else f"{schema.urn}:"
        _check_schema(schema, _schema_values(kind, document, schema), prefix)
    return unique_values(kind, document)
