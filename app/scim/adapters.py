"""Caches for pure validation work pydantic and scim2-models redo on every request.

**TypeAdapters.**
scim2-models coerces each filter operand with a new ``TypeAdapter`` for every comparison
it makes (``scim2_models.path.resolution.coerce_value``). Building one costs about 2.5 ms,
most of it pydantic's EmailStr re-reading email-validator's package metadata, so
``emails[value eq "x"]`` over a 200-entry list cost half a second per operation, and a
small PATCH body could hold the event loop for minutes. Adapters depend only on the type,
so one per type is built and kept. ``tests/scim/test_adapters.py`` fails if scim2-models
stops going through this name, so an upgrade cannot silently bring the cost back.

**E-mail addresses.** pydantic's ``EmailStr`` runs email-validator on every address of
every validation (syntax, IDNA, normalisation: about 50 µs each), and a PATCH validates a
user's addresses several times. The result depends only on the string, so accepted
addresses are remembered (refused ones raise, and are not). A stored document was
validated when it was written, so reading it back as a model (PATCH, PUT) inside
``stored_emails()`` takes its addresses as they are: a directory larger than the cache
would otherwise validate every address again on every PATCH.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import pydantic.networks as networks
import scim2_models.path.resolution as resolution
from pydantic import TypeAdapter

_validate_email = networks.validate_email


@lru_cache(maxsize=512)
def _adapter_for(annotated_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotated_type)


def cached_adapter(annotated_type: Any, *args: Any, **kwargs: Any) -> TypeAdapter[Any]:
    """``TypeAdapter(annotated_type)``, built once per type (config arguments bypass it)."""
    if args or kwargs:
        return TypeAdapter(annotated_type, *args, **kwargs)
    try:
        return _adapter_for(annotated_type)
    except TypeError:  # an unhashable type annotation
        return TypeAdapter(annotated_type)


_stored = ContextVar("stored_emails", default=False)


@contextmanager
def stored_emails() -> Iterator[None]:
    """Addresses validated in this block come from stored documents, validated before."""
    token = _stored.set(True)
    try:
        yield
    finally:
        _stored.reset(token)


def cached_email(value: str) -> tuple[str, str]:
    """pydantic's ``validate_email``: remembered for addresses it accepts, skipped for
    stored ones."""
    if _stored.get():
        return value, value
    return _remembered_email(value)


@lru_cache(maxsize=8192)
def _remembered_email(value: str) -> tuple[str, str]:
    return _validate_email(value)


def install() -> None:
    resolution.TypeAdapter = cached_adapter  # type: ignore[attr-defined,assignment]
    networks.validate_email = cached_email


def cache_hits() -> int:
    return _adapter_for.cache_info().hits


def email_cache_hits() -> int:
    return _remembered_email.cache_info().hits
