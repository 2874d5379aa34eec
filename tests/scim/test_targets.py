"""Path targets of the PATCH tolerances: looked up once per kind and path."""

from app.scim.resources import GROUP, USER
from app.scim.targets import resolve


def test_a_path_is_resolved_once_per_kind() -> None:
    first = resolve(USER, "active")
    assert first is not None and first.spec is not None
    assert resolve(USER, "active") is first


def test_remembered_answers_are_not_shared_between_kinds() -> None:
    assert resolve(USER, "userName") is not None
    assert resolve(GROUP, "userName") is None
