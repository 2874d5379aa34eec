"""Property: the SQL answer (ids, order, totalResults) equals scim2-models' in-memory one.

Users and filters are generated; ``ScimFilter.match`` and ``SearchRequest.sort`` are the
reference (RFC 7644 §3.4.2.2, §3.4.2.3). Runs on every backend.
"""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_models import EnterpriseUser, ScimFilter, SearchRequest, User

from app.scim.text import fold
from tests.conftest import ENTERPRISE, BulkUsers

Model = User[EnterpriseUser]
DEPT = f"{ENTERPRISE}:department"
WORDS = ["alice", "Alice", "bob", "Zoë", "ZOË", "b%", "c_d", "a", "zed", "é"]
NAMES = ["alice", "bob", "carol", "Zoë", "dave", "Éve", "frank", "Gus"]
MAILS = ["a@x.io", "A@X.io", "zoë@x.io", "b%@y.io", "c_d@y.io"]
STRING_ATTRS = ["userName", "title", "name.familyName", "emails.type", DEPT]
OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

words = st.sampled_from(WORDS)
mails = st.sampled_from(MAILS)
email = st.fixed_dictionaries(
    {"value": mails, "type": st.sampled_from(["work", "home"])},
    optional={"primary": st.booleans()},
)
user = st.fixed_dictionaries(
    {},
    optional={
        "title": words,
        "active": st.booleans(),
        "name": st.fixed_dictionaries({"familyName": words}),
        "emails": st.lists(email, max_size=2),
        ENTERPRISE: st.fixed_dictionaries({"department": words}),
    },
)


def _quote(value: str) -> str:
    return '"' + value + '"'


leaf = st.one_of(
    st.builds(
        lambda a, o, v: f"{a} {o} {_quote(v)}",
        st.sampled_from(STRING_ATTRS),
        st.sampled_from(OPS),
        words,
    ),
    st.builds(lambda o, v: f"emails.value {o} {_quote(v)}", st.sampled_from(OPS), mails),
    st.builds(
        lambda o, v: f"active {o} {str(v).lower()}", st.sampled_from(["eq", "ne"]), st.booleans()
    ),
    st.builds(
        lambda a: f"{a} pr",
        st.sampled_from(["title", "active", "emails", "name.familyName", "emails.type", DEPT]),
    ),
    st.builds(
        lambda t, o, v: f'emails[type eq "{t}" and value {o} {_quote(v)}]',
        st.sampled_from(["work", "home"]),
        st.sampled_from(OPS),
        mails,
    ),
)
filters = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=4,
)
sorts = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["userName", "title", "name.familyName", DEPT]),
        st.sampled_from(["ascending", "descending"]),
    ),
)
corpora = st.lists(
    st.tuples(st.sampled_from(NAMES), user), max_size=7, unique_by=lambda pair: fold(pair[0])
)


async def _clear(app: FastAPI) -> None:
    async with app.state.store.engine.begin() as connection:
        await connection.execute(sa.text("DELETE FROM resources"))


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corpus=corpora, expression=filters, sort=sorts)
async def test_sql_matches_in_memory_evaluation(
    app: FastAPI,
    client: httpx.AsyncClient,
    bulk_users: BulkUsers,
    corpus: list[tuple[str, dict[str, Any]]],
    expression: str,
    sort: tuple[str, str] | None,
) -> None:
    await _clear(app)
    documents = [{"userName": name, **attributes} for name, attributes in corpus]
    for document in documents:
        if ENTERPRISE in document:
            document["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]
    ids = await bulk_users(documents)
    models = [Model.model_validate({**d, "id": i}) for d, i in zip(documents, ids, strict=True)]
    matched = [m for m in models if ScimFilter[Model](expression).match(m)]
    params: dict[str, Any] = {"filter": expression, "count": 50}
    if sort is not None:
        params.update(sortBy=sort[0], sortOrder=sort[1])
        request = SearchRequest(sort_by=sort[0], sort_order=sort[1])
        by_id = sorted(matched, key=lambda m: str(m.id), reverse=sort[1] == "descending")
        matched = request.sort(by_id)  # ties by id, in the direction of the order
    response = await client.get("/scim/v2/Users", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["id"] for r in body["Resources"]] == [str(m.id) for m in matched]
    assert body["totalResults"] == len(matched)
