// Partner shares: devices shared with a partner organisation until revoked or a set time,
// every read logged; the shares others gave; the access protocol as Excel; revoking.
import { useEffect, useState } from "preact/hooks";
import { del, download, get, post } from "../api.js";
import { formatDate, t } from "../i18n.js";
import { Confirm, fieldErrors, html, More, Notice, Problem, TextField, usePaged } from "../ui.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

function Protocol({ path, share, onError }) {
  return html`<button type="button" class="button button--small"
    onClick=${() => download(path, XLSX, `${share}.xlsx`).catch(onError)}>${t("shares.protocol")}<span class="visually-hidden"> ${share}</span></button>`;
}

function NewShare({ onCreated }) {
  const [devices, setDevices] = useState([]);
  const [form, setForm] = useState({ partner: "", name: "", contact: "", until: "", chosen: [] });
  const [error, setError] = useState(null);
  useEffect(() => { get("/v1/assets?limit=100").then((p) => setDevices(p.items), setError); }, []);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const toggle = (id) => set("chosen")(form.chosen.includes(id) ? form.chosen.filter((x) => x !== id) : [...form.chosen, id]);
  async function submit(event) {
    event.preventDefault();
    setError(null);
    const body = { partner_tenant_id: form.partner.trim(), name: form.name, asset_ids: form.chosen };
    if (form.contact.trim()) body.contact_email = form.contact.trim();
    if (form.until) body.expires_at = new Date(form.until).toISOString();
    try {
      await post("/v1/shares", body);
      setForm({ partner: "", name: "", contact: "", until: "", chosen: [] });
      onCreated();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<form class="form panel" onSubmit=${submit} novalidate aria-labelledby="new-share-title">
    <h2 id="new-share-title">${t("shares.new")}</h2>
    <${Problem} error=${error} />
    <${TextField} id="share-partner" label=${t("shares.partner")} hint=${t("shares.partner.hint")} value=${form.partner}
      onInput=${set("partner")} error=${fields.partner_tenant_id} required />
    <${TextField} id="share-name" label=${t("shares.name")} value=${form.name} onInput=${set("name")} error=${fields.name} required />
    <fieldset class=${`fieldset${fields.asset_ids ? " field--invalid" : ""}`}>
      <legend>${t("shares.devices")}</legend>
      ${devices.length === 0 ? html`<p class="muted">${t("equipment.nonefree")}</p>` : html`<div class="checks">
        ${devices.map((d) => html`<label class="check" key=${d.id}><input type="checkbox" checked=${form.chosen.includes(d.id)}
          onChange=${() => toggle(d.id)} /><span>${d.name}${d.serial_number ? html` <span class="muted">(${d.serial_number})</span>` : ""}</span></label>`)}
      </div>`}
      ${fields.asset_ids && html`<p class="error">${t("shares.devices.needed")}</p>`}
    </fieldset>
    <${TextField} id="share-contact" label=${t("shares.contact")} type="email" value=${form.contact} onInput=${set("contact")}
      error=${fields.contact_email} optional />
    <${TextField} id="share-until" label=${t("shares.until")} type="datetime-local" value=${form.until} onInput=${set("until")}
      error=${fields.expires_at} optional />
    <button class="button button--primary">${t("shares.create")}</button>
  </form>`;
}

export function Shares() {
  const grantedList = usePaged("/v1/shares");
  const receivedList = usePaged("/v1/received-shares");
  const [granted, received] = [grantedList.items, receivedList.items];
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const load = () => { grantedList.reload(); receivedList.reload(); };
  async function revoke() {
    const share = revoking;
    setRevoking(null);
    try {
      await del(`/v1/shares/${share.id}`);
      setNotice(t("shares.revoked", { name: share.name }));
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const status = (s) => t(`shares.status.${s.status}`) + (s.expires_at ? ` · ${t("shares.until.short", { time: formatDate(s.expires_at) })}` : "");
  return html`<section aria-labelledby="shares-title">
    <h1 id="shares-title">${t("shares.title")}</h1>
    ${notice && html`<${Notice} text=${notice} />`}
    <${Problem} error=${error || grantedList.error || receivedList.error} />
    <h2 id="granted-title">${t("shares.granted")}</h2>
    ${granted === null ? html`<p>${t("common.loading")}</p>` : granted.length === 0 ? html`<p>${t("common.none")}</p>` : html`
    <ul class="people" aria-labelledby="granted-title">${granted.map((s) => html`<li key=${s.id}>
      <span><strong>${s.name}</strong> <span class="muted">${s.partner_tenant_id} · ${t("shares.count", { count: s.asset_ids.length })} · ${status(s)}</span></span>
      <span class="actions">
        <${Protocol} path=${`/v1/shares/${s.id}/access-log.xlsx`} share=${s.name} onError=${setError} />
        ${s.status === "active" && html`<button type="button" class="button button--small" onClick=${() => setRevoking(s)}>${t("shares.revoke")}<span class="visually-hidden"> ${s.name}</span></button>`}
      </span></li>`)}</ul>`}
    <${More} list=${grantedList} />
    <${NewShare} onCreated=${() => { setNotice(t("shares.created")); load(); }} />
    <h2 id="received-title">${t("shares.received")}</h2>
    ${received === null ? html`<p>${t("common.loading")}</p>` : received.length === 0 ? html`<p>${t("common.none")}</p>` : html`
    <ul class="people" aria-labelledby="received-title">${received.map((s) => html`<li key=${s.id}>
      <span><strong>${s.name}</strong> <span class="muted">${t("shares.from", { sender: s.sender_name })} · ${t("shares.count", { count: s.asset_count })} · ${status(s)}</span></span>
      <span class="actions"><${Protocol} path=${`/v1/received-shares/${s.id}/access-log.xlsx`} share=${s.name} onError=${setError} /></span>
    </li>`)}</ul>`}
    <${More} list=${receivedList} />
    <${Confirm} open=${revoking !== null} text=${revoking ? t("shares.revoke.confirm", { name: revoking.name }) : ""}
      action=${t("shares.revoke")} onConfirm=${revoke} onCancel=${() => setRevoking(null)} />
  </section>`;
}
