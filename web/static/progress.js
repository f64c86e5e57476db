// Live progress of certificate issue: <progress data-progress-url="…" data-label="id">.
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
          if (label) { label.textContent = "已认定 " + p.designated + " 家，证书已生成 " + p.issued + "/" + p.certificates; }
          if (p.issued < p.certificates) { window.setTimeout(poll, 2000); }
        });
    }
    if (Number(bar.value) < Number(bar.max)) { poll(); }
  }
  document.querySelectorAll("progress[data-progress-url]").forEach(follow);
})();
