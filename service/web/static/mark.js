// Marking a claim on a source's page (for a signed-in editor: _mark.html). The editor selects
// words in the text with the mouse, or with the keyboard (the text becomes a read-only caret
// area: arrows move, Shift+arrows select); "Mark a claim", the key m or Enter opens the claim
// form on the selection: /claims/new?source=IRI&start=N&end=M.
//
// The offsets are Unicode code points of the source's text, end exclusive, as the evidence
// spans count them. Each paragraph (<p data-start>) knows where it begins in the whole text
// (the text is paged: ?section=text&page=N); within it, the offset is the number of code
// points before the point, where JavaScript strings count UTF-16 units (a character beyond
// the Basic Multilingual Plane counts two), so they are counted with Array.from. The claim
// tags before the highlighted spans ("C17") are not the source's words and are left out.
// The server reads the quote, its prefix and its suffix from the text at these offsets, so
// an offset can never be typed wrong.
(function () {
  "use strict";
  var bar = document.querySelector("[data-mark]");
  var root = document.querySelector(".source-text");
  if (!bar || !root || !window.getSelection) {
    return;
  }
  var source = bar.getAttribute("data-source");
  var formUrl = bar.getAttribute("data-form") || "/claims/new";
  var markButton = document.getElementById("mark-selection");
  var keyboardButton = document.getElementById("mark-keyboard");
  var preview = document.getElementById("mark-preview");
  var TAGS = ".claim-start";
  markButton.hidden = false;
  keyboardButton.hidden = false;

  function codePoints(text) {
    return Array.from(text).length;
  }

  function paragraphs() {
    return Array.prototype.slice.call(root.querySelectorAll("p[data-start]"));
  }

  // The text of a fragment without the claim tags.
  function words(fragment) {
    Array.prototype.forEach.call(fragment.querySelectorAll(TAGS), function (tag) { tag.remove(); });
    return fragment.textContent;
  }

  // The offset in the whole text of a boundary point inside paragraph p.
  function offsetAt(p, node, offset) {
    var before = document.createRange();
    before.setStart(p, 0);
    before.setEnd(node, offset);
    return Number(p.getAttribute("data-start")) + codePoints(words(before.cloneContents()));
  }

  function paragraphOf(node) {
    var element = node.nodeType === 1 ? node : node.parentNode;
    var p = element && element.closest ? element.closest("p[data-start]") : null;
    return p && root.contains(p) ? p : null;
  }

  // The selection as [start, end) in the text, with its words; null for none.
  function marked() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var all = paragraphs();
    if (!all.length || !range.intersectsNode(root)) {
      return null;
    }
    var inside = all.filter(function (p) { return range.intersectsNode(p); });
    if (!inside.length) {
      return null;
    }
    var first = inside[0];
    var last = inside[inside.length - 1];
    // A boundary outside the paragraphs (in the heading above, a tag) is moved to the
    // nearest edge of the text it selects.
    var startP = paragraphOf(range.startContainer);
    var endP = paragraphOf(range.endContainer);
    var start = startP ? offsetAt(startP, range.startContainer, range.startOffset)
      : offsetAt(first, first, 0);
    var end = endP ? offsetAt(endP, range.endContainer, range.endOffset)
      : offsetAt(last, last, last.childNodes.length);
    var text = words(range.cloneContents());
    // White space at either end is not part of a quote (a double click takes the space
    // after a word).
    var lead = text.match(/^\s*/)[0];
    var trail = text.match(/\s*$/)[0];
    if (lead.length === text.length) {
      return null;
    }
    start += codePoints(lead);
    end -= codePoints(trail);
    if (end <= start) {
      return null;
    }
    return { start: start, end: end, text: text.trim() };
  }

  function update() {
    var found = marked();
    markButton.disabled = !found;
    if (!found) {
      preview.textContent = "";
      return;
    }
    var shown = found.text.length > 120 ? found.text.slice(0, 117) + "…" : found.text;
    preview.textContent = "Selected: “" + shown + "” (characters " + found.start + " to " + found.end + ")";
  }

  function open() {
    var found = marked();
    if (!found) {
      preview.textContent = "Select the words of the claim in the text first.";
      return;
    }
    window.location.assign(formUrl + "?source=" + encodeURIComponent(source) +
      "&start=" + found.start + "&end=" + found.end);
  }

  // -- selecting with the keyboard: the text as a read-only caret area --------------------

  function keyboardMode(on) {
    keyboardButton.setAttribute("aria-pressed", on ? "true" : "false");
    keyboardButton.textContent = on ? "Stop selecting with the keyboard" : "Select with the keyboard";
    if (on) {
      root.setAttribute("contenteditable", "true");
      root.setAttribute("role", "textbox");
      root.setAttribute("aria-readonly", "true");
      root.setAttribute("aria-multiline", "true");
      root.setAttribute("aria-label", "The source's text: move with the arrow keys, hold Shift to select, Enter marks the selection, Escape stops");
      root.setAttribute("spellcheck", "false");
      root.focus();
      var selection = window.getSelection();
      var all = paragraphs();
      if (selection && all.length && !root.contains(selection.anchorNode)) {
        selection.collapse(all[0], 0);
      }
    } else {
      ["contenteditable", "role", "aria-readonly", "aria-multiline", "aria-label", "spellcheck"].forEach(function (a) {
        root.removeAttribute(a);
      });
    }
  }

  function editing() {
    return root.getAttribute("contenteditable") === "true";
  }

  // Nothing typed, pasted or dropped changes the text.
  ["beforeinput", "paste", "drop", "cut"].forEach(function (type) {
    root.addEventListener(type, function (event) {
      if (editing()) { event.preventDefault(); }
    });
  });

  root.addEventListener("keydown", function (event) {
    if (!editing()) { return; }
    if (event.key === "Enter") {
      event.preventDefault();
      open();
    } else if (event.key === "Escape") {
      event.preventDefault();
      keyboardMode(false);
      keyboardButton.focus();
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();  // typing: a read-only text
      if (event.key === "m") { open(); }
    } else if (event.key === "Backspace" || event.key === "Delete") {
      event.preventDefault();
    }
  });

  keyboardButton.addEventListener("click", function () { keyboardMode(!editing()); });
  markButton.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the selection
  markButton.addEventListener("click", open);
  document.addEventListener("selectionchange", update);
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
    if (event.key === "m" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey && marked()) {
      event.preventDefault();
      open();
    }
  });
  update();
})();
