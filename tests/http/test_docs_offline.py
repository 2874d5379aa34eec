"""/docs and /redoc reference only the server's own assets (no CDN), through the ASGI stack.

The headless-browser test (test_docs_browser.py) proves the page works; these check the
HTML and the bundled assets without a browser, so they run everywhere.
"""

from __future__ import annotations

import re

import httpx
import pytest

_URL_ATTRIBUTES = re.compile(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_references_only_local_urls(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = _URL_ATTRIBUTES.findall(response.text)
    assert urls, response.text
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"])
async def test_docs_assets_are_served_by_the_app(client: httpx.AsyncClient, asset: str) -> None:
    response = await client.get(f"/docs/assets/{asset}")
    assert response.status_code == 200
    assert len(response.content) > 10_000


async def test_docs_disable_the_online_validator(client: httpx.AsyncClient) -> None:
    """Swagger UI would otherwise post the spec to validator.swagger.io."""
    response = await client.get("/docs")
    assert '"validatorUrl": null' in response.text
