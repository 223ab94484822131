// The customer portal's shell: the session (kept for every tab of this portal, renewed by
// one tab at a time), sign-in (or the session a link carried), a forgotten password, a new
// one from a reset link, sign-out and which card shows. What a signed-in person sees is the
// app module (portal_app.js), loaded once someone has signed in. Calls, errors, formats and
// the link's secrets go through page.js.
(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config, t = pw.t;
  var store = window.localStorage;
  var KEY = "portway:" + config.tenant + ":" + (config.portal || "");
  var $ = function (selector) { return document.querySelector(selector); };

  function session() { try { return JSON.parse(store.getItem(KEY) || "null"); } catch (e) { return null; } }
  function keep(value) { if (value) { store.setItem(KEY, JSON.stringify(value)); } else { store.removeItem(KEY); } }
  function tokens(data) { keep({ access: data.access_token, refresh: data.refresh_token }); }
  // The invitation page hands the new account's first session over in this tab only.
  var handed = window.sessionStorage.getItem(KEY);
  if (handed) { store.setItem(KEY, handed); window.sessionStorage.removeItem(KEY); }

  // A session a link carried is taken once: opened again (in this tab or another), the
  // link must not put back tokens that were renewed (spent) since.
  var TAKEN = KEY + ":taken";
  var resetToken = null, wantedTicket = null;
  function takeFragment() {
    var found = pw.fragment();
    if (found.session && store.getItem(TAKEN) !== found.session) {
      keep({ access: found.session, refresh: found.refresh });
      store.setItem(TAKEN, found.session);
    }
    if (found.session) { pw.forget(); }
    resetToken = found.reset || null;
    if (found.ticket) { wantedTicket = found.ticket; }
  }

  // -- calls with the session: renewed when it ran out, ended when it is gone -------------
  // Every tab of the portal shares the session: one renews it at a time (a lock across the
  // tabs), and a tab that waited uses what the other one got instead of spending the
  // refresh token again.
  var renewing = null;
  // After waiting for another tab's renewal: what it stored, once this tab has heard of it
  // (at most a second later).
  function stored(used) {
    return new Promise(function (resolve) {
      var now = session();
      if (!now || now.refresh !== used.refresh) { resolve(); return; }
      var timer = setTimeout(done, 1000);
      function done() { clearTimeout(timer); window.removeEventListener("storage", done); resolve(); }
      window.addEventListener("storage", done);
    });
  }
  function exclusive(run, used) {
    var locks = navigator.locks;
    if (!locks) { return Promise.resolve().then(run); }
    return locks.request(KEY, { ifAvailable: true }, function (lock) {
      return lock ? run() : locks.request(KEY, function () { return stored(used).then(run); });
    });
  }
  function refresh(used) {
    if (!renewing) {
      var run = function () {
        var now = session();
        if (!now) { return ended(); }
        if (now.refresh !== used.refresh) { return null; }
        return pw.api("POST", "/v1/portal/sessions/refresh", { body: { refresh_token: used.refresh } }).then(tokens, function (error) {
          if (error.status === 401) { ended(); }
          throw error;
        });
      };
      renewing = exclusive(run, used).then(function () {
        renewing = null;
      }, function (error) {
        renewing = null;
        throw error;
      });
    }
    return renewing;
  }
  // send(accessToken) makes the request; on a 401 it runs again with the session another
  // tab stored meanwhile, or after renewing it.
  function authed(send, retried) {
    var current = session();
    return send(current && current.access).catch(function (error) {
      if (error.status !== 401) { throw error; }
      var now = session();
      if (!retried && now && (!current || now.access !== current.access)) { return authed(send, true); }
      if (!retried && now && now.refresh) { return refresh(now).then(function () { return authed(send, true); }); }
      return ended();
    });
  }
  function call(method, path, body, accept) {
    return authed(function (token) { return pw.api(method, path, { body: body, token: token, accept: accept }); });
  }

  // The session ended (signed out elsewhere, removed, reset, a preview's key revoked): say
  // so on the sign-in card instead of failing silently.
  function signedOut() {
    screen("#sign-in");
    pw.say($("#sign-in-error"), t("signed_out"), "error");
  }
  function ended() {
    keep(null);
    signedOut();
    var stop = new Error(t("signed_out"));
    stop.handled = true;
    throw stop;
  }
  // What the page shows: "#sign-in", "#reset" or "#app#apps" (the app and its menu).
  function screen(shown) {
    ["#sign-in", "#reset", "#app", "#apps"].forEach(function (part) { $(part).hidden = shown.indexOf(part) === -1; });
  }

  function show(scope, error, options) { if (!error.handled) { pw.showErrors(scope, error, options); } }
  // A section that could not load says so where it would have shown.
  function failed(box) {
    return function (error) { if (!error.handled && box) { pw.say(box, error.message, "error"); } };
  }

  // A module of the page (the app, support), loaded once, when it is needed.
  var loading = {};
  function load(src, name) {
    if (!loading[name]) {
      loading[name] = new Promise(function (resolve, reject) {
        var script = pw.el("script", { src: src });
        script.addEventListener("load", function () { resolve(window[name]); });
        script.addEventListener("error", function () { delete loading[name]; script.remove(); reject(pw.problem(0, null)); });
        document.head.appendChild(script);
      });
    }
    return loading[name];
  }
  function showApp(focus) {
    screen("");
    return Promise.all([call("GET", "/v1/portal/me"), load($("#app").getAttribute("data-module"), "portwayApp")]).then(function (both) {
      screen("#app#apps");
      return both[1].show(both[0], focus);
    }).catch(function (error) {
      if (error.handled) { return; }
      screen("#sign-in");
      pw.say($("#sign-in-error"), error.message, "error");
    });
  }

  // -- signing in, a forgotten password, a new one from the e-mailed link ----------------
  function submit(form, handler) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      pw.clearErrors(form);
      handler(form.querySelector("button[type=submit]"));
    });
  }
  submit($("#reset-form"), function (button) {
    pw.busy(button, pw.api("POST", "/v1/portal/password-resets/confirm", { body: { token: resetToken, password: $("#new-password").value, tenant: config.tenant, portal: config.portal || undefined } }))
      .then(function (data) {
        tokens(data);
        pw.forget();
        resetToken = null;
        $("#new-password").value = "";
        return showApp(true);
      }).catch(function (error) {
        show($("#reset-form"), error, { box: $("#reset-error"), overrides: { unauthorized: t("reset_invalid") } });
        // A spent link: the sign-in card (with "Forgot your password?") is the way on.
        if (error.type === "unauthorized") { pw.forget(); $("#sign-in").hidden = false; }
      });
  });
  $("#forgot").addEventListener("click", function () {
    $("#forgot-form").hidden = false;
    $("#forgot-email").value = $("#email").value;
    $("#forgot-email").focus();
  });
  submit($("#forgot-form"), function (button) {
    var body = { tenant: config.tenant, email: $("#forgot-email").value, portal: config.portal };
    pw.busy(button, pw.api("POST", "/v1/portal/password-resets", { body: body }))
      .then(function () { pw.say($("#forgot-result"), t("reset_sent"), "status"); })
      .catch(function (error) { show($("#forgot-form"), error, { box: $("#forgot-result") }); });
  });
  submit($("#sign-in-form"), function (button) {
    var body = { tenant: config.tenant, email: $("#email").value, password: $("#password").value, portal: config.portal };
    pw.say($("#sign-in-error"), "");
    pw.busy(button, pw.api("POST", "/v1/portal/sessions", { body: body })).then(function (data) {
      tokens(data);
      $("#password").value = "";
      return showApp(true);
    }).catch(function (error) {
      show($("#sign-in-form"), error, { box: $("#sign-in-error"), overrides: { unauthorized: t("wrong_credentials") } });
    });
  });
  $("#sign-out").addEventListener("click", function () {
    pw.busy($("#sign-out"), call("DELETE", "/v1/portal/sessions").catch(function () { return null; })).then(function () {
      keep(null);
      pw.say($("#sign-in-error"), "");
      screen("#sign-in");
      $("#email").focus();
    });
  });
  // Another tab of this portal signed out (or its session ended): this one shows the
  // sign-in card too; another tab signed in: this one shows the app.
  window.addEventListener("storage", function (event) {
    if (event.key !== KEY && event.key !== null) { return; }
    if (!session()) {
      if ($("#sign-in").hidden && $("#reset").hidden) { signedOut(); }
    } else if (!event.oldValue && !$("#sign-in").hidden) {
      showApp(false);
    }
  });

  // The app and the support module get the session's helpers from here.
  window.portwayPortal = Object.freeze({
    call: call, authed: authed, tokens: tokens, show: show, failed: failed, busy: pw.busy, load: load,
    ticket: function () { var id = wantedTicket; wantedTicket = null; return id; }
  });

  function route() {
    takeFragment();
    if (resetToken) {
      screen("#reset");
      $("#new-password").focus();
    } else if (session()) { showApp(false); } else { screen("#sign-in"); }
  }
  // A link opened in this very tab changes only the fragment: the page must look again.
  window.addEventListener("hashchange", function () { if (window.location.hash.length > 1) { route(); } });
  route();
})();
