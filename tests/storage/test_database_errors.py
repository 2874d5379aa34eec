"""How a database error reaches the SCIM layer: retryable ones are 503, bad data is 400."""

from __future__ import annotations

import pytest
from scim2_models import InvalidValueException
from sqlalchemy.exc import DBAPIError

from app.scim.errors import ServiceUnavailableException
from app.storage.repository import database_errors


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _raised(sqlstate: str) -> DBAPIError:
    return DBAPIError("UPDATE resources ...", {}, _DriverError(sqlstate))


@pytest.mark.parametrize("sqlstate", ["57014", "40P01", "40001", "55P03", "53300"])
async def test_retryable_postgresql_errors_are_503(sqlstate: str) -> None:
    with pytest.raises(ServiceUnavailableException):
        async with database_errors():
            raise _raised(sqlstate)


@pytest.mark.parametrize("sqlstate", ["22001", "22021", "22P05"])
async def test_data_exceptions_are_400_invalid_value(sqlstate: str) -> None:
    with pytest.raises(InvalidValueException):
        async with database_errors():
            raise _raised(sqlstate)


async def test_other_statement_errors_stay_internal() -> None:
    with pytest.raises(DBAPIError):
        async with database_errors():
            raise _raised("42P01")
