"""application/scim+json responses, serialised with orjson, with ETag and Location."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

SCIM_MEDIA_TYPE = "application/scim+json; charset=utf-8"


HARDENING = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
"""On every SCIM response: directory data is never cached, nor sniffed as another type."""


class ScimResponse(Response):
    media_type = SCIM_MEDIA_TYPE

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, status_code, {**HARDENING, **(headers or {})}, **kwargs)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def scim(
    content: Any,
    *,
    status_code: int = 200,
    etag: str | None = None,
    location: str | None = None,
    headers: dict[str, str] | None = None,
) -> ScimResponse:
    extra = dict(headers or {})
    if etag is not None:
        extra["ETag"] = etag
    if location is not None:
        extra["Location"] = location
    return ScimResponse(content, status_code=status_code, headers=extra)


def empty(status_code: int, *, etag: str | None = None) -> Response:
    """204 and 304: no body, still the SCIM media type."""
    headers = {"content-type": SCIM_MEDIA_TYPE, **HARDENING}
    if etag is not None:
        headers["ETag"] = etag
    return Response(status_code=status_code, headers=headers)


async def _with_list(
    head: dict[str, Any], key: str, batches: AsyncIterator[list[dict[str, Any]]]
) -> AsyncIterator[bytes]:
    """``head`` serialised with ``key`` holding every batch, one batch in memory at a time."""
    opening = orjson.dumps(head)
    first = True
    async for batch in batches:
        items = orjson.dumps(batch)[1:-1]
        if first:
            yield opening[:-1] + b',"' + key.encode() + b'":[' + items
            first = False
        else:
            yield b"," + items
    yield opening if first else b"]}"


def scim_streamed(
    head: dict[str, Any],
    key: str,
    batches: AsyncIterator[list[dict[str, Any]]],
    *,
    etag: str | None = None,
) -> StreamingResponse:
    """A SCIM resource whose multi-valued ``key`` is too large to build in memory."""
    headers = {**HARDENING, **({"ETag": etag} if etag is not None else {})}
    return StreamingResponse(
        _with_list(head, key, batches), media_type=SCIM_MEDIA_TYPE, headers=headers
    )
