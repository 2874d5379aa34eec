"""Extensions declared in SCIM_SCHEMAS behave like the enterprise extension (RFC 7643 §3.3).

The app here serves ``examples/custom_schemas.json``: Acme's extension (canonical values,
a caseExact unique badge, immutable, writeOnly and returned-request attributes) and
Entra's ``CustomExtensionName``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import USER_SCHEMA, MakeApp, assert_scim_error, client_for, patch_payload

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_schemas.json"
ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
ENTRA = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


@pytest.fixture
async def custom(make_app: MakeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app(schemas=str(EXAMPLE))) as client:
        yield client


def _user(name: str = "bjensen", **acme: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA, ACME], "userName": name, ACME: acme}


async def _create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/scim/v2/Users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_configured_schema_is_served_by_schemas(custom: httpx.AsyncClient) -> None:
    response = await custom.get(f"/scim/v2/Schemas/{ACME}")
    assert response.status_code == 200
    names = [a["name"] for a in response.json()["attributes"]]
    assert "costCenter" in names and "badgeNumber" in names


async def test_user_resource_type_lists_the_configured_extensions(
    custom: httpx.AsyncClient,
) -> None:
    body = (await custom.get("/scim/v2/ResourceTypes/User")).json()
    assert {"schema": ACME, "required": False} in body["schemaExtensions"]
    assert {"schema": ENTRA, "required": False} in body["schemaExtensions"]


async def test_extension_data_is_stored_and_returned_under_its_urn(
    custom: httpx.AsyncClient,
) -> None:
    created = await _create(custom, _user(costCenter="CC-1", level=3, contractor=True))
    fetched = (await custom.get(f"/scim/v2/Users/{created['id']}")).json()
    assert fetched[ACME] == {"costCenter": "CC-1", "level": 3, "contractor": True}
    assert ACME in fetched["schemas"]


async def test_extension_data_is_kept_when_schemas_omits_the_urn(
    custom: httpx.AsyncClient,
) -> None:
    """Entra leaves the extension URN out of ``schemas``."""
    body = {"schemas": [USER_SCHEMA], "userName": "entra", ENTRA: {"tag": "blue"}}
    created = await _create(custom, body)
    fetched = (await custom.get(f"/scim/v2/Users/{created['id']}")).json()
    assert fetched[ENTRA] == {"tag": "blue"} and ENTRA in fetched["schemas"]


async def test_value_outside_canonical_values_is_400_invalid_value(
    custom: httpx.AsyncClient,
) -> None:
    response = await custom.post("/scim/v2/Users", json=_user(orgRole="boss"))
    assert_scim_error(response, 400, "invalidValue")


async def test_canonical_values_compare_case_insensitively_unless_case_exact(
    custom: httpx.AsyncClient,
) -> None:
    created = await _create(custom, _user(orgRole="Admin"))
    assert created[ACME]["orgRole"] == "Admin"


async def test_value_of_the_wrong_type_is_400_invalid_value(custom: httpx.AsyncClient) -> None:
    response = await custom.post("/scim/v2/Users", json=_user(level="three"))
    assert_scim_error(response, 400, "invalidValue")


async def test_duplicate_unique_value_is_409_uniqueness(custom: httpx.AsyncClient) -> None:
    await _create(custom, _user("a", badgeNumber="B-1"))
    response = await custom.post("/scim/v2/Users", json=_user("b", badgeNumber="B-1"))
    assert_scim_error(response, 409, "uniqueness")


async def test_case_exact_unique_value_differing_in_case_is_accepted(
    custom: httpx.AsyncClient,
) -> None:
    await _create(custom, _user("a", badgeNumber="B-1"))
    await _create(custom, _user("b", badgeNumber="b-1"))


async def test_unique_value_is_free_again_once_its_holder_changes(
    custom: httpx.AsyncClient,
) -> None:
    first = await _create(custom, _user("a", badgeNumber="B-1"))
    replaced = await custom.put(f"/scim/v2/Users/{first['id']}", json=_user("a", badgeNumber="B-2"))
    assert replaced.status_code == 200, replaced.text
    await _create(custom, _user("b", badgeNumber="B-1"))


async def test_patch_to_a_taken_unique_value_is_409(custom: httpx.AsyncClient) -> None:
    await _create(custom, _user("a", badgeNumber="B-1"))
    second = await _create(custom, _user("b", badgeNumber="B-2"))
    op = {"op": "replace", "path": f"{ACME}:badgeNumber", "value": "B-1"}
    response = await custom.patch(f"/scim/v2/Users/{second['id']}", json=patch_payload(op))
    assert_scim_error(response, 409, "uniqueness")


async def test_changing_an_immutable_value_is_400_mutability(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(legacyId="L1"))
    response = await custom.put(f"/scim/v2/Users/{created['id']}", json=_user(legacyId="L2"))
    assert_scim_error(response, 400, "mutability")


async def test_write_only_attribute_is_never_returned(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(doorPin="1234", costCenter="x"))
    fetched = await custom.get(f"/scim/v2/Users/{created['id']}", params={"attributes": ACME})
    assert "doorPin" not in created[ACME] and "doorPin" not in fetched.json()[ACME]


async def test_returned_request_attribute_comes_only_when_asked(
    custom: httpx.AsyncClient,
) -> None:
    created = await _create(custom, _user(internalNote="n", costCenter="x"))
    plain = (await custom.get(f"/scim/v2/Users/{created['id']}")).json()
    asked = await custom.get(
        f"/scim/v2/Users/{created['id']}", params={"attributes": f"{ACME}:internalNote"}
    )
    assert "internalNote" not in plain[ACME]
    assert asked.json()[ACME] == {"internalNote": "n"}


async def test_filter_on_an_extension_attribute_ignores_case(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user("a", costCenter="CC-North"))
    await _create(custom, _user("b", costCenter="CC-South"))
    listed = await custom.get(
        "/scim/v2/Users", params={"filter": f'{ACME}:costCenter eq "cc-north"'}
    )
    assert [r["id"] for r in listed.json()["Resources"]] == [created["id"]]


async def test_sort_by_an_extension_attribute(custom: httpx.AsyncClient) -> None:
    for name, level in (("a", 2), ("b", 3), ("c", 1)):
        await _create(custom, _user(name, level=level))
    listed = await custom.get("/scim/v2/Users", params={"sortBy": f"{ACME}:level"})
    assert [r["userName"] for r in listed.json()["Resources"]] == ["c", "a", "b"]


async def test_patch_path_with_the_extension_urn(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(costCenter="x"))
    op = {"op": "Add", "path": f"{ENTRA}:tag", "value": "green"}
    response = await custom.patch(f"/scim/v2/Users/{created['id']}", json=patch_payload(op))
    assert response.status_code == 200, response.text
    assert response.json()[ENTRA] == {"tag": "green"}


async def test_pathless_replace_with_urn_prefixed_keys(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(costCenter="x"))
    op = {"op": "replace", "value": {f"{ACME}:costCenter": "y", f"{ACME}:orgRole": "member"}}
    response = await custom.patch(f"/scim/v2/Users/{created['id']}", json=patch_payload(op))
    assert response.status_code == 200, response.text
    assert response.json()[ACME] == {"costCenter": "y", "orgRole": "member"}


async def test_patch_outside_canonical_values_is_400(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(costCenter="x"))
    op = {"op": "replace", "path": f"{ACME}:orgRole", "value": "boss"}
    response = await custom.patch(f"/scim/v2/Users/{created['id']}", json=patch_payload(op))
    assert_scim_error(response, 400, "invalidValue")


async def test_excluded_attributes_can_drop_a_whole_extension(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user(costCenter="x"))
    fetched = await custom.get(
        f"/scim/v2/Users/{created['id']}", params={"excludedAttributes": ACME}
    )
    assert ACME not in fetched.json()


async def test_complex_extension_attribute_filters_by_sub_attribute(
    custom: httpx.AsyncClient,
) -> None:
    created = await _create(custom, _user("a", desk={"building": "North", "floor": 2}))
    await _create(custom, _user("b", desk={"building": "South", "floor": 3}))
    listed = await custom.get("/scim/v2/Users", params={"filter": f"{ACME}:desk.floor lt 3"})
    assert [r["id"] for r in listed.json()["Resources"]] == [created["id"]]


async def test_filter_on_a_write_only_attribute_is_400(custom: httpx.AsyncClient) -> None:
    """A filter must not probe a value that is never returned."""
    await _create(custom, _user(doorPin="1234"))
    listed = await custom.get("/scim/v2/Users", params={"filter": f'{ACME}:doorPin eq "1234"'})
    assert_scim_error(listed, 400, "invalidFilter")


async def test_case_exact_attribute_filters_exactly(custom: httpx.AsyncClient) -> None:
    created = await _create(custom, _user("a", badgeNumber="B-1"))
    exact = await custom.get("/scim/v2/Users", params={"filter": f'{ACME}:badgeNumber eq "B-1"'})
    folded = await custom.get("/scim/v2/Users", params={"filter": f'{ACME}:badgeNumber eq "b-1"'})
    assert [r["id"] for r in exact.json()["Resources"]] == [created["id"]]
    assert folded.json()["totalResults"] == 0


async def test_case_exact_attribute_sorts_by_code_point(custom: httpx.AsyncClient) -> None:
    for name, badge in (("a", "b"), ("b", "B"), ("c", "a")):
        await _create(custom, _user(name, badgeNumber=badge))
    listed = await custom.get("/scim/v2/Users", params={"sortBy": f"{ACME}:badgeNumber"})
    assert [r[ACME]["badgeNumber"] for r in listed.json()["Resources"]] == ["B", "a", "b"]
