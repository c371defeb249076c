// The Cypher console: a read-only query, its rows as a table, and, when the rows hold nodes
// or relationships, the same drawn as a graph whose nodes and edges show their properties when
// clicked.

import { postJson } from "./api.js";
import { drawPlain } from "./graph.js";
import { busy, clearError, element, fillTable, formatNumber } from "./ui.js";

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

// Graph elements as the server sends them: nodes carry _id and _label (Kuzu) or _labels
// (Neo4j); relationships _src and _dst; paths _nodes and _rels. Kuzu ids are objects.
function key(id) {
  return typeof id === "object" ? JSON.stringify(id) : String(id);
}

function isNode(value) {
  return value !== null && typeof value === "object" && "_id" in value && ("_label" in value || "_labels" in value) && !("_src" in value);
}

function isRelationship(value) {
  return value !== null && typeof value === "object" && "_src" in value && "_dst" in value;
}

function labelOf(value) {
  return value._label ?? value._type ?? (value._labels ?? []).join(":");
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  if (isNode(value)) return `(:${labelOf(value)} ${value.id ?? key(value._id)})`;
  if (isRelationship(value)) return `[:${labelOf(value)}]`;
  if (typeof value === "number") return formatNumber(value, 4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function collect(value, nodes, relationships) {
  if (value === null || typeof value !== "object") return;
  if (isNode(value)) nodes.set(key(value._id), { id: key(value._id), label: value.id ?? labelOf(value), properties: value });
  else if (isRelationship(value)) relationships.push(value);
  else for (const item of Array.isArray(value) ? value : Object.values(value)) collect(item, nodes, relationships);
}

function graphParts(rows) {
  const nodes = new Map();
  const relationships = [];
  collect(rows, nodes, relationships);
  const edges = relationships
    .map((rel, i) => ({ id: `edge-${i}`, source: key(rel._src), target: key(rel._dst), label: labelOf(rel), properties: rel }))
    .filter((edge) => nodes.has(edge.source) && nodes.has(edge.target));
  return { nodes: [...nodes.values()], edges };
}

function showGraph(nodes, edges) {
  if (drawing) drawing.destroy();
  drawing = null;
  const container = $("console-graph");
  container.hidden = nodes.length === 0;
  showProperties(null);
  if (!nodes.length) return;
  drawing = drawPlain("console", container, nodes, edges);
  drawing.on("tap", "node, edge", (event) => showProperties(event.target));
  drawing.on("tap", (event) => {
    if (event.target === drawing) showProperties(null);
  });
}

// The clicked node's or relationship's label and properties (the engine's own _fields left
// out), or nothing.
function showProperties(target) {
  const panel = $("console-properties");
  panel.hidden = target === null;
  if (target === null) {
    panel.replaceChildren();
    return;
  }
  const properties = target.data("properties");
  const kind = target.isNode() ? "node" : "relationship";
  const rows = Object.entries(properties).filter(([name]) => !name.startsWith("_"));
  if (!target.isNode()) rows.unshift(["from", target.source().data("label")], ["to", target.target().data("label")]);
  if (!rows.length) rows.push(["", "no properties"]);
  panel.replaceChildren(
    element("h3", { text: `${kind} :${labelOf(properties)}` }),
    element("dl", {}, ...rows.flatMap(([name, value]) => [element("dt", { text: name }), element("dd", { text: cellText(value) })])),
  );
  panel.dataset.kind = kind;
}
