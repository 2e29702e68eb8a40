// Keyboard navigation from claim to claim on a source page (no library, nothing fetched).
// The claim tags before the highlighted spans are links, so Tab and Enter already work
// without this script; it adds j / k (anywhere but in a form field) and the arrow keys
// (while a claim tag has focus) to move to the next or previous claim, in text order.
(function () {
  "use strict";
  var text = document.querySelector("[data-claim-nav]");
  if (!text) {
    return;
  }
  var stops = Array.prototype.slice.call(text.querySelectorAll("a.claim-start"));
  if (!stops.length) {
    return;
  }
  var NEXT = { j: 1, ArrowRight: 1, ArrowDown: 1, k: -1, ArrowLeft: -1, ArrowUp: -1 };

  function typing(target) {
    var name = target && target.tagName;
    return name === "INPUT" || name === "TEXTAREA" || name === "SELECT" ||
      (target && target.isContentEditable);
  }

  // With no claim focused, start from what is on the screen: the first claim in view
  // going forward, the last one above the bottom of the screen going back.
  function fromScreen(step) {
    var i;
    if (step > 0) {
      for (i = 0; i < stops.length; i++) {
        if (stops[i].getBoundingClientRect().top >= 0) {
          return i;
        }
      }
      return stops.length - 1;
    }
    for (i = stops.length - 1; i >= 0; i--) {
      if (stops[i].getBoundingClientRect().bottom <= window.innerHeight) {
        return i;
      }
    }
    return 0;
  }

  document.addEventListener("keydown", function (event) {
    var step = NEXT[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var here = stops.indexOf(document.activeElement);
    // Arrows move between claims only from a claim; elsewhere they scroll as usual.
    if (here < 0 && event.key.indexOf("Arrow") === 0) {
      return;
    }
    var next = here < 0 ? fromScreen(step) : here + step;
    if (next < 0 || next >= stops.length) {
      return;
    }
    event.preventDefault();
    stops[next].focus();
    stops[next].scrollIntoView({ block: "nearest" });
  });
})();
