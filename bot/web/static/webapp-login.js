// Opened as a Telegram Mini App (the mod log's "Dashboard" button): log in with the app's
// initData, which Telegram signs, then reload as the moderator. In a browser: nothing to do.
(function () {
  var app = window.Telegram && window.Telegram.WebApp;
  if (!app || !app.initData) { return; }
  fetch("/auth/telegram/webapp", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json"},
    body: JSON.stringify({initData: app.initData})
  }).then(function (r) { return r.json(); }).then(function (body) {
    if (body.ok) { window.location.replace(body.next || "/"); }
  });
})();
