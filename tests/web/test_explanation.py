"""The explanation, the selection curve and the working set against a live server: the page's
numbers and pixels are checked against the API's own answers, recomputed with numpy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.web.data import SMALL_RUN
from tests.web.test_class_view import open_class

CLASS = "shapes-a/1"
SCREEN_SIZES = ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080})


def select_paths(page: Page) -> list[str]:
    """Select the drawn critical-path neurons; their ids."""
    ids: list[str] = page.evaluate(
        "() => { const cy = window.relex.drawn.class.cy; cy.nodes('.path').select();"
        " return cy.$('node:selected').map((n) => n.id()); }"
    )
    assert len(ids) > 1
    return ids


def heatmap(api: httpx.Client, image: str, neurons: list[str]) -> dict[str, Any]:
    answer = api.post(
        "/api/renders/heatmap",
        params={"format": "json"},
        json={"run": SMALL_RUN, "image_id": image, "neurons": neurons},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def canvas_pixels(page: Page, selector: str) -> np.ndarray:
    """The RGB pixels a canvas holds, height x width x 3."""
    shape_and_data = page.evaluate(
        """(s) => { const c = document.querySelector(s);
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            return [c.height, c.width, Array.from(d)]; }""",
        selector,
    )
    height, width, data = shape_and_data
    return np.array(data, dtype=np.uint8).reshape(height, width, 4)[..., :3]


def expected_colours(values: np.ndarray, scale: float) -> np.ndarray:
    """ingest/render.py's colouring: white at 0, red positive, blue negative, by ``scale``."""
    level = np.clip(values / scale, -1, 1)
    fade = np.round((1 - np.abs(level)) * 255)
    red = np.where(level >= 0, 255, fade)
    blue = np.where(level >= 0, fade, 255)
    return np.stack([red, fade, blue], axis=-1)


def labels_outside_the_chart(page: Page) -> int:
    """How many of the selection curve's text labels stick out of its SVG."""
    outside: int = page.evaluate(
        """() => { const svg = document.querySelector('#curve svg').getBoundingClientRect();
            return [...document.querySelectorAll('#curve svg text')].filter((t) => {
                const r = t.getBoundingClientRect();
                return r.left < svg.left - 0.5 || r.right > svg.right + 0.5
                    || r.top < svg.top - 0.5 || r.bottom > svg.bottom + 0.5; }).length; }"""
    )
    return outside


def test_explanation_shows_input_and_both_maps_on_one_colour_scale(
    page: Page, server: str, api: httpx.Client
) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    neurons = select_paths(page)
    page.click("#explain")
    page.wait_for_selector("#full-heatmap[data-painted]")
    image = page.locator("#image").input_value()
    result = heatmap(api, image, neurons)
    subgraph, full = np.array(result["map"]), np.array(result["full"])
    scale = float(max(np.abs(subgraph).max(), np.abs(full).max()))
    for selector in ("#subgraph-heatmap", "#full-heatmap", "#colour-bar"):
        assert float(page.locator(selector).get_attribute("data-scale") or "nan") == scale
    # Each map coloured by the shared scale, not by its own largest value.
    for selector, values in (("#subgraph-heatmap", subgraph), ("#full-heatmap", full)):
        painted = canvas_pixels(page, selector).astype(float)
        assert np.abs(painted - expected_colours(values, scale)).max() <= 1
    expect(page.locator("#colour-bar canvas.colour-bar")).to_be_visible()
    expect(page.locator("#colour-bar .colour-bar-labels span")).to_have_count(3)
    page.wait_for_function(
        "() => { const i = document.querySelector('#explanation-input');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    kept = float(page.locator("#explanation-scores").get_attribute("data-kept") or "nan")
    assert kept == pytest.approx(subgraph.sum() / full.sum(), rel=1e-9)
    expect(page.locator("#explanation-scores")).to_contain_text(f"{100 * kept:.1f} %")
    expect(page.locator("#explanation-help")).to_contain_text("SMAPE")
    expect(page.locator("#explanation-help")).to_contain_text("MSE")
    # The three maps side by side, each at least a third of the panel wide.
    boxes = [
        page.locator(s).bounding_box()
        for s in ("#explanation-input", "#subgraph-heatmap", "#full-heatmap")
    ]
    assert all(box is not None and box["width"] >= 100 for box in boxes)
    assert len({round(box["y"]) for box in boxes if box}) == 1


def test_optimise_runs_k_up_to_the_layer_sizes_and_refreshes_the_heatmaps(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    layers = sorted(api.get(f"/api/runs/{SMALL_RUN}/layers").json(), key=lambda row: row["depth"])
    largest = max(layer["size"] for layer in layers[1:-1])
    open_class(page, server, SMALL_RUN, CLASS)
    select_paths(page)
    page.click("#explain")
    page.wait_for_selector("#full-heatmap[data-painted]")
    before = canvas_pixels(page, "#subgraph-heatmap")
    image = page.locator("#image").input_value()
    metric = page.locator("#metric").input_value()
    threshold = float(page.locator("#threshold").input_value())
    page.click("#optimise")
    page.wait_for_selector("#curve svg circle.chosen")
    ticks = page.locator("#curve svg text.x-tick").all_text_contents()
    assert ticks[0] == "1" and ticks[-1] == str(largest)
    ks = [int(tick) for tick in ticks]
    curve = api.post(
        "/api/selection",
        json={
            "run": SMALL_RUN,
            "image_id": image,
            "metric": metric,
            "threshold": threshold,
            "ks": ks,
        },
    ).json()
    # The default threshold is not met by one neuron per layer, and is met before the end.
    assert curve["points"][0][metric] > threshold
    assert curve["chosen_k"] is not None and curve["chosen_k"] > 1
    expect(page.locator("#curve-note")).to_contain_text(f"k = {curve['chosen_k']}")
    # The heatmaps above now show the chosen subgraph, and the graph selects it.
    expect(page.locator("#explanation-scores")).to_contain_text(
        f"top {curve['chosen_k']} per layer"
    )
    chosen = heatmap(api, image, curve["chosen_neurons"])
    scale = float(
        max(np.abs(np.array(chosen["map"])).max(), np.abs(np.array(chosen["full"])).max())
    )
    after = canvas_pixels(page, "#subgraph-heatmap")
    assert np.abs(after.astype(float) - expected_colours(np.array(chosen["map"]), scale)).max() <= 1
    assert not np.array_equal(before, after)
    drawn_ids = set(page.evaluate("() => window.relex.drawn.class.cy.nodes().map((n) => n.id())"))
    selected = page.evaluate(
        "() => window.relex.drawn.class.cy.$('node:selected').map((n) => n.id())"
    )
    assert set(selected) == set(curve["chosen_neurons"]) & drawn_ids
    # Readable axes: every tick label lies inside the chart.
    assert labels_outside_the_chart(page) == 0
    # A threshold far above the curve: one neuron per layer meets it, the labels still fit.
    page.fill("#threshold", "1e9")
    page.click("#optimise")
    expect(page.locator("#curve-note")).to_contain_text("k = 1:", timeout=60_000)
    expect(page.locator("#explanation-scores")).to_contain_text("top 1 per layer", timeout=60_000)
    assert labels_outside_the_chart(page) == 0
    page.fill("#threshold", f"{threshold:g}")
    page.click("#optimise")
    expect(page.locator("#curve-note")).to_contain_text(f"k = {curve['chosen_k']}:", timeout=60_000)
    expect(page.locator("#explanation-scores")).to_contain_text(
        f"top {curve['chosen_k']} per layer", timeout=60_000
    )
    expect(page.locator("#status")).to_have_text("")
    for size in SCREEN_SIZES:
        page.set_viewport_size(size)  # type: ignore[arg-type]
        page.locator("#curve").scroll_into_view_if_needed()
        screenshot(f"explanation-{size['width']}x{size['height']}")


def test_working_set_pins_groups_and_explains_and_compares_groups(
    page: Page, server: str, api: httpx.Client, screenshot: Callable[[str], Path]
) -> None:
    open_class(page, server, SMALL_RUN, CLASS)
    neurons = select_paths(page)
    page.click("#pin")
    panel = page.locator("#working-set-panel")
    expect(panel).to_have_attribute("data-pinned", str(len(neurons)))
    pins = page.locator("#pinned input[type=checkbox]")
    first = [pins.nth(0).get_attribute("value"), pins.nth(1).get_attribute("value")]
    pins.nth(0).check()
    pins.nth(1).check()
    page.fill("#group-name", "early pair")
    page.click("#make-group")
    expect(panel).to_have_attribute("data-groups", "1")
    expect(panel).to_have_attribute("data-pinned", str(len(neurons) - 2))
    page.fill("#group-name", "the rest")
    page.click("#make-group")  # nothing checked: every remaining pin
    expect(panel).to_have_attribute("data-groups", "2")
    expect(panel).to_have_attribute("data-pinned", "0")
    page.fill("#group-name", "early pair")
    page.click("#pin")
    page.click("#make-group")
    expect(page.locator("#error")).to_contain_text("exists already")
    # Explain one group: its neurons are selected and its heatmap shown under its name.
    page.locator("#groups li[data-group='early pair'] button", has_text="explain").click()
    expect(page.locator("#explanation-scores")).to_contain_text("early pair: 2 neurons")
    selected = page.evaluate(
        "() => window.relex.drawn.class.cy.$('node:selected').map((n) => n.id())"
    )
    assert sorted(selected) == sorted(first)
    # Compare both groups: the relevance each keeps, as the API's maps give it.
    page.click("#compare-groups")
    rows = page.locator("#groups-table tbody tr")
    expect(rows).to_have_count(2)
    image = page.locator("#image").input_value()
    rest = [n for n in neurons if n not in first]
    for name, members in (("early pair", first), ("the rest", rest)):
        result = heatmap(api, image, [m for m in members if m])
        kept = np.array(result["map"]).sum() / np.array(result["full"]).sum()
        expect(page.locator(f"#groups-table tr[data-group='{name}'] td").nth(3)).to_have_text(
            f"{100 * kept:.1f} %"
        )
    screenshot("working-set")
    # The working set outlives a reload.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#working-set-panel")).to_have_attribute("data-groups", "2")
