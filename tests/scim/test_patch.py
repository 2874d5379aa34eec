"""app.scim.patch on its own: generic over resource kinds, membership split off for Groups.

The only immutable attributes of the served schemas are Group member sub-attributes
(RFC 7643 §4.2), which HTTP never lets a PATCH reach (members are set whole, by value:
``members[...].type`` is 400 invalidPath), so the immutable rule (RFC 7643 §2.2) is shown
here on the GROUP kind, where the generic engine still enforces it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from scim2_models import MutabilityException

from app.scim import patch, service
from app.scim.context import RequestContext
from app.scim.resources import BUILTIN, ResourceKind
from app.scim.store import StoredResource
from tests.conftest import GROUP_SCHEMA, USER_SCHEMA, patch_payload

USER: ResourceKind = BUILTIN.kinds["User"]
GROUP: ResourceKind = BUILTIN.kinds["Group"]
CTX = RequestContext(tenant="t", base_url="https://scim.test/scim/v2")
GROUP_ID = uuid.UUID("e9e30dba-f08f-4109-8486-d5c6a331660a")
MEMBER = "2819c223-7f76-453a-919d-413861904646"


def _group(**document: Any) -> StoredResource:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides", **document}
    return StoredResource(GROUP_ID, "Group", 1, now, now, body)


def _parse(kind: Any, *operations: dict[str, Any]) -> patch.Operations:
    _, parsed = patch.parse(kind, patch_payload(*operations), str(GROUP_ID), max_operations=10)
    return parsed


def test_changing_an_immutable_value_already_set_is_mutability() -> None:
    current = _group(members=[{"value": MEMBER, "type": "User"}])
    path = f'members[value eq "{MEMBER}"].type'
    operations = patch._validated(GROUP, [{"op": "replace", "path": path, "value": "Group"}])
    with pytest.raises(MutabilityException, match="immutable"):
        service.patched(CTX, GROUP, current, operations)


def test_group_display_name_is_patched_like_any_attribute() -> None:
    operations = _parse(
        GROUP, {"op": "Replace", "value": {"id": str(GROUP_ID), "displayName": "x"}}
    )
    write = service.patched(CTX, GROUP, _group(), operations)
    assert write is not None
    assert write.document["displayName"] == "x"


def test_parse_splits_member_operations_from_the_others() -> None:
    body = patch_payload(
        {"op": "add", "path": "members", "value": [{"value": MEMBER}]},
        {"op": "replace", "path": "displayName", "value": "x"},
        {"op": "remove", "path": f'MEMBERS[value eq "{MEMBER}"]'},
    )
    delta, rest = patch.parse(GROUP, body, str(GROUP_ID), max_operations=10)
    assert delta is not None and delta.remove == {uuid.UUID(MEMBER)} and not delta.add
    assert [str(op.path) for op in rest] == ["displayName"]


def test_parse_of_a_type_without_members_gives_no_delta() -> None:
    body = patch_payload({"op": "add", "path": "nickName", "value": "x"})
    delta, rest = patch.parse(USER, body, str(GROUP_ID), max_operations=10)
    assert delta is None and len(rest) == 1


def test_apply_patches_the_resource_it_is_given() -> None:
    stored = StoredResource(
        GROUP_ID,
        "User",
        1,
        datetime.now(UTC),
        datetime.now(UTC),
        {"schemas": [USER_SCHEMA], "userName": "bjensen"},
    )
    resource = service.load(USER, stored)
    patched, changed = patch.apply(
        resource, _parse(USER, {"op": "add", "path": "nickName", "value": "Babs"})
    )
    assert changed
    assert patched is resource
    assert resource.nick_name == "Babs"  # type: ignore[attr-defined]
