// The Cypher console: a read-only query, its rows as a table, and, when the rows hold nodes
// or relationships, the same drawn as a graph.

import { postJson } from "./api.js";
import { drawPlain } from "./graph.js";
import { busy, clearError, fillTable, formatNumber } from "./ui.js";

const $ = (id) => document.getElementById(id);
let drawing = null;

export function initConsole() {
  $("console-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runQuery();
  });
  $("cypher").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runQuery();
    }
  });
}

async function runQuery() {
  clearError();
  const result = await busy("running the query", () => postJson("/api/cypher", { query: $("cypher").value, params: {} }));
  if (!result) {
    $("console-table").replaceChildren();
    $("console-meta").textContent = "";
    showGraph([], []);
    return;
  }
  fillTable($("console-table"), result.columns, result.rows.map((row) => row.map(cellText)));
  const truncated = result.truncated ? " (truncated)" : "";
  $("console-meta").textContent = `${result.rows.length} rows${truncated} in ${formatNumber(result.elapsed_s)} s`;
  const { nodes, edges } = graphParts(result.rows);
  showGraph(nodes, edges);
}

function isNode(value) {
  return value !== null && typeof value === "object" && "_label" in value && "_id" in value && !("_src" in value);
}

function isRelationship(value) {
  return value !== null && typeof value === "object" && "_src" in value && "_dst" in value;
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  if (isNode(value)) return `(${value._label} ${value.id ?? value._id})`;
  if (isRelationship(value)) return `[${value._label}]`;
  if (typeof value === "number") return formatNumber(value, 4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function graphParts(rows) {
  const nodes = new Map();
  const edges = [];
  for (const value of rows.flat()) {
    if (isNode(value)) nodes.set(value._id, { id: value._id, label: value.id ?? value._label });
  }
  for (const value of rows.flat()) {
    if (isRelationship(value) && nodes.has(value._src) && nodes.has(value._dst)) {
      edges.push({ id: `${value._src}->${value._dst}:${edges.length}`, source: value._src, target: value._dst, label: value._label });
    }
  }
  return { nodes: [...nodes.values()], edges };
}

function showGraph(nodes, edges) {
  if (drawing) drawing.destroy();
  drawing = null;
  const container = $("console-graph");
  container.hidden = nodes.length === 0;
  if (nodes.length) drawing = drawPlain(container, nodes, edges);
}
