// The review queue by keyboard: j/k move between items, c confirms, d dismisses the one chosen
// (the same forms as the buttons; without script the buttons do it all).
(function () {
  var items = Array.prototype.slice.call(document.querySelectorAll("#queue .item"));
  if (!items.length) { return; }
  var at = 0;
  function choose(i) {
    at = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (el, n) { el.classList.toggle("chosen", n === at); });
    items[at].focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "j") { choose(at + 1); }
    else if (e.key === "k") { choose(at - 1); }
    else if (e.key === "c" || e.key === "d") {
      var button = items[at].querySelector('button[data-key="' + e.key + '"]');
      if (button) { button.form.submit(); }
    }
  });
  choose(0);
})();
