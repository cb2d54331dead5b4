/* The sandbox's 3-D Secure test challenge: the donor completes or fails it; the page's
 * Stripe.js (the parent window) is told once the sandbox has recorded the answer. */
(function () {
  "use strict";
  var config = JSON.parse(decodeURIComponent(window.location.hash.slice(1) || "{}"));
  var source = window.location.pathname.split("/")[2];
  var status = document.getElementById("status");
  var buttons = [document.getElementById("complete"), document.getElementById("fail")];

  function tell(type, extra) {
    if (window.parent !== window && config.parent) {
      var message = Object.assign({ sandbox: "stripe-js", frame: config.frame, type: type }, extra);
      window.parent.postMessage(message, config.parent);
    }
  }

  function answer(outcome) {
    buttons.forEach(function (button) {
      button.disabled = true;
    });
    status.textContent = "Sending your answer…";
    fetch("/3ds/" + source + "/" + outcome, { method: "POST" })
      .then(function (response) {
        status.textContent = response.ok ? "Done." : "This challenge is no longer open.";
      })
      .catch(function () {
        status.textContent = "The sandbox could not be reached.";
      })
      .then(function () {
        tell("event", { name: "challenge-done" });
      });
  }

  buttons[0].addEventListener("click", function () {
    answer("complete");
  });
  buttons[1].addEventListener("click", function () {
    answer("fail");
  });
  tell("loaded");
  tell("resize", { height: document.documentElement.scrollHeight });
})();
