"""After an Okta provisioning flow with a password, neither the password nor the token is
anywhere: in no table, in no log line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.http.auth import digest
from tests.conftest import client_for, patch_payload
from tests.idp.idp_replay import replay

OKTA = Path(__file__).resolve().parents[1] / "idp" / "okta" / "user_provisioning.json"
PASSWORD = "Leak-Canary-Pa55w0rd-7e1f"
NEW_PASSWORD = "Leak-Canary-Rotated-9b2c"
TOKEN = "leak-canary-token-5d80a1c94e"


async def _every_value(app: FastAPI) -> str:
    """Every value of every row of every table, as one string."""
    async with app.state.store.engine.connect() as connection:
        names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        dumped = []
        for name in names:
            rows = (await connection.execute(sa.text(f'SELECT * FROM "{name}"'))).all()
            dumped.extend(repr(tuple(row)) for row in rows)
    return "\n".join(dumped)


async def test_an_okta_flow_leaves_no_password_or_token_behind(
    app: FastAPI, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    transcript = json.loads(OKTA.read_text().replace("1mz050nq", PASSWORD))
    await app.state.store.create_token("okta", digest(TOKEN), "default")
    with caplog.at_level(logging.DEBUG):
        async with client_for(app, headers={"Authorization": f"Bearer {TOKEN}"}) as okta:
            await replay(okta, "/scim/v2", transcript)
            found = await okta.get("/scim/v2/Users", params={"filter": 'userName sw "test"'})
            user_id = found.json()["Resources"][0]["id"]
            sync = patch_payload({"op": "replace", "value": {"password": NEW_PASSWORD}})
            assert (await okta.patch(f"/scim/v2/Users/{user_id}", json=sync)).status_code == 200
            await okta.get("/scim/v2/Users/nope", headers={"Authorization": f"Bearer {TOKEN}x"})
        await app.state.request_log.flush()
        await app.state.runtime.authenticator.close()
    stored = await _every_value(app)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    logged += "".join(capfd.readouterr())
    assert '"password":"[redacted]"' in stored  # the request log kept the create, redacted
    for secret in (PASSWORD, NEW_PASSWORD, TOKEN):
        assert secret not in stored
        assert secret not in logged
