"""The class view explains itself: a legend, layer headers and a title; labels readable at fit
zoom; a tooltip with a neuron's numbers on hover; no stale graph after a failed Show; and the
neuron panel's reference images of the class, with placeholders, growing with the window."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.web.conftest import BrowserErrors
from tests.web.data import SMALL_RUN
from tests.web.test_class_view import CLASS, click_a_neuron, drawn, open_class


def hover_top_neuron(page: Page) -> str:
    """Move the mouse onto the most relevant neuron of the middle layer; its id."""
    target = page.evaluate(
        """() => {
            const cy = window.relex.drawn.class.cy;
            const depths = [...new Set(cy.nodes().map((n) => n.data("layer_depth")))]
                .sort((a, b) => a - b);
            const middle = depths[Math.floor(depths.length / 2)];
            const node = cy.nodes().filter((n) => n.data("layer_depth") === middle)
                .sort((a, b) => Math.abs(b.data("relevance")) - Math.abs(a.data("relevance")))[0];
            const box = cy.container().getBoundingClientRect();
            const at = node.renderedPosition();
            return {id: node.id(), x: box.left + at.x, y: box.top + at.y};
        }"""
    )
    page.mouse.move(target["x"] - 30, target["y"] - 30)
    page.mouse.move(target["x"], target["y"])
    return str(target["id"])


def class_images(api: httpx.Client) -> set[str]:
    """The ids of CLASS's images."""
    found = api.get(f"/api/runs/{SMALL_RUN}/images", params={"class_id": CLASS}).json()
    return {image["id"] for image in found}


def test_legend_layer_headers_and_title(page: Page, server: str, api: httpx.Client) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    legend = page.locator("#legend")
    expect(legend).to_be_visible()
    for word in ("size", "colour", "border", "skips layers"):
        expect(legend).to_contain_text(word)
    graph = drawn(page, "class")
    layers = [layer["name"] for layer in api.get(f"/api/runs/{SMALL_RUN}/layers").json()]
    present = [name for name in layers if any(n["layer"] == name for n in graph["nodes"])]
    expect(page.locator("#graph-headers .column-header")).to_have_text(present)
    # Each header sits over its column (within a few pixels of the nodes' rendered x).
    centres = page.evaluate(
        """() => {
            const cy = window.relex.drawn.class.cy;
            const box = cy.container().getBoundingClientRect();
            const headers = [...document.querySelectorAll("#graph-headers .column-header")];
            return headers.map((h) => {
                const r = h.getBoundingClientRect();
                const layer = h.textContent;
                const node = cy.nodes().filter((n) => n.data("layer") === layer)[0];
                return [r.left + r.width / 2, box.left + node.renderedPosition("x")];
            });
        }"""
    )
    assert all(abs(header - node) < 3 for header, node in centres)
    (info,) = [c for c in api.get(f"/api/runs/{SMALL_RUN}/classes").json() if c["id"] == CLASS]
    title = page.locator("#class-title")
    expect(title).to_contain_text(CLASS)
    expect(title).to_contain_text(info["name"])
    expect(title).to_contain_text(f"run {SMALL_RUN}")
    expect(title).to_contain_text(f"{info['images']} images")


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_labels_are_readable_at_fit_zoom(page: Page, server: str, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_class(page, server, SMALL_RUN, CLASS)
    labels: list[dict[str, Any]] = page.evaluate(
        """() => {
            const cy = window.relex.drawn.class.cy;
            return cy.nodes().map((n) => ({layer: n.data("layer"), y: n.renderedPosition("y"),
                label: n.style("label"), px: parseFloat(n.style("font-size")) * cy.zoom(),
                short: `${n.data("layer")}/${n.data("index")}`}));
        }"""
    )
    shown = [label for label in labels if label["label"]]
    assert {label["layer"] for label in shown} == {label["layer"] for label in labels}
    assert all(label["px"] >= 10 for label in shown)
    assert all(label["label"] == label["short"] for label in shown)
    assert all(label["short"].count("/") == 1 for label in shown)
    for layer in {label["layer"] for label in shown}:
        ys = sorted(label["y"] for label in shown if label["layer"] == layer)
        assert all(b - a >= shown[0]["px"] for a, b in itertools.pairwise(ys))


def test_hover_shows_a_tooltip_with_the_neurons_numbers(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    neuron = hover_top_neuron(page)
    tip = page.locator("#graph-tooltip")
    expect(tip).to_be_visible()
    page.wait_for_selector("#graph-tooltip[data-ready=true]")
    expect(tip).to_contain_text(neuron)
    layer = neuron.split("/")[-2]
    ranked = api.get(
        "/api/top-neurons",
        params={"run": SMALL_RUN, "class_id": CLASS, "layer": layer, "k": 1000},
    ).json()
    (mine,) = [row for row in ranked if row["id"] == neuron]
    total = sum(row["relevance"] for row in ranked)
    field = lambda name: tip.locator(f"dd[data-field={name}]")  # noqa: E731
    expect(field("rank")).to_contain_text(f"{mine['rank']} of {len(ranked)} in {layer}")
    expect(field("share")).to_contain_text(f"{100 * mine['relevance'] / total:.1f} %")
    expect(field("retained")).to_contain_text(f"{100 * mine['retained']:.1f} %")
    expect(field("relevance")).to_contain_text("summed over")
    # The thumbnail: the class's image where the neuron is most relevant.
    detail = api.get(
        "/api/neurons/detail", params={"run": SMALL_RUN, "neuron": neuron, "k": 1000}
    ).json()
    ours = class_images(api)
    top = next(image["image"] for image in detail["images"] if image["image"] in ours)
    thumb = tip.locator(".thumbnail img")
    expect(thumb).to_have_attribute("alt", f"top image {top}")
    page.wait_for_function(
        "() => { const i = document.querySelector('#graph-tooltip .thumbnail img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    screenshot("class-view-tooltip-1280x800")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.click("#fit")
    hover_top_neuron(page)
    page.wait_for_selector("#graph-tooltip[data-ready=true]")
    page.wait_for_function(
        "() => { const i = document.querySelector('#graph-tooltip .thumbnail img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    screenshot("class-view-tooltip-1920x1080")
    page.mouse.move(2, 2)  # off the graph
    expect(tip).to_be_hidden()


def test_a_failed_show_leaves_no_graph_under_the_new_name(
    page: Page, server: str, page_errors: BrowserErrors
) -> None:
    page_errors.expect("status of 404")
    open_class(page, server, SMALL_RUN, CLASS)
    page.fill("#class", "no-such-class")
    page.click("#class-form button[type=submit]")
    expect(page.locator("#error")).to_contain_text("no-such-class")
    expect(page.locator("#class-title")).to_be_hidden()
    expect(page.locator("#graph-headers .column-header")).to_have_count(0)
    assert page.locator("#graph").get_attribute("data-nodes") is None
    assert page.evaluate("() => window.relex.drawn.class === undefined")
    assert page.locator("#graph canvas").count() == 0
    expect(page.locator("#paths-panel")).to_be_hidden()


def test_neuron_panel_shows_the_class_references_with_placeholders_then_all_classes(
    page: Page, server: str, api: httpx.Client
) -> None:
    asked: list[str] = []
    held: list[Route] = []

    def hold(route: Route) -> None:
        asked.append(route.request.url)
        held.append(route)

    page.route("**/api/neurons/references?*", hold)
    open_class(page, server, SMALL_RUN, CLASS)
    neuron = click_a_neuron(page)
    # While the answer is held back, grey placeholders stand where the pictures will be.
    expect(page.locator("#references-relevance .placeholder")).to_have_count(4)
    expect(page.locator("#references-scope")).to_have_text(f"class {CLASS}")
    while not held:
        page.wait_for_timeout(50)
    assert "class_id=" in asked[-1]
    held.pop().continue_()
    page.unroute("**/api/neurons/references?*")
    expect(page.locator("#references-relevance .placeholder")).to_have_count(0)
    ours = class_images(api)
    shown = page.locator("#references-relevance img").evaluate_all("(all) => all.map((i) => i.alt)")
    assert shown and set(shown) <= ours
    # No broken-image icons anywhere in the panel: every picture loaded or is a placeholder.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#neuron-panel img[src]')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    with page.expect_response(lambda r: "/api/neurons/references" in r.url) as answer:
        page.check("#references-all")
    assert "class_id" not in answer.value.url
    expect(page.locator("#references-scope")).to_have_text("all classes")
    everywhere = api.get(
        "/api/neurons/references", params={"run": SMALL_RUN, "neuron": neuron, "k": 4}
    ).json()
    expect(page.locator("#references-relevance img")).to_have_count(len(everywhere["by_relevance"]))


def test_neuron_pictures_grow_with_the_window(page: Page, server: str) -> None:
    widths = []
    for size in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        open_class(page, server, SMALL_RUN, CLASS)
        click_a_neuron(page)
        page.wait_for_function(
            "() => { const i = document.querySelector('#neuron-heatmap');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        widths.append(page.locator("#neuron-heatmap").bounding_box()["width"])  # type: ignore[index]
    assert widths[0] > 112
    assert widths[1] > widths[0] * 1.3
