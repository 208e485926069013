/* The incident page's behaviour (no inline scripts: the CSP forbids them).
   - A form marked data-reset-on-success (the note form) empties itself once the server
     says the change was saved (the "incident-saved" event of the HX-Trigger header). */
(function () {
  "use strict";

  document.addEventListener("incident-saved", function (event) {
    var form = event.target && event.target.closest && event.target.closest("form[data-reset-on-success]");
    if (form) {
      form.reset();
    }
  });
})();
