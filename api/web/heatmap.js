// Relevance maps painted on a canvas the way the server colours its PNGs
// (ingest/render.py heatmap_rgb): white at zero, red positive, blue negative, scaled by the
// largest absolute value, or by a scale several maps share, with a colour bar for that scale.

import { element, formatNumber } from "./ui.js";

// The largest |value| over every map given (0 for empty maps).
export function largestMagnitude(...maps) {
  let largest = 0;
  for (const rows of maps) for (const row of rows) for (const value of row) largest = Math.max(largest, Math.abs(value));
  return largest;
}

// The sum of every pixel of a map.
export function total(rows) {
  let sum = 0;
  for (const row of rows) for (const value of row) sum += value;
  return sum;
}

function colour(level) {
  const fade = Math.round((1 - Math.abs(level)) * 255);
  return level >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

export function paintHeatmap(canvas, rows, scale = largestMagnitude(rows)) {
  const height = rows.length;
  const width = height ? rows[0].length : 0;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  rows.forEach((row, y) => {
    row.forEach((value, x) => {
      const level = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
      const at = 4 * (y * width + x);
      image.data.set([...colour(level), 255], at);
    });
  });
  context.putImageData(image, 0, 0);
  canvas.dataset.painted = String(width * height);
  canvas.dataset.scale = String(scale);
}

// A horizontal colour bar from -scale (blue) through 0 (white) to +scale (red), labelled.
export function drawColourBar(container, scale, unit = "relevance per pixel") {
  const bar = element("canvas", { class: "colour-bar", width: "256", height: "1", "aria-label": "colour scale" });
  const context = bar.getContext("2d");
  const image = context.createImageData(256, 1);
  for (let x = 0; x < 256; x++) image.data.set([...colour((x - 127.5) / 127.5), 255], 4 * x);
  context.putImageData(image, 0, 0);
  const labels = element(
    "div",
    { class: "colour-bar-labels" },
    element("span", { text: formatNumber(-scale) }),
    element("span", { text: `0 (${unit})` }),
    element("span", { text: formatNumber(scale) }),
  );
  container.replaceChildren(bar, labels);
  container.dataset.scale = String(scale);
}
