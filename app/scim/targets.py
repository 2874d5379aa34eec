"""What a PATCH path, or a key of a PATCH value, names in a resource type's schemas.

The PATCH tolerances (``app.scim.policy``) must know an attribute's type before
scim2-models reads the operation: a string ``"False"`` is a boolean only where the schema
says so (RFC 7643 §2.3.2). Paths are parsed by scim2-models (RFC 7644 §3.5.2 ``PATH`` rule);
this module only looks the names it finds up in ``ResourceKind``'s schema index.
"""

from __future__ import annotations

from dataclasses import dataclass

from scim2_models import Path, SCIMException

from app.scim.attributes import AttributeSpec, SchemaSpec
from app.scim.resources import ResourceKind


@dataclass(frozen=True, slots=True)
class Target:
    """The schema, attribute or sub-attribute a path names.

    ``schema`` is set when the path is a bare schema URN (a value for a whole extension);
    otherwise ``head`` is the attribute and ``spec`` the attribute or sub-attribute named.
    ``head_path`` is the path of the head attribute, URN-qualified when the path was.
    """

    schema: SchemaSpec | None = None
    head: AttributeSpec | None = None
    spec: AttributeSpec | None = None
    head_path: str = ""
    filtered: bool = False


def _head(kind: ResourceKind, urn: str | None, name: str) -> AttributeSpec | None:
    if urn is None or urn.lower() == kind.core.urn.lower():
        return kind.attribute(name)
    extension = kind.extension(urn)
    return extension.attributes.get(name.lower()) if extension is not None else None


_CACHE_SIZE = 4096
_cache: dict[tuple[int, str], tuple[ResourceKind, Target | None]] = {}


def resolve(kind: ResourceKind, text: str) -> Target | None:
    """The target of ``text`` for ``kind``, or None when it names nothing known.

    A path that does not parse names nothing here; scim2-models reports it later as
    ``invalidPath`` with its own words. The PATCH tolerances ask about the same few paths
    several times per operation, and every request names the same ones (``active``,
    ``displayName``): a parse costs about 25 µs, so answers are remembered per kind.
    """
    key = (id(kind), text)
    hit = _cache.get(key)
    if hit is not None and hit[0] is kind:
        return hit[1]
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    target = _resolve(kind, text)
    _cache[key] = (kind, target)
    return target


def _resolve(kind: ResourceKind, text: str) -> Target | None:
    extension = kind.extension(text)
    if extension is not None:
        return Target(schema=extension)
    if text.lower() == kind.core.urn.lower():
        return Target(schema=kind.core)
    try:
        path = Path.__class_getitem__(kind.model)(text)
        urn, parts, filtered = path.schema, path.parts, path.value_filter is not None
    except SCIMException:
        return None
    if not parts:
        return None
    head = _head(kind, urn, parts[0])
    if head is None:
        return None
    spec = head.sub.get(parts[1].lower()) if len(parts) > 1 else head
    head_path = f"{urn}:{parts[0]}" if urn else parts[0]
    return Target(head=head, spec=spec, head_path=head_path, filtered=filtered)
