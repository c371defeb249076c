// Layered drawing of a relevance subgraph with cytoscape.js: one column per layer from input
// (left) to output (right), neurons of a column ordered by relevance, node size by |relevance|,
// edge width by share, colour by sign (red positive, blue negative, as in the heatmaps).

import cytoscape from "./vendor/cytoscape.esm.min.mjs";

const COLUMN = 220;
const ROW = 34;

const STYLE = [
  {
    selector: "node",
    style: {
      width: "data(size)",
      height: "data(size)",
      "background-color": "#c0392b",
      "border-width": 1,
      "border-color": "#555",
      label: "data(label)",
      "font-size": 9,
      "text-valign": "center",
      "text-halign": "right",
      "text-margin-x": 3,
      color: "#333",
      "min-zoomed-font-size": 7,
    },
  },
  { selector: "node.negative", style: { "background-color": "#2e6fb7" } },
  {
    selector: "edge",
    style: {
      width: "data(width)",
      "line-color": "#e6a09a",
      "curve-style": "straight",
      opacity: 0.75,
      "target-arrow-shape": "none",
    },
  },
  { selector: "edge.negative", style: { "line-color": "#94b4dc" } },
  { selector: "edge.path", style: { "line-color": "#e08e0b", opacity: 1, "z-index": 10 } },
  { selector: "node.path", style: { "border-width": 3, "border-color": "#e08e0b" } },
  { selector: "edge.against", style: { "line-color": "#7b3fb5", "line-style": "dashed", opacity: 1, "z-index": 9 } },
  { selector: "node.against", style: { "border-width": 3, "border-color": "#7b3fb5" } },
  {
    selector: "node.shared",
    style: { "border-width": 3, "border-color": "#1f9d55", shape: "diamond", width: 20, height: 20 },
  },
  { selector: "edge.shared", style: { "line-color": "#1f9d55", opacity: 1 } },
  { selector: "node:selected", style: { "border-width": 4, "border-color": "#111", "overlay-opacity": 0 } },
  { selector: ".filtered", style: { display: "none" } },
  {
    selector: "node.result",
    style: { "background-color": "#7d5ba6", label: "data(label)", width: 18, height: 18 },
  },
  { selector: "edge.result", style: { "line-color": "#aaa", width: 1.5, "target-arrow-shape": "triangle", "curve-style": "bezier" } },
];

function finite(value) {
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}

// Node sizes 10..40 px by |relevance| relative to the largest of its layer (relevance is
// about conserved from layer to layer, so each column uses the whole range), edge widths
// 0.5..8 px by share (a fraction of the upper neuron's relevance).
function styled(elements) {
  const nodes = elements.nodes ?? [];
  const edges = elements.edges ?? [];
  const largest = new Map();
  for (const node of nodes) {
    const magnitude = Math.abs(finite(node.data.relevance));
    largest.set(node.data.layer, Math.max(largest.get(node.data.layer) ?? 1e-12, magnitude));
  }
  return {
    nodes: nodes.map((node) => {
      const relevance = finite(node.data.relevance);
      const scale = largest.get(node.data.layer);
      return {
        group: "nodes",
        data: {
          ...node.data,
          label: node.data.label ?? `${node.data.layer}/${node.data.index}`,
          size: 10 + 30 * Math.sqrt(Math.abs(relevance) / scale),
        },
        classes: relevance < 0 ? "negative" : "positive",
      };
    }),
    edges: edges.map((edge) => {
      const share = Math.min(1, Math.abs(finite(edge.data.share)));
      return {
        group: "edges",
        data: { ...edge.data, width: 0.5 + 7.5 * share },
        classes: finite(edge.data.relevance) < 0 ? "negative" : "positive",
      };
    }),
  };
}

// Positions: x from the layer's depth (0 = input), y from the rank by |relevance| inside the
// layer, each column centred on y = 0. Empty layers leave no gap.
export function layeredPositions(nodes) {
  const columns = new Map();
  for (const node of nodes) {
    const depth = finite(node.data.layer_depth);
    if (!columns.has(depth)) columns.set(depth, []);
    columns.get(depth).push(node);
  }
  const depths = [...columns.keys()].sort((a, b) => a - b);
  const positions = new Map();
  depths.forEach((depth, column) => {
    const members = columns.get(depth);
    members.sort((a, b) => Math.abs(finite(b.data.relevance)) - Math.abs(finite(a.data.relevance)));
    const top = -((members.length - 1) * ROW) / 2;
    members.forEach((node, row) => positions.set(node.data.id, { x: column * COLUMN, y: top + row * ROW }));
  });
  return positions;
}

// Every drawing on the page by name, with the milliseconds from handing cytoscape the
// elements to its first frame (window.relex.drawn, for the browser tests and the devtools).
export const drawn = {};

function register(name, container, started, cy) {
  drawn[name] = { cy, drawMs: null };
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);
  cy.one("render", () => {
    drawn[name].drawMs = performance.now() - started;
    container.dataset.drawMs = drawn[name].drawMs.toFixed(1);
  });
  return cy;
}

export function drawLayered(name, container, elements) {
  const started = performance.now();
  delete container.dataset.drawMs;
  const { nodes, edges } = styled(elements);
  const positions = layeredPositions(nodes);
  for (const node of nodes) node.position = positions.get(node.data.id);
  const cy = cytoscape({
    container,
    elements: [...nodes, ...edges],
    style: STYLE,
    layout: { name: "preset", fit: true, padding: 24 },
    wheelSensitivity: 0.3,
    minZoom: 0.02,
    maxZoom: 4,
    boxSelectionEnabled: true,
    selectionType: "additive",
    hideEdgesOnViewport: nodes.length + edges.length > 1500,
  });
  return register(name, container, started, cy);
}

// A generic drawing (the Cypher console's nodes and relationships) with a grid layout.
export function drawPlain(name, container, nodes, edges) {
  const started = performance.now();
  const cy = cytoscape({
    container,
    elements: [
      ...nodes.map((data) => ({ group: "nodes", data, classes: "result" })),
      ...edges.map((data) => ({ group: "edges", data, classes: "result" })),
    ],
    style: STYLE,
    layout: { name: nodes.length > 60 ? "grid" : "cose", animate: false, padding: 24 },
  });
  return register(name, container, started, cy);
}

// Mark the given node ids (and the edges between consecutive ids) with a class.
export function markPath(cy, ids, className) {
  const nodes = ids.map((id) => cy.getElementById(id));
  nodes.forEach((node, i) => {
    node.addClass(className);
    if (i + 1 < nodes.length) node.edgesWith(nodes[i + 1]).addClass(className);
  });
}
