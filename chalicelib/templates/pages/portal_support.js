// The portal's support app (loaded by the portal page only where it shows a support
// section): the tickets a person sees by board query, a new ticket, one ticket with its
// public positions and attachments, replies, approval, and the plan boards.
(function () {
  "use strict";
  var P = window.portwayPortal;
  var pw = window.portway;
  var call = P.call, busy = P.busy, table = window.portwayApp.table;
  var t = pw.t, el = pw.el, fill = pw.fill, config = pw.config;
  // The provider's name, as the page's header shows it (its logo's text otherwise).
  var header = document.querySelector(".menu strong") || document.querySelector(".menu img");
  var provider = header ? (header.textContent || header.getAttribute("alt") || "") : "";
  // A file to the API with the session (renewed once if it ran out): its body is the file.
  function upload(path, file) {
    return P.authed(function (token) {
      return fetch(path, {
        method: "POST", credentials: "omit", body: file,
        headers: { Authorization: "Bearer " + token, "Content-Type": file.type || "application/octet-stream", Accept: "application/json" }
      }).catch(function () { throw pw.problem(0, null); }).then(function (response) {
        if (response.ok) { return null; }
        return response.json().catch(function () { return null; }).then(function (data) { throw pw.problem(response.status, data); });
      });
    });
  }
  function statusName(status) { return ("status_" + status) in config.text ? t("status_" + status) : status; }
  // A field path of the API (`tag_ids.0`) names the form's field (or group) of that name.
  function locator(form) {
    return function (field) { return form.querySelector('[name="' + String(field).split(".")[0] + '"]'); };
  }
  // An empty field broke its shortest length: it was left out, and the person reads so.
  function problem(scope, error, options) {
    (error.errors || []).forEach(function (e) {
      var field = options.locate ? options.locate(e.field) : scope.querySelector('[name="' + e.field + '"]');
      if (field && e.code === "too_short" && !String(field.value || "").trim()) { e.text = t("field.required"); }
    });
    P.show(scope, error, options);
  }
  // Support not set up for the customer (yet) is a state, not an error.
  function inactive(error) { return error.type === "forbidden" && (!error.reason || error.reason === "support_inactive"); }
  function showSupport(box, state) {
    return call("GET", "/v1/portal/ticket-options?language=" + encodeURIComponent(config.language)).then(function (options) {
      state.options = options;
      return call("GET", "/v1/portal/board-queries").then(function (boards) {
        state.boards = boards.items;
        return showTickets(box, state);
      });
    }).catch(function (error) {
      if (inactive(error)) { fill(box, [el("p", {}, [t("support_inactive")])]); return; }
      throw error;
    });
  }
  function named(list, id) {
    var found = list.filter(function (item) { return item.id === id; })[0];
    return found ? found.name : "–";
  }
  // Newest first; pages where nothing was for this person are followed until some are.
  function ticketPage(query, cursor, found, rounds) {
    var path = "/v1/portal/tickets?limit=50" + query + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    return call("GET", path).then(function (page) {
      var items = found.concat(page.items);
      if (page.next_cursor && items.length < 50 && rounds < 20) { return ticketPage(query, page.next_cursor, items, rounds + 1); }
      return { items: items, next_cursor: page.next_cursor };
    });
  }
  function showTickets(box, state, notice) {
    var query = state.board ? "&board=" + encodeURIComponent(state.board) : "";
    return ticketPage(query, null, [], 0).then(function (page) {
      var parts = [];
      var said = notice ? el("p", { role: "status", "class": "note", tabindex: "-1" }, [notice]) : null;
      parts.push(said);
      if (state.boards.length) {
        var select = el("select", { id: "ticket-board" }, [el("option", { value: "" }, [t("all_tickets")])].concat(
          state.boards.map(function (b) { return el("option", { value: b.id }, [b.name]); })));
        select.value = state.board || "";
        select.addEventListener("change", function () { state.board = select.value; showTickets(box, state).catch(P.failed(box)); });
        parts.push(el("label", { "for": "ticket-board" }, [t("board")]), select);
      }
      if (!page.items.length) { parts.push(el("p", {}, [t("no_tickets")])); } else {
        parts.push(table([t("ticket"), t("ticket_title"), t("status"), t("last_change")], page.items.map(function (item) {
          return [item.number, el("a", { href: "#", "data-ticket": item.id }, [item.title]), statusName(item.status), pw.dateTime(item.updated_at)];
        }), t("all_tickets")));
      }
      if (!state.readOnly) { parts.push(newTicketForm(box, state)); }
      fill(box, parts);
      if (said) { said.focus(); }
      box.querySelectorAll("a[data-ticket]").forEach(function (link) {
        link.addEventListener("click", function (event) { event.preventDefault(); showTicket(box, state, link.getAttribute("data-ticket")); });
      });
    });
  }
  function newTicketForm(box, state) {
    var options = state.options;
    var area = el("select", { id: "ticket-area", name: "area_id", required: "" }, options.areas.map(function (a) { return el("option", { value: a.id }, [a.name]); }));
    var kind = el("select", { id: "ticket-type", name: "type_id", required: "" }, options.ticket_types.map(function (type) {
      return el("option", { value: type.id }, [type.requires_approval ? type.name + " (" + t("needs_approval") + ")" : type.name]);
    }));
    // The tags the person may set, those of the chosen area (or of every area).
    var tags = el("fieldset", { id: "ticket-tags", name: "tag_ids" });
    function showTags() {
      var offered = options.tags.filter(function (tag) { return !tag.area_id || tag.area_id === area.value; });
      fill(tags, offered.length ? [el("legend", {}, [t("tags")])].concat(offered.map(function (tag) {
        var box = el("input", { type: "checkbox", id: "tag-" + tag.id, value: tag.id });
        return el("label", { "class": "inline", "for": "tag-" + tag.id, title: tag.description || "" }, [box, " " + tag.name + " "]);
      })) : []);
      tags.hidden = !offered.length;
    }
    area.addEventListener("change", showTags);
    showTags();
    var title = el("input", { id: "ticket-title", name: "title", required: "", maxlength: "200" });
    var description = el("textarea", { id: "ticket-description", name: "description", maxlength: "20000" });
    var result = el("div", { id: "ticket-result" });
    var send = el("button", { type: "submit", "class": "action" }, [t("send_ticket")]);
    var form = el("form", { id: "ticket-form", novalidate: "" }, [
      el("h3", {}, [t("new_ticket")]),
      el("label", { "for": "ticket-area" }, [t("area")]), area,
      el("label", { "for": "ticket-type" }, [t("ticket_type")]), kind, tags,
      el("label", { "for": "ticket-title" }, [t("ticket_title")]), title,
      el("label", { "for": "ticket-description" }, [t("description")]), description,
      send, result
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      pw.clearErrors(form);
      var chosen = Array.prototype.map.call(tags.querySelectorAll("input:checked"), function (box) { return box.value; });
      busy(send, call("POST", "/v1/portal/tickets", { area_id: area.value, type_id: kind.value, title: title.value, description: description.value, tag_ids: chosen }))
        .then(function (ticket) { return showTickets(box, state, t("ticket_sent", { number: ticket.number })); })
        .catch(function (error) { problem(form, error, { box: result, locate: locator(form) }); });
    });
    return form;
  }
  function showTicket(box, state, id) {
    var path = "/v1/portal/tickets/" + encodeURIComponent(id);
    return Promise.all([call("GET", path), call("GET", path + "/positions")]).then(function (got) {
      var ticket = got[0];
      var options = state.options;
      var back = el("button", { type: "button", id: "ticket-back" }, [t("back")]);
      back.addEventListener("click", function () { showTickets(box, state).catch(P.failed(box)); });
      var parts = [back, el("h3", {}, [ticket.number + " · " + ticket.title]),
        el("p", {}, [statusName(ticket.status) + " · " + named(options.areas, ticket.area_id) + " · " + named(options.ticket_types, ticket.type_id)])];
      if (ticket.description) { parts.push(el("div", { "class": "ticket-entry" }, [el("p", {}, [ticket.description])])); }
      var result = el("div", { id: "ticket-action-result", role: "status" });
      got[1].items.forEach(function (entry) {
        var who = entry.from_provider ? (entry.author_name || provider) : (entry.author_name || t("you"));
        var body = el("p", {}, [entry.text || ""]);
        if (entry.kind === "attachment") {
          body = el("button", { type: "button", "class": "link", "data-attachment": entry.id }, [entry.file_name]);
          body.addEventListener("click", function (event) {
            busy(event.currentTarget, call("GET", path + "/attachments/" + encodeURIComponent(entry.id), undefined, entry.content_type)
              .then(function (response) { return pw.download(response, entry.file_name); }))
              .catch(function (error) { problem(result, error, { box: result }); });
          });
        }
        parts.push(el("div", { "class": "ticket-entry" }, [el("p", { "class": "muted" }, [who + " · " + pw.dateTime(entry.created_at)]), body]));
      });
      if (ticket.status === "awaiting_approval") {
        parts.push(el("p", { "class": "note" }, [ticket.can_approve ? t("awaits_you") : t("awaits_approval")]));
        if (ticket.can_approve && !state.readOnly) {
          var decide = function (decision) {
            return function (event) {
              busy(event.currentTarget, call("POST", path + "/approval", { decision: decision })).then(function () { return showTicket(box, state, id); })
                .catch(function (error) { problem(result, error, { box: result }); });
            };
          };
          var approve = el("button", { type: "button", "class": "action", id: "ticket-approve" }, [t("approve")]);
          var reject = el("button", { type: "button", id: "ticket-reject" }, [t("reject")]);
          approve.addEventListener("click", decide("approve"));
          reject.addEventListener("click", decide("reject"));
          parts.push(el("div", { "class": "ticket-actions" }, [approve, reject]));
        }
      }
      if (!state.readOnly && ticket.status !== "closed" && ticket.status !== "rejected") {
        var reply = el("textarea", { id: "ticket-reply", name: "text", required: "" });
        var send = el("button", { type: "submit", "class": "action" }, [t("send_reply")]);
        var form = el("form", { id: "reply-form", novalidate: "" }, [
          el("label", { "for": "ticket-reply" }, [t("your_reply")]), reply, send
        ]);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          pw.clearErrors(form);
          busy(send, call("POST", path + "/positions", { text: reply.value })).then(function () { return showTicket(box, state, id); })
            .catch(function (error) { problem(form, error, { box: result }); });
        });
        parts.push(form);
        var file = el("input", { id: "ticket-file", type: "file", accept: "application/pdf,image/png,image/jpeg" });
        var attachButton = el("button", { type: "submit" }, [t("attach")]);
        var attach = el("form", { id: "attach-form", novalidate: "" }, [
          el("label", { "for": "ticket-file" }, [t("attach_file")]), file, attachButton
        ]);
        attach.addEventListener("submit", function (event) {
          event.preventDefault();
          pw.clearErrors(attach);
          var chosen = file.files[0];
          if (!chosen) { file.focus(); return; }
          busy(attachButton, upload(path + "/attachments?file_name=" + encodeURIComponent(chosen.name), chosen))
            .then(function () { return showTicket(box, state, id); })
            .catch(function (error) { problem(attach, error, { box: result, locate: function () { return file; } }); });
        });
        parts.push(attach);
      }
      parts.push(result);
      fill(box, parts);
      back.focus();
    }).catch(P.failed(box));
  }
  function showPlanBoards(box) {
    return call("GET", "/v1/portal/plan-boards").then(function (boards) {
      if (!boards.items.length) { return; }
      return Promise.all(boards.items.map(function (b) { return call("GET", "/v1/portal/plan-boards/" + encodeURIComponent(b.id)); })).then(function (views) {
        var parts = [el("h3", {}, [t("planned_visits")])];
        views.forEach(function (view) {
          parts.push(el("h4", {}, [view.board.name]));
          if (!view.tickets.length) { parts.push(el("p", {}, [t("no_visits")])); return; }
          parts.push(table([t("time"), t("ticket"), t("ticket_title"), t("status")], view.tickets.map(function (item) {
            return [pw.dateTime(item.planned_start) + (item.planned_end ? " – " + pw.dateTime(item.planned_end) : ""), item.number, item.title, statusName(item.status)];
          }), view.board.name));
        });
        var boardBox = el("div", { id: "plan-boards" }, parts);
        box.appendChild(boardBox);
      });
    }).catch(function (error) { if (!inactive(error)) { throw error; } });
  }


  function show(box, me) {
    var planBox = el("div", {});
    var ticketBox = el("div", { id: "tickets" });
    fill(box, [ticketBox, planBox]);
    var state = { readOnly: me.read_only, board: "" };
    return Promise.all([
      showSupport(ticketBox, state).then(function () {
        var wanted = P.ticket();
        if (wanted && state.options) { return showTicket(ticketBox, state, wanted); }
      }),
      showPlanBoards(planBox)
    ]);
  }
  window.portwaySupport = Object.freeze({ show: show });
})();
