// Claim form: live suggestions for the entity and citation fields. The fields already work
// without this (names typed by hand, a static datalist); each field holds several names
// separated by ";", so suggestions complete the name being typed after the last ";".
(function () {
  "use strict";

  var DELAY = 150;
  var MIN_LENGTH = 2;

  function split(value) {
    var cut = Math.max(value.lastIndexOf(";"), value.lastIndexOf("\n"));
    var head = cut < 0 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " ");
    return { head: head, term: value.slice(cut + 1).trim() };
  }

  function fill(list, head, results) {
    while (list.firstChild) list.removeChild(list.firstChild);
    results.forEach(function (result) {
      var option = document.createElement("option");
      option.value = head + result.value;
      option.label = result.label;
      list.appendChild(option);
    });
  }

  function enhance(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || !list.dataset.source) return;
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var parts = split(input.value);
      if (parts.term.length < MIN_LENGTH || parts.term === asked) return;
      timer = window.setTimeout(function () {
        asked = parts.term;
        var url = list.dataset.source + "?q=" + encodeURIComponent(parts.term);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            // Drop answers to a question the curator has typed past.
            if (split(input.value).term === parts.term) fill(list, parts.head, data.results || []);
          })
          .catch(function () { /* suggestions are a convenience; typing still works */ });
      }, DELAY);
    });
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(enhance);
})();

// Unsaved input is never dropped silently. While the claim form differs from what the page loaded
// with (or holds input not saved yet: a preview, a form sent back with errors), leaving the page
// asks first, and the status buttons beside it are disabled: a status change is a separate form
// that would throw the typed changes away.
(function () {
  "use strict";

  var form = document.querySelector("form[data-guard-unsaved]");
  if (!form) return;
  var loaded = snapshot();
  var submitting = false;
  var note = document.getElementById("dirty-note");

  function snapshot() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function isDirty() {
    return form.hasAttribute("data-unsaved") || snapshot() !== loaded;
  }

  function blockWorkflow(blocked) {
    document.querySelectorAll("[data-workflow-action]").forEach(function (control) {
      if (control.tagName === "BUTTON") control.disabled = blocked;
      else if (blocked) control.setAttribute("aria-disabled", "true");
      else control.removeAttribute("aria-disabled");
      if (note) control.setAttribute("aria-describedby", note.id);
    });
    if (note) note.hidden = !blocked;
  }

  function update() { blockWorkflow(isDirty()); }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", function () { submitting = true; });
  // A link styled as a button cannot be disabled; a click on it while blocked does nothing.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-workflow-action][aria-disabled='true']");
    if (link) event.preventDefault();
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !isDirty()) return;
    event.preventDefault();
    event.returnValue = "";  // older Chromium needs a value to show the prompt
  });
  update();
})();
