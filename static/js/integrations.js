// Copy buttons of the integrations pages: a button with data-copy-target="<id>" copies
// that element's text (an input's value, or a <pre>'s text) and says "Copied" for a
// moment. Without JavaScript the buttons stay hidden and the key is a selectable,
// read-only field. navigator.clipboard needs a secure context (https or localhost);
// elsewhere the older execCommand("copy") on a selection is used.
(function () {
  "use strict";

  function textOf(element) {
    return "value" in element && element.tagName !== "BUTTON" ? element.value : element.textContent;
  }

  function selectContents(element) {
    if (typeof element.select === "function") {
      element.focus();
      element.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallbackCopy(element) {
    selectContents(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function announce(button, copied) {
    var label = button.querySelector(".copy-label");
    var hidden = button.querySelector(".visually-hidden");
    label.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
    button.classList.toggle("copied", copied);
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = copied
        ? "Copied" + (hidden ? hidden.textContent : "") + " to the clipboard."
        : "Selected: press Ctrl+C (or Cmd+C) to copy.";
    }
    window.clearTimeout(button.copyTimer);
    button.copyTimer = window.setTimeout(function () {
      label.textContent = "Copy";
      button.classList.remove("copied");
    }, 4000);
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    var text = textOf(target);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          selectContents(target);
          announce(button, true);
        },
        function () {
          announce(button, fallbackCopy(target));
        }
      );
    } else {
      announce(button, fallbackCopy(target));
    }
  }

  function setUp(root) {
    var buttons = root.querySelectorAll("button[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (button.dataset.copyReady) continue;
      button.dataset.copyReady = "1";
      // The visible word lives in its own span, so "Copied" never drops the hidden label.
      var label = document.createElement("span");
      label.className = "copy-label";
      label.textContent = "Copy";
      button.replaceChild(label, button.firstChild);
      button.hidden = false;
      button.addEventListener("click", function (event) {
        copy(event.currentTarget);
      });
    }
    if (buttons.length && !document.getElementById("copy-status")) {
      var status = document.createElement("p");
      status.id = "copy-status";
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
  });
  // Parts of the page htmx swaps in get their buttons too.
  document.addEventListener("htmx:afterSwap", function (event) {
    setUp(event.target);
  });
})();
