"""Structural redaction of request bodies before anyone keeps them (the request log).

Every attribute whose schema says ``returned: never`` (RFC 7643 §7; ``password`` in the
core User schema) is replaced by ``"[redacted]"`` wherever a body can carry it: as a key
of a resource or of a PATCH value (plain, dotted or URN-qualified: ``password``,
``urn:...:User:password``), and as the ``value`` of a PATCH operation whose ``path``
names it (``{"op": "replace", "path": "password", "value": ...}``). Nothing is matched in
free text, so a value can never leak through a spelling the walk did not foresee: keys are
compared after the same normalisation paths get.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.scim.attributes import AttributeSpec
from app.scim.resources import BUILTIN, ResourceKind

REDACTED = "[redacted]"

_FILTER = re.compile(r"\[[^\]]*\]")


def _never(specs: Iterable[AttributeSpec]) -> set[str]:
    names: set[str] = set()
    for spec in specs:
        if spec.returned == "never":
            names.add(spec.name.lower())
        names |= _never(spec.sub.values())
    return names


def never_returned(kinds: Iterable[ResourceKind] = BUILTIN) -> frozenset[str]:
    """Lower-cased names of every attribute, at any depth, that is never returned."""
    names = {"password"}
    for kind in kinds:
        for schema in (kind.core, *kind.extensions):
            names |= _never(schema.attributes.values())
    return frozenset(names)


SECRET_NAMES = never_returned()


def _names_secret(key: str, secrets: frozenset[str]) -> bool:
    """Whether a key or path (``password``, ``urn:...:User:password``, ``x[...].password``)
    ends at, or passes through, a secret attribute."""
    bare = _FILTER.sub("", key).lower()
    last = bare.rsplit(":", 1)[-1]
    return any(part in secrets for part in last.split("."))


def redact(body: Any, secrets: frozenset[str] = SECRET_NAMES) -> Any:
    """A copy of ``body`` with every secret value replaced by ``REDACTED``."""
    if isinstance(body, list):
        return [redact(item, secrets) for item in body]
    if not isinstance(body, dict):
        return body
    path = next((v for k, v in body.items() if k.lower() == "path"), None)
    secret_path = isinstance(path, str) and _names_secret(path, secrets)
    copy: dict[str, Any] = {}
    for key, value in body.items():
        if _names_secret(key, secrets) or (secret_path and key.lower() == "value"):
            copy[key] = REDACTED
        else:
            copy[key] = redact(value, secrets)
    return copy
