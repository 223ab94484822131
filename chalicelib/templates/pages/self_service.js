// A contract's self-service page. The link's token comes from the fragment (pw.fragment) and
// is kept in this tab's sessionStorage, so a reload still works; it is sent only as a bearer
// token to the self-service API, through pw.api.
(function () {
  "use strict";
  var pw = window.portway;
  var t = pw.t;
  var el = pw.el;
  var KEY = "portway:self-service:" + pw.config.tenant;
  var secrets = pw.fragment();
  if (secrets.token) { window.sessionStorage.setItem(KEY, secrets.token); }
  var token = window.sessionStorage.getItem(KEY);
  var message = document.getElementById("message");
  var sections = document.getElementById("sections");
  var FIELDS = ["company", "first_name", "last_name", "email", "phone", "vat_id", "delivery_method", "birth_date", "address_lines"];
  var ADDRESS = ["street", "postal_code", "city", "country"];
  var INPUT_TYPES = { email: "email", phone: "tel", birth_date: "date" };
  var AUTOCOMPLETE = {
    company: "organization", first_name: "given-name", last_name: "family-name", email: "email", phone: "tel",
    birth_date: "bday", street: "street-address", postal_code: "postal-code", city: "address-level2", country: "country"
  };

  // The provider's name, as the page's header shows it (the logo's alt text, or the name).
  function provider() {
    var logo = document.querySelector(".menu img");
    return logo ? logo.alt : document.querySelector(".menu strong").textContent;
  }
  function call(method, path, body, accept) {
    return pw.api(method, path, { body: body, token: token, accept: accept });
  }
  // A failed call: a refused link hides the contract and says why at the top; anything else
  // goes next to its field (locate) or into `box`.
  function failed(error, scope, box, locate) {
    if (error.status === 401) {
      window.sessionStorage.removeItem(KEY);
      sections.hidden = true;
      scope = box = message;
      locate = null;
    }
    var reason = { expired: "expired", revoked: "revoked", invalid: "invalid" }[error.reason] || "expired";
    pw.showErrors(scope, error, { box: box, locate: locate, overrides: { unauthorized: t(reason, { provider: provider() }) } });
  }
  // A result, announced, with focus on it (the button pressed is gone after the reload).
  function done(sentence) {
    pw.say(message, sentence, "status");
    message.setAttribute("tabindex", "-1");
    message.focus();
  }

  function list(pairs) {
    var dl = el("dl");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") { return; }
      dl.appendChild(el("dt", {}, [pair[0]]));
      dl.appendChild(el("dd", pair[2] || {}, [String(pair[1])]));
    });
    return dl;
  }
  function section(key) { return document.querySelector('[data-section="' + key + '"] .content'); }
  function duration(period) {
    var match = /^P(\d+)([DWMY])$/.exec(period || "");
    if (!match) { return period; }
    var count = parseInt(match[1], 10);
    return pw.number(count) + " " + pw.config.units[match[2]][count === 1 ? 0 : 1];
  }
  function statusText(contract) {
    if (contract.status === "cancelled") { return t("cancelled", { date: pw.date(contract.end_at) }); }
    return t(contract.status === "ended" ? "ended" : "active");
  }
  var AMOUNT = { "class": "amount" };

  function showContract(view) {
    var node = section("contract");
    if (!node || !view.contract) { return; }
    var c = view.contract;
    var children = [list([
      [t("plan"), c.plan_name + " · " + c.variant_name],
      [t("price"), pw.money(c.price, c.currency), AMOUNT],
      [t("status"), statusText(c)],
      [t("since"), pw.date(c.start_at)],
      [t("notice"), duration(c.notice_period)]
    ])];
    if (c.components.length) {
      var table = el("table", {}, [el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col" }, [t("components")]),
        el("th", { scope: "col", "class": "amount" }, [t("quantity")]),
        el("th", { scope: "col", "class": "amount" }, [t("price")])
      ])])]);
      var body = el("tbody");
      c.components.forEach(function (item) {
        body.appendChild(el("tr", {}, [
          el("td", {}, [item.name]),
          el("td", AMOUNT, [pw.number(item.quantity)]),
          el("td", AMOUNT, [pw.money(item.price, c.currency)])
        ]));
      });
      table.appendChild(body);
      children.push(el("div", { "class": "scroll" }, [table]));
    }
    if (view.permissions.cancel && view.cancellation.possible) { children.push.apply(children, cancellation(view)); }
    pw.fill(node, children);
  }

  // The cancel button opens a confirmation in place; "Keep my contract" or Esc closes it and
  // gives focus back to the cancel button.
  function cancellation(view) {
    var open = el("button", { type: "button", id: "cancel", "aria-expanded": "false", "aria-controls": "cancel-box" }, [t("cancel")]);
    var confirm = el("button", { type: "button", "class": "action", id: "cancel-confirm" }, [t("cancel")]);
    var keep = el("button", { type: "button", id: "cancel-keep" }, [t("keep")]);
    var question = el("p", { id: "cancel-question", tabindex: "-1" }, [t("cancel_confirm", { date: pw.date(view.cancellation.earliest_end) })]);
    var errors = el("div", { id: "cancel-errors" });
    var box = el("div", { id: "cancel-box", role: "group", "aria-labelledby": "cancel-question", "class": "confirm", hidden: "" }, [
      question, el("div", { "class": "buttons" }, [confirm, keep]), errors
    ]);
    function close() {
      box.hidden = true;
      open.hidden = false;
      open.setAttribute("aria-expanded", "false");
      pw.fill(errors, []);
      open.focus();
    }
    open.addEventListener("click", function () {
      box.hidden = false;
      open.hidden = true;
      open.setAttribute("aria-expanded", "true");
      question.focus();
    });
    keep.addEventListener("click", close);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !confirm.disabled) { event.preventDefault(); close(); }
    });
    confirm.addEventListener("click", function () {
      pw.busy(confirm, call("POST", "/v1/self-service/cancel")).then(function (contract) {
        return load().then(function () { done(t("cancel_done", { date: pw.date(contract.end_at) })); });
      }).catch(function (error) { failed(error, box, errors); });
    });
    return [open, box];
  }

  function showCustomer(view) {
    var node = section("customer");
    if (!node || !view.customer) { return; }
    var c = view.customer;
    var pairs = FIELDS.filter(function (f) { return f in c && f !== "address_lines"; }).map(function (f) {
      var value = c[f];
      if (f === "delivery_method" && value) { value = t(value === "email" ? "email" : "post"); }
      if (f === "birth_date" && value) { value = pw.date(value); }
      return [t(f), value];
    });
    if (c.address) { pairs.push([t("address"), [c.address.street, c.address.postal_code + " " + c.address.city, c.address.country].join(", ")]); }
    if (c.address_lines && c.address_lines.length) { pairs.push([t("address_lines"), c.address_lines.join(", ")]); }
    var children = [list(pairs)];
    if (view.permissions.edit_contact) {
      var edit = el("button", { type: "button", id: "edit-customer" }, [t("edit")]);
      edit.addEventListener("click", function () {
        var shown = form(view, function () { showCustomer(view); document.getElementById("edit-customer").focus(); });
        pw.fill(node, [shown]);
        shown.querySelector("input, select").focus();
      });
      children.push(edit);
    }
    pw.fill(node, children);
  }

  function input(name, current, required) {
    var id = "c-" + name;
    var label = el("label", { "for": id }, [t(name) + (required ? " *" : "")]);
    var attrs = { id: id, name: name, autocomplete: AUTOCOMPLETE[name], required: required ? "" : null };
    if (name === "delivery_method") {
      return [label, el("select", attrs, ["email", "post"].map(function (v) {
        return el("option", { value: v, selected: v === current ? "" : null }, [t(v)]);
      }))];
    }
    attrs.type = INPUT_TYPES[name] || "text";
    attrs.value = current || "";
    return [label, el("input", attrs)];
  }

  function form(view, back) {
    var c = view.customer;
    var editable = view.permissions.editable_fields;
    var required = view.permissions.required_fields;
    var node = el("form", { id: "customer-form", novalidate: "" });
    FIELDS.filter(function (f) { return editable.indexOf(f) !== -1 && f !== "address_lines"; }).forEach(function (f) {
      input(f, c[f], required.indexOf(f) !== -1).forEach(function (child) { node.appendChild(child); });
    });
    var address = null;
    if (editable.indexOf("address") !== -1) {
      address = el("fieldset", { id: "c-address" }, [el("legend", {}, [t("address")])]);
      ADDRESS.forEach(function (part) {
        input(part, c.address ? c.address[part] : "", required.indexOf("address") !== -1).forEach(function (child) { address.appendChild(child); });
      });
      node.appendChild(address);
    }
    var save = el("button", { type: "submit", "class": "action" }, [t("save")]);
    var discard = el("button", { type: "button", id: "customer-back" }, [t("back")]);
    var errors = el("div", { id: "customer-errors" });
    node.appendChild(el("div", { "class": "buttons" }, [save, discard]));
    node.appendChild(errors);
    discard.addEventListener("click", back);
    node.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !save.disabled) { event.preventDefault(); back(); }
    });
    // An API field path (`first_name`, `address.city`, `address`) to its input or group.
    function locate(path) {
      var leaf = String(path).replace(/^address\./, "");
      if (path === "address") { return address; }
      return node.querySelector("#c-" + leaf);
    }
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      if (save.disabled) { return; }
      pw.clearErrors(node);
      pw.fill(errors, []);
      pw.busy(save, call("PATCH", "/v1/self-service/customer", changes(node, c))).then(function () {
        return load().then(function () { done(t("saved")); });
      }).catch(function (error) { failed(error, node, errors, locate); });
    });
    return node;
  }

  // Only what the person changed: a field left as it was is not sent.
  function changes(node, c) {
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
      address.country = address.country.toUpperCase();
      if (JSON.stringify(any ? address : null) !== JSON.stringify(c.address || null)) { body.address = any ? address : null; }
    }
    return body;
  }

  function showPayment(view) {
    var node = section("payment");
    if (!node || view.payment === undefined) { return; }
    var p = view.payment;
    var method = p && (p.method === "sepa_debit" ? t("sepa_debit") : t("invoice"));
    pw.fill(node, [p ? list([[t("method"), method], [t("account_holder"), p.account_holder], [t("iban"), p.iban_masked, { "class": "iban" }]]) : el("p", { "class": "muted" }, ["–"])]);
  }

  function showAccount(view) {
    var node = section("account");
    if (!node || !view.account) { return; }
    var a = view.account;
    pw.fill(node, [list([[t("recurring"), pw.money(a.recurring_total, a.currency), AMOUNT], [t("next_period"), a.next_period_start && pw.date(a.next_period_start)]])]);
  }

  function showDocuments(view) {
    var node = section("documents");
    if (!node || !view.documents) { return; }
    if (!view.documents.length) { pw.fill(node, [el("p", { "class": "muted" }, [t("no_documents")])]); return; }
    var errors = el("div", { id: "documents-errors" });
    var head = el("thead", {}, [el("tr", {}, [t("kind"), t("number"), t("date"), null].map(function (h) {
      return el("th", { scope: "col" }, h ? [h] : [el("span", { "class": "visually-hidden" }, [t("download")])]);
    }))]);
    var body = el("tbody");
    view.documents.forEach(function (doc) {
      var kind = doc.kind === "invoice" ? t("invoice_doc") : t("credit_note");
      var button = el("button", { type: "button", "data-document": doc.id, "aria-label": t("download") + ": " + kind + " " + doc.number }, [t("download")]);
      button.addEventListener("click", function () {
        pw.fill(errors, []);
        pw.busy(button, call("GET", "/v1/self-service/documents/" + encodeURIComponent(doc.id), undefined, "application/pdf").then(function (response) {
          return pw.download(response, "document.pdf");
        })).catch(function (error) { failed(error, node, errors); });
      });
      body.appendChild(el("tr", {}, [
        el("td", { "data-label": t("kind") }, [kind]),
        el("td", { "data-label": t("number") }, [doc.number]),
        el("td", { "data-label": t("date") }, [pw.date(doc.issued_on)]),
        el("td", { "class": "get" }, [button])
      ]));
    });
    pw.fill(node, [el("table", { "class": "documents" }, [head, body]), errors]);
  }

  function showAdditional(view) {
    var node = section("additional_data");
    if (!node) { return; }
    var data = view.additional_data || {};
    pw.fill(node, [list(Object.keys(data).map(function (k) { return [k, data[k]]; }))]);
  }

  function load() {
    return call("GET", "/v1/self-service/contract").then(function (view) {
      [showContract, showCustomer, showPayment, showAccount, showDocuments, showAdditional].forEach(function (show) { show(view); });
      document.getElementById("valid-until").textContent = t("valid_until", { time: pw.dateTime(view.expires_at) });
      sections.hidden = false;
    });
  }

  if (!token) { pw.say(message, t("missing"), "error"); return; }
  load().catch(function (error) { failed(error, message, message); });
})();
