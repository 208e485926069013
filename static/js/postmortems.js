// The print view's Print button: browsers have no HTML-only way to open the print
// dialog. Without JavaScript the button stays hidden and the browser's own Print works.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
