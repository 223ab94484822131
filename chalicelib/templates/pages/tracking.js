// The tracking page: the tenant's own devices and the devices partners share with it, with
// the session (a short-lived key) from the link's fragment. Every call goes through pw.api;
// an ended session hides the page and says so; a reminder that every look at a partner's
// devices is recorded comes before the first one (Esc and Cancel keep the own devices).
(function () {
  "use strict";
  var pw = window.portway;
  var t = pw.t;
  var el = pw.el;
  var KEY = "portway:tracking:" + pw.config.tenant;
  var HIDE = "portway:tracking-logged-hidden";
  var XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  var $ = function (id) { return document.getElementById(id); };
  var secrets = pw.fragment();
  if (secrets.session) { window.sessionStorage.setItem(KEY, secrets.session); }
  var session = window.sessionStorage.getItem(KEY);
  var shares = [];
  var current = null;
  var opener = null; // the button that opened the shipment number dialog

  function call(method, path, options) {
    return pw.api(method, path, Object.assign({ token: session }, options || {}));
  }
  function sharePath(tail) {
    return "/v1/received-shares/" + encodeURIComponent(current.id) + (tail || "");
  }

  // A failed call: an ended session hides the page (its dialogs too) and says so; anything
  // else goes to `box` (the list, the dialog) in the page's language. A share that refuses
  // has ended or was revoked.
  function failed(error, box, scope, locate) {
    var overrides = { unauthorized: t("expired") };
    if (!$("share-picker").hidden) { overrides.forbidden = t("ended"); }
    if (error.type === "unauthorized") {
      window.sessionStorage.removeItem(KEY);
      session = null;
      ["logged", "shipment-dialog"].forEach(function (id) { if ($(id).open) { $(id).close(); } });
      $("app").hidden = true;
      box = $("message");
      scope = document.body;
    }
    pw.showErrors(scope || $("app"), error, { box: box || $("message"), locate: locate, overrides: overrides });
  }

  function status(value) {
    if (!value) { return "–"; }
    var key = "status." + value;
    return key in pw.config.text ? t(key) : value;
  }

  // Where a row's device is: shared devices carry `last_position`, own ones `last_event`.
  function lastOf(row) { return row.last_position || row.last_event || {}; }

  // The map above the list: loaded (a module of its own) only when a device has a position;
  // devices without one are named below it. Without WebGL the module says so in the map's
  // place, and the list still has every position.
  var view = null;
  var loading = null;
  var latest = []; // the points of the list shown last (the module may arrive after a switch)
  function mapModule() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = el("script", { type: "module", src: $("map").getAttribute("data-module") });
        script.addEventListener("load", function () { resolve(window.portwayMap); });
        script.addEventListener("error", function () { loading = null; reject(new Error("map")); });
        document.head.appendChild(script);
      });
    }
    return loading;
  }
  function plot(rows) {
    var points = [];
    var unplaced = [];
    rows.forEach(function (row) {
      var last = lastOf(row);
      if (typeof last.lat === "number" && typeof last.lon === "number") {
        points.push({ id: row.id, lat: last.lat, lon: last.lon, label: row.name, status: last.status, detail: status(last.status) + " · " + pw.dateTime(last.time) });
      } else {
        unplaced.push(row.name);
      }
    });
    $("unplaced").textContent = unplaced.length && points.length ? t("unplaced", { names: unplaced.join(", ") }) : "";
    $("unplaced").hidden = !$("unplaced").textContent;
    latest = points;
    var shown = points.length > 0 && $("map").hasAttribute("data-module");
    $("map").hidden = !shown;
    if (view) { view.update({ points: points }); }
    if (!shown || view) { return; }
    mapModule().then(function (maps) {
      if (view) { view.update({ points: latest }); return; }
      view = maps.show($("map"), {
        points: latest,
        language: pw.config.language,
        tiles: $("map").getAttribute("data-tiles") || undefined,
        labels: {
          map: t("map"), zoomIn: t("zoom_in"), zoomOut: t("zoom_out"), fit: t("fit"),
          attribution: t("map_sources"), unavailable: t("map_failed"),
          ctrlScroll: t("ctrl_scroll"), cmdScroll: t("cmd_scroll"), twoFingers: t("two_fingers")
        },
        onSelect: function (id) {
          document.querySelectorAll("#devices tr[data-asset]").forEach(function (tr) {
            if (tr.getAttribute("data-asset") === id) { tr.setAttribute("aria-current", "true"); } else { tr.removeAttribute("aria-current"); }
          });
        }
      });
    }, function () { $("map").hidden = true; });
  }

  function table(rows, withShipment) {
    plot(rows);
    if (!rows.length) { return el("p", { "class": "muted" }, [t("none")]); }
    var head = [t("name"), t("position"), t("time"), t("status")].concat(withShipment ? [t("shipment")] : []);
    var body = el("tbody");
    rows.forEach(function (row) {
      var last = lastOf(row);
      var cells = [row.name, pw.position(last.lat, last.lon), pw.dateTime(last.time), status(last.status)];
      var tr = el("tr", { "data-asset": row.id }, cells.map(function (c, i) {
        return el("td", { "data-label": i ? head[i] : null, id: i ? null : "d-" + row.id }, [c]);
      }));
      if (withShipment) {
        var button = el("button", { type: "button", "data-shipment": row.id, "aria-describedby": "d-" + row.id }, [t("set_shipment")]);
        button.addEventListener("click", function () { askShipment(row, button); });
        tr.appendChild(el("td", { "data-label": head[4] }, [el("span", { "class": "shipment" }, [row.shipment_number || "–"]), " ", button]));
      }
      body.appendChild(tr);
    });
    return el("table", { "class": "devices" }, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col" }, [h]); }))]),
      body
    ]);
  }

  function showOwn() {
    $("share-picker").hidden = true;
    $("protocol").hidden = true;
    $("list-title").textContent = $("view").options[0].textContent;
    return call("GET", "/v1/assets?limit=100").then(function (page) {
      pw.fill($("devices"), [table(page.items, false)]);
    }, function (error) { failed(error); });
  }

  function showShare() {
    if (!current) {
      $("protocol").hidden = true;
      plot([]);
      pw.fill($("devices"), [el("p", { "class": "muted" }, [t("no_shares")])]);
      return Promise.resolve();
    }
    $("protocol").hidden = false;
    $("list-title").textContent = current.name + " (" + t("from", { sender: current.sender_name }) + ")";
    return call("GET", sharePath("/assets")).then(function (data) {
      pw.fill($("devices"), [table(data.items, true)]);
    }, function (error) {
      $("protocol").hidden = true;
      plot([]);
      pw.fill($("devices"), []);
      failed(error, $("devices"));
    });
  }

  function showReceived() {
    $("share-picker").hidden = false;
    return call("GET", "/v1/received-shares?limit=100").then(function (page) {
      shares = page.items.filter(function (s) { return s.status === "active"; });
      pw.fill($("share"), shares.map(function (s) { return el("option", { value: s.id }, [s.name + " – " + s.sender_name]); }));
      current = shares[0] || null;
      return showShare();
    }, function (error) { failed(error); });
  }

  // The reminder: "Understood" shows the received shares; Esc and Cancel keep the own
  // devices (the picker says so again). Either way focus returns to the picker.
  $("logged").addEventListener("close", function () {
    var ok = $("logged").returnValue === "ok";
    if (ok && $("logged-hide").checked) { window.localStorage.setItem(HIDE, "1"); }
    $("view").value = ok ? "received" : "own";
    if (!$("app").hidden) { $("view").focus(); }
    if (ok) { showReceived(); }
  });

  function askShipment(row, button) {
    var dialog = $("shipment-dialog");
    opener = button;
    $("shipment-device").textContent = t("shipment_for", { name: row.name });
    $("shipment-number").value = row.shipment_number || "";
    pw.clearErrors($("shipment-form"));
    pw.fill($("shipment-error"), []);
    dialog.showModal();
    $("shipment-form").onsubmit = function (event) {
      event.preventDefault();
      var body = { shipment_number: $("shipment-number").value.trim() };
      pw.busy($("shipment-save"), call("PUT", sharePath("/assets/" + encodeURIComponent(row.id) + "/shipment-number"), { body: body })).then(function () {
        dialog.close();
        return showShare().then(function () {
          pw.say($("message"), t("saved"), "status");
          var again = document.querySelector('[data-shipment="' + row.id + '"]');
          if (again) { again.focus(); }
        });
      }, function (error) {
        // The number's errors by their code (the page's own sentences), next to the field.
        failed(error, $("shipment-error"), $("shipment-form"), function (field) {
          return field === "shipment_number" ? $("shipment-number") : null;
        });
      });
    };
  }
  // Esc and Cancel leave the same page: nothing saved, no errors kept, focus on the row.
  $("shipment-cancel").addEventListener("click", function () { $("shipment-dialog").close(); });
  $("shipment-dialog").addEventListener("close", function () {
    pw.clearErrors($("shipment-form"));
    pw.fill($("shipment-error"), []);
    if (!$("app").hidden && opener && opener.isConnected) { opener.focus(); }
  });

  $("view").addEventListener("change", function () {
    pw.say($("message"), "");
    if ($("view").value === "own") { showOwn(); return; }
    if (window.localStorage.getItem(HIDE) === "1") { showReceived(); return; }
    $("logged").returnValue = "";
    $("logged-hide").checked = false;
    $("logged").showModal();
  });
  $("share").addEventListener("change", function () {
    current = shares.filter(function (s) { return s.id === $("share").value; })[0] || null;
    showShare();
  });
  $("protocol").addEventListener("click", function () {
    pw.say($("message"), "");
    pw.busy($("protocol"), call("GET", sharePath("/access-log.xlsx"), { accept: XLSX }).then(function (response) {
      return pw.download(response, "protocol.xlsx");
    })).catch(function (error) { failed(error); });
  });

  if (!session) { pw.say($("message"), t("missing"), "error"); return; }
  $("app").hidden = false;
  showOwn();
})();
