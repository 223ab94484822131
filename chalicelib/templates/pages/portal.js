// The customer portal: sign-in (or the session a link carried), a new password from a reset
// link, the person's apps (equipment, activity, reports, people, support) and the menu that
// moves between them. Calls, errors, formats and the link's secrets go through page.js.
(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config, t = pw.t, el = pw.el, fill = pw.fill;
  var store = window.sessionStorage;
  var KEY = "portway:" + config.tenant + ":" + (config.portal || "");
  var $ = function (selector) { return document.querySelector(selector); };

  function session() { try { return JSON.parse(store.getItem(KEY) || "null"); } catch (e) { return null; } }
  function keep(value) { if (value) { store.setItem(KEY, JSON.stringify(value)); } else { store.removeItem(KEY); } }
  function tokens(data) { keep({ access: data.access_token, refresh: data.refresh_token }); }

  // A secret the link carried is used once: a change of language opens the page with the
  // same fragment again, and a spent session or reset link must not replace a newer state.
  var TAKEN = KEY + ":taken";
  var resetToken = null, wantedTicket = null;
  function takeFragment() {
    var found = pw.fragment();
    var secret = found.session || found.reset;
    if (secret && store.getItem(TAKEN) === secret) { return; }
    if (found.session) { keep({ access: found.session, refresh: found.refresh }); store.setItem(TAKEN, found.session); }
    resetToken = found.reset || null;
    if (found.ticket) { wantedTicket = found.ticket; }
  }

  // -- calls with the session: refreshed once when it ran out, ended when it is gone ------
  var renewing = null;
  function refresh(token) {
    if (!renewing) {
      renewing = pw.api("POST", "/v1/portal/sessions/refresh", { body: { refresh_token: token } }).then(function (data) {
        renewing = null;
        tokens(data);
      }, function (error) {
        renewing = null;
        if (error.status === 401) { ended(); }
        throw error;
      });
    }
    return renewing;
  }
  // send(accessToken) makes the request; on a 401 the session is renewed and it runs again.
  function authed(send, retried) {
    var current = session();
    return send(current && current.access).catch(function (error) {
      if (error.status !== 401 || !current) { throw error; }
      var now = session();
      if (!retried && now && now.access !== current.access) { return authed(send, true); }
      if (!retried && current.refresh) { return refresh(current.refresh).then(function () { return authed(send, true); }); }
      return ended();
    });
  }
  function call(method, path, body, accept) {
    return authed(function (token) { return pw.api(method, path, { body: body, token: token, accept: accept }); });
  }

  // The session ended (signed out elsewhere, removed, reset, a preview's key revoked): say
  // so on the sign-in card instead of failing silently.
  function ended() {
    keep(null);
    showSignIn();
    pw.say($("#sign-in-error"), t("signed_out"), "error");
    var stop = new Error(t("signed_out"));
    stop.handled = true;
    throw stop;
  }
  // What the page shows: "#sign-in", "#reset" or "#app#apps" (the app and its menu).
  function screen(shown) {
    ["#sign-in", "#reset", "#app", "#apps"].forEach(function (part) { $(part).hidden = shown.indexOf(part) === -1; });
  }
  function showSignIn() { screen("#sign-in"); }

  function show(scope, error, options) { if (!error.handled) { pw.showErrors(scope, error, options); } }
  // A section that could not load says so where it would have shown.
  function failed(box) {
    return function (error) { if (!error.handled && box) { pw.say(box, error.message, "error"); } };
  }

  function table(head, rows, label) {
    return el("div", { "class": "scroll", tabindex: "0", role: "region", "aria-label": label }, [el("table", {}, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", {}, [h]); }))]),
      el("tbody", {}, rows.map(function (row) { return el("tr", {}, row.map(function (c) { return el("td", {}, [c]); })); }))
    ])]);
  }
  function heading(key) { return $("[data-section=" + key + "] h2"); }
  function status(value) { return ("telemetry_" + value) in config.text ? t("telemetry_" + value) : value || "–"; }
  function hours(value) { return pw.number(value, 1); }

  function showAssets(box, groups) {
    var groupName = {};
    groups.forEach(function (g) { groupName[g.id] = g.name; });
    return call("GET", "/v1/portal/assets?limit=100").then(function (page) {
      if (!page.items.length) { fill(box, [el("p", {}, [t("no_equipment")])]); return; }
      var head = [t("name"), t("serial"), t("status"), t("hours"), t("last_report")];
      if (groups.length) { head.push(t("group")); }
      fill(box, [table(head, page.items.map(function (a) {
        var last = a.last_event || {};
        var name = config.apps.indexOf("activity") === -1 || !$("[data-section=activity]") ? a.name
          : el("a", { href: "#activity", "data-asset": a.id }, [a.name]);
        var row = [name, a.serial_number || "–", status(last.status), hours(last.operating_hours), pw.dateTime(last.time)];
        if (groups.length) { row.push(groupName[a.business_unit_id] || "–"); }
        return row;
      }), heading("equipment").textContent)]);
      box.querySelectorAll("a[data-asset]").forEach(function (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          showActivity(link.getAttribute("data-asset"), link.textContent).catch(failed($("[data-section=activity] .content")));
        });
      });
    });
  }
  function showActivity(assetId, name) {
    var box = $("[data-section=activity] .content");
    return call("GET", "/v1/portal/assets/" + encodeURIComponent(assetId) + "/events?limit=20").then(function (page) {
      var heading = el("h3", { tabindex: "-1" }, [name || ""]);
      fill(box, [heading, table([t("time"), t("position"), t("hours"), t("status")], page.items.map(function (e) {
        return [pw.dateTime(e.time), pw.position(e.lat, e.lon), hours(e.operating_hours), status(e.status)];
      }), name)]);
      heading.focus();
    });
  }
  function showReport(box) {
    var end = new Date();
    var start = new Date(end.getTime() - 30 * 24 * 3600 * 1000);
    var query = "?start=" + encodeURIComponent(start.toISOString()) + "&end=" + encodeURIComponent(end.toISOString());
    return call("GET", "/v1/portal/reports/operating-hours" + query).then(function (report) {
      fill(box, [el("p", {}, [t("last_30_days")]), table([t("name"), t("hours")], report.assets.map(function (row) {
        return [row.name, hours(row.hours)];
      }), heading("reports").textContent), el("p", {}, [t("total") + ": " + hours(report.total_hours)])]);
    });
  }
  function showPeople(me, notice) {
    var card = $("#people");
    if (me.role !== "portal_admin") { card.hidden = true; return Promise.resolve(); }
    card.hidden = false;
    var box = card.querySelector(".content");
    return call("GET", "/v1/portal/users").then(function (page) {
      var result = el("div", { id: "invite-result", role: "status" });
      var rows = page.items.map(function (user) {
        var remove = el("button", { type: "button", "data-remove": user.id }, [t("remove")]);
        if (user.id === (me.user && me.user.id) || me.read_only) { remove.disabled = true; }
        remove.addEventListener("click", function () {
          pw.busy(remove, call("DELETE", "/v1/portal/users/" + encodeURIComponent(user.id)))
            .then(function () { return showPeople(me); }).catch(function (error) { show(box, error, { box: result }); });
        });
        return [user.name, user.email, user.role === "portal_admin" ? t("admin") : t("user"), remove];
      });
      var email = el("input", { id: "invite-email", name: "email", type: "email", autocomplete: "off", required: "" });
      var send = el("button", { type: "submit", "class": "action" }, [t("invite")]);
      var form = el("form", { id: "invite-form", novalidate: "" }, [
        el("label", { "for": "invite-email" }, [t("invite_colleague")]), email, send
      ]);
      fill(box, [table([t("name"), t("email"), t("role"), ""], rows, $("#people h2").textContent), me.read_only ? null : form, result]);
      if (notice) { pw.say(result, notice, "status"); }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        pw.clearErrors(form);
        pw.busy(send, call("POST", "/v1/portal/users", { email: email.value })).then(function (invitation) {
          return showPeople(me, t("invitation_sent", { email: invitation.sent_to }));
        }).catch(function (error) { show(form, error, { box: result }); });
      });
    });
  }

  // The menu: each app moves to its section, which becomes the current one.
  var apps = document.querySelectorAll("#apps a");
  apps.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var title = heading(link.hash.slice(1));
      apps.forEach(function (other) { other.removeAttribute("aria-current"); });
      link.setAttribute("aria-current", "true");
      title.setAttribute("tabindex", "-1");
      title.scrollIntoView();
      title.focus();
    });
  });

  function showApp(focus) {
    screen("");
    return call("GET", "/v1/portal/me").then(function (me) {
      screen("#app#apps");
      $("#preview-note").hidden = !me.read_only;
      fill($("#who"), [(me.user ? me.user.name + " · " : "") + me.customer.name]);
      if (focus) { $("#who").focus(); }
      var jobs = [showPeople(me).catch(failed($("#people .content")))];
      var activity = $("[data-section=activity] .content");
      if (activity) { fill(activity, [el("p", { "class": "muted" }, [t("choose_asset")])]); }
      var equipment = $("[data-section=equipment] .content");
      if (equipment) { jobs.push(showAssets(equipment, me.groups).catch(failed(equipment))); }
      var report = $("[data-section=reports] .content");
      if (report) { jobs.push(showReport(report).catch(failed(report))); }
      var support = $("[data-section=support] .content");
      if (support) { jobs.push(supportApp().then(function (app) { return app.show(support, me); }).catch(failed(support))); }
      return Promise.all(jobs);
    }).catch(function (error) {
      if (error.handled) { return; }
      showSignIn();
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
  function showReset() {
    screen("#reset");
    $("#new-password").focus();
  }
  submit($("#reset-form"), function (button) {
    var used = resetToken;
    pw.busy(button, pw.api("POST", "/v1/portal/password-resets/confirm", { body: { token: used, password: $("#new-password").value } }))
      .then(function (data) {
        tokens(data);
        store.setItem(TAKEN, used);
        resetToken = null;
        $("#new-password").value = "";
        return showApp(true);
      }).catch(function (error) {
        show($("#reset-form"), error, { box: $("#reset-error"), overrides: { unauthorized: t("reset_invalid") } });
        // A spent link: the sign-in card (with "Forgot your password?") is the way on.
        if (error.type === "unauthorized") { $("#sign-in").hidden = false; }
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
    keep(null);
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
      showSignIn();
      $("#email").focus();
    });
  });

  // The support app is a module of its own, loaded when the portal shows its section: it
  // gets the session's helpers from here.
  window.portwayPortal = Object.freeze({
    call: call, authed: authed, show: show, failed: failed, busy: pw.busy, table: table,
    ticket: function () { var id = wantedTicket; wantedTicket = null; return id; }
  });
  function supportApp() {
    if (window.portwaySupport) { return Promise.resolve(window.portwaySupport); }
    return new Promise(function (resolve, reject) {
      var script = el("script", { src: $("[data-section=support]").getAttribute("data-module") });
      script.addEventListener("load", function () { resolve(window.portwaySupport); });
      script.addEventListener("error", function () { reject(pw.problem(0, null)); });
      document.head.appendChild(script);
    });
  }

  function route() {
    takeFragment();
    if (resetToken) { showReset(); } else if (session()) { showApp(false); } else { showSignIn(); }
  }
  // A link opened in this very tab changes only the fragment: the page must look again.
  window.addEventListener("hashchange", function () { if (window.location.hash.length > 1) { route(); } });
  route();
})();
