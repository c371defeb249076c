// The view's state in the page's URL (?run=...&class=...&neurons=...&tab=...), so a link opens
// the same view. A view registers each field with a getter and a setter; save() writes every
// field's current value into the address bar, restore() hands each field found in the URL to its
// setter, in registration order (a setter may be async: a class is drawn before its neurons are
// selected).

const fields = new Map();
let restoring = false;
let timer = null;

// `get()` returns the field's value as a string ("" leaves it out of the URL); `set(value)`
// applies a value read from the URL.
export function register(name, get, set) {
  fields.set(name, { get, set });
}

// An <input> or <select> as a field: in the URL only when it differs from the page's default.
export function bindInput(name, input) {
  const initial = input.tagName === "SELECT" ? input.value : input.defaultValue;
  register(
    name,
    () => (input.value === initial ? "" : input.value),
    (value) => {
      input.value = value;
    },
  );
  input.addEventListener("change", saveSoon);
}

// The URL's query for the current state (the fields in registration order).
export function query() {
  const search = new URLSearchParams();
  for (const [name, field] of fields) {
    const value = field.get();
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  return search.toString();
}

export function save() {
  if (restoring) return;
  clearTimeout(timer);
  const text = query();
  const url = `${window.location.pathname}${text ? `?${text}` : ""}${window.location.hash}`;
  if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    window.history.replaceState(window.history.state, "", url);
  }
}

export function saveSoon() {
  clearTimeout(timer);
  timer = setTimeout(save, 150);
}

// Apply the fields the URL names; the URL is written again once all are applied.
export async function restore(search = window.location.search) {
  const wanted = new URLSearchParams(search);
  restoring = true;
  try {
    for (const [name, field] of fields) {
      if (wanted.has(name)) await field.set(wanted.get(name));
    }
  } finally {
    restoring = false;
  }
  save();
}
