"""A Group PATCH request split into its membership delta and its other operations.

Membership changes are set operations on rows (RFC 7644 §3.5.2), so the operations that
target ``members`` are folded, in request order, into one ``MemberDelta``; the others are
left for scim2-models' ``PatchOp`` to apply to the stored document. What clients send:

- ``add`` path ``members`` with one or many values (Okta, Entra);
- ``remove`` path ``members[value eq "id"]`` (Okta), or ``or`` of such terms;
- ``remove`` path ``members`` with a value list (Entra's default mode), or with no value
  (every member);
- ``replace`` path ``members`` (Okta), and pathless ``add``/``replace`` whose value holds
  ``members``; Okta also sends its rename as a pathless replace carrying ``id``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from scim2_models import InvalidPathException, InvalidValueException, Path
from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator

from app.scim.resources import ResourceKind
from app.scim.text import issued_id, too_long

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

_OPS = frozenset({"add", "remove", "replace"})


Entry = tuple[uuid.UUID, str | None]
"""A member to add: its id and the ``display`` the client gave, if any."""


@dataclass
class MemberDelta:
    """The net effect of a request's member operations, applied in order.

    ``replace`` is the whole new member set when an operation replaced or cleared it;
    ``add`` and ``remove`` are what later operations change on top (kept disjoint).
    ``display`` keeps the client's ``display`` of each added member: sub-attributes of
    members are immutable (RFC 7643 §4.2), so what was sent at the add is what is served.
    """

    replace: set[uuid.UUID] | None = None
    add: dict[uuid.UUID, None] = field(default_factory=dict)
    remove: set[uuid.UUID] = field(default_factory=set)
    display: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.replace is None and not self.add and not self.remove

    def _note(self, entries: list[Entry]) -> None:
        for member_id, display in entries:
            if display:
                if reason := too_long("members.display", display):
                    raise InvalidValueException(detail=reason)
                self.display[member_id] = display

    def added(self, entries: list[Entry]) -> None:
        self._note(entries)
        for member_id, _ in entries:
            self.add[member_id] = None
            self.remove.discard(member_id)

    def removed(self, ids: list[uuid.UUID]) -> None:
        for member_id in ids:
            self.add.pop(member_id, None)
            self.remove.add(member_id)

    def replaced(self, entries: list[Entry]) -> None:
        self._note(entries)
        self.replace, self.add, self.remove = {i for i, _ in entries}, {}, set()

    def target(self) -> set[uuid.UUID]:
        """The member set after a replace (only meaningful when ``replace`` is set)."""
        return ((self.replace or set()) | self.add.keys()) - self.remove


def member_id(value: Any) -> uuid.UUID:
    """A member ``value`` to add: a resource id, so a UUID (else 400 invalidValue)."""
    found = issued_id(value)
    if found is None:
        raise InvalidValueException(detail=f"no member can have the id {value!r}")
    return found


def _get(mapping: dict[str, Any], name: str) -> Any:
    """Keys of PATCH operations and attribute names are case-insensitive (RFC 7644 §3.10)."""
    return next((v for k, v in mapping.items() if k.lower() == name), None)


def entry_values(value: Any) -> list[Any]:
    """The ``value`` of each member entry (one object or a list of them)."""
    entries = value if isinstance(value, list) else [value]
    values = []
    for entry in entries:
        item = _get(entry, "value") if isinstance(entry, dict) else None
        if not isinstance(item, str) or not item:
            raise InvalidValueException(detail="each member needs a non-empty string 'value'")
        values.append(item)
    return values


def member_entries(value: Any) -> list[Entry]:
    """Each member entry to add: its id (a UUID, else 400) and its ``display``."""
    entries = value if isinstance(value, list) else [value]
    ids = [member_id(v) for v in entry_values(value)]
    displays = [_get(e, "display") if isinstance(e, dict) else None for e in entries]
    return [
        (i, d if isinstance(d, str) and d else None) for i, d in zip(ids, displays, strict=True)
    ]


def _filter_ids(node: FilterNode) -> list[uuid.UUID]:
    """Ids selected by ``value eq "id"`` (or an ``or`` of such terms)."""
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_:
        return [i for term in node.terms for i in _filter_ids(term)]
    if (
        isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and node.attr_path.attr.lower() == "value"
        and node.attr_path.sub_attr is None
    ):
        found = issued_id(node.value)
        return [found] if found is not None else []
    raise InvalidPathException(detail='members are selected by value only: members[value eq "id"]')


def _members_path(kind: ResourceKind, text: str) -> Path[Any] | None:
    """The parsed path when it targets ``kind.members``; other paths are not ours."""
    try:
        path = Path.__class_getitem__(kind.model)(text)
    except InvalidPathException:
        return None
    name = (kind.members or "").lower()
    return path if path.parts and path.parts[0].lower() == name else None


def _member_op(delta: MemberDelta, op: str, path: Path[Any], value: Any) -> None:
    if len(path.parts) > 1:
        raise InvalidPathException(detail=f"{path!s}: members are set whole, by value")
    selector = path.value_filter
    if selector is not None:
        if op != "remove":
            raise InvalidPathException(detail=f"{op} takes path 'members', not a selection")
        delta.removed(_filter_ids(selector))
    elif op == "add":
        if value is None:
            raise InvalidValueException(detail="add members needs a value")
        delta.added(member_entries(value))
    elif op == "replace":
        delta.replaced(member_entries(value) if value else [])
    elif value is None:
        delta.replaced([])
    else:
        found = (issued_id(v) for v in entry_values(value))
        delta.removed([i for i in found if i is not None])


def _pathless(kind: ResourceKind, delta: MemberDelta, op: str, value: Any) -> Any:
    """Take ``members`` out of a pathless add/replace value; return what remains.

    The rest (``id`` and ``schemas`` included) goes through the same PATCH policy as a
    User's, so a matching ``id`` is ignored and a foreign one is ``mutability``.
    """
    if not isinstance(value, dict):
        return value
    rest = {}
    for key, item in value.items():
        name = key.lower().rsplit(":", 1)[-1] if key.lower().startswith("urn:") else key.lower()
        if name == (kind.members or "").lower():
            ids = member_entries(item) if item else []
            if op == "add":
                delta.added(ids)
            else:
                delta.replaced(ids)
        else:
            rest[key] = item
    return rest


def split(
    kind: ResourceKind, operations: list[dict[str, Any]]
) -> tuple[MemberDelta, list[dict[str, Any]]]:
    """The member delta of a PATCH's operations (already read by ``app.scim.patch``) and
    the operations left for the document, in request order."""
    delta, others = MemberDelta(), []
    for operation in operations:
        op = str(_get(operation, "op") or "").lower()
        path, value = _get(operation, "path"), _get(operation, "value")
        if op not in _OPS:
            others.append(operation)  # PatchOp validation names the error
            continue
        parsed = _members_path(kind, path) if isinstance(path, str) and path.strip() else None
        if parsed is not None:
            _member_op(delta, op, parsed, value)
        elif (path is None or path == "") and op != "remove":
            rest = _pathless(kind, delta, op, value)
            if rest != {}:
                others.append({"op": op, "value": rest})
        else:
            others.append(operation)
    return delta, others
