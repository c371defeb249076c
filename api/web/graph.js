// Layered drawing of a relevance subgraph with cytoscape.js: one column per layer from input
// (left) to output (right), neurons of a column ordered by relevance, node size by |relevance|,
// edge width by share, colour by sign (red positive, blue negative, as in the heatmaps).
// A model that is a DAG (a ResNet) gets one column per topological layer: layers that sit
// side by side in the model (a block's branch and its downsampling) share a column, and a
// FLOW edge that skips columns is drawn lighter, routed around the columns it passes.

import cytoscape from "./vendor/cytoscape.esm.min.mjs";

const COLUMN = 240;
const ROW = 34;
const GROUP_GAP = 2 * ROW;
const LABEL_PX = 10.5;
const SKIP_MARGIN = 28;

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
  {
    selector: "edge.skip",
    style: {
      "curve-style": "round-segments",
      "edge-distances": "node-position",
      "segment-weights": (edge) => edge.data("bendWeights").join(" "),
      "segment-distances": (edge) => edge.data("bendDistances").join(" "),
      "segment-radius": 60,
      opacity: 0.35,
    },
  },
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
  { selector: "node.layered", style: { label: "data(short)", "text-wrap": "ellipsis", "text-max-width": COLUMN - 20, "min-zoomed-font-size": 6 } },
  { selector: "node.unlabelled", style: { label: "" } },
  { selector: "node.hovered", style: { "overlay-opacity": 0.15, "overlay-color": "#2d3a4a" } },
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

// `layer/index`, with a dotted layer name (a ResNet's layer2.0.conv1) cut to its last part: the
// column's header names the whole layer, the tooltip the whole id.
export function shortLabel(layer, index) {
  return `${String(layer).split(".").at(-1)}/${index}`;
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
          short: shortLabel(node.data.layer, node.data.index),
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

// Positions: x from the layer's column (its depth, or its topological layer in a DAG given by
// `columns`, a Map layer name -> column), y from the rank by |relevance| inside the layer; layers
// sharing a column are stacked by depth; each column is centred on y = 0. Empty columns leave no
// gap. Each node also gets its compacted `column` and its `row` inside its layer.
export function layeredPositions(nodes, columns = null) {
  const keyOf = (node) => (columns && columns.has(node.data.layer) ? columns.get(node.data.layer) : finite(node.data.layer_depth));
  const byColumn = new Map();
  for (const node of nodes) {
    const key = keyOf(node);
    if (!byColumn.has(key)) byColumn.set(key, new Map());
    const layers = byColumn.get(key);
    if (!layers.has(node.data.layer)) layers.set(node.data.layer, []);
    layers.get(node.data.layer).push(node);
  }
  const keys = [...byColumn.keys()].sort((a, b) => a - b);
  const positions = new Map();
  keys.forEach((key, column) => {
    const groups = [...byColumn.get(key).values()];
    groups.sort((a, b) => finite(a[0].data.layer_depth) - finite(b[0].data.layer_depth));
    const height = groups.reduce((sum, group) => sum + (group.length - 1) * ROW, 0) + (groups.length - 1) * GROUP_GAP;
    let y = -height / 2;
    for (const group of groups) {
      group.sort((a, b) => Math.abs(finite(b.data.relevance)) - Math.abs(finite(a.data.relevance)));
      group.forEach((node, row) => {
        node.data.column = column;
        node.data.row = row;
        positions.set(node.data.id, { x: column * COLUMN, y: y + row * ROW });
      });
      y += (group.length - 1) * ROW + GROUP_GAP;
    }
  });
  return positions;
}

// Edges between columns more than one apart (a skip connection) leave their source, run above
// (or below, whichever side their ends are nearer) every column they pass, and come down to
// their target: two segment points, as weights along and distances across the source-target
// line (cytoscape's round-segments with edge-distances node-position).
function routeSkips(nodes, edges, positions) {
  const extent = new Map();
  const column = new Map();
  for (const node of nodes) {
    const at = positions.get(node.data.id);
    const radius = node.data.size / 2;
    const [top, bottom] = extent.get(node.data.column) ?? [Infinity, -Infinity];
    extent.set(node.data.column, [Math.min(top, at.y - radius), Math.max(bottom, at.y + radius)]);
    column.set(node.data.id, node.data.column);
  }
  for (const edge of edges) {
    const from = column.get(edge.data.source);
    const to = column.get(edge.data.target);
    if (from === undefined || to === undefined || Math.abs(from - to) < 2) continue;
    let top = Infinity;
    let bottom = -Infinity;
    for (let c = Math.min(from, to) + 1; c < Math.max(from, to); c += 1) {
      const [t, b] = extent.get(c) ?? [Infinity, -Infinity];
      top = Math.min(top, t);
      bottom = Math.max(bottom, b);
    }
    if (!Number.isFinite(top)) continue;
    const source = positions.get(edge.data.source);
    const target = positions.get(edge.data.target);
    const above = source.y + target.y <= 0;
    const level = above ? Math.min(top - SKIP_MARGIN, source.y, target.y) : Math.max(bottom + SKIP_MARGIN, source.y, target.y);
    const step = Math.sign(target.x - source.x) * COLUMN * 0.3;
    const bends = [
      { x: source.x + step, y: level },
      { x: target.x - step, y: level },
    ];
    const dx = target.x - source.x;
    const dy = target.y - source.y;
    const length = Math.hypot(dx, dy);
    edge.data.bendWeights = bends.map((p) => ((p.x - source.x) * dx + (p.y - source.y) * dy) / (length * length));
    edge.data.bendDistances = bends.map((p) => (dx * (p.y - source.y) - dy * (p.x - source.x)) / length);
    edge.data.skip = true;
    edge.classes += " skip";
  }
}

// Labels: LABEL_PX on screen at the zoom of the last fit (one style rule, so zooming scales them
// like the drawing), and, whenever rows come closer than a label, only every n-th node of a
// layer keeps its label (the most relevant first); the full id shows on hover.
export function fitLabels(cy) {
  const size = LABEL_PX / cy.zoom();
  cy.style().selector("node.layered").style("font-size", size).update();
  cy.scratch("labelModelPx", size);
  thinLabels(cy);
}

function thinLabels(cy) {
  const zoom = cy.zoom();
  const size = cy.scratch("labelModelPx");
  const every = Math.max(1, Math.ceil((size + 3 / zoom) / ROW));
  if (cy.scratch("labels") && cy.scratch("labels").every === every) return;
  cy.batch(() => {
    cy.nodes(".layered").forEach((node) => {
      node.toggleClass("unlabelled", node.data("row") % every !== 0);
    });
  });
  cy.scratch("labels", { every });
}

// Column headers: the layer names over each column, as [{column, x (model), layers}].
export function columnHeaders(cy) {
  const columns = new Map();
  cy.nodes(".layered").forEach((node) => {
    const column = node.data("column");
    if (!columns.has(column)) columns.set(column, { column, x: node.position("x"), layers: new Map() });
    columns.get(column).layers.set(node.data("layer"), node.data("layer_depth"));
  });
  return [...columns.values()]
    .sort((a, b) => a.column - b.column)
    .map((c) => ({ column: c.column, x: c.x, layers: [...c.layers.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name) }));
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

export function drawLayered(name, container, elements, columns = null) {
  const started = performance.now();
  delete container.dataset.drawMs;
  const { nodes, edges } = styled(elements);
  const positions = layeredPositions(nodes, columns);
  for (const node of nodes) {
    node.position = positions.get(node.data.id);
    node.classes += " layered";
  }
  routeSkips(nodes, edges, positions);
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
  fitLabels(cy);
  let pending = false;
  cy.on("zoom", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!cy.destroyed()) thinLabels(cy);
    });
  });
  return register(name, container, started, cy);
}

// Take a drawing off the page (after a failed load), so no stale graph stays on screen.
export function undraw(name, container) {
  const old = drawn[name];
  if (old && !old.cy.destroyed()) old.cy.destroy();
  delete drawn[name];
  for (const key of ["nodes", "edges", "drawMs"]) delete container.dataset[key];
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
