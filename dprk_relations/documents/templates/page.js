
(function () {
  "use strict";
  var collator = new Intl.Collator("en", {numeric: true, sensitivity: "base"});
  function fmt(n) { return n.toLocaleString("en-US"); }

  // Copy buttons: the clipboard where allowed, else select the text for Ctrl+C.
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    btn.hidden = false;
    function say(text) {
      btn.textContent = text;
      setTimeout(function () { btn.textContent = "Copy"; }, 1800);
    }
    function select() {
      var range = document.createRange(), sel = window.getSelection();
      range.selectNodeContents(target);
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? "Copied" : "Press Ctrl+C");
    }
    btn.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.textContent).then(function () { say("Copied"); }, select);
      } else {
        select();
      }
    });
  });

  // Table previews: built from their JSON block when first shown.
  function Preview(panel) {
    var spec = JSON.parse(document.getElementById("data-" + panel.getAttribute("data-table")).textContent);
    var cols = spec.columns, table = panel.querySelector("table.data");
    var tbody = table.tBodies[0], input = panel.querySelector("input[type=search]");
    var count = panel.querySelector(".count"), nomatch = panel.querySelector(".nomatch");
    var head = table.createTHead().insertRow(), ths = [];
    var sortCol = -1, sortDir = 1;

    cols.forEach(function (col, j) {
      var th = document.createElement("th"), btn = document.createElement("button");
      th.scope = "col";
      if (col.numeric) th.className = "num";
      if (col.derived) th.classList.add("derived");
      th.title = col.name + " (" + col.type + (col.derived ? ", derived" : "") + ")" +
        (col.description ? ": " + col.description : "");
      btn.type = "button";
      btn.textContent = col.name;
      btn.addEventListener("click", function () { sortBy(j); });
      th.appendChild(btn);
      head.appendChild(th);
      ths.push(th);
    });

    var items = spec.rows.map(function (cells, i) {
      var tr = document.createElement("tr");
      cells.forEach(function (value, j) {
        var td = document.createElement("td"), col = cols[j];
        if (col.numeric) td.className = "num";
        if (value !== "") {
          if (col.long) {
            var div = document.createElement("div");
            div.className = "clamp";
            div.textContent = value;
            td.classList.add("long");
            td.title = value;
            td.appendChild(div);
          } else {
            td.textContent = value;
            if (value.length > 40) td.title = value;
          }
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      return {tr: tr, cells: cells, i: i, text: cells.join("\u0001").toLowerCase()};
    });

    tbody.addEventListener("click", function (event) {
      var td = event.target.closest("td.long");
      if (td && !String(window.getSelection())) td.classList.toggle("open");
    });

    function compare(j, dir) {
      var numeric = cols[j].numeric;
      return function (a, b) {
        var x = a.cells[j], y = b.cells[j], r;
        if (x === "" || y === "") return x === y ? a.i - b.i : (x === "" ? 1 : -1);  // empty last
        if (numeric) {
          r = parseFloat(x) - parseFloat(y);
          if (isNaN(r)) r = collator.compare(x, y);
        } else {
          r = collator.compare(x, y);
        }
        return r !== 0 ? r * dir : a.i - b.i;
      };
    }

    function sortBy(j) {
      sortDir = sortCol === j ? -sortDir : 1;
      sortCol = j;
      var fragment = document.createDocumentFragment();
      items.slice().sort(compare(j, sortDir)).forEach(function (it) { fragment.appendChild(it.tr); });
      tbody.appendChild(fragment);
      ths.forEach(function (th, k) {
        if (k === j) th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      });
    }

    function filter() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      items.forEach(function (it) {
        var ok = terms.every(function (t) { return it.text.indexOf(t) !== -1; });
        it.tr.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = fmt(shown) + " of " + fmt(items.length) + " rows";
      nomatch.hidden = shown !== 0;
    }

    input.addEventListener("input", filter);
    filter();
  }

  var built = {};
  function show(panel) {
    var name = panel.getAttribute("data-table");
    if (!built[name]) { built[name] = true; Preview(panel); }
  }

  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tablist [role=tab]"));
  function select(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab, panel = document.getElementById(t.getAttribute("aria-controls"));
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
      if (on) show(panel);
    });
    if (focus) tab.focus();
  }
  if (tabs.length) {
    document.querySelector(".tablist").hidden = false;
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var k = e.key, j = k === "ArrowRight" ? i + 1 : k === "ArrowLeft" ? i - 1 :
          k === "Home" ? 0 : k === "End" ? tabs.length - 1 : null;
        if (j === null) return;
        e.preventDefault();
        select(tabs[(j + tabs.length) % tabs.length], true);
      });
    });
    function fromHash() {
      var target = location.hash && document.getElementById(location.hash.slice(1));
      var tab = target && tabs.filter(function (t) { return t.getAttribute("aria-controls") === target.id; })[0];
      return tab || null;
    }
    select(fromHash() || tabs[0], false);
    window.addEventListener("hashchange", function () { var t = fromHash(); if (t) select(t, false); });
  }
})();
