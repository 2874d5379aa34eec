"""scim2-models' PATCH filter evaluation builds its pydantic adapters through our cache."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.scim import adapters, patch, service
from app.scim.resources import BUILTIN
from app.scim.store import StoredResource
from tests.conftest import USER_SCHEMA, patch_payload

USER = BUILTIN.kinds["User"]
NOW = datetime.now(UTC)


def test_filtered_patch_reuses_one_adapter_per_type() -> None:
    user = USER.model.model_validate(
        {"schemas": [USER_SCHEMA], "userName": "a", "emails": [{"value": "a@x.co"}]}
    )
    op = {"op": "replace", "path": 'emails[value eq "a@x.co"].primary', "value": True}
    _, operations = patch.parse(USER, patch_payload(op), "id", max_operations=10)
    patch.apply(user, operations)
    before = adapters.cache_hits()
    patch.apply(user, operations)
    assert adapters.cache_hits() > before


def test_email_validation_of_a_known_address_is_remembered() -> None:
    document = {"schemas": [USER_SCHEMA], "userName": "b", "emails": [{"value": "b@x.co"}]}
    USER.model.model_validate(document)
    before = adapters.email_cache_hits()
    USER.model.model_validate(document)
    assert adapters.email_cache_hits() > before


def test_a_refused_address_is_refused_every_time() -> None:
    document = {"schemas": [USER_SCHEMA], "userName": "c", "emails": [{"value": "not an address"}]}
    for _ in range(2):
        with pytest.raises(ValidationError):
            USER.model.model_validate(document)


def test_addresses_of_a_stored_document_are_not_validated_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(value: str) -> tuple[str, str]:
        raise AssertionError(f"{value} validated again")

    monkeypatch.setattr(adapters, "_validate_email", refuse)
    document = {"schemas": [USER_SCHEMA], "userName": "d", "emails": [{"value": "d@x.co"}]}
    stored = StoredResource(uuid.uuid4(), USER.name, 1, NOW, NOW, document)
    assert service.load(USER, stored).emails[0].value == "d@x.co"  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="validated again"):
        USER.model.model_validate(document)
