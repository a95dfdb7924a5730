(function () {
  "use strict";
  var table = document.getElementById("items-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var q = document.getElementById("q");
  var sev = document.getElementById("f-sev");
  var rule = document.getElementById("f-rule");
  var count = document.getElementById("count");
  function apply() {
    var text = q.value.trim().toLowerCase();
    var s = sev.value;
    var r = rule.value;
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!s || tr.dataset.sev === s) && (!r || tr.dataset.rule === r) &&
        (!text || tr.textContent.toLowerCase().indexOf(text) >= 0);
      tr.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown === rows.length ? rows.length + " items" : shown + " of " + rows.length + " items";
  }
  [q, sev, rule].forEach(function (el) {
    el.addEventListener("input", apply);
  });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    if (!th.dataset.type) return;
    th.tabIndex = 0;
    function sort() {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      var num = th.dataset.type === "num";
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v;
        var y = b.cells[col].dataset.v;
        if (num) { x = +x; y = +y; }
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
    });
  });
  apply();
  document.documentElement.dataset.ready = "1";
})();
