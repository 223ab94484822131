(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pw-config").textContent);
  var params = new URLSearchParams(window.location.hash.slice(1));
  var token = params.get("token");
  // The secret leaves the address bar at once: it is kept in memory only.
  history.replaceState(null, "", window.location.pathname + window.location.search);
  var box = document.getElementById("accept-error");

  function say(lines) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = line;
      box.appendChild(p);
    });
  }
  if (!token) { say([config.text.missing]); }

  document.getElementById("accept-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!token) { say([config.text.missing]); return; }
    fetch("/v1/portal/invitations/accept", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        token: token,
        name: document.getElementById("name").value,
        email: document.getElementById("email").value,
        password: document.getElementById("password").value,
        accept_terms: document.getElementById("terms").checked
      })
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var details = (data.errors || []).map(function (e) { return e.field + ": " + e.message; });
          say(details.length ? details : [data.detail || config.text.failed]);
          return;
        }
        var key = "portway:" + config.tenant + ":" + config.portal;
        window.sessionStorage.setItem(key, JSON.stringify({ access: data.access_token, refresh: data.refresh_token }));
        window.location.assign("/p/" + config.tenant + "/portal?portal=" + encodeURIComponent(config.portal) + "&language=" + config.language);
      });
    }).catch(function () { say([config.text.failed]); });
  });
})();
