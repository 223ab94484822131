// The script every hosted page shares (served from our origin, cached by its hash), loaded
// before the page's own script. It gives `window.portway`:
// - config: the page's settings (#pw-config), with `text` (the page's sentences) and
//   `messages` (problem types and field-error codes), both in the page's language;
// - api(): one fetch wrapper; a failed call rejects with a problem whose `message` is already
//   in the page's language, chosen by the problem's type and the field errors' codes, never
//   by the API's English `detail`;
// - fragment(): the secrets a link carries after `#`, taken out of the address bar at once;
// - showErrors() / clearErrors(): field errors next to their fields with aria-invalid and
//   aria-describedby, focus on the first; busy(): a button's busy state while a call runs;
// - money(), number(), date(), dateTime(), position(): Intl in the page's language;
// - the height messages to the framing page (only an allowed origin hears them).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pw-config").textContent);
  var text = config.text || {};
  var messages = config.messages || {};
  var LOCALES = { en: "en-GB", de: "de-DE", da: "da-DK" };
  var locale = LOCALES[config.language] || "en-GB";
  // What the link carried after `#`, kept (in memory only) for fragment() and for a change
  // of language, which opens the same page with the same secrets.
  var carried = window.location.hash;

  // The framing page's exact origin: the browser shows a page in a frame only when every
  // ancestor is on the tenant's list (CSP frame-ancestors), so the parent's origin is one of
  // them; the height goes to that origin only, and only its messages are heard.
  var target = null;
  if (window.parent !== window) {
    var ancestors = window.location.ancestorOrigins;
    var origin = ancestors && ancestors.length ? ancestors[0] : "";
    if (!origin && document.referrer) {
      try { origin = new URL(document.referrer).origin; } catch (e) { origin = ""; }
    }
    if (/^https?:\/\/[^/]+$/.test(origin)) { target = origin; }
  }
  var query = new URLSearchParams(window.location.search);
  if (target || query.get("embed") === "1") { document.documentElement.classList.add("embedded"); }
  if (query.get("scheme") === "light") { document.documentElement.classList.add("light"); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function fill(node, children) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  // A sentence of the page (`text`) or a shared one (`messages`), with {name} filled in.
  function t(key, values) {
    var sentence = key in text ? text[key] : key in messages ? messages[key] : messages["problem.failed"];
    return String(sentence).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  // -- numbers, money, dates in the page's language --------------------------------------
  function number(value, digits) {
    if (value === null || value === undefined || value === "") { return "–"; }
    var options = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    return new Intl.NumberFormat(locale, options).format(Number(value));
  }
  function money(amount, currency) {
    if (amount === null || amount === undefined || amount === "") { return "–"; }
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "EUR" }).format(Number(amount));
  }
  function date(iso) {
    if (!iso) { return "–"; }
    var value = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(iso + "T00:00:00Z") : new Date(iso);
    var options = { year: "numeric", month: "2-digit", day: "2-digit" };
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) { options.timeZone = "UTC"; }
    return new Intl.DateTimeFormat(locale, options).format(value);
  }
  function dateTime(iso) {
    if (!iso) { return "–"; }
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }
  function position(lat, lon) {
    if (lat === null || lat === undefined || lon === null || lon === undefined) { return "–"; }
    var format = new Intl.NumberFormat(locale, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
    return format.format(Math.abs(lat)) + "° " + t(lat < 0 ? "position.south" : "position.north") + ", " +
      format.format(Math.abs(lon)) + "° " + t(lon < 0 ? "position.west" : "position.east");
  }

  // -- calls to the API ------------------------------------------------------------------
  // A failed call: `type` is the problem's short type (validation, unauthorized, ...; network
  // when nothing answered), `status`, `errors` (each with its translated `text`) and
  // `message`, the sentence for the person.
  function Problem(status, body) {
    var type = String((body && body.type) || "").split(":").pop() || (status ? "failed" : "network");
    var error = new Error(t("problem." + (("problem." + type) in messages ? type : "failed")));
    error.status = status;
    error.type = type;
    error.errors = ((body && body.errors) || []).map(function (e) {
      return { field: e.field, code: e.code, text: fieldText(e) };
    });
    error.reason = body && body.reason;
    return error;
  }
  // The sentence of a field error: the page's own for this field and code, else the shared
  // one for the field's name and code, else the code's.
  function fieldText(e) {
    var leaf = String(e.field || "").split(".").pop().replace(/\[\d+\]$/, "");
    var values = Object.assign({ limit: e.limit }, e.params || {});
    var keys = ["field." + e.code + "." + leaf, "field." + e.code, "field.invalid"];
    for (var i = 0; i < keys.length; i++) {
      if (keys[i] in text || keys[i] in messages) { return t(keys[i], values); }
    }
    return t("field.invalid", values);
  }

  // While calls are on their way the page says so: a bar at the top, `aria-busy` on main.
  var pending = 0;
  function loading(step) {
    pending += step;
    var main = document.querySelector("main");
    if (pending > 0) { document.documentElement.setAttribute("data-loading", ""); if (main) { main.setAttribute("aria-busy", "true"); } }
    else { document.documentElement.removeAttribute("data-loading"); if (main) { main.removeAttribute("aria-busy"); } }
  }

  // options: body (sent as JSON), token (a bearer token), accept (a file type: the answer is
  // the Response itself), headers.
  function api(method, path, options) {
    loading(1);
    return call(method, path, options).then(function (value) { loading(-1); return value; }, function (error) { loading(-1); throw error; });
  }
  function call(method, path, options) {
    options = options || {};
    var headers = Object.assign({ Accept: options.accept || "application/json" }, options.headers || {});
    if (options.body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (options.token) { headers.Authorization = "Bearer " + options.token; }
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: "omit",
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined
    }).catch(function () {
      throw Problem(0, null);
    }).then(function (response) {
      if (response.ok && options.accept && options.accept !== "application/json") { return response; }
      if (response.status === 204 || response.status === 202) { return null; }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) { throw Problem(response.status, data); }
        return data;
      });
    });
  }

  // The secrets a link carries after `#` (token, session, reset, ...), read once; the
  // address bar keeps the page's address without them, so they stay out of history.
  function fragment() {
    if (window.location.hash.length > 1) { carried = window.location.hash; }
    var params = new URLSearchParams(carried.slice(1));
    var found = {};
    params.forEach(function (value, name) { found[name] = value; });
    if (window.location.hash.length > 1) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return found;
  }
  // ISO 13616 check digits, as the server checks them.
  function ibanValid(iban) {
    var compact = iban.replace(/ /g, "").toUpperCase();
    if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) { return false; }
    var rest = 0;
    (compact.slice(4) + compact.slice(0, 4)).split("").forEach(function (ch) {
      var digits = String(parseInt(ch, 36));
      for (var i = 0; i < digits.length; i++) { rest = (rest * 10 + Number(digits[i])) % 97; }
    });
    return rest === 1;
  }

  // The page has spent what the link carried (a single-use secret): a change of language
  // no longer sends it along.
  function forget() { carried = ""; }

  // The language switcher keeps the page's other parameters (a portal, embed=1) and what
  // the link carried.
  document.querySelectorAll(".languages a[hreflang]").forEach(function (link) {
    var params = new URLSearchParams(window.location.search);
    params.set("language", link.getAttribute("hreflang"));
    link.href = window.location.pathname + "?" + params.toString();
    link.addEventListener("click", function (event) {
      if (carried.length > 1) { event.preventDefault(); window.location.assign(link.href + carried); }
    });
  });

  // -- errors, busy states, announcements ------------------------------------------------
  function say(box, message, kind) {
    if (!box) { return; }
    var role = kind === "error" ? "alert" : "status";
    fill(box, message ? [el("p", { "class": kind === "error" ? "error" : "result", role: role }, [message])] : []);
  }
  function clearErrors(scope) {
    scope.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    scope.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      var kept = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-error$/.test(id);
      });
      if (kept.length) { input.setAttribute("aria-describedby", kept.join(" ")); } else { input.removeAttribute("aria-describedby"); }
    });
  }
  // Field errors go next to their field (`locate(field)` names it: an input, select or a
  // group holding several); what has no field, and a problem without field errors, goes to
  // `box`. `overrides` says what a type means for this action ({unauthorized: "..."}).
  // Focus moves to the first field in error, or to the box.
  function showErrors(scope, error, options) {
    options = options || {};
    var box = options.box;
    clearErrors(scope);
    var unplaced = [];
    var first = null;
    (error.errors || []).forEach(function (e) {
      var field = options.locate ? options.locate(e.field) : scope.querySelector('[name="' + e.field + '"]');
      if (!field) { unplaced.push(e.text); return; }
      var id = (field.id || ("f" + Math.random().toString(36).slice(2))) + "-error";
      if (!field.id) { field.id = id.slice(0, -6); }
      var existing = document.getElementById(id);
      if (existing) { existing.textContent += " " + e.text; return; }
      var note = el("p", { id: id, "class": "error field-error" }, [e.text]);
      var anchor = field.closest("[data-field]") || field;
      if (anchor === field && field.type === "checkbox" && field.parentNode.tagName === "P") { anchor = field.parentNode; }
      anchor.parentNode.insertBefore(note, anchor.nextSibling);
      var control = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea") || field;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "") + " " + id).trim());
      if (!first) { first = control; }
    });
    var overrides = options.overrides || {};
    var general = overrides[error.type] || overrides[error.status] || error.message;
    if (box) {
      var lines = unplaced.length ? unplaced : first ? [] : [general];
      fill(box, lines.map(function (line) { return el("p", { "class": "error", role: "alert" }, [line]); }));
    }
    var focus = first || box;
    if (focus) {
      if (!first) { focus.setAttribute("tabindex", "-1"); }
      focus.focus();
    }
  }
  // The button shows it is working (and cannot be pressed twice) until the promise settles.
  function busy(button, promise) {
    if (!button) { return promise; }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    function done() { button.disabled = false; button.removeAttribute("aria-busy"); }
    return promise.then(function (value) { done(); return value; }, function (error) { done(); throw error; });
  }

  // Save a fetched file (a PDF, a protocol) under the name its answer gives.
  function download(response, fallback) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return response.blob().then(function (blob) {
      var link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : fallback });
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    });
  }

  // -- the height, for the framing page ---------------------------------------------------
  var last = -1;
  function report() {
    if (!target) { return; }
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "portway:height", page: config.page, height: height }, target);
  }
  window.addEventListener("message", function (event) {
    if (!target || event.origin !== target || event.source !== window.parent) { return; }
    if (event.data && event.data.type === "portway:measure") { last = -1; report(); }
  });
  if (window.ResizeObserver) { new ResizeObserver(report).observe(document.documentElement); }
  window.addEventListener("load", report);
  report();

  window.portway = Object.freeze({
    config: config, parent: target, locale: locale,
    el: el, fill: fill, t: t, say: say,
    api: api, fragment: fragment, forget: forget, problem: Problem,
    showErrors: showErrors, clearErrors: clearErrors, busy: busy, download: download,
    number: number, money: money, date: date, dateTime: dateTime, position: position, ibanValid: ibanValid
  });
})();
