// Filters the server-rendered API documentation by path, method or words.
(function () {
  "use strict";
  var box = document.querySelector("[data-api-filter]");
  var input = document.getElementById("api-filter");
  if (!box || !input) { return; }
  box.hidden = false;
  var ops = Array.prototype.slice.call(document.querySelectorAll("[data-api-op]"));
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    ops.forEach(function (op) {
      var text = op.querySelector("summary").textContent.toLowerCase();
      op.hidden = q !== "" && text.indexOf(q) === -1;
    });
    document.querySelectorAll(".api-tag").forEach(function (tag) {
      tag.hidden = tag.querySelectorAll("[data-api-op]:not([hidden])").length === 0;
    });
  });
})();
