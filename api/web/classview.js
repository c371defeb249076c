// The class view: a class's critical subgraph drawn in layers, its top-k critical paths, the
// neuron panel (detail, heatmap, deconvolution, reference images) and the selection panel
// (the heatmap of a chosen subgraph beside the full heatmap, and the selection curve).

import { getJson, imageUrl, postPng } from "./api.js";
import { explainNeurons, optimise } from "./explain.js";
import { drawLayered, fitLabels, markPath, undraw } from "./graph.js";
import { busy, clearError, element, fillSelect, fillTable, formatNumber } from "./ui.js";
import { attachOverlays, clearOverlays, showTitle } from "./classoverlay.js";
import { loadingImage } from "./placeholders.js";
import * as urlstate from "./urlstate.js";

const $ = (id) => document.getElementById(id);

const state = { cy: null, run: "", classId: "", layers: [], images: [], objectUrls: [], paths: [], runs: [], classes: [] };

export function currentGraph() {
  return state.cy;
}

// What the explanation and the working set act on: the shown run, the chosen image, the graph.
export function viewContext() {
  return { run: state.run, imageId: $("image").value, cy: state.cy };
}

export function initClassView(runs) {
  state.runs = runs;
  fillSelect($("run"), runs.map((r) => ({ value: r.id, label: r.label })));
  $("run").addEventListener("change", () => refreshClasses($("run").value));
  $("class-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showClass();
  });
  $("fit").addEventListener("click", () => {
    if (!state.cy) return;
    state.cy.resize();
    state.cy.fit(undefined, 24);
    fitLabels(state.cy);
  });
  window.addEventListener("resize", () => state.cy && state.cy.resize());
  $("explain").addEventListener("click", explainSelection);
  $("optimise").addEventListener("click", optimiseSelection);
  $("image").addEventListener("change", () => {
    const node = state.cy && state.cy.$("node:selected").last();
    if (node && node.nonempty()) renderNeuron(node.id());
  });
  $("references-all").addEventListener("change", () => {
    const node = state.cy && state.cy.$("node:selected").last();
    if (node && node.nonempty()) loadReferences(node.id());
  });
  registerUrlState();
  if (runs.length) refreshClasses(runs[0].id);
}

// The chosen run's classes in the class box's list (a slower answer for a run no longer chosen
// is dropped).
async function refreshClasses(run) {
  const classes = await loadClasses(run, $("class-options"));
  if ($("run").value === run) state.classes = classes;
}

// The view's state in the page's URL: run, class, the thresholds, the selected neurons
// (short layer/index ids), restored in this order when the page loads.
function registerUrlState() {
  urlstate.register("run", () => state.run || $("run").value, async (value) => {
    $("run").value = value;
    await refreshClasses(value);
  });
  for (const [field, id] of [
    ["paths", "paths-k"],
    ["min_share", "min-share"],
    ["max_nodes", "max-nodes"],
    ["metric", "metric"],
    ["threshold", "threshold"],
  ]) {
    urlstate.bindInput(field, $(id));
  }
  urlstate.register(
    "against",
    () => ($("paths-against").checked ? "1" : ""),
    (value) => {
      $("paths-against").checked = value === "1";
    },
  );
  urlstate.register("class", () => state.classId, async (value) => {
    $("class").value = value;
    await showClass();
  });
  urlstate.register(
    "neurons",
    () => selectedNeurons().map(shortId).join(","),
    async (value) => {
      if (!state.cy) return;
      const wanted = new Set(value.split(",").filter(Boolean));
      const nodes = state.cy.nodes().filter((node) => wanted.has(shortId(node.id())));
      nodes.select();
      if (nodes.nonempty()) await inspectNeuron(nodes.last().id());
    },
  );
}

export async function loadClasses(run, datalist) {
  const classes = await busy("loading classes", () => getJson(`/api/runs/${encodeURIComponent(run)}/classes`));
  if (!classes) return [];
  datalist.replaceChildren(...classes.map((c) => element("option", { value: c.id, text: c.name ?? "" })));
  return classes;
}

async function showClass() {
  clearError();
  const run = $("run").value;
  const classId = $("class").value.trim();
  const minShare = Number($("min-share").value) || 0;
  const maxNodes = Number($("max-nodes").value) || 500;
  const k = Number($("paths-k").value) || 0;
  const signs = $("paths-against").checked ? ["positive", "negative"] : ["positive"];
  const noPaths = { paths: [], sign: "positive" };
  const loaded = await busy("loading the subgraph", async () => {
    const [layers, dag, elements, ...paths] = await Promise.all([
      getJson(`/api/runs/${encodeURIComponent(run)}/layers`),
      getJson(`/api/runs/${encodeURIComponent(run)}/layer-graph`),
      getJson("/api/subgraph", { run, class_id: classId, up: 0, down: 20, min_share: minShare, max_nodes: maxNodes }),
      ...signs.map((sign) => (k > 0 ? getJson("/api/critical-paths", { run, class_id: classId, k, sign }) : Promise.resolve(noPaths))),
    ]);
    return { layers, dag, elements, paths };
  });
  if (!loaded) {
    forget();
    return;
  }
  Object.assign(state, { run, classId: loaded.elements.class_id ?? classId, layers: loaded.layers });
  const paths = loaded.paths.flatMap((found) => found.paths.map((path, i) => ({ ...path, sign: found.sign, rank: i + 1 })));
  draw(loaded.elements.elements, paths, loaded.dag);
  listPaths(paths, loaded.paths[0].images);
  $("truncated").hidden = !loaded.elements.truncated;
  $("neuron-panel").hidden = true;
  const info = state.classes.find((c) => c.id === state.classId);
  const runInfo = state.runs.find((r) => r.id === run);
  showTitle({ run: runInfo ? runInfo.label : run, classId: state.classId, name: info ? info.name : "", images: loaded.paths[0].images ?? (info ? info.images : null) });
  // The title, layer filter and paths above and below took room: fit to the graph's final size.
  state.cy.resize();
  state.cy.fit(undefined, 24);
  fitLabels(state.cy);
  urlstate.save();
  await loadImages(run, state.classId);
  updateSelection();
}

// After a failed Show nothing of the previous class stays: no graph, title, paths or panel.
function forget() {
  undraw("class", $("graph"));
  state.cy = null;
  Object.assign(state, { run: "", classId: "", paths: [] });
  clearOverlays();
  $("paths-panel").hidden = true;
  $("neuron-panel").hidden = true;
  $("layer-filter").hidden = true;
  $("truncated").hidden = true;
  updateSelection();
}

// The class's images, for the renders; a run whose model cannot be loaded here (weights
// missing) still shows its graph, with the reason in place of the images.
async function loadImages(run, classId) {
  fillSelect($("image"), []);
  $("images-note").textContent = "";
  try {
    const images = await getJson(`/api/runs/${encodeURIComponent(run)}/images`, { class_id: classId, limit: 24 });
    fillSelect($("image"), images.map((image) => ({ value: image.id, label: image.id.split("/").slice(1).join("/") })));
  } catch (error) {
    $("images-note").textContent = `no renders for this run: ${error.message}`;
  }
}

function draw(elements, paths, dag) {
  if (state.cy) state.cy.destroy();
  const columns = new Map(Object.entries(dag.columns));
  const cy = drawLayered("class", $("graph"), elements, columns);
  state.cy = cy;
  attachOverlays(cy, { run: state.run, classId: state.classId, layers: state.layers });
  // Evidence against first, so edges both kinds share keep the evidence-for colour.
  for (const path of [...paths].reverse()) markPath(cy, path.neurons, path.sign === "positive" ? "path" : "against");
  state.paths = paths;
  cy.on("tap", "node", (event) => {
    const additive = event.originalEvent && (event.originalEvent.shiftKey || event.originalEvent.ctrlKey);
    if (!additive) {
      cy.$(":selected").not(event.target).unselect();
    }
    inspectNeuron(event.target.id());
  });
  cy.on("tap", "edge.path, edge.against", (event) => {
    const edge = event.target;
    const path = paths.find((p) => p.neurons.some((id, i) => id === edge.data("source") && p.neurons[i + 1] === edge.data("target")));
    if (path) selectPath(path);
  });
  cy.on("select unselect", "node", () => {
    updateSelection();
    urlstate.saveSoon();
  });
  buildLayerFilter(cy);
}

// Every neuron of one path selected (and nothing else), so Explain shows its heatmap.
function selectPath(path) {
  const cy = state.cy;
  if (!cy) return;
  cy.$(":selected").unselect();
  for (const id of path.neurons) cy.getElementById(id).select();
  for (const row of $("paths-table").tBodies[0].rows) row.classList.toggle("chosen", row.dataset.key === pathKey(path));
}

const pathKey = (path) => `${path.sign}/${path.rank}`;
const shortId = (id) => id.split("/").slice(-2).join("/");

function listPaths(paths, images) {
  $("paths-panel").hidden = paths.length === 0;
  $("paths-images").textContent = String(images);
  const body = $("paths-table").tBodies[0];
  body.replaceChildren(
    ...paths.map((path) => {
      const row = element(
        "tr",
        { class: path.sign === "positive" ? "for" : "against", title: path.neurons.join(" > ") },
        element("td", { text: String(path.rank) }),
        element("td", { text: path.sign === "positive" ? "for" : "against" }),
        element("td", { text: formatNumber(path.score, 3) }),
        element("td", { text: path.neurons.map(shortId).join(" > ") }),
      );
      row.dataset.key = pathKey(path);
      row.addEventListener("click", () => selectPath(path));
      return row;
    }),
  );
}

function buildLayerFilter(cy) {
  const fieldset = $("layer-filter");
  const present = new Set(cy.nodes().map((node) => node.data("layer")));
  const layers = state.layers.filter((layer) => present.has(layer.name));
  const boxes = layers.map((layer) => {
    const box = element("input", { type: "checkbox", value: layer.name });
    box.checked = true;
    box.addEventListener("change", () => {
      const hidden = new Set([...fieldset.querySelectorAll("input:not(:checked)")].map((b) => b.value));
      cy.batch(() => {
        cy.nodes().forEach((node) => {
          node.toggleClass("filtered", hidden.has(node.data("layer")));
        });
      });
    });
    return element("label", {}, box, layer.name);
  });
  fieldset.replaceChildren(element("legend", { text: "layers" }), ...boxes);
  fieldset.hidden = boxes.length === 0;
}

async function inspectNeuron(neuron) {
  clearError();
  const detail = await busy("loading the neuron", () => getJson("/api/neurons/detail", { run: state.run, neuron }));
  if (!detail) return;
  $("neuron-panel").hidden = false;
  $("neuron-title").textContent = neuron;
  const facts = [
    ["layer", `${detail.layer.name} (${detail.layer.kind}, depth ${detail.layer.depth})`],
    ["index", detail.index],
    ["rank in class", rankIn(detail, state.classId)],
  ];
  $("neuron-facts").replaceChildren(...facts.flatMap(([term, value]) => [element("dt", { text: term }), element("dd", { text: String(value ?? "") })]));
  const classes = detail.classes;
  fillTable(
    $("neuron-classes"),
    ["class", "rank", "relevance"],
    classes.map((c) => [c.name ? `${c.name} (${c.class_id})` : c.class_id, String(c.rank), formatNumber(c.relevance)]),
  );
  if ($("image").value) await Promise.all([renderNeuron(neuron), loadReferences(neuron)]);
}

function rankIn(detail, classId) {
  const match = detail.classes.find((c) => c.class_id === classId);
  return match ? match.rank : "";
}

function release() {
  for (const url of state.objectUrls) URL.revokeObjectURL(url);
  state.objectUrls = [];
}

async function renderNeuron(neuron) {
  const imageId = $("image").value;
  if (!imageId) return;
  release();
  loadingImage($("input-image"), imageUrl(state.run, imageId));
  const body = { run: state.run, image_id: imageId, neurons: [neuron] };
  // An input neuron is a colour channel: it has a heatmap but nothing to project back.
  const projectable = neuron.split("/").at(-2) !== "input";
  $("neuron-deconv").closest("figure").hidden = !projectable;
  loadingImage($("neuron-heatmap"), null);
  if (projectable) loadingImage($("neuron-deconv"), null);
  const renders = [postPng("/api/renders/heatmap", body)];
  if (projectable) renders.push(postPng("/api/renders/deconvolution", body));
  const rendered = await busy("rendering", () => Promise.all(renders));
  if (!rendered) {
    loadingImage($("neuron-heatmap"), "");
    if (projectable) loadingImage($("neuron-deconv"), "");
    return;
  }
  const [heatmap, deconvolution] = rendered;
  state.objectUrls.push(...rendered.map((render) => render.url));
  loadingImage($("neuron-heatmap"), heatmap.url);
  $("neuron-heatmap").dataset.bytes = String(heatmap.bytes);
  if (projectable) loadingImage($("neuron-deconv"), deconvolution.url);
}

// Reference images: the neuron's top images by stored relevance and by activation, each the
// input crop beside the neuron's heatmap crop (PNG data URLs).
// Of the shown class's images unless "all classes" is ticked; grey placeholders while loading.
const REFERENCES = 4;

async function loadReferences(neuron) {
  const all = $("references-all").checked;
  const scope = all ? "all classes" : `class ${state.classId}`;
  $("references-scope").textContent = scope;
  const waiting = () => Array.from({ length: REFERENCES }, () => element("figure", { class: "placeholder" }, element("div", { class: "pending", text: "loading…" })));
  $("references-relevance").replaceChildren(...waiting());
  $("references-activation").replaceChildren(...waiting());
  const params = { run: state.run, neuron, k: REFERENCES, class_id: all ? undefined : state.classId };
  const references = await busy("loading reference images", () => getJson("/api/neurons/references", params));
  if (!references) {
    $("references-relevance").replaceChildren();
    $("references-activation").replaceChildren();
    return;
  }
  const figure = (ref) =>
    element("figure", {}, element("img", { src: ref.png, alt: ref.image, title: ref.image }), element("figcaption", { text: formatNumber(ref.score) }));
  const none = () => element("p", { class: "hint", text: `none stored for this neuron in ${scope}` });
  $("references-relevance").replaceChildren(...(references.by_relevance.length ? references.by_relevance.map(figure) : [none()]));
  $("references-activation").replaceChildren(...(references.by_activation.length ? references.by_activation.map(figure) : [none()]));
}

function selectedNeurons() {
  return state.cy ? state.cy.$("node:selected").map((node) => node.id()) : [];
}

function updateSelection() {
  const ids = selectedNeurons();
  $("selection").replaceChildren(...ids.map((id) => element("li", { text: id })));
  $("explain").disabled = ids.length === 0 || !$("image").value;
  $("optimise").disabled = !state.cy || !$("image").value;
}

// The explanation and the selection curve live in explain.js.
function explainSelection() {
  return explainNeurons(selectedNeurons());
}

function optimiseSelection() {
  return optimise();
}
