/* Tocsin's shared behaviour, loaded on every page (no inline scripts: the CSP forbids them).
   - The "Menu" button shows and hides the navigation on phones.
   - Forms or buttons with data-confirm="Question?" ask before submitting. */
(function () {
  "use strict";

  function setUpMenu() {
    var button = document.querySelector(".menu-toggle[aria-controls]");
    if (!button) return;
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) return;

    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    }

    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  function setUpConfirm() {
    document.addEventListener(
      "submit",
      function (event) {
        var form = event.target;
        var submitter = event.submitter;
        var question =
          (submitter && submitter.getAttribute("data-confirm")) ||
          form.getAttribute("data-confirm");
        if (question && !window.confirm(question)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      },
      true
    );
  }

  function start() {
    document.documentElement.classList.add("js");
    setUpMenu();
    setUpConfirm();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
