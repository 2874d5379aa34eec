"""Alembic's migrations and the SQLModel tables describe the same schema."""

from __future__ import annotations

from app.storage.migrations import check


def test_migrations_match_the_models(database_url: str) -> None:
    check(database_url)
