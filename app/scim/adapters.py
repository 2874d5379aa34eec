"""A cache for the pydantic TypeAdapters scim2-models builds while it evaluates PATCH filters.

scim2-models coerces each filter operand with a new ``TypeAdapter`` for every comparison
it makes (``scim2_models.path.resolution.coerce_value``). Building one costs about 2.5 ms,
most of it pydantic's EmailStr re-reading email-validator's package metadata, so
``emails[value eq "x"]`` over a 200-entry list cost half a second per operation, and a
small PATCH body could hold the event loop for minutes. Adapters depend only on the type,
so one per type is built and kept. ``tests/scim/test_adapters.py`` fails if scim2-models
stops going through this name, so an upgrade cannot silently bring the cost back.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import scim2_models.path.resolution as resolution
from pydantic import TypeAdapter


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


def install() -> None:
    resolution.TypeAdapter = cached_adapter  # type: ignore[attr-defined,assignment]


def cache_hits() -> int:
    return _adapter_for.cache_info().hits
