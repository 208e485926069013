/* The time-zone proposal: fills each form[data-time-zone-proposal] with the browser's
   zone (Intl), shows "Your browser says Europe/Berlin — use it?" when that differs from
   the zone the person has, and says where to come back to after the answer. Without
   JavaScript the form still offers to keep the zone or to choose one on the profile. */
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function prepare(form) {
    if (form.dataset.tzReady) return;
    form.dataset.tzReady = "1";
    var next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
    var zone = browserZone();
    if (!zone || zone === form.dataset.currentZone) return;
    form.querySelector("input[name=browser_time_zone]").value = zone;
    form.querySelectorAll("[data-tz-name]").forEach(function (element) {
      element.textContent = zone;
    });
    form.querySelectorAll("[data-tz-browser]").forEach(function (element) {
      element.hidden = false;
    });
    form.querySelectorAll("[data-tz-plain]").forEach(function (element) {
      element.hidden = true;
    });
  }

  function prepareAll() {
    document.querySelectorAll("form[data-time-zone-proposal]").forEach(prepare);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", prepareAll);
  } else {
    prepareAll();
  }
})();
