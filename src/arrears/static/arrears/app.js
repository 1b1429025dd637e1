/* Arrears 贷后 — small behaviours on top of htmx. Pages work without it. */
(function () {
  "use strict";

  // A partial request whose session expired lands on the sign-in page: go there instead of swapping it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.responseURL) return;
    var url = new URL(xhr.responseURL, window.location.href);
    if (url.pathname === document.body.dataset.loginPath) {
      event.detail.shouldSwap = false;
      window.location.assign(url.href);
    }
  });

  // A failed partial request says so instead of leaving the old results on screen silently.
  function showError() {
    var text = document.body.dataset.requestFailed;
    var page = document.querySelector("main.page");
    if (!text || !page || page.querySelector(".alert-request-failed")) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-error alert-request-failed";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    page.insertBefore(alert, page.firstChild);
  }
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:afterSwap", function () {
    var stale = document.querySelector(".alert-request-failed");
    if (stale) stale.remove();
  });
})();
