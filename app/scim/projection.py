"""``attributes`` / ``excludedAttributes`` on the stored document (RFC 7644 §3.4.2.5, §3.9).

Applied to the rendered document as stored, never re-validated. The schema's ``returned``
characteristic (RFC 7643 §7) decides: ``always`` (id, schemas, meta) survives any
projection, ``never`` (password) never appears, ``request`` appears only when named in
``attributes``, ``default`` appears unless excluded or another list was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.scim.attributes import AttributeSpec
from app.scim.resources import ResourceKind

_ALWAYS = frozenset({"id", "schemas", "meta"})

Name = tuple[str, str, str | None]
"""(schema URN or "" for core, attribute, sub-attribute), all lower case."""


def _names(values: str | Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    items = values.split(",") if isinstance(values, str) else values
    return frozenset(item.strip().lower() for item in items if item and item.strip())


def _split(kind: ResourceKind, text: str) -> Name:
    """``name.givenName``, ``urn:...:User:department``, ``urn:...:User`` (whole extension)."""
    urn = ""
    if text.startswith("urn:"):
        if kind.extension(text) is not None:
            return text, "", None
        urn, _, text = text.rpartition(":")
        if urn == kind.core.urn.lower():
            urn = ""
    attr, _, sub = text.partition(".")
    return urn, attr, sub or None


def _core(name: str) -> str:
    """``urn:...:core:2.0:Group:members`` -> ``members``: core attributes may be qualified."""
    if name.startswith("urn:ietf:params:scim:schemas:core:2.0:"):
        return name.rpartition(":")[2]
    return name


@dataclass(frozen=True, slots=True)
class Projection:
    """A parsed projection; ``wants`` lets storage skip loading what will not be shown."""

    attributes: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls, attributes: str | Iterable[str] | None, excluded: str | Iterable[str] | None
    ) -> Projection:
        return cls(_names(attributes), _names(excluded))

    def wants(self, attribute: str) -> bool:
        """Whether a top-level core attribute (``members``) may appear in the response."""
        if not self.attributes and not self.excluded:
            return True  # every read without a projection: no lower-casing, no set built
        name = attribute.lower()
        if name in _ALWAYS:
            return True
        if self.attributes:
            return any(_core(a) == name or _core(a).startswith(f"{name}.") for a in self.attributes)
        return all(_core(e) != name for e in self.excluded)

    def apply(self, document: dict[str, Any], kind: ResourceKind) -> dict[str, Any]:
        if not self.attributes and not self.excluded:
            return _strip(document, kind)
        asked = {_split(kind, a) for a in self.attributes}
        dropped = {_split(kind, a) for a in self.excluded}
        out: dict[str, Any] = {}
        for key, value in document.items():
            extension = kind.extension(key) if key.startswith("urn:") else None
            if extension is not None and isinstance(value, dict):
                kept = _members(value, extension.urn.lower(), extension.attributes, asked, dropped)
                if kept:
                    out[key] = kept
                continue
            spec = kind.attribute(key)
            kept_value = _one(("", key.lower()), value, spec, asked, dropped)
            if kept_value is not None:
                out[key] = kept_value
        return out


def _strip(document: dict[str, Any], kind: ResourceKind) -> dict[str, Any]:
    """No projection asked: drop ``never`` and ``request`` attributes only (most documents
    hold none, and are served as they are)."""
    if document.keys().isdisjoint(kind.hidden_by_default):
        return document
    return Projection(frozenset(), frozenset({"\0"})).apply(document, kind)


def _members(
    value: dict[str, Any],
    urn: str,
    specs: dict[str, AttributeSpec],
    asked: set[Name],
    dropped: set[Name],
) -> dict[str, Any]:
    whole = (urn, "", None)
    if whole in dropped:
        return {}
    if whole in asked:
        asked = asked | {(urn, name, None) for name in specs}
    out = {}
    for key, item in value.items():
        kept = _one((urn, key.lower()), item, specs.get(key.lower()), asked, dropped)
        if kept is not None:
            out[key] = kept
    return out


def _one(
    where: tuple[str, str],
    value: Any,
    spec: AttributeSpec | None,
    asked: set[Name],
    dropped: set[Name],
) -> Any:
    urn, name = where
    returned = "always" if (not urn and name in _ALWAYS) else (spec.returned if spec else "default")
    if returned == "always":
        return value
    if returned == "never":
        return None
    if (urn, name, None) in asked:
        return value
    subs = {sub for u, n, sub in asked if u == urn and n == name and sub}
    if subs:
        return _subset(value, subs)
    if asked or returned == "request" or (urn, name, None) in dropped:
        return None
    gone = {sub for u, n, sub in dropped if u == urn and n == name and sub}
    return _without(value, gone) if gone else value


def _subset(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        items = [_subset(item, subs) for item in value]
        return [item for item in items if item] or None
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() in subs} or None
    return None


def _without(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_without(item, subs) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value
