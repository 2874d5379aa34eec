"""The filter language over a seeded corpus (RFC 7644 §3.4.2.2): expected users per filter."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ENTERPRISE, BulkUsers

CORPUS: list[dict[str, Any]] = [
    {
        "userName": "bjensen",
        "externalId": "EXT-1",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "Tour Guide",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        ENTERPRISE: {"department": "Tour Operations", "manager": {"value": "boss-1"}},
    },
    {
        "userName": "Jsmith",
        "externalId": "ext-1",
        "name": {"familyName": "Smith"},
        "title": "100%_done",
        "active": False,
        "emails": [{"value": "john@example.com", "type": "home"}],
    },
    {
        "userName": "zoë",
        "displayName": "Zoë",
        "title": "100%xdone",
        "emails": [{"value": "ZOE@EXAMPLE.COM", "type": "work"}],
        ENTERPRISE: {"department": "Engineering"},
    },
    {"userName": "alice", "nickName": "", "title": "a_c", "active": True},
    {
        "userName": "Bob",
        "title": "abc",
        "emails": [
            {"value": "bob@other.net", "type": "work"},
            {"value": "bob@example.com", "type": "other"},
        ],
    },
]
ALL = [user["userName"] for user in CORPUS]
DEPT = f"{ENTERPRISE}:department"

CASES: list[tuple[str, list[str]]] = [
    ('userName eq "BJENSEN"', ["bjensen"]),
    ('userName eq "ZOË"', ["zoë"]),
    ('USERNAME Eq "jsmith"', ["Jsmith"]),
    ('userName ne "bob"', ["bjensen", "Jsmith", "zoë", "alice"]),
    ('externalId eq "EXT-1"', ["bjensen"]),
    ('externalId eq "ext-1"', ["Jsmith"]),
    ('emails.value eq "zoe@example.com"', ["zoë"]),
    ('emails eq "BOB@example.com"', ["Bob"]),
    ('emails[type eq "work"].value eq "bob@other.net"', ["Bob"]),
    ('emails[type eq "work"].value eq "bob@example.com"', []),
    ('emails[type eq "work" and value co "@example.com"]', ["bjensen", "zoë"]),
    ('emails[type eq "home" or primary eq true]', ["bjensen", "Jsmith"]),
    ('emails[not (type eq "work")]', ["bjensen", "Jsmith", "Bob"]),
    ('emails[value ew ".org"]', ["bjensen"]),
    ('emails.type ne "work"', ["Jsmith", "alice"]),
    ("emails pr", ["bjensen", "Jsmith", "zoë", "Bob"]),
    ('name.familyName sw "JEN"', ["bjensen"]),
    ("name.givenName pr", ["bjensen"]),
    ('title eq "100%_done"', ["Jsmith"]),
    ('title co "%_"', ["Jsmith"]),
    ('title sw "100%"', ["Jsmith", "zoë"]),
    ('title co "_"', ["Jsmith", "alice"]),
    ('title ew "_c"', ["alice"]),
    ('title gt "a"', ["bjensen", "alice", "Bob"]),
    ('title le "100%xdone"', ["Jsmith", "zoë"]),
    ("not (displayName pr)", ["bjensen", "Jsmith", "alice", "Bob"]),
    ("nickName pr", []),
    ("active eq true", ["bjensen", "alice"]),
    ("active eq false", ["Jsmith"]),
    ("not (active eq true)", ["Jsmith", "zoë", "Bob"]),
    ("active pr", ["bjensen", "Jsmith", "alice"]),
    (f'{DEPT} eq "engineering"', ["zoë"]),
    (f'{DEPT.upper()} sw "tour"', ["bjensen"]),
    (f'{ENTERPRISE}:manager.value eq "boss-1"', ["bjensen"]),
    ('userName sw "b" and active eq true', ["bjensen"]),
    ('userName sw "b" or userName sw "z" and active eq true', ["bjensen", "Bob"]),
    ('(userName sw "b" or userName sw "z") and not (active eq false)', ["bjensen", "zoë", "Bob"]),
    ('schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"', ALL),
    ("id pr", ALL),
    ('meta.resourceType eq "User"', ALL),
    ('meta.resourceType eq "user"', []),  # caseExact (RFC 7643 §3.1)
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_filter_selects_expected_users(
    client: httpx.AsyncClient, bulk_users: BulkUsers, expression: str, expected: list[str]
) -> None:
    await bulk_users(CORPUS)
    response = await client.get("/scim/v2/Users", params={"filter": expression, "count": 50})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [user["userName"] for user in body["Resources"]] == expected
    assert body["totalResults"] == len(expected)
