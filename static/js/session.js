// The idle warning (templates/_session_warning.html): shown two minutes before the session's
// idle end, 【ログインを続ける】 restarts the clock without leaving the page; at the end it says
// the session is over. Without this script the page works as before, and ends as before.
(function () {
  var box = document.getElementById("session-warning");
  if (!box || !window.fetch) return;
  var warning = box.querySelector("[data-session-state=warning]");
  var ended = box.querySelector("[data-session-state=ended]");
  var form = warning.querySelector("form");
  var warnBefore = Number(box.dataset.warnBefore) * 1000;
  var here = location.pathname + location.search;
  var login = ended.querySelector("[data-session-login]");
  form.elements.next.value = here;
  login.href += "?next=" + encodeURIComponent(here);
  var timers = [];

  function show(part) {
    warning.hidden = part !== warning;
    ended.hidden = part !== ended;
    box.hidden = false;
    box.focus();
  }

  function schedule(seconds) {
    timers.forEach(clearTimeout);
    box.hidden = true;
    var left = seconds * 1000;
    timers = [
      setTimeout(function () { show(warning); }, Math.max(0, left - warnBefore)),
      setTimeout(function () { show(ended); }, left + 1000),
    ];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer) schedule(answer.expires_in);
        else show(ended);
      })
      .catch(function () { form.submit(); });
  });

  schedule(Number(box.dataset.expiresIn));
})();
