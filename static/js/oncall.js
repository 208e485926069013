/* On-call pages (no inline scripts: the CSP forbids them).
   - The editors' forms carry data-focus="<id>": after htmx swaps a form in (a row added,
     moved or removed, a preview shown, problems found), the named element gets the
     focus, so keyboard and screen-reader users land where the change happened.
   - Buttons with data-copy="<input id>" copy that input's value (the calendar address). */
(function () {
  "use strict";

  function focusNamed(root) {
    if (!root || !root.getAttribute) return;
    var id = root.getAttribute("data-focus");
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    if (target.tabIndex < 0 && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start", behavior: "auto" });
  }

  function setUpCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      var status = document.getElementById(input.id + "-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        input.select();
        var done = function () { if (status) status.textContent = "Copied."; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            if (status) status.textContent = "Select the address and copy it.";
          });
        } else {
          try { document.execCommand("copy"); done(); } catch (error) {
            if (status) status.textContent = "Select the address and copy it.";
          }
        }
      });
    });
  }

  function start() {
    setUpCopy();
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var swapped = event.detail && event.detail.elt;
      var form = swapped && swapped.closest ? swapped.closest("form[data-focus]") : null;
      if (!form) {
        form = document.querySelector("form.editor[data-focus]");
      }
      focusNamed(form);
    });
    // A whole-page answer (no JavaScript swap) still lands on the problems or the preview.
    var editor = document.querySelector("form.editor[data-focus]");
    if (editor && editor.getAttribute("data-focus") && document.readyState !== "complete") {
      focusNamed(editor);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
