// Calls to the relevance-explorer API: JSON in, JSON (or a PNG blob) out, and one readable
// error (ApiError) for every failure, whatever shape the server's error body has.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The server's access token, from the page's own URL (relex serve prints /?token=...): kept for
// the tab's session, taken out of the address bar, and sent with every call.
const TOKEN_KEY = "relex-token";

function readToken() {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    window.sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", url.toString());
  }
  return given || window.sessionStorage.getItem(TOKEN_KEY);
}

const token = readToken();

function withToken(headers) {
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// FastAPI answers {"detail": "..."} or, for a validation error, {"detail": [{loc, msg}, ...]}.
function describe(body) {
  const detail = body && typeof body === "object" ? body.detail ?? body.error ?? body.message : body;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const where = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "query" && p !== "body").join(".") : "";
        return where ? `${where}: ${item.msg}` : String(item.msg ?? JSON.stringify(item));
      })
      .join("; ");
  }
  if (typeof detail === "string") return detail;
  return JSON.stringify(detail);
}

async function failure(response) {
  const type = response.headers.get("content-type") || "";
  let reason;
  try {
    reason = type.includes("json") ? describe(await response.json()) : (await response.text()).trim();
  } catch {
    reason = "";
  }
  return new ApiError(response.status, reason || `${response.status} ${response.statusText}`);
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: withToken(init.headers ?? {}) });
  } catch (error) {
    throw new ApiError(0, `the server did not answer (${error.message})`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson(path, params = {}) {
  const response = await send(path + query(params), { headers: { Accept: "application/json" } });
  return response.json();
}

export async function postJson(path, body, params = {}) {
  const response = await send(path + query(params), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

// A PNG rendered by the server, as an object URL, with the MSE/SMAPE headers when present.
export async function postPng(path, body) {
  const response = await send(path + query({ format: "png" }), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "image/png" },
    body: JSON.stringify(body),
  });
  const blob = await response.blob();
  return {
    url: URL.createObjectURL(blob),
    bytes: blob.size,
    mse: numberHeader(response, "X-Relex-MSE"),
    smape: numberHeader(response, "X-Relex-SMAPE"),
  };
}

function numberHeader(response, name) {
  const value = response.headers.get(name);
  return value === null ? null : Number(value);
}

// A stored image ("<dataset>/<path>", slashes kept as path separators) as the run reads it.
export function imageUrl(run, imageId) {
  const path = imageId.split("/").map(encodeURIComponent).join("/");
  return `/api/images/${path}.png${query({ run })}`;
}
