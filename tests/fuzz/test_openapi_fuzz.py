"""schemathesis against ``/openapi.json``: every operation, a valid token, SQLite, bounded.

No answer is a 5xx, and every answer matches the schema the document gives for it. The
examples per operation are few (``MAX_EXAMPLES``), so the run takes well under a minute;
raise ``SCIM_FUZZ_EXAMPLES`` for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from app.main import create_app
from app.settings import Settings
from tests.live import LiveServer, serve

MAX_EXAMPLES = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "20"))
ENV = {
    # The fuzzer is one busy client with a valid token: no limit should refuse it.
    "SCIM_RATE_LIMIT": "off",
    "SCIM_MAX_IN_FLIGHT_PER_TENANT": "0",
    "SCIM_AUTH_FAILURE_LIMIT": "off",
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite+aiosqlite:///{directory / 'fuzz.db'}"
    with serve(database_url, directory / "server.log", env=ENV) as server:
        yield server


def _document() -> dict[str, Any]:
    """The document the server serves at /openapi.json, built without serving it (the
    cases are generated at collection; schemathesis' ``from_fixture`` does not run on this
    pytest)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    document: dict[str, Any] = app.openapi()
    return document


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_5xx_or_off_its_schema(
    case: schemathesis.Case, fuzzed: LiveServer
) -> None:
    case.call_and_validate(
        base_url=fuzzed.origin,
        headers=fuzzed.headers,
        checks=[not_a_server_error, response_schema_conformance],
    )
