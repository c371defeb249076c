"""The compare view and the Cypher console against a live server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import BrowserErrors
from tests.web.data import SMALL_RUN

CLASS_A = "shapes-a/0"
CLASS_B = "shapes-a/2"


def shared_ids(page: Page, name: str) -> set[str]:
    ids: list[str] = page.evaluate(
        "(name) => window.relex.drawn[name].cy.nodes('.shared').map((n) => n.id())", name
    )
    return set(ids)


def drawn_ids(page: Page, name: str) -> set[str]:
    ids: list[str] = page.evaluate(
        "(name) => window.relex.drawn[name].cy.nodes().map((n) => n.id())", name
    )
    return set(ids)


def test_compare_view_highlights_the_shared_neurons(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    comparison = api.get(
        "/api/compare/classes",
        params={"run_a": SMALL_RUN, "class_a": CLASS_A, "run_b": SMALL_RUN, "class_b": CLASS_B},
    ).json()
    layers = {
        layer["name"]: layer["id"] for layer in api.get(f"/api/runs/{SMALL_RUN}/layers").json()
    }
    reported = {
        f"{layers[row['layer']]}/{index}" for row in comparison["layers"] for index in row["shared"]
    }
    assert reported, "the two classes share no top-k neuron: pick other classes"
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-compare")
    page.select_option("#run-a", SMALL_RUN)
    page.select_option("#run-b", SMALL_RUN)
    page.fill("#class-a", CLASS_A)
    page.fill("#class-b", CLASS_B)
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#graph-b[data-draw-ms]")
    expect(page.locator("#compare-table tbody tr")).to_have_count(len(comparison["layers"]))
    for side in ("a", "b"):
        assert shared_ids(page, side) == reported & drawn_ids(page, side)
    assert shared_ids(page, "a")
    screenshot("compare-view")


def test_console_shows_rows_for_a_match(
    page: Page, server: str, screenshot: Callable[[str], Path]
) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-console")
    page.fill(
        "#cypher",
        "MATCH (l:Layer) WHERE l.model STARTS WITH 'smallcnn64' "
        "RETURN l.name AS layer, l.`size` AS neurons ORDER BY l.`index`",
    )
    page.click("#console-form button[type=submit]")
    expect(page.locator("#console-table tbody tr")).to_have_count(9)
    expect(page.locator("#console-table th")).to_have_text(["layer", "neurons"])
    expect(page.locator("#console-table tbody tr").first).to_have_text("input3")
    assert page.locator("#console-graph").is_hidden()
    screenshot("console-table")


def test_console_draws_nodes_and_relationships(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-console")
    page.fill(
        "#cypher",
        "MATCH (a:Layer)-[r:`NEXT`]->(b:Layer) WHERE a.model STARTS WITH 'smallcnn64' "
        "RETURN a, r, b",
    )
    page.click("#console-form button[type=submit]")
    page.wait_for_selector("#console-graph[data-draw-ms]")
    assert page.locator("#console-graph").get_attribute("data-nodes") == "9"
    assert page.locator("#console-graph").get_attribute("data-edges") == "8"
    expect(page.locator("#console-table tbody tr")).to_have_count(8)


def test_console_shows_an_error_for_a_create(
    page: Page, server: str, page_errors: BrowserErrors, screenshot: Callable[[str], Path]
) -> None:
    page_errors.expect("status of 4")
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-console")
    page.fill("#cypher", "CREATE (n:Layer {id: 'x'}) RETURN n")
    page.click("#console-form button[type=submit]")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("CREATE")
    expect(page.locator("#console-table tr")).to_have_count(0)
    screenshot("console-error")


def test_unknown_class_is_a_readable_error(
    page: Page, server: str, page_errors: BrowserErrors
) -> None:
    page_errors.expect("status of 404")
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#run", SMALL_RUN)
    page.fill("#class", "shapes-a/99")
    page.click("#class-form button[type=submit]")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("shapes-a/99")
    expect(page.locator("#error")).not_to_contain_text("Traceback")


def test_server_error_is_a_readable_error(
    page: Page, server: str, page_errors: BrowserErrors
) -> None:
    page_errors.expect("status of 500")
    page.route(
        "**/api/subgraph?**",
        lambda route: route.fulfill(status=500, body="Internal Server Error"),
    )
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#run", SMALL_RUN)
    page.fill("#class", "shapes-a/1")
    page.click("#class-form button[type=submit]")
    expect(page.locator("#error")).to_have_text("Internal Server Error (HTTP 500)")
    expect(page.locator("#status")).to_have_text("")
