"""Relation targets of the attribute map: Group ``members`` and User ``groups`` filter over
``memberships`` rows (EXISTS subqueries). Rows are inserted directly, so each test sees the
compiler and the store alone. The world: alice and group Ops are members of Engineering,
bob is a member of Ops (so an indirect member of Engineering)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from scim2_models import InvalidFilterException, ScimFilter

from app.scim.documents import search_document
from app.scim.resources import GROUP, USER, ResourceKind
from app.scim.store import ListQuery
from app.scim.text import fold
from app.storage.tables import MembershipRow, ResourceRow
from tests.conftest import GROUP_SCHEMA, USER_SCHEMA

resources = ResourceRow.__table__  # type: ignore[attr-defined]
memberships = MembershipRow.__table__  # type: ignore[attr-defined]


def _row(kind: ResourceKind, name: str) -> dict[str, object]:
    schema = USER_SCHEMA if kind is USER else GROUP_SCHEMA
    document = {"schemas": [schema], kind.name_attribute: name}
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "tenant": "default",
        "resource_type": kind.name,
        "version": 1,
        "created": now,
        "last_modified": now,
        "name_key": fold(name),
        "external_id": None,
        "active": None,
        "display_name": name if kind is GROUP else None,
        "document": document,
        "search": search_document(kind, document),
    }


@pytest.fixture
async def world(app: FastAPI) -> dict[str, uuid.UUID]:
    rows = {
        "alice": _row(USER, "alice"),
        "bob": _row(USER, "bob"),
        "eng": _row(GROUP, "Engineering"),
        "ops": _row(GROUP, "Ops"),
    }
    links = [("eng", "alice", "User"), ("eng", "ops", "Group"), ("ops", "bob", "User")]
    async with app.state.store.engine.begin() as connection:
        await connection.execute(resources.insert(), list(rows.values()))
        await connection.execute(
            memberships.insert(),
            [
                {"group_id": rows[g]["id"], "member_id": rows[m]["id"], "member_type": t}
                for g, m, t in links
            ],
        )
    return {name: row["id"] for name, row in rows.items()}  # type: ignore[misc]


async def _ids(app: FastAPI, kind: ResourceKind, expression: str) -> set[uuid.UUID]:
    query = ListQuery(kinds=[kind], filter=ScimFilter(expression).ast)
    async with app.state.store.transaction(write=False) as tx:
        page = await tx.list("default", query)
    return {r.id for r in page.resources}


async def test_members_value_eq_finds_groups_of_a_member(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    found = await _ids(app, GROUP, f'members.value eq "{world["alice"]}"')
    assert found == {world["eng"]}


async def test_members_value_path_with_type(app: FastAPI, world: dict[str, uuid.UUID]) -> None:
    found = await _ids(app, GROUP, f'members[type eq "group" and value eq "{world["ops"]}"]')
    assert found == {world["eng"]}


async def test_members_ne_means_no_member_equals(app: FastAPI, world: dict[str, uuid.UUID]) -> None:
    found = await _ids(app, GROUP, f'members.value ne "{world["alice"]}"')
    assert found == {world["ops"]}


async def test_groups_value_eq_finds_members_of_a_group(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    assert await _ids(app, USER, f'groups.value eq "{world["ops"]}"') == {world["bob"]}


async def test_groups_value_eq_finds_indirect_members_through_nested_groups(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    found = await _ids(app, USER, f'groups.value eq "{world["eng"]}"')
    assert found == {world["alice"], world["bob"]}


async def test_groups_value_path_finds_indirect_members(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    found = await _ids(app, USER, f'groups[value eq "{world["eng"]}"]')
    assert found == {world["alice"], world["bob"]}


async def test_groups_value_ne_excludes_indirect_members(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    assert await _ids(app, USER, f'groups.value ne "{world["eng"]}"') == set()


async def test_two_group_conditions_in_one_filter_each_walk_nested_groups(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    expression = f'groups.value eq "{world["eng"]}" and groups.value eq "{world["ops"]}"'
    assert await _ids(app, USER, expression) == {world["bob"]}


async def test_groups_filter_ends_on_a_membership_cycle(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    async with app.state.store.engine.begin() as connection:
        await connection.execute(
            memberships.insert(),
            [{"group_id": world["ops"], "member_id": world["eng"], "member_type": "Group"}],
        )
    found = await _ids(app, USER, f'groups.value eq "{world["ops"]}"')
    assert found == {world["alice"], world["bob"]}


async def test_group_display_name_eq_is_case_insensitive(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    assert await _ids(app, GROUP, 'displayName eq "ENGINEERING"') == {world["eng"]}


async def test_members_pr_finds_groups_with_members(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    assert await _ids(app, GROUP, "members pr") == {world["eng"], world["ops"]}


async def test_member_id_that_is_not_a_uuid_matches_nothing(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    assert await _ids(app, GROUP, 'members.value eq "not-a-uuid"') == set()


async def test_members_sub_attribute_without_storage_is_invalid_filter(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(InvalidFilterException):
        await _ids(app, GROUP, 'members[display eq "x"]')


async def _across(app: FastAPI, **fields: object) -> list[uuid.UUID]:
    query = ListQuery(kinds=[USER, GROUP], **fields)  # type: ignore[arg-type]
    async with app.state.store.transaction(write=False) as tx:
        page = await tx.list("default", query)
    return [r.id for r in page.resources]


async def test_filter_across_types_is_false_where_a_type_lacks_the_attribute(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    found = await _across(app, filter=ScimFilter('members pr or userName eq "bob"').ast)
    assert set(found) == {world["eng"], world["ops"], world["bob"]}


async def test_filter_across_types_on_an_attribute_none_has_is_invalid(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(InvalidFilterException):
        await _across(app, filter=ScimFilter('bogus eq "x"').ast)


async def test_sort_across_types_puts_types_without_the_attribute_last(
    app: FastAPI, world: dict[str, uuid.UUID]
) -> None:
    from scim2_models.path import AttrPath

    from app.scim.store import SortSpec

    found = await _across(app, sort=SortSpec(AttrPath("displayName")))
    assert found[:2] == [world["eng"], world["ops"]]
    assert set(found[2:]) == {world["alice"], world["bob"]}
