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
    if (error.status === 401 && reason === "expired" && token) { offerNewLink(); }
  }
  // An expired link may ask for a new one: it goes by e-mail to the contract's address.
  function offerNewLink() {
    var ask = el("button", { type: "button", "class": "action", id: "new-link" }, [t("send_link")]);
    var said = el("div", { role: "status" });
    message.appendChild(ask);
    message.appendChild(said);
    ask.addEventListener("click", function () {
      pw.busy(ask, pw.api("POST", "/v1/self-service/link-requests", { body: { token: token, language: pw.config.language } })).then(function () {
        ask.remove();
        pw.say(said, t("link_sent"), "status");
      }, function (error) { pw.say(said, error.message, "error"); });
    });
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

  // A country's ISO code as its name in the page's language.
  function country(code) {
    try { return code ? new Intl.DisplayNames([pw.locale], { type: "region" }).of(code) : ""; } catch (e) { return code; }
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
    if (c.address) { pairs.push([t("address"), [c.address.street, c.address.postal_code + " " + c.address.city, country(c.address.country)].join(", ")]); }
    if (c.address_lines && c.address_lines.length) { pairs.push([t("address_lines"), c.address_lines.join(", ")]); }
    var children = [list(pairs)];
    if (view.permissions.edit_contact) {
      var edit = el("button", { type: "button", id: "edit-customer" }, [t("edit")]);
      edit.addEventListener("click", function () {
        pw.busy(edit, forms()).then(function (make) {
          var shown = make.contact(view, function () { showCustomer(view); document.getElementById("edit-customer").focus(); });
          pw.fill(node, [shown]);
          shown.querySelector("input, select").focus();
        }, function (error) { failed(error, node, message); });
      });
      children.push(edit);
    }
    pw.fill(node, children);
  }

  function showPayment(view) {
    var node = section("payment");
    if (!node || view.payment === undefined) { return; }
    var p = view.payment;
    var method = p && (p.method === "sepa_debit" ? t("sepa_debit") : t("invoice"));
    pw.fill(node, [p ? list([[t("method"), method], [t("account_holder"), p.account_holder], [t("iban"), p.iban_masked, { "class": "iban" }]]) : el("p", { "class": "muted" }, ["–"])]);
    if (!view.permissions.change_payment) { return; }
    var edit = el("button", { type: "button", id: "edit-payment" }, [t("edit")]);
    edit.addEventListener("click", function () {
      pw.busy(edit, forms()).then(function (make) {
        pw.fill(node, [make.payment(p, function () { showPayment(view); document.getElementById("edit-payment").focus(); })]);
        node.querySelector("input[name=method]:checked").focus();
      }, function (error) { failed(error, node, message); });
    });
    node.appendChild(edit);
  }

  function showAccount(view) {
    var node = section("account");
    if (!node || !view.account) { return; }
    var a = view.account;
    var rows = [];
    if (a.discount) {
      var percent = new Intl.NumberFormat(pw.locale, { style: "percent" }).format(a.discount_percent / 100);
      rows.push([t("before_discount"), pw.money(a.subtotal, a.currency), AMOUNT]);
      rows.push([t("discount", { percent: percent }), "−" + pw.money(a.discount, a.currency), { "class": "amount discount" }]);
    }
    rows.push([t("recurring"), pw.money(a.recurring_total, a.currency), AMOUNT]);
    rows.push([t("next_period"), a.next_period_start && pw.date(a.next_period_start)]);
    pw.fill(node, [list(rows)]);
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

  // The forms that change data are a module of their own, loaded on the first "Change".
  var loaded = null;
  function forms() {
    if (!loaded) {
      window.portwaySelfService = Object.freeze({ call: call, failed: failed, done: done, load: load, FIELDS: FIELDS });
      loaded = new Promise(function (resolve, reject) {
        var script = el("script", { src: sections.getAttribute("data-module") });
        script.addEventListener("load", function () { resolve(window.portwaySelfServiceForms); });
        script.addEventListener("error", function () { loaded = null; reject(pw.problem(0, null)); });
        document.head.appendChild(script);
      });
    }
    return loaded;
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
