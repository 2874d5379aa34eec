"""The stored forms of a resource: the canonical document and its search twin.

The canonical document is what scim2-models dumps after validating a write, minus
``meta`` (rebuilt from columns at read time, since ``location`` depends on the base URL)
and minus ``password`` (returned: never; this service provisions, it does not authenticate).
The search document mirrors it with lower-cased keys, folded case-insensitive strings and
UTC-normalised dateTimes, so that SQL can compare and order values the way RFC 7644
§3.4.2.2 wants without per-database collation tricks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scim2_models import Context, Resource

from app.scim.attributes import AttributeSpec
from app.scim.multivalued import deduplicate
from app.scim.resources import ResourceKind
from app.scim.text import fold, instant, parse_instant

_NOT_STORED = frozenset({"meta", "password"})
"""meta is rebuilt from columns; password is never returned."""


def canonical(kind: ResourceKind, resource: Resource[Any], context: Context) -> dict[str, Any]:
    """The JSON document to store for a validated resource (without id and meta, and without
    the attributes derived from membership rows, such as User ``groups``)."""
    dumped = resource.model_dump(scim_ctx=context, mode="json")
    for key in (*_NOT_STORED, *kind.derived):
        dumped.pop(key, None)
    if not kind.catalog:
        dumped.pop("id", None)  # the row's id; a catalogue keeps the application's own
    deduplicate(kind, dumped)
    return dumped


def _search_value(spec: AttributeSpec | None, value: Any) -> Any:
    if isinstance(value, list):
        return [_search_value(spec, item) for item in value]
    if isinstance(value, dict):
        subs = spec.sub if spec is not None else {}
        return {k.lower(): _search_value(subs.get(k.lower()), v) for k, v in value.items()}
    if isinstance(value, str) and spec is not None:
        if spec.type == "dateTime":
            return parse_instant(value) or value
        if not spec.case_exact and spec.type in ("string", "complex"):
            return fold(value)
    return value


def search_document(kind: ResourceKind, document: dict[str, Any]) -> dict[str, Any]:
    """The twin of ``document`` that filters and sorting read (see module docstring)."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        extension = kind.extension(key)
        if extension is not None and isinstance(value, dict):
            specs = extension.attributes
            out[key.lower()] = {
                k.lower(): _search_value(specs.get(k.lower()), v)
                for k, v in value.items()
                if not _secret(specs.get(k.lower()))
            }
        elif not _secret(spec := kind.attribute(key)):
            out[key.lower()] = _search_value(spec, value)
    return out


def _secret(spec: AttributeSpec | None) -> bool:
    """``returned: never`` (writeOnly) values stay out of the search document: a filter on
    them could otherwise probe what is never returned."""
    return spec is not None and spec.returned == "never"


def render(
    kind: ResourceKind,
    *,
    resource_id: str,
    document: dict[str, Any],
    version: int,
    created: datetime,
    last_modified: datetime,
    location: str,
) -> dict[str, Any]:
    """The full SCIM representation of a stored resource, in RFC 7643 attribute order."""
    out: dict[str, Any] = {"schemas": [kind.core.urn], "id": resource_id}
    out.update(document)  # keeps schemas first; stored documents hold no id
    out["id"] = resource_id
    out["meta"] = {
        "resourceType": kind.name,
        "created": instant(created),
        "lastModified": instant(last_modified),
        "location": location,
        "version": f'W/"{version}"',
    }
    return out
