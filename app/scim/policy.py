"""What Okta and Entra send that a strict reading of RFC 7643/7644 would refuse.

Each tolerance is a small function applied to the raw payload before scim2-models
validates it, logged at debug level with its name, noted on the request's record
(``app.scim.observed``: the request log line, ``scim_tolerances_total``), and proven by
the test named in its docstring.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from scim2_models import (
    EnterpriseUser,
    InvalidValueException,
    NoTargetException,
    PatchOperation,
    ScimPolicy,
)

from app.scim import observed
from app.scim.attributes import AttributeSpec
from app.scim.resources import ResourceKind
from app.scim.targets import Target, resolve

logger = logging.getLogger("app.scim.policy")

ENTERPRISE_URN = str(EnterpriseUser.__schema__)


def _fired(name: str) -> None:
    observed.tolerance(name)
    logger.debug("tolerance fired: %s", name)


def manager_reference(payload: dict[str, Any], users_url: str) -> None:
    """Give ``manager`` the ``$ref`` RFC 7643 §4.3 requires when only ``value`` is sent.

    Okta and Entra send ``{"manager": {"value": "id"}}``.
    Test: tests/http/test_users_create.py::test_manager_without_ref_gets_one.
    """
    for key, extension in payload.items():
        if key.lower() != ENTERPRISE_URN.lower() or not isinstance(extension, dict):
            continue
        for name, manager in extension.items():
            if name.lower() != "manager" or not isinstance(manager, dict):
                continue
            value = manager.get("value")
            if isinstance(value, str) and value and not manager.get("$ref"):
                manager["$ref"] = f"{users_url}/{value}"
                _fired("manager_reference")


SERVER_OWNED = ("id", "meta")


def drop_server_owned(payload: dict[str, Any]) -> None:
    """Ignore client-sent ``id`` and ``meta`` whatever their shape (RFC 7643 §3.1).

    Okta's custom-app flow PUTs the resource it read, ``id`` and ``meta`` included.
    Test: tests/http/test_users_replace.py::test_put_ignores_id_and_meta_from_okta.
    """
    for key in [k for k in payload if k.lower() in SERVER_OWNED]:
        del payload[key]
        _fired("drop_server_owned")


# PATCH (RFC 7644 §3.5.2). The functions below read one raw operation of a PatchOp body
# before scim2-models validates it; what they do not recognise is left for scim2-models to
# accept or refuse.

PATCH_POLICY = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply)
"""The scim2-models policy PATCH requests are read under (see ``remove_by_value``)."""

_CREATE_UNMATCHED = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

_WRITES = ("add", "replace")


def _key(mapping: dict[str, Any], name: str) -> str | None:
    """The key spelling ``name`` in any case: RFC 7644 §3.5.2 member names, as sent."""
    return next((k for k in mapping if isinstance(k, str) and k.lower() == name), None)


def _member(mapping: dict[str, Any], name: str) -> Any:
    key = _key(mapping, name)
    return None if key is None else mapping[key]


def _op(operation: dict[str, Any]) -> str | None:
    op = _member(operation, "op")
    return op.lower() if isinstance(op, str) else None


def _path(operation: dict[str, Any]) -> str:
    path = _member(operation, "path")
    return path if isinstance(path, str) else ""


def lowercase_op(operation: dict[str, Any]) -> None:
    """Read ``Add``, ``Replace`` and ``Remove`` as the lower-case ops of RFC 7644 §3.5.2.

    Entra's default mode capitalises ``op``.
    Test: tests/http/test_users_patch_tolerances.py::test_capitalised_ops_are_applied.
    """
    key = _key(operation, "op")
    if key is None:
        return
    op = operation[key]
    if isinstance(op, str) and op != op.lower() and op.lower() in (*_WRITES, "remove"):
        operation[key] = op.lower()
        _fired("capitalised_op")


def remove_by_value(operation: dict[str, Any]) -> None:
    """Let a remove name the entries to remove in ``value`` (``PATCH_POLICY`` applies it).

    RFC 7644 §3.5.2.2 selects with a path filter only; Entra's legacy mode sends
    ``{"op":"Remove","path":"members","value":[{"value":"id"}]}``.
    Test: tests/http/test_users_patch_tolerances.py::test_remove_by_value_removes_entries.
    """
    if _op(operation) == "remove" and _member(operation, "value") is not None:
        _fired("remove_by_value")


def pathless_id_and_schemas(
    kind: ResourceKind, operation: dict[str, Any], resource_id: str
) -> None:
    """Ignore ``id`` and ``schemas`` in a pathless value when they match the resource.

    Okta sends the resource's ``id`` (and sometimes ``schemas``) in a pathless replace.
    An ``id`` naming another resource is left for scim2-models to refuse (``mutability``);
    ``schemas`` naming a schema the type does not have is ``invalidValue``.
    Test: tests/http/test_users_patch_tolerances.py::test_pathless_id_and_schemas_ignored.
    """
    value = _member(operation, "value")
    if _path(operation) or _op(operation) not in _WRITES or not isinstance(value, dict):
        return
    id_key = _key(value, "id")
    if id_key is not None and str(value[id_key]).lower() == resource_id.lower():
        del value[id_key]
        _fired("pathless_id")
    schemas_key = _key(value, "schemas")
    if schemas_key is None:
        return
    known = {urn.lower() for urn in kind.schema_urns}
    listed = value[schemas_key]
    if not isinstance(listed, list) or not all(
        isinstance(urn, str) and urn.lower() in known for urn in listed
    ):
        raise InvalidValueException(
            detail=f"schemas in a PATCH value must name schemas of {kind.name}: {sorted(known)}"
        )
    del value[schemas_key]
    _fired("pathless_schemas")


def _as_boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        _fired("boolean_string")
        return value.lower() == "true"
    return value


def _coerce(spec: AttributeSpec | None, value: Any) -> Any:
    """``value`` with ``"true"``/``"false"`` strings turned to booleans where ``spec`` says."""
    if spec is None:
        return value
    if isinstance(value, list):
        return [_coerce(spec, item) for item in value]
    if spec.type == "boolean":
        return _as_boolean(value)
    if spec.is_complex and isinstance(value, dict):
        return {k: _coerce(spec.sub.get(str(k).lower()), v) for k, v in value.items()}
    return value


def _coerce_keys(kind: ResourceKind, prefix: str, value: dict[str, Any]) -> dict[str, Any]:
    """A value object whose keys are attribute paths (pathless, or under a schema URN)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        target = resolve(kind, prefix + key) if isinstance(key, str) else None
        out[key] = _coerce_target(kind, target, item)
    return out


def _coerce_target(kind: ResourceKind, target: Target | None, value: Any) -> Any:
    if target is not None and target.schema is not None and isinstance(value, dict):
        return _coerce_keys(kind, target.schema.urn + ":", value)
    return _coerce(target.spec if target is not None else None, value)


def boolean_strings(kind: ResourceKind, operation: dict[str, Any]) -> None:
    """Read ``"True"``/``"false"`` (any case) as booleans for boolean attributes.

    Entra's legacy mode sends ``{"op":"Replace","path":"active","value":"False"}``; the same
    holds inside pathless values and complex values (``emails[...].primary``). Strings for
    attributes of other types are untouched (RFC 7643 §2.3.2).
    Test: tests/http/test_users_patch_tolerances.py::test_boolean_strings_are_read_as_booleans.
    """
    key = _key(operation, "value")
    if key is None or _op(operation) not in _WRITES:
        return
    path = _path(operation)
    if path:
        operation[key] = _coerce_target(kind, resolve(kind, path), operation[key])
    elif isinstance(operation[key], dict):
        operation[key] = _coerce_keys(kind, "", operation[key])


def _reference(target: Target | None) -> AttributeSpec | None:
    """The singular complex attribute with a ``value`` (e.g. ``manager``) ``target`` names."""
    if target is None or target.head is None or target.filtered:
        return None
    head = target.head
    if not head.is_complex or head.multi_valued or "value" not in head.sub:
        return None
    return head


def _clears_reference(target: Target | None, value: Any) -> bool:
    """Whether ``value`` written at ``target`` is an empty reference such as a manager's."""
    head = _reference(target)
    if head is None:
        return False
    assert target is not None
    if target.spec is not head:
        return target.spec is head.sub["value"] and value == ""
    if isinstance(value, dict):
        empty = all(item in ("", None) for item in value.values())
        return empty and _member(value, "value") == ""
    return bool(value == "")


def _pop_empty_references(
    kind: ResourceKind, prefix: str, value: dict[str, Any]
) -> list[dict[str, Any]]:
    removals = []
    for key in list(value):
        item = value[key]
        target = resolve(kind, prefix + key) if isinstance(key, str) else None
        if target is not None and target.schema is not None and isinstance(item, dict):
            removals += _pop_empty_references(kind, target.schema.urn + ":", item)
        elif _clears_reference(target, item):
            assert target is not None
            del value[key]
            removals.append({"op": "remove", "path": target.head_path})
    return removals


def empty_manager_removes(kind: ResourceKind, operation: dict[str, Any]) -> list[dict[str, Any]]:
    """Read a replace of ``manager`` with ``{"value": ""}`` (or ``""``) as its removal.

    Entra clears a manager this way; scim2-models would store a manager without an id.
    Returns the operations to apply in place of ``operation``.
    Test: tests/http/test_users_patch_tolerances.py::test_empty_manager_value_removes_manager.
    """
    value = _member(operation, "value")
    if _op(operation) not in _WRITES:
        return [operation]
    path = _path(operation)
    if path:
        target = resolve(kind, path)
        if not _clears_reference(target, value):
            return [operation]
        assert target is not None
        _fired("empty_manager_removes")
        return [{"op": "remove", "path": target.head_path}]
    removals = _pop_empty_references(kind, "", value) if isinstance(value, dict) else []
    if removals:
        _fired("empty_manager_removes")
    return [operation, *removals]


def unmatched_filter_creates(
    operation: PatchOperation[Any], apply: Callable[[ScimPolicy], bool]
) -> bool:
    """Apply ``operation``; an add/replace whose path filter matches nothing creates the entry.

    RFC 7644 §3.5.2.3 answers ``noTarget``; Entra relies on
    ``{"op":"Add","path":"emails[type eq \"work\"].value","value":"x"}`` creating the
    work email. The operation is tried strictly first so the tolerance is logged only when
    it decides the outcome.
    Test: tests/http/test_users_patch_tolerances.py::test_unmatched_filter_creates_entry.
    """
    try:
        return apply(PATCH_POLICY)
    except NoTargetException:
        if operation.op == PatchOperation.Op.remove or operation.path is None:
            raise
        changed = apply(_CREATE_UNMATCHED)
        _fired("unmatched_filter_creates")
        return changed


def _wrap_reference(kind: ResourceKind, target: Target | None, value: Any) -> Any:
    if isinstance(value, str) and value and _reference(target) is not None:
        assert target is not None
        if target.spec is target.head:
            _fired("manager_as_string")
            return {"value": value}
    if target is not None and target.schema is not None and isinstance(value, dict):
        prefix = target.schema.urn + ":"
        return {k: _wrap_reference(kind, resolve(kind, prefix + k), v) for k, v in value.items()}
    return value


def manager_as_string(kind: ResourceKind, operation: dict[str, Any]) -> None:
    """Read a string written to ``manager`` as ``{"value": string}`` (RFC 7643 §4.3).

    Entra sends ``{"op":"Add","path":"urn:...:enterprise:2.0:User:manager","value":"id"}``,
    with the manager's id where the schema has a complex attribute.
    Test: tests/http/test_users_patch_tolerances.py::test_manager_as_string_sets_manager_value.
    """
    key = _key(operation, "value")
    if key is None or _op(operation) not in _WRITES:
        return
    path = _path(operation)
    value = operation[key]
    if path:
        operation[key] = _wrap_reference(kind, resolve(kind, path), value)
    elif isinstance(value, dict):
        operation[key] = {k: _wrap_reference(kind, resolve(kind, k), v) for k, v in value.items()}


def foreign_schema_urns(kind: ResourceKind, payload: dict[str, Any]) -> None:
    """Drop schema URNs this service does not know when the payload carries none of their data.

    Entra lists ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``
    in ``schemas`` when it creates a group, with no attribute under it.
    Test: tests/http/test_users_create.py::test_foreign_schema_urn_without_data_is_ignored.
    """
    schemas = payload.get("schemas")
    if not isinstance(schemas, list):
        return
    known = {urn.lower() for urn in kind.schema_urns}
    carried = {key.lower() for key in payload}
    kept = [
        urn
        for urn in schemas
        if not isinstance(urn, str) or urn.lower() in known or urn.lower() in carried
    ]
    if len(kept) != len(schemas):
        payload["schemas"] = kept
        _fired("foreign_schema_urns")


def accept_internal_email_domains() -> None:
    """Accept e-mail addresses on special-use domains such as ``.local`` and ``.test``.

    pydantic's EmailStr (used by scim2-models for ``emails.value``) refuses them through
    email-validator's list of special-use domains, yet identity providers provision them:
    Okta's own documentation creates ``test.user@okta.local``. RFC 7643 §4.1.2 only asks for
    RFC 5321 syntax, which these addresses have. Called once by ``app.main.create_app``.
    Test: tests/http/test_users_create.py::test_email_on_a_local_domain_is_accepted.
    """
    import email_validator

    email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()


def pathless_filtered_keys(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn value-filter keys of a pathless add/replace into operations with that path.

    Entra (``aadOptscim062020``) folds attributes into one pathless replace, including keys
    such as ``emails[type eq "work"].value``, which RFC 7644 §3.5.2 only allows as a path.
    Test: tests/http/test_users_patch_tolerances.py::test_pathless_value_filter_keys_become_paths.
    """
    value = _member(operation, "value")
    if _op(operation) not in _WRITES or _path(operation) or not isinstance(value, dict):
        return [operation]
    filtered = [key for key in value if isinstance(key, str) and "[" in key]
    if not filtered:
        return [operation]
    _fired("pathless_filtered_keys")
    rest = {k: v for k, v in value.items() if k not in filtered}
    split = [{"op": _op(operation), "path": key, "value": value[key]} for key in filtered]
    return ([{**operation, "value": rest}] if rest else []) + split


_QUOTED_BOOLEAN = re.compile(r'([\w$]+)(\s+(?:eq|ne)\s+)"(true|false)"', re.IGNORECASE)


def boolean_filter_strings(kind: ResourceKind, operation: dict[str, Any]) -> None:
    """Read ``"True"`` compared with a boolean sub-attribute in a path filter as ``true``.

    Entra's SingleAppRoleAssignment targets ``roles[primary eq "True"].value``; RFC 7644
    §3.4.2.2 compares a boolean with the literal ``true`` only.
    Test: tests/http/test_roles_entitlements.py::test_entra_primary_true_string_filter_is_read.
    """
    key = _key(operation, "path")
    path = operation.get(key) if key is not None else None
    if not isinstance(path, str) or "[" not in path:
        return
    head_text = path.partition("[")[0]
    target = resolve(kind, head_text)
    head = target.head if target is not None else None
    if head is None or not head.sub:
        return

    def literal(match: re.Match[str]) -> str:
        spec = head.sub.get(match.group(1).lower())
        if spec is None or spec.type != "boolean":
            return match.group(0)
        _fired("boolean_filter_string")
        return f"{match.group(1)}{match.group(2)}{match.group(3).lower()}"

    operation[key] = _QUOTED_BOOLEAN.sub(literal, path)  # type: ignore[index]
