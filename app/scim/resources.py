"""The resource types this service serves: the one place that knows what each one is.

A ``ResourceKind`` is the whole declaration of a resource type (RFC 7643 §6): its model and
schemas, its endpoint, the attribute that names it (and whether that name is unique), and
its relations (a Group keeps ``members`` as rows; a User derives ``groups`` from them).
Routers, the service, discovery, the storage attribute map and the filter compiler read
these fields; none of them names a resource type.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import or_
from typing import Any

from scim2_models import EnterpriseUser, Extension, Group, Resource, User

from app.scim.attributes import COMMON_ATTRIBUTES, AttributeSpec, SchemaSpec, schema_spec
from app.scim.text import fold


@dataclass(frozen=True, slots=True)
class ResourceKeys:
    """The values a row keeps in columns so hot paths hit an index.

    ``name_key`` is None for a type without a unique name: the store then keys the row by
    its id, so the unique index never refuses it.
    """

    name_key: str | None
    external_id: str | None
    active: bool | None
    display_name: str | None


@dataclass(frozen=True, slots=True)
class MemberType:
    """A resource type whose resources may be members of a group, as a member renders."""

    name: str
    endpoint: str
    name_attribute: str | None


@dataclass(frozen=True, eq=False)
class ResourceKind:
    """A resource type (RFC 7643 §6) with the schema index the service needs.

    ``name_attribute`` is the attribute kept in the ``name_key`` column; ``unique_name``
    says whether the database refuses a second resource with the same (folded) name.
    ``members`` names the attribute held as membership rows (Group), ``member_types`` the
    types that may be members; ``groups`` names the attribute derived from the rows that
    hold this resource (User), ``container`` the type that holds them.
    """

    name: str
    endpoint: str
    model: type[Resource[Any]]
    core: SchemaSpec
    extensions: tuple[SchemaSpec, ...]
    name_attribute: str | None
    unique_name: bool = True
    members: str | None = None
    member_types: dict[str, MemberType] = field(default_factory=dict)
    groups: str | None = None
    container: MemberType | None = None
    required_extensions: frozenset[str] = frozenset()
    description: str = ""
    base_model: type[Resource[Any]] | None = None
    """The core model without extensions, to rebuild ``model`` with more of them."""
    extension_models: tuple[type[Extension], ...] = ()
    catalog: bool = False
    """A catalogue the application publishes (Okta Roles, Entitlements): SCIM clients read
    it, the application writes it (``python -m app catalog``); served ids are the
    application's own."""
    assigns: str | None = None
    """The attribute of other types whose values name this catalogue's ids (``roles``)."""
    assigned: dict[str, tuple[ResourceKind, ...]] = field(default_factory=dict)
    """Attribute -> the catalogues its values are checked against (User ``roles``)."""

    @property
    def schema_urns(self) -> tuple[str, ...]:
        return (self.core.urn, *(e.urn for e in self.extensions))

    @cached_property
    def derived(self) -> frozenset[str]:
        """Attributes rendered from membership rows, never stored in the document."""
        return frozenset(name for name in (self.members, self.groups) if name)

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

    @cached_property
    def unique_attributes(self) -> tuple[tuple[str, AttributeSpec], ...]:
        """(schema URN or "" for core, attribute) of each top-level attribute of a configured
        schema declaring ``uniqueness`` server or global: the database refuses a second
        resource of the tenant with the same value (RFC 7643 §2.2). The unique name of a
        built-in type is kept by its own column instead."""
        found = []
        for schema in (self.core, *self.extensions):
            if not schema.configured:
                continue
            urn = "" if schema is self.core else schema.urn
            for spec in schema.attributes.values():
                if spec.uniqueness != "none" and spec.name.lower() not in ("id", "externalid"):
                    found.append((urn, spec))
        return tuple(found)

    @cached_property
    def checked_in_store(self) -> bool:
        """Whether a create needs more than one statement: unique values to keep, or
        assignments to check against a catalogue."""
        return bool(self.unique_attributes or self.assigned)

    @cached_property
    def checked(self) -> bool:
        """Whether writes need ``app.scim.constraints`` (configured schemas, required
        extensions); the built-in types alone need none, and their writes skip it."""
        configured = any(s.configured for s in (self.core, *self.extensions))
        return configured or bool(self.required_extensions)

    def with_extensions(
        self, extensions: list[tuple[type[Extension], SchemaSpec, bool]]
    ) -> ResourceKind:
        """This kind with more extensions (model class, index, required) appended."""
        base = self.base_model or self.model
        models = (*self.extension_models, *(model for model, _, _ in extensions))
        model = base[reduce(or_, models)] if models else base  # type: ignore[index]
        required = {spec.urn for _, spec, needed in extensions if needed}
        return dataclasses.replace(
            self,
            model=model,
            extensions=(*self.extensions, *(spec for _, spec, _ in extensions)),
            extension_models=models,
            required_extensions=self.required_extensions | required,
        )

    @property
    def as_member(self) -> MemberType:
        return MemberType(self.name, self.endpoint, self.name_attribute)

    def keys(self, document: dict[str, Any]) -> ResourceKeys:
        if self.catalog:
            name = document.get("id")
            return ResourceKeys(
                name_key=name if isinstance(name, str) else "",
                external_id=document.get("externalId"),
                active=None,
                display_name=document.get("displayName"),
            )
        name = document.get(self.name_attribute) if self.name_attribute else None
        active = document.get("active")
        display = document.get("displayName")
        name_key = fold(name) if isinstance(name, str) else ""
        return ResourceKeys(
            name_key=name_key if self.unique_name else None,
            external_id=document.get("externalId"),
            active=active if isinstance(active, bool) else None,
            display_name=display if isinstance(display, str) else None,
        )


@dataclass(frozen=True, eq=False)
class Registry:
    """Every resource type served, by name; discovery, routes and search list exactly these."""

    kinds: dict[str, ResourceKind]

    def get(self, name: str) -> ResourceKind | None:
        return self.kinds.get(name)

    def by_endpoint(self, endpoint: str) -> ResourceKind | None:
        lowered = endpoint.lower()
        return next((k for k in self.kinds.values() if k.endpoint.lower() == lowered), None)

    def __iter__(self) -> Any:
        return iter(self.kinds.values())

    def __len__(self) -> int:
        return len(self.kinds)


def _kind(name: str, model: type[Resource[Any]], core: type[Resource[Any]], **more: Any) -> Any:
    extensions = more.pop("extensions", ())
    return ResourceKind(
        name=name,
        endpoint=f"/{name}s",
        model=model,
        core=schema_spec(core.to_schema()),
        extensions=tuple(schema_spec(e.to_schema()) for e in extensions),
        base_model=core,
        extension_models=tuple(extensions),
        **more,
    )


def builtin_kinds() -> dict[str, ResourceKind]:
    """User and Group (RFC 7643 §4), members and groups tied to each other."""
    user = _kind(
        "User",
        User[EnterpriseUser],
        User,
        extensions=(EnterpriseUser,),
        name_attribute="userName",
        groups="groups",
        description="User Account",
    )
    group = _kind(
        "Group", Group, Group, name_attribute="displayName", members="members", description="Group"
    )
    container = group.as_member
    members = {k.name: k.as_member for k in (user, group)}
    user = dataclasses.replace(user, container=container)
    group = dataclasses.replace(group, container=container, member_types=members)
    return {user.name: user, group.name: group}


BUILTIN = Registry(builtin_kinds())
"""The registry of a server configured with nothing but the built-in types."""

USER = BUILTIN.kinds["User"]
GROUP = BUILTIN.kinds["Group"]
"""The built-in kinds by name, for tests and benchmarks; the app reads its ``Registry``."""
