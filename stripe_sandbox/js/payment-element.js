/*
 * The sandbox's Payment Element: the card form inside the provider's frame. The card number,
 * expiry and security code are read here and sent from here to the sandbox's API, with the
 * publishable key and the intent's client secret, as Stripe's frame does. The parent page is only
 * told whether the form is complete and which brand it is; it never receives the card.
 *
 * A PaymentIntent's client secret confirms a payment (`/v1/payment_intents/{id}/confirm`); a
 * SetupIntent's (`seti_…`) saves the card for later (`/v1/setup_intents/{id}/confirm`).
 *
 * The same page, opened with "controller": true, has no form: it reads intents (for
 * stripe.retrievePaymentIntent / retrieveSetupIntent) and confirms them with a saved payment
 * method (stripe.confirmCardPayment / confirmCardSetup with `payment_method: "pm_…"`).
 */
(function () {
  "use strict";

  var config = JSON.parse(decodeURIComponent(window.location.hash.slice(1) || "{}"));
  var key = String(config.key || "");
  var form = document.getElementById("form");
  var inputs = {
    number: document.getElementById("number"),
    expiry: document.getElementById("expiry"),
    cvc: document.getElementById("cvc"),
  };
  var formError = document.getElementById("form-error");
  var busy = false;

  function tell(type, extra) {
    if (window.parent === window || !config.parent) return;
    var message = Object.assign({ sandbox: "stripe-js", frame: config.frame, type: type }, extra);
    window.parent.postMessage(message, config.parent);
  }

  function emit(name, payload) {
    tell("event", { name: name, payload: payload || {} });
  }

  function resize() {
    tell("resize", { height: Math.ceil(document.documentElement.getBoundingClientRect().height) });
  }

  // --- What the donor typed ------------------------------------------------------------------

  function digits(value) {
    return value.replace(/\D/g, "");
  }

  function brandOf(number) {
    if (/^4/.test(number)) return "visa";
    if (/^(5[1-5]|2[2-7])/.test(number)) return "mastercard";
    if (/^3[47]/.test(number)) return "amex";
    if (/^6(011|5)/.test(number)) return "discover";
    return "unknown";
  }

  function luhn(number) {
    var total = 0;
    for (var i = 0; i < number.length; i++) {
      var value = Number(number[number.length - 1 - i]) * (i % 2 ? 2 : 1);
      total += value > 9 ? value - 9 : value;
    }
    return number.length >= 12 && total % 10 === 0;
  }

  function expiry() {
    var parts = digits(inputs.expiry.value);
    return { month: parts.slice(0, 2), year: parts.slice(2, 4) };
  }

  /** The problem of each field, or "" ("complete" checks that nothing is missing too). */
  function problems(complete) {
    var number = digits(inputs.number.value);
    var found = { number: "", expiry: "", cvc: "" };
    if (!number) {
      if (complete) found.number = "Your card number is incomplete.";
    } else if (number.length < (brandOf(number) === "amex" ? 15 : 16)) {
      if (complete) found.number = "Your card number is incomplete.";
    } else if (!luhn(number)) {
      found.number = "Your card number is invalid.";
    }
    var exp = expiry();
    if (exp.month.length < 2 || exp.year.length < 2) {
      if (complete) found.expiry = "Your card's expiration date is incomplete.";
    } else {
      var month = Number(exp.month);
      var year = 2000 + Number(exp.year);
      var now = new Date();
      if (month < 1 || month > 12) found.expiry = "Your card's expiration date is invalid.";
      else if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) {
        found.expiry = "Your card's expiration year is in the past.";
      }
    }
    var cvc = digits(inputs.cvc.value);
    if (cvc.length < 3 && complete) found.cvc = "Your card's security code is incomplete.";
    return found;
  }

  function show(found) {
    Object.keys(inputs).forEach(function (name) {
      var message = found[name] || "";
      document.getElementById(name + "-error").textContent = message;
      inputs[name].setAttribute("aria-invalid", message ? "true" : "false");
    });
    resize();
  }

  function firstProblem(found) {
    var name = ["number", "expiry", "cvc"].filter(function (field) {
      return found[field];
    })[0];
    return name ? { field: name, message: found[name] } : null;
  }

  function state() {
    var complete = !firstProblem(problems(true));
    var empty = !inputs.number.value && !inputs.expiry.value && !inputs.cvc.value;
    return { complete: complete, empty: empty, value: { type: "card" }, brand: brandOf(digits(inputs.number.value)) };
  }

  // --- Talking to the sandbox's API (same origin) -------------------------------------------

  function intentId(clientSecret) {
    return String(clientSecret).split("_secret_")[0];
  }

  /** "setup" for a SetupIntent's client secret, else "payment". */
  function kindOf(clientSecret) {
    return /^seti_/.test(String(clientSecret)) ? "setup" : "payment";
  }

  function intentPath(clientSecret) {
    var collection = kindOf(clientSecret) === "setup" ? "setup_intents" : "payment_intents";
    return "/v1/" + collection + "/" + intentId(clientSecret);
  }

  function api(method, path, params, clientSecret) {
    var field = kindOf(clientSecret) === "setup" ? "setupIntent" : "paymentIntent";
    var body = new URLSearchParams(params).toString();
    var url = method === "GET" ? path + "?" + body : path;
    return fetch(url, {
      method: method,
      headers: { Authorization: "Bearer " + key, "Content-Type": "application/x-www-form-urlencoded" },
      body: method === "GET" ? undefined : body,
      credentials: "omit",
    })
      .then(function (response) {
        return response.json().then(function (json) {
          var answer = {};
          if (response.ok) answer[field] = json;
          else answer.error = json.error;
          return answer;
        });
      })
      .catch(function () {
        return {
          error: { type: "api_connection_error", message: "We could not reach the payment provider. Try again." },
        };
      });
  }

  function retrieve(clientSecret) {
    return api("GET", intentPath(clientSecret), { client_secret: clientSecret }, clientSecret);
  }

  function confirmWith(clientSecret, paymentMethod) {
    var params = { client_secret: clientSecret, payment_method: paymentMethod };
    return api("POST", intentPath(clientSecret) + "/confirm", params, clientSecret);
  }

  function confirm(returnUrl) {
    var found = problems(true);
    show(found);
    var problem = firstProblem(found);
    if (problem) {
      inputs[problem.field].focus();
      return Promise.resolve({ error: { type: "validation_error", code: "incomplete_" + problem.field, message: problem.message } });
    }
    if (busy) return Promise.resolve({ error: { type: "validation_error", message: "A confirmation is in progress." } });
    busy = true;
    formError.textContent = "";
    setDisabled(true);
    var exp = expiry();
    var params = {
      client_secret: config.clientSecret,
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": digits(inputs.number.value),
      "payment_method_data[card][exp_month]": exp.month,
      "payment_method_data[card][exp_year]": exp.year,
      "payment_method_data[card][cvc]": digits(inputs.cvc.value),
    };
    if (returnUrl) params.return_url = returnUrl;
    return api("POST", intentPath(config.clientSecret) + "/confirm", params, config.clientSecret).then(function (answer) {
      busy = false;
      setDisabled(false);
      if (answer.error) {
        formError.textContent = answer.error.message || "The card was not accepted.";
        resize();
      }
      return answer;
    });
  }

  function setDisabled(disabled) {
    Object.keys(inputs).forEach(function (name) {
      inputs[name].disabled = disabled;
    });
  }

  // --- Typing ------------------------------------------------------------------------------

  function formatNumber() {
    var number = digits(inputs.number.value).slice(0, 19);
    var groups = brandOf(number) === "amex" ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var out = [];
    var at = 0;
    groups.forEach(function (size) {
      if (at < number.length) out.push(number.slice(at, at + size));
      at += size;
    });
    inputs.number.value = out.join(" ");
  }

  function formatExpiry(event) {
    var value = digits(inputs.expiry.value).slice(0, 4);
    if (value.length === 1 && Number(value) > 1) value = "0" + value;
    var deleting = event && event.inputType && event.inputType.indexOf("delete") === 0;
    inputs.expiry.value = value.length > 2 || (value.length === 2 && !deleting) ? value.slice(0, 2) + " / " + value.slice(2) : value;
  }

  var last = "";
  function changed() {
    var now = state();
    var signature = JSON.stringify(now);
    if (signature !== last) {
      last = signature;
      emit("change", now);
    }
  }

  if (!config.controller) {
    form.hidden = false;
    var variables = (config.appearance && config.appearance.variables) || {};
    var names = { colorPrimary: "--color-primary", colorText: "--color-text", colorDanger: "--color-danger", fontFamily: "--font-family", borderRadius: "--border-radius" };
    Object.keys(names).forEach(function (name) {
      if (typeof variables[name] === "string") document.documentElement.style.setProperty(names[name], variables[name]);
    });
    inputs.number.addEventListener("input", function () {
      formatNumber();
      changed();
    });
    inputs.expiry.addEventListener("input", function (event) {
      formatExpiry(event);
      changed();
    });
    inputs.cvc.addEventListener("input", function () {
      inputs.cvc.value = digits(inputs.cvc.value).slice(0, 4);
      changed();
    });
    Object.keys(inputs).forEach(function (name) {
      inputs[name].addEventListener("blur", function () {
        var found = problems(false);
        var shown = {};
        shown[name] = found[name];
        Object.keys(inputs).forEach(function (other) {
          if (other !== name) shown[other] = document.getElementById(other + "-error").textContent && found[other];
        });
        show(shown);
        emit("blur");
      });
      inputs[name].addEventListener("focus", function () {
        emit("focus");
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.parent || event.origin !== config.parent) return;
    if (!data || data.sandbox !== "stripe-js") return;
    var reply = function (result) {
      tell("answer", { call: data.call, result: result });
    };
    if (data.type === "confirm") confirm(data.returnUrl).then(reply);
    else if (data.type === "retrieve") retrieve(data.clientSecret || config.clientSecret).then(reply);
    else if (data.type === "confirm-with") confirmWith(data.clientSecret, data.paymentMethod).then(reply);
    else if (data.type === "validate") {
      var problem = firstProblem(problems(true));
      show(problems(true));
      reply(problem ? { error: { type: "validation_error", message: problem.message } } : {});
    } else if (data.type === "focus") {
      inputs.number.focus();
      reply({});
    } else if (data.type === "clear") {
      Object.keys(inputs).forEach(function (name) {
        inputs[name].value = "";
      });
      show({});
      changed();
      reply({});
    }
  });

  tell("loaded");
  resize();
  if (!config.controller) {
    emit("ready");
    if (window.ResizeObserver) new ResizeObserver(resize).observe(document.body);
  }
})();
