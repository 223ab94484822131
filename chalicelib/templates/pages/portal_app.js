// The portal's app (loaded by the portal page once someone has signed in): the who-line,
// the person's profile (name, password), the sections (equipment, activity, map, reports,
// support) with the menu that moves between them, and the people with access. The session
// and its calls are the shell's (window.portwayPortal). The map module is loaded only when
// a map shows a position.
(function () {
  "use strict";
  var P = window.portwayPortal;
  var pw = window.portway;
  var call = P.call, show = P.show, failed = P.failed;
  var config = pw.config, t = pw.t, el = pw.el, fill = pw.fill;
  var $ = function (selector) { return document.querySelector(selector); };

  function table(head, rows, label) {
    return el("div", { "class": "scroll", tabindex: "0", role: "region", "aria-label": label }, [el("table", {}, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", {}, [h]); }))]),
      el("tbody", {}, rows.map(function (row) { return el("tr", {}, row.map(function (c) { return el("td", {}, [c]); })); }))
    ])]);
  }
  function heading(key) { return $("[data-section=" + key + "] h2"); }
  function status(value) { return ("telemetry_" + value) in config.text ? t("telemetry_" + value) : value || "–"; }
  function hours(value) { return pw.number(value, 1); }

  function showAssets(box, groups, assets) {
    var groupName = {};
    groups.forEach(function (g) { groupName[g.id] = g.name; });
    return assets.then(function (page) {
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
          select(link.getAttribute("data-asset"), link.textContent);
        });
      });
    });
  }
  // A machine chosen (in the equipment list or on the map): its activity, when the portal
  // shows activity.
  function select(assetId, name) {
    var box = $("[data-section=activity] .content");
    if (box) { showActivity(assetId, name).catch(failed(box)); }
  }
  // The activity of one machine: the track of its recent positions on a map (kept from one
  // machine to the next), then the table of its events.
  var trackBox = null;
  function showActivity(assetId, name) {
    var box = $("[data-section=activity] .content");
    return call("GET", "/v1/portal/assets/" + encodeURIComponent(assetId) + "/events?limit=20").then(function (page) {
      var title = el("h3", { tabindex: "-1" }, [name || ""]);
      var events = page.items.filter(placed);
      var newest = events[0];
      var points = newest ? [{ id: assetId, lat: newest.lat, lon: newest.lon, label: name, status: newest.status, detail: detail(newest) }] : [];
      if (!trackBox) { trackBox = el("div", { "class": "map", id: "activity-map", hidden: "" }); }
      var list = table([t("time"), t("position"), t("hours"), t("status")], page.items.map(function (e) {
        return [pw.dateTime(e.time), pw.position(e.lat, e.lon), hours(e.operating_hours), status(e.status)];
      }), name);
      if (trackBox.parentNode === box) {
        box.replaceChild(title, box.firstChild);
        box.replaceChild(list, box.lastChild);
      } else {
        fill(box, [title, trackBox, list]);
      }
      title.focus();
      var next = { points: points, track: events, label: t("track", { name: name }), select: null };
      return draw(trackBox, next);
    });
  }
  // -- the map (the module from our origin, loaded once, when a position is to be shown) --
  var mapLoading = null;
  function mapModule(src) {
    if (!mapLoading) {
      mapLoading = new Promise(function (resolve, reject) {
        var script = el("script", { type: "module", src: src });
        script.addEventListener("load", function () { resolve(window.portwayMap); });
        script.addEventListener("error", function () { mapLoading = null; script.remove(); reject(pw.problem(0, null)); });
        document.head.appendChild(script);
      });
    }
    return mapLoading;
  }
  function placed(p) { return p && typeof p.lat === "number" && typeof p.lon === "number"; }
  function detail(last) { return status(last.status) + " · " + pw.dateTime(last.time); }
  // Shows `next` ({points, track, label, select}) on the map in `box` (its view is kept on
  // the box). Without a position, or when the module cannot load, the map's place is hidden
  // (the lists have every position); without WebGL the module says so in the map's place.
  function draw(box, next) {
    var source = $(".sections").getAttribute("data-module");
    box.latest = next;
    box.hidden = !source || !next.points.length;
    if (box.hidden) { return Promise.resolve(); }
    function label() {
      var canvas = box.querySelector("canvas");
      if (canvas) { canvas.setAttribute("aria-label", box.latest.label); }
    }
    if (box.view) {
      box.view.update(next);
      return box.view.ready.then(label);
    }
    return mapModule(source).then(function (maps) {
      if (!box.view) {
        box.view = maps.show(box, {
          points: next.points,
          track: next.track,
          language: config.language,
          tiles: $(".sections").getAttribute("data-tiles") || undefined,
          labels: {
            map: next.label, zoomIn: t("zoom_in"), zoomOut: t("zoom_out"), fit: t("fit"),
            attribution: t("map_sources"), unavailable: t("map_failed"),
            ctrlScroll: t("ctrl_scroll"), cmdScroll: t("cmd_scroll"), twoFingers: t("two_fingers")
          },
          onSelect: function (id) {
            var point = box.latest.points.filter(function (p) { return p.id === id; })[0];
            if (point && box.latest.select) { box.latest.select(id, point.label); }
          }
        });
      }
      if (box.latest !== next) { box.view.update(box.latest); }
      return box.view.ready.then(label);
    }, function () { box.hidden = true; });
  }
  // The map section: every machine with a position; those without one named below it.
  var mapBox = null;
  function showMap(box, assets) {
    return assets.then(function (page) {
      if (!page.items.length) { fill(box, [el("p", {}, [t("no_equipment")])]); return; }
      var points = [], unplaced = [];
      page.items.forEach(function (a) {
        var last = a.last_event || {};
        if (placed(last)) {
          points.push({ id: a.id, lat: last.lat, lon: last.lon, label: a.name, status: last.status, detail: detail(last) });
        } else { unplaced.push(a.name); }
      });
      if (!mapBox) { mapBox = el("div", { "class": "map", id: "equipment-map" }); }
      var map = mapBox;
      var rest = el("p", { "class": "muted", id: "unplaced" }, [unplaced.length ? t("unplaced", { names: unplaced.join(", ") }) : ""]);
      rest.hidden = !unplaced.length;
      fill(box, [map, rest]);
      return draw(map, { points: points, label: t("map"), select: select }).then(function () {
        // No map here (no WebGL, the module did not load): the positions as a list.
        if (!points.length || (!map.hidden && map.getAttribute("data-state") !== "failed")) { return; }
        box.insertBefore(table([t("name"), t("position"), t("last_report")], points.map(function (p) {
          return [p.label, pw.position(p.lat, p.lon), p.detail];
        }), heading("map").textContent), rest);
      });
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
          P.busy(remove, call("DELETE", "/v1/portal/users/" + encodeURIComponent(user.id)))
            .then(function () { return showPeople(me); }).catch(function (error) { show(box, error, { box: result }); });
        });
        return [user.name, user.email, user.role === "portal_admin" ? t("admin") : t("user"), remove];
      });
      var email = el("input", { id: "invite-email", name: "email", type: "email", autocomplete: "off", required: "" });
      var send = el("button", { type: "submit", "class": "action" }, [t("invite")]);
      var form = el("form", { id: "invite-form", novalidate: "" }, [
        el("label", { "for": "invite-email" }, [t("invite_colleague")]), email, send
      ]);
      fill(box, [table([t("name"), t("email"), t("role"), t("remove")], rows, $("#people h2").textContent), me.read_only ? null : form, result]);
      if (notice) { pw.say(result, notice, "status"); }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        pw.clearErrors(form);
        P.busy(send, call("POST", "/v1/portal/users", { email: email.value })).then(function (invitation) {
          return showPeople(me, t("invitation_sent", { email: invitation.sent_to }));
        }).catch(function (error) { show(form, error, { box: result }); });
      });
    });
  }

  // -- the profile: the person's name and password (not in a preview) --------------------
  function who(me) { fill($("#who"), [(me.user ? me.user.name + " · " : "") + me.customer.name]); }
  var opener = el("button", { type: "button", id: "profile-open", "aria-expanded": "false", "aria-controls": "profile" }, [t("profile")]);
  $("#sign-out").parentNode.insertBefore(opener, $("#sign-out"));
  var card = el("section", { "class": "card", id: "profile", "aria-labelledby": "profile-title", hidden: "" });
  $("#app .bar").after(card);
  // Open, focus goes to the profile's heading; closed (a second press, Esc), back to the
  // button, and no password stays in the form.
  function toggle(open, quiet) {
    card.hidden = !open;
    opener.setAttribute("aria-expanded", String(open));
    if (open) { $("#profile-title").focus(); return; }
    card.querySelectorAll("input[type=password]").forEach(function (input) { input.value = ""; });
    if (!quiet) { opener.focus(); }
  }
  opener.addEventListener("click", function () { toggle(card.hidden); });
  card.addEventListener("keydown", function (event) { if (event.key === "Escape") { toggle(false); } });
  // A form of the profile: its errors by field (an empty field reads "fill in"), its
  // result in its own live region.
  function form(id, fields, button, send) {
    var result = el("div", { id: id + "-result" });
    var submit = el("button", { type: "submit", "class": "action" }, [button]);
    var node = el("form", { id: id, novalidate: "" }, fields.concat([submit, result]));
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      pw.clearErrors(node);
      pw.say(result, "");
      P.busy(submit, send()).then(function (sentence) { pw.say(result, sentence, "status"); }, function (error) {
        (error.errors || []).forEach(function (e) {
          var field = node.querySelector('[name="' + e.field + '"]');
          if (field && e.code === "too_short" && !field.value) { e.text = t("field.required"); }
        });
        show(node, error, { box: result, overrides: error.reason === "sso_only" ? { conflict: t("sso_only") } : {} });
      });
    });
    return node;
  }
  function input(id, name, label, attrs) {
    return [el("label", { "for": id }, [label]), el("input", Object.assign({ id: id, name: name, required: "" }, attrs))];
  }
  function profile(me) {
    opener.hidden = me.read_only || !me.user;
    toggle(false, true);
    if (opener.hidden) { fill(card, []); return; }
    var value = function (id) { return $("#" + id).value; };
    fill(card, [el("h2", { id: "profile-title", tabindex: "-1" }, [t("profile")]), el("div", { "class": "content" }, [
      form("name-form", input("profile-name", "name", t("name"), { autocomplete: "name", value: me.user.name }), t("save_name"), function () {
        return call("PATCH", "/v1/portal/me", { name: value("profile-name") }).then(function (user) {
          me.user.name = user.name;
          who(me);
          showPeople(me).catch(failed($("#people .content")));
          return t("name_saved");
        });
      }),
      form("password-form", [el("input", { type: "email", autocomplete: "username", value: me.user.email, hidden: "", tabindex: "-1" })]
        .concat(input("current-password", "current_password", t("current_password"), { type: "password", autocomplete: "current-password" }))
        .concat(input("profile-password", "password", t("new_password"), { type: "password", autocomplete: "new-password", minlength: "12" })),
      t("change_password"), function () {
        var body = { current_password: value("current-password"), password: value("profile-password") };
        return call("POST", "/v1/portal/me/password", body).then(function (data) {
          P.tokens(data);
          card.querySelectorAll("input[type=password]").forEach(function (field) { field.value = ""; });
          return t("password_changed");
        });
      })
    ])]);
  }

  // The menu: each app moves to its section, which becomes the current one.
  var apps = document.querySelectorAll("#apps a");
  function go(link, focus) {
    var title = heading(link.hash.slice(1));
    apps.forEach(function (other) { other.removeAttribute("aria-current"); });
    link.setAttribute("aria-current", "true");
    title.setAttribute("tabindex", "-1");
    if (focus) { title.scrollIntoView(); title.focus(); }
  }
  apps.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      go(link, true);
    });
  });
  // The template's home page (a section, such as the map) comes first: the menu marks it,
  // and after signing in focus goes to it instead of the who-line.
  var home = document.querySelector('#apps a[href="#' + config.home_page + '"]');

  function showApp(me, focus) {
    $("#preview-note").hidden = !me.read_only;
    who(me);
    profile(me);
    if (home) { go(home, focus); } else if (focus) { $("#who").focus(); }
    var jobs = [showPeople(me).catch(failed($("#people .content")))];
    var equipment = $("[data-section=equipment] .content"), map = $("[data-section=map] .content");
    var assets = equipment || map ? call("GET", "/v1/portal/assets?limit=100") : null;
    if (assets) { assets.catch(function () { return null; }); }
    var activity = $("[data-section=activity] .content");
    if (activity) { fill(activity, [el("p", { "class": "muted" }, [t("choose_asset")])]); }
    if (equipment) { jobs.push(showAssets(equipment, me.groups, assets).catch(failed(equipment))); }
    if (map) { jobs.push(showMap(map, assets).catch(failed(map))); }
    var report = $("[data-section=reports] .content");
    if (report) { jobs.push(showReport(report).catch(failed(report))); }
    var support = $("[data-section=support]");
    if (support) {
      var box = support.querySelector(".content");
      jobs.push(P.load(support.getAttribute("data-module"), "portwaySupport").then(function (app) { return app.show(box, me); }).catch(failed(box)));
    }
    return Promise.all(jobs);
  }
  window.portwayApp = Object.freeze({ show: showApp, table: table });
})();
