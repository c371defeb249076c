"""The page passes the server's token on: taken from its URL (``/?token=...``, as relex serve
prints it), sent as a bearer token with every API call, and taken out of the address bar."""

from __future__ import annotations

from playwright.sync_api import Page, Route

from tests.web.test_static import ORIGIN, serve_web_folder


def test_the_token_in_the_page_url_goes_with_every_api_call(page: Page) -> None:
    sent: list[tuple[str, str | None]] = []

    def record(route: Route) -> None:
        if "/api/" in route.request.url:
            sent.append((route.request.url, route.request.headers.get("authorization")))
        serve_web_folder(route)

    page.route(f"{ORIGIN}/**", record)
    page.goto(f"{ORIGIN}/?token=s3cret-token")
    page.wait_for_selector("body[data-ready=true]")
    assert sent, "the page made no API call"
    assert all(header == "Bearer s3cret-token" for _, header in sent), sent
    assert "token" not in page.url
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert sent[-1][1] == "Bearer s3cret-token"
