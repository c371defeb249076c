// What the class view draws over its graph: the title naming the run and class, the layer
// headers over the columns (they follow pan and zoom), and the hover tooltip with a neuron's
// relevance, rank, share, retained fraction and its top image of the class.

import { getJson, imageUrl } from "./api.js";
import { columnHeaders } from "./graph.js";
import { loadingImage } from "./placeholders.js";
import { element, formatNumber } from "./ui.js";

const $ = (id) => document.getElementById(id);
const summaries = new Map();

export function showTitle({ run, classId, name, images }) {
  const counted = images ? ` · relevance summed over ${images} images` : "";
  $("class-title").textContent = `${name ? `${name} (${classId})` : classId} · run ${run}${counted}`;
  $("class-title").hidden = false;
}

export function clearOverlays() {
  $("class-title").textContent = "";
  $("class-title").hidden = true;
  $("graph-headers").replaceChildren();
  hideTooltip();
}

export function attachOverlays(cy, context) {
  const headers = columnHeaders(cy).map((column) =>
    element("div", { class: "column-header", title: column.layers.join("\n") }, ...headerLines(column.layers).map((line) => element("span", { text: line }))),
  );
  $("graph-headers").replaceChildren(...headers);
  const columns = columnHeaders(cy);
  const place = () => {
    const zoom = cy.zoom();
    const pan = cy.pan();
    headers.forEach((header, i) => {
      header.style.left = `${columns[i].x * zoom + pan.x}px`;
      header.style.maxWidth = `${Math.max(60, 230 * zoom)}px`;
    });
  };
  place();
  cy.on("viewport resize", place);
  hideTooltip();
  cy.on("mouseover", "node", (event) => showTooltip(cy, event.target, context));
  cy.on("mouseout", "node", (event) => {
    event.target.removeClass("hovered");
    hideTooltip();
  });
  cy.on("viewport", hideTooltip);
  cy.container().addEventListener("mouseleave", hideTooltip);
}

// A column's layer names on at most two lines: their common dotted prefix (a ResNet block,
// "layer2.0"), then the rest joined ("conv1 · downsample").
function headerLines(layers) {
  const parts = layers.map((name) => name.split("."));
  let common = 0;
  while (parts.every((p) => p.length > common + 1 && p[common] === parts[0][common])) common += 1;
  const prefix = parts[0].slice(0, common).join(".");
  const rest = parts.map((p) => p.slice(common).join(".")).join(" · ");
  return prefix ? [prefix, rest] : [rest];
}

function hideTooltip() {
  const tip = $("graph-tooltip");
  tip.hidden = true;
  delete tip.dataset.neuron;
}

async function showTooltip(cy, node, context) {
  node.addClass("hovered");
  const tip = $("graph-tooltip");
  const id = node.id();
  tip.dataset.neuron = id;
  tip.replaceChildren(element("strong", { text: node.data("label") }), element("div", { class: "full-id", text: id }), element("div", { class: "hint", text: "loading…" }));
  tip.hidden = false;
  position(cy, node, tip);
  const key = `${context.run}|${context.classId}|${id}`;
  if (!summaries.has(key)) {
    summaries.set(
      key,
      getJson("/api/neurons/summary", { run: context.run, class_id: context.classId, neuron: id }).catch((error) => ({ error: error.message })),
    );
  }
  const summary = await summaries.get(key);
  if (tip.dataset.neuron !== id) return;
  const layer = context.layers.find((l) => l.name === node.data("layer"));
  tip.replaceChildren(element("strong", { text: node.data("label") }), element("div", { class: "full-id", text: id }), ...describe(summary, layer, context));
  tip.dataset.ready = "true";
  position(cy, node, tip);
}

function describe(summary, layer, context) {
  if (summary.error) return [element("div", { class: "note", text: summary.error })];
  const percent = (value) => (value === null || value === undefined ? "—" : `${(100 * value).toFixed(1)} %`);
  const rows = [
    ["relevance", `${formatNumber(summary.relevance)} (summed over ${summary.images} images)`],
    ["rank", `${summary.rank}${layer ? ` of ${layer.size}` : ""} in ${summary.layer}`],
    ["share", `${percent(summary.share)} of the layer's relevance`],
    ["retained", summary.retained === null ? "— (input layer)" : `${percent(summary.retained)} by its stored edges`],
  ];
  const facts = element("dl", {}, ...rows.flatMap(([term, value]) => [element("dt", { text: term }), element("dd", { "data-field": term, text: value })]));
  const top = summary.top_images[0];
  if (!top) return [facts, element("div", { class: "hint", text: "no stored image of this class" })];
  const img = element("img", { alt: `top image ${top.image}` });
  const figure = element("figure", { class: "thumbnail" }, img, element("figcaption", { text: `top image: ${top.image.split("/").slice(1).join("/")}` }));
  loadingImage(img, imageUrl(context.run, top.image));
  return [facts, figure];
}

// Beside the node, inside the graph's frame, flipped left near the right edge.
function position(cy, node, tip) {
  const frame = tip.parentElement.getBoundingClientRect();
  const box = cy.container().getBoundingClientRect();
  const at = node.renderedPosition();
  const radius = node.renderedWidth() / 2 + 8;
  let left = box.left - frame.left + at.x + radius;
  const top = Math.max(0, Math.min(box.top - frame.top + at.y - 20, frame.height - tip.offsetHeight - 4));
  if (left + tip.offsetWidth > frame.width - 4) left = box.left - frame.left + at.x - radius - tip.offsetWidth;
  tip.style.left = `${Math.max(0, left)}px`;
  tip.style.top = `${top}px`;
}
