// Customers: the list (paged by the server), a new customer, one customer to edit or delete
// (with what holds it, when it cannot go yet).
import { useEffect, useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api.js";
import { formatDate, LANGUAGES, t } from "../i18n.js";
import { go } from "../router.js";
import { Confirm, fieldErrors, html, Notice, More, Problem, Search, usePaged, SelectField, TextField } from "../ui.js";

const TYPES = ["end_customer", "dealer", "service_partner"];

function typeOptions(current) {
  const known = TYPES.map((v) => [v, t(`customers.type.${v}`)]);
  const extra = current && !TYPES.includes(current) ? [[current, current]] : [];
  return [["", t("customers.type.none")], ...known, ...extra];
}

const languageOptions = () => [["", t("customers.type.none")], ...LANGUAGES.map((l) => [l, t(`language.${l}`)])];

export function CustomerList({ q }) {
  const list = usePaged(q ? `/v1/customers?q=${encodeURIComponent(q)}` : "/v1/customers");
  const items = list.items || [];
  const state = { loading: list.loading, error: list.error };

  return html`<section aria-labelledby="customers-title">
    <div class="heading">
      <h1 id="customers-title">${t("customers.title")}</h1>
      <div class="actions">
        <a class="button button--primary" href="#/customers/new">${t("customers.new")}</a>
        <a class="button" href="#/customers/import">${t("customers.import")}</a>
      </div>
    </div>
    <${Search} id="customers-search" label=${t("customers.search")} value=${q} base="/customers" />
    <${Problem} error=${state.error} />
    ${items.length === 0 && !state.loading && !state.error ? html`<p>${q ? t("common.nomatch", { q }) : t("common.none")}</p>` : html`
    <div class="table-wrap" role="region" aria-labelledby="customers-title" tabindex="0">
      <table class="table">
        <thead><tr>
          <th scope="col">${t("customers.name")}</th>
          <th scope="col">${t("customers.type")}</th>
          <th scope="col">${t("nav.equipment")}</th>
          <th scope="col">${t("customers.email")}</th>
        </tr></thead>
        <tbody>${items.map((c) => html`<tr key=${c.id}>
          <th scope="row"><a href=${`#/customers/${c.id}`}>${c.name}</a></th>
          <td data-label=${t("customers.type")}>${c.customer_type ? (TYPES.includes(c.customer_type) ? t(`customers.type.${c.customer_type}`) : c.customer_type) : ""}</td>
          <td data-label=${t("nav.equipment")}>${c.asset_count}</td>
          <td data-label=${t("customers.email")}>${c.email || ""}</td>
        </tr>`)}</tbody>
      </table>
    </div>`}
    <p class="muted" aria-live="polite">${state.loading ? t("common.loading") : t("customers.count", { count: items.length })}</p>
    <${More} list=${list} />
  </section>`;
}

function bodyOf(form) {
  const value = (v) => (v === "" ? null : v);
  return {
    name: form.name,
    customer_type: value(form.customer_type),
    external_id: value(form.external_id),
    language: value(form.language),
    email: value(form.email),
  };
}

function CustomerForm({ form, setForm, error, onSubmit, submitLabel, busy }) {
  const fields = fieldErrors(error);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  return html`<form onSubmit=${onSubmit} novalidate class="form">
    <${TextField} id="customer-name" label=${t("customers.name")} value=${form.name} onInput=${set("name")}
      error=${fields.name} required />
    <${SelectField} id="customer-type" label=${t("customers.type")} value=${form.customer_type}
      onChange=${set("customer_type")} error=${fields.customer_type} options=${typeOptions(form.customer_type)} optional />
    <${SelectField} id="customer-language" label=${t("customers.language")} value=${form.language}
      onChange=${set("language")} error=${fields.language} options=${languageOptions()} optional />
    <${TextField} id="customer-email" label=${t("customers.email")} type="email" value=${form.email}
      onInput=${set("email")} error=${fields.email} optional />
    <${TextField} id="customer-external" label=${t("customers.external_id")} value=${form.external_id}
      onInput=${set("external_id")} error=${fields.external_id} optional />
    <div class="actions">
      <button class="button button--primary" disabled=${busy}>${busy ? t("common.saving") : submitLabel}</button>
      <a class="button" href="#/customers">${t("common.cancel")}</a>
    </div>
  </form>`;
}

const EMPTY = { name: "", customer_type: "", external_id: "", language: "", email: "" };

export function NewCustomer() {
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await post("/v1/customers", bodyOf(form));
      go(`/customers/${created.id}?created=1`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return html`<section aria-labelledby="new-customer-title">
    <h1 id="new-customer-title">${t("customers.new")}</h1>
    <${Problem} error=${error} />
    <${CustomerForm} form=${form} setForm=${setForm} error=${error} onSubmit=${submit}
      submitLabel=${t("common.create")} busy=${busy} />
  </section>`;
}

function Units({ customerId }) {
  const [units, setUnits] = useState([]);
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const path = `/v1/customers/${encodeURIComponent(customerId)}/business-units`;
  const load = () => get(`${path}?limit=100`).then((p) => setUnits(p.items), setError);
  useEffect(() => { load(); }, [customerId]);
  async function add(event) {
    event.preventDefault();
    setError(null);
    try {
      await post(path, { name });
      setName("");
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<div class="panel" aria-labelledby="units-title">
    <h2 id="units-title">${t("customers.units")}</h2>
    ${units.length > 0 && html`<ul class="people">${units.map((u) => html`<li key=${u.id}>${u.name}</li>`)}</ul>`}
    <form class="form" onSubmit=${add} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="unit-name" label=${t("customers.unit.new")} value=${name} onInput=${setName} error=${fieldErrors(error).name} required />
      <button class="button">${t("common.create")}</button>
    </form>
  </div>`;
}

function heldText(error, name) {
  const held = (error instanceof ApiError && error.problem.held_by) || {};
  const reasons = [];
  if (held.asset_count) reasons.push(t("customers.held.assets"));
  if (held.portal_ids) reasons.push(t("customers.held.portal"));
  if (held.contract_count) reasons.push(t("customers.held.contracts"));
  if (held.share_ids) reasons.push(t("customers.held.shares"));
  return reasons.length ? t("customers.delete.held", { name, held: reasons.join(", ") }) : null;
}

export function CustomerDetail({ id, created }) {
  const [customer, setCustomer] = useState(null);
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(created ? t("customers.created") : null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  async function load() {
    setError(null);
    try {
      const found = await get(`/v1/customers/${encodeURIComponent(id)}`);
      setCustomer(found);
      setForm({
        name: found.name, customer_type: found.customer_type || "", external_id: found.external_id || "",
        language: found.language || "", email: found.email || "",
      });
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => { load(); }, [id]);

  async function save(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const updated = await patch(`/v1/customers/${encodeURIComponent(id)}`, { ...bodyOf(form), version: customer.version });
      setCustomer(updated);
      setSaved(t("common.saved"));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setConfirming(false);
    setError(null);
    try {
      await del(`/v1/customers/${encodeURIComponent(id)}`);
      go("/customers");
    } catch (failure) {
      setError(failure);
    }
  }

  if (customer === null) return html`<section><${Problem} error=${error} />${!error && html`<p>${t("common.loading")}</p>`}</section>`;
  const held = heldText(error, customer.name);
  return html`<section aria-labelledby="customer-title">
    <p><a href="#/customers">← ${t("customers.title")}</a></p>
    <h1 id="customer-title">${customer.name}</h1>
    <p class="muted">${customer.id} · ${formatDate(customer.created_at)}</p>
    ${saved && html`<${Notice} text=${saved} />`}
    ${held ? html`<div class="notice notice--error" role="alert"><p>${held}</p></div>` : html`<${Problem} error=${error} onReload=${load} />`}
    <${CustomerForm} form=${form} setForm=${setForm} error=${error} onSubmit=${save}
      submitLabel=${t("common.save")} busy=${busy} />
    <${Units} customerId=${id} />
    <div class="danger-zone">
      <button type="button" class="button button--danger" onClick=${() => setConfirming(true)}>${t("common.delete")}</button>
    </div>
    <${Confirm} open=${confirming} text=${t("customers.delete.confirm", { name: customer.name })}
      action=${t("common.delete")} onConfirm=${remove} onCancel=${() => setConfirming(false)} />
  </section>`;
}
