"""Swagger UI served from the app itself, so /docs works where no CDN is reachable.

FastAPI's default /docs page loads Swagger UI from a CDN; identity infrastructure often runs
without internet access, where that page stays blank. The assets come from the
``fastapi-offline`` package (a maintained bundle of swagger-ui-dist), served under
``/docs/assets``; the page references nothing outside the server (no online validator badge,
no external favicon).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS = Path(str(files("fastapi_offline") / "static"))

# validatorUrl None: Swagger UI would otherwise send the spec to validator.swagger.io.
UI_PARAMETERS = {"validatorUrl": None, "tryItOutEnabled": False, "persistAuthorization": False}


def install(app: FastAPI) -> None:
    """Mount the bundled assets, /docs and /redoc (create the app with both URLs None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API documentation",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters=UI_PARAMETERS,
        )

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
