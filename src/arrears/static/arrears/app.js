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

  // ── Keyboard (the workbench and the case view) ──────────────────────────────────────────────────────────
  // j / k move the selection in a table marked data-keynav, Enter opens the selected row (its data-href);
  // "/" and single letters go to the element marked data-shortcut="…" (a details opens, its first field gets
  // the focus). Keys typed into a field, or with a modifier, are left alone.
  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.isContentEditable || target.closest("input, textarea, select"));
  }

  function keyRows() {
    var table = document.querySelector("table[data-keynav]");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]")) : [];
  }

  function selectRow(rows, index) {
    rows.forEach(function (row) {
      row.classList.remove("row-selected");
      row.removeAttribute("aria-current");
    });
    var row = rows[index];
    if (!row) return;
    row.classList.add("row-selected");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a[href]");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function goTo(key) {
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) return false;
    if (target.tagName === "A") {
      target.click();
      return true;
    }
    var details = target.tagName === "DETAILS" ? target : target.closest("details");
    if (details) details.open = true;
    var field = target.matches("input, select, textarea")
      ? target
      : target.querySelector("input:not([type=hidden]), select, textarea");
    if (field) {
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var rows = keyRows();
    var current = rows.findIndex(function (row) {
      return row.classList.contains("row-selected");
    });
    if (rows.length && (event.key === "j" || event.key === "k")) {
      var next = event.key === "j" ? Math.min(current + 1, rows.length - 1) : Math.max(current - 1, 0);
      selectRow(rows, next);
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && current >= 0) {
      var active = document.activeElement;
      if (active && active !== document.body && rows[current].contains(active)) return; // the link opens itself
      if (active && active !== document.body && active.closest("a, button, summary")) return;
      window.location.assign(rows[current].dataset.href);
      event.preventDefault();
      return;
    }
    if (event.key.length === 1 && !event.shiftKey || event.key === "/") {
      if (goTo(event.key)) event.preventDefault();
    }
  });

  // The queue's bulk actions: "tick every case on this page", and how many are ticked.
  function countTicked(form) {
    var label = form.querySelector("[data-bulk-count]");
    if (!label) return;
    var n = form.querySelectorAll("input[name=cases]:checked").length;
    label.textContent = n ? "(" + n + ")" : "";
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.form) return;
    if (box.dataset && box.dataset.checkAll) {
      box.form.querySelectorAll('input[name="' + box.dataset.checkAll + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    }
    if (box.name === "cases" || (box.dataset && box.dataset.checkAll)) countTicked(box.form);
  });
})();
