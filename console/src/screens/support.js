// Support: a customer's integration as tabs (customer accesses, areas, ticket types with the
// approval checkbox, tags, board queries, exclusion rules, plan boards), and the agents'
// inbox (filters, one ticket with its positions, internal and public replies told apart,
// assignment and status).
import { useEffect, useRef, useState } from "preact/hooks";
import { del, get, patch, post, put } from "../api.js";
import { formatDate, t } from "../i18n.js";
import { go } from "../router.js";
import { fieldErrors, html, More, Notice, Problem, SelectField, TextField, usePaged } from "../ui.js";

const TABS = ["accesses", "areas", "types", "tags", "queries", "rules", "boards"];
export const STATUSES = ["awaiting_approval", "open", "in_progress", "waiting_for_customer", "resolved", "closed", "rejected"];
const FLOW = {
  open: ["in_progress", "waiting_for_customer", "resolved", "closed"],
  in_progress: ["waiting_for_customer", "resolved"],
  waiting_for_customer: ["in_progress", "resolved"],
  resolved: ["closed", "in_progress"],
};
const enc = encodeURIComponent;

function useList(path) {
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const load = () => get(path).then((p) => { setItems(p.items); setError(null); }, setError);
  useEffect(() => { load(); }, [path]);
  return { items, error, load };
}

function Tablist({ tab, setTab }) {
  return html`<div class="tabs" role="tablist" aria-label=${t("support.title")} onKeyDown=${(e) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length];
    setTab(next);
    document.getElementById(`support-tab-${next}`)?.focus();
  }}>${TABS.map((name) => html`<button type="button" role="tab" key=${name} id=${`support-tab-${name}`}
    aria-selected=${name === tab ? "true" : "false"} aria-controls="support-panel" tabindex=${name === tab ? 0 : -1}
    onClick=${() => setTab(name)}>${t(`support.tab.${name}`)}</button>`)}</div>`;
}

/** The customer's "Support" tab: whether the integration is active, and its sub-tabs. */
export function CustomerSupport({ customerId }) {
  const base = `/v1/customers/${enc(customerId)}`;
  const [support, setSupport] = useState(null);
  const [tab, setTab] = useState("accesses");
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const areas = useList("/v1/ticket-areas?limit=100");
  const types = useList("/v1/ticket-types?limit=100");
  const people = useList(`${base}/portal/users`);
  const stored = useRef(null);
  const queue = useRef(Promise.resolve());
  const load = () => get(`${base}/support`).then((found) => { stored.current = found; setSupport(found); }, setError);
  useEffect(() => { load(); }, [customerId]);

  // A checkbox shows its new state at once; changes are sent one after the other, each on
  // the integration as last stored (so quick clicks never trip over each other's version);
  // a change that is refused goes back.
  const pending = useRef([]);
  const shown = () => Object.assign({}, stored.current, ...pending.current);
  function save(changes) {
    pending.current = [...pending.current, changes];
    setSupport(shown());
    setError(null);
    setSaved(null);
    queue.current = queue.current.then(async () => {
      const last = stored.current;
      const body = {
        active: last.active, areas: last.areas, ticket_types: last.ticket_types,
        visibility: last.visibility, approvers: last.approvers, ...changes, version: last.version || null,
      };
      try {
        stored.current = await put(`${base}/support`, body);
        setSaved(t("common.saved"));
      } catch (failure) {
        setError(failure);
      }
      pending.current = pending.current.slice(1);
      setSupport(shown());
    });
    return queue.current;
  }
  if (support === null) return html`<section class="panel"><${Problem} error=${error} /></section>`;
  const fields = fieldErrors(error);
  let panel;
  if (tab === "accesses") panel = html`<${Accesses} people=${people} support=${support} save=${save} />`;
  else if (tab === "areas") panel = html`<${Areas} areas=${areas} support=${support} save=${save} error=${fields.areas} />`;
  else if (tab === "types") panel = html`<${Types} types=${types} support=${support} save=${save} />`;
  // Tags, board queries and the customer's rules are part of its integration: after a
  // change there, the integration is read again (its version moved on).
  else if (tab === "tags") panel = html`<${Tags} base=${base} areas=${areas.items} changed=${load} />`;
  else if (tab === "queries") panel = html`<${Queries} base=${base} changed=${load} />`;
  else if (tab === "rules") panel = html`<${Rules} base=${base} areas=${areas.items} types=${types.items} changed=${load} />`;
  else panel = html`<${Boards} customerId=${customerId} />`;
  return html`<section class="panel" aria-labelledby="support-title">
    <h2 id="support-title">${t("support.title")}</h2>
    <label class="check"><input type="checkbox" id="support-active" checked=${support.active}
      onChange=${(e) => save({ active: e.currentTarget.checked })} /><span>${t("support.active")}</span></label>
    ${saved && html`<${Notice} text=${saved} />`}
    <${Problem} error=${error} />
    <${Tablist} tab=${tab} setTab=${setTab} />
    <div id="support-panel" role="tabpanel" aria-labelledby=${`support-tab-${tab}`}>${panel}</div>
  </section>`;
}

function Accesses({ people, support, save }) {
  const toggle = (id, on) => save({ approvers: on ? [...support.approvers, id] : support.approvers.filter((a) => a !== id) });
  return html`<div>
    <${SelectField} id="support-visibility" label=${t("support.visibility")} value=${support.visibility}
      onChange=${(v) => save({ visibility: v })} options=${[["own", t("support.visibility.own")], ["customer", t("support.visibility.customer")]]} />
    ${people.items.length === 0 ? html`<p>${t("support.accesses.none")}</p>` : html`<div class="table-wrap">
      <table class="table"><thead><tr><th scope="col">${t("customers.name")}</th><th scope="col">${t("customers.email")}</th>
        <th scope="col">${t("support.approver")}</th></tr></thead>
      <tbody>${people.items.map((p) => html`<tr key=${p.id}><th scope="row">${p.name}</th><td data-label=${t("customers.email")}>${p.email}</td>
        <td data-label=${t("support.approver")}><label class="check"><input type="checkbox" id=${`approver-${p.id}`}
          checked=${support.approvers.includes(p.id)} onChange=${(e) => toggle(p.id, e.currentTarget.checked)} />
          <span class="visually-hidden">${t("support.approver")}: ${p.name}</span></label></td></tr>`)}</tbody></table></div>`}
  </div>`;
}

function NewNamed({ path, label, onCreated }) {
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  async function add(e) {
    e.preventDefault();
    setError(null);
    try {
      const created = await post(path, { name });
      setName("");
      onCreated(created);
    } catch (failure) {
      setError(failure);
    }
  }
  const id = `new-${path.split("/").pop()}`;
  return html`<form class="form form--inline" onSubmit=${add} novalidate>
    <${TextField} id=${id} label=${label} value=${name} onInput=${setName} error=${fieldErrors(error).name} required />
    <button class="button">${t("common.create")}</button>
  </form>`;
}

function Areas({ areas, support, save, error }) {
  const toggle = (id, on) => save({ areas: on ? [...support.areas, id] : support.areas.filter((a) => a !== id) });
  return html`<div>
    <p class="hint">${t("support.areas.hint")}</p>
    ${error && html`<p class="error">${error}</p>`}
    <fieldset class="fieldset"><legend>${t("support.tab.areas")}</legend>
      ${areas.items.map((a) => html`<label class="check" key=${a.id}><input type="checkbox" id=${`area-${a.id}`}
        checked=${support.areas.includes(a.id)} onChange=${(e) => toggle(a.id, e.currentTarget.checked)} /><span>${a.name}</span></label>`)}
    </fieldset>
    <${NewNamed} path="/v1/ticket-areas" label=${t("support.areas.new")} onCreated=${() => areas.load()} />
  </div>`;
}

function Types({ types, support, save }) {
  const allowed = (id) => support.ticket_types.find((x) => x.type_id === id);
  const set = (id, on, approval) => {
    const rest = support.ticket_types.filter((x) => x.type_id !== id);
    save({ ticket_types: on ? [...rest, { type_id: id, requires_approval: approval }] : rest });
  };
  return html`<div>
    <p class="hint">${t("support.types.hint")}</p>
    <div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t("support.tab.types")}</th>
      <th scope="col">${t("support.types.allowed")}</th><th scope="col">${t("support.types.approval")}</th></tr></thead>
      <tbody>${types.items.map((x) => html`<tr key=${x.id}><th scope="row">${x.name}</th>
        <td data-label=${t("support.types.allowed")}><label class="check"><input type="checkbox" id=${`type-${x.id}`}
          checked=${!!allowed(x.id)} onChange=${(e) => set(x.id, e.currentTarget.checked, false)} />
          <span class="visually-hidden">${t("support.types.allowed")}: ${x.name}</span></label></td>
        <td data-label=${t("support.types.approval")}><label class="check"><input type="checkbox" id=${`approval-${x.id}`}
          disabled=${!allowed(x.id)} checked=${!!allowed(x.id)?.requires_approval}
          onChange=${(e) => set(x.id, true, e.currentTarget.checked)} />
          <span class="visually-hidden">${t("support.types.approval")}: ${x.name}</span></label></td></tr>`)}</tbody></table></div>
    <${NewNamed} path="/v1/ticket-types" label=${t("support.types.new")} onCreated=${() => types.load()} />
  </div>`;
}

function Tags({ base, areas, changed }) {
  const list = useList(`${base}/ticket-tags`);
  const tags = { ...list, load: () => { changed(); return list.load(); } };
  const empty = { name: "", description: "", area_id: "", internal_only: false };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState(null);
  async function add(e) {
    e.preventDefault();
    setError(null);
    try {
      await post(`${base}/ticket-tags`, { ...form, description: form.description || null, area_id: form.area_id || null });
      setForm(empty);
      tags.load();
    } catch (failure) {
      setError(failure);
    }
  }
  const areaName = (id) => areas.find((a) => a.id === id)?.name || t("support.tags.everywhere");
  const fields = fieldErrors(error);
  return html`<div>
    <${Problem} error=${tags.error} />
    <ul class="people">${tags.items.map((x) => html`<li key=${x.id}><strong>${x.name}</strong>
      ${x.internal_only && html` <span class="badge badge--warn">${t("support.tags.internal")}</span>`}
      <span class="muted"> · ${areaName(x.area_id)}${x.description ? ` · ${x.description}` : ""}</span>
      <button type="button" class="button button--small" onClick=${() => del(`${base}/ticket-tags/${enc(x.id)}`).then(tags.load, setError)}>${t("common.delete")}</button></li>`)}</ul>
    <form class="form" onSubmit=${add} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="tag-name" label=${t("support.tags.name")} value=${form.name} onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
      <${TextField} id="tag-description" label=${t("support.tags.description")} value=${form.description}
        onInput=${(v) => setForm({ ...form, description: v })} error=${fields.description} optional />
      <${SelectField} id="tag-area" label=${t("support.tags.area")} value=${form.area_id} onChange=${(v) => setForm({ ...form, area_id: v })}
        options=${[["", t("support.tags.everywhere")], ...areas.map((a) => [a.id, a.name])]} optional />
      <label class="check"><input type="checkbox" id="tag-internal" checked=${form.internal_only}
        onChange=${(e) => setForm({ ...form, internal_only: e.currentTarget.checked })} /><span>${t("support.tags.internal")}</span></label>
      <button class="button">${t("common.create")}</button>
    </form>
  </div>`;
}

function Queries({ base, changed }) {
  const list = useList(`${base}/board-queries`);
  const queries = { ...list, load: () => { changed(); return list.load(); } };
  const [name, setName] = useState("");
  const [statuses, setStatuses] = useState([]);
  const [error, setError] = useState(null);
  async function add(e) {
    e.preventDefault();
    setError(null);
    try {
      await post(`${base}/board-queries`, { name, filter: statuses.length ? { statuses } : {} });
      setName("");
      setStatuses([]);
      queries.load();
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<div>
    <${Problem} error=${queries.error} />
    <ul class="people">${queries.items.map((q) => html`<li key=${q.id}><strong>${q.name}</strong>
      <span class="muted"> · ${(q.filter.statuses || []).map((s) => t(`ticket.status.${s}`)).join(", ") || t("support.queries.all")}</span>
      <button type="button" class="button button--small" onClick=${() => del(`${base}/board-queries/${enc(q.id)}`).then(queries.load, setError)}>${t("common.delete")}</button></li>`)}</ul>
    <form class="form" onSubmit=${add} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="query-name" label=${t("support.queries.name")} value=${name} onInput=${setName} error=${fieldErrors(error).name} required />
      <fieldset class="fieldset"><legend>${t("support.queries.statuses")}</legend>
        ${STATUSES.map((s) => html`<label class="check" key=${s}><input type="checkbox" id=${`query-status-${s}`} checked=${statuses.includes(s)}
          onChange=${(e) => setStatuses(e.currentTarget.checked ? [...statuses, s] : statuses.filter((x) => x !== s))} /><span>${t(`ticket.status.${s}`)}</span></label>`)}
      </fieldset>
      <button class="button">${t("common.create")}</button>
    </form>
  </div>`;
}

function Rules({ base, areas, types, changed }) {
  const list = useList(`${base}/exclusion-rules`);
  const mine = { ...list, load: () => { changed(); return list.load(); } };
  const everyone = useList("/v1/exclusion-rules");
  const [form, setForm] = useState({ name: "", area_id: "", type_id: "", all: false });
  const [error, setError] = useState(null);
  async function add(e) {
    e.preventDefault();
    setError(null);
    const body = { name: form.name, area_ids: form.area_id ? [form.area_id] : [], type_ids: form.type_id ? [form.type_id] : [] };
    try {
      await post(form.all ? "/v1/exclusion-rules" : `${base}/exclusion-rules`, body);
      setForm({ name: "", area_id: "", type_id: "", all: false });
      mine.load();
      everyone.load();
    } catch (failure) {
      setError(failure);
    }
  }
  const named = (list, ids) => ids.map((id) => list.find((x) => x.id === id)?.name || id).join(", ");
  const describe = (r) => [named(areas, r.area_ids), named(types, r.type_ids)].filter(Boolean).join(" · ");
  const fields = fieldErrors(error);
  return html`<div>
    <p class="hint">${t("support.rules.hint")}</p>
    <${Problem} error=${mine.error || everyone.error} />
    <ul class="people">
      ${mine.items.map((r) => html`<li key=${r.id}><strong>${r.name}</strong><span class="muted"> · ${describe(r)}</span>
        <button type="button" class="button button--small" onClick=${() => del(`${base}/exclusion-rules/${enc(r.id)}`).then(mine.load, setError)}>${t("common.delete")}</button></li>`)}
      ${everyone.items.map((r) => html`<li key=${r.id}><strong>${r.name}</strong>
        <span class="badge badge--warn">${t("support.rules.everyone")}</span><span class="muted"> · ${describe(r)}</span></li>`)}
    </ul>
    <form class="form" onSubmit=${add} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="rule-name" label=${t("support.rules.name")} value=${form.name} onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
      <${SelectField} id="rule-area" label=${t("support.tab.areas")} value=${form.area_id} onChange=${(v) => setForm({ ...form, area_id: v })}
        options=${[["", t("support.rules.any")], ...areas.map((a) => [a.id, a.name])]} error=${fields.area_ids} optional />
      <${SelectField} id="rule-type" label=${t("support.tab.types")} value=${form.type_id} onChange=${(v) => setForm({ ...form, type_id: v })}
        options=${[["", t("support.rules.any")], ...types.map((x) => [x.id, x.name])]} optional />
      <label class="check"><input type="checkbox" id="rule-everyone" checked=${form.all}
        onChange=${(e) => setForm({ ...form, all: e.currentTarget.checked })} /><span>${t("support.rules.for_everyone")}</span></label>
      <button class="button">${t("common.create")}</button>
    </form>
  </div>`;
}

function Boards({ customerId }) {
  const boards = useList("/v1/plan-boards?limit=100");
  const [error, setError] = useState(null);
  const toggle = async (board, on) => {
    setError(null);
    const ids = on ? [...board.customer_ids, customerId] : board.customer_ids.filter((c) => c !== customerId);
    try {
      await patch(`/v1/plan-boards/${enc(board.id)}`, { customer_ids: ids, version: board.version });
      boards.load();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<div>
    <p class="hint">${t("support.boards.hint")}</p>
    <${Problem} error=${error || boards.error} />
    <fieldset class="fieldset"><legend>${t("support.tab.boards")}</legend>
      ${boards.items.map((b) => html`<label class="check" key=${b.id}><input type="checkbox" id=${`board-${b.id}`}
        checked=${b.customer_ids.includes(customerId)} onChange=${(e) => toggle(b, e.currentTarget.checked)} /><span>${b.name}</span></label>`)}
    </fieldset>
    <${NewNamed} path="/v1/plan-boards" label=${t("support.boards.new")} onCreated=${(b) => toggle(b, true)} />
  </div>`;
}

// -- the agents' inbox -----------------------------------------------------------------------

function statusBadge(status) {
  const warn = status === "awaiting_approval" || status === "waiting_for_customer";
  return html`<span class=${`badge ${warn ? "badge--warn" : "badge--ok"}`}>${t(`ticket.status.${status}`)}</span>`;
}

export function Inbox({ status, customer }) {
  const query = new URLSearchParams();
  if (status) query.set("status", status);
  if (customer) query.set("customer_id", customer);
  const list = usePaged(`/v1/tickets${query.toString() ? `?${query}` : ""}`);
  const customers = useList("/v1/customers?limit=100");
  const items = (list.items || []).slice().reverse();
  const name = (id) => customers.items.find((c) => c.id === id)?.name || id;
  const filter = (changes) => {
    const next = new URLSearchParams({ ...(status ? { status } : {}), ...(customer ? { customer } : {}), ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    go(`/tickets${next.toString() ? `?${next}` : ""}`);
  };
  return html`<section aria-labelledby="inbox-title">
    <div class="heading"><h1 id="inbox-title">${t("inbox.title")}</h1></div>
    <div class="filters">
      <${SelectField} id="inbox-status" label=${t("inbox.status")} value=${status || ""} onChange=${(v) => filter({ status: v })}
        options=${[["", t("inbox.all")], ...STATUSES.map((s) => [s, t(`ticket.status.${s}`)])]} />
      <${SelectField} id="inbox-customer" label=${t("inbox.customer")} value=${customer || ""} onChange=${(v) => filter({ customer: v })}
        options=${[["", t("inbox.all")], ...customers.items.map((c) => [c.id, c.name])]} />
    </div>
    <${Problem} error=${list.error} />
    ${items.length === 0 && !list.loading ? html`<p>${t("common.none")}</p>` : html`<div class="table-wrap" role="region" aria-labelledby="inbox-title" tabindex="0">
      <table class="table"><thead><tr><th scope="col">${t("inbox.ticket")}</th><th scope="col">${t("inbox.title_col")}</th>
        <th scope="col">${t("inbox.customer")}</th><th scope="col">${t("inbox.status")}</th><th scope="col">${t("inbox.changed")}</th></tr></thead>
      <tbody>${items.map((x) => html`<tr key=${x.id}><td>${x.number}</td>
        <th scope="row"><a href=${`#/tickets/${x.id}`}>${x.title}</a>${x.internal && html` <span class="badge badge--warn">${t("ticket.internal")}</span>`}</th>
        <td data-label=${t("inbox.customer")}>${name(x.customer_id)}</td><td data-label=${t("inbox.status")}>${statusBadge(x.status)}</td>
        <td data-label=${t("inbox.changed")}>${formatDate(x.updated_at)}</td></tr>`)}</tbody></table></div>`}
    <${More} list=${list} />
  </section>`;
}

export function TicketView({ id }) {
  const path = `/v1/tickets/${enc(id)}`;
  const [ticket, setTicket] = useState(null);
  const [positions, setPositions] = useState([]);
  const [error, setError] = useState(null);
  const [text, setText] = useState("");
  const [mode, setMode] = useState("internal");
  const [notice, setNotice] = useState(null);
  const members = useList("/v1/team/members?limit=100");
  const load = async () => {
    try {
      const [found, entries] = await Promise.all([get(path), get(`${path}/positions`)]);
      setTicket(found);
      setPositions(entries.items);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => { load(); }, [id]);
  const act = async (fn, message) => {
    setError(null);
    setNotice(null);
    try {
      await fn();
      await load();
      setNotice(message);
    } catch (failure) {
      setError(failure);
    }
  };
  if (ticket === null) return html`<section><${Problem} error=${error} />${!error && html`<p>${t("common.loading")}</p>`}</section>`;
  const reply = (e) => {
    e.preventDefault();
    act(() => post(`${path}/positions`, { text, internal: mode === "internal" }).then(() => setText("")),
      t(mode === "internal" ? "inbox.sent.internal" : "inbox.sent.public"));
  };
  return html`<section aria-labelledby="ticket-title">
    <p><a href="#/tickets">← ${t("inbox.title")}</a></p>
    <h1 id="ticket-title">${ticket.number} · ${ticket.title}</h1>
    <p>${statusBadge(ticket.status)}${ticket.internal && html` <span class="badge badge--warn">${t("ticket.internal")}</span>`}</p>
    ${notice && html`<${Notice} text=${notice} />`}
    <${Problem} error=${error} />
    ${ticket.description && html`<p class="ticket-text">${ticket.description}</p>`}
    <div class="actions">
      ${ticket.status === "awaiting_approval" && html`
        <button type="button" class="button" onClick=${() => act(() => post(`${path}/approval`, { decision: "approve" }), t("common.saved"))}>${t("inbox.approve")}</button>`}
      ${(FLOW[ticket.status] || []).map((to) => html`<button type="button" class="button" key=${to} id=${`move-${to}`}
        onClick=${() => act(() => post(`${path}/transitions`, { to }), t("common.saved"))}>${t("inbox.move", { status: t(`ticket.status.${to}`) })}</button>`)}
    </div>
    <${SelectField} id="ticket-assignee" label=${t("inbox.assignee")} value=${ticket.assignee_id || ""}
      onChange=${(v) => act(() => patch(path, { assignee_id: v || null, version: ticket.version }), t("common.saved"))}
      options=${[["", t("inbox.nobody")], ...members.items.filter((m) => m.status === "active").map((m) => [m.id, m.name || m.email])]} />
    <${Planned} ticket=${ticket} save=${(body) => act(() => patch(path, { ...body, version: ticket.version }), t("common.saved"))} />
    <h2>${t("inbox.positions")}</h2>
    <ol class="positions">${positions.map((p) => html`<li key=${p.id} class=${p.internal ? "position position--internal" : "position"}>
      <p class="muted"><span class=${`badge ${p.internal ? "badge--warn" : "badge--ok"}`}>${t(p.internal ? "inbox.internal" : "inbox.public")}</span>
        ${" "}${p.author_name || t(p.author.startsWith("portal_user:") ? "inbox.customer" : "inbox.by_api")} · ${formatDate(p.created_at)}</p>
      <p class="ticket-text">${p.text || p.file_name}</p></li>`)}</ol>
    <form class="form" onSubmit=${reply} novalidate>
      <fieldset class="fieldset"><legend>${t("inbox.reply.kind")}</legend>
        <label class="check"><input type="radio" name="reply-kind" id="reply-internal" checked=${mode === "internal"} onChange=${() => setMode("internal")} />
          <span>${t("inbox.reply.internal")}</span></label>
        <label class="check"><input type="radio" name="reply-kind" id="reply-public" checked=${mode === "public"} onChange=${() => setMode("public")} />
          <span>${t("inbox.reply.public")}</span></label>
      </fieldset>
      <div class=${`field${fieldErrors(error).text ? " field--invalid" : ""}`}>
        <label for="reply-text">${t(mode === "internal" ? "inbox.reply.internal" : "inbox.reply.public")}</label>
        <textarea id="reply-text" class=${mode === "public" ? "reply reply--public" : "reply"} value=${text}
          onInput=${(e) => setText(e.currentTarget.value)} required></textarea>
      </div>
      <button class=${`button ${mode === "public" ? "button--primary" : ""}`} id="reply-send">${t(mode === "internal" ? "inbox.send.internal" : "inbox.send.public")}</button>
    </form>
  </section>`;
}

/** `2026-12-10T08:00` (the browser's local time) from an API time, and back. */
const local = (value) => {
  if (!value) return "";
  const d = new Date(value);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};
const utc = (value) => (value ? new Date(value).toISOString() : null);

function Planned({ ticket, save }) {
  const [start, setStart] = useState(local(ticket.planned_start));
  const [end, setEnd] = useState(local(ticket.planned_end));
  return html`<form class="form form--inline" onSubmit=${(e) => { e.preventDefault(); save({ planned_start: utc(start), planned_end: utc(end) }); }} novalidate>
    <${TextField} id="planned-start" type="datetime-local" label=${t("inbox.planned.start")} value=${start} onInput=${setStart} optional />
    <${TextField} id="planned-end" type="datetime-local" label=${t("inbox.planned.end")} value=${end} onInput=${setEnd} optional />
    <button class="button" id="planned-save">${t("inbox.planned.save")}</button>
  </form>`;
}
