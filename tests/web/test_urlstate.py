"""The URL holds the view (run, class, thresholds, selected neurons, tab): opening it again
restores the same view."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import VIEWPORT
from tests.web.data import SMALL_RUN
from tests.web.test_class_view import CLASS, drawn, open_class


def state_of(page: Page) -> dict[str, object]:
    """What the class view shows: its nodes, the selected ones, the inputs and the tab."""
    graph = drawn(page, "class")
    return {
        "nodes": sorted(n["id"] for n in graph["nodes"]),
        "selected": sorted(
            page.evaluate("() => window.relex.drawn.class.cy.$('node:selected').map((n) => n.id())")
        ),
        "inputs": {
            field: page.input_value(field)
            for field in ("#run", "#class", "#min-share", "#max-nodes", "#paths-k", "#threshold")
        },
        "against": page.is_checked("#paths-against"),
        "title": page.locator("#class-title").inner_text(),
    }


def test_the_url_restores_the_view(page: Page, server: str, browser: Browser) -> None:
    open_class(page, server, SMALL_RUN, CLASS, against=True)
    page.fill("#min-share", "0.01")
    page.fill("#threshold", "0.5")
    page.dispatch_event("#threshold", "change")
    page.evaluate("() => { window.shownBefore = window.relex.drawn.class.cy; }")
    page.click("#class-form button[type=submit]")
    page.wait_for_function(
        "() => window.relex.drawn.class && window.relex.drawn.class.cy !== window.shownBefore"
        " && window.relex.drawn.class.drawMs !== null"
    )
    page.evaluate(
        "() => window.relex.drawn.class.cy.nodes().filter((n) => n.data('layer_depth') === 2)"
        ".slice(0, 2).select()"
    )
    page.wait_for_function("() => new URLSearchParams(location.search).has('neurons')")
    wanted = state_of(page)
    assert len(wanted["selected"]) == 2  # type: ignore[arg-type]
    url = page.url
    query = parse_qs(urlparse(url).query)
    assert query["run"] == [SMALL_RUN]
    assert query["class"] == [CLASS]
    assert query["against"] == ["1"]
    assert query["threshold"] == ["0.5"]
    assert sorted(query["neurons"][0].split(",")) == sorted(
        "/".join(n.split("/")[-2:])
        for n in wanted["selected"]  # type: ignore[attr-defined]
    )
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    try:
        other = context.new_page()
        other.goto(url)
        other.wait_for_selector("body[data-ready=true]")
        other.wait_for_selector("#graph[data-draw-ms]")
        assert state_of(other) == wanted
        expect(other.locator("#neuron-title")).to_have_text(wanted["selected"][-1])  # type: ignore[index]
        assert other.url == url
    finally:
        context.close()


def test_the_url_keeps_the_tab(page: Page, server: str) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    page.click("#tab-console")
    page.wait_for_function("() => new URLSearchParams(location.search).get('tab') === 'console'")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#class-view")).to_be_hidden()
    expect(page.locator("#tab-console")).to_have_attribute("aria-selected", "true")
