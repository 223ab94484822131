(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config;
  var text = config.text;
  var el = pw.el;
  var KEY = "portway:tracking:" + config.tenant;
  var HIDE = "portway:tracking-logged-hidden";
  var XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  var params = new URLSearchParams(window.location.hash.slice(1));
  if (params.get("session")) {
    window.sessionStorage.setItem(KEY, params.get("session"));
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var session = window.sessionStorage.getItem(KEY);
  var $ = function (id) { return document.getElementById(id); };
  var shares = [];
  var current = null;

  function say(message, isError) {
    pw.fill($("message"), message ? [el("p", { "class": isError ? "error" : "ok", role: isError ? "alert" : "status" }, [message])] : []);
  }
  function call(method, path, body, accept) {
    var headers = { Authorization: "Bearer " + session, Accept: accept || "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined }).then(function (response) {
      if (response.ok && accept) { return response; }
      return response.json().then(function (data) {
        if (response.status === 401) { window.sessionStorage.removeItem(KEY); $("app").hidden = true; say(text.expired, true); throw new Error("session"); }
        if (!response.ok) { var error = new Error(data.detail || text.failed); error.problem = data; error.status = response.status; throw error; }
        return data;
      });
    });
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString(config.language) : ""; }
  function where(p) { return p && p.lat !== null && p.lon !== null ? p.lat.toFixed(4) + ", " + p.lon.toFixed(4) : ""; }

  function table(rows, withShipment) {
    if (!rows.length) { return el("p", { "class": "muted" }, [text.none]); }
    var head = [text.name, text.position, text.time, text.status].concat(withShipment ? [text.shipment, ""] : []);
    var node = el("table", {}, [el("tr", {}, head.map(function (h) { return el("th", {}, [h]); }))]);
    rows.forEach(function (row) {
      // Shared devices carry `last_position`, the tenant's own assets `last_event`.
      var last = row.last_position || row.last_event || null;
      var cells = [row.name, where(last), when(last && last.time), (last && last.status) || ""];
      var tr = el("tr", { "data-asset": row.id }, cells.map(function (c) { return el("td", {}, [c]); }));
      if (withShipment) {
        tr.appendChild(el("td", { "class": "shipment" }, [row.shipment_number || ""]));
        var button = el("button", { type: "button", "data-shipment": row.id }, [text.set_shipment]);
        button.addEventListener("click", function () { askShipment(row); });
        tr.appendChild(el("td", {}, [button]));
      }
      node.appendChild(tr);
    });
    return node;
  }

  function showOwn() {
    $("share-picker").hidden = true;
    $("protocol").hidden = true;
    $("list-title").textContent = $("view").options[0].textContent;
    return call("GET", "/v1/assets?limit=100").then(function (page) { pw.fill($("devices"), [table(page.items, false)]); });
  }

  function showShare() {
    if (!current) { pw.fill($("devices"), [el("p", { "class": "muted" }, [text.no_shares])]); return Promise.resolve(); }
    $("protocol").hidden = false;
    $("list-title").textContent = current.name + " (" + text.from.replace("{sender}", current.sender_name) + ")";
    return call("GET", "/v1/received-shares/" + encodeURIComponent(current.id) + "/assets").then(function (data) {
      pw.fill($("devices"), [table(data.items, true)]);
    }).catch(function (error) {
      if (error.message === "session") { return; }
      pw.fill($("devices"), [el("p", { "class": "error" }, [error.status === 403 ? text.ended : error.message])]);
    });
  }

  function showReceived() {
    $("share-picker").hidden = false;
    return call("GET", "/v1/received-shares?limit=100").then(function (page) {
      shares = page.items.filter(function (s) { return s.status === "active"; });
      var picker = $("share");
      pw.fill(picker, shares.map(function (s) { return el("option", { value: s.id }, [s.name + " – " + s.sender_name]); }));
      current = shares[0] || null;
      return showShare();
    });
  }

  function remindThenShow() {
    if (window.localStorage.getItem(HIDE) === "1") { return showReceived(); }
    $("logged").showModal();
    return new Promise(function (resolve) {
      $("logged-ok").onclick = function () {
        if ($("logged-hide").checked) { window.localStorage.setItem(HIDE, "1"); }
        $("logged").close();
        resolve(showReceived());
      };
    });
  }

  function askShipment(row) {
    var dialog = $("shipment-dialog");
    $("shipment-device").textContent = row.name;
    $("shipment-number").value = row.shipment_number || "";
    pw.fill($("shipment-error"), []);
    dialog.showModal();
    $("shipment-cancel").onclick = function () { dialog.close(); };
    $("shipment-form").onsubmit = function (event) {
      event.preventDefault();
      var path = "/v1/received-shares/" + encodeURIComponent(current.id) + "/assets/" + encodeURIComponent(row.id) + "/shipment-number";
      call("PUT", path, { shipment_number: $("shipment-number").value.trim() }).then(function () {
        dialog.close();
        return showShare().then(function () { say(text.saved); });
      }).catch(function (error) {
        if (error.message === "session") { dialog.close(); return; }
        var problems = (error.problem && error.problem.errors) || [];
        pw.fill($("shipment-error"), [el("p", { "class": "error", role: "alert" }, [problems.length ? problems[0].message : error.message])]);
      });
    };
  }

  $("view").addEventListener("change", function () {
    say("");
    ($("view").value === "received" ? remindThenShow() : showOwn()).catch(function (e) { if (e.message !== "session") { say(e.message, true); } });
  });
  $("share").addEventListener("change", function () {
    current = shares.filter(function (s) { return s.id === $("share").value; })[0] || null;
    showShare();
  });
  $("protocol").addEventListener("click", function () {
    call("GET", "/v1/received-shares/" + encodeURIComponent(current.id) + "/access-log.xlsx", null, XLSX).then(function (response) {
      return pw.download(response, "protocol.xlsx");
    }).catch(function (e) { if (e.message !== "session") { say(e.message, true); } });
  });

  if (!session) { say(text.missing, true); return; }
  $("app").hidden = false;
  showOwn().catch(function (e) { if (e.message !== "session") { say(e.message, true); } });
})();
