"""``/docs``: Swagger UI served from the API's own copy of swagger-ui-dist (api/web/vendor, from
the npm registry), so the page renders with no network; FastAPI's default loads it from a CDN."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = "/vendor"
"""Where the web mount serves api/web/vendor."""


def install(app: FastAPI) -> None:
    """Add ``GET /docs`` (the app must be created with ``docs_url=None``)."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/favicon-32x32.png",
        )
