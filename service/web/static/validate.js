// Progressive enhancement of the validate form: send the pasted text or the chosen
// file to POST /validate with the chosen Content-Type, and show the JSON report as
// a table. Without JavaScript the form posts multipart/form-data and the server answers.
"use strict";
(function () {
  const form = document.getElementById("validate-form");
  if (!form) return;
  const report = document.getElementById("report");
  const status = document.getElementById("report-status");
  const table = document.getElementById("report-table");
  const body = table.querySelector("tbody");

  // A long IRI may wrap only after its punctuation or in camelCase: a <wbr> at each such
  // place (as views/_breaks.py does on the server), since table cells never break words.
  const LONG = /\S{16,}/g;
  const BREAK = /(?<=[\/#_:?&=.\-|>])(?=[^\/#_:?&=.\-|>])|(?<=[a-z])(?=[A-Z])/;

  function cell(row, text) {
    const td = document.createElement("td");
    const plain = text == null ? "" : String(text);
    let last = 0;
    for (const token of plain.matchAll(LONG)) {
      td.append(plain.slice(last, token.index));
      token[0].split(BREAK).forEach(function (piece, i) {
        if (i > 0) td.append(document.createElement("wbr"));
        td.append(piece);
      });
      last = token.index + token[0].length;
    }
    td.append(plain.slice(last));
    row.appendChild(td);
  }

  function show(result) {
    body.replaceChildren();
    const results = Array.isArray(result.results) ? result.results : [];
    status.textContent = result.conforms
      ? "The data conforms to the shapes."
      : "The data does not conform: " + results.length + " result(s).";
    for (const r of results) {
      const row = document.createElement("tr");
      cell(row, r.focusNode);
      cell(row, r.resultPath);
      cell(row, r.value);
      cell(row, r.message);
      cell(row, r.sourceShape);
      body.appendChild(row);
    }
    table.hidden = results.length === 0;
    report.hidden = false;
    status.focus();
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const type = form.elements["format"].value;
    const file = form.elements["data"].files[0];
    const payload = file ? await file.arrayBuffer() : form.elements["text"].value;
    status.textContent = "Validating…";
    report.hidden = false;
    try {
      const response = await fetch("/validate", {
        method: "POST",
        headers: { "Content-Type": type, "Accept": "application/json" },
        body: payload,
      });
      const answer = await response.json();
      if (response.ok) {
        show(answer);
      } else {
        table.hidden = true;
        status.textContent = (answer.title || "Error") + ": " + (answer.detail || response.status);
      }
    } catch (error) {
      table.hidden = true;
      status.textContent = "The validation service did not answer: " + error;
    }
  });
})();
