// 【コピー】 beside a key shown once (admin): copies the key; shown only where scripts run.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  var source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "コピーしました";
    });
  });
});
