// Progressive enhancement for the profile's new API token: a button that copies it. Loaded from our own
// origin (the Content-Security-Policy allows no inline script); without JavaScript the button stays hidden and
// the token remains selectable text.
(function () {
  "use strict";

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied-text") || label;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button); }, function () { select(target); });
      } else {
        // Plain http (not localhost) has no clipboard API: select the token so Ctrl-C / Cmd-C copies it.
        select(target);
      }
    });
  });
})();
