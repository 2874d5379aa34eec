"""scim2-models' PATCH filter evaluation builds its pydantic adapters through our cache."""

from __future__ import annotations

from app.scim import adapters, patch
from app.scim.resources import USER
from tests.conftest import USER_SCHEMA, patch_payload


def test_filtered_patch_reuses_one_adapter_per_type() -> None:
    user = USER.model.model_validate(
        {"schemas": [USER_SCHEMA], "userName": "a", "emails": [{"value": "a@x.co"}]}
    )
    op = {"op": "replace", "path": 'emails[value eq "a@x.co"].primary', "value": True}
    operations = patch.parse(USER, patch_payload(op), "id", max_operations=10)
    patch.apply(user, operations)
    before = adapters.cache_hits()
    patch.apply(user, operations)
    assert adapters.cache_hits() > before
