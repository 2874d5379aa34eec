"""Attribute characteristics (type, caseExact, returned, ...) indexed by lower-cased name.

Built once per resource type from the schemas scim2-models generates, so that the search
document, projection and the storage attribute map all read one description (RFC 7643 §7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim2_models import Context, Schema


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute or sub-attribute as the schema declares it."""

    name: str
    type: str
    multi_valued: bool
    case_exact: bool
    returned: str
    mutability: str
    sub: dict[str, AttributeSpec] = field(default_factory=dict)
    uniqueness: str = "none"
    canonical: tuple[str, ...] = ()
    """Values allowed, enforced for configured schemas only (``SCIM_SCHEMAS``): the
    built-in ones list theirs as suggestions (RFC 7643 §4.1.2 ``type``)."""

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def hides(self) -> bool:
        """Whether it, or one of its sub-attributes, is left out of a plain read."""
        return self.returned in ("never", "request") or any(s.hides() for s in self.sub.values())


@dataclass(frozen=True, slots=True)
class SchemaSpec:
    """The attributes of one schema URN, keyed by lower-cased name."""

    urn: str
    attributes: dict[str, AttributeSpec]
    document: dict[str, Any] = field(default_factory=dict, compare=False)
    """The schema as ``/Schemas`` serves it (RFC 7643 §7), without ``meta``."""
    configured: bool = False
    """Declared in ``SCIM_SCHEMAS``: canonicalValues and uniqueness are enforced."""


def _spec(attribute: Any, configured: bool = False) -> AttributeSpec:
    sub = {str(s.name).lower(): _spec(s, configured) for s in attribute.sub_attributes or ()}
    canonical = attribute.canonical_values if configured else None
    uniqueness = attribute.uniqueness.value if attribute.uniqueness else "none"
    return AttributeSpec(
        name=attribute.name,
        type=attribute.type.value,
        multi_valued=bool(attribute.multi_valued),
        case_exact=bool(attribute.case_exact),
        returned=attribute.returned.value if attribute.returned else "default",
        mutability=attribute.mutability.value if attribute.mutability else "readWrite",
        sub=sub,
        uniqueness=uniqueness,
        canonical=tuple(str(v) for v in canonical or ()),
    )


def schema_spec(schema: Schema, *, configured: bool = False) -> SchemaSpec:
    """Index one scim2-models Schema."""
    return SchemaSpec(
        urn=str(schema.id),
        attributes={str(a.name).lower(): _spec(a, configured) for a in schema.attributes or ()},
        document=schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json"),
        configured=configured,
    )


COMMON_ATTRIBUTES: dict[str, AttributeSpec] = {
    "id": AttributeSpec("id", "string", False, True, "always", "readOnly"),
    "externalid": AttributeSpec("externalId", "string", False, True, "default", "readWrite"),
    "schemas": AttributeSpec("schemas", "reference", True, True, "always", "readOnly"),
    "meta": AttributeSpec(
        "meta",
        "complex",
        False,
        False,
        "default",
        "readOnly",
        sub={
            "resourcetype": AttributeSpec(
                "resourceType", "string", False, True, "default", "readOnly"
            ),
            "created": AttributeSpec("created", "dateTime", False, False, "default", "readOnly"),
            "lastmodified": AttributeSpec(
                "lastModified", "dateTime", False, False, "default", "readOnly"
            ),
            "location": AttributeSpec("location", "reference", False, True, "default", "readOnly"),
            "version": AttributeSpec("version", "string", False, True, "default", "readOnly"),
        },
    ),
}
"""RFC 7643 §3.1 attributes every resource has, which no schema lists."""
