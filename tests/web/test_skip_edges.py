"""A model whose layers form a DAG (a ResNet's skip connections): columns by a topological
layering of its NEXT relationships, and the FLOW edges that skip columns routed around them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
from playwright.sync_api import Page

from tests.web.conftest import BrowserErrors
from tests.web.data import DAG_CLASS, DAG_LAYERS, DAG_RUN


def open_dag(page: Page, server: str, errors: BrowserErrors) -> None:
    """The DAG run's class drawn (its model cannot be loaded, so it has no renders)."""
    errors.expect("status of 422")
    page.goto(f"{server}/?run={DAG_RUN}&class={DAG_CLASS}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#graph[data-draw-ms]")


def geometry(page: Page) -> dict[str, Any]:
    """Every node's layer, position and radius, every edge's ends, classes, opacity and, for
    the routed ones, the polyline cytoscape draws (source end, segment points, target end)."""
    found: dict[str, Any] = page.evaluate(
        """() => {
            const cy = window.relex.drawn.class.cy;
            const point = (p) => ({x: p.x, y: p.y});
            return {
                nodes: cy.nodes().map((n) => ({id: n.id(), layer: n.data("layer"),
                    x: n.position("x"), y: n.position("y"), radius: n.width() / 2})),
                edges: cy.edges().map((e) => ({source: e.data("source"), target: e.data("target"),
                    skip: e.hasClass("skip"), opacity: Number(e.style("opacity")),
                    highlighted: e.hasClass("path") || e.hasClass("against"),
                    curve: e.style("curve-style"),
                    points: e.hasClass("skip")
                        ? [point(e.sourceEndpoint()), ...e.segmentPoints().map(point),
                           point(e.targetEndpoint())]
                        : null})),
            };
        }"""
    )
    return found


def distance_to_segment(p: dict[str, float], a: dict[str, float], b: dict[str, float]) -> float:
    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else ((p["x"] - a["x"]) * dx + (p["y"] - a["y"]) * dy) / length
    t = min(1.0, max(0.0, t))
    return math.hypot(p["x"] - (a["x"] + t * dx), p["y"] - (a["y"] + t * dy))


def test_dag_columns_follow_a_topological_layering(
    page: Page, server: str, api: httpx.Client, page_errors: BrowserErrors
) -> None:
    dag = nx.DiGraph()
    dag.add_nodes_from(name for name, *_ in DAG_LAYERS)
    dag.add_edges_from((low, name) for name, _, _, lower in DAG_LAYERS for low in lower)
    generation = {
        name: i for i, names in enumerate(nx.topological_generations(dag)) for name in names
    }
    answer = api.get(f"/api/runs/{DAG_RUN}/layer-graph").json()
    assert answer["columns"] == generation
    assert {(e["lower"], e["upper"]) for e in answer["edges"]} == set(dag.edges)
    open_dag(page, server, page_errors)
    shown = geometry(page)
    x_of: dict[str, set[float]] = {}
    for node in shown["nodes"]:
        x_of.setdefault(node["layer"], set()).add(node["x"])
    assert all(len(xs) == 1 for xs in x_of.values())
    column_x = {layer: next(iter(xs)) for layer, xs in x_of.items()}
    # Same generation, same column; a later generation lies further right.
    for a in column_x:
        for b in column_x:
            assert (column_x[a] < column_x[b]) == (generation[a] < generation[b])
    assert column_x["block2.conv1"] == column_x["block2.down"]
    headers = page.locator("#graph-headers .column-header")
    assert headers.count() == len(set(generation.values()))
    shared = headers.nth(generation["block2.down"])
    assert shared.get_attribute("title") == "block2.conv1\nblock2.down"
    assert shared.inner_text().split("\n") == ["block2", "conv1 · down"]
    # Labels cut a dotted layer name to its last part (the header names the whole layer).
    labels = page.evaluate(
        "() => window.relex.drawn.class.cy.nodes().map((n) => [n.data('layer'), n.data('index'),"
        " n.style('label')])"
    )
    shown = [(layer, index, label) for layer, index, label in labels if label]
    assert shown
    assert all(label == f"{layer.split('.')[-1]}/{index}" for layer, index, label in shown)


def test_skip_edges_are_lighter_and_pass_around_the_columns_they_skip(
    page: Page, server: str, screenshot: Callable[[str], Path], page_errors: BrowserErrors
) -> None:
    open_dag(page, server, page_errors)
    shown = geometry(page)
    nodes = {node["id"]: node for node in shown["nodes"]}
    column = {x: i for i, x in enumerate(sorted({node["x"] for node in shown["nodes"]}))}
    col = {node_id: column[node["x"]] for node_id, node in nodes.items()}
    skips = [e for e in shown["edges"] if abs(col[e["source"]] - col[e["target"]]) > 1]
    assert skips, "the DAG run has FLOW edges that skip columns"
    assert all(e["skip"] for e in skips)
    assert not any(e["skip"] for e in shown["edges"] if e not in skips)
    plain_opacity = max(e["opacity"] for e in shown["edges"] if not e["skip"])
    # Lighter than the other edges, but for one a critical path highlights.
    assert any(not e["highlighted"] for e in skips)
    for edge in skips:
        assert edge["highlighted"] or edge["opacity"] < plain_opacity
        assert edge["curve"] == "round-segments"
        low, high = sorted((col[edge["source"]], col[edge["target"]]))
        passed = [n for n in nodes.values() if low < col[n["id"]] < high]
        assert passed
        points = edge["points"]
        for node in passed:
            gap = min(distance_to_segment(node, a, b) for a, b in itertools.pairwise(points))
            assert gap > node["radius"], (edge, node)
    page.mouse.move(5, 5)
    screenshot("class-view-skip-edges")
