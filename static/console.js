// Enhancements of the console forms; every form works without this file.
(function () {
  "use strict";
  function debounce(fn, ms) {
    var t;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  // Standard number: look the catalogue up as one types; warn for abolished standards.
  document.querySelectorAll("input[data-standard-lookup]").forEach(function (input) {
    var box = document.getElementById(input.id + "-lookup");
    var title = document.getElementById("f-standard-title");
    if (!box) { return; }
    var run = debounce(function () {
      var q = input.value.trim();
      box.textContent = "";
      if (q.length < 2 || /^(Q|T)\//i.test(q)) { return; }
      getJSON("/api/v1/reference/standards?limit=6&q=" + encodeURIComponent(q)).then(function (data) {
        box.textContent = "";
        (data.items || []).forEach(function (s) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "lookup-item" + (s.status === "abolished" ? " abolished" : "");
          var text = s.number + " " + s.title;
          if (s.status === "abolished") {
            text += " — 已废止" + (s.replaced_by && s.replaced_by.length ? "，已被 " + s.replaced_by.join("、") + " 代替" : "");
          }
          b.textContent = text;
          b.addEventListener("click", function () {
            input.value = s.number;
            if (title && !title.value) { title.value = s.title; }
            box.textContent = "";
            if (s.status === "abolished") {
              var w = document.createElement("p");
              w.className = "field-error";
              w.textContent = s.number + " 已废止" + (s.replaced_by && s.replaced_by.length ? "，请改为执行 " + s.replaced_by.join("、") : "") + "，无法发布。";
              box.appendChild(w);
            }
            input.focus();
          });
          box.appendChild(b);
        });
      }).catch(function () { box.textContent = ""; });
    }, 250);
    input.addEventListener("input", run);
  });

  // Indicator names: suggest canonical indicators as one types; a choice fills the row's code
  // (and its unit when empty), so the indicator is compared with the national standards.
  function indicatorRow(input) { return input.closest("tr"); }
  var suggestTimer;
  function suggest(input) {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(function () { suggestNow(input); }, 250);
  }
  function suggestNow(input) {
    var box = input.nextElementSibling;
    if (!box || !box.classList.contains("lookup")) { return; }
    var q = input.value.trim();
    box.textContent = "";
    if (q.length < 1) { return; }
    getJSON("/api/v1/reference/indicators?limit=6&q=" + encodeURIComponent(q)).then(function (data) {
      box.textContent = "";
      (data.items || []).forEach(function (s) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "lookup-item";
        b.textContent = s.name + "（" + s.code + (s.unit ? "，" + s.unit : "") + "）";
        b.addEventListener("click", function () {
          var row = indicatorRow(input);
          var code = row && row.querySelector("input[name$='.code']");
          var unit = row && row.querySelector("input[name$='.unit']");
          if (code) { code.value = s.code; }
          if (unit && !unit.value && s.unit) { unit.value = s.unit; }
          box.textContent = "";
          input.focus();
        });
        box.appendChild(b);
      });
    }).catch(function () { box.textContent = ""; });
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input[data-indicator-lookup]")) { suggest(e.target); }
  });

  // Product classes: offer the classes the declared, applicable and cited standards' requirements
  // distinguish (GB 18401: A类, B类, C类).
  var classes = document.getElementById("product-classes");
  if (classes) {
    var refreshClasses = debounce(function () {
      var text = ["f-standard-number", "f-applicable_mandatory", "f-cited_standards"].map(function (id) {
        var el = document.getElementById(id);
        return el ? el.value : "";
      }).join("\n");
      var numbers = text.split(/[\n\r,，;；、]+/).map(function (s) { return s.trim(); }).filter(function (s) { return s.length > 3; });
      Promise.all(numbers.map(function (n) {
        return getJSON("/api/v1/reference/requirements/" + encodeURIComponent(n)).catch(function () { return { classes: [] }; });
      })).then(function (all) {
        classes.textContent = "";
        all.forEach(function (r) {
          (r.classes || []).forEach(function (c) {
            var o = document.createElement("option");
            o.value = c;
            o.label = r.standard;
            classes.appendChild(o);
          });
        });
      });
    }, 400);
    ["f-standard-number", "f-applicable_mandatory", "f-cited_standards"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.addEventListener("change", refreshClasses); }
    });
    refreshClasses();
  }

  // Cascading pickers (division, industry): fill the next level from the reference API.
  document.querySelectorAll("[data-cascade]").forEach(function (set) {
    var source = set.getAttribute("data-cascade");
    var refresh = set.querySelector(".cascade-refresh");
    if (refresh) { refresh.hidden = true; }
    var levels = set.querySelector(".cascade-levels");
    function selects() { return Array.prototype.slice.call(set.querySelectorAll("select[data-level]")); }
    function onChange(e) {
      var sel = e.target;
      var level = parseInt(sel.getAttribute("data-level"), 10);
      selects().forEach(function (s) {
        if (parseInt(s.getAttribute("data-level"), 10) > level) { s.parentNode.remove(); }
      });
      if (!sel.value) { return; }
      getJSON("/api/v1/reference/" + source + "?parent=" + encodeURIComponent(sel.value)).then(function (data) {
        var items = data.items || [];
        if (!items.length) { return; }
        var field = sel.parentNode.cloneNode(true);
        var next = field.querySelector("select");
        var label = field.querySelector("label");
        var n = level + 1;
        var names = source === "divisions" ? ["省级", "地级", "县级"] : ["门类", "大类", "中类", "小类"];
        next.id = sel.id.replace(/-\d+$/, "-" + n);
        next.name = sel.name.replace(/\[\d+\]$/, "[" + n + "]");
        next.setAttribute("data-level", String(n));
        label.setAttribute("for", next.id);
        label.textContent = names[n] || "";
        next.textContent = "";
        var first = document.createElement("option");
        first.value = "";
        first.textContent = "请选择";
        next.appendChild(first);
        items.forEach(function (it) {
          var o = document.createElement("option");
          o.value = it.code;
          o.textContent = it.name + "（" + it.code + "）";
          next.appendChild(o);
        });
        levels.appendChild(field);
      });
    }
    set.addEventListener("change", function (e) { if (e.target.matches("select[data-level]")) { onChange(e); } });
  });

  // Campaign scope: count the eligible declarations as the scope changes.
  var scope = document.querySelector("[data-eligible-count]");
  if (scope) {
    var out = document.getElementById("eligible-count");
    var count = debounce(function () {
      var params = new URLSearchParams();
      scope.querySelectorAll("input, select").forEach(function (el) {
        if (!el.name || el.type === "submit") { return; }
        if (el.type === "checkbox" && !el.checked) { return; }
        if (el.value !== "") { params.append(el.name, el.value); }
      });
      getJSON("/regulator/eligible-count?" + params.toString())
        .then(function (d) { out.textContent = String(d.count); })
        .catch(function () { out.textContent = "—"; });
    }, 300);
    scope.addEventListener("change", count);
    scope.addEventListener("input", count);
    count();
  }

  // Repeatable rows: add empty rows in place instead of a round trip.
  document.querySelectorAll("button[data-add-rows]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      var set = document.getElementById("f-" + button.getAttribute("data-add-rows"));
      var body = set && set.querySelector("tbody");
      var last = body && body.querySelector("tr[data-row]:last-child");
      if (!last) { return; }
      e.preventDefault();
      var group = button.getAttribute("data-add-rows");
      for (var k = 0; k < 3; k++) {
        var n = body.querySelectorAll("tr[data-row]").length;
        var row = last.cloneNode(true);
        row.querySelector(".rownum").textContent = String(n + 1);
        row.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
        row.querySelectorAll("input, select").forEach(function (el) {
          el.name = el.name.replace(new RegExp("^" + group + "\\[\\d+\\]"), group + "[" + n + "]");
          el.id = el.id.replace(new RegExp("^f-" + group + "-\\d+"), "f-" + group + "-" + n);
          el.removeAttribute("aria-invalid");
          el.removeAttribute("aria-describedby");
          var label = el.getAttribute("aria-label");
          if (label) { el.setAttribute("aria-label", label.replace(/\s\d+\s/, " " + (n + 1) + " ")); }
          if (el.type === "checkbox") { el.checked = false; } else if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
        });
        row.querySelectorAll(".has-error").forEach(function (c) { c.classList.remove("has-error"); });
        body.appendChild(row);
      }
    });
  });
})();
