// Moves agenda items without reloading the page: the same forms as without JavaScript (up and down buttons),
// sent in the background; the item is moved in place and keeps the keyboard focus.
(function () {
  "use strict";
  var list = document.getElementById("agenda-items");
  if (!list || !window.fetch) return;
  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-agenda-move")) return;
    event.preventDefault();
    var row = form.closest("li");
    var up = form.querySelector("input[name=direction]").value === "up";
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { form.submit(); return; }
        // The server's order is the truth: reload the list quietly, then put the focus back on the item.
        return fetch(window.location.pathname, { credentials: "same-origin" })
          .then(function (page) { return page.text(); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("agenda-items");
            if (!fresh) { window.location.reload(); return; }
            list.innerHTML = fresh.innerHTML;
            var moved = document.getElementById(row.id);
            var again = moved && moved.querySelector("form[data-agenda-move] input[value=" + (up ? "up" : "down") + "]");
            var target = again ? again.form.querySelector("button") : moved && moved.querySelector("button");
            if (target) target.focus();
          });
      })
      .catch(function () { form.submit(); });
  });
})();
