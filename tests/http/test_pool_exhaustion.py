"""More concurrent requests than the pool serves: 503 after SCIM_DB_POOL_TIMEOUT_SECONDS,
not a queue that outgrows the identity provider's own timeout."""

from __future__ import annotations

from contextlib import AsyncExitStack

from tests.conftest import MakeApp, assert_scim_error, client_for


async def test_a_request_that_waits_past_the_pool_timeout_is_503(make_app: MakeApp) -> None:
    app = make_app(db_pool_size=1, db_pool_timeout_seconds=0.2)
    store = app.state.store
    pool = store.pg or store.lite
    async with AsyncExitStack() as held, client_for(app) as c:
        taken = 0
        while True:  # take every connection the pool will give
            try:
                await held.enter_async_context(pool.connection())
            except TimeoutError:
                break
            taken += 1
        assert taken >= 1
        response = await c.get("/scim/v2/Users")
    assert_scim_error(response, 503)
    assert response.headers["retry-after"] == "1"
    assert "pooled connection" in response.json()["detail"]
