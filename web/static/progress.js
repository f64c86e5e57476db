// Live progress of certificate issue: <progress data-progress-url="…" data-label="id">, the
// label's text in the page's language from <span data-text="… {designated} … {issued}/{certificates}">.
(function () {
  "use strict";
  function follow(bar) {
    var label = document.getElementById(bar.getAttribute("data-label"));
    function poll() {
      fetch(bar.getAttribute("data-progress-url"), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (p) {
          if (!p) { return; }
          bar.max = p.certificates || 1;
          bar.value = p.issued;
          if (label) {
            label.textContent = label.getAttribute("data-text").replace("{designated}", p.designated)
              .replace("{issued}", p.issued).replace("{certificates}", p.certificates);
          }
          if (p.issued < p.certificates) { window.setTimeout(poll, 2000); }
        });
    }
    if (Number(bar.value) < Number(bar.max)) { poll(); }
  }
  document.querySelectorAll("progress[data-progress-url]").forEach(follow);
})();
