// /review/ for curators: select text in one paragraph of the review and "New claim from this
// selection" opens the new-claim form with the section, the quote and where the quote starts.
// Loaded only for users who may add claims (templates/claims/review.html); the server checks the
// quote against the review's text (claims.forms.selection_initial), so this script only measures.
//
// Offsets are characters of the review's text as Python counts them (code points): each
// .reader-row carries data-start, where its paragraph's text begins; the claim markers (CLM-0042
// links after each quote) are not review text and are left out of every count.
(function () {
  "use strict";

  var SHORTCUT = "n";

  function reviewText(fragment) {
    fragment.querySelectorAll(".claim-ref").forEach(function (ref) {
      ref.remove();
    });
    return fragment.textContent;
  }

  function length(text) {
    return Array.from(text).length;
  }

  // The part of `range` inside `node`.
  function clip(range, node) {
    var part = document.createRange();
    part.selectNodeContents(node);
    if (node.contains(range.startContainer)) part.setStart(range.startContainer, range.startOffset);
    if (node.contains(range.endContainer)) part.setEnd(range.endContainer, range.endOffset);
    return part;
  }

  // {section, quote, start} for the selection, {problem} when it cannot be a quote, or null when
  // nothing of the review is selected.
  function measure(root) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var chosen = [];
    root.querySelectorAll(".reader-row .reading").forEach(function (paragraph) {
      if (!range.intersectsNode(paragraph)) return;
      var part = clip(range, paragraph);
      if (reviewText(part.cloneContents()).trim()) chosen.push({ paragraph: paragraph, part: part });
    });
    if (chosen.length === 0) return null;
    if (chosen.length > 1) {
      return { problem: "A quote lies within one paragraph: select text in one paragraph only." };
    }
    var paragraph = chosen[0].paragraph, part = chosen[0].part;
    var before = document.createRange();
    before.selectNodeContents(paragraph);
    before.setEnd(part.startContainer, part.startOffset);
    var text = reviewText(part.cloneContents());
    var quote = text.trim();
    var lead = text.slice(0, text.length - text.trimStart().length);
    var row = paragraph.closest(".reader-row");
    return {
      section: paragraph.closest("[data-section]").getAttribute("data-section"),
      quote: quote,
      start: Number(row.getAttribute("data-start")) + length(reviewText(before.cloneContents())) + length(lead),
      rect: range.getBoundingClientRect(),
      row: row,
    };
  }

  function build() {
    var adder = document.createElement("div");
    adder.className = "selection-adder";
    adder.hidden = true;
    var link = document.createElement("a");
    link.className = "button";
    link.textContent = "New claim from this selection";
    link.setAttribute("aria-keyshortcuts", SHORTCUT.toUpperCase());
    var note = document.createElement("p");
    note.className = "selection-note";
    adder.append(link, note);
    // Pressing the button must not clear the selection it is about.
    adder.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    return { adder: adder, link: link, note: note, status: status };
  }

  function place(ui, found) {
    found.row.after(ui.adder);
    ui.adder.hidden = false;
    var frame = (ui.adder.offsetParent || document.body).getBoundingClientRect();
    var width = ui.adder.offsetWidth;
    var left = Math.min(found.rect.left - frame.left, document.documentElement.clientWidth - frame.left - width - 8);
    ui.adder.style.top = found.rect.bottom - frame.top + 6 + "px";
    ui.adder.style.left = Math.max(left, 0) + "px";
  }

  function update(root, ui) {
    if (ui.adder.contains(document.activeElement)) return;
    var found = measure(root);
    if (!found) {
      ui.adder.hidden = true;
      ui.status.textContent = "";
      return;
    }
    if (found.problem) {
      ui.link.hidden = true;
      ui.note.hidden = false;
      ui.note.textContent = found.problem;
      ui.status.textContent = found.problem;
    } else {
      var query = new URLSearchParams({ section: found.section, quote: found.quote, start: found.start });
      ui.link.href = root.getAttribute("data-new-claim") + "?" + query.toString();
      ui.link.hidden = false;
      ui.note.hidden = true;
      ui.status.textContent =
        "Text selected in section " + found.section + ": press " + SHORTCUT.toUpperCase() +
        " for “New claim from this selection”.";
    }
    place(ui, found);
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector(".reader-text[data-new-claim]");
    if (!root) return;
    var ui = build();
    root.append(ui.status);
    var pending = null;
    document.addEventListener("selectionchange", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        update(root, ui);
      }, 120);
    });
    document.addEventListener("keydown", function (event) {
      if (ui.adder.hidden || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (event.key.toLowerCase() === SHORTCUT && !ui.link.hidden) {
        event.preventDefault();
        ui.link.focus();
      } else if (event.key === "Escape") {
        ui.adder.hidden = true;
      }
    });
    ui.adder.addEventListener("focusout", function (event) {
      if (!ui.adder.contains(event.relatedTarget)) update(root, ui);
    });
  });
})();
