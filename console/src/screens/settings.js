// Settings: the person's second factor, and for admins the team's sign-in rule, the origins
// allowed to embed the pages, API keys, webhooks and the audit log.
import { useEffect, useState } from "preact/hooks";
import { del, get, post, put } from "../api.js";
import { formatDate, t } from "../i18n.js";
import { Confirm, fieldErrors, html, More, Notice, Problem, TextField, usePaged } from "../ui.js";
import { SecondFactor } from "./mfa.js";

function Secret({ label, value }) {
  return html`<div class="notice notice--warn" role="status">
    <p>${label}</p><p><code class="secret">${value}</code></p>
  </div>`;
}

function TeamRule() {
  const [required, setRequired] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => { get("/v1/team/settings").then((s) => setRequired(s.require_second_factor), setError); }, []);
  async function change(value) {
    setError(null);
    setSaved(false);
    try {
      setRequired((await put("/v1/team/settings", { require_second_factor: value })).require_second_factor);
      setSaved(true);
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<section class="panel" aria-labelledby="rule-title">
    <h2 id="rule-title">${t("settings.rule")}</h2>
    <${Problem} error=${error} />
    ${saved && html`<${Notice} text=${t("common.saved")} />`}
    ${required !== null && html`<label class="check"><input type="checkbox" checked=${required}
      onChange=${(e) => change(e.currentTarget.checked)} /><span>${t("settings.rule.require")}</span></label>`}
  </section>`;
}

function Embedding() {
  const [origins, setOrigins] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => { get("/v1/settings/embedding").then((e) => setOrigins(e.allowed_origins.join("\n")), setError); }, []);
  async function save(event) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    const list = origins.split(/\s+/).map((o) => o.trim()).filter(Boolean);
    try {
      setOrigins((await put("/v1/settings/embedding", { allowed_origins: list })).allowed_origins.join("\n"));
      setSaved(true);
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  const wrong = Object.entries(fields).filter(([k]) => k.startsWith("allowed_origins"));
  return html`<form class="panel form" onSubmit=${save} novalidate aria-labelledby="embedding-title">
    <h2 id="embedding-title">${t("settings.embedding")}</h2>
    <${Problem} error=${error} />
    ${saved && html`<${Notice} text=${t("common.saved")} />`}
    ${origins !== null && html`<div class=${`field${wrong.length ? " field--invalid" : ""}`}>
      <label for="origins">${t("settings.embedding.origins")}</label>
      <textarea id="origins" rows="4" value=${origins} onInput=${(e) => setOrigins(e.currentTarget.value)}
        aria-describedby="origins-hint"></textarea>
      <p class="hint" id="origins-hint">${t("settings.embedding.hint")}</p>
      ${wrong.map(([k]) => html`<p class="error" key=${k}>${t("settings.embedding.wrong", { line: Number(k.split(".")[1] ?? 0) + 1 })}</p>`)}
    </div>`}
    <button class="button button--primary">${t("common.save")}</button>
  </form>`;
}

function ApiKeys() {
  const list = usePaged("/v1/api-keys");
  const keys = (list.items || []).filter((k) => !k.revoked_at);
  const [name, setName] = useState("");
  const [scope, setScope] = useState("read");
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const load = list.reload;
  async function create(event) {
    event.preventDefault();
    setError(null);
    try {
      setCreated(await post("/v1/api-keys", { name, scopes: [scope] }));
      setName("");
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  async function revoke() {
    const key = revoking;
    setRevoking(null);
    try {
      await del(`/v1/api-keys/${key.id}`);
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<section class="panel" aria-labelledby="keys-title">
    <h2 id="keys-title">${t("settings.keys")}</h2>
    <${Problem} error=${error} />
    ${created && html`<${Secret} label=${t("settings.keys.once")} value=${created.key} />`}
    <ul class="people">${keys.map((k) => html`<li key=${k.id}>
      <span><strong>${k.name}</strong> <span class="muted">${k.scopes.join(", ")} · ${formatDate(k.created_at)}</span></span>
      <button type="button" class="button button--small" onClick=${() => setRevoking(k)}>${t("shares.revoke")}<span class="visually-hidden"> ${k.name}</span></button>
    </li>`)}</ul>
    <${More} list=${list} />
    <form class="form" onSubmit=${create} novalidate>
      <${TextField} id="key-name" label=${t("settings.keys.name")} value=${name} onInput=${setName} error=${fieldErrors(error).name} required />
      <div class="field"><label for="key-scope">${t("settings.keys.scope")}</label>
        <select id="key-scope" value=${scope} onChange=${(e) => setScope(e.currentTarget.value)}>
          ${["read", "write", "admin"].map((s) => html`<option value=${s} selected=${s === scope}>${t(`settings.scope.${s}`)}</option>`)}
        </select></div>
      <button class="button button--primary">${t("settings.keys.create")}</button>
    </form>
    <${Confirm} open=${revoking !== null} text=${revoking ? t("settings.keys.revoke.confirm", { name: revoking.name }) : ""}
      action=${t("shares.revoke")} onConfirm=${revoke} onCancel=${() => setRevoking(null)} />
  </section>`;
}

function Webhooks() {
  const list = usePaged("/v1/webhook-endpoints");
  const endpoints = list.items || [];
  const [form, setForm] = useState({ url: "", events: "*" });
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const load = list.reload;
  async function create(event) {
    event.preventDefault();
    setError(null);
    try {
      const events = form.events.split(/[\s,]+/).filter(Boolean);
      setCreated(await post("/v1/webhook-endpoints", { url: form.url.trim(), events }));
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<section class="panel" aria-labelledby="hooks-title">
    <h2 id="hooks-title">${t("settings.webhooks")}</h2>
    <${Problem} error=${error} />
    ${created && html`<${Secret} label=${t("settings.webhooks.once")} value=${created.secret} />`}
    <ul class="people">${endpoints.map((e) => html`<li key=${e.id}>
      <span><strong>${e.url}</strong> <span class="muted">${e.events.join(", ")}</span></span></li>`)}</ul>
    <${More} list=${list} />
    <form class="form" onSubmit=${create} novalidate>
      <${TextField} id="hook-url" label=${t("settings.webhooks.url")} type="url" value=${form.url}
        onInput=${(v) => setForm({ ...form, url: v })} error=${fields.url} required />
      <${TextField} id="hook-events" label=${t("settings.webhooks.events")} hint=${t("settings.webhooks.events.hint")}
        value=${form.events} onInput=${(v) => setForm({ ...form, events: v })} error=${fields.events || fields["events.0"]} />
      <button class="button button--primary">${t("settings.webhooks.create")}</button>
    </form>
  </section>`;
}

function AuditLog() {
  const [items, setItems] = useState([]);
  const [names, setNames] = useState({});
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  async function load(after) {
    try {
      const page = await get(`/v1/audit-events?limit=25${after ? `&cursor=${encodeURIComponent(after)}` : ""}`);
      setItems((before) => (after ? [...before, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => {
    load(null);
    get("/v1/team/members?limit=100").then((p) => {
      const found = {};
      for (const m of p.items) found[`member:${m.id}`] = m.name || m.email;
      setNames(found);
    }, () => {});
  }, []);
  return html`<section class="panel panel--wide" aria-labelledby="audit-title">
    <h2 id="audit-title">${t("settings.audit")}</h2>
    <${Problem} error=${error} />
    <div class="table-wrap" role="region" aria-labelledby="audit-title" tabindex="0">
      <table class="table">
        <thead><tr><th scope="col">${t("settings.audit.time")}</th><th scope="col">${t("settings.audit.who")}</th>
          <th scope="col">${t("settings.audit.what")}</th><th scope="col">${t("settings.audit.object")}</th></tr></thead>
        <tbody>${items.map((e) => html`<tr key=${e.id}>
          <th scope="row">${formatDate(e.time)}</th>
          <td data-label=${t("settings.audit.who")}>${names[e.actor] || e.actor}${e.on_behalf_of ? ` (${names[e.on_behalf_of] || e.on_behalf_of})` : ""}</td>
          <td data-label=${t("settings.audit.what")}><code>${e.action}</code></td>
          <td data-label=${t("settings.audit.object")}>${e.object_id || ""}</td>
        </tr>`)}</tbody>
      </table>
    </div>
    ${cursor && html`<button type="button" class="button" onClick=${() => load(cursor)}>${t("common.more")}</button>`}
  </section>`;
}

export function Settings({ me, refreshMe }) {
  const admin = me.scopes.includes("admin");
  return html`<div>
    <h1>${t("nav.settings")}</h1>
    <${SecondFactor} required=${false} onDone=${refreshMe} />
    ${admin && html`<${TeamRule} /><${Embedding} /><${ApiKeys} /><${Webhooks} /><${AuditLog} />`}
  </div>`;
}
