(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pw-config").textContent);
  var text = config.text;
  var store = window.sessionStorage;
  var KEY = "portway:" + config.tenant + ":" + (config.portal || "");
  var $ = function (selector) { return document.querySelector(selector); };

  var el = window.portway.el;
  var fill = window.portway.fill;
  function session() { try { return JSON.parse(store.getItem(KEY) || "null"); } catch (e) { return null; } }
  function keep(value) { if (value) { store.setItem(KEY, JSON.stringify(value)); } else { store.removeItem(KEY); } }

  var resetToken = null;
  function takeFragment() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    if (params.get("session")) {
      keep({ access: params.get("session"), refresh: params.get("refresh") });
    }
    resetToken = params.get("reset");
    if (params.get("session") || resetToken) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }

  function call(method, path, body, retried) {
    var current = session();
    var headers = { "Content-Type": "application/json" };
    if (current) { headers.Authorization = "Bearer " + current.access; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        if (response.status === 401 && current && current.refresh && !retried) {
          return refresh(current.refresh).then(function () { return call(method, path, body, true); });
        }
        if (response.status === 401 && current) { ended(); }
        if (response.status === 204 || response.status === 202) { return null; }
        return response.json().then(function (data) {
          if (!response.ok) { var error = new Error(data.detail || text.failed); error.problem = data; throw error; }
          return data;
        });
      });
  }
  function refresh(token) {
    return fetch("/v1/portal/sessions/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token })
    }).then(function (response) {
      if (!response.ok) { ended(); }
      return response.json().then(function (data) { keep({ access: data.access_token, refresh: data.refresh_token }); });
    });
  }

  // The session ended (signed out elsewhere, removed, reset, a preview's key revoked):
  // say so on the sign-in card instead of failing silently.
  function ended() {
    keep(null);
    showSignIn();
    message($("#sign-in-error"), new Error(text.signed_out));
    var stop = new Error(text.signed_out);
    stop.handled = true;
    throw stop;
  }
  function showSignIn() {
    $("#sign-in").hidden = false;
    $("#app").hidden = true;
  }
  function message(node, error) { fill(node, [el("p", { "class": "error", role: "alert" }, [error.message])]); }

  function table(head, rows) {
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", {}, [h]); }))]),
      el("tbody", {}, rows.map(function (row) { return el("tr", {}, row.map(function (c) { return el("td", {}, [c]); })); }))
    ]);
  }
  function when(value) { return value ? new Date(value).toLocaleString(config.language) : "–"; }
  function number(value) { return value === null || value === undefined ? "–" : String(value); }

  function showAssets(box, groups) {
    var groupName = {};
    groups.forEach(function (g) { groupName[g.id] = g.name; });
    return call("GET", "/v1/portal/assets?limit=100").then(function (page) {
      if (!page.items.length) { fill(box, [el("p", {}, [text.no_equipment])]); return; }
      var head = [text.name, text.serial, text.status, text.hours, text.last_report];
      if (groups.length) { head.push(text.group); }
      fill(box, [table(head, page.items.map(function (a) {
        var last = a.last_event || {};
        var name = config.apps.indexOf("activity") === -1 ? a.name
          : el("a", { href: "#", "data-asset": a.id }, [a.name]);
        var row = [name, a.serial_number || "–", last.status || "–", number(last.operating_hours), when(last.time)];
        if (groups.length) { row.push(groupName[a.business_unit_id] || "–"); }
        return row;
      }))]);
      box.querySelectorAll("a[data-asset]").forEach(function (link) {
        link.addEventListener("click", function (event) { event.preventDefault(); showActivity(link.getAttribute("data-asset"), link.textContent).catch(function (error) { if (!error.handled) { message($("[data-section=activity] .content"), error); } }); });
      });
    });
  }
  function showActivity(assetId, name) {
    var box = $("[data-section=activity] .content");
    if (!box) { return Promise.resolve(); }
    return call("GET", "/v1/portal/assets/" + encodeURIComponent(assetId) + "/events?limit=20").then(function (page) {
      fill(box, [el("h3", {}, [name || ""]), table([text.time, text.position, text.hours, text.status], page.items.map(function (e) {
        var position = e.lat === null ? "–" : e.lat.toFixed(4) + ", " + e.lon.toFixed(4);
        return [when(e.time), position, number(e.operating_hours), e.status || "–"];
      }))]);
    });
  }
  function showReport(box) {
    var end = new Date();
    var start = new Date(end.getTime() - 30 * 24 * 3600 * 1000);
    var query = "?start=" + encodeURIComponent(start.toISOString()) + "&end=" + encodeURIComponent(end.toISOString());
    return call("GET", "/v1/portal/reports/operating-hours" + query).then(function (report) {
      fill(box, [el("p", {}, [text.last_30_days]), table([text.name, text.hours], report.assets.map(function (row) {
        return [row.name, number(row.hours)];
      })), el("p", {}, [text.total + ": " + number(report.total_hours)])]);
    });
  }
  function showPeople(me) {
    var card = $("#people");
    if (me.role !== "portal_admin") { card.hidden = true; return Promise.resolve(); }
    card.hidden = false;
    var box = card.querySelector(".content");
    return call("GET", "/v1/portal/users").then(function (page) {
      var rows = page.items.map(function (user) {
        var remove = el("button", { type: "button", "data-remove": user.id }, [text.remove]);
        if (user.id === (me.user && me.user.id) || me.read_only) { remove.disabled = true; }
        return [user.name, user.email, user.role === "portal_admin" ? text.admin : text.user, remove];
      });
      var form = el("form", { id: "invite-form" }, [
        el("label", { "for": "invite-email" }, [text.invite_colleague]),
        el("input", { id: "invite-email", type: "email", required: "" }),
        el("button", { type: "submit", "class": "action" }, [text.invite])
      ]);
      var result = el("div", { id: "invite-result" });
      fill(box, [table([text.name, text.email, text.role, ""], rows), form, result]);
      box.querySelectorAll("button[data-remove]").forEach(function (button) {
        button.addEventListener("click", function () {
          call("DELETE", "/v1/portal/users/" + encodeURIComponent(button.getAttribute("data-remove")))
            .then(function () { return showPeople(me); }).catch(function (error) { message(result, error); });
        });
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        call("POST", "/v1/portal/users", { email: $("#invite-email").value }).then(function (invitation) {
          return showPeople(me).then(function () {
            fill($("#invite-result"), [el("p", { role: "status" }, [text.invitation_sent.replace("{email}", invitation.sent_to)])]);
          });
        }).catch(function (error) { message(result, error); });
      });
    });
  }


  function showApp() {
    $("#sign-in").hidden = true;
    return call("GET", "/v1/portal/me").then(function (me) {
      $("#app").hidden = false;
      $("#sections").hidden = false;
      $("#preview-note").hidden = !me.read_only;
      fill($("#who"), [(me.user ? me.user.name + " · " : "") + me.customer.name]);
      var jobs = [showPeople(me)];
      var activity = $("[data-section=activity] .content");
      if (activity) { fill(activity, [el("p", { "class": "muted" }, [text.choose_asset])]); }
      var equipment = $("[data-section=equipment] .content");
      if (equipment) { jobs.push(showAssets(equipment, me.groups)); }
      var report = $("[data-section=reports] .content");
      if (report) { jobs.push(showReport(report)); }
      var support = $("[data-section=support] .content");
      if (support) { jobs.push(supportApp().then(function (app) { return app.show(support, me); })); }
      return Promise.all(jobs);
    }).catch(function (error) { showSignIn(); message($("#sign-in-error"), error); });
  }

  function showReset() {
    $("#sign-in").hidden = true;
    $("#app").hidden = true;
    $("#reset").hidden = false;
    $("#new-password").focus();
  }
  $("#reset-form").addEventListener("submit", function (event) {
    event.preventDefault();
    fill($("#new-password-error"), []);
    fill($("#reset-error"), []);
    call("POST", "/v1/portal/password-resets/confirm", { token: resetToken, password: $("#new-password").value })
      .then(function (data) {
        keep({ access: data.access_token, refresh: data.refresh_token });
        resetToken = null;
        $("#reset").hidden = true;
        return showApp();
      }).catch(function (error) {
        var type = (error.problem || {}).type;
        if (type === "urn:portway:problem:validation") { message($("#new-password-error"), error); }
        else if (type === "urn:portway:problem:unauthorized") { message($("#reset-error"), new Error(text.reset_invalid)); }
        else { message($("#reset-error"), error); }
      });
  });
  $("#forgot").addEventListener("click", function () {
    $("#forgot-form").hidden = false;
    $("#forgot-email").value = $("#email").value;
    $("#forgot-email").focus();
  });
  $("#forgot-form").addEventListener("submit", function (event) {
    event.preventDefault();
    call("POST", "/v1/portal/password-resets", { tenant: config.tenant, email: $("#forgot-email").value, portal: config.portal })
      .then(function () { fill($("#forgot-result"), [el("p", {}, [text.reset_sent])]); })
      .catch(function (error) { message($("#forgot-result"), error); });
  });

  $("#sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    keep(null);
    call("POST", "/v1/portal/sessions", {
      tenant: config.tenant, email: $("#email").value, password: $("#password").value, portal: config.portal
    }).then(function (data) {
      keep({ access: data.access_token, refresh: data.refresh_token });
      $("#password").value = "";
      return showApp();
    }).catch(function (error) { message($("#sign-in-error"), error); });
  });
  $("#sign-out").addEventListener("click", function () {
    call("DELETE", "/v1/portal/sessions").catch(function () { return null; }).then(function () { keep(null); showSignIn(); });
  });

  // The support app is a module of its own (loaded only where the portal shows it): it
  // gets the page's helpers from here.
  window.portwayPortal = Object.freeze({
    call: call, refresh: refresh, session: session, message: message, table: table, when: when, text: text, config: config
  });
  function supportApp() {
    if (window.portwaySupport) { return Promise.resolve(window.portwaySupport); }
    return new Promise(function (resolve, reject) {
      var script = document.getElementById("pw-support");
      if (!script) { reject(new Error(text.failed)); return; }
      script.addEventListener("load", function () { resolve(window.portwaySupport); });
      script.addEventListener("error", function () { reject(new Error(text.failed)); });
    });
  }

  function route() {
    takeFragment();
    if (resetToken) { showReset(); } else if (session()) { showApp(); } else { showSignIn(); }
  }
  // A link opened in this very tab changes only the fragment: the page must look again.
  window.addEventListener("hashchange", function () { if (window.location.hash.length > 1) { route(); } });
  route();
})();
