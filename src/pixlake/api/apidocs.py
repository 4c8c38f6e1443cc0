"""The API's documentation page, ``/docs``: Swagger UI over the OpenAPI document, its script,
style sheet and icon served by this server from files installed with pixlake (the
``fastapi-offline`` package ships Swagger UI's distribution), so that the page works on a
machine that reaches no other host. ReDoc is off."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS", "DOCS_URL", "install_docs"]

DOCS_URL = "/docs"
DOCS_ASSETS = "/docs/assets"
#: Swagger UI's files, as the package installs them.
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve ``/docs`` and its assets; the application is made with ``docs_url=None``."""
    oauth2_redirect = f"{DOCS_URL}/oauth2-redirect"
    app.mount(DOCS_ASSETS, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=oauth2_redirect,
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
