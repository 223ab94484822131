// The self-service page's forms (contact data, payment method), loaded from our origin on
// the first "Change" (the page itself stays light). They use the page's helpers
// (window.portwaySelfService: call, failed, done, load) and the shared page script.
(function () {
  "use strict";
  var pw = window.portway;
  var t = pw.t;
  var el = pw.el;
  var page = window.portwaySelfService;
  var call = page.call;
  var failed = page.failed;
  var done = page.done;
  var load = page.load;
  var FIELDS = page.FIELDS;
  var ADDRESS = ["street", "postal_code", "city", "country"];
  var INPUT_TYPES = { email: "email", phone: "tel", birth_date: "date" };
  var AUTOCOMPLETE = {
    company: "organization", first_name: "given-name", last_name: "family-name", email: "email", phone: "tel",
    birth_date: "bday", street: "street-address", postal_code: "postal-code", city: "address-level2", country: "country"
  };


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

  // Invoice, or SEPA direct debit from an account whose IBAN the page checks by its check
  // digits before sending (the server checks it again); the account comes back masked.
  function paymentForm(current, back) {
    var sepa = !current || current.method === "sepa_debit";
    function choice(value, label) {
      var attrs = { type: "radio", name: "method", id: "pay-" + value, value: value };
      if ((value === "sepa_debit") === sepa) { attrs.checked = ""; }
      return el("p", {}, [el("input", attrs), " ", el("label", { "for": "pay-" + value, "class": "inline" }, [label])]);
    }
    var account = el("div", { id: "pay-account" }, [
      el("label", { "for": "pay-iban" }, [t("iban")]),
      el("input", { id: "pay-iban", name: "iban", autocomplete: "off", spellcheck: "false", maxlength: "42" }),
      el("label", { "for": "pay-holder" }, [t("account_holder")]),
      el("input", { id: "pay-holder", name: "account_holder", autocomplete: "name", maxlength: "200", value: (current && current.account_holder) || "" })
    ]);
    var errors = el("div", { id: "payment-errors" });
    var save = el("button", { type: "submit", "class": "action" }, [t("save")]);
    var cancel = el("button", { type: "button" }, [t("back")]);
    var node = el("form", { id: "payment-form", novalidate: "" }, [
      el("fieldset", {}, [el("legend", {}, [t("method")]), choice("sepa_debit", t("sepa_debit")), choice("invoice", t("invoice"))]),
      account, errors, el("div", { "class": "buttons" }, [save, cancel])
    ]);
    account.hidden = !sepa;
    node.addEventListener("change", function () { account.hidden = !node.querySelector("#pay-sepa_debit").checked; });
    cancel.addEventListener("click", back);
    node.addEventListener("keydown", function (event) { if (event.key === "Escape") { back(); } });
    function locate(path) {
      return { "sepa.iban": node.querySelector("#pay-iban"), "sepa.account_holder": node.querySelector("#pay-holder"), sepa: node.querySelector("#pay-iban") }[path] || null;
    }
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { method: node.querySelector("input[name=method]:checked").value };
      if (body.method === "sepa_debit") {
        body.sepa = { iban: node.querySelector("#pay-iban").value.trim(), account_holder: node.querySelector("#pay-holder").value.trim() };
        var local = [];
        if (!body.sepa.iban) { local.push({ field: "sepa.iban", code: "required" }); } else if (!pw.ibanValid(body.sepa.iban)) { local.push({ field: "sepa.iban", code: "iban" }); }
        if (!body.sepa.account_holder) { local.push({ field: "sepa.account_holder", code: "required" }); }
        if (local.length) { failed(pw.problem(422, { type: "validation", errors: local }), node, errors, locate); return; }
      }
      pw.busy(save, call("PUT", "/v1/self-service/payment", body)).then(function () {
        return load().then(function () { done(t("payment_saved")); });
      }).catch(function (error) { failed(error, node, errors, locate); });
    });
    return node;
  }

  window.portwaySelfServiceForms = Object.freeze({ contact: form, payment: paymentForm });
})();
