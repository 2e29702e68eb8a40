// A shape-generated form (claim_new.html, _shape_form.html), made livelier; without this
// script the form is plain inputs and selects and a normal POST, and works the same.
//
// - Pickers: each [data-picker] select becomes a search-as-you-type combobox (ARIA 1.2
//   combobox with a listbox popup: arrows move, Enter chooses, Escape closes) over
//   GET /choices?class=...&q=...; a many-valued picker keeps its choices as removable chips.
//   "A new actor" is offered where the field takes one.
// - The live check: while the editor types (300 ms after the last change) the form is
//   posted to its data-dry-run URL; each result's message is shown next to its field
//   (results[].field -> the element whose data-error-for names it), with aria-invalid, and
//   listed in the summary at the top.
// - Submitting posts the form the same way: 201 (or a redirect) goes to the new claim's
//   page, 422 shows the messages. If the request fails, the form is submitted as usual.
(function () {
  "use strict";
  var form = document.querySelector("form.shape-form");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var DEBOUNCE_MS = 300;
  var SEARCH_MS = 150;
  var summary = document.getElementById("form-summary");
  var live = document.getElementById("form-live");
  var checked = document.getElementById("form-checked");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var uid = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- pickers ------------------------------------------------------------------------

  function Picker(box) {
    var select = box.querySelector("select");
    var textInputs = box.querySelectorAll("input[type=text]");
    var name = box.getAttribute("data-name");
    var many = box.hasAttribute("data-many");
    var takesNew = box.hasAttribute("data-new-actor");
    var cls = box.getAttribute("data-class");
    var label = box.getAttribute("data-label") || name;
    var initial = [];
    var id;
    if (select) {
      id = select.id;
      Array.prototype.forEach.call(select.options, function (o) {
        if (o.selected && o.value) { initial.push({ iri: o.value, label: o.textContent }); }
      });
    } else if (textInputs.length) {
      id = textInputs[0].id;
      Array.prototype.forEach.call(textInputs, function (i) {
        if (i.value) { initial.push({ iri: i.value, label: i.value }); }
      });
    } else {
      return;
    }
    var described = (select || textInputs[0]).getAttribute("aria-describedby");
    var required = (select || textInputs[0]).hasAttribute("required");
    // The plain inputs leave the form: the hidden inputs below carry the values.
    if (select) { select.remove(); }
    Array.prototype.forEach.call(textInputs, function (i) { i.remove(); });
    var listId = "lb-" + (++uid);
    var chips = el("ul", { "class": "chips", "aria-label": label + ": chosen" });
    var input = el("input", {
      type: "text", id: id, role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": listId, autocomplete: "off",
      spellcheck: "false", placeholder: many ? "Type to search, Enter to add" : "Type to search"
    });
    if (described) { input.setAttribute("aria-describedby", described); }
    if (required) { input.setAttribute("aria-required", "true"); }
    input.setAttribute("data-picker-input", name);
    var list = el("ul", { id: listId, role: "listbox", "aria-label": label });
    list.hidden = true;
    var values = el("span", { "data-values": name });
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(values);
    var chosen = [];
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function render() {
      values.textContent = "";
      chips.textContent = "";
      // A single value is always sent, empty when none is chosen: the stance rows pair
      // stance-toward and stance-value by their order.
      if (!many && !chosen.length) {
        values.appendChild(el("input", { type: "hidden", name: name, value: "" }));
      }
      chosen.forEach(function (c, i) {
        values.appendChild(el("input", { type: "hidden", name: name, value: c.iri }));
        if (!many) { return; }
        var li = el("li", {}, c.label + " ");
        var remove = el("button", { type: "button", "aria-label": "Remove " + c.label }, "×");
        remove.addEventListener("click", function () {
          chosen.splice(i, 1);
          render();
          changed();
          input.focus();
        });
        li.appendChild(remove);
        chips.appendChild(li);
      });
      chips.hidden = !many || !chosen.length;
      if (!many) { input.value = chosen.length ? chosen[0].label : ""; }
      var newActor = form.querySelector("[data-new-actor-fields]");
      if (newActor) {
        var anyNew = form.querySelector("input[type=hidden][value='new-actor']") !== null;
        newActor.classList.toggle("wanted", anyNew);
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      Array.prototype.forEach.call(items, function (item, j) {
        item.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      active = i;
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(option) {
      if (many) {
        if (!chosen.some(function (c) { return c.iri === option.iri; })) { chosen.push(option); }
        input.value = "";
      } else {
        chosen = [option];
      }
      render();
      close();
      changed();
      if (option.iri === "new-actor") {
        var nameField = document.getElementById("f-new-actor-label");
        if (nameField && !nameField.value) { nameField.focus(); return; }
      }
      input.focus();
    }

    function show(found) {
      options = found.slice();
      if (takesNew) { options.push({ iri: "new-actor", label: "A new actor (name it under “New actor”)" }); }
      list.textContent = "";
      options.forEach(function (o, i) {
        var item = el("li", { role: "option", id: listId + "-" + i, "aria-selected": "false" }, o.label);
        if (o.iri === "new-actor") { item.className = "new-actor-option"; }
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(o); });
        list.appendChild(item);
      });
      if (!found.length) {
        list.insertBefore(el("li", { role: "option", "aria-disabled": "true", id: listId + "-none" }, "No match"), list.firstChild);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function search() {
      var q = input.value.trim();
      var mine = ++asked;
      var url = "/choices?class=" + encodeURIComponent(cls) + "&q=" + encodeURIComponent(q) + "&limit=20";
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (answer) {
          if (mine === asked && document.activeElement === input) { show(answer.results || []); }
        })
        .catch(function () { /* the picker stays as it is */ });
    }

    input.addEventListener("input", function () {
      if (!many && chosen.length && input.value !== chosen[0].label) {
        chosen = [];
        render();
        changed();
        input.value = input.value;
      }
      clearTimeout(timer);
      timer = setTimeout(search, SEARCH_MS);
    });
    input.addEventListener("focus", function () {
      if (many || !chosen.length) { search(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      var count = options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(count ? (active + 1) % count : -1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden) { highlight(count ? (active <= 0 ? count - 1 : active - 1) : -1); }
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0 && options[active]) {
          event.preventDefault();
          choose(options[active]);
        } else if (!list.hidden && options.length === 1 + (takesNew ? 1 : 0) && input.value.trim()) {
          event.preventDefault();
          choose(options[0]);
        } else if (!list.hidden) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      } else if (event.key === "Backspace" && many && !input.value && chosen.length) {
        chosen.pop();
        render();
        changed();
      }
    });
    chosen = initial;
    render();
  }

  Array.prototype.forEach.call(form.querySelectorAll("[data-picker]"), function (box) { Picker(box); });

  // -- stances: one more row -------------------------------------------------------------

  var addStance = form.querySelector("[data-add-stance]");
  var stanceTemplate = null;
  if (addStance) {
    var rows = form.querySelectorAll("[data-stance-row]");
    stanceTemplate = rows.length ? rows[rows.length - 1] : null;
    addStance.hidden = !stanceTemplate;
    addStance.addEventListener("click", function () {
      var rowsNow = form.querySelectorAll("[data-stance-row]");
      var last = rowsNow[rowsNow.length - 1];
      var row = stanceTemplate.cloneNode(true);
      var n = rowsNow.length + 1;
      Array.prototype.forEach.call(row.querySelectorAll("[id]"), function (node) {
        node.id = node.id.replace(/-\d+$/, "") + "-" + n;
      });
      Array.prototype.forEach.call(row.querySelectorAll("label[for]"), function (node) {
        node.htmlFor = node.htmlFor.replace(/-\d+$/, "") + "-" + n;
      });
      Array.prototype.forEach.call(row.querySelectorAll("input[type=hidden]"), function (node) { node.remove(); });
      Array.prototype.forEach.call(row.querySelectorAll(".chips, ul[role=listbox]"), function (node) { node.remove(); });
      Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (node) { node.value = ""; });
      last.parentNode.insertBefore(row, last.nextSibling);
      // The cloned picker is rebuilt from a plain text input.
      var box = row.querySelector("[data-picker]");
      if (box) {
        var old = box.querySelector("input[role=combobox]");
        var plain = el("input", { type: "text", id: old.id });
        box.textContent = "";
        box.appendChild(plain);
        Picker(box);
        box.querySelector("input[role=combobox]").focus();
      }
    });
  }

  // -- the live check -----------------------------------------------------------------------

  var checkTimer = null;
  var checking = 0;

  function body() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      body: body(),
      credentials: "same-origin",
      redirect: "follow",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "X-CSRF-Token": csrf
      }
    });
  }

  function containerFor(field) {
    var found = null;
    Array.prototype.some.call(form.querySelectorAll("[data-error-for]"), function (node) {
      var names = node.getAttribute("data-error-for").split(" ");
      if (names.indexOf(field) >= 0) { found = node; return true; }
      return false;
    });
    return found;
  }

  function anchorFor(field, container) {
    var fieldEl = document.getElementById("f-" + field);
    if (fieldEl) { return fieldEl.id; }
    var group = container && container.closest("fieldset, .field");
    return group && group.id ? group.id : null;
  }

  function show(results, heading) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (node) { node.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) { node.removeAttribute("aria-invalid"); });
    var listed = [];
    var seen = {};
    results.forEach(function (r) {
      var message = r.message || "";
      var key = (r.field || "") + "\u0000" + message;
      if (!message || seen[key]) { return; }
      seen[key] = true;
      var container = r.field ? containerFor(r.field) : null;
      if (container) {
        container.appendChild(el("span", { "class": "message" }, message));
        Array.prototype.forEach.call(form.querySelectorAll("[name='" + r.field + "'], [data-picker-input='" + r.field + "']"), function (node) {
          if (node.type !== "hidden") { node.setAttribute("aria-invalid", "true"); }
        });
      }
      listed.push({ message: message, anchor: r.field ? anchorFor(r.field, container) : null });
    });
    if (!summary) { return; }
    summary.textContent = "";
    if (!listed.length) {
      summary.hidden = true;
      return;
    }
    summary.hidden = false;
    summary.appendChild(el("p", {}, heading + ": " + listed.length + (listed.length === 1 ? " message." : " messages.")));
    var ul = el("ul");
    listed.forEach(function (item) {
      var li = el("li");
      if (item.anchor) {
        li.appendChild(el("a", { href: "#" + item.anchor }, item.message));
      } else {
        li.textContent = item.message;
      }
      ul.appendChild(li);
    });
    summary.appendChild(ul);
  }

  function say(text) {
    if (!live) { return; }
    live.hidden = false;
    live.textContent = text;
  }

  function check() {
    var mine = ++checking;
    if (checked) { checked.hidden = true; }
    say("Checking…");
    post(form.getAttribute("data-dry-run")).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        if (mine !== checking) { return; }
        var results = answer.results || [];
        if (!r.ok && r.status !== 422) {
          say("The check did not run: " + (answer.detail || r.status));
          return;
        }
        show(results, "Not yet");
        say(results.length ? "Checked: " + results.length + (results.length === 1 ? " thing" : " things") + " to fix before the claim can be added." : "Checked: the claim can be added as it is.");
      });
    }).catch(function () { say("The check did not run (no answer from the server)."); });
  }

  function changed() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, DEBOUNCE_MS);
  }

  form.addEventListener("input", function (event) {
    if (event.target.getAttribute("role") === "combobox") { return; }  // a search, not a value
    changed();
  });
  form.addEventListener("change", function (event) {
    if (event.target.getAttribute("role") === "combobox") { return; }
    changed();
  });

  // -- submitting ---------------------------------------------------------------------------

  var submitting = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var url = (button && button.getAttribute("formaction")) || form.getAttribute("action");
    if (submitting) { event.preventDefault(); return; }
    event.preventDefault();
    clearTimeout(checkTimer);
    if (url === form.getAttribute("data-dry-run")) { check(); return; }
    submitting = true;
    say("Adding the claim…");
    post(url).then(function (r) {
      if (r.status === 201) {
        var location = r.headers.get("Location");
        return r.json().catch(function () { return {}; }).then(function (answer) {
          var target = location || answer.iri;
          window.location.assign(target ? localPath(target) : "/");
        });
      }
      if (r.redirected) { window.location.assign(r.url); return null; }
      return r.json().catch(function () { return {}; }).then(function (answer) {
        submitting = false;
        var results = answer.results || [];
        if (!results.length) { results = [{ field: null, message: answer.detail || answer.title || ("The server answered " + r.status + ".") }]; }
        show(results, "The claim was not added");
        say("");
        if (summary) { summary.focus(); }
      });
    }).catch(function () {
      submitting = false;
      form.submit();  // no answer: submit as a plain form
    });
  });

  // A page's path is its IRI under the base (the host a reader used may differ).
  function localPath(iri) {
    var base = form.getAttribute("data-base") || "";
    if (base && iri.indexOf(base) === 0) { return "/" + iri.slice(base.length); }
    return iri;
  }
})();
