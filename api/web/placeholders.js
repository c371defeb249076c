// Pictures that show a grey "loading…" box until they arrive and a "not available" box when
// they fail, never a broken-image icon.

// `src`: a URL to load, null while it is being made elsewhere, "" when there is none.
export function loadingImage(img, src) {
  const figure = img.closest("figure") ?? img.parentElement;
  figure.classList.remove("failed");
  img.onload = () => figure.classList.remove("pending");
  img.onerror = () => {
    figure.classList.remove("pending");
    figure.classList.add("failed");
    img.removeAttribute("src");
  };
  if (!src) {
    img.removeAttribute("src");
    figure.classList.toggle("pending", src === null);
    figure.classList.toggle("failed", src === "");
    return;
  }
  figure.classList.add("pending");
  img.src = src;
}
