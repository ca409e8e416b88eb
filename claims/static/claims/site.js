// ExoClaims: small conveniences on top of pages that work without JavaScript.
(function () {
  "use strict";

  // On a phone, fold the facets (the chips above show what is selected) so the results come sooner.
  function foldFacets() {
    if (!window.matchMedia("(max-width: 48rem)").matches) return;
    document.querySelectorAll("details.facet").forEach(function (facet) {
      facet.open = false;
    });
  }

  // A quote cut by overlapping quotes is several <mark>s; light them all up, not only the first.
  function markTargetQuote() {
    document.querySelectorAll("mark.is-target").forEach(function (mark) {
      mark.classList.remove("is-target");
    });
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    document.querySelectorAll("mark[data-claim]").forEach(function (mark) {
      if (mark.getAttribute("data-claim") === id) mark.classList.add("is-target");
    });
  }

  function addCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-copy]").forEach(function (block) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = "Copy " + block.getAttribute("data-copy");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(block.textContent.trim()).then(function () {
          button.textContent = "Copied";
        });
      });
      block.insertAdjacentElement("afterend", button);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldFacets();
    markTargetQuote();
    addCopyButtons();
  });
  window.addEventListener("hashchange", markTargetQuote);
})();
