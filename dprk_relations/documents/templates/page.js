(function () {
  "use strict";
  var collator = new Intl.Collator("en", {numeric: true, sensitivity: "base"});
  var EMPTY = " ";  // the option value of "no value": "" is taken by "all"
  var STATUS_SEP = "\u001f";  // table and status in one option value of the search over all tables
  function fmt(n) { return n.toLocaleString("en-US"); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function put(parent, text) { parent.appendChild(document.createTextNode(text)); }

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

  // -- the data: each table's JSON is parsed when something first needs it ----------------------

  var modelNode = document.getElementById("page-model");
  var model = modelNode ? JSON.parse(modelNode.textContent) : {show: 1000, tables: [], citations: null};
  var SHOW = model.show;
  var meta = Object.create(null);
  model.tables.forEach(function (t) { meta[t.name] = t; });
  var cache = Object.create(null);

  function data(name) {
    if (cache[name]) return cache[name];
    var t = meta[name];
    if (!t) return null;
    var spec = JSON.parse(document.getElementById("data-" + t.id).textContent);
    var at = Object.create(null);
    spec.columns.forEach(function (c, j) { at[c.name] = j; });
    cache[name] = {meta: t, columns: spec.columns, rows: spec.rows, at: at, byKey: null, refs: {}};
    return cache[name];
  }
  function col(d, name) { return name && name in d.at ? d.at[name] : -1; }
  function find(name, key) {
    var d = data(name);
    if (!d) return null;
    var k = col(d, d.meta.key);
    if (k < 0) return null;
    if (!d.byKey) {
      d.byKey = Object.create(null);
      d.rows.forEach(function (r, i) { d.byKey[r[k]] = i; });
    }
    var i = d.byKey[key];
    return i === undefined ? null : d.rows[i];
  }
  // The rows of table `name` whose column `j` holds `key` (one of its ids, for a list).
  function referrers(name, j, key) {
    var d = data(name), index = d.refs[j];
    if (!index) {
      index = d.refs[j] = Object.create(null);
      var list = d.columns[j].list;
      d.rows.forEach(function (r, i) {
        if (!r[j]) return;
        (list ? r[j].split(" ") : [r[j]]).forEach(function (id) {
          if (id) (index[id] || (index[id] = [])).push(i);
        });
      });
    }
    return (index[key] || []).map(function (i) { return d.rows[i]; });
  }

  // -- links ----------------------------------------------------------------------------------

  function recordHref(table, key) {
    return "#record/" + encodeURIComponent(table) + "/" + encodeURIComponent(key);
  }
  function recordLink(table, key, text) {
    var a = el("a", "id", text === undefined ? key : text);
    a.href = recordHref(table, key);
    return a;
  }
  function addressLink(url) {
    var a = el("a", "url", url);
    a.href = url;  // only ever an http(s) address: see ADDRESS
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  var ADDRESS = /https?:\/\/[^\s<>"]+/g;
  // Text, with every web address in it a link; the text nodes and links together are the text.
  function linkify(parent, text) {
    var last = 0, m;
    ADDRESS.lastIndex = 0;
    while ((m = ADDRESS.exec(text))) {
      var url = m[0].replace(/[.,;:!?'\u201d\u2019]+$/, "");  // the sentence's punctuation, not the address's
      while (/\)$/.test(url) && url.split("(").length < url.split(")").length) url = url.slice(0, -1);
      if (m.index > last) put(parent, text.slice(last, m.index));
      parent.appendChild(addressLink(url));
      last = m.index + url.length;
      ADDRESS.lastIndex = last;
    }
    if (last < text.length) put(parent, text.slice(last));
  }
  // A cell's value into `parent`: ids as links to their records, addresses as links, else text.
  function fill(parent, c, value, target) {
    if (!target) { linkify(parent, value); return; }
    if (!c.list) { parent.appendChild(recordLink(target, value)); return; }
    value.split(" ").forEach(function (id, i) {
      if (i) put(parent, " ");
      if (id) parent.appendChild(recordLink(target, id));
    });
  }
  function labelOf(c, value) { return c.labels && value in c.labels ? c.labels[value] : ""; }
  // The table a cell's id is a key of: its column's, the row's own (its key), or, for an id that
  // stands for whichever of several references is filled (a citation's record_id), that one's.
  function targetOf(cols, j, cells, table) {
    var c = cols[j];
    if (c.ref) return c.ref;
    if (c.own) return table;
    for (var k = 0; c.refBy && k < cols.length; k++) {
      if (cells[k] && cols[k].ref && c.refBy.indexOf(cols[k].name) >= 0) return cols[k].ref;
    }
    return null;
  }

  // -- filters: the values of a row that a select chooses among -------------------------------

  function year(date) {
    var y = parseInt(date, 10);
    return isNaN(y) ? null : y;
  }
  // The decades that a record's range of possible dates overlaps (ISO dates, either may be empty).
  function decades(low, high) {
    var a = year(low), b = year(high);
    if (a === null) a = b;
    if (b === null) b = a;
    if (a === null) return [EMPTY];
    var out = [];
    for (var d = Math.floor(a / 10) * 10; d <= b && out.length < 1000; d += 10) out.push(String(d));
    return out;
  }
  function periodOf(d, row) {
    var p = d.meta.period;
    return p.length ? decades(row[col(d, p[0])], row[col(d, p[1])]) : [EMPTY];
  }
  // Options of a select from the values the items have: in the order of the column's categories, then
  // by value; "no value" last.
  function options(values, labels, text) {
    var seen = Object.create(null), out = [];
    values.forEach(function (v) { seen[v] = (seen[v] || 0) + 1; });
    var order = labels ? Object.keys(labels) : [];
    Object.keys(seen).sort(function (a, b) {
      if (a === EMPTY || b === EMPTY) return a === EMPTY ? 1 : -1;
      var i = order.indexOf(a), j = order.indexOf(b);
      if (i !== j && (i < 0 || j < 0)) return i < 0 ? 1 : -1;
      return i !== j ? i - j : collator.compare(a, b);
    }).forEach(function (v) {
      out.push({value: v, text: (v === EMPTY ? "(none)" : text ? text(v) : v) + " · " + fmt(seen[v])});
    });
    return out;
  }
  function labelled(labels) {
    return function (v) { return labels && labels[v] ? labels[v] + " (" + v + ")" : v; };
  }
  // A dyad by the names of its two states ("China – North Korea (chn_prk)"), where its parts,
  // split at "_" (which no key holds), are keys of the table it is derived from.
  function dyadText(table) {
    return function (v) {
      var names = table ? v.split("_").map(function (k) { return nameOf(table, k); }) : [];
      return names.length > 1 && names.every(Boolean) ? names.join(" \u2013 ") + " (" + v + ")" : v;
    };
  }

  // -- a view: rows with search, filters, sorting, and SHOW rows drawn at a time ----------------

  // spec: {columns, items: [{cells, table, ...}], filters: [{name, label, options, values(item)}], unit}
  function View(root, spec) {
    var cols = spec.columns, items = spec.items, unit = spec.unit || "rows";
    var table = root.querySelector("table.data"), tbody = table.tBodies[0];
    var input = root.querySelector("input[type=search]"), count = root.querySelector(".count");
    var nomatch = root.querySelector(".nomatch"), more = root.querySelector(".more");
    var head = table.createTHead().insertRow(), ths = [];
    var sortCol = -1, sortDir = 1, order = items, matching = items, limit = SHOW, chosen = {};

    cols.forEach(function (c, j) {
      var th = el("th"), btn = el("button", null, c.name);
      th.scope = "col";
      if (c.numeric) th.className = "num";
      if (c.derived) th.classList.add("derived");
      th.title = c.name + " (" + (c.type || "string") + (c.derived ? ", derived" : "") + ")" +
        (c.description ? ": " + c.description : "");
      btn.type = "button";
      btn.addEventListener("click", function () { sortBy(j); });
      th.appendChild(btn);
      head.appendChild(th);
      ths.push(th);
    });

    var box = root.querySelector(".filters");
    spec.filters.forEach(function (f) {
      if (!f.options.length) return;
      var label = el("label", "filter"), select = el("select");
      select.name = f.name;
      label.appendChild(el("span", null, f.label));
      var all = el("option", null, "All");
      all.value = "";
      select.appendChild(all);
      var groups = Object.create(null);
      f.options.forEach(function (o) {
        var opt = el("option", null, o.text), parent = select;
        opt.value = o.value;
        if (o.group) {
          parent = groups[o.group] || (groups[o.group] = select.appendChild(el("optgroup")));
          parent.label = o.group;
        }
        parent.appendChild(opt);
      });
      select.addEventListener("change", function () {
        chosen[f.name] = select.value;
        update(false);
      });
      label.appendChild(select);
      box.appendChild(label);
    });

    function row(it) {
      if (it.tr) return it.tr;
      var tr = it.tr = el("tr");
      it.cells.forEach(function (value, j) {
        var td = el("td"), c = cols[j];
        if (c.numeric) td.className = "num";
        if (value !== "") {
          var target = targetOf(cols, j, it.cells, it.table), label = labelOf(c, value);
          if (c.long) {
            var div = el("div", "clamp");
            fill(div, c, value, target);
            td.classList.add("long");
            td.title = value;
            td.appendChild(div);
          } else {
            fill(td, c, value, target);
            if (label) td.title = label;
            else if (value.length > 40) td.title = value;
          }
        }
        tr.appendChild(td);
      });
      return tr;
    }

    tbody.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;  // a link opens, it does not unfold the text
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
      order = items.slice().sort(compare(j, sortDir));
      ths.forEach(function (th, k) {
        if (k === j) th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      });
      update(true);
    }

    function update(keep) {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var active = spec.filters.filter(function (f) { return chosen[f.name]; });
      matching = order.filter(function (it) {
        if (terms.length) {
          if (it.text === undefined) it.text = (it.search || it.cells).join("\u0001").toLowerCase();
          for (var t = 0; t < terms.length; t++) if (it.text.indexOf(terms[t]) === -1) return false;
        }
        for (var k = 0; k < active.length; k++) {
          if (active[k].values(it).indexOf(chosen[active[k].name]) === -1) return false;
        }
        return true;
      });
      if (!keep) limit = SHOW;
      draw();
    }

    // Scrolling near the end of the rows drawn draws the next SHOW (the button does the same).
    var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; }) && limit < matching.length) {
        limit += SHOW;
        draw();
      }
    }, {root: table.closest(".scroll"), rootMargin: "0px 0px 400px 0px"}) : null;

    function draw() {
      var n = Math.min(limit, matching.length), fragment = document.createDocumentFragment();
      for (var i = 0; i < n; i++) fragment.appendChild(row(matching[i]));
      tbody.textContent = "";
      tbody.appendChild(fragment);
      if (watcher) {
        watcher.disconnect();
        if (n && n < matching.length) watcher.observe(tbody.rows[n - 1]);
      }
      count.textContent = fmt(matching.length) + " of " + fmt(items.length) + " " + unit;
      nomatch.hidden = matching.length !== 0;
      more.hidden = n >= matching.length;
      more.querySelector("span").textContent = "Showing the first " + fmt(n) + " of these " +
        fmt(matching.length) + " " + unit + ".";
      more.querySelector("button").textContent = "Show " + fmt(Math.min(SHOW, matching.length - n)) + " more";
    }

    more.querySelector("button").addEventListener("click", function () {
      limit += SHOW;
      draw();
    });
    input.addEventListener("input", function () { update(false); });
    update(false);
  }

  // One table's rows, with filters by its status, dyad and period where it has them.
  function TableView(panel) {
    var name = panel.getAttribute("data-table"), d = data(name), t = d.meta;
    var key = col(d, t.key), st = col(d, t.status), dy = col(d, t.dyad);
    var columns = d.columns.map(function (c, j) {
      return j === key ? Object.assign({own: true}, c) : c;
    });
    var items = d.rows.map(function (cells, i) { return {cells: cells, i: i, table: name}; });
    var filters = [];
    if (st >= 0) {
      filters.push({name: "status", label: "Status", values: function (it) { return [it.cells[st] || EMPTY]; }});
    }
    if (dy >= 0) {
      filters.push({name: "dyad", label: "Dyad", values: function (it) { return [it.cells[dy] || EMPTY]; }});
    }
    if (t.period.length) {
      filters.push({name: "period", label: "Period", values: function (it) {
        return it.decades || (it.decades = periodOf(d, it.cells));
      }});
    }
    filters.forEach(function (f) {
      var values = [];
      items.forEach(function (it) { values.push.apply(values, f.values(it)); });
      var j = f.name === "status" ? st : f.name === "dyad" ? dy : -1;
      var labels = j >= 0 ? d.columns[j].labels : null;
      f.options = options(values, labels, f.name === "period" ? function (v) { return v + "s"; } :
        f.name === "dyad" && !labels ? dyadText(t.dyadOf) : labelled(labels));
    });
    View(panel, {columns: columns, items: items, filters: filters, unit: "rows"});
  }

  // Every record of every table in one list: filter by table, status, dyad and period.
  function ExploreView(root) {
    var items = [], tables = [], statuses = [], dyads = [], periods = [], statusLabels = Object.create(null);
    var dyadOf = (model.tables.filter(function (t) { return t.dyadOf; })[0] || {}).dyadOf;
    model.tables.forEach(function (t) {
      var d = data(t.name), key = col(d, t.key), st = col(d, t.status), dy = col(d, t.dyad);
      var date = col(d, t.date), label = col(d, t.label);
      var low = t.period.length ? col(d, t.period[0]) : -1, high = t.period.length ? col(d, t.period[1]) : -1;
      d.rows.forEach(function (r, i) {
        var when = date >= 0 ? r[date] : low >= 0 ? [r[low], r[high]].filter(Boolean).join(" to ") : "";
        var it = {
          cells: [t.title, key >= 0 ? r[key] : "", when, st >= 0 ? r[st] : "", label >= 0 ? r[label] : ""],
          search: r, i: items.length, table: t.name, tableTitle: t.title,
          status: st >= 0 ? t.name + STATUS_SEP + (r[st] || EMPTY) : "",
          dyad: dy >= 0 ? r[dy] || EMPTY : "",
          decades: periodOf(d, r)
        };
        items.push(it);
        tables.push(t.name);
        if (it.status) statuses.push(it.status);
        if (it.dyad) dyads.push(it.dyad);
        periods.push.apply(periods, it.decades);
      });
      if (st >= 0) statusLabels[t.name] = d.columns[st].labels || null;
    });
    var perTable = Object.create(null);
    tables.forEach(function (name) { perTable[name] = (perTable[name] || 0) + 1; });
    var tableOptions = model.tables.filter(function (t) { return perTable[t.name]; }).map(function (t) {
      return {value: t.name, text: t.title + " \u00b7 " + fmt(perTable[t.name])};
    });
    var statusOptions = [];
    model.tables.forEach(function (t) {
      var mine = statuses.filter(function (s) { return s.split(STATUS_SEP)[0] === t.name; });
      options(mine.map(function (s) { return s.split(STATUS_SEP)[1]; }), statusLabels[t.name],
        labelled(statusLabels[t.name])).forEach(function (o) {
        statusOptions.push({value: t.name + STATUS_SEP + o.value, text: o.text, group: t.title});
      });
    });
    var filters = [
      {name: "table", label: "Table", options: tableOptions, values: function (it) { return [it.table]; }},
      {name: "status", label: "Status", options: statusOptions, values: function (it) { return [it.status]; }},
      {name: "dyad", label: "Dyad", options: options(dyads, null, dyadText(dyadOf)),
        values: function (it) { return [it.dyad]; }},
      {name: "period", label: "Period", options: options(periods, null, function (v) { return v + "s"; }),
        values: function (it) { return it.decades; }}
    ];
    var columns = [
      {name: "table"}, {name: "record", own: true}, {name: "date"}, {name: "status"},
      {name: "summary", long: true}
    ];
    View(root, {columns: columns, items: items, filters: filters, unit: "records"});
  }

  // -- the record view --------------------------------------------------------------------------

  var aside = document.getElementById("record");
  var body = aside && aside.querySelector(".record-body");
  var base = null;  // the address the page had before a record was opened: closing returns to it
  var opener = null;  // what had the focus then: closing gives it back

  function snippet(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function nameOf(table, key) {
    var r = find(table, key), d = r && data(table), l = d ? col(d, d.meta.label) : -1;
    return l >= 0 && r[l] ? snippet(r[l], 90) : "";
  }

  function sourceLine(parent, id) {
    var s = model.citations && model.citations.sources;
    var line = el("p", "source");
    var r = s && find(s.table, id);
    if (!r) {
      put(line, "Source: ");
      line.appendChild(s ? recordLink(s.table, id) : el("code", null, id));
      parent.appendChild(line);
      return;
    }
    var d = data(s.table), title = r[col(d, s.title)] || id;
    put(line, "Source: ");
    line.appendChild(recordLink(s.table, id, title));
    [r[col(d, s.publisher)], r[col(d, s.date)]].forEach(function (v) { if (v) put(line, ", " + v); });
    var url = r[col(d, s.url)];
    if (url && /^https?:\/\//i.test(url)) {
      put(line, ". ");
      line.appendChild(addressLink(url));
    }
    parent.appendChild(line);
  }

  // One citation: its evidence, then where it comes from (in a record's view) or what it supports
  // (in a source's view).
  function citation(r, cd, c, forSource) {
    var li = el("li", "citation");
    var ev = col(cd, c.evidence);
    if (ev >= 0 && r[ev]) li.appendChild(el("blockquote", "evidence", r[ev]));
    if (forSource) {
      var line = el("p", "source");
      put(line, "Supports ");
      Object.keys(c.targets).forEach(function (table) {
        var v = r[col(cd, c.targets[table])];
        if (v) {
          put(line, (meta[table] ? meta[table].title : table) + " ");
          line.appendChild(recordLink(table, v));
        }
      });
      li.appendChild(line);
    } else if (col(cd, c.source) >= 0) {
      sourceLine(li, r[col(cd, c.source)]);
    }
    var facts = el("p", "cite-meta"), sup = col(cd, c.supports), loc = col(cd, c.locator);
    if (sup >= 0 && r[sup]) {
      put(facts, "Supports ");
      facts.appendChild(el("code", null, r[sup]));
      put(facts, " · ");
    }
    if (loc >= 0 && r[loc]) put(facts, "At " + r[loc] + " · ");
    put(facts, "Citation ");
    facts.appendChild(recordLink(c.table, r[col(cd, cd.meta.key)]));
    li.appendChild(facts);
    return li;
  }

  function citations(parent, title, rows, cd, c, forSource) {
    if (!rows.length) return;
    parent.appendChild(el("h3", null, title + " (" + fmt(rows.length) + ")"));
    var ol = el("ol", "citations");
    rows.forEach(function (r) { ol.appendChild(citation(r, cd, c, forSource)); });
    parent.appendChild(ol);
  }

  function render(name, key) {
    body.textContent = "";
    var t = meta[name], r = t ? find(name, key) : null;
    var h = el("h2");
    h.id = "record-title";
    h.appendChild(el("span", "kind", t ? t.title : name));
    h.appendChild(el("code", null, key));
    body.appendChild(h);
    if (!r) {
      var why = !t ? "This release has no table " + name + "." : t.partial ?
        "This page holds only the first rows of " + t.title + ", and not this one: the whole table is in " +
        t.path + "." : "This release has no record " + key + " in " + t.title + ".";
      body.appendChild(el("p", "note", why));
      return;
    }
    var d = data(name), c = model.citations;
    if (t.row) body.appendChild(el("p", "row-desc", t.row));
    // A name or title says which record this is; a long text (a summary) is among the fields below.
    var lab = col(d, t.label);
    if (lab >= 0 && r[lab] && !d.columns[lab].long) body.appendChild(el("p", "record-name", r[lab]));

    var dl = el("dl", "fields"), note = col(d, t.note);
    d.columns.forEach(function (cc, j) {
      if (j === note) return;
      var dt = el("dt", cc.derived ? "derived" : null, cc.name), dd = el("dd");
      dt.title = cc.description || "";
      if (r[j] === "") {
        dd.className = "empty";
      } else {
        var label = labelOf(cc, r[j]);
        if (label) {
          dd.appendChild(el("span", "label", label));
          put(dd, " ");
          dd.appendChild(el("code", null, r[j]));
        } else {
          var target = j === col(d, t.key) ? null : targetOf(d.columns, j, r, name);
          fill(dd, cc, r[j], target);
          if (target && !cc.list) {
            var name2 = nameOf(target, r[j]);  // who "sun" is: the Soviet Union
            if (name2) put(dd, " \u2013 " + name2);
          }
        }
      }
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    body.appendChild(dl);

    if (note >= 0 && r[note]) {
      body.appendChild(el("h3", null, "Coding note"));
      linkify(body.appendChild(el("p", "coding-note")), r[note]);
    }

    if (c) {
      var cd = data(c.table);
      if (name === c.table && col(d, c.source) >= 0) sourceLine(body, r[col(d, c.source)]);
      if (c.targets[name]) {
        citations(body, "Citations", referrers(c.table, col(cd, c.targets[name]), key), cd, c, false);
      }
      if (c.sources && name === c.sources.table && col(cd, c.source) >= 0) {
        citations(body, "Cited by", referrers(c.table, col(cd, c.source), key), cd, c, true);
      }
    }

    // The other records that point to this one (a visit's agreements, an actor's visits).
    var linked = el("div", "linked");
    model.tables.forEach(function (other) {
      if (c && other.name === c.table) return;  // shown above, with their evidence
      other.links.forEach(function (link) {
        if (link[1] !== name) return;
        var od = data(other.name), rows = referrers(other.name, col(od, link[0]), key);
        if (!rows.length) return;
        var k = col(od, other.key), l = col(od, other.label);
        linked.appendChild(el("h4", null, other.title + " \u00b7 " + link[0] + " (" + fmt(rows.length) + ")"));
        var ul = el("ul");
        rows.slice(0, 100).forEach(function (row) {
          var li = el("li");
          li.appendChild(k >= 0 ? recordLink(other.name, row[k]) : el("span", null, "a row"));
          if (l >= 0 && row[l]) put(li, " \u2013 " + snippet(row[l], 90));
          ul.appendChild(li);
        });
        if (rows.length > 100) ul.appendChild(el("li", "note", "and " + fmt(rows.length - 100) + " more"));
        linked.appendChild(ul);
      });
    });
    if (linked.firstChild) {
      body.appendChild(el("h3", null, "Linked from"));
      body.appendChild(linked);
    }
  }

  function recordFromHash() {
    var m = /^#record\/([^\/]+)\/([^\/]+)$/.exec(location.hash);
    if (!m) return null;
    try {
      return {table: decodeURIComponent(m[1]), key: decodeURIComponent(m[2])};
    } catch (e) {
      return null;
    }
  }

  function route(previous) {
    if (!aside) return;
    var rec = recordFromHash();
    if (!rec) {
      aside.hidden = true;
      return;
    }
    if (aside.hidden) {
      base = previous;
      opener = document.activeElement;
    }
    render(rec.table, rec.key);
    aside.hidden = false;
    aside.scrollTop = 0;
    aside.focus({preventScroll: true});
  }

  if (aside) {
    aside.querySelector(".close").addEventListener("click", function () {
      // A new entry, not a hash change: the page keeps its place, and Back reopens the record.
      history.pushState(null, "", base || location.pathname + location.search);
      aside.hidden = true;
      if (opener && opener !== document.body && document.contains(opener)) opener.focus({preventScroll: true});
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !aside.hidden) aside.querySelector(".close").click();
    });
  }

  // The timeline's marks are one stop for the Tab key, not hundreds: the arrow keys move between them,
  // in the order of the figure (by date).
  var marks = Array.prototype.slice.call(document.querySelectorAll("#timeline svg.marks a"));
  marks.forEach(function (a, i) {
    a.setAttribute("tabindex", i === 0 ? "0" : "-1");
    a.addEventListener("keydown", function (e) {
      var k = e.key, j = k === "ArrowRight" || k === "ArrowDown" ? i + 1 : k === "ArrowLeft" || k === "ArrowUp" ?
        i - 1 : k === "Home" ? 0 : k === "End" ? marks.length - 1 : null;
      if (j === null) return;
      e.preventDefault();
      a.setAttribute("tabindex", "-1");
      var next = marks[(j + marks.length) % marks.length];
      next.setAttribute("tabindex", "0");
      next.focus();
    });
  });

  // -- tabs, and the search over all tables -----------------------------------------------------

  var built = {};
  function show(panel) {
    var name = panel.getAttribute("data-table");
    if (!built[name]) { built[name] = true; TableView(panel); }
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
  function fromHash() {
    var target = location.hash && /^#[\w-]+$/.test(location.hash) && document.getElementById(location.hash.slice(1));
    var tab = target && tabs.filter(function (t) { return t.getAttribute("aria-controls") === target.id; })[0];
    return tab || null;
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
    select(fromHash() || tabs[0], false);
  }

  // The search over all tables parses every table: only once it is about to be used.
  var explore = document.querySelector("[data-view=explore]");
  if (explore) {
    var started = false;
    var start = function () {
      if (started) return;
      started = true;
      ExploreView(explore);
    };
    explore.addEventListener("focusin", start);
    explore.addEventListener("pointerover", start);
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries, observer) {
        if (entries.some(function (e) { return e.isIntersecting; })) { observer.disconnect(); start(); }
      }).observe(explore);
    } else {
      start();
    }
  }

  window.addEventListener("hashchange", function (e) {
    var t = fromHash();
    if (t) select(t, false);
    var old = e.oldURL.indexOf("#") >= 0 ? e.oldURL.slice(e.oldURL.indexOf("#")) : "";
    route(/^#record\//.test(old) ? base : old);
  });
  route("");
})();
