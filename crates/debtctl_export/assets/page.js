(function () {
  "use strict";
  // The filter and the sort live in the URL's fragment (#q=models&sev=error&sort=-debt),
  // so a filtered view can be bookmarked or linked.
  var table = document.getElementById("items-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var q = document.getElementById("q");
  var sev = document.getElementById("f-sev");
  var rule = document.getElementById("f-rule");
  var count = document.getElementById("count");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var sorted = "";

  function params() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* a bad escape: ignore it */ }
      }
    });
    return out;
  }

  function remember() {
    var p = [];
    if (q.value) p.push("q=" + encodeURIComponent(q.value));
    if (sev.value) p.push("sev=" + encodeURIComponent(sev.value));
    if (rule.value) p.push("rule=" + encodeURIComponent(rule.value));
    if (sorted) p.push("sort=" + encodeURIComponent(sorted));
    try { history.replaceState(null, "", p.length ? "#" + p.join("&") : location.pathname); } catch (e) { /* file: URLs may refuse */ }
  }

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

  function sortBy(th, dir) {
    var col = heads.indexOf(th);
    var num = th.dataset.type === "num";
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    sorted = (dir > 0 ? "" : "-") + th.dataset.key;
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v;
      var y = b.cells[col].dataset.v;
      if (num) { x = +x; y = +y; }
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  [q, sev, rule].forEach(function (el) {
    el.addEventListener("input", function () { apply(); remember(); });
  });
  heads.forEach(function (th) {
    if (!th.dataset.key) return;
    th.tabIndex = 0;
    function toggle() {
      sortBy(th, th.getAttribute("aria-sort") === "ascending" ? -1 : 1);
      remember();
    }
    th.addEventListener("click", toggle);
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); }
    });
  });

  var p = params();
  if (p.q) q.value = p.q;
  if (p.sev) sev.value = p.sev;
  if (p.rule) rule.value = p.rule;
  if (p.sort) {
    var key = p.sort.replace(/^-/, "");
    var th = heads.filter(function (h) { return h.dataset.key === key; })[0];
    if (th) sortBy(th, p.sort.charAt(0) === "-" ? -1 : 1);
  }
  apply();
  document.documentElement.dataset.ready = "1";
})();
