// 【コピー】 beside a key or secret shown once: shown only where scripts run (no inline script).
document.querySelectorAll("[data-copy]").forEach(function (button) {
  var status = button.parentElement.querySelector("[data-copy-status]");
  button.hidden = false;
  button.addEventListener("click", function () {
    var text = document.getElementById(button.dataset.copy).textContent.trim();
    navigator.clipboard.writeText(text).then(
      function () { status.textContent = button.dataset.copied || "コピーしました"; },
      function () { status.textContent = button.dataset.failed || "コピーできませんでした。選択してコピーしてください"; }
    );
  });
});
