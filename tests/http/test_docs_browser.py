"""/docs in headless Chromium: served offline, Authorize takes a bearer token, Try it out works,
the SCIM schemas are drawn and the shown example creates a user.

Identity infrastructure often runs without internet access; FastAPI's default /docs page loads
Swagger UI from a CDN and renders blank there. This drives the real page in Debian's chromium
(Playwright's own browser download does not work here) against a live server and watches every
request the page makes. Locally the test skips when chromium is absent; in CI (CI=true) a
missing chromium is a failure, never a skip (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Request, sync_playwright

from tests.live import LiveServer

CHROMIUM = os.environ.get("SCIM_TEST_CHROMIUM") or "/usr/bin/chromium"
TIMEOUT_MS = 30_000


def _chromium() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"headless Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _open_docs(page: Page, server: LiveServer) -> list[Request]:
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{server.origin}/docs", wait_until="networkidle")
    page.locator(".swagger-ui .info .title").wait_for()
    return requests


def _authorize(page: Page, token: str) -> None:
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(token)
    dialog.locator(".auth-btn-wrapper button.authorize").click()
    dialog.locator("button.btn-done").click()


def _try_list_users(page: Page) -> str:
    operation = page.locator("#operations-Users-list_users")
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    return status.inner_text().strip()


def test_docs_page_loads_nothing_from_outside_the_server(
    page: Page, live_server: LiveServer
) -> None:
    requests = _open_docs(page, live_server)
    urls = [r.url for r in requests]
    assert any(u.endswith("/swagger-ui-bundle.js") for u in urls), urls
    outside = [u for u in urls if not u.startswith(f"{live_server.origin}/")]
    assert not outside, f"/docs loaded from outside the server: {outside}"


def test_docs_authorize_sends_the_bearer_token_and_try_it_out_lists_users(
    page: Page, live_server: LiveServer
) -> None:
    requests = _open_docs(page, live_server)
    _authorize(page, live_server.token)
    assert _try_list_users(page) == "200"
    calls = [r for r in requests if r.url.split("?")[0].endswith("/scim/v2/Users")]
    assert calls, "Try it out sent no request to /scim/v2/Users"
    assert calls[-1].headers.get("authorization") == f"Bearer {live_server.token}"
    outside = [r.url for r in requests if not r.url.startswith(f"{live_server.origin}/")]
    assert not outside, f"/docs loaded from outside the server: {outside}"


def test_docs_try_it_out_without_authorize_gets_401(page: Page, live_server: LiveServer) -> None:
    """The 200 above is the token's doing: the same click without Authorize is refused."""
    _open_docs(page, live_server)
    assert _try_list_users(page) == "401"


def _titled(page: Page, name: str) -> Locator:
    return page.locator(".json-schema-2020-12__title", has_text=re.compile(f"^{name}$"))


def test_docs_user_schema_lists_user_name_as_a_string(page: Page, live_server: LiveServer) -> None:
    """The Schemas section draws the served User schema (OpenAPI 3.1 JSON Schema view)."""
    _open_docs(page, live_server)
    model = page.locator("section.models article[data-json-schema-level='0']")
    user = model.filter(has=_titled(page, "User")).first
    user.locator(".json-schema-2020-12-accordion").first.click()
    prop = user.locator("article[data-json-schema-level='1']").filter(has=_titled(page, "userName"))
    head = prop.first.locator(".json-schema-2020-12-head").first
    head.wait_for()
    assert head.inner_text().endswith("string")


def test_docs_try_it_out_creates_the_example_user(page: Page, live_server: LiveServer) -> None:
    """POST /Users with the example the page shows (Okta's create) answers 201."""
    _open_docs(page, live_server)
    _authorize(page, live_server.token)
    operation = page.locator("#operations-Users-create_user")
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    body = operation.locator("textarea.body-param__text")
    assert "test.user@okta.local" in body.input_value()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "201"
