// The page "Latest changes", live: new entries arrive over Server-Sent Events
// (GET /changes, Accept: text/event-stream) and are put first in the list, as the server
// writes them (templates/_change.html). Without JavaScript the page is a paged list.
"use strict";
(function () {
  const list = document.getElementById("changes");
  if (!list || !list.dataset.stream || !window.EventSource) return;
  const status = document.getElementById("changes-live");
  const empty = document.getElementById("changes-empty");
  // Where a new stream starts: after the newest entry shown. EventSource itself sends
  // Last-Event-ID when it reconnects; this is for a stream opened again after a refusal.
  let url = list.dataset.stream;
  let last = null;

  function say(text) {
    status.hidden = false;
    status.textContent = text;
  }

  function link(href, text, cls) {
    if (!href) {
      const span = document.createElement("span");
      if (cls) span.className = cls;
      span.textContent = text;
      return span;
    }
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (cls) a.className = cls;
    return a;
  }

  function names(p, items) {
    items.forEach(function (item, i) {
      if (i > 0) p.append(", ");
      p.append(link(item.href, item.label));
    });
  }

  function readable(iso) {
    const when = new Date(iso);
    if (isNaN(when)) return iso;
    return when.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function entry(e) {
    const li = document.createElement("li");
    li.className = "change change-new";
    const head = document.createElement("p");
    head.className = "change-head";
    const time = document.createElement("time");
    time.dateTime = e.ended;
    time.textContent = readable(e.ended);
    const record = link(e.record.href || e.id, "");
    record.textContent = "";
    record.append(time);
    head.append(record, " · ", link(e.editor.href, e.editor.label, "editor"), " · ");
    const op = document.createElement("span");
    op.className = "operation";
    op.textContent = e.operation;
    head.append(op);
    li.append(head);
    const what = document.createElement("p");
    what.className = "change-what";
    what.append(e.added + (e.added === 1 ? " statement" : " statements") + " added, " +
      e.removed + " removed" + (e.inferred ? " (" + e.inferred + " inferred)" : ""));
    if (e.graphs.length) {
      what.append(" in ");
      names(what, e.graphs);
    }
    what.append(".");
    li.append(what);
    [["Added", e.subjectsAdded], ["Removed", e.subjectsRemoved]].forEach(function (pair) {
      const side = pair[1];
      if (!side.top.length) return;
      const p = document.createElement("p");
      p.className = "change-subjects";
      p.append(pair[0] + ": ");
      names(p, side.top);
      if (side.total > side.top.length) p.append(" and " + (side.total - side.top.length) + " more");
      p.append(".");
      li.append(p);
    });
    return li;
  }

  function open() {
    const source = new EventSource(url);
    source.addEventListener("open", function () {
      say("Live: new changes appear at the top as they are accepted.");
    });
    source.addEventListener("change", function (event) {
      const e = JSON.parse(event.data);
      last = e.id;
      list.prepend(entry(e));
      if (empty) empty.hidden = true;
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (the server keeps a few streams only: 503): try again a little later,
        // after the last entry shown.
        say("Live updates paused; trying again shortly. Reload the page to see new changes.");
        if (last) url = "/changes?since=" + encodeURIComponent(last);
        setTimeout(open, 10000);
      } else {
        say("Live updates interrupted; reconnecting.");
      }
    });
  }

  open();
})();
