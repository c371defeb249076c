// The compare view: two classes (one run, or runs on different datasets) side by side, the
// neurons and path edges both share highlighted, and the per-layer Jaccard/Spearman table.

import { getJson } from "./api.js";
import { loadClasses } from "./classview.js";
import { drawLayered, markPath } from "./graph.js";
import { busy, clearError, fillSelect, fillTable, formatNumber } from "./ui.js";

const $ = (id) => document.getElementById(id);
const graphs = { a: null, b: null };

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
  $("title-a").textContent = `${classA} (${runA})`;
  $("title-b").textContent = `${classB} (${runB})`;
  graphs.a = redraw("a", graphs.a, $("graph-a"), elementsA.elements);
  graphs.b = redraw("b", graphs.b, $("graph-b"), elementsB.elements);
  const shared = sharedNeurons(comparison, layers);
  highlightShared(shared, comparison.shared_edges);
  fillTable(
    $("compare-table"),
    ["layer", "Jaccard", "Spearman"],
    comparison.layers.map((row) => [row.layer, formatNumber(row.jaccard), formatNumber(row.spearman)]),
  );
  $("compare-summary").textContent = `${shared.length} shared top-${comparison.k} neurons, ${comparison.shared_edges.length} shared critical edges`;
}

function redraw(name, previous, container, elements) {
  if (previous) previous.destroy();
  return drawLayered(name, container, elements);
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
