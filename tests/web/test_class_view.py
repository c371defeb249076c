"""The class view against a live server: the layered drawing, the neuron panel's heatmap, the
selection panel, and the 2,000-element graph."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from tests.web.conftest import BrowserErrors
from tests.web.data import SMALL_RUN, WIDE_CLASS, WIDE_ELEMENTS, WIDE_RUN

CLASS = "shapes-a/1"


def open_class(
    page: Page, server: str, run: str, class_id: str, max_nodes: int = 500, against: bool = False
) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    if against:
        page.check("#paths-against")
    page.select_option("#run", run)
    page.fill("#class", class_id)
    page.fill("#max-nodes", str(max_nodes))
    page.click("#class-form button[type=submit]")
    page.wait_for_selector("#graph[data-draw-ms]")
    page.wait_for_selector("#image option", state="attached")


def drawn(page: Page, name: str) -> dict[str, Any]:
    """Node ids with positions, edge ids, and classes, of one drawing on the page."""
    result: dict[str, Any] = page.evaluate(
        """(name) => {
            const cy = window.relex.drawn[name].cy;
            return {
                nodes: cy.nodes().map((n) => ({id: n.id(), layer: n.data("layer"),
                                               depth: n.data("layer_depth"),
                                               x: n.position("x"), classes: n.classes()})),
                edges: cy.edges().map((e) => e.id()),
            };
        }""",
        name,
    )
    return result


def png_of(page: Page, selector: str) -> Image.Image:
    """The image an <img> shows, fetched again inside the page and decoded here."""
    page.wait_for_function(
        "(s) => { const img = document.querySelector(s);"
        " return img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0; }",
        arg=selector,
    )
    encoded = page.evaluate(
        """async (s) => {
            const blob = await (await fetch(document.querySelector(s).src)).blob();
            const bytes = new Uint8Array(await blob.arrayBuffer());
            let text = "";
            for (const b of bytes) text += String.fromCharCode(b);
            return btoa(text);
        }""",
        selector,
    )
    return Image.open(io.BytesIO(base64.b64decode(encoded)))


def click_a_neuron(page: Page) -> str:
    """Click (with the mouse) the most relevant drawn neuron above the input; its id."""
    target = page.evaluate(
        """() => {
            const cy = window.relex.drawn.class.cy;
            const node = cy.nodes().filter((n) => n.data("layer_depth") > 0)
                .sort((a, b) => Math.abs(b.data("relevance")) - Math.abs(a.data("relevance")))[0];
            cy.center(node);
            const box = cy.container().getBoundingClientRect();
            const at = node.renderedPosition();
            return {id: node.id(), x: box.left + at.x, y: box.top + at.y};
        }"""
    )
    page.mouse.click(target["x"], target["y"])
    return str(target["id"])


def test_class_graph_is_drawn_in_layer_columns(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    expected = api.get(
        "/api/subgraph",
        params={"run": SMALL_RUN, "class_id": CLASS, "up": 0, "down": 20, "max_nodes": 500},
    ).json()["elements"]
    paths = api.get(
        "/api/critical-paths", params={"run": SMALL_RUN, "class_id": CLASS, "k": 5}
    ).json()
    open_class(page, server, SMALL_RUN, CLASS)
    graph = drawn(page, "class")
    assert sorted(n["id"] for n in graph["nodes"]) == sorted(
        n["data"]["id"] for n in expected["nodes"]
    )
    assert len(graph["edges"]) == len(expected["edges"])
    assert page.locator("#graph").get_attribute("data-nodes") == str(len(expected["nodes"]))
    # Columns from input to output: a deeper layer always lies further right.
    by_depth: dict[int, set[float]] = {}
    for node in graph["nodes"]:
        by_depth.setdefault(node["depth"], set()).add(node["x"])
    columns = [by_depth[d] for d in sorted(by_depth)]
    assert all(len(xs) == 1 for xs in columns)
    assert [next(iter(xs)) for xs in columns] == sorted(next(iter(xs)) for xs in columns)
    # The input is the leftmost column and the output layer the rightmost.
    leftmost = min(graph["nodes"], key=lambda node: node["x"])
    rightmost = max(graph["nodes"], key=lambda node: node["x"])
    assert leftmost["layer"] == "input"
    assert rightmost["layer"] == paths["source"].split("/")[-2]
    on_paths = {n for path in paths["paths"] for n in path["neurons"]}
    highlighted = {n["id"] for n in graph["nodes"] if "path" in n["classes"]}
    assert highlighted == on_paths & {n["id"] for n in graph["nodes"]}
    assert highlighted
    screenshot("class-view")


def test_layer_filter_hides_a_layer(page: Page, server: str) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    first = page.locator("#layer-filter input").first
    layer = first.get_attribute("value")
    first.uncheck()
    # Cytoscape applies the style on its next frame: wait for it (fails after the timeout).
    page.wait_for_function(
        "(layer) => window.relex.drawn.class.cy.nodes().filter("
        "(n) => n.data('layer') === layer).every((n) => !n.visible())",
        arg=layer,
        timeout=10_000,
    )
    others_shown = page.evaluate(
        "(layer) => window.relex.drawn.class.cy.nodes().filter("
        "(n) => n.data('layer') !== layer).every((n) => n.visible())",
        layer,
    )
    assert others_shown


def test_clicking_a_neuron_shows_its_detail_and_heatmap(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    neuron = click_a_neuron(page)
    expect(page.locator("#neuron-title")).to_have_text(neuron)
    detail = api.get("/api/neurons/detail", params={"run": SMALL_RUN, "neuron": neuron}).json()
    expect(page.locator("#neuron-classes tbody tr")).to_have_count(len(detail["classes"]))
    heatmap = png_of(page, "#neuron-heatmap")
    assert heatmap.format == "PNG"
    assert heatmap.width > 0 and heatmap.height > 0
    assert len(set(heatmap.convert("RGB").get_flattened_data())) > 1
    png_of(page, "#neuron-deconv")
    screenshot("neuron-panel")


def test_selected_neurons_get_a_subgraph_heatmap_with_scores(
    page: Page, server: str, screenshot: Callable[[str], Path]
) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    page.evaluate("() => { window.relex.drawn.class.cy.nodes('.path').select(); }")
    selected = page.locator("#selection li").count()
    assert selected > 1
    page.click("#explain")
    page.wait_for_selector("#full-heatmap[data-painted]")
    for canvas in ("#subgraph-heatmap", "#full-heatmap"):
        assert int(page.locator(canvas).get_attribute("data-painted") or 0) > 0
    expect(page.locator("#explanation-scores")).to_contain_text("MSE")
    expect(page.locator("#explanation-scores")).to_contain_text(f"{selected} neurons")
    page.fill("#threshold", "1e9")  # any k meets it: the smallest k is chosen
    page.click("#optimise")
    page.wait_for_selector("#curve svg circle.chosen")
    expect(page.locator("#curve-note")).to_contain_text("k = ")
    expect(page.locator("#status")).to_have_text("", timeout=60_000)  # the refreshed heatmaps
    screenshot("subgraph-explanation")


def test_two_thousand_elements_render_and_stay_responsive(
    page: Page,
    server: str,
    page_errors: BrowserErrors,
    screenshot: Callable[[str], Path],
    record_property: Any,
) -> None:
    page_errors.expect("status of 422")  # the wide run's model cannot be loaded for renders
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#run", WIDE_RUN)
    page.fill("#class", WIDE_CLASS)
    page.fill("#max-nodes", "3000")
    page.fill("#paths-k", "0")
    started = page.evaluate("() => performance.now()")
    page.click("#class-form button[type=submit]")
    page.wait_for_selector("#graph[data-draw-ms]")
    total_ms = page.evaluate("() => performance.now()") - started
    draw_ms = float(page.locator("#graph").get_attribute("data-draw-ms") or "nan")
    graph = drawn(page, "class")
    assert len(graph["nodes"]) + len(graph["edges"]) == WIDE_ELEMENTS
    # Responsive: a zoom redraws (the milliseconds until its frame) and a click still answers.
    zoom_ms = page.evaluate(
        """() => new Promise((done) => {
            const cy = window.relex.drawn.class.cy;
            const started = performance.now();
            cy.one("render", () => done(performance.now() - started));
            cy.zoom({level: cy.zoom() * 2, renderedPosition: {x: 400, y: 300}});
        })"""
    )
    click_a_neuron(page)
    expect(page.locator("#neuron-title")).not_to_be_empty()
    expect(page.locator("#images-note")).to_contain_text("no renders for this run")
    record_property("first_render_ms", round(total_ms, 1))
    record_property("draw_ms", round(draw_ms, 1))
    record_property("zoom_ms", round(zoom_ms, 1))
    print(  # the figure the README reports (run with -s to see it)
        f"\n{WIDE_ELEMENTS:,} elements: {total_ms:.0f} ms from click to first frame "
        f"(cytoscape alone {draw_ms:.0f} ms), a zoom redraws in {zoom_ms:.0f} ms"
    )
    screenshot("two-thousand-elements")


def test_one_click_on_a_path_selects_the_whole_path_and_counter_evidence_shows_on_request(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    found = {
        sign: api.get(
            "/api/critical-paths",
            params={"run": SMALL_RUN, "class_id": CLASS, "k": 5, "sign": sign},
        ).json()["paths"]
        for sign in ("positive", "negative")
    }
    open_class(page, server, SMALL_RUN, CLASS, against=True)
    graph = drawn(page, "class")
    shown = {n["id"] for n in graph["nodes"]}
    against = {n["id"] for n in graph["nodes"] if "against" in n["classes"]}
    assert against == {n for path in found["negative"] for n in path["neurons"]} & shown
    rows = page.locator("#paths-table tbody tr")
    expect(rows).to_have_count(len(found["positive"]) + len(found["negative"]))
    path = (found["positive"] or found["negative"])[0]
    # Click the middle of the path's second edge with the mouse.
    target = page.evaluate(
        """([a, b]) => {
            const cy = window.relex.drawn.class.cy;
            const edge = cy.getElementById(a).edgesTo(cy.getElementById(b))[0];
            cy.center(edge);
            const box = cy.container().getBoundingClientRect();
            const at = edge.renderedMidpoint();
            return {x: box.left + at.x, y: box.top + at.y};
        }""",
        path["neurons"][1:3],
    )
    page.mouse.click(target["x"], target["y"])
    selected = page.evaluate(
        "() => window.relex.drawn.class.cy.$('node:selected').map((n) => n.id())"
    )
    assert sorted(selected) == sorted(path["neurons"])
    expect(page.locator("#paths-table tbody tr.chosen")).to_have_count(1)
    expect(page.locator("#paths-table tbody tr").first).to_contain_text(f"{path['score']:.3g}"[:4])
    screenshot("critical-paths")
