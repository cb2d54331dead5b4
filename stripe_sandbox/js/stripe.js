/*
 * The sandbox's stand-in for Stripe.js v3 (https://js.stripe.com/v3/): the part of its surface a
 * donor site uses to take a card with the Payment Element.
 *
 *   const stripe = Stripe(publishableKey);
 *   const elements = stripe.elements({ clientSecret, appearance });
 *   const element = elements.create("payment");
 *   element.mount("#payment-element");            // also: on("ready" | "change" | ...), unmount()
 *   const { error, paymentIntent } = await stripe.confirmPayment({ elements, redirect: "if_required" });
 *   const { paymentIntent } = await stripe.retrievePaymentIntent(clientSecret);
 *
 * Saving a card for later (a SetupIntent's client secret in `stripe.elements`):
 *
 *   const { error, setupIntent } = await stripe.confirmSetup({ elements, redirect: "if_required" });
 *   const { setupIntent } = await stripe.retrieveSetupIntent(clientSecret);
 *
 * Confirming with a card already saved to the customer (`payment_method: "pm_…"` only), e.g.
 * after an off-session charge failed with `authentication_required`:
 *
 *   const { error, paymentIntent } = await stripe.confirmCardPayment(clientSecret, { payment_method });
 *   const { error, paymentIntent } = await stripe.handleNextAction({ clientSecret });
 *   const { error, setupIntent } = await stripe.confirmCardSetup(clientSecret, { payment_method });
 *
 * As with Stripe's, the card is typed into a frame of the provider's own origin, and that frame
 * (not this page) sends it to the provider's API with the publishable key and the intent's client
 * secret. This script only ever learns whether the form is complete and the card's brand. A card
 * that asks for 3-D Secure opens the provider's challenge in a frame over the page and the promise
 * settles once the donor has answered it.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ORIGIN = new URL(script && script.src ? script.src : window.location.href).origin;
  var frameCount = 0;
  var frames = {}; // frame id -> { window, onMessage }

  window.addEventListener("message", function (event) {
    if (event.origin !== ORIGIN || !event.data || event.data.sandbox !== "stripe-js") return;
    var frame = frames[event.data.frame];
    if (frame && frame.window() === event.source) frame.onMessage(event.data);
  });

  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  /** "payment" or "setup": the kind of intent a client secret belongs to. */
  function intentKind(clientSecret) {
    var match = /^(pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/.exec(String(clientSecret || ""));
    if (!match) throw integrationError("Invalid value for clientSecret: a PaymentIntent's or SetupIntent's client_secret.");
    return match[1] === "pi" ? "payment" : "setup";
  }

  function expectKind(clientSecret, kind, method) {
    if (intentKind(clientSecret) !== kind) {
      var wanted = kind === "payment" ? "PaymentIntent" : "SetupIntent";
      throw integrationError(method + " needs the client_secret of a " + wanted + ".");
    }
  }

  /** A frame of the sandbox's origin, spoken to with postMessage (requests and answers by id). */
  function Frame(path, options, onEvent) {
    var id = "sandbox-frame-" + ++frameCount;
    var iframe = document.createElement("iframe");
    var pending = {};
    var calls = 0;
    var ready = false;
    var queue = [];
    var config = Object.assign({ frame: id, parent: window.location.origin }, options);
    iframe.src = ORIGIN + path + "#" + encodeURIComponent(JSON.stringify(config));
    iframe.name = id;
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("allowtransparency", "true");
    iframe.setAttribute("scrolling", "no");
    iframe.allow = "payment *";
    iframe.style.cssText = "border:0;width:100%;display:block;overflow:hidden;height:1px;background:transparent";
    frames[id] = {
      window: function () {
        return iframe.contentWindow;
      },
      onMessage: function (data) {
        if (data.type === "loaded") {
          ready = true;
          queue.splice(0).forEach(function (message) {
            iframe.contentWindow.postMessage(message, ORIGIN);
          });
        } else if (data.type === "answer" && pending[data.call]) {
          pending[data.call](data.result);
          delete pending[data.call];
        } else if (data.type === "resize") {
          iframe.style.height = data.height + "px";
        } else if (onEvent) {
          onEvent(data);
        }
      },
    };
    this.iframe = iframe;
    this.call = function (type, payload) {
      return new Promise(function (resolve) {
        var call = ++calls;
        pending[call] = resolve;
        var message = Object.assign({ sandbox: "stripe-js", type: type, call: call }, payload);
        if (ready) iframe.contentWindow.postMessage(message, ORIGIN);
        else queue.push(message);
      });
    };
    this.destroy = function () {
      delete frames[id];
      if (iframe.parentNode) iframe.parentNode.removeChild(iframe);
    };
  }

  function PaymentElement(elements, options) {
    var handlers = {};
    var element = this;
    var frame = null;
    this._elements = elements;
    function emit(name, payload) {
      (handlers[name] || []).slice().forEach(function (handler) {
        handler(Object.assign({ elementType: "payment" }, payload));
      });
    }
    this.on = function (name, handler) {
      (handlers[name] = handlers[name] || []).push(handler);
      return element;
    };
    this.off = function (name, handler) {
      handlers[name] = (handlers[name] || []).filter(function (h) {
        return handler !== undefined && h !== handler;
      });
      return element;
    };
    this.mount = function (target) {
      var container = typeof target === "string" ? document.querySelector(target) : target;
      if (!container) throw integrationError("The selector you specified (" + target + ") applies to no DOM elements.");
      if (frame) throw integrationError("This Element is already mounted.");
      frame = new Frame(
        "/elements/payment",
        {
          key: elements._stripe._key,
          clientSecret: elements._clientSecret,
          appearance: elements._appearance,
          options: options || {},
        },
        function (data) {
          if (data.type === "event") emit(data.name, data.payload || {});
        },
      );
      frame.iframe.title = "Secure payment input frame";
      container.appendChild(frame.iframe);
      return element;
    };
    this.unmount = function () {
      if (frame) frame.destroy();
      frame = null;
    };
    this.destroy = function () {
      element.unmount();
      elements._payment = null;
    };
    this.focus = function () {
      if (frame) frame.call("focus", {});
    };
    this.clear = function () {
      if (frame) frame.call("clear", {});
    };
    this._frame = function () {
      if (!frame) throw integrationError("The Payment Element is not mounted.");
      return frame;
    };
  }

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._clientSecret = options.clientSecret;
    this._appearance = options.appearance || {};
    this._payment = null;
    this._kind = intentKind(options.clientSecret);
  }
  Elements.prototype.create = function (type, options) {
    if (type !== "payment") throw integrationError("The sandbox's Stripe.js offers the \"payment\" Element only.");
    if (this._payment) throw integrationError("Can only create one Element of type payment.");
    this._payment = new PaymentElement(this, options);
    return this._payment;
  };
  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._payment : null;
  };
  Elements.prototype.update = function (options) {
    if (options && options.appearance) this._appearance = options.appearance;
  };
  Elements.prototype.submit = function () {
    if (!this._payment) return Promise.resolve({ error: { type: "validation_error", message: "No Payment Element." } });
    return this._payment._frame().call("validate", {});
  };

  /** Open the provider's challenge over the page; settle once the donor answered it. */
  function challenge(nextAction) {
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.45);display:flex;" +
        "align-items:center;justify-content:center;padding:16px";
      var box = document.createElement("div");
      box.style.cssText = "background:#fff;border-radius:8px;width:100%;max-width:420px;overflow:hidden";
      var frame = new Frame(nextAction.stripe_js.replace(ORIGIN, ""), {}, function (data) {
        if (data.type === "event" && data.name === "challenge-done") {
          frame.destroy();
          overlay.remove();
          resolve();
        }
      });
      frame.iframe.title = "3D Secure challenge";
      box.appendChild(frame.iframe);
      overlay.appendChild(box);
      document.body.appendChild(overlay);
    });
  }

  function outcome(answer) {
    if (answer.error) return { error: answer.error };
    if (answer.setupIntent) {
      var setup = answer.setupIntent;
      if (setup.status === "requires_payment_method" && setup.last_setup_error) {
        return { error: Object.assign({}, setup.last_setup_error, { setup_intent: setup }) };
      }
      return { setupIntent: setup };
    }
    var intent = answer.paymentIntent;
    var error = intent.last_payment_error;
    if (intent.status === "requires_payment_method" && error) {
      return { error: Object.assign({}, error, { payment_intent: intent }) };
    }
    return { paymentIntent: intent };
  }

  /** Open the challenge the answer asks for, if any, then read the intent again. */
  function afterConfirm(frame, clientSecret) {
    return function (answer) {
      var intent = answer.paymentIntent || answer.setupIntent;
      var action = intent && intent.next_action;
      if (!intent || intent.status !== "requires_action" || !action || action.type !== "use_stripe_sdk") {
        return outcome(answer);
      }
      return challenge(action.use_stripe_sdk).then(function () {
        return frame.call("retrieve", { clientSecret: clientSecret }).then(outcome);
      });
    };
  }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw integrationError("Invalid API Key provided: a publishable key (pk_…) is needed.");
    }
    this._key = publishableKey;
    this._controller = null;
  }
  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };
  function confirmElements(options, kind, method) {
    var elements = options && options.elements;
    var element = elements && elements.getElement("payment");
    if (!element) return Promise.reject(integrationError(method + " needs the elements of a mounted Payment Element."));
    if (elements._kind !== kind) {
      var wanted = kind === "payment" ? "PaymentIntent" : "SetupIntent";
      return Promise.reject(integrationError(method + " needs elements created with a " + wanted + "'s clientSecret."));
    }
    var returnUrl = options.confirmParams && options.confirmParams.return_url;
    if (options.redirect !== "if_required" && !returnUrl) {
      return Promise.reject(integrationError(method + " needs confirmParams.return_url unless redirect is \"if_required\"."));
    }
    var frame = element._frame();
    return frame.call("confirm", { returnUrl: returnUrl || null }).then(afterConfirm(frame, elements._clientSecret));
  }
  Stripe.prototype.confirmPayment = function (options) {
    return confirmElements(options, "payment", "confirmPayment");
  };
  Stripe.prototype.confirmSetup = function (options) {
    return confirmElements(options, "setup", "confirmSetup");
  };
  function confirmSaved(stripe, clientSecret, data, kind, method) {
    try {
      expectKind(clientSecret, kind, method);
    } catch (error) {
      return Promise.reject(error);
    }
    var paymentMethod = data && data.payment_method;
    if (typeof paymentMethod !== "string" || paymentMethod.indexOf("pm_") !== 0) {
      return Promise.reject(integrationError(method + " in the sandbox takes a saved card only: { payment_method: \"pm_…\" }."));
    }
    var frame = stripe._controllerFrame();
    return frame
      .call("confirm-with", { clientSecret: clientSecret, paymentMethod: paymentMethod })
      .then(afterConfirm(frame, clientSecret));
  }
  Stripe.prototype.confirmCardPayment = function (clientSecret, data) {
    return confirmSaved(this, clientSecret, data, "payment", "confirmCardPayment");
  };
  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    return confirmSaved(this, clientSecret, data, "setup", "confirmCardSetup");
  };
  /** Stripe.js's handleNextAction: finish an intent the server confirmed that asks for the
   *  donor (3-D Secure); an intent that asks for nothing is returned as it is. */
  Stripe.prototype.handleNextAction = function (options) {
    var clientSecret = options && options.clientSecret;
    var kind;
    try {
      kind = intentKind(clientSecret);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!kind) return Promise.reject(integrationError("handleNextAction needs a clientSecret."));
    var frame = this._controllerFrame();
    return frame.call("retrieve", { clientSecret: clientSecret }).then(afterConfirm(frame, clientSecret));
  };
  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    expectKind(clientSecret, "payment", "retrievePaymentIntent");
    return this._controllerFrame().call("retrieve", { clientSecret: clientSecret });
  };
  Stripe.prototype.retrieveSetupIntent = function (clientSecret) {
    expectKind(clientSecret, "setup", "retrieveSetupIntent");
    return this._controllerFrame().call("retrieve", { clientSecret: clientSecret });
  };
  Stripe.prototype._controllerFrame = function () {
    if (!this._controller) {
      this._controller = new Frame("/elements/payment", { key: this._key, controller: true });
      this._controller.iframe.title = "Stripe controller frame";
      this._controller.iframe.setAttribute("aria-hidden", "true");
      this._controller.iframe.tabIndex = -1;
      this._controller.iframe.style.cssText = "border:0;width:1px;height:1px;position:absolute;left:-9999px";
      document.body.appendChild(this._controller.iframe);
    }
    return this._controller;
  };

  window.Stripe = Stripe;
})();
