// Equipment: the list with each machine's latest activity and customer, a new machine, and
// a customer's equipment (which of the tenant's machines it holds).
import { useEffect, useState } from "preact/hooks";
import { get, post, put } from "../api.js";
import { formatDate, t } from "../i18n.js";
import { go } from "../router.js";
import { fieldErrors, html, Notice, More, Problem, Search, usePaged, SelectField, TextField } from "../ui.js";

const KINDS = ["machine", "vehicle", "trailer", "container", "gps_device", "tool", "other"];
const kindOptions = () => KINDS.map((k) => [k, t(`equipment.kind.${k}`)]);

function activity(asset) {
  const last = asset.last_event;
  if (!last) return t("equipment.noactivity");
  const parts = [formatDate(last.time)];
  if (last.status) parts.push(last.status);
  if (last.operating_hours !== null && last.operating_hours !== undefined) {
    parts.push(t("equipment.hours", { hours: last.operating_hours }));
  }
  return parts.join(" · ");
}

async function customerNames() {
  const names = {};
  for (const c of (await get("/v1/customers?limit=100")).items) names[c.id] = c.name;
  return names;
}

export function EquipmentList({ q }) {
  const list = usePaged(q ? `/v1/assets?q=${encodeURIComponent(q)}` : "/v1/assets");
  const items = list.items || [];
  const state = { loading: list.loading, error: list.error };
  const [names, setNames] = useState({});
  useEffect(() => { customerNames().then(setNames, () => {}); }, []);

  return html`<section aria-labelledby="equipment-title">
    <div class="heading">
      <h1 id="equipment-title">${t("equipment.title")}</h1>
      <a class="button button--primary" href="#/equipment/new">${t("equipment.new")}</a>
    </div>
    <${Search} id="equipment-search" label=${t("equipment.search")} value=${q} base="/equipment" />
    <${Problem} error=${state.error} />
    ${items.length === 0 && !state.loading && !state.error ? html`<p>${q ? t("common.nomatch", { q }) : t("common.none")}</p>` : html`
    <div class="table-wrap" role="region" aria-labelledby="equipment-title" tabindex="0">
      <table class="table">
        <thead><tr>
          <th scope="col">${t("equipment.name")}</th><th scope="col">${t("equipment.kind")}</th>
          <th scope="col">${t("equipment.serial")}</th><th scope="col">${t("equipment.customer")}</th>
          <th scope="col">${t("equipment.activity")}</th>
        </tr></thead>
        <tbody>${items.map((a) => html`<tr key=${a.id}>
          <th scope="row">${a.name}</th>
          <td data-label=${t("equipment.kind")}>${t(`equipment.kind.${a.kind}`)}</td>
          <td data-label=${t("equipment.serial")}>${a.serial_number || ""}</td>
          <td data-label=${t("equipment.customer")}>${a.customer_id
            ? html`<a href=${`#/customers/${a.customer_id}`}>${names[a.customer_id] || a.customer_id}</a>` : ""}</td>
          <td data-label=${t("equipment.activity")}>${activity(a)}</td>
        </tr>`)}</tbody>
      </table>
    </div>`}
    <p class="muted" aria-live="polite">${state.loading ? t("common.loading") : t("customers.count", { count: items.length })}</p>
    <${More} list=${list} />
  </section>`;
}

export function NewEquipment() {
  const [form, setForm] = useState({ name: "", serial_number: "", kind: "machine" });
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    setError(null);
    try {
      await post("/v1/assets", { name: form.name, kind: form.kind, serial_number: form.serial_number || null });
      go("/equipment");
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<section aria-labelledby="new-equipment-title">
    <h1 id="new-equipment-title">${t("equipment.new")}</h1>
    <${Problem} error=${error} />
    <form class="form" onSubmit=${submit} novalidate>
      <${TextField} id="equipment-name" label=${t("equipment.name")} value=${form.name}
        onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
      <${SelectField} id="equipment-kind" label=${t("equipment.kind")} value=${form.kind}
        onChange=${(v) => setForm({ ...form, kind: v })} error=${fields.kind} options=${kindOptions()} />
      <${TextField} id="equipment-serial" label=${t("equipment.serial")} value=${form.serial_number}
        onInput=${(v) => setForm({ ...form, serial_number: v })} error=${fields.serial_number} optional />
      <div class="actions">
        <button class="button button--primary">${t("common.create")}</button>
        <a class="button" href="#/equipment">${t("common.cancel")}</a>
      </div>
    </form>
  </section>`;
}

/** Which of the tenant's machines the customer holds: ticked ones, saved as the whole set. */
export function CustomerEquipment({ customerId }) {
  const [assets, setAssets] = useState([]);
  const [chosen, setChosen] = useState(new Set());
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);

  async function load() {
    try {
      const all = (await get("/v1/assets?limit=100")).items;
      setAssets(all);
      setChosen(new Set(all.filter((a) => a.customer_id === customerId).map((a) => a.id)));
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => { load(); }, [customerId]);

  function toggle(id) {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
    setSaved(false);
  }

  async function save(event) {
    event.preventDefault();
    setError(null);
    try {
      await put(`/v1/customers/${encodeURIComponent(customerId)}/assets`, { asset_ids: [...chosen] });
      setSaved(true);
      load();
    } catch (failure) {
      setError(failure);
    }
  }

  const free = assets.filter((a) => !a.customer_id || a.customer_id === customerId);
  return html`<form class="panel" onSubmit=${save} aria-labelledby="assign-title">
    <h2 id="assign-title">${t("equipment.assigned")}</h2>
    ${saved && html`<${Notice} text=${t("common.saved")} />`}
    <${Problem} error=${error} />
    ${free.length === 0 ? html`<p>${t("equipment.nonefree")}</p>` : html`<fieldset class="checks">
      <legend class="visually-hidden">${t("equipment.assigned")}</legend>
      ${free.map((a) => html`<label key=${a.id} class="check">
        <input type="checkbox" checked=${chosen.has(a.id)} onChange=${() => toggle(a.id)} />
        <span>${a.name}${a.serial_number ? html` <span class="muted">(${a.serial_number})</span>` : ""}</span>
      </label>`)}
    </fieldset>`}
    <button class="button button--primary">${t("equipment.assign")}</button>
  </form>`;
}
