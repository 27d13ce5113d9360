// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Filters that submit as soon as a value is picked (the button stays for keyboard users).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  // Contact fields of the complaint form only when "named" is chosen.
  document.querySelectorAll("[data-show-when]").forEach(function (block) {
    var trigger = document.getElementById(block.getAttribute("data-show-when"));
    if (!trigger) { return; }
    var radios = document.querySelectorAll('input[name="' + trigger.name + '"]');
    function sync() { block.hidden = !trigger.checked; }
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });
  // Bring the error summary into view and focus.
  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
})();
