"""/docs renders Swagger UI from the API's own copy (api/web/vendor, from the npm registry)
in a browser that reaches nothing but the server."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Request, expect

from tests.web.conftest import WEB

BUNDLE = WEB / "vendor" / "swagger-ui-bundle.js"


@pytest.mark.skipif(
    not BUNDLE.exists(), reason="swagger-ui-dist is not vendored (scripts/setup.sh)"
)
def test_docs_render_with_the_network_off(page: Page, server: str) -> None:
    hosts: set[str] = set()

    def seen(request: Request) -> None:
        if not request.url.startswith("data:"):
            hosts.add(urlparse(request.url).netloc)

    page.on("request", seen)
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("relevance-explorer")
    expect(page.locator(".opblock-summary-path[data-path='/api/neurons/summary']")).to_be_visible()
    assert hosts == {urlparse(server).netloc}
