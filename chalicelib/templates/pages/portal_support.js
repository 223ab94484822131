// The portal's support app (loaded by the portal page only where it shows a support
// section): the tickets a person sees by board query, a new ticket, one ticket with its
// public positions and attachments, replies, approval, and the plan boards.
(function () {
  "use strict";
  var P = window.portwayPortal;
  var call = P.call, session = P.session, refresh = P.refresh, message = P.message;
  var table = P.table, when = P.when, text = P.text, config = P.config;
  var el = window.portway.el;
  // The provider's name, as the page's header shows it (its logo's text otherwise).
  var header = document.querySelector(".menu strong") || document.querySelector(".menu img");
  var provider = header ? (header.textContent || header.getAttribute("alt") || "") : "";
  var fill = window.portway.fill;
  // A file to or from the API with the session (refreshed once if it ran out).
  function transfer(method, path, body, type, retried) {
    var current = session();
    var headers = { Authorization: "Bearer " + (current && current.access) };
    headers[method === "GET" ? "Accept" : "Content-Type"] = type;
    return fetch(path, { method: method, headers: headers, body: body }).then(function (response) {
      if (response.status === 401 && current && current.refresh && !retried) {
        return refresh(current.refresh).then(function () { return transfer(method, path, body, type, true); });
      }
      if (!response.ok) {
        return response.json().then(function (data) { var error = new Error(data.detail || text.failed); error.problem = data; throw error; });
      }
      return response;
    });
  }
  function statusName(status) { return text["status_" + status] || status; }
  function fieldErrors(form, error) {
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
    var errors = (error.problem || {}).errors || [];
    errors.forEach(function (e) {
      var input = form.querySelector("[name='" + String(e.field).split(/[.[]/)[0] + "']");
      if (input) { input.setAttribute("aria-invalid", "true"); }
    });
    return errors.length ? new Error(text.check_fields) : error;
  }
  function showSupport(box, state) {
    return call("GET", "/v1/portal/ticket-options?language=" + encodeURIComponent(config.language)).then(function (options) {
      state.options = options;
      return call("GET", "/v1/portal/board-queries").then(function (boards) {
        state.boards = boards.items;
        return showTickets(box, state);
      });
    }).catch(function (error) {
      if (((error.problem || {}).reason) === "support_inactive") { fill(box, [el("p", {}, [text.support_inactive])]); return; }
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
      if (notice) { parts.push(el("p", { role: "status", "class": "note" }, [notice])); }
      if (state.boards.length) {
        var select = el("select", { id: "ticket-board" }, [el("option", { value: "" }, [text.all_tickets])].concat(
          state.boards.map(function (b) { return el("option", { value: b.id }, [b.name]); })));
        select.value = state.board || "";
        select.addEventListener("change", function () { state.board = select.value; showTickets(box, state); });
        parts.push(el("label", { "for": "ticket-board" }, [text.board]), select);
      }
      if (!page.items.length) { parts.push(el("p", {}, [text.no_tickets])); } else {
        parts.push(table([text.ticket, text.ticket_title, text.status, text.last_change], page.items.map(function (t) {
          return [t.number, el("a", { href: "#", "data-ticket": t.id }, [t.title]), statusName(t.status), when(t.updated_at)];
        })));
      }
      if (!state.readOnly) { parts.push(newTicketForm(box, state)); }
      fill(box, parts);
      box.querySelectorAll("a[data-ticket]").forEach(function (link) {
        link.addEventListener("click", function (event) { event.preventDefault(); showTicket(box, state, link.getAttribute("data-ticket")); });
      });
    });
  }
  function newTicketForm(box, state) {
    var options = state.options;
    var area = el("select", { id: "ticket-area", name: "area_id", required: "" }, options.areas.map(function (a) { return el("option", { value: a.id }, [a.name]); }));
    var kind = el("select", { id: "ticket-type", name: "type_id", required: "" }, options.ticket_types.map(function (t) {
      return el("option", { value: t.id }, [t.requires_approval ? t.name + " (" + text.needs_approval + ")" : t.name]);
    }));
    // The tags the person may set, those of the chosen area (or of every area).
    var tags = el("fieldset", { id: "ticket-tags", name: "tag_ids" });
    function showTags() {
      var offered = options.tags.filter(function (tag) { return !tag.area_id || tag.area_id === area.value; });
      fill(tags, offered.length ? [el("legend", {}, [text.tags])].concat(offered.map(function (tag) {
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
    var form = el("form", { id: "ticket-form", novalidate: "" }, [
      el("h3", {}, [text.new_ticket]),
      el("label", { "for": "ticket-area" }, [text.area]), area,
      el("label", { "for": "ticket-type" }, [text.ticket_type]), kind, tags,
      el("label", { "for": "ticket-title" }, [text.ticket_title]), title,
      el("label", { "for": "ticket-description" }, [text.description]), description,
      el("button", { type: "submit", "class": "action" }, [text.send_ticket]), result
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = Array.prototype.map.call(tags.querySelectorAll("input:checked"), function (box) { return box.value; });
      call("POST", "/v1/portal/tickets", { area_id: area.value, type_id: kind.value, title: title.value, description: description.value, tag_ids: chosen })
        .then(function (ticket) { return showTickets(box, state, text.ticket_sent.replace("{number}", ticket.number)); })
        .catch(function (error) { if (!error.handled) { message(result, fieldErrors(form, error)); } });
    });
    return form;
  }
  function showTicket(box, state, id) {
    var path = "/v1/portal/tickets/" + encodeURIComponent(id);
    return Promise.all([call("GET", path), call("GET", path + "/positions")]).then(function (got) {
      var ticket = got[0];
      var options = state.options;
      var back = el("button", { type: "button", id: "ticket-back" }, [text.back]);
      back.addEventListener("click", function () { showTickets(box, state); });
      var parts = [back, el("h3", {}, [ticket.number + " · " + ticket.title]),
        el("p", {}, [statusName(ticket.status) + " · " + named(options.areas, ticket.area_id) + " · " + named(options.ticket_types, ticket.type_id)])];
      if (ticket.description) { parts.push(el("div", { "class": "ticket-entry" }, [el("p", {}, [ticket.description])])); }
      var result = el("div", { id: "ticket-action-result" });
      got[1].items.forEach(function (entry) {
        var who = entry.from_provider ? (entry.author_name || provider) : (entry.author_name || text.you);
        var body = el("p", {}, [entry.text || ""]);
        if (entry.kind === "attachment") {
          body = el("button", { type: "button", "class": "link", "data-attachment": entry.id }, [entry.file_name]);
          body.addEventListener("click", function () {
            transfer("GET", path + "/attachments/" + encodeURIComponent(entry.id), undefined, entry.content_type)
              .then(function (response) { return window.portway.download(response, entry.file_name); })
              .catch(function (error) { message(result, error); });
          });
        }
        parts.push(el("div", { "class": "ticket-entry" }, [el("p", { "class": "muted" }, [who + " · " + when(entry.created_at)]), body]));
      });
      if (ticket.status === "awaiting_approval") {
        parts.push(el("p", { "class": "note" }, [ticket.can_approve ? text.awaits_you : text.awaits_approval]));
        if (ticket.can_approve && !state.readOnly) {
          var decide = function (decision) {
            return function () {
              call("POST", path + "/approval", { decision: decision }).then(function () { return showTicket(box, state, id); })
                .catch(function (error) { if (!error.handled) { message(result, error); } });
            };
          };
          var approve = el("button", { type: "button", "class": "action", id: "ticket-approve" }, [text.approve]);
          var reject = el("button", { type: "button", id: "ticket-reject" }, [text.reject]);
          approve.addEventListener("click", decide("approve"));
          reject.addEventListener("click", decide("reject"));
          parts.push(el("div", { "class": "ticket-actions" }, [approve, reject]));
        }
      }
      if (!state.readOnly && ticket.status !== "closed" && ticket.status !== "rejected") {
        var reply = el("textarea", { id: "ticket-reply", name: "text", required: "" });
        var form = el("form", { id: "reply-form", novalidate: "" }, [
          el("label", { "for": "ticket-reply" }, [text.your_reply]), reply,
          el("button", { type: "submit", "class": "action" }, [text.send_reply])
        ]);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          call("POST", path + "/positions", { text: reply.value }).then(function () { return showTicket(box, state, id); })
            .catch(function (error) { if (!error.handled) { message(result, fieldErrors(form, error)); } });
        });
        parts.push(form);
        var file = el("input", { id: "ticket-file", type: "file", accept: "application/pdf,image/png,image/jpeg" });
        var attach = el("form", { id: "attach-form", novalidate: "" }, [
          el("label", { "for": "ticket-file" }, [text.attach_file]), file,
          el("button", { type: "submit" }, [text.attach])
        ]);
        attach.addEventListener("submit", function (event) {
          event.preventDefault();
          var chosen = file.files[0];
          if (!chosen) { file.focus(); return; }
          transfer("POST", path + "/attachments?file_name=" + encodeURIComponent(chosen.name), chosen, chosen.type || "application/octet-stream")
            .then(function () { return showTicket(box, state, id); })
            .catch(function (error) { message(result, error); });
        });
        parts.push(attach);
      }
      parts.push(result);
      fill(box, parts);
      back.focus();
    }).catch(function (error) { if (!error.handled) { message(box, error); } });
  }
  function showPlanBoards(box) {
    return call("GET", "/v1/portal/plan-boards").then(function (boards) {
      if (!boards.items.length) { return; }
      return Promise.all(boards.items.map(function (b) { return call("GET", "/v1/portal/plan-boards/" + encodeURIComponent(b.id)); })).then(function (views) {
        var parts = [el("h3", {}, [text.planned_visits])];
        views.forEach(function (view) {
          parts.push(el("h4", {}, [view.board.name]));
          if (!view.tickets.length) { parts.push(el("p", {}, [text.no_visits])); return; }
          parts.push(table([text.time, text.ticket, text.ticket_title, text.status], view.tickets.map(function (t) {
            return [when(t.planned_start) + (t.planned_end ? " – " + when(t.planned_end) : ""), t.number, t.title, statusName(t.status)];
          })));
        });
        var boardBox = el("div", { id: "plan-boards" }, parts);
        box.appendChild(boardBox);
      });
    }).catch(function (error) { if (((error.problem || {}).reason) !== "support_inactive") { throw error; } });
  }


  function show(box, me) {
    var planBox = el("div", {});
    var ticketBox = el("div", { id: "tickets" });
    fill(box, [ticketBox, planBox]);
    var state = { readOnly: me.read_only, board: "" };
    return Promise.all([
      showSupport(ticketBox, state).then(function () {
        var wanted = (window.location.hash.match(/ticket=([A-Za-z0-9_-]+)/) || [])[1];
        if (wanted && state.options) { return showTicket(ticketBox, state, wanted); }
      }),
      showPlanBoards(planBox)
    ]);
  }
  window.portwaySupport = Object.freeze({ show: show });
})();
