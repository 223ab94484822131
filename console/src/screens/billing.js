// Billing: plans and their variants (with each variant's signup page), contracts with their
// self-service access, and the signup and self-service settings as tabs.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, del, get, post, put, Raw } from "../api.js";
import { current, formatDate, LANGUAGES, t } from "../i18n.js";
import { go } from "../router.js";
import { fieldErrors, html, isStale, More, Notice, Problem, SelectField, TextField, usePaged } from "../ui.js";
import { useThemes } from "./templates.js";

const TABS = ["plans", "contracts", "coupons", "emails", "settings"];
const KINDS = ["quantity", "on_off", "metered"];
const PERIODS = ["P1M", "P3M", "P6M", "P1Y"];
const periodOptions = () => PERIODS.map((p) => [p, t(`billing.period.${p}`)]);

function Tabs({ current, base, tabs, label }) {
  return html`<nav class="tabs" aria-label=${label}><ul>${tabs.map((tab) => html`<li key=${tab}>
    <a href=${`#${base}/${tab}`} aria-current=${tab === current ? "page" : undefined}>${t(`billing.tab.${tab}`)}</a></li>`)}</ul></nav>`;
}

function Variants({ plan }) {
  const [variants, setVariants] = useState([]);
  const [form, setForm] = useState({ name: "", price: "", billing_period: "P1M", notice_period: "P1M", allow_signup: true });
  const [error, setError] = useState(null);
  const load = () => get(`/v1/plans/${plan.id}/variants?limit=100`).then((p) => setVariants(p.items), setError);
  useEffect(() => { load(); }, [plan.id]);
  async function add(event) {
    event.preventDefault();
    setError(null);
    try {
      await post(`/v1/plans/${plan.id}/variants`, { ...form, price: form.price.replace(",", ".") });
      setForm({ ...form, name: "", price: "" });
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  const id = (name) => `variant-${plan.id}-${name}`;
  return html`<div>
    <ul class="people">${variants.map((v) => html`<li key=${v.id}>
      <span><strong>${v.name}</strong> <span class="muted">${v.price} ${v.currency} · ${t(`billing.period.${v.billing_period}`) || v.billing_period}</span></span>
      ${v.signup_url ? html`<a href=${new URL(v.signup_url).pathname} target="_blank" rel="noopener">${t("billing.signup.open")}<span class="visually-hidden"> ${v.name}</span></a>` : html`<span class="muted">${t("billing.signup.off")}</span>`}
    </li>`)}</ul>
    <form class="form" onSubmit=${add} novalidate aria-label=${t("billing.variant.new", { plan: plan.name })}>
      <${Problem} error=${error} />
      <div class="row">
        <${TextField} id=${id("name")} label=${t("billing.variant.name")} value=${form.name} onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
        <${TextField} id=${id("price")} label=${t("billing.variant.price", { currency: plan.currency })} value=${form.price} inputmode="decimal"
          onInput=${(v) => setForm({ ...form, price: v })} error=${fields.price} required />
      </div>
      <div class="row">
        <${SelectField} id=${id("billing")} label=${t("billing.variant.billing")} value=${form.billing_period} onChange=${(v) => setForm({ ...form, billing_period: v })} options=${periodOptions()} />
        <${SelectField} id=${id("notice")} label=${t("billing.variant.notice")} value=${form.notice_period} onChange=${(v) => setForm({ ...form, notice_period: v })} options=${periodOptions()} />
      </div>
      <label class="check"><input type="checkbox" checked=${form.allow_signup} onChange=${() => setForm({ ...form, allow_signup: !form.allow_signup })} />
        <span>${t("billing.variant.signup")}</span></label>
      <button class="button">${t("billing.variant.add")}</button>
    </form>
  </div>`;
}

function Components({ plan }) {
  const [components, setComponents] = useState([]);
  const [form, setForm] = useState({ name: "", kind: "on_off", price: "", unit: "", show_in_signup: true });
  const [error, setError] = useState(null);
  const load = () => get(`/v1/plans/${plan.id}/components?limit=100`).then((p) => setComponents(p.items), setError);
  useEffect(() => { load(); }, [plan.id]);
  async function add(event) {
    event.preventDefault();
    setError(null);
    const body = { plan_id: plan.id, name: form.name, kind: form.kind, price: form.price.replace(",", "."), unit: form.unit || null };
    if (form.kind === "metered") body.show_as_price_info = form.show_in_signup;
    else body.show_in_signup = form.show_in_signup;
    if (form.kind === "quantity") body.max_quantity = 100;
    try {
      await post("/v1/components", body);
      setForm({ ...form, name: "", price: "", unit: "" });
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  const id = (name) => `component-${plan.id}-${name}`;
  return html`<div>
    <h3 class="step-title">${t("billing.components")}</h3>
    <ul class="people">${components.map((c) => html`<li key=${c.id}>
      <span><strong>${c.name}</strong> <span class="muted">${t(`billing.kind.${c.kind}`)} · ${c.price} ${plan.currency}${c.unit ? ` / ${c.unit}` : ""}</span></span></li>`)}</ul>
    <form class="form" onSubmit=${add} novalidate aria-label=${t("billing.component.new", { plan: plan.name })}>
      <${Problem} error=${error} />
      <div class="row">
        <${TextField} id=${id("name")} label=${t("billing.component.name")} value=${form.name} onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
        <${SelectField} id=${id("kind")} label=${t("billing.component.kind")} value=${form.kind} onChange=${(v) => setForm({ ...form, kind: v })}
          options=${KINDS.map((k) => [k, t(`billing.kind.${k}`)])} />
      </div>
      <div class="row">
        <${TextField} id=${id("price")} label=${t("billing.variant.price", { currency: plan.currency })} value=${form.price} inputmode="decimal"
          onInput=${(v) => setForm({ ...form, price: v })} error=${fields.price} required />
        <${TextField} id=${id("unit")} label=${t("billing.component.unit")} value=${form.unit} onInput=${(v) => setForm({ ...form, unit: v })} error=${fields.unit} optional />
      </div>
      <label class="check"><input type="checkbox" checked=${form.show_in_signup} onChange=${() => setForm({ ...form, show_in_signup: !form.show_in_signup })} />
        <span>${t("billing.component.signup")}</span></label>
      <button class="button">${t("billing.component.add")}</button>
    </form>
  </div>`;
}

function Coupons() {
  const list = usePaged("/v1/coupons");
  const coupons = list.items || [];
  const [form, setForm] = useState({ code: "", percent: "10", until: "" });
  const [error, setError] = useState(null);
  const load = list.reload;
  async function add(event) {
    event.preventDefault();
    setError(null);
    const body = { code: form.code.trim(), discount_percent: Number(form.percent) };
    if (form.until) body.valid_until = new Date(form.until).toISOString();
    try {
      await post("/v1/coupons", body);
      setForm({ code: "", percent: form.percent, until: "" });
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<div>
    <ul class="people">${coupons.map((c) => html`<li key=${c.code}><span><strong>${c.code}</strong>
      <span class="muted">${c.discount_percent} % · ${t("billing.coupon.used", { count: c.redemptions })}${c.valid_until ? ` · ${t("shares.until.short", { time: formatDate(c.valid_until) })}` : ""}</span></span></li>`)}</ul>
    <${More} list=${list} />
    <form class="form panel" onSubmit=${add} novalidate aria-labelledby="new-coupon-title">
      <h2 id="new-coupon-title">${t("billing.coupon.new")}</h2>
      <${Problem} error=${error} />
      <${TextField} id="coupon-code" label=${t("billing.coupon.code")} value=${form.code} onInput=${(v) => setForm({ ...form, code: v })} error=${fields.code} required />
      <${TextField} id="coupon-percent" label=${t("billing.coupon.percent")} type="number" min="1" max="100" value=${form.percent}
        onInput=${(v) => setForm({ ...form, percent: v })} error=${fields.discount_percent} required />
      <${TextField} id="coupon-until" label=${t("billing.coupon.until")} type="datetime-local" value=${form.until}
        onInput=${(v) => setForm({ ...form, until: v })} error=${fields.valid_until} optional />
      <button class="button button--primary">${t("billing.coupon.create")}</button>
    </form>
  </div>`;
}

function Emails() {
  const [choice, setChoice] = useState({ kind: "invoice", language: "de" });
  const [template, setTemplate] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const path = `/v1/email-templates/${choice.kind}/${choice.language}`;
  async function load() {
    setError(null);
    setSaved(null);
    try {
      setTemplate(await get(path));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setTemplate({ subject: "", body: "", custom: false });
      else setError(failure);
    }
  }
  useEffect(() => { load(); }, [choice.kind, choice.language]);
  async function save(event) {
    event.preventDefault();
    setError(null);
    try {
      setTemplate(await put(path, { subject: template.subject, body: template.body }));
      setSaved(t("common.saved"));
    } catch (failure) {
      setError(failure);
    }
  }
  async function reset() {
    try {
      await del(path);
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<form class="form panel" onSubmit=${save} novalidate aria-labelledby="emails-title">
    <h2 id="emails-title">${t("billing.tab.emails")}</h2>
    <div class="row">
      <${SelectField} id="email-kind" label=${t("billing.email.kind")} value=${choice.kind} onChange=${(v) => setChoice({ ...choice, kind: v })}
        options=${["invoice", "credit_note", "reminder"].map((k) => [k, t(`billing.email.${k}`)])} />
      <${SelectField} id="email-language" label=${t("lang.label")} value=${choice.language} onChange=${(v) => setChoice({ ...choice, language: v })}
        options=${LANGUAGES.map((l) => [l, t(`language.${l}`)])} />
    </div>
    ${saved && html`<${Notice} text=${saved} />`}
    <${Problem} error=${error} />
    ${template && html`<div>
      <p class="muted">${template.custom ? t("billing.email.custom") : t("billing.email.default")}</p>
      <${TextField} id="email-subject" label=${t("billing.email.subject")} value=${template.subject}
        onInput=${(v) => setTemplate({ ...template, subject: v })} error=${fields.subject} required />
      <div class=${`field${fields.body ? " field--invalid" : ""}`}>
        <label for="email-body">${t("billing.email.body")}</label>
        <textarea id="email-body" rows="8" value=${template.body} aria-describedby="email-body-hint"
          onInput=${(e) => setTemplate({ ...template, body: e.currentTarget.value })}></textarea>
        <p class="hint" id="email-body-hint">${t("billing.email.hint", {
          list: "{CustomerName}, {ContractId}, {PlanName}, {DocumentNumber}, {ProviderName}",
          link: "{SelfServicePortalUrl}",
        })}</p>
        ${fields.body && html`<p class="error">${fields.body}</p>`}
      </div>
      <div class="actions"><button class="button button--primary">${t("common.save")}</button>
        ${template.custom && html`<button type="button" class="button" onClick=${reset}>${t("billing.email.reset")}</button>`}</div>
    </div>`}
  </form>`;
}

function Documents({ contract }) {
  const [documents, setDocuments] = useState([]);
  const [form, setForm] = useState({ kind: "invoice", number: "", file: null });
  const [error, setError] = useState(null);
  const base = `/v1/contracts/${contract.id}/documents`;
  const load = () => get(`${base}?limit=100`).then((p) => setDocuments(p.items), setError);
  useEffect(() => { load(); }, [contract.id]);
  async function upload(event) {
    event.preventDefault();
    if (!form.file) return;
    setError(null);
    const query = `?kind=${form.kind}${form.number ? `&number=${encodeURIComponent(form.number)}` : ""}`;
    try {
      await post(`${base}${query}`, new Raw(await form.file.arrayBuffer(), "application/pdf"));
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const id = (name) => `document-${contract.id}-${name}`;
  return html`<div>
    <h3 class="step-title">${t("billing.documents")}</h3>
    <ul class="people">${documents.map((d) => html`<li key=${d.id}><span><strong>${d.number}</strong>
      <span class="muted">${t(`billing.email.${d.kind}`)} · ${d.issued_on} · ${t("billing.document.pages", { count: d.pages })}</span></span></li>`)}</ul>
    <form class="form" onSubmit=${upload} novalidate aria-label=${t("billing.document.upload")}>
      <${Problem} error=${error} />
      <div class="row">
        <${SelectField} id=${id("kind")} label=${t("billing.email.kind")} value=${form.kind} onChange=${(v) => setForm({ ...form, kind: v })}
          options=${["invoice", "credit_note"].map((k) => [k, t(`billing.email.${k}`)])} />
        <${TextField} id=${id("number")} label=${t("billing.document.number")} value=${form.number} onInput=${(v) => setForm({ ...form, number: v })} optional />
      </div>
      <div class="field"><label for=${id("file")}>${t("billing.document.file")}</label>
        <input id=${id("file")} type="file" accept="application/pdf,.pdf" onChange=${(e) => setForm({ ...form, file: e.currentTarget.files[0] || null })} /></div>
      <button class="button" disabled=${!form.file}>${t("billing.document.upload")}</button>
    </form>
  </div>`;
}

function Plans() {
  const list = usePaged("/v1/plans", 20);
  const plans = list.items || [];
  const [form, setForm] = useState({ name: "", currency: "EUR" });
  const [error, setError] = useState(null);
  const load = list.reload;
  async function add(event) {
    event.preventDefault();
    setError(null);
    try {
      await post("/v1/plans", form);
      setForm({ name: "", currency: form.currency });
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<div>
    ${plans.map((plan) => html`<section class="panel panel--wide" key=${plan.id} aria-labelledby=${`plan-${plan.id}`}>
      <h2 id=${`plan-${plan.id}`}>${plan.name} <span class="muted">(${plan.currency})</span></h2>
      <${Variants} plan=${plan} />
      <${Components} plan=${plan} />
    </section>`)}
    <${More} list=${list} />
    <form class="form panel" onSubmit=${add} novalidate aria-labelledby="new-plan-title">
      <h2 id="new-plan-title">${t("billing.plan.new")}</h2>
      <${Problem} error=${error} />
      <${TextField} id="plan-name" label=${t("billing.plan.name")} value=${form.name} onInput=${(v) => setForm({ ...form, name: v })} error=${fieldErrors(error).name} required />
      <${TextField} id="plan-currency" label=${t("billing.plan.currency")} value=${form.currency} maxlength="3"
        onInput=${(v) => setForm({ ...form, currency: v.toUpperCase() })} error=${fieldErrors(error).currency} />
      <button class="button button--primary">${t("billing.plan.create")}</button>
    </form>
  </div>`;
}

function Access({ contract }) {
  const [minutes, setMinutes] = useState("1440");
  const [language, setLanguage] = useState("de");
  const [link, setLink] = useState(null);
  const [error, setError] = useState(null);
  async function create(event) {
    event.preventDefault();
    setError(null);
    try {
      setLink(await post(`/v1/contracts/${contract.id}/self-service-token`, { validity_minutes: Number(minutes), language }));
    } catch (failure) {
      setError(failure);
    }
  }
  const id = (name) => `access-${contract.id}-${name}`;
  return html`<form class="form" onSubmit=${create} novalidate aria-label=${t("billing.access.title")}>
    <${Problem} error=${error} />
    <div class="row">
      <${TextField} id=${id("minutes")} label=${t("billing.access.minutes")} type="number" min="1" max="10080" value=${minutes}
        onInput=${setMinutes} error=${fieldErrors(error).validity_minutes} hint=${t("billing.access.minutes.hint")} />
      <${SelectField} id=${id("language")} label=${t("lang.label")} value=${language} onChange=${setLanguage}
        options=${LANGUAGES.map((l) => [l, t(`language.${l}`)])} />
    </div>
    <button class="button">${t("billing.access.create")}</button>
    ${link && html`<div class="field"><label for=${id("link")}>${t("billing.access.link", { time: formatDate(link.expires_at) })}</label>
      <input id=${id("link")} type="text" readonly value=${link.url} onFocus=${(e) => e.currentTarget.select()} />
      <div class="actions"><button type="button" class="button button--small" onClick=${() => navigator.clipboard.writeText(link.url).catch(() => {})}>${t("portal.link.copy")}</button>
        <a class="button button--small" href=${new URL(link.url).pathname + new URL(link.url).search + new URL(link.url).hash} target="_blank" rel="noopener">${t("billing.access.open")}</a></div></div>`}
  </form>`;
}

function Contracts() {
  const list = usePaged("/v1/contracts", 20);
  const contracts = list.items || [];
  const [customers, setCustomers] = useState([]);
  const [variants, setVariants] = useState([]);
  const [form, setForm] = useState({ customer_id: "", plan_variant_id: "" });
  const [error, setError] = useState(null);
  const load = list.reload;
  useEffect(() => {
    get("/v1/customers?limit=100").then((p) => setCustomers(p.items), setError);
    get("/v1/plans?limit=100").then(async (p) => {
      const all = [];
      for (const plan of p.items) {
        for (const v of (await get(`/v1/plans/${plan.id}/variants?limit=100`)).items) all.push({ ...v, plan: plan.name });
      }
      setVariants(all);
    }, setError);
  }, []);
  async function add(event) {
    event.preventDefault();
    setError(null);
    try {
      await post("/v1/contracts", form);
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const names = Object.fromEntries(customers.map((c) => [c.id, c.name]));
  const fields = fieldErrors(error);
  return html`<div>
    ${contracts.map((c) => html`<section class="panel panel--wide" key=${c.id} aria-labelledby=${`contract-${c.id}`}>
      <h2 id=${`contract-${c.id}`}>${names[c.customer_id] || c.customer_id}: ${c.plan_name} · ${c.variant_name}</h2>
      <p class="muted">${c.price} ${c.currency}${c.end_at ? ` · ${t("billing.contract.ends", { time: formatDate(c.end_at) })}` : ""}</p>
      <${Access} contract=${c} />
      <${Documents} contract=${c} />
    </section>`)}
    <${More} list=${list} />
    <form class="form panel" onSubmit=${add} novalidate aria-labelledby="new-contract-title">
      <h2 id="new-contract-title">${t("billing.contract.new")}</h2>
      <${Problem} error=${error} />
      <${SelectField} id="contract-customer" label=${t("equipment.customer")} value=${form.customer_id} error=${fields.customer_id}
        onChange=${(v) => setForm({ ...form, customer_id: v })} options=${[["", "—"], ...customers.map((c) => [c.id, c.name])]} />
      <${SelectField} id="contract-variant" label=${t("billing.contract.variant")} value=${form.plan_variant_id} error=${fields.plan_variant_id}
        onChange=${(v) => setForm({ ...form, plan_variant_id: v })} options=${[["", "—"], ...variants.map((v) => [v.id, `${v.plan} · ${v.name} (${v.price} ${v.currency})`])]} />
      <button class="button button--primary">${t("billing.contract.create")}</button>
    </form>
  </div>`;
}

const SETTING_TABS = ["general", "signup", "page", "style"];
const FIELDS = ["company", "email", "address", "address_lines", "phone", "vat_id", "delivery_method", "birth_date"];
const PAGE_SECTIONS = ["customer", "payment", "contract", "account", "documents", "additional_data"];

function Check({ checked, onChange, label }) {
  return html`<label class="check"><input type="checkbox" checked=${checked} onChange=${() => onChange(!checked)} /><span>${label}</span></label>`;
}

function SettingsTabs() {
  const themes = useThemes();
  const [settings, setSettings] = useState(null);
  const [tab, setTab] = useState("general");
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [signupUrl, setSignupUrl] = useState(null);
  const [preview, setPreview] = useState(null);
  const load = () => get("/v1/settings/self-service").then((s) => { setSettings(s); setError(null); }, setError);
  useEffect(() => {
    load();
    get("/v1/plans?limit=100").then(async (p) => {
      for (const plan of p.items) {
        const open = (await get(`/v1/plans/${plan.id}/variants?limit=100`)).items.find((v) => v.signup_url);
        if (open) { setSignupUrl(new URL(open.signup_url).pathname); return; }
      }
    }, () => {});
  }, []);
  if (settings === null) return html`<${Problem} error=${error} />`;
  const change = (path, value) => {
    setSaved(false);
    const next = structuredClone(settings);
    let target = next;
    for (const key of path.slice(0, -1)) target = target[key];
    target[path[path.length - 1]] = value;
    setSettings(next);
  };
  async function show() {
    setError(null);
    const { version: _version, updated_at: _updated, ...body } = settings;
    const page = tab === "signup" ? "signup" : "self_service";
    try {
      const made = await post(`/v1/settings/self-service/preview?page=${page}&language=${current()}`, body);
      setPreview(made.url);
    } catch (failure) {
      setError(failure);
    }
  }
  async function save(event) {
    event.preventDefault();
    setError(null);
    const { version, updated_at: _updated, ...body } = settings;
    try {
      setSettings(await call("PUT", "/v1/settings/self-service", body, { "If-Match": `"${version}"` }));
      setSaved(true);
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  let panel;
  if (tab === "general") {
    panel = html`<${TextField} id="settings-minutes" label=${t("billing.access.minutes")} type="number" min="1" max="10080"
        value=${settings.token_validity_minutes} onInput=${(v) => change(["token_validity_minutes"], Number(v))}
        error=${fields.token_validity_minutes} hint=${t("billing.access.minutes.hint")} />
      <${Check} checked=${settings.allow_contact_edit} onChange=${(v) => change(["allow_contact_edit"], v)} label=${t("billing.settings.contact_edit")} />
      <${Check} checked=${settings.allow_cancellation} onChange=${(v) => change(["allow_cancellation"], v)} label=${t("billing.settings.cancellation")} />
      <${Check} checked=${settings.allow_payment_edit} onChange=${(v) => change(["allow_payment_edit"], v)} label=${t("billing.settings.payment_edit")} />`;
  } else if (tab === "signup") {
    panel = html`<${Check} checked=${settings.signup.ask_coupon} onChange=${(v) => change(["signup", "ask_coupon"], v)} label=${t("billing.settings.coupon")} />
      <${Check} checked=${settings.signup.ask_payment} onChange=${(v) => change(["signup", "ask_payment"], v)} label=${t("billing.settings.payment")} />
      <${Check} checked=${settings.signup.show_external_id} onChange=${(v) => change(["signup", "show_external_id"], v)} label=${t("billing.settings.external_id")} />
      <fieldset class="fieldset"><legend>${t("billing.settings.fields")}</legend>
        ${FIELDS.map((f) => html`<${SelectField} key=${f} id=${`rule-${f}`} label=${t(`billing.field.${f}`)} value=${settings.fields[f]}
          onChange=${(v) => change(["fields", f], v)} error=${fields[`fields.${f}`]}
          options=${["optional", "required", "hidden"].map((r) => [r, t(`billing.rule.${r}`)])} />`)}
      </fieldset>`;
  } else if (tab === "page") {
    panel = html`<fieldset class="fieldset"><legend>${t("billing.settings.sections")}</legend>
      ${PAGE_SECTIONS.map((s) => html`<${Check} key=${s} checked=${settings.sections[s].visible}
        onChange=${(v) => change(["sections", s, "visible"], v)} label=${t(`billing.section.${s}`)} />`)}</fieldset>`;
  } else {
    panel = html`<${SelectField} id="settings-theme" label=${t("templates.theme")} value=${settings.theme_id || ""}
      onChange=${(v) => change(["theme_id"], v || null)} options=${[["", t("templates.theme.none")], ...themes.map((th) => [th.id, th.name])]} />`;
  }
  return html`<div>
    <div class="tabs" role="tablist" aria-label=${t("billing.tab.settings")} onKeyDown=${(e) => {
      // Arrow keys move between tabs, as the ARIA tabs pattern has it.
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const next = SETTING_TABS[(SETTING_TABS.indexOf(tab) + step + SETTING_TABS.length) % SETTING_TABS.length];
      setTab(next);
      document.getElementById(`stab-${next}`)?.focus();
    }}>
      ${SETTING_TABS.map((name) => html`<button type="button" role="tab" key=${name} id=${`stab-${name}`}
        aria-selected=${name === tab ? "true" : "false"} aria-controls="settings-panel" tabindex=${name === tab ? 0 : -1}
        onClick=${() => setTab(name)}>${t(`billing.settings.tab.${name}`)}</button>`)}
    </div>
    <form class="form panel" id="settings-panel" role="tabpanel" aria-labelledby=${`stab-${tab}`} onSubmit=${save} novalidate>
      ${saved && html`<${Notice} text=${t("billing.settings.saved")} />`}
      <${Problem} error=${error} onReload=${isStale(error) ? load : undefined} />
      ${panel}
      <div class="actions"><button class="button button--primary">${t("common.save")}</button>
        <button type="button" class="button" onClick=${show}>${t("billing.settings.preview")}</button>
        ${signupUrl && html`<a class="button" href=${signupUrl} target="_blank" rel="noopener">${t("billing.signup.open")}</a>`}</div>
    </form>
    ${preview && html`<iframe class="page-preview" src=${preview} title=${t("billing.settings.preview.title")}></iframe>`}
  </div>`;
}

export function Billing({ tab }) {
  const current = TABS.includes(tab) ? tab : "plans";
  useEffect(() => { if (tab !== current) go(`/billing/${current}`); }, [tab]);
  return html`<section aria-labelledby="billing-title">
    <h1 id="billing-title">${t("billing.title")}</h1>
    <${Tabs} current=${current} base="/billing" tabs=${TABS} label=${t("billing.title")} />
    ${{ plans: html`<${Plans} />`, contracts: html`<${Contracts} />`, coupons: html`<${Coupons} />`,
      emails: html`<${Emails} />`, settings: html`<${SettingsTabs} />` }[current]}
  </section>`;
}

