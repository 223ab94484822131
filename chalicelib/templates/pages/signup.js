(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config;
  var form = document.getElementById("signup-form");
  var box = document.getElementById("signup-error");
  var button = document.getElementById("order");
  // The countries the address offers (EU, EEA, Switzerland, the UK, the US), named in the
  // page's language; the API takes the ISO code.
  var COUNTRIES = ("AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT " +
    "NL NO PL PT RO SE SI SK US").split(" ");
  // The components as the last order listed them: `components.N` of an answer names the
  // N-th of them.
  var sent = [];

  function value(name) {
    var input = document.getElementById("f-" + name);
    return input && input.value.trim() ? input.value.trim() : null;
  }
  function quantityOf(input) {
    if (input.type === "checkbox") { return input.checked ? 1 : 0; }
    return /^\d+$/.test(input.value.trim()) ? parseInt(input.value, 10) : NaN;
  }

  // The total comes from the server (a quote), computed as the contract will be: the
  // components, then the coupon's discount. Asked again shortly after every change; a coupon
  // the variant does not take is said next to its field before anyone orders.
  var asked = 0;
  var waiting = null;
  function showTotal() {
    clearTimeout(waiting);
    waiting = setTimeout(quote, 250);
  }
  function quote() {
    var ask = ++asked;
    var body = { plan_variant_id: config.variant, components: components() };
    var coupon = value("coupon_code");
    if (coupon) { body.coupon_code = coupon; }
    var total = document.getElementById("total");
    total.setAttribute("aria-busy", "true");
    pw.api("POST", "/v1/hosted/" + config.tenant + "/signup/quote", { body: body }).then(function (sums) {
      if (ask !== asked) { return; }
      total.removeAttribute("aria-busy");
      couponSaid(null);
      var discounted = !!sums.discount;
      document.getElementById("subtotal-row").hidden = !discounted;
      document.getElementById("discount-row").hidden = !discounted;
      document.getElementById("subtotal").textContent = pw.money(sums.subtotal, sums.currency);
      if (discounted) {
        var percent = new Intl.NumberFormat(pw.locale, { style: "percent" }).format(sums.discount_percent / 100);
        document.getElementById("discount-label").textContent = pw.t("discount", { code: sums.coupon_code, percent: percent });
        document.getElementById("discount").textContent = "−" + pw.money(sums.discount, sums.currency);
      }
      total.textContent = pw.money(sums.total, sums.currency);
    }, function (error) {
      if (ask !== asked) { return; }
      total.removeAttribute("aria-busy");
      total.textContent = "–";
      document.getElementById("subtotal-row").hidden = true;
      document.getElementById("discount-row").hidden = true;
      couponSaid((error.errors || []).filter(function (e) { return e.field === "coupon_code"; })[0]);
    });
  }
  // What the quote said about the coupon, next to its field, without taking the focus.
  function couponSaid(e) {
    var input = document.getElementById("f-coupon_code");
    if (!input) { return; }
    var note = document.getElementById("f-coupon_code-error");
    if (note) { note.remove(); }
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    if (!e) { return; }
    note = pw.el("p", { id: "f-coupon_code-error", "class": "error field-error", role: "alert" }, [e.text]);
    input.parentNode.insertBefore(note, input.nextSibling);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
  }

  function countries() {
    var select = document.getElementById("f-country");
    if (!select) { return; }
    var names = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([pw.locale], { type: "region" }) : null;
    COUNTRIES.map(function (code) { return [code, names ? names.of(code) : code]; })
      .sort(function (a, b) { return a[1].localeCompare(b[1], pw.locale); })
      .forEach(function (pair) { select.appendChild(pw.el("option", { value: pair[0] }, [pair[1]])); });
  }

  // The ordered components: on/off ones only when chosen.
  function components() {
    sent = [];
    var orders = [];
    document.querySelectorAll("[data-component]").forEach(function (input) {
      var quantity = quantityOf(input);
      if (input.type === "checkbox" && !quantity) { return; }
      sent.push(input);
      orders.push({ component_id: input.getAttribute("data-component"), quantity: isNaN(quantity) ? -1 : quantity });
    });
    return orders;
  }

  function customer() {
    var data = {};
    ["company", "first_name", "last_name", "email", "phone", "vat_id", "delivery_method", "birth_date"].forEach(function (name) {
      var v = value(name);
      if (v !== null) { data[name] = v; }
    });
    if (data.vat_id) { data.vat_id = data.vat_id.toUpperCase().replace(/ /g, ""); }
    var address = { street: value("street"), postal_code: value("postal_code"), city: value("city"), country: value("country") };
    if (address.street || address.postal_code || address.city || address.country) { data.address = address; }
    var line = value("address_lines");
    if (line) { data.address_lines = [line]; }
    data.language = config.language;
    return data;
  }

  function payment() {
    var chosen = form.querySelector("input[name=method]:checked");
    if (!chosen) { return undefined; }
    if (chosen.value === "invoice") { return { method: "invoice" }; }
    return { method: "sepa_debit", sepa: { iban: value("iban") || "", account_holder: value("account_holder") || "" } };
  }

  // What the page can tell before sending: empty required fields, an address given in part,
  // quantities out of their range, an IBAN with wrong check digits. Fields by their API path.
  function check(body) {
    var errors = [];
    var address = !!(body.customer.address);
    form.querySelectorAll("input, select").forEach(function (input) {
      if (input.offsetParent === null || input.disabled) { return; }
      var name = input.id.replace(/^f-/, "");
      var part = ["street", "postal_code", "city", "country"].indexOf(name) !== -1;
      var empty = input.type === "checkbox" ? !input.checked : !input.value.trim();
      if (!empty || !(input.required || (part && address))) { return; }
      if (input.hasAttribute("data-term")) {
        errors.push({ field: "accepted_terms." + input.getAttribute("data-term"), code: "terms" });
      } else if (name === "iban" || name === "account_holder") {
        errors.push({ field: "payment.sepa." + name, code: "required" });
      } else {
        errors.push({ field: "customer." + (part ? "address." : "") + name, code: "required" });
      }
    });
    sent.forEach(function (input, index) {
      var low = Number(input.min || 0);
      var high = Number(input.max || 0);
      var quantity = quantityOf(input);
      if (input.type !== "checkbox" && !(quantity >= low && quantity <= high)) {
        errors.push({ field: "components." + index + ".quantity", code: "range", params: { low: low, high: high } });
      }
    });
    var iban = body.payment && body.payment.sepa && body.payment.sepa.iban;
    if (iban && !pw.ibanValid(iban)) { errors.push({ field: "payment.sepa.iban", code: "iban" }); }
    return errors;
  }

  // An API field path (customer.address.city, payment.sepa.iban, components.0.quantity,
  // accepted_terms.1) to what the page shows for it.
  function locate(field) {
    var parts = String(field).split(".");
    var name = parts[0];
    if (name === "customer") {
      name = parts[1] === "address" ? parts[2] || "street" : parts[1];
    } else if (name === "payment") {
      if (parts[1] !== "sepa") { return document.getElementById("pay-invoice") && document.getElementById("pay-invoice").parentNode; }
      name = parts[2] || "iban";
    } else if (name === "components") {
      return parts.length > 1 ? (sent[Number(parts[1])] || null) : document.getElementById("components");
    } else if (name === "accepted_terms") {
      return form.querySelector('[data-field="' + parts.slice(0, 2).join(".") + '"]');
    }
    return document.getElementById("f-" + name);
  }

  function done(data) {
    if (pw.parent) {
      window.parent.postMessage({ type: "portway:signup", contract_id: data.contract_id, redirect_url: data.redirect_url }, pw.parent);
    }
    if (data.redirect_url) { window.location.assign(data.redirect_url); return; }
    form.hidden = true;
    pw.fill(box, []);
    document.getElementById("done-text").textContent = pw.t("done", { id: data.contract_id });
    document.getElementById("done").hidden = false;
    document.getElementById("done-title").focus();
  }

  function failed(error) {
    if (error.type !== "validation" && config.error_url) {
      var url = config.error_url;
      window.location.assign(url + (url.indexOf("?") === -1 ? "?" : "&") + "error=" + encodeURIComponent(error.type));
      return;
    }
    pw.showErrors(form, error, { box: box, locate: locate });
  }

  // Quantities change the total as they are typed; a coupon counts once it is entered.
  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute("data-component")) { showTotal(); }
  });
  form.addEventListener("change", function (event) {
    var sepa = document.getElementById("sepa");
    if (sepa) { sepa.hidden = !document.getElementById("pay-sepa").checked; }
    if (event.target.hasAttribute("data-component") || event.target.id === "f-coupon_code") { showTotal(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    var body = {
      plan_variant_id: config.variant,
      components: components(),
      customer: customer(),
      accepted_terms: Array.prototype.map.call(form.querySelectorAll("[data-term]:checked"), function (input) {
        return parseInt(input.getAttribute("data-term"), 10);
      }),
      language: config.language
    };
    var coupon = value("coupon_code");
    if (coupon) { body.coupon_code = coupon; }
    var pay = payment();
    if (pay) { body.payment = pay; }
    var local = check(body);
    if (local.length) {
      pw.showErrors(form, pw.problem(422, { type: "validation", errors: local }), { box: box, locate: locate });
      return;
    }
    pw.clearErrors(form);
    pw.say(box, pw.t("sending"), "status");
    pw.busy(button, pw.api("POST", "/v1/hosted/" + config.tenant + "/signup", { body: body })).then(done, failed);
  });

  document.querySelectorAll("[data-amount]").forEach(function (node) {
    node.textContent = pw.money(node.getAttribute("data-amount"), config.currency) + (node.getAttribute("data-suffix") || "");
  });
  countries();
  quote();
})();
