// The selection curve as an inline SVG: error (MSE or SMAPE) of the subgraph heatmap against the
// number of neurons kept per layer (k, on a log2 axis: k doubles from point to point), the
// threshold as a dashed line (when it lies within the curve's range) and the chosen k marked.

import { formatNumber } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const HEIGHT = 200;
const MARGIN = { left: 64, right: 14, top: 14, bottom: 38 };
const Y_TICKS = 4;

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// The smallest 1, 2 or 5 times a power of ten at least ``value``: round tick values.
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * power >= value * (1 - 1e-9));
  return step * power;
}

// A tick value in at most 3 significant digits, as an exponent when very large or small.
function tickText(value) {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

export function drawCurve(container, points, chosenK, threshold, metric = "mse") {
  const xs = points.map((p) => Math.log2(Math.max(1, Number(p.k))));
  const ys = points.map((p) => Number(p[metric]));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const yMax = niceCeiling(Math.max(...ys, 1e-30));
  const x = (value) => MARGIN.left + ((value - xMin) / (xMax - xMin)) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (value) => HEIGHT - MARGIN.bottom - (value / yMax) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "curve", role: "img", "aria-label": "selection curve" });
  const unit = metric === "smape" ? "SMAPE (%)" : "MSE";
  chart.append(
    svg("line", { x1: MARGIN.left, y1: y(0), x2: WIDTH - MARGIN.right, y2: y(0), stroke: "#888" }),
    svg("line", { x1: MARGIN.left, y1: y(0), x2: MARGIN.left, y2: MARGIN.top, stroke: "#888" }),
    svg("text", { x: (MARGIN.left + WIDTH - MARGIN.right) / 2, y: HEIGHT - 6, "text-anchor": "middle", "font-size": 11 }, "neurons kept per layer (k)"),
    svg("text", { x: 12, y: (MARGIN.top + HEIGHT - MARGIN.bottom) / 2, "text-anchor": "middle", "font-size": 11, transform: `rotate(-90 12 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2})` }, unit),
  );
  for (let i = 0; i <= Y_TICKS; i++) {
    const value = (yMax * i) / Y_TICKS;
    chart.append(
      svg("line", { x1: MARGIN.left - 3, y1: y(value), x2: MARGIN.left, y2: y(value), stroke: "#888" }),
      svg("text", { x: MARGIN.left - 5, y: y(value) + 3, "text-anchor": "end", "font-size": 10, class: "y-tick" }, tickText(value)),
    );
  }
  points.forEach((point, i) => {
    chart.append(svg("text", { x: x(xs[i]), y: HEIGHT - MARGIN.bottom + 13, "text-anchor": "middle", "font-size": 10, class: "x-tick" }, String(point.k)));
  });
  if (threshold !== null && threshold !== undefined) {
    // A threshold above the curve is drawn on the chart's top edge, its label saying so.
    const within = threshold <= yMax;
    const at = y(Math.min(threshold, yMax));
    chart.append(
      svg("line", { x1: MARGIN.left, y1: at, x2: WIDTH - MARGIN.right, y2: at, stroke: "#e08e0b", "stroke-dasharray": "4 3", class: "threshold" }),
      svg("text", { x: WIDTH - MARGIN.right, y: at + (within ? -3 : 11), "text-anchor": "end", "font-size": 10, fill: "#b36b00" }, `threshold ${within ? "" : "above the chart, "}${tickText(threshold)}`),
    );
  }
  const line = points.map((_, i) => `${i ? "L" : "M"}${x(xs[i]).toFixed(1)},${y(ys[i]).toFixed(1)}`).join(" ");
  chart.append(svg("path", { d: line, fill: "none", stroke: "#c0392b", "stroke-width": 2 }));
  points.forEach((point, i) => {
    const chosen = Number(point.k) === chosenK;
    const circle = svg("circle", { cx: x(xs[i]), cy: y(ys[i]), r: chosen ? 5 : 3, fill: chosen ? "#1f9d55" : "#c0392b", class: chosen ? "chosen" : "point" });
    circle.append(svg("title", {}, `k = ${point.k}: ${point.neurons_kept} neurons, MSE ${formatNumber(point.mse)}, SMAPE ${formatNumber(point.smape)} %`));
    chart.append(circle);
  });
  container.replaceChildren(chart);
}
