/*
 * The sandbox's stand-in for Cloudflare Turnstile's script
 * (https://challenges.cloudflare.com/turnstile/v0/api.js): the surface a site uses.
 *
 *   const id = turnstile.render("#challenge", {
 *     sitekey, action, cdata, callback(token), "error-callback"(code), "expired-callback"(token),
 *   });
 *   turnstile.getResponse(id); turnstile.reset(id); turnstile.remove(id); turnstile.isExpired(id);
 *   turnstile.ready(fn);
 *
 * Implicit rendering, as Cloudflare's: every `.cf-turnstile` element (data-sitekey, data-callback,
 * data-error-callback, data-expired-callback, data-action, data-cdata, data-response-field-name)
 * is rendered once the page has loaded, unless the script URL says `?render=explicit`; `?onload=fn`
 * calls window[fn] once the script is ready. A hidden input `cf-turnstile-response` inside the
 * container carries the token in a form.
 *
 * The challenge is solved in a frame of the sandbox's origin (as Cloudflare's is), which asks the
 * sandbox for a new single-use token each time and hands it to this script by postMessage.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var source = new URL(script && script.src ? script.src : window.location.href);
  var ORIGIN = source.origin;
  var widgets = {}; // id -> widget
  var count = 0;

  window.addEventListener("message", function (event) {
    if (event.origin !== ORIGIN || !event.data || event.data.sandbox !== "turnstile") return;
    var widget = widgets[event.data.widget];
    if (!widget || widget.iframe.contentWindow !== event.source) return;
    var data = event.data;
    if (data.type === "solved") {
      widget.token = data.token;
      widget.expired = false;
      widget.input.value = data.token;
      call(widget.params.callback, data.token);
    } else if (data.type === "expired") {
      var old = widget.token;
      widget.token = undefined;
      widget.expired = true;
      widget.input.value = "";
      call(widget.params["expired-callback"], old);
    } else if (data.type === "error") {
      widget.token = undefined;
      widget.input.value = "";
      var handled = call(widget.params["error-callback"], data.code);
      if (handled === undefined && !widget.params["error-callback"]) {
        throw new Error("[Cloudflare Turnstile] Error: " + data.code + ".");
      }
    } else if (data.type === "resize") {
      widget.iframe.style.height = data.height + "px";
    }
  });

  function call(handler, value) {
    if (typeof handler === "string") handler = window[handler];
    return typeof handler === "function" ? handler(value) : undefined;
  }

  function find(idOrContainer) {
    if (idOrContainer === undefined) {
      var ids = Object.keys(widgets);
      return ids.length ? widgets[ids[ids.length - 1]] : null;
    }
    if (widgets[idOrContainer]) return widgets[idOrContainer];
    var container = typeof idOrContainer === "string" ? document.querySelector(idOrContainer) : idOrContainer;
    for (var id in widgets) if (widgets[id].container === container) return widgets[id];
    return null;
  }

  function frameUrl(widget) {
    var config = {
      widget: widget.id,
      parent: window.location.origin,
      sitekey: widget.params.sitekey,
      action: widget.params.action || "",
      cdata: widget.params.cdata || "",
      solve: ++widget.solves, // a fresh frame, and so a fresh token, per solve
    };
    return ORIGIN + "/turnstile/v0/widget#" + encodeURIComponent(JSON.stringify(config));
  }

  function render(container, params) {
    var element = typeof container === "string" ? document.querySelector(container) : container;
    if (!element) throw new Error("[Cloudflare Turnstile] Invalid or missing type for parameter \"container\".");
    if (!params || typeof params.sitekey !== "string" || !params.sitekey) {
      throw new Error("[Cloudflare Turnstile] Invalid or missing type for parameter \"sitekey\".");
    }
    var existing = find(element);
    if (existing) return existing.id;
    var id = "cf-chl-widget-" + (++count).toString(36);
    var iframe = document.createElement("iframe");
    iframe.title = "Widget containing a Cloudflare security challenge";
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("scrolling", "no");
    iframe.style.cssText = "border:0;width:300px;max-width:100%;height:65px;overflow:hidden;display:block";
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = params["response-field-name"] || "cf-turnstile-response";
    input.id = id + "_response";
    var widget = { id: id, container: element, params: params, iframe: iframe, input: input, solves: 0 };
    widgets[id] = widget;
    iframe.src = frameUrl(widget);
    element.appendChild(iframe);
    if (params["response-field"] !== false) element.appendChild(input);
    return id;
  }

  var readyCallbacks = [];
  var isReady = false;

  window.turnstile = {
    render: render,
    getResponse: function (id) {
      var widget = find(id);
      return widget ? widget.token : undefined;
    },
    isExpired: function (id) {
      var widget = find(id);
      return !!(widget && widget.expired);
    },
    reset: function (id) {
      var widget = find(id);
      if (!widget) return;
      widget.token = undefined;
      widget.expired = false;
      widget.input.value = "";
      widget.iframe.src = frameUrl(widget);
    },
    remove: function (id) {
      var widget = find(id);
      if (!widget) return;
      if (widget.iframe.parentNode) widget.iframe.parentNode.removeChild(widget.iframe);
      if (widget.input.parentNode) widget.input.parentNode.removeChild(widget.input);
      delete widgets[widget.id];
    },
    execute: function (container) {
      var widget = find(container);
      if (widget && !widget.token) window.turnstile.reset(widget.id);
    },
    ready: function (callback) {
      if (isReady) callback();
      else readyCallbacks.push(callback);
    },
  };

  function implicit() {
    var elements = document.querySelectorAll(".cf-turnstile");
    Array.prototype.forEach.call(elements, function (element) {
      var data = element.dataset;
      if (!data.sitekey) return;
      render(element, {
        sitekey: data.sitekey,
        action: data.action,
        cdata: data.cdata,
        callback: data.callback,
        "error-callback": data.errorCallback,
        "expired-callback": data.expiredCallback,
        "response-field-name": data.responseFieldName,
        "response-field": data.responseField !== "false",
      });
    });
  }

  function start() {
    if (source.searchParams.get("render") !== "explicit") implicit();
    isReady = true;
    readyCallbacks.splice(0).forEach(function (callback) {
      callback();
    });
    var onload = source.searchParams.get("onload");
    if (onload && typeof window[onload] === "function") window[onload]();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
