"""PATCH requests (RFC 7644 §3.5.2) read and applied with scim2-models, generic over kinds.

Two steps:

- ``parse``: the raw body, read the same way for every resource type (its shape, then the
  Okta/Entra tolerances of ``app.scim.policy``), then split: operations on a type's
  membership rows (``ResourceKind.members``) become a ``MemberDelta``
  (``app.scim.member_patch``), the others are validated against the kind's model (paths,
  mutability, required, values);
- ``apply``: the operations run on a loaded resource, all or none.

The service (``app.scim.service.patch``) loads, applies, validates the result and writes
it in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    PatchOp,
    PatchOperation,
    Resource,
    SCIMException,
    ScimPolicy,
)

from app.scim import adapters, member_patch, policy
from app.scim.errors import from_validation_error
from app.scim.member_patch import PATCH_SCHEMA, MemberDelta
from app.scim.resources import ResourceKind

adapters.install()

Operations = list[PatchOperation[Any]]


@cache
def patch_op(model: type[Resource[Any]]) -> type[PatchOp[Any]]:
    """``PatchOp[model]``: scim2-models returns a cached class, but only after about 150 µs
    of work per subscription, so each one is kept here."""
    subscripted: type[PatchOp[Any]] = PatchOp.__class_getitem__(model)
    return subscripted


def _get(mapping: dict[str, Any], name: str) -> Any:
    """PatchOp member names are case-insensitive (RFC 7644 §3.10)."""
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == name), None)


def _raw_operations(body: Any, max_operations: int) -> list[dict[str, Any]]:
    """The ``Operations`` of a PatchOp message, checked for shape the same way for every
    resource type (RFC 7644 §3.5.2): not a PatchOp is invalidSyntax, no operation is
    invalidValue, more than the configured limit is refused before any is looked at."""
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="a PATCH body must be a PatchOp JSON object")
    schemas = _get(body, "schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.lower() not in {
        str(urn).lower() for urn in schemas
    }:
        raise InvalidSyntaxException(detail=f"schemas must hold {PATCH_SCHEMA}")
    operations = _get(body, "operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidValueException(detail="Operations holds one or more operations")
    if len(operations) > max_operations:
        # Not tooMany: RFC 7644 §3.12 keeps it for filters yielding too many results.
        raise InvalidValueException(
            detail=f"this PATCH carries {len(operations)} operations; the server applies at "
            f"most {max_operations} in one request (SCIM_MAX_PATCH_OPERATIONS): "
            "send them in several requests"
        )
    if not all(isinstance(operation, dict) for operation in operations):
        raise InvalidSyntaxException(detail="each operation must be a JSON object")
    return operations


def _prepared(kind: ResourceKind, raw: dict[str, Any], resource_id: str) -> list[Any]:
    """One raw operation after the PATCH tolerances, as one or more raw operations."""
    policy.lowercase_op(raw)
    policy.boolean_filter_strings(kind, raw)
    policy.remove_by_value(raw)
    policy.pathless_id_and_schemas(kind, raw, resource_id)
    policy.boolean_strings(kind, raw)
    prepared = [
        done
        for split in policy.pathless_filtered_keys(raw)
        for done in policy.empty_manager_removes(kind, split)
    ]
    for operation in prepared:
        policy.manager_as_string(kind, operation)
    return prepared


def _validated(kind: ResourceKind, operations: list[dict[str, Any]]) -> Operations:
    body = {"schemas": [PATCH_SCHEMA], "Operations": operations}
    try:
        message = patch_op(kind.model).model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=policy.PATCH_POLICY
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    return list(message.operations or [])


def parse(
    kind: ResourceKind, body: Any, resource_id: str, max_operations: int
) -> tuple[MemberDelta | None, Operations]:
    """Read a PATCH body for ``kind``: (membership delta, operations for the document).

    Every resource type reads the body the same way, so the same body gets the same answer
    on Users and Groups; the delta is None for a type without membership rows.
    ``resource_id`` is the id in the URL, which a pathless value may repeat (Okta).
    """
    prepared = [
        op
        for raw in _raw_operations(body, max_operations)
        for op in _prepared(kind, raw, resource_id)
    ]
    delta = None
    if kind.members is not None:
        delta, prepared = member_patch.split(kind, prepared)
    return delta, (_validated(kind, prepared) if prepared else [])


def _tidy(exc: SCIMException) -> SCIMException:
    """Drop pydantic's documentation links from a detail built from a ValidationError."""
    lines = [line for line in exc.detail.splitlines() if "errors.pydantic.dev" not in line]
    if len(lines) == len(exc.detail.splitlines()):
        return exc
    return type(exc)(detail=" ".join(line.strip() for line in lines))


def _apply_one(resource: Resource[Any], operation: PatchOperation[Any]) -> bool:
    # Every field given: pydantic would otherwise inspect the signature of ``schemas``'
    # default factory on each construction, which costs more than the patch itself.
    message = patch_op(type(resource)).model_construct(
        schemas=[PATCH_SCHEMA], operations=[operation]
    )

    def run(scim_policy: ScimPolicy) -> bool:
        return bool(message.patch(resource, scim_policy))

    return policy.unmatched_filter_creates(operation, run)


DEFAULT_LIST_ENTRIES = 5000


@dataclass(frozen=True, slots=True)
class PatchLimits:
    """What one PATCH may ask for: operations, and multi-valued entries walked in all."""

    operations: int = 1000
    list_entries: int = DEFAULT_LIST_ENTRIES


def _attribute_names(operation: PatchOperation[Any]) -> list[str]:
    """The top-level attributes an operation reaches (its path, or a pathless value's keys)."""
    if operation.path is not None and operation.path.parts:
        return [operation.path.parts[0]]
    if isinstance(operation.value, dict):
        return [key.rsplit(":", 1)[-1].split(".", 1)[0] for key in operation.value]
    return []


def _list_entries(resource: Resource[Any], operation: PatchOperation[Any]) -> int:
    """How many multi-valued entries scim2-models will visit for ``operation``: it walks
    the whole list to match a value filter or to skip a duplicate on add."""
    fields = {name.lower(): name for name in type(resource).model_fields}
    visited = 0
    for name in _attribute_names(operation):
        field = fields.get(name.lower())
        value = getattr(resource, field, None) if field else None
        if isinstance(value, list):
            visited += len(value)
    return visited


def apply(
    resource: Resource[Any],
    operations: Sequence[PatchOperation[Any]],
    max_list_entries: int = DEFAULT_LIST_ENTRIES,
) -> tuple[Resource[Any], bool]:
    """``resource`` patched in place, and whether an operation changed it.

    Operations apply in order to the resource the caller loaded for this request alone
    (no copy: it is discarded when one fails, and nothing is stored, so a PATCH applies
    atomically, RFC 7644 §3.5.2 and RFC 5789 §2). Errors are
    SCIMExceptions with the scimType of RFC 7644 §3.12 (noTarget, mutability, invalidValue,
    invalidPath).

    Work grows with operations x list length (each filtered or add operation walks the
    list in Python), so a request that would visit more than ``max_list_entries`` entries
    in all is refused before it can hold the server: 400 ``invalidValue``.
    """
    patched = resource
    changed = False
    visited = 0
    try:
        for operation in operations:
            visited += _list_entries(patched, operation)
            if visited > max_list_entries:
                raise InvalidValueException(
                    detail=f"this PATCH walks more than {max_list_entries} multi-valued "
                    "entries (SCIM_MAX_PATCH_LIST_ENTRIES); send it as several requests"
                )
            changed = _apply_one(patched, operation) or changed
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    except SCIMException as exc:
        raise _tidy(exc) from None
    return patched, changed
