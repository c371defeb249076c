"""The page's own files load in chromium without errors, before any data is involved."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Route

from tests.web.conftest import WEB

ORIGIN = "http://relex.test"


def serve_web_folder(route: Route) -> None:
    """A stand-in for the API: api/web's files, and an empty list for every /api call."""
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path.startswith("/api/"):
        route.fulfill(status=200, content_type="application/json", body="[]")
        return
    file = WEB / (path.lstrip("/") or "index.html")
    if not file.is_file():
        route.fulfill(status=404, body="not found")
        return
    kind = mimetypes.guess_type(file.name)[0] or "text/javascript"
    route.fulfill(status=200, content_type=kind, body=file.read_bytes())


def test_page_loads_its_modules_without_errors(
    page: Page, screenshot: Callable[[str], Path]
) -> None:
    page.route(f"{ORIGIN}/**", serve_web_folder)
    page.goto(f"{ORIGIN}/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#run option").count() == 0
    assert page.locator("#error").is_hidden()
    assert page.evaluate("Object.keys(window.relex.drawn)") == []
    screenshot("empty")
