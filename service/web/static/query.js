// The query page with YASGUI (vendored by `make yasgui`, served by Parley): the textarea
// becomes YASQE, YASGUI's editor, and answers are drawn by YASR (table, chart, response,
// downloads). Everything goes to Parley's own /sparql; every YASGUI feature that would
// reach another host (prefix.cc, the LOV completers, the link shortener) is left out, and
// the page's Content-Security-Policy (connect-src 'self') would stop one anyway.
// Without JavaScript, or without the vendored build, the form posts and the server answers.
"use strict";
(function () {
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const holder = document.getElementById("query-editor");
  const resultsEl = document.getElementById("yasr");
  const failureEl = document.getElementById("query-error");
  const downloadsEl = document.getElementById("query-downloads");
  if (!form || !textarea || !holder || !resultsEl || !window.Yasgui) return;
  const Yasqe = window.Yasgui.Yasqe;
  // The marks of a failure's position in the editor, cleared at the next edit.
  let marks = [];
  const Yasr = window.Yasgui.Yasr;
  const prefixes = JSON.parse(form.dataset.prefixes || "{}");
  const formats = {
    results: JSON.parse(form.dataset.resultFormats || "[]"),
    graphs: JSON.parse(form.dataset.graphFormats || "[]"),
  };

  // Prefix completion from Parley's own prefixes (after PREFIX, and a prefix typed in the
  // query), never from prefix.cc nor from the list bundled in YASQE.
  const declared = Object.keys(prefixes)
    .sort()
    .map((p) => p + ": <" + prefixes[p] + ">");
  Yasqe.forkAutocompleter(
    "prefixes",
    { name: "parleyPrefixes", persistenceId: undefined, get: () => Promise.resolve(declared) },
    false,
  );
  // Set on the defaults: YASQE merges a config's arrays into the defaults' item by item.
  Yasqe.defaults.autocompleters = ["parleyPrefixes", "variables"];
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.defaults.createShortLink = undefined;
  Yasqe.defaults.persistenceId = null;
  Yasqe.defaults.consumeShareLink = null;
  Yasr.defaults.persistenceId = null;
  Yasr.defaults.pluginOrder = ["table", "chart", "response"];
  Yasr.registerPlugin("chart", makeChartPlugin());

  function shareableLink(query) {
    return location.origin + "/sparql?" + new URLSearchParams({ query: query }).toString();
  }

  // YASR's table makes its columns resizable with a library that adds its rules as a
  // <style> element, which the page's Content-Security-Policy refuses (style-src 'self')
  // with a console error. query.css holds the same rules; the element is not added.
  const head = document.head;
  const appendToHead = head.appendChild;
  head.appendChild = function (node) {
    if (node instanceof HTMLStyleElement && "gripid" in node) return node;
    return appendToHead.call(this, node);
  };

  const yasqe = new Yasqe(holder, {
    value: "",
    editorHeight: "20em",
    createShareableLink: (editor) => shareableLink(editor.getValue()),
    requestConfig: {
      endpoint: "/sparql",
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
    },
  });
  const yasr = new Yasr(resultsEl, {
    prefixes: prefixes,
    getPlainQueryLinkToEndpoint: () => shareableLink(yasqe.getValue()),
  });
  // Parley declares its prefixes for every query: the editor's grammar knows them too, so
  // `parley:claimant` is not marked "Prefix 'parley' is not defined".
  const mode = yasqe.getMode();
  const startState = mode.startState;
  mode.startState = function () {
    const state = startState.apply(this, arguments);
    Object.assign(state.prefixes, prefixes);
    return state;
  };
  // YASQE's own syntax hint shows its list of expected tokens as HTML with style=
  // attributes (refused by the Content-Security-Policy, one console error per token): it
  // is given as the icon's plain title instead.
  yasqe.on("changes", plainSyntaxHints);
  yasqe.setValue(textarea.value);
  yasqe.clearHistory();
  // The editor's own input is the query's field now: it takes the form's label, and the
  // failure beside it when there is one.
  const input = yasqe.getInputField();
  input.setAttribute("aria-label", "SPARQL query");
  if (failureEl) input.setAttribute("aria-describedby", "query-error");
  // YASR's table controls: its page-size list has no name of its own.
  yasr.on("drawn", () => {
    for (const select of resultsEl.querySelectorAll("select:not([aria-label])")) {
      select.setAttribute("aria-label", "Rows per page");
    }
  });
  textarea.hidden = true;
  form.classList.add("has-editor");
  // The editor's text is the form's: a plain submit, a reload or a copy gets what is shown.
  yasqe.on("change", () => {
    textarea.value = yasqe.getValue();
    clearMarks();
  });

  // YASQE's own buttons sit inside the form: they run the query themselves.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter && holder.contains(event.submitter)) return;
    yasqe.query().catch(() => {});
  });
  for (const button of holder.querySelectorAll("button")) button.type = "button";
  yasqe.on("query", () => {
    textarea.value = yasqe.getValue();
    hideFailure();
    const answer = document.getElementById("server-answer");
    if (answer) answer.remove();
    // The query has a shareable URL: the page's own, kept in step with the editor.
    history.pushState({ query: yasqe.getValue() }, "", shareableLink(yasqe.getValue()));
  });
  window.addEventListener("popstate", () => location.reload());
  yasqe.on("queryResponse", (_editor, response, duration) => {
    if (response instanceof Error) {
      if (response.name === "AbortError" || /abort/i.test(response.message)) return;
      resultsEl.hidden = true;
      downloadsEl.hidden = true;
      showFailure(problemOf(response));
      return;
    }
    resultsEl.hidden = false;
    yasr.setResponse(response, duration);
    showDownloads(yasqe.getValue());
  });

  // A failure the server rendered (a syntax error in a shared link, say) is marked too.
  if (failureEl && !failureEl.hidden && failureEl.dataset.line) {
    markPosition(Number(failureEl.dataset.line), Number(failureEl.dataset.column));
  }

  function plainSyntaxHints() {
    const doc = yasqe.getDoc();
    for (let line = 0; line < doc.lineCount(); line++) {
      const info = yasqe.lineInfo(line);
      const icon = info && info.gutterMarkers && info.gutterMarkers.gutterErrorBar;
      if (!icon) continue;
      const state = yasqe.getTokenAt({ line: line, ch: doc.getLine(line).length }, true).state;
      const hint = state.errorMsg
        ? state.errorMsg
        : "This line is invalid. Expected: " + (state.possibleCurrent || []).join(", ");
      icon.onmouseover = null;
      icon.onmouseout = null;
      icon.setAttribute("title", hint);
      icon.setAttribute("aria-label", hint);
    }
  }

  function problemOf(error) {
    try {
      const problem = JSON.parse(error.message);
      if (problem && typeof problem.detail === "string") return problem;
    } catch (_) {
      // not a problem document: the server or the network failed on the way
    }
    return { title: "No answer", detail: error.message || "the server did not answer" };
  }

  function paragraph(parts) {
    const p = document.createElement("p");
    for (const part of parts) p.append(part);
    return p;
  }

  function showFailure(problem) {
    failureEl.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = (problem.title || "The query failed") + ".";
    const detail = String(problem.detail);
    failureEl.append(paragraph([title, " " + detail.charAt(0).toUpperCase() + detail.slice(1)]));
    if (Number.isInteger(problem.line) && Number.isInteger(problem.column)) {
      failureEl.append(
        Object.assign(document.createElement("p"), {
          className: "where",
          textContent: "Line " + problem.line + ", column " + problem.column + ":",
        }),
      );
      failureEl.append(excerpt(problem.line, problem.column));
      markPosition(problem.line, problem.column);
    }
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = "The query is kept above: mend it and run it again. ";
    if (typeof problem.type === "string") {
      const about = document.createElement("a");
      about.href = new URL(problem.type, location.href).pathname;
      about.textContent = "About this kind of problem";
      note.append(about);
    }
    failureEl.append(note);
    failureEl.hidden = false;
  }

  function excerpt(line, column) {
    const text = yasqe.getDoc().getLine(line - 1) || "";
    const pre = document.createElement("pre");
    pre.className = "error-line";
    const code = document.createElement("code");
    const mark = document.createElement("mark");
    mark.textContent = text.charAt(column - 1) || " ";
    code.append(text.slice(0, column - 1), mark, text.slice(column));
    pre.append(code);
    return pre;
  }

  function markPosition(line, column) {
    const doc = yasqe.getDoc();
    const at = { line: line - 1, ch: Math.max(0, column - 1) };
    marks.push(doc.markText(at, { line: at.line, ch: at.ch + 1 }, { className: "query-error-at" }));
    yasqe.addLineClass(at.line, "background", "query-error-line");
    marks.push({ clear: () => yasqe.removeLineClass(at.line, "background", "query-error-line") });
    doc.setCursor(at);
  }

  function clearMarks() {
    for (const mark of marks) mark.clear();
    marks = [];
  }

  function hideFailure() {
    clearMarks();
    failureEl.hidden = true;
    failureEl.replaceChildren();
  }

  // The server's own downloads of the same query, in every format it serves for its kind.
  function showDownloads(query) {
    const graph = ["CONSTRUCT", "DESCRIBE"].includes(yasqe.getQueryType());
    downloadsEl.replaceChildren("Download: ");
    (graph ? formats.graphs : formats.results).forEach((fmt, i) => {
      if (i > 0) downloadsEl.append(" · ");
      const link = document.createElement("a");
      link.href = "/sparql?" + new URLSearchParams({ query: query, format: fmt.name }).toString();
      link.type = fmt.type;
      link.textContent = fmt.name;
      downloadsEl.append(link);
    });
    downloadsEl.hidden = false;
  }

  // YASR ships no chart plugin (YASGUI's earlier one loaded Google Charts from the web):
  // this one draws a bar chart as SVG, here, from a column of numbers and one of names.
  function makeChartPlugin() {
    const SVG = "http://www.w3.org/2000/svg";
    const NUMERIC = /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|unsignedInt|unsignedLong)$/;
    const MOST_BARS = 60;
    function svg(name, attributes, text) {
      const el = document.createElementNS(SVG, name);
      for (const key in attributes) el.setAttribute(key, String(attributes[key]));
      if (text !== undefined) el.textContent = text;
      return el;
    }
    function isNumber(cell) {
      return !!cell && cell.type !== "uri" && NUMERIC.test(cell.datatype || "") && isFinite(Number(cell.value));
    }
    function shortName(cell) {
      if (!cell) return "";
      if (cell.type !== "uri") return cell.value;
      for (const p in prefixes) {
        if (cell.value.startsWith(prefixes[p])) return p + ":" + cell.value.slice(prefixes[p].length);
      }
      return cell.value;
    }
    return class Chart {
      constructor(owner) {
        this.yasr = owner;
        this.label = "Chart";
        this.priority = 5;
        this.svg = null;
      }
      columns() {
        const results = this.yasr.results;
        if (!results || !results.getVariables || !results.getBindings) return null;
        const rows = results.getBindings() || [];
        const vars = results.getVariables() || [];
        if (!rows.length) return null;
        const value = vars.find((v) => rows.every((row) => isNumber(row[v])));
        if (!value) return null;
        return { rows: rows, value: value, name: vars.find((v) => v !== value) };
      }
      canHandleResults() {
        return this.columns() !== null;
      }
      draw() {
        const { rows, value, name } = this.columns();
        const shown = rows.slice(0, MOST_BARS);
        const numbers = shown.map((row) => Number(row[value].value));
        const most = Math.max(0, ...numbers) || 1;
        const names = shown.map((row, i) => (name ? shortName(row[name]) : String(i + 1)));
        const left = Math.min(320, 12 + 7 * Math.max(...names.map((n) => n.length)));
        const width = 900;
        const barArea = width - left - 70;
        const rowHeight = 24;
        const chart = svg("svg", {
          viewBox: "0 0 " + width + " " + (shown.length * rowHeight + 30),
          role: "img",
          class: "query-chart",
          "aria-label": "?" + value + (name ? " by ?" + name : "") + ", as bars",
        });
        chart.append(svg("title", {}, "?" + value + (name ? " by ?" + name : "")));
        shown.forEach((row, i) => {
          const y = i * rowHeight + 4;
          const length = Math.max(1, (Math.max(0, numbers[i]) / most) * barArea);
          const label = svg("text", { x: left - 8, y: y + 15, "text-anchor": "end" }, names[i]);
          const bar = svg("rect", { x: left, y: y, width: length, height: rowHeight - 6, class: "bar" });
          bar.append(svg("title", {}, names[i] + ": " + row[value].value));
          const number = svg("text", { x: left + length + 6, y: y + 15 }, row[value].value);
          chart.append(label, bar, number);
        });
        if (rows.length > shown.length) {
          const y = shown.length * rowHeight + 20;
          chart.append(svg("text", { x: left, y: y }, "The first " + shown.length + " of " + rows.length + " rows."));
        }
        this.svg = chart;
        this.yasr.resultsEl.appendChild(chart);
      }
      getIcon() {
        const icon = svg("svg", { viewBox: "0 0 16 16", width: 16, height: 16, "aria-hidden": "true" });
        icon.append(svg("rect", { x: 1, y: 2, width: 10, height: 3 }));
        icon.append(svg("rect", { x: 1, y: 7, width: 14, height: 3 }));
        icon.append(svg("rect", { x: 1, y: 12, width: 6, height: 3 }));
        return icon;
      }
      download(filename) {
        if (!this.svg) return undefined;
        const text = new XMLSerializer().serializeToString(this.svg);
        return {
          contentType: "image/svg+xml",
          getData: () => text,
          filename: (filename || "chart") + ".svg",
          title: "Download the chart (SVG)",
        };
      }
    };
  }
})();
