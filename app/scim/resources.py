"""The resource types this service serves and how each maps onto a stored row."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from scim2_models import EnterpriseUser, Group, Resource, User

from app.scim.attributes import COMMON_ATTRIBUTES, AttributeSpec, SchemaSpec, schema_spec
from app.scim.text import fold


@dataclass(frozen=True, slots=True)
class ResourceKeys:
    """The values a row keeps in columns so hot paths hit an index."""

    name_key: str
    external_id: str | None
    active: bool | None
    display_name: str | None


@dataclass(frozen=True)
class ResourceKind:
    """A resource type (RFC 7643 §6) with the schema index the service needs."""

    name: str
    endpoint: str
    model: type[Resource[Any]]
    core: SchemaSpec
    extensions: tuple[SchemaSpec, ...]
    name_attribute: str

    @property
    def schema_urns(self) -> tuple[str, ...]:
        return (self.core.urn, *(e.urn for e in self.extensions))

    def extension(self, urn: str) -> SchemaSpec | None:
        lowered = urn.lower()
        return next((e for e in self.extensions if e.urn.lower() == lowered), None)

    def attribute(self, name: str) -> AttributeSpec | None:
        """A core or common attribute by name, case-insensitively."""
        lowered = name.lower()
        return self.core.attributes.get(lowered) or COMMON_ATTRIBUTES.get(lowered)

    @cached_property
    def hidden_by_default(self) -> frozenset[str]:
        """Top-level keys (attributes, extension URNs) that may hold something a plain read
        leaves out (``returned`` never or request, RFC 7643 §7), spelled as stored
        documents spell them (scim2-models' names) and lower-cased."""
        names = {spec.name for spec in self.core.attributes.values() if spec.hides()}
        names |= {e.urn for e in self.extensions if any(a.hides() for a in e.attributes.values())}
        return frozenset(names | {name.lower() for name in names})

    def keys(self, document: dict[str, Any]) -> ResourceKeys:
        name = document.get(self.name_attribute)
        active = document.get("active")
        display = document.get("displayName")
        return ResourceKeys(
            name_key=fold(name) if isinstance(name, str) else "",
            external_id=document.get("externalId"),
            active=active if isinstance(active, bool) else None,
            display_name=display if isinstance(display, str) else None,
        )


def _kind(
    name: str,
    model: type[Resource[Any]],
    core: type[Resource[Any]],
    extensions: tuple[Any, ...],
    name_attribute: str,
) -> ResourceKind:
    return ResourceKind(
        name=name,
        endpoint=f"/{name}s",
        model=model,
        core=schema_spec(core.to_schema()),
        extensions=tuple(schema_spec(e.to_schema()) for e in extensions),
        name_attribute=name_attribute,
    )


USER = _kind("User", User[EnterpriseUser], User, (EnterpriseUser,), "userName")
GROUP = _kind("Group", Group, Group, (), "displayName")

KINDS: dict[str, ResourceKind] = {USER.name: USER, GROUP.name: GROUP}
"""The resource types served; discovery lists exactly these."""
