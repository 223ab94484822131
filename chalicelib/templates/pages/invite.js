(function () {
  "use strict";
  var pw = window.portway;
  var config = pw.config;
  var token = pw.fragment().token;
  var form = document.getElementById("accept-form");
  var box = document.getElementById("accept-error");
  var button = form.querySelector("button[type=submit]");
  var portal = "/p/" + config.tenant + "/portal?portal=" + encodeURIComponent(config.portal) + "&language=" + config.language;
  var FIELDS = { name: "name", email: "email", password: "password", accept_terms: "terms" };

  function input(name) { return document.getElementById(name); }
  function locate(field) { return FIELDS[field] ? input(FIELDS[field]) : null; }
  function show(error) {
    // A bad token is a link that no longer works, whatever the rule it broke; a refused
    // address belongs next to the e-mail field.
    if (error.errors.some(function (e) { return e.field === "token"; })) { error = pw.problem(401, { type: "unauthorized" }); }
    if (error.type === "forbidden") { error.errors = [{ field: "email", text: pw.t("other_address") }]; }
    pw.showErrors(form, error, {
      box: box,
      locate: locate,
      overrides: {
        unauthorized: pw.t("link_invalid"),
        "not-found": pw.t("link_invalid"),
        conflict: pw.t(error.reason === "used" ? "link_used" : "account_exists")
      }
    });
    if (error.type === "conflict" && box.firstChild) {
      var link = pw.el("a", { href: portal }, [pw.t("sign_in")]);
      box.firstChild.appendChild(document.createTextNode(" "));
      box.firstChild.appendChild(link);
      link.focus();
    }
  }
  // The link is checked as the page opens: a link that no longer works says so before
  // anyone fills in the form; an invitation for one address brings that address along,
  // and the provider's terms and privacy notice become links.
  function look() {
    if (!token) { pw.say(box, pw.t("missing"), "error"); form.hidden = true; return; }
    pw.api("POST", "/v1/portal/invitations/check", { body: { token: token } }).then(function (link) {
      form.hidden = false;
      if (link.email) {
        input("email").value = link.email;
        input("email").readOnly = true;
      }
      terms(link.terms_url, link.privacy_url);
      input(link.email ? "name" : "email").focus();
    }, function (error) {
      form.hidden = error.type === "unauthorized" || error.type === "conflict";
      show(error);
    });
  }
  function terms(termsUrl, privacyUrl) {
    var label = document.querySelector("label[for=terms]");
    if (!termsUrl) { return; }
    var parts = pw.t("accept_terms").split("{terms}");
    pw.fill(label, [parts[0], pw.el("a", { href: termsUrl, target: "_blank", rel: "noopener noreferrer" }, [pw.t("terms_of_use")]), parts[1] || ""]);
    if (privacyUrl) {
      label.parentNode.appendChild(pw.el("span", { "class": "muted" }, [" ", pw.el("a", { href: privacyUrl, target: "_blank", rel: "noopener noreferrer" }, [pw.t("privacy")])]));
    }
  }
  look();
  // Another link opened in the same tab (only its fragment differs).
  window.addEventListener("hashchange", function () {
    var next = pw.fragment().token;
    if (next) { token = next; pw.clearErrors(form); pw.fill(box, []); input("email").readOnly = false; look(); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!token) { pw.say(box, pw.t("missing"), "error"); box.firstChild.setAttribute("tabindex", "-1"); box.firstChild.focus(); return; }
    var body = {
      token: token,
      name: input("name").value.trim(),
      email: input("email").value.trim(),
      password: input("password").value,
      accept_terms: input("terms").checked
    };
    var missing = [];
    ["name", "email", "password"].forEach(function (name) {
      if (!body[name]) { missing.push({ field: name, code: "required" }); }
    });
    if (!body.accept_terms) { missing.push({ field: "accept_terms", code: "terms" }); }
    if (missing.length) { show(pw.problem(422, { type: "validation", errors: missing })); return; }
    pw.clearErrors(form);
    pw.fill(box, []);
    pw.busy(button, pw.api("POST", "/v1/portal/invitations/accept", { body: body })).then(function (data) {
      var key = "portway:" + config.tenant + ":" + config.portal;
      window.localStorage.setItem(key, JSON.stringify({ access: data.access_token, refresh: data.refresh_token }));
      window.location.assign(portal);
    }, show);
  });
})();
