// The compare view: two classes (one run, or runs on different datasets) side by side in labelled
// panes, each neuron at the same place in both (one column per layer, rows by the larger of its two
// relevances), the neurons and path edges both share highlighted (sized by relevance like the
// rest), a click selecting the neuron in both panes, and the per-layer Jaccard/Spearman table.

import { getJson } from "./api.js";
import { loadClasses } from "./classview.js";
import { drawLayered, fitLabels, markPath } from "./graph.js";
import { busy, clearError, fillSelect, fillTable, formatNumber } from "./ui.js";

const $ = (id) => document.getElementById(id);
const graphs = { a: null, b: null };
const COLUMN = 140;
const ROW = 34;

export function initCompareView(runs) {
  const options = runs.map((r) => ({ value: r.id, label: r.label }));
  for (const side of ["a", "b"]) {
    fillSelect($(`run-${side}`), options, runs[side === "b" && runs.length > 1 ? 1 : 0]?.id);
    $(`run-${side}`).addEventListener("change", () => loadClasses($(`run-${side}`).value, $(`class-options-${side}`)));
    if (runs.length) loadClasses($(`run-${side}`).value, $(`class-options-${side}`));
  }
  $("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    compare();
  });
}

async function compare() {
  clearError();
  const runA = $("run-a").value;
  const runB = $("run-b").value;
  const classA = $("class-a").value.trim();
  const classB = $("class-b").value.trim();
  const k = Number($("compare-k").value) || 10;
  const loaded = await busy("comparing", () =>
    Promise.all([
      getJson("/api/compare/classes", { run_a: runA, class_a: classA, run_b: runB, class_b: classB, k }),
      getJson("/api/subgraph", { run: runA, class_id: classA, up: 0, down: 20, max_nodes: 300 }),
      getJson("/api/subgraph", { run: runB, class_id: classB, up: 0, down: 20, max_nodes: 300 }),
      getJson(`/api/runs/${encodeURIComponent(runA)}/layers`),
    ]),
  );
  if (!loaded) return;
  const [comparison, elementsA, elementsB, layers] = loaded;
  $("title-a").textContent = `A: ${classA} (${runA})`;
  $("title-b").textContent = `B: ${classB} (${runB})`;
  graphs.a = redraw("a", graphs.a, $("graph-a"), elementsA.elements);
  graphs.b = redraw("b", graphs.b, $("graph-b"), elementsB.elements);
  align(graphs.a, graphs.b);
  linkSelection();
  const shared = sharedNeurons(comparison, layers);
  highlightShared(shared, comparison.shared_edges);
  fillTable(
    $("compare-table"),
    ["layer", "Jaccard", "Spearman"],
    comparison.layers.map((row) => [row.layer, formatNumber(row.jaccard), formatNumber(row.spearman)]),
  );
  $("compare-summary").textContent = `${shared.length} shared top-${comparison.k} neurons, ${comparison.shared_edges.length} shared critical edges`;
  $("compare-selected").textContent = "";
}

function redraw(name, previous, container, elements) {
  if (previous) previous.destroy();
  const cy = drawLayered(name, container, elements);
  // Shared neurons keep their size by relevance; the diamond and the green border mark them.
  cy.style().selector("node.shared").style({ width: "data(size)", height: "data(size)" }).update();
  return cy;
}

// A neuron's place in the model, the same in both panes whatever the runs' model ids.
const placeOf = (node) => `${node.data("layer")}/${node.data("index")}`;

// One position per neuron of either pane: columns by layer depth (the depths either pane has),
// rows by the larger of the neuron's relevances in A and B relative to its layer's largest.
export function alignedPositions(...graphsToAlign) {
  const strength = new Map();
  const depthOf = new Map();
  for (const cy of graphsToAlign) {
    const largest = new Map();
    cy.nodes().forEach((node) => {
      const layer = node.data("layer");
      largest.set(layer, Math.max(largest.get(layer) ?? 1e-12, Math.abs(Number(node.data("relevance")) || 0)));
    });
    cy.nodes().forEach((node) => {
      const place = placeOf(node);
      const relative = Math.abs(Number(node.data("relevance")) || 0) / largest.get(node.data("layer"));
      strength.set(place, Math.max(strength.get(place) ?? 0, relative));
      depthOf.set(place, Number(node.data("layer_depth")) || 0);
    });
  }
  const depths = [...new Set(depthOf.values())].sort((a, b) => a - b);
  const positions = new Map();
  depths.forEach((depth, column) => {
    const members = [...depthOf.keys()].filter((place) => depthOf.get(place) === depth);
    members.sort((p, q) => strength.get(q) - strength.get(p) || p.localeCompare(q, undefined, { numeric: true }));
    const top = -((members.length - 1) * ROW) / 2;
    members.forEach((place, row) => positions.set(place, { x: column * COLUMN, y: top + row * ROW, row }));
  });
  return positions;
}

// Both panes share positions and one viewport fitted to all of them, so a neuron sits at the same
// spot on screen in both; panning or zooming one pane moves the other alike.
function align(...panes) {
  const positions = alignedPositions(...panes);
  for (const cy of panes) {
    cy.nodes().forEach((node) => {
      const { x, y, row } = positions.get(placeOf(node));
      node.position({ x, y });
      node.data("row", row);
    });
  }
  const points = [...positions.values()];
  const box = {
    x1: Math.min(...points.map((p) => p.x)),
    x2: Math.max(...points.map((p) => p.x)),
    y1: Math.min(...points.map((p) => p.y)),
    y2: Math.max(...points.map((p) => p.y)),
  };
  const [first] = panes;
  const padding = 40;
  const zoom = Math.min(
    first.maxZoom(),
    (first.width() - 2 * padding) / Math.max(1, box.x2 - box.x1),
    (first.height() - 2 * padding) / Math.max(1, box.y2 - box.y1),
  );
  const pan = { x: (first.width() - zoom * (box.x1 + box.x2)) / 2, y: (first.height() - zoom * (box.y1 + box.y2)) / 2 };
  for (const cy of panes) {
    cy.viewport({ zoom, pan });
    // Labels no wider than a column, at a readable size, thinned where rows come too close.
    cy.style().selector("node.layered").style("text-max-width", COLUMN - 20).update();
    fitLabels(cy);
  }
  let following = false;
  for (const cy of panes) {
    cy.on("viewport", () => {
      if (following) return;
      following = true;
      for (const other of panes) if (other !== cy) other.viewport({ zoom: cy.zoom(), pan: { ...cy.pan() } });
      following = false;
    });
  }
}

// A click on a neuron in either pane selects that neuron (by layer and index) in both, once
// cytoscape has applied its own (additive) selection for the click.
function linkSelection() {
  for (const cy of [graphs.a, graphs.b]) {
    cy.on("tap", "node", (event) => setTimeout(() => selectInBoth(placeOf(event.target)), 0));
  }
}

function selectInBoth(place) {
  const facts = [];
  for (const [side, cy] of Object.entries(graphs)) {
    cy.$(":selected").unselect();
    const match = cy.nodes().filter((node) => placeOf(node) === place);
    match.select();
    facts.push(match.nonempty() ? `${side.toUpperCase()} relevance ${formatNumber(match.data("relevance"))}` : `not in ${side.toUpperCase()}'s subgraph`);
  }
  $("compare-selected").textContent = `${place}: ${facts.join(", ")}`;
  $("compare-selected").dataset.place = place;
}

// The comparison names shared neurons by layer and index; the layers of run A give their ids
// ("<model>/<layer>", the model both runs share).
function sharedNeurons(comparison, layers) {
  const layerIds = new Map(layers.map((layer) => [layer.name, layer.id]));
  return comparison.layers.flatMap((row) => row.shared.map((index) => `${layerIds.get(row.layer)}/${index}`));
}

function highlightShared(neurons, edges) {
  for (const cy of [graphs.a, graphs.b]) {
    for (const id of neurons) cy.getElementById(id).addClass("shared");
    for (const [upper, lower] of edges) markPath(cy, [upper, lower], "shared");
    cy.container().dataset.shared = String(cy.nodes(".shared").length);
  }
}
