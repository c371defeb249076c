// The working set: neurons pinned from the class graph, grouped under names (as attribution-graph
// browsers group nodes into supernodes), then a group explained (its subgraph heatmap beside the
// full one) or several groups compared (their heatmaps on one colour scale, the relevance each
// keeps, MSE and SMAPE). Kept in the browser's local storage, so it outlives a reload.

import { explainNeurons, fractionKept, heatmapNumbers } from "./explain.js";
import { largestMagnitude, paintHeatmap } from "./heatmap.js";
import { busy, clearError, element, formatNumber, showError } from "./ui.js";

const $ = (id) => document.getElementById(id);
const STORAGE_KEY = "relex-working-set";

let viewContext = () => ({ run: "", imageId: "", cy: null });
const set = { pinned: [], groups: [] };

export function initWorkingSet(context) {
  viewContext = context;
  load();
  $("pin").addEventListener("click", pinSelection);
  $("unpin").addEventListener("click", () => {
    const checked = checkedValues("pinned");
    set.pinned = set.pinned.filter((id) => !checked.includes(id));
    save();
  });
  $("make-group").addEventListener("click", makeGroup);
  $("compare-groups").addEventListener("click", compareGroups);
  render();
}

function load() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? "{}");
    set.pinned = Array.isArray(stored.pinned) ? stored.pinned.filter((id) => typeof id === "string") : [];
    set.groups = Array.isArray(stored.groups) ? stored.groups.filter((g) => typeof g.name === "string" && Array.isArray(g.neurons)) : [];
  } catch {
    set.pinned = [];
    set.groups = [];
  }
}

function save() {
  window.localStorage.setItem(STORAGE_KEY, JSON.stringify(set));
  render();
}

const shortId = (id) => id.split("/").slice(-2).join("/");

function pinSelection() {
  clearError();
  const { cy } = viewContext();
  const selected = cy ? cy.$("node:selected").map((node) => node.id()) : [];
  if (!selected.length) {
    showError(new Error("select neurons in the graph to pin them"));
    return;
  }
  set.pinned = [...new Set([...set.pinned, ...selected])];
  save();
}

function checkedValues(listId) {
  return [...$(listId).querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

// A group of the checked pinned neurons (all pinned ones when none is checked), out of the pins.
function makeGroup() {
  clearError();
  const checked = checkedValues("pinned");
  const members = checked.length ? checked : [...set.pinned];
  if (!members.length) {
    showError(new Error("pin neurons first, then group them"));
    return;
  }
  const name = $("group-name").value.trim() || `group ${set.groups.length + 1}`;
  if (set.groups.some((group) => group.name === name)) {
    showError(new Error(`a group named ${JSON.stringify(name)} exists already: pick another name`));
    return;
  }
  set.groups.push({ name, neurons: members });
  set.pinned = set.pinned.filter((id) => !members.includes(id));
  $("group-name").value = "";
  save();
}

function selectInGraph(neurons) {
  const { cy } = viewContext();
  if (!cy) return;
  cy.$(":selected").unselect();
  for (const id of neurons) cy.getElementById(id).select();
}

function render() {
  $("pinned").replaceChildren(
    ...set.pinned.map((id) => element("li", { title: id }, element("label", {}, element("input", { type: "checkbox", value: id }), shortId(id)))),
  );
  $("groups").replaceChildren(...set.groups.map(groupRow));
  $("working-set-panel").dataset.pinned = String(set.pinned.length);
  $("working-set-panel").dataset.groups = String(set.groups.length);
}

function groupRow(group) {
  const button = (text, action) => {
    const node = element("button", { type: "button", text });
    node.addEventListener("click", action);
    return node;
  };
  const row = element(
    "li",
    { title: group.neurons.join("\n") },
    element("label", {}, element("input", { type: "checkbox", value: group.name }), `${group.name} (${group.neurons.length})`),
    button("select", () => selectInGraph(group.neurons)),
    button("explain", () => {
      selectInGraph(group.neurons);
      explainNeurons(group.neurons, group.name);
    }),
    button("delete", () => {
      set.groups = set.groups.filter((other) => other !== group);
      save();
    }),
  );
  row.dataset.group = group.name;
  return row;
}

// The checked groups (all groups when none is checked) explained for the same image, their
// subgraph heatmaps on one colour scale, one table row each.
async function compareGroups() {
  clearError();
  const checked = checkedValues("groups");
  const groups = set.groups.filter((group) => !checked.length || checked.includes(group.name));
  if (!groups.length) {
    showError(new Error("make a group first, then compare"));
    return;
  }
  const results = await busy("comparing the groups", () => Promise.all(groups.map((group) => heatmapNumbers(group.neurons))));
  if (!results) return;
  const scale = largestMagnitude(...results.map((result) => result.map));
  const rows = groups.map((group, i) => {
    const canvas = element("canvas", { class: "group-map", "aria-label": `heatmap of ${group.name}` });
    paintHeatmap(canvas, results[i].map, scale);
    const kept = fractionKept(results[i]);
    const cells = [group.name, String(group.neurons.length), kept === null ? "n/a" : `${(100 * kept).toFixed(1)} %`, formatNumber(results[i].mse), `${formatNumber(results[i].smape)} %`];
    return element("tr", { "data-group": group.name }, element("td", {}, canvas), ...cells.map((text) => element("td", { text })));
  });
  const head = ["map", "group", "neurons", "kept", "MSE", "SMAPE"].map((text) => element("th", { text }));
  $("groups-table").replaceChildren(element("thead", {}, element("tr", {}, ...head)), element("tbody", {}, ...rows));
  $("groups-table").hidden = false;
}
