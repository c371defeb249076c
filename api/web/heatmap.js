// A relevance map painted on a canvas the way the server colours its PNGs
// (ingest/render.py heatmap_rgb): white at zero, red positive, blue negative, scaled by the
// largest absolute value.

export function paintHeatmap(canvas, rows) {
  const height = rows.length;
  const width = height ? rows[0].length : 0;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const scale = Math.max(...rows.map((row) => Math.max(...row.map(Math.abs))));
  rows.forEach((row, y) => {
    row.forEach((value, x) => {
      const level = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
      const fade = Math.round((1 - Math.abs(level)) * 255);
      const at = 4 * (y * width + x);
      image.data[at] = level >= 0 ? 255 : fade;
      image.data[at + 1] = fade;
      image.data[at + 2] = level >= 0 ? fade : 255;
      image.data[at + 3] = 255;
    });
  });
  context.putImageData(image, 0, 0);
  canvas.dataset.painted = String(width * height);
}
