/* The sandbox's Turnstile widget frame: solves the challenge (at once, on a tick, or never,
 * by site key), asks the sandbox for a new single-use token, and hands it to the page's
 * turnstile script. A token expires after 300 s; the widget then says so and solves again. */
(function () {
  "use strict";
  var config = JSON.parse(decodeURIComponent(window.location.hash.slice(1) || "{}"));
  var sitekey = String(config.sitekey || "");
  var status = document.getElementById("status");
  var box = document.getElementById("box");
  var check = document.getElementById("check");
  var FAILING = ["2x00000000000000000000AB", "2x00000000000000000000BB"];
  var AUTOMATIC = ["1x00000000000000000000AA", "1x00000000000000000000BB"];
  var INVISIBLE = /BB$/.test(sitekey) && /^[12]x0{20}BB$/.test(sitekey);
  var TTL_MS = 300 * 1000;

  function tell(type, extra) {
    if (window.parent === window || !config.parent) return;
    var message = Object.assign({ sandbox: "turnstile", widget: config.widget, type: type }, extra);
    window.parent.postMessage(message, config.parent);
  }

  function hostname() {
    try {
      return new URL(config.parent).hostname;
    } catch (error) {
      return "";
    }
  }

  function solve() {
    status.textContent = "Verifying…";
    fetch("/turnstile/v0/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sitekey: sitekey, action: config.action, cdata: config.cdata, hostname: hostname() }),
      credentials: "omit",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("token");
        return response.json();
      })
      .then(function (body) {
        box.hidden = true;
        status.textContent = "Success!";
        tell("solved", { token: body.token });
        setTimeout(function () {
          status.textContent = "Expired. Verifying again…";
          tell("expired");
          start();
        }, TTL_MS);
      })
      .catch(function () {
        fail("200500");
      });
  }

  function fail(code) {
    document.body.className = "failed";
    box.hidden = true;
    status.textContent = "Verification failed.";
    tell("error", { code: code });
  }

  function start() {
    if (FAILING.indexOf(sitekey) >= 0) {
      setTimeout(function () {
        fail("600010");
      }, 200);
    } else if (AUTOMATIC.indexOf(sitekey) >= 0) {
      setTimeout(solve, 200);
    } else {
      check.checked = false;
      check.disabled = false;
      box.hidden = false;
      status.textContent = "";
    }
  }

  check.addEventListener("change", function () {
    if (check.checked) {
      check.disabled = true;
      solve();
    }
  });
  tell("resize", { height: INVISIBLE ? 0 : 65 });
  start();
})();
