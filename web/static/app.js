// Small enhancements of the server-rendered pages; every page works without them.
(function () {
  "use strict";

  // A button that changes a record for good asks first: <button data-confirm="确定……？">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // The browser's own file picker speaks the browser's language; ours shows the chosen name
  // (or, in the page's language, that none is chosen: <span data-none="…">).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-file-name]")) {
      return;
    }
    var shown = document.getElementById(input.getAttribute("data-file-name"));
    if (shown) {
      shown.textContent = input.files && input.files.length ? input.files[0].name : shown.getAttribute("data-none");
    }
  });
})();
