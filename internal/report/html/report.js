// The interactive part of orgiam's HTML reports: the summary, then the rows
// with a search box, facet filters, sorting and pages. Plain JavaScript with
// no library: the page is one file that opens without a network. The rows
// come from the <script type="application/json" id="orgiam-rows"> block (an
// array of arrays of strings, in meta.columns' order), the rest from
// "orgiam-meta". Every value from the data is put into the page as text
// (textContent, setAttribute of an href built with encodeURIComponent),
// never as markup.
//
// Speed at 50,000 rows (bench/reporthtml measures it): a filter is one pass
// over the current sort order with integer facet codes; a sort is a
// counting sort of a per-column rank (Int32Array) made from the column's
// distinct values, cached per column and direction; a search is indexOf
// over one string of every row; the search string and the ranks of the
// shown columns are made while the page is idle; only one page of rows is
// in the DOM, in a table of fixed layout; the URL follows the state after
// the frame.
(function () {
  "use strict";
  var meta = JSON.parse(document.getElementById("orgiam-meta").textContent);
  var dataEl = document.getElementById("orgiam-rows");
  var rows = JSON.parse(dataEl.textContent);
  // The block's text is no longer needed: drop it (it is as large as the
  // rows), so that the page's heap holds the rows once.
  dataEl.textContent = "";
  var cols = meta.columns, N = rows.length, SVG = "http://www.w3.org/2000/svg";
  // Columns of few distinct values (severity, check, account, title…) share
  // one string per value instead of one per row.
  cols.forEach(function (c, ci) {
    var seen = new Map(), i;
    for (i = 0; i < N; i++) {
      var v = rows[i][ci], u = seen.get(v);
      if (u === undefined) { if (seen.size > 4096) return; seen.set(v, v); } else rows[i][ci] = u;
    }
  });
  var SEV = { critical: 5, high: 4, medium: 3, low: 2, informational: 1 };
  var SEVS = ["critical", "high", "medium", "low", "informational"];
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (n) { return Number(n).toLocaleString("en-US"); };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function colIndex(name) {
    for (var i = 0; i < cols.length; i++) if (cols[i].name === name) return i;
    return -1;
  }
  function isUserArn(v) { return /^arn:aws[a-z-]*:iam::\d{12}:user\//.test(v); }
  function linkFor(c, v) {
    if (!v) return null;
    if (c.link === "user" && isUserArn(v)) return meta.links.users + "#user=" + encodeURIComponent(v);
    if (c.link === "findings") return meta.links.findings + "?principal=" + encodeURIComponent(v);
    return null;
  }

  // ---- state, in the URL's query and fragment: q, sort, dir, page, size and
  // one parameter per filter (a column's param or name).
  var state = { q: "", terms: [], facet: {}, exact: {}, sort: -1, dir: 1, page: 0, size: 50, open: {} };
  var byParam = {};
  cols.forEach(function (c, i) { byParam[c.param || c.name] = i; byParam[c.name] = i; });

  // ---- facets: per facet column, an integer code per row (flags: a bit mask).
  var facets = [];
  cols.forEach(function (c, ci) {
    if (!c.facet) return;
    var f = { col: ci, values: [], counts: [], index: new Map(), codes: new Int32Array(N), flags: c.type === "flags" };
    for (var i = 0; i < N; i++) {
      var v = rows[i][ci];
      if (f.flags) {
        var m = 0, toks = v ? v.split(" ") : [];
        for (var t = 0; t < toks.length; t++) {
          var code = f.index.get(toks[t]);
          if (code === undefined) { code = f.values.length; f.index.set(toks[t], code); f.values.push(toks[t]); f.counts.push(0); }
          f.counts[code]++; m |= 1 << code;
        }
        f.codes[i] = m;
      } else {
        var k = f.index.get(v);
        if (k === undefined) { k = f.values.length; f.index.set(v, k); f.values.push(v); f.counts.push(0); }
        f.counts[k]++; f.codes[i] = k;
      }
    }
    facets.push(f);
  });

  // ---- sorting: per column, a rank per row (an Int32Array: the place of
  // the row's value among the column's distinct values in order, 0 for an
  // empty cell), computed once from the distinct values only; an order is a
  // counting sort of the ranks (linear, stable: equal values keep the rows'
  // order; empty cells last either way), cached per column and direction.
  var ranks = {}, nranks = {}, orders = {};
  function verKey(v) { return v.replace(/\d+/g, function (d) { return ("0000000000" + d).slice(-10); }); }
  // sortKey: [a number, a string], compared in that order.
  function sortKey(c, v) {
    var l = v.toLowerCase();
    if (c.type === "sev") return [SEV[l] || 0, l];
    if (c.type === "num") { var x = parseFloat(v); return isNaN(x) ? [Infinity, l] : [x, ""]; }
    if (c.type === "ver") return [0, verKey(l)];
    return [0, l];
  }
  function rankOf(ci) {
    if (ranks[ci]) return ranks[ci];
    var c = cols[ci], ids = new Int32Array(N), index = new Map(), vals = [], i, k;
    for (i = 0; i < N; i++) {
      var v = rows[i][ci];
      k = index.get(v);
      if (k === undefined) { k = vals.length; index.set(v, k); vals.push(v); }
      ids[i] = k;
    }
    // The keys' two parts in two arrays (a Float64Array and strings), not
    // an array per value: at 50,000 distinct values the comparisons of the
    // sort are most of the time.
    var kn = new Float64Array(vals.length), ks = new Array(vals.length), byKey = [];
    for (k = 0; k < vals.length; k++) {
      var sk = sortKey(c, vals[k]);
      kn[k] = sk[0]; ks[k] = sk[1];
      if (vals[k] !== "") byKey.push(k);
    }
    var cmp = function (a, b) {
      if (kn[a] !== kn[b]) return kn[a] < kn[b] ? -1 : 1;
      return ks[a] < ks[b] ? -1 : ks[a] > ks[b] ? 1 : 0;
    };
    byKey.sort(cmp);
    var rk = new Int32Array(vals.length), r = 0;
    for (var j = 0; j < byKey.length; j++) {
      if (j === 0 || cmp(byKey[j - 1], byKey[j]) !== 0) r++;
      rk[byKey[j]] = r;
    }
    for (i = 0; i < N; i++) ids[i] = rk[ids[i]];
    nranks[ci] = r;
    return (ranks[ci] = ids);
  }
  function order() {
    if (state.sort < 0) {
      if (!orders.none) { var o = new Int32Array(N); for (var i = 0; i < N; i++) o[i] = i; orders.none = o; }
      return orders.none;
    }
    var ci = state.sort, asc = state.dir > 0, id = ci + (asc ? "a" : "d");
    if (orders[id]) return orders[id];
    var rr = rankOf(ci), R = nranks[ci], slot = new Int32Array(R + 1), at = new Int32Array(R + 2), out = new Int32Array(N), j;
    // slot: where a rank's rows go, 0..R-1 by value, R for the empty cells.
    slot[0] = R;
    for (j = 1; j <= R; j++) slot[j] = asc ? j - 1 : R - j;
    for (j = 0; j < N; j++) at[slot[rr[j]] + 1]++;
    for (j = 1; j <= R + 1; j++) at[j] += at[j - 1];
    for (j = 0; j < N; j++) out[at[slot[rr[j]]]++] = j;
    return (orders[id] = out);
  }
  function defaultDir(ci) { var t = cols[ci].type; return t === "sev" || t === "num" || t === "date" ? -1 : 1; }

  // ---- search: every row's cells, lower-cased and joined, in one string
  // (rows separated by "\n", which no search term holds, since terms are
  // split at white space) with each row's offset; a term is found by
  // indexOf over that string, which skips the rows without it at the
  // speed of a string search instead of one call per row. A search's rows
  // are kept for the next sort or filter.
  var big = null, starts = null, parts = null, built = 0, found = { key: null };
  // buildIndex builds the search string, in steps while deadline (an idle
  // callback's) has time left, else at once; true when it is complete.
  function buildIndex(deadline) {
    if (big !== null) return true;
    if (!parts) parts = new Array(N);
    while (built < N) {
      parts[built] = rows[built].join("\u0001").toLowerCase();
      built++;
      if (deadline && (built & 511) === 0 && deadline.timeRemaining() < 2) return false;
    }
    starts = new Int32Array(N + 1);
    for (var i = 0, at = 0; i < N; i++) { starts[i] = at; at += parts[i].length + 1; }
    starts[N] = at;
    big = parts.join("\n");
    parts = null;
    return true;
  }
  // matches: per row, how many of the terms it holds, in order (a row
  // holds them all when its count is terms.length).
  function matches(terms) {
    var key = terms.join("\n");
    if (found.key === key) return found.hits;
    buildIndex(null);
    var hits = new Int32Array(N);
    for (var t = 0; t < terms.length; t++) {
      var term = terms[t], pos = big.indexOf(term);
      while (pos >= 0) {
        var lo = 0, hi = N - 1;
        while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (starts[mid] <= pos) lo = mid; else hi = mid - 1; }
        if (hits[lo] === t) hits[lo] = t + 1;
        pos = big.indexOf(term, starts[lo + 1]);
      }
    }
    found = { key: key, hits: hits };
    return hits;
  }

  // ---- filtering: one pass over the current order.
  var view = new Int32Array(0);
  function compute() {
    var ord = order(), out = new Int32Array(N), n = 0;
    var fs = [], ex = [], nt = state.terms.length, h = nt ? matches(state.terms) : null;
    facets.forEach(function (f) {
      var v = state.facet[f.col];
      if (v === undefined) return;
      var code = f.index.get(v);
      fs.push([f.codes, code === undefined ? -2 : (f.flags ? 1 << code : code), f.flags]);
    });
    for (var ci in state.exact) ex.push([+ci, state.exact[ci]]);
    outer: for (var j = 0; j < N; j++) {
      var i = ord[j];
      if (h && h[i] !== nt) continue;
      for (var a = 0; a < fs.length; a++) {
        var f = fs[a];
        if (f[2] ? f[1] < 0 || !(f[0][i] & f[1]) : f[0][i] !== f[1]) continue outer;
      }
      for (var b = 0; b < ex.length; b++) if (rows[i][ex[b][0]] !== ex[b][1]) continue outer;
      out[n++] = i;
    }
    view = out.subarray(0, n);
  }

  // ---- the table.
  var shown = meta.view, table = $("rows"), thead = table.tHead, tbody = table.tBodies[0];
  function buildHead() {
    var cg = el("colgroup"), tr = el("tr"), left = 2;
    cg.appendChild(el("col", { style: "width:2em" }));
    var t0 = el("th", { class: "frozen", style: "left:0", title: "open a row's details" }, "");
    tr.appendChild(t0);
    shown.forEach(function (ci) {
      var c = cols[ci], w = c.w || 10;
      cg.appendChild(el("col", { style: "width:" + w + "em" }));
      var th = el("th", { "data-col": ci, title: "sort by " + c.label }, c.label);
      if (c.frozen) { th.classList.add("frozen"); th.style.left = left + "em"; c.left = left; left += w; }
      th.addEventListener("click", function () {
        if (state.sort === ci) state.dir = -state.dir; else { state.sort = ci; state.dir = defaultDir(ci); }
        state.page = 0; update();
      });
      tr.appendChild(th);
    });
    var width = 2; shown.forEach(function (ci) { width += cols[ci].w || 10; });
    table.style.width = width + "em";
    table.insertBefore(cg, thead);
    thead.appendChild(tr);
  }
  function cell(c, v) {
    var td = el("td", { title: v.length > 30 ? v : null });
    if (c.frozen) { td.className = "frozen"; td.style.left = c.left + "em"; }
    if (v === "") return td;
    var href = linkFor(c, v);
    if (href) td.appendChild(el("a", { href: href }, v));
    else if (c.type === "sev") td.appendChild(el("span", { class: "b s-" + v }, v));
    else if (c.type === "status") td.appendChild(el("span", { class: "st-" + v }, v));
    else if (c.type === "flags") v.split(" ").forEach(function (f) { td.appendChild(el("span", { class: "b f-" + f }, f)); td.appendChild(document.createTextNode(" ")); });
    else if (c.type === "bool" && v === "true" && c.alarm) td.appendChild(el("span", { class: "yes" }, v));
    else if (c.type === "mfa" && v === "none") td.appendChild(el("span", { class: "yes" }, v));
    else td.textContent = v;
    return td;
  }
  function details(i) {
    var r = rows[i], dl = el("dl", { class: "kv" });
    cols.forEach(function (c, ci) {
      dl.appendChild(el("dt", null, c.label));
      var dd = el("dd"), href = linkFor(c, r[ci]);
      if (href) dd.appendChild(el("a", { href: href }, r[ci])); else dd.textContent = r[ci];
      dl.appendChild(dd);
    });
    var extra = meta.kind === "users" ? colIndex("arn") : meta.kind === "findings" ? colIndex("principal") : -1;
    if (extra >= 0 && r[extra]) {
      var a = null;
      if (meta.kind === "users") a = el("a", { href: meta.links.findings + "?principal=" + encodeURIComponent(r[extra]), class: "to-findings" }, "this user's findings");
      else if (isUserArn(r[extra])) a = el("a", { href: meta.links.users + "#user=" + encodeURIComponent(r[extra]), class: "to-user" }, "this user in the users report");
      if (a) { dl.appendChild(el("dt", null, "")); var dd = el("dd"); dd.appendChild(a); dl.appendChild(dd); }
    }
    var tr = el("tr", { class: "detail" }), td = el("td", { colspan: shown.length + 1 });
    td.appendChild(dl); tr.appendChild(td);
    return tr;
  }
  var flagCol = colIndex("flags");
  function render() {
    var size = state.size, pages = Math.max(1, Math.ceil(view.length / size));
    if (state.page >= pages) state.page = pages - 1;
    if (state.page < 0) state.page = 0;
    var start = state.page * size, end = Math.min(view.length, start + size), frag = document.createDocumentFragment();
    for (var j = start; j < end; j++) {
      var i = view[j], r = rows[i], tr = el("tr", { class: "r", "data-i": i });
      if (flagCol >= 0 && r[flagCol]) r[flagCol].split(" ").forEach(function (f) { tr.classList.add("flag-" + f); });
      var tg = el("td", { class: "tg frozen", style: "left:0" }, state.open[i] ? "\u25BE" : "\u25B8");
      tr.appendChild(tg);
      for (var s = 0; s < shown.length; s++) tr.appendChild(cell(cols[shown[s]], r[shown[s]]));
      frag.appendChild(tr);
      if (state.open[i]) { tr.classList.add("open"); frag.appendChild(details(i)); }
    }
    tbody.textContent = "";
    tbody.appendChild(frag);
    thead.querySelectorAll("th[data-col]").forEach(function (th) {
      var ci = +th.getAttribute("data-col");
      if (ci === state.sort) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending"); else th.removeAttribute("aria-sort");
    });
    $("count").textContent = (view.length ? fmt(start + 1) + "\u2013" + fmt(end) + " of " : "") + fmt(view.length) + " rows" + (view.length !== N ? " (" + fmt(N) + " in all)" : "");
    $("page").textContent = "page " + fmt(state.page + 1) + " of " + fmt(pages);
    $("prev").disabled = $("first").disabled = state.page === 0;
    $("next").disabled = $("last").disabled = state.page >= pages - 1;
  }
  tbody.addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    var tr = e.target.closest("tr.r");
    if (!tr) return;
    var i = +tr.getAttribute("data-i");
    if (state.open[i]) delete state.open[i]; else state.open[i] = true;
    render();
  });

  // ---- controls.
  function facetValues(f) {
    var c = cols[f.col], idx = f.values.map(function (_, k) { return k; });
    idx.sort(function (a, b) {
      var x = f.values[a], y = f.values[b];
      if (c.type === "sev") return (SEV[y] || 0) - (SEV[x] || 0);
      if (c.type === "ver") { x = verKey(x); y = verKey(y); }
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return idx;
  }
  function buildControls() {
    var box = $("facets");
    facets.forEach(function (f) {
      var c = cols[f.col], lab = el("label", null, c.label + " "), idx = facetValues(f), input;
      if (f.values.length > 200) {
        var dlid = "dl-" + f.col, list = el("datalist", { id: dlid });
        idx.forEach(function (k) { list.appendChild(el("option", { value: f.values[k] })); });
        input = el("input", { list: dlid, "data-col": f.col, placeholder: "any of " + fmt(f.values.length), size: 16 });
        input.addEventListener("change", function () { setFacet(f.col, input.value.trim() === "" ? undefined : input.value.trim()); });
        lab.appendChild(list);
      } else {
        input = el("select", { "data-col": f.col });
        input.appendChild(el("option", { value: "" }, "all"));
        idx.forEach(function (k) { input.appendChild(el("option", { value: "=" + f.values[k] }, (f.values[k] || "(empty)") + " (" + fmt(f.counts[k]) + ")")); });
        input.addEventListener("change", function () { setFacet(f.col, input.value === "" ? undefined : input.value.slice(1)); });
      }
      f.input = input;
      lab.appendChild(input);
      box.appendChild(lab);
    });
    $("q").addEventListener("input", function () { setQuery($("q").value); update(); });
    $("first").addEventListener("click", function () { state.page = 0; render(); writeURLSoon(); });
    $("prev").addEventListener("click", function () { state.page--; render(); writeURLSoon(); });
    $("next").addEventListener("click", function () { state.page++; render(); writeURLSoon(); });
    $("last").addEventListener("click", function () { state.page = 1e9; render(); writeURLSoon(); });
    $("size").addEventListener("change", function () { state.size = +$("size").value; state.page = 0; render(); writeURLSoon(); });
  }
  function setQuery(q) {
    state.q = q;
    state.terms = q.toLowerCase().split(/\s+/).filter(function (t) { return t !== ""; });
  }
  function setFacet(ci, v) {
    if (v === undefined) delete state.facet[ci]; else state.facet[ci] = v;
    state.page = 0; update();
  }
  function syncControls() {
    facets.forEach(function (f) {
      var v = state.facet[f.col];
      if (f.input.tagName === "SELECT") f.input.value = v === undefined ? "" : "=" + v;
      else f.input.value = v === undefined ? "" : v;
    });
    $("q").value = state.q;
    $("size").value = String(state.size);
    var chips = $("chips");
    chips.textContent = "";
    Object.keys(state.exact).forEach(function (ci) {
      var chip = el("span", { class: "chip" }, cols[ci].label + " = " + state.exact[ci]), x = el("button", { title: "remove this filter", "aria-label": "remove" }, "\u00D7");
      x.addEventListener("click", function () { delete state.exact[ci]; state.page = 0; update(); });
      chip.appendChild(x);
      chips.appendChild(chip);
    });
  }

  // ---- the URL.
  function readURL() {
    var p = new URLSearchParams(location.search);
    new URLSearchParams(location.hash.replace(/^#/, "")).forEach(function (v, k) { p.set(k, v); });
    p.forEach(function (v, k) {
      if (k === "q") setQuery(v);
      else if (k === "sort") { var ci = colIndex(v); if (ci >= 0) { state.sort = ci; state.dir = defaultDir(ci); } }
      else if (k === "dir") state.dir = v === "asc" ? 1 : -1;
      else if (k === "page") state.page = Math.max(0, (parseInt(v, 10) || 1) - 1);
      else if (k === "size") { var s = parseInt(v, 10); if ([50, 100, 250, 1000].indexOf(s) >= 0) state.size = s; }
      else if (byParam[k] !== undefined) {
        var c = byParam[k];
        if (cols[c].facet) state.facet[c] = v; else state.exact[c] = v;
      }
    });
  }
  function writeURL() {
    var p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    for (var ci in state.facet) p.set(cols[ci].param || cols[ci].name, state.facet[ci]);
    for (var cj in state.exact) p.set(cols[cj].param || cols[cj].name, state.exact[cj]);
    if (state.sort >= 0 && state.sort !== meta.sort) p.set("sort", cols[state.sort].name);
    if (state.sort >= 0 && (state.sort !== meta.sort || state.dir !== defaultDir(state.sort))) p.set("dir", state.dir > 0 ? "asc" : "desc");
    if (state.page) p.set("page", state.page + 1);
    if (state.size !== 50) p.set("size", state.size);
    var s = p.toString();
    try { history.replaceState(null, "", location.pathname + (s ? "#" + s : "")); } catch (e) { /* a file: URL in some browsers */ }
  }
  // The URL follows the state a moment after the last change (writing it
  // costs as much as a render in some browsers, and typing changes it at
  // every key).
  var urlTimer = 0;
  function writeURLSoon() { clearTimeout(urlTimer); urlTimer = setTimeout(writeURL, 200); }
  function update() { compute(); syncControls(); render(); writeURLSoon(); }

  // ---- work done while the page is idle: tasks taken in turn, each
  // called with the idle deadline until it returns true.
  var tasks = [];
  function idle(fn) { tasks.push(fn); if (tasks.length === 1) schedule(); }
  function schedule() {
    if (window.requestIdleCallback) requestIdleCallback(runIdle);
    else setTimeout(function () { runIdle({ timeRemaining: function () { return 10; } }); }, 50);
  }
  function runIdle(deadline) {
    while (tasks.length && deadline.timeRemaining() > 1) if (tasks[0](deadline)) tasks.shift();
    if (tasks.length) schedule();
  }

  // ---- the summary.
  function filterBy(name, v) {
    var ci = colIndex(name);
    if (ci < 0) return;
    if (cols[ci].facet) state.facet[ci] = v; else state.exact[ci] = v;
    state.page = 0; update();
    $("table-section").scrollIntoView();
  }
  function card(box, label, n, cls, onclick) {
    var b = el("button", { class: "card", type: "button" });
    var num = el("b", null, fmt(n));
    if (cls) num.className = cls;
    b.appendChild(num);
    b.appendChild(document.createTextNode(label));
    if (onclick) b.addEventListener("click", onclick); else b.disabled = true;
    box.appendChild(b);
  }
  function smallTable(head, data, cells, onclick) {
    var t = el("table", { class: "small" }), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", { class: /^#|^n:/.test(h) ? "n" : null }, h.replace(/^n:/, ""))); });
    t.appendChild(el("thead")).appendChild(tr);
    var tb = el("tbody");
    data.forEach(function (d) {
      var r = el("tr", { class: onclick ? "go" : null });
      cells(d).forEach(function (v, i) {
        var td = el("td", { class: /^n:/.test(head[i]) ? "n" : null, title: String(v) });
        if (v && v.sev) td.appendChild(el("span", { class: "b s-" + v.sev }, v.sev)); else td.textContent = typeof v === "number" ? fmt(v) : v;
        r.appendChild(td);
      });
      if (onclick) r.addEventListener("click", function () { onclick(d); });
      tb.appendChild(r);
    });
    t.appendChild(tb);
    return t;
  }
  // chart: horizontal bars, one per item ({label, n, cls}), as inline SVG.
  function chart(title, items) {
    var max = 1, bar = 260, lw = 230, h = 18;
    items.forEach(function (it) { if (it.n > max) max = it.n; });
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "chart");
    svg.setAttribute("viewBox", "0 0 " + (lw + bar + 70) + " " + (items.length * h + 22));
    svg.setAttribute("width", lw + bar + 70);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", title);
    var t = document.createElementNS(SVG, "text");
    t.setAttribute("x", 0); t.setAttribute("y", 13); t.setAttribute("font-weight", "600"); t.textContent = title;
    svg.appendChild(t);
    items.forEach(function (it, k) {
      var y = 22 + k * h, g = document.createElementNS(SVG, "g");
      var l = document.createElementNS(SVG, "text");
      l.setAttribute("x", 0); l.setAttribute("y", y + 12);
      l.textContent = it.label.length > 36 ? it.label.slice(0, 35) + "\u2026" : it.label;
      var r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", lw); r.setAttribute("y", y + 2); r.setAttribute("height", h - 5);
      r.setAttribute("width", Math.max(1, Math.round(bar * it.n / max)));
      r.setAttribute("class", it.cls || "");
      r.setAttribute("fill", it.fill || "#0969da");
      var n = document.createElementNS(SVG, "text");
      n.setAttribute("x", lw + Math.max(1, Math.round(bar * it.n / max)) + 4); n.setAttribute("y", y + 12); n.textContent = fmt(it.n);
      var tt = document.createElementNS(SVG, "title"); tt.textContent = it.label + ": " + fmt(it.n);
      g.appendChild(tt); g.appendChild(l); g.appendChild(r); g.appendChild(n);
      svg.appendChild(g);
    });
    return svg;
  }
  var SEVFILL = { critical: "#6e0b1f", high: "#a40e26", medium: "#9a6700", low: "#0a5fad", informational: "#57606a" };
  function summary() {
    var s = meta.summary, box = $("summary");
    if (!s) { box.hidden = true; return; }
    box.appendChild(el("h2", null, "Summary"));
    var cards = el("div", { class: "cards", id: "totals" }), grid = el("div", { class: "grid" });
    box.appendChild(cards);
    if (meta.kind === "findings") {
      SEVS.forEach(function (sv) {
        card(cards, sv, s.severity[sv] || 0, "sev-" + sv, (s.severity[sv] || 0) ? function () { filterBy("severity", sv); } : null);
      });
      if (s.muted) card(cards, "muted (not counted)", s.muted, null, null);
      if (s.passed) card(cards, "passed", s.passed, null, function () { filterBy("status", "PASS"); });
      var sevItems = SEVS.filter(function (sv) { return s.severity[sv]; }).map(function (sv) { return { label: sv, n: s.severity[sv], fill: SEVFILL[sv] }; });
      var chartBox = el("div", { id: "charts" });
      chartBox.appendChild(chart("Failing findings by severity", sevItems));
      chartBox.appendChild(chart("Failing findings by check", s.checks.map(function (c) { return { label: c.check + " " + c.title, n: c.findings, fill: SEVFILL[c.severity] }; })));
      box.appendChild(chartBox);
      box.appendChild(el("h3", null, "By check"));
      box.appendChild(smallTable(["check", "title", "severity", "n:findings", "n:principals", "n:accounts"], s.checks,
        function (c) { return [c.check, c.title, { sev: c.severity }, c.findings, c.principals, c.accounts]; },
        function (c) { filterBy("check_id", c.check); })).id = "by-check";
      var sevHead = ["n:critical", "n:high", "n:medium", "n:low", "n:info"], sevCells = function (a) { return [a.critical || 0, a.high || 0, a.medium || 0, a.low || 0, a.informational || 0]; };
      var wa = el("div"), wo = el("div");
      wa.appendChild(el("h3", null, "Worst accounts"));
      wa.appendChild(smallTable(["account", "name"].concat(sevHead), s.accounts, function (a) { return [a.id, a.name].concat(sevCells(a)); }, function (a) { filterBy("account_id", a.id); })).id = "worst-accounts";
      wo.appendChild(el("h3", null, "Worst OUs"));
      wo.appendChild(smallTable(["OU", "n:accounts"].concat(sevHead), s.ous, function (a) { return [a.id, a.accounts].concat(sevCells(a)); }, function (a) { filterBy("ou_path", a.id); })).id = "worst-ous";
      grid.appendChild(wa); grid.appendChild(wo);
    } else if (meta.kind === "users") {
      card(cards, "users", s.users, null, null);
      [["admin", "administrators"], ["no-mfa", "console without MFA"], ["stale", "stale"], ["old-key", "active keys over 90 days"]].forEach(function (f) {
        card(cards, f[1], s.flags[f[0]] || 0, "fl-" + f[0], (s.flags[f[0]] || 0) ? function () { filterBy("flags", f[0]); } : null);
      });
      if (s.admin_no_mfa) card(cards, "administrators without MFA", s.admin_no_mfa, "fl-admin", null);
      box.appendChild(chart("Users by flag", [["admin", "administrators"], ["no-mfa", "console without MFA"], ["stale", "stale"], ["old-key", "active keys over 90 days"]].map(function (f) {
        return { label: f[1], n: s.flags[f[0]] || 0, fill: { admin: "#a40e26", "no-mfa": "#bc4c00", stale: "#d18616", "old-key": "#bf8700" }[f[0]] };
      })));
      var head = ["n:users", "n:admins", "n:no MFA", "n:stale", "n:old keys"], c5 = function (a) { return [a.users, a.admin || 0, a["no-mfa"] || 0, a.stale || 0, a["old-key"] || 0]; };
      var ua = el("div"), uo = el("div");
      ua.appendChild(el("h3", null, "Worst accounts"));
      ua.appendChild(smallTable(["account", "name"].concat(head), s.accounts, function (a) { return [a.id, a.name].concat(c5(a)); }, function (a) { filterBy("account_id", a.id); })).id = "worst-accounts";
      uo.appendChild(el("h3", null, "Worst OUs"));
      uo.appendChild(smallTable(["OU", "n:accounts"].concat(head), s.ous, function (a) { return [a.id, a.accounts].concat(c5(a)); }, function (a) { filterBy("ou_path", a.id); })).id = "worst-ous";
      grid.appendChild(ua); grid.appendChild(uo);
    }
    box.appendChild(grid);
  }

  state.sort = meta.sort >= 0 ? meta.sort : -1;
  if (state.sort >= 0) state.dir = defaultDir(state.sort);
  readURL();
  buildHead();
  buildControls();
  summary();
  compute();
  syncControls();
  // One row asked for by the URL (users.html#user=<arn>): open its details.
  if (view.length === 1 && Object.keys(state.exact).length) state.open[view[0]] = true;
  render();
  window.addEventListener("hashchange", function () {
    state.q = ""; state.terms = []; state.facet = {}; state.exact = {}; state.page = 0;
    readURL(); compute(); if (view.length === 1 && Object.keys(state.exact).length) state.open[view[0]] = true;
    syncControls(); render();
  });
  // While the page is idle: the search string, then the ranks of the
  // shown columns, so that the first search or sort is as fast as the next.
  idle(function (deadline) { return buildIndex(deadline); });
  shown.forEach(function (ci) { idle(function () { rankOf(ci); return true; }); });
  document.body.setAttribute("data-ready", "1");
  // For tests and benchmarks: the number of rows shown, and a column's
  // values in the order shown (every page).
  window.orgiamReport = {
    rows: function () { return view.length; }, total: N,
    values: function (name) { var ci = colIndex(name); return Array.prototype.map.call(view, function (i) { return rows[i][ci]; }); }
  };
})();
