"""A PatchOp body is read the same way for every resource type (RFC 7644 §3.5.2).

Each malformed body below gets the same status and scimType from /Users and /Groups:
membership operations are split off only after the one shared read.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import PATCH_SCHEMA, CreateGroup, CreateUser, assert_scim_error

BODIES: list[tuple[str, Any, str]] = [
    ("not_an_object", [1], "invalidSyntax"),
    (
        "without_schemas",
        {"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]},
        "invalidSyntax",
    ),
    (
        "another_message_schema",
        {"schemas": ["urn:x"], "Operations": [{"op": "remove"}]},
        "invalidSyntax",
    ),
    ("without_operations", {"schemas": [PATCH_SCHEMA]}, "invalidValue"),
    ("empty_operations", {"schemas": [PATCH_SCHEMA], "Operations": []}, "invalidValue"),
    ("operation_as_a_string", {"schemas": [PATCH_SCHEMA], "Operations": ["add"]}, "invalidSyntax"),
    (
        "unknown_op",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "merge", "path": "displayName", "value": "x"}],
        },
        "invalidValue",
    ),
    ("pathless_remove", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove"}]}, "noTarget"),
]


@pytest.mark.parametrize(
    ("body", "scim_type"), [(b, t) for _, b, t in BODIES], ids=[n for n, _, _ in BODIES]
)
async def test_same_body_gets_the_same_answer_on_users_and_groups(
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    body: Any,
    scim_type: str,
) -> None:
    user, group = await create_user(), await create_group()
    on_user = await client.patch(f"/scim/v2/Users/{user['id']}", json=body)
    on_group = await client.patch(f"/scim/v2/Groups/{group['id']}", json=body)
    assert_scim_error(on_user, 400, scim_type)
    assert_scim_error(on_group, 400, scim_type)
