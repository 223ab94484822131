(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config;
  var text = config.text;
  var el = pw.el;
  var KEY = "portway:self-service:" + config.tenant;
  var params = new URLSearchParams(window.location.hash.slice(1));
  if (params.get("token")) {
    window.sessionStorage.setItem(KEY, params.get("token"));
    // The secret leaves the address bar (and the history) at once.
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var token = window.sessionStorage.getItem(KEY);
  var state = null;

  // The provider's name, as the page's header shows it (the logo's alt text, or the name).
  function provider() {
    var logo = document.querySelector(".menu img");
    return logo ? logo.alt : document.querySelector(".menu strong").textContent;
  }
  function say(message, isError) {
    pw.fill(document.getElementById("message"), message ? [el("p", { "class": isError ? "error" : "message", role: isError ? "alert" : "status" }, [message])] : []);
  }
  function money(amount, currency) {
    return new Intl.NumberFormat(config.language, { style: "currency", currency: currency }).format(parseFloat(amount));
  }
  function day(iso) { return iso ? new Date(iso).toLocaleDateString(config.language, { timeZone: "UTC" }) : ""; }
  function list(pairs) {
    var dl = el("dl");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") { return; }
      dl.appendChild(el("dt", {}, [pair[0]]));
      dl.appendChild(el("dd", {}, [String(pair[1])]));
    });
    return dl;
  }
  function section(key) { var node = document.querySelector('[data-section="' + key + '"] .content'); return node; }

  function call(method, path, body, accept) {
    var headers = { Authorization: "Bearer " + token, Accept: accept || "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined }).then(function (response) {
      if (response.ok && accept) { return response; }
      return response.json().then(function (data) {
        if (response.status === 401) {
          window.sessionStorage.removeItem(KEY);
          document.getElementById("sections").hidden = true;
          say((text[data.reason] || text.invalid).replace("{provider}", provider()), true);
          throw new Error("link");
        }
        if (!response.ok) { var error = new Error(data.detail || text.failed); error.problem = data; throw error; }
        return data;
      });
    });
  }

  function duration(period) {
    var match = /^P(\d+)([DWMY])$/.exec(period || "");
    if (!match) { return period; }
    var count = parseInt(match[1], 10);
    return count + " " + config.units[match[2]][count === 1 ? 0 : 1];
  }

  function statusText(contract) {
    if (contract.status === "cancelled") { return text.cancelled.replace("{date}", day(contract.end_at)); }
    return text[contract.status];
  }

  function showContract(view) {
    var node = section("contract");
    if (!node || !view.contract) { return; }
    var c = view.contract;
    var children = [list([
      [text.plan, c.plan_name + " · " + c.variant_name],
      [text.price, money(c.price, c.currency)],
      [text.status, statusText(c)],
      [text.since, day(c.start_at)],
      [text.notice, duration(c.notice_period)]
    ])];
    if (c.components.length) {
      var table = el("table", {}, [el("tr", {}, [el("th", {}, [text.components]), el("th", {}, [text.quantity]), el("th", {}, [text.price])])]);
      c.components.forEach(function (item) {
        table.appendChild(el("tr", {}, [el("td", {}, [item.name]), el("td", {}, [String(item.quantity)]), el("td", {}, [money(item.price, c.currency)])]));
      });
      children.push(table);
    }
    if (view.permissions.cancel && view.cancellation.possible) {
      var button = el("button", { type: "button", id: "cancel" }, [text.cancel]);
      var confirmBox = el("div", { hidden: "" }, [
        el("p", {}, [text.cancel_confirm.replace("{date}", day(view.cancellation.earliest_end))]),
        el("button", { type: "button", "class": "action", id: "cancel-confirm" }, [text.cancel])
      ]);
      button.addEventListener("click", function () { confirmBox.hidden = false; button.hidden = true; });
      confirmBox.lastChild.addEventListener("click", function () {
        call("POST", "/v1/self-service/cancel").then(function (contract) {
          say(text.cancel_done.replace("{date}", day(contract.end_at)));
          return load();
        }).catch(function (error) { if (error.message !== "link") { say(error.message, true); } });
      });
      children.push(button, confirmBox);
    }
    pw.fill(node, children);
  }

  var FIELDS = ["company", "first_name", "last_name", "email", "phone", "vat_id", "delivery_method", "birth_date", "address_lines"];
  var ADDRESS = ["street", "postal_code", "city", "country"];

  function showCustomer(view) {
    var node = section("customer");
    if (!node || !view.customer) { return; }
    var c = view.customer;
    var pairs = FIELDS.filter(function (f) { return f in c && f !== "address_lines"; }).map(function (f) {
      return [text[f], f === "delivery_method" && c[f] ? text[c[f] === "email" ? "email" : "post"] : (f === "birth_date" ? day(c[f]) : c[f])];
    });
    if (c.address) { pairs.push([text.address, [c.address.street, c.address.postal_code + " " + c.address.city, c.address.country].join(", ")]); }
    if (c.address_lines && c.address_lines.length) { pairs.push([text.address_lines, c.address_lines.join(", ")]); }
    var children = [list(pairs)];
    if (view.permissions.edit_contact) {
      var edit = el("button", { type: "button", id: "edit-customer" }, [text.edit]);
      edit.addEventListener("click", function () { pw.fill(node, [form(view)]); });
      children.push(edit);
    }
    pw.fill(node, children);
  }

  function input(name, label, current, required) {
    var attrs = { id: "c-" + name, name: name, value: current || "" };
    if (required) { attrs.required = ""; }
    if (name === "birth_date") { attrs.type = "date"; }
    return [el("label", { "for": "c-" + name }, [label + (required ? " *" : "")]), el("input", attrs)];
  }

  function form(view) {
    var c = view.customer;
    var editable = view.permissions.editable_fields;
    var required = view.permissions.required_fields;
    var node = el("form", { id: "customer-form", novalidate: "" });
    FIELDS.filter(function (f) { return editable.indexOf(f) !== -1 && f !== "address_lines"; }).forEach(function (f) {
      input(f, text[f], c[f], required.indexOf(f) !== -1).forEach(function (child) { node.appendChild(child); });
    });
    if (editable.indexOf("address") !== -1) {
      ADDRESS.forEach(function (part) {
        input(part, text[part], c.address ? c.address[part] : "", required.indexOf("address") !== -1).forEach(function (child) { node.appendChild(child); });
      });
    }
    var errors = el("div", { id: "customer-errors" });
    node.appendChild(el("button", { type: "submit", "class": "action" }, [text.save]));
    node.appendChild(errors);
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      FIELDS.forEach(function (f) {
        var field = node.querySelector('[name="' + f + '"]');
        if (!field) { return; }
        var v = field.value.trim();
        if (v !== (c[f] || "")) { body[f] = v || null; }
      });
      if (node.querySelector('[name="street"]')) {
        var address = {};
        ADDRESS.forEach(function (part) { address[part] = node.querySelector('[name="' + part + '"]').value.trim(); });
        var any = ADDRESS.some(function (part) { return address[part]; });
        if (address.country) { address.country = address.country.toUpperCase(); }
        if (JSON.stringify(any ? address : null) !== JSON.stringify(c.address || null)) { body.address = any ? address : null; }
      }
      call("PATCH", "/v1/self-service/customer", body).then(function () {
        say(text.saved);
        return load();
      }).catch(function (error) {
        if (error.message === "link") { return; }
        var problems = (error.problem && error.problem.errors) || [];
        pw.fill(errors, (problems.length ? problems.map(function (p) { return (text[p.field.split(".")[0]] || p.field) + ": " + p.message; }) : [error.message]).map(function (line) {
          return el("p", { "class": "error", role: "alert" }, [line]);
        }));
      });
    });
    return node;
  }

  function showPayment(view) {
    var node = section("payment");
    if (!node || view.payment === undefined) { return; }
    var p = view.payment;
    pw.fill(node, [p ? list([[text.method, text[p.method] || p.method], [text.account_holder, p.account_holder], [text.iban, p.iban_masked]]) : el("p", { "class": "muted" }, ["–"])]);
  }

  function showAccount(view) {
    var node = section("account");
    if (!node || !view.account) { return; }
    var a = view.account;
    pw.fill(node, [list([[text.recurring, money(a.recurring_total, a.currency)], [text.next_period, day(a.next_period_start)]])]);
  }

  function download(doc) {
    call("GET", "/v1/self-service/documents/" + encodeURIComponent(doc.id), null, "application/pdf").then(function (response) {
      return pw.download(response, "document.pdf");
    }).catch(function (error) { if (error.message !== "link") { say(error.message, true); } });
  }

  function showDocuments(view) {
    var node = section("documents");
    if (!node || !view.documents) { return; }
    if (!view.documents.length) { pw.fill(node, [el("p", { "class": "muted" }, [text.no_documents])]); return; }
    var table = el("table", {}, [el("tr", {}, [text.kind, text.number, text.date, ""].map(function (h) { return el("th", {}, [h]); }))]);
    view.documents.forEach(function (doc) {
      var button = el("button", { type: "button", "data-document": doc.id }, [text.download]);
      button.addEventListener("click", function () { download(doc); });
      table.appendChild(el("tr", {}, [
        el("td", {}, [doc.kind === "invoice" ? text.invoice_doc : text.credit_note]),
        el("td", {}, [doc.number]), el("td", {}, [day(doc.issued_on)]), el("td", {}, [button])
      ]));
    });
    pw.fill(node, [table]);
  }

  function showAdditional(view) {
    var node = section("additional_data");
    if (!node) { return; }
    var data = view.additional_data || {};
    pw.fill(node, [list(Object.keys(data).map(function (k) { return [k, data[k]]; }))]);
  }

  function load() {
    return call("GET", "/v1/self-service/contract").then(function (view) {
      state = view;
      [showContract, showCustomer, showPayment, showAccount, showDocuments, showAdditional].forEach(function (show) { show(state); });
      document.getElementById("valid-until").textContent = text.valid_until.replace("{time}", new Date(view.expires_at).toLocaleString(config.language));
      document.getElementById("sections").hidden = false;
    });
  }

  if (!token) { say(text.missing, true); return; }
  load().catch(function (error) { if (error.message !== "link") { say(error.message, true); } });
})();
