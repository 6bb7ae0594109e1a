/*
 * The receipt page: "Copy the receipt" and "Print this page" buttons, shown only with JavaScript.
 * Without it, the receipt is plain text to select, and the browser's own print works.
 * Loaded with `defer`; no inline script (the CSP forbids it), nothing sent anywhere.
 */
(function () {
  "use strict";

  const receipt = document.querySelector("[data-receipt]");
  const copyButton = document.querySelector("[data-copy-receipt]");
  const printButton = document.querySelector("[data-print-receipt]");
  const status = document.querySelector("[data-copy-status]");
  const copied = document.querySelector("[data-copied-text]");
  if (!receipt) {
    return;
  }
  if (copyButton && navigator.clipboard) {
    copyButton.hidden = false;
    copyButton.addEventListener("click", function () {
      navigator.clipboard.writeText(receipt.textContent.trim()).then(function () {
        if (status && copied) {
          status.textContent = copied.textContent;
        }
      });
    });
  }
  if (printButton && window.print) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () {
      window.print();
    });
  }
}());
