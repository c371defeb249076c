"""The compare view's aligned panes and linked selection, the Cypher console's property panel, and
the error banner clearing on a tab change, against a live server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import BrowserErrors
from tests.web.data import SMALL_RUN

CLASS_A = "shapes-a/0"
CLASS_B = "shapes-a/2"
SCREEN_SIZES = ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080})
NEXT_QUERY = (
    "MATCH (a:Layer)-[r:`NEXT`]->(b:Layer) WHERE a.model STARTS WITH 'smallcnn64' RETURN a, r, b"
)


def open_compare(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-compare")
    page.select_option("#run-a", SMALL_RUN)
    page.select_option("#run-b", SMALL_RUN)
    page.fill("#class-a", CLASS_A)
    page.fill("#class-b", CLASS_B)
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#graph-b[data-draw-ms]")


def nodes(page: Page, name: str) -> dict[str, dict[str, Any]]:
    """Each drawn neuron of one pane by layer/index: position, size, selection, shared."""
    found: list[dict[str, Any]] = page.evaluate(
        """(name) => window.relex.drawn[name].cy.nodes().map((n) => ({
            place: `${n.data("layer")}/${n.data("index")}`, x: n.position("x"),
            y: n.position("y"), size: n.data("size"), width: n.width(),
            selected: n.selected(), shared: n.hasClass("shared")}))""",
        name,
    )
    return {node["place"]: node for node in found}


def test_compare_panes_are_labelled_aligned_and_select_together(
    page: Page, server: str, screenshot: Callable[[str], Path]
) -> None:
    open_compare(page, server)
    expect(page.locator("#title-a")).to_have_text(f"A: {CLASS_A} ({SMALL_RUN})")
    expect(page.locator("#title-b")).to_have_text(f"B: {CLASS_B} ({SMALL_RUN})")
    a, b = nodes(page, "a"), nodes(page, "b")
    both = a.keys() & b.keys()
    assert both
    for place in both:
        assert (a[place]["x"], a[place]["y"]) == (b[place]["x"], b[place]["y"])
    # ... and on screen: one viewport for both panes.
    views = page.evaluate(
        "() => ['a', 'b'].map((s) => { const cy = window.relex.drawn[s].cy;"
        " return [cy.zoom(), cy.pan().x, cy.pan().y]; })"
    )
    assert views[0] == views[1]
    # No two neurons of a pane share a place, and the panes' places never collide either.
    everything = {**a, **b}
    assert len({(n["x"], n["y"]) for n in everything.values()}) == len(everything)
    # Shared neurons keep their size by relevance.
    shared = [n for n in a.values() if n["shared"]]
    assert shared and all(n["width"] == n["size"] for n in shared)
    assert len({n["width"] for n in shared}) > 1
    # A mouse click on a neuron of pane A selects it in both panes.
    place = sorted(both, key=lambda p: -a[p]["size"])[0]
    target = page.evaluate(
        """(place) => {
            const cy = window.relex.drawn.a.cy;
            const node = cy.nodes()
                .filter((n) => `${n.data("layer")}/${n.data("index")}` === place)[0];
            cy.center(node);
            const box = cy.container().getBoundingClientRect();
            const at = node.renderedPosition();
            return {x: box.left + at.x, y: box.top + at.y};
        }""",
        place,
    )
    # Centring the neuron in pane A moved pane B alike.
    views = page.evaluate(
        "() => ['a', 'b'].map((s) => { const cy = window.relex.drawn[s].cy;"
        " return [cy.zoom(), cy.pan().x, cy.pan().y]; })"
    )
    assert views[0] == views[1]
    page.mouse.click(target["x"], target["y"])
    expect(page.locator("#compare-selected")).to_have_attribute("data-place", place)
    for side in ("a", "b"):
        selected = [p for p, n in nodes(page, side).items() if n["selected"]]
        assert selected == [place]
    for size in SCREEN_SIZES:
        page.set_viewport_size(size)  # type: ignore[arg-type]
        page.evaluate(
            "() => { window.relex.drawn.b.cy.resize();"
            " window.relex.drawn.a.cy.resize().fit(undefined, 40); }"
        )
        screenshot(f"compare-{size['width']}x{size['height']}")


def click_element(page: Page, element_id: str | None = None) -> None:
    """Click, with the mouse, the console graph's element ``element_id`` (None: its first edge)."""
    target = page.evaluate(
        """(id) => {
            const cy = window.relex.drawn.console.cy;
            const element = id === null ? cy.edges()[0] : cy.getElementById(id);
            const box = cy.container().getBoundingClientRect();
            const at = element.isNode() ? element.renderedPosition() : element.renderedMidpoint();
            return {x: box.left + at.x, y: box.top + at.y};
        }""",
        element_id,
    )
    page.mouse.click(target["x"], target["y"])


def test_console_graph_shows_the_properties_of_a_clicked_node_or_edge(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    answer = api.post("/api/cypher", json={"query": NEXT_QUERY, "params": {}}).json()
    first_node = answer["rows"][0][0]
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-console")
    page.fill("#cypher", NEXT_QUERY)
    page.click("#console-form button[type=submit]")
    page.wait_for_selector("#console-graph[data-draw-ms]")
    panel = page.locator("#console-properties")
    assert panel.is_hidden()
    node_id = page.evaluate(
        "(wanted) => window.relex.drawn.console.cy.nodes()"
        ".filter((n) => n.data('properties').id === wanted)[0].id()",
        first_node["id"],
    )
    click_element(page, node_id)
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-kind", "node")
    expect(panel.locator("h3")).to_have_text(f"node :{first_node['_label']}")
    terms = panel.locator("dt").all_text_contents()
    assert set(terms) == {name for name in first_node if not name.startswith("_")}
    expect(panel.locator("dd").nth(terms.index("name"))).to_have_text(first_node["name"])
    click_element(page)
    expect(panel).to_have_attribute("data-kind", "relationship")
    expect(panel.locator("h3")).to_contain_text("relationship :NEXT")
    expect(panel.locator("dt")).to_have_text(["from", "to"])
    ends = page.evaluate(
        "() => { const e = window.relex.drawn.console.cy.edges()[0];"
        " return [e.source().data('properties').id, e.target().data('properties').id]; }"
    )
    expect(panel.locator("dd")).to_have_text(ends)
    pairs = {(row[0]["id"], row[2]["id"]) for row in answer["rows"]}
    assert tuple(ends) in pairs
    screenshot("console-properties")


def test_error_banner_clears_when_the_tab_changes(
    page: Page, server: str, page_errors: BrowserErrors
) -> None:
    page_errors.expect("status of 4")
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-console")
    page.fill("#cypher", "CREATE (n:Layer {id: 'x'}) RETURN n")
    page.click("#console-form button[type=submit]")
    expect(page.locator("#error")).to_be_visible()
    page.click("#tab-class")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#error")).to_have_text("")
