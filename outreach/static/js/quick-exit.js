/*
 * Quick exit: leave the site at once, for someone whose screen may be seen.
 *
 * Without JavaScript the quick-exit link is an ordinary link to a neutral page. With it:
 * - the page is blanked before the next page loads, so nothing stays on screen;
 * - location.replace() is used, so the Back button does not return to this page;
 * - pressing the Shift key 3 times within 2 seconds does the same.
 * Loaded with `defer`; no inline script (the CSP forbids it), no console output, no libraries.
 */
(function () {
  "use strict";

  const PRESSES_NEEDED = 3;
  const WITHIN_MS = 2000;

  const link = document.querySelector("[data-quick-exit]");
  if (!link || !link.href) {
    return;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-quick-exit-hint]"), function (hint) {
    hint.hidden = false;
  });

  let leaving = false;

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    const destination = link.href;
    try {
      document.title = "";
      if (document.body) {
        document.body.innerHTML = "";
      }
    } catch (error) {
      // Blanking is a courtesy; leaving is what matters.
    }
    window.location.replace(destination);
  }

  link.addEventListener("click", function (event) {
    event.preventDefault();
    leave();
  });

  // Times of the recent Shift presses. Any other key starts the count again, so typing capital
  // letters in a search box never sends anyone away by accident.
  let presses = [];

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      presses = [];
      return;
    }
    if (event.repeat) {
      return;
    }
    const now = Date.now();
    presses = presses.filter(function (time) {
      return now - time < WITHIN_MS;
    });
    presses.push(now);
    if (presses.length >= PRESSES_NEEDED) {
      presses = [];
      leave();
    }
  }, true);

  // If the browser shows this page again from its back-forward cache, let the button work again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      leaving = false;
      presses = [];
    }
  });
}());
