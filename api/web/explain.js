// The explanation of a set of neurons for one image: the input, the subgraph heatmap and the full
// heatmap side by side on one colour scale (with its colour bar), the fraction of the full map's
// relevance the subgraph keeps, and MSE / SMAPE with a line on what they mean; and the selection
// curve (Optimise), whose chosen neurons are then selected and explained.

import { imageUrl, postJson } from "./api.js";
import { drawCurve } from "./chart.js";
import { drawColourBar, largestMagnitude, paintHeatmap, total } from "./heatmap.js";
import { busy, clearError, formatNumber } from "./ui.js";

const $ = (id) => document.getElementById(id);

// The view the explanation is for: the shown run, the chosen image and the class graph.
let viewContext = () => ({ run: "", imageId: "", cy: null });

export function initExplanation(context) {
  viewContext = context;
}

// One call to the heatmap endpoint for the neurons: the maps and their MSE/SMAPE (throws the
// API's error, or a clear one when the run has no image to render).
export async function heatmapNumbers(neurons) {
  const { run, imageId } = viewContext();
  if (!imageId) throw new Error("no image to explain: this run has no renders");
  return postJson("/api/renders/heatmap", { run, image_id: imageId, neurons }, { format: "json" });
}

// The share of the full heatmap's relevance (its pixel sum) the subgraph heatmap keeps.
export function fractionKept(result) {
  const full = total(result.full);
  return full === 0 ? null : total(result.map) / full;
}

function percent(value) {
  return value === null ? "n/a" : `${(100 * value).toFixed(1)} %`;
}

export async function explainNeurons(neurons, title = "") {
  clearError();
  const { run, imageId } = viewContext();
  const result = await busy("explaining the selection", () => heatmapNumbers(neurons));
  if (!result) return undefined;
  $("explanation").hidden = false;
  $("explanation-input").src = imageUrl(run, imageId);
  const scale = largestMagnitude(result.map, result.full);
  paintHeatmap($("subgraph-heatmap"), result.map, scale);
  paintHeatmap($("full-heatmap"), result.full, scale);
  drawColourBar($("colour-bar"), scale);
  const kept = fractionKept(result);
  const named = title ? `${title}: ` : "";
  $("explanation-scores").textContent =
    `${named}${neurons.length} neurons keep ${percent(kept)} of the full heatmap's relevance — ` +
    `MSE ${formatNumber(result.mse)}, SMAPE ${result.smape.toFixed(1)} %`;
  $("explanation-scores").dataset.kept = kept === null ? "" : String(kept);
  $("explanation-help").textContent =
    "Both compare the two heatmaps value by value (every colour channel of every pixel). " +
    "MSE: the mean squared difference, in relevance squared; it is small whenever both maps are faint, so read it against the colour bar. " +
    "SMAPE: the mean relative difference, 0 % (same map) to 200 % (no overlap); faint values weigh as much as bright ones, so it stays high until the subgraph is large.";
  return result;
}

export async function optimise() {
  clearError();
  const { run, imageId, cy } = viewContext();
  const metric = $("metric").value;
  const threshold = Number($("threshold").value);
  // The server's k run 1, 2, 4, ... up to the largest layer, where the subgraph is everything.
  const result = await busy("optimising the selection", () => postJson("/api/selection", { run, image_id: imageId, metric, threshold }));
  if (!result) return;
  drawCurve($("curve"), result.points, result.chosen_k, result.threshold, result.metric);
  const bound = `${result.metric.toUpperCase()} ≤ ${formatNumber(result.threshold)}`;
  $("curve-note").textContent =
    result.chosen_k === null
      ? `no k meets ${bound}`
      : `k = ${result.chosen_k}: ${result.chosen_neurons.length} neurons, the fewest that meet ${bound}`;
  if (result.chosen_neurons === null) return;
  if (cy) {
    cy.$(":selected").unselect();
    for (const id of result.chosen_neurons) cy.getElementById(id).select();
  }
  await explainNeurons(result.chosen_neurons, `top ${result.chosen_k} per layer`);
}
