// The selection curve as an inline SVG: error (MSE or SMAPE) of the subgraph heatmap against the
// number of neurons kept per layer (k), the threshold as a dashed line (when it lies within the
// curve's range) and the chosen k marked.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 180;
const MARGIN = { left: 48, right: 12, top: 12, bottom: 32 };

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawCurve(container, points, chosenK, threshold, metric = "mse") {
  const xs = points.map((p) => Number(p.k));
  const ys = points.map((p) => Number(p[metric]));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const yMax = Math.max(...ys, 1e-30);
  const x = (value) => MARGIN.left + ((value - xMin) / (xMax - xMin)) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (value) => HEIGHT - MARGIN.bottom - (value / yMax) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: "img", "aria-label": "selection curve" });
  chart.append(
    svg("line", { x1: MARGIN.left, y1: y(0), x2: WIDTH - MARGIN.right, y2: y(0), stroke: "#888" }),
    svg("line", { x1: MARGIN.left, y1: y(0), x2: MARGIN.left, y2: MARGIN.top, stroke: "#888" }),
    svg("text", { x: WIDTH / 2, y: HEIGHT - 6, "text-anchor": "middle", "font-size": 11 }, "neurons kept per layer (k)"),
    svg("text", { x: MARGIN.left + 6, y: MARGIN.top + 8, "font-size": 11 }, metric.toUpperCase()),
    svg("text", { x: MARGIN.left - 4, y: y(yMax) + 4, "text-anchor": "end", "font-size": 10 }, yMax.toPrecision(2)),
    svg("text", { x: MARGIN.left, y: HEIGHT - MARGIN.bottom + 14, "text-anchor": "middle", "font-size": 10 }, String(xMin)),
    svg("text", { x: WIDTH - MARGIN.right, y: HEIGHT - MARGIN.bottom + 14, "text-anchor": "middle", "font-size": 10 }, String(xMax)),
  );
  if (threshold !== null && threshold !== undefined && threshold <= yMax) {
    chart.append(svg("line", { x1: MARGIN.left, y1: y(threshold), x2: WIDTH - MARGIN.right, y2: y(threshold), stroke: "#e08e0b", "stroke-dasharray": "4 3" }));
  }
  const line = points.map((_, i) => `${i ? "L" : "M"}${x(xs[i]).toFixed(1)},${y(ys[i]).toFixed(1)}`).join(" ");
  chart.append(svg("path", { d: line, fill: "none", stroke: "#c0392b", "stroke-width": 2 }));
  points.forEach((_, i) => {
    const chosen = xs[i] === chosenK;
    chart.append(svg("circle", { cx: x(xs[i]), cy: y(ys[i]), r: chosen ? 5 : 3, fill: chosen ? "#1f9d55" : "#c0392b", class: chosen ? "chosen" : "point" }));
  });
  container.replaceChildren(chart);
}
