"""One (type, value) pair at most once per multi-valued attribute (RFC 7643 §2.4).

Applied to the canonical document of every write (POST, PUT, PATCH): a later entry with the
pair of an earlier one is merged into it (its sub-attributes win where given), so adding
``{"type": "home", "value": "x@y"}`` to a user who has it with ``"primary": true`` keeps one
entry, still primary, and a later remove by value filter leaves none behind. Values and
types compare as their sub-attributes' ``caseExact`` says.
"""

from __future__ import annotations

from typing import Any

from app.scim.attributes import AttributeSpec
from app.scim.resources import ResourceKind
from app.scim.text import fold


def _member(item: dict[str, Any], name: str) -> Any:
    return next((v for k, v in item.items() if k.lower() == name), None)


def _key(spec: AttributeSpec, item: dict[str, Any]) -> tuple[Any, Any] | None:
    value = _member(item, "value")
    if value is None:
        return None
    parts = []
    for name, part in (("type", _member(item, "type")), ("value", value)):
        sub = spec.sub.get(name)
        exact = sub is None or sub.case_exact
        parts.append(fold(part) if isinstance(part, str) and not exact else part)
    return parts[0], parts[1]


def _unique(spec: AttributeSpec, items: list[Any]) -> list[Any] | None:
    """``items`` with repeated pairs merged, or None when there were none."""
    seen: dict[tuple[Any, Any], int] = {}
    out: list[Any] = []
    for item in items:
        key = _key(spec, item) if isinstance(item, dict) else None
        if key is None or key not in seen:
            if key is not None:
                seen[key] = len(out)
            out.append(item)
            continue
        out[seen[key]] = {**out[seen[key]], **item}
    return out if len(out) != len(items) else None


def _apply(attributes: dict[str, AttributeSpec], values: dict[str, Any]) -> None:
    for key, items in values.items():
        spec = attributes.get(key.lower())
        if spec is None or not spec.multi_valued or "value" not in spec.sub:
            continue
        if isinstance(items, list) and len(items) > 1:
            merged = _unique(spec, items)
            if merged is not None:
                values[key] = merged


def deduplicate(kind: ResourceKind, document: dict[str, Any]) -> None:
    """Merge repeated (type, value) pairs in ``document``, in place."""
    _apply(kind.core.attributes, document)
    for extension in kind.extensions:
        values = next((v for k, v in document.items() if k.lower() == extension.urn.lower()), None)
        if isinstance(values, dict):
            _apply(extension.attributes, values)
