(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config;
  var text = config.text;
  var form = document.getElementById("signup-form");
  var box = document.getElementById("signup-error");

  function value(name) {
    var input = document.getElementById("f-" + name);
    return input && input.value.trim() ? input.value.trim() : null;
  }
  function cents(amount) { return Math.round(parseFloat(amount) * 100); }

  function showTotal() {
    var total = cents(config.price);
    document.querySelectorAll("[data-component]").forEach(function (input) {
      var quantity = input.type === "checkbox" ? (input.checked ? 1 : 0) : parseInt(input.value || "0", 10) || 0;
      total += quantity * cents(config.prices[input.getAttribute("data-component")]);
    });
    var format = new Intl.NumberFormat(config.language, { style: "currency", currency: config.currency });
    document.getElementById("total").textContent = format.format(total / 100);
  }

  function components() {
    var orders = [];
    document.querySelectorAll("[data-component]").forEach(function (input) {
      var quantity = input.type === "checkbox" ? (input.checked ? 1 : 0) : parseInt(input.value || "0", 10);
      if (input.type === "checkbox" && !quantity) { return; }
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
    if (address.street || address.postal_code || address.city || address.country) {
      if (address.country) { address.country = address.country.toUpperCase(); }
      data.address = address;
    }
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

  function clearErrors() {
    document.querySelectorAll(".invalid").forEach(function (node) { node.classList.remove("invalid"); });
    document.querySelectorAll("p.error").forEach(function (node) { node.remove(); });
    pw.fill(box, []);
  }

  // A field error names a body path (customer.phone, payment.sepa.iban, components.0.quantity,
  // accepted_terms.1); the page shows it next to the field that path comes from.
  function holderOf(field) {
    var path = field.replace(/^customer\./, "").replace(/^payment\.sepa\./, "");
    var candidates = [path, path.replace(/\.(street|postal_code|city|country)$/, ""), path.split(".").slice(0, 2).join("."), path.split(".")[0]];
    if (path.indexOf("address.") === 0) { candidates.unshift(path.split(".")[1]); }
    for (var i = 0; i < candidates.length; i++) {
      var holder = document.querySelector('[data-field="' + candidates[i] + '"]');
      if (holder) { return holder; }
    }
    return null;
  }

  function showErrors(errors, detail) {
    var unplaced = [];
    errors.forEach(function (error) {
      var holder = holderOf(error.field);
      if (!holder) { unplaced.push(error.field + ": " + error.message); return; }
      holder.classList.add("invalid");
      holder.appendChild(pw.el("p", { "class": "error" }, [error.message]));
    });
    var lines = [text.check].concat(unplaced);
    if (!errors.length) { lines = [detail || text.failed]; }
    pw.fill(box, lines.map(function (line) { return pw.el("p", { "class": "error", role: "alert" }, [line]); }));
  }

  function fail(problem) {
    if (config.error_url) {
      var slug = String((problem && problem.type) || "failed").split(":").pop();
      window.location.assign(config.error_url + (config.error_url.indexOf("?") === -1 ? "?" : "&") + "error=" + encodeURIComponent(slug));
      return;
    }
    showErrors([], problem && problem.detail);
  }

  function required() {
    var errors = [];
    form.querySelectorAll("input[required]").forEach(function (input) {
      if (input.offsetParent === null) { return; }
      var empty = input.type === "checkbox" ? !input.checked : !input.value.trim();
      if (empty) { errors.push({ field: input.closest("[data-field]").getAttribute("data-field"), message: text.required }); }
    });
    return errors;
  }

  form.addEventListener("input", showTotal);
  form.addEventListener("change", function () {
    var sepa = document.getElementById("sepa");
    if (sepa) { sepa.hidden = !document.getElementById("pay-sepa").checked; }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var missing = required();
    if (missing.length) { showErrors(missing); return; }
    var button = document.getElementById("order");
    button.disabled = true;
    pw.fill(box, [pw.el("p", { "class": "muted" }, [text.sending])]);
    var body = {
      plan_variant_id: config.variant,
      components: components(),
      customer: customer(),
      accepted_terms: Array.prototype.map.call(form.querySelectorAll("[data-term]:checked"), function (box) {
        return parseInt(box.getAttribute("data-term"), 10);
      }),
      language: config.language
    };
    var coupon = value("coupon_code");
    if (coupon) { body.coupon_code = coupon; }
    var pay = payment();
    if (pay) { body.payment = pay; }
    fetch("/v1/hosted/" + config.tenant + "/signup", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        button.disabled = false;
        if (response.status === 422) { clearErrors(); showErrors(data.errors || [], data.detail); return; }
        if (!response.ok) { fail(data); return; }
        if (pw.parent) {
          window.parent.postMessage({ type: "portway:signup", contract_id: data.contract_id, redirect_url: data.redirect_url }, pw.parent);
        }
        if (data.redirect_url) { window.location.assign(data.redirect_url); return; }
        form.hidden = true;
        pw.fill(box, []);
        document.getElementById("done-text").textContent = text.done.replace("{id}", data.contract_id);
        document.getElementById("done").hidden = false;
      });
    }).catch(function () { button.disabled = false; fail(null); });
  });
  showTotal();
})();
