// Small page helpers: the loading indicator, the error banner, and DOM building.

const pending = new Set();

// Run `task` with a loading message in the status bar; any error lands in the banner.
export async function busy(message, task) {
  const token = Symbol(message);
  pending.add(token);
  showStatus();
  document.body.classList.add("loading");
  try {
    const result = await task();
    return result;
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    pending.delete(token);
    showStatus();
    if (pending.size === 0) document.body.classList.remove("loading");
  }
}

function showStatus() {
  const status = document.getElementById("status");
  const messages = [...pending].map((token) => token.description);
  status.textContent = messages.length ? `${messages.join(", ")}…` : "";
}

export function showError(error) {
  const banner = document.getElementById("error");
  const code = error && error.status ? ` (HTTP ${error.status})` : "";
  banner.textContent = `${error && error.message ? error.message : String(error)}${code}`;
  banner.hidden = false;
}

export function clearError() {
  const banner = document.getElementById("error");
  banner.hidden = true;
  banner.textContent = "";
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function fillTable(table, columns, rows) {
  table.replaceChildren(
    element("thead", {}, element("tr", {}, ...columns.map((c) => element("th", { text: c })))),
    element("tbody", {}, ...rows.map((row) => element("tr", {}, ...row.map((cell) => element("td", { text: cell }))))),
  );
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  if (Number.isInteger(number)) return String(number);
  const magnitude = Math.abs(number);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5) ? number.toExponential(digits - 1) : number.toFixed(digits);
}

export function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(({ value, label }) => element("option", { value, text: label ?? value })));
  if (chosen !== undefined && options.some((o) => o.value === chosen)) select.value = chosen;
}
