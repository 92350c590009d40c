// 【画面印刷（保存）】 on the receipt: shown only where scripts run, prints with print.css.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
