// A customer's portal as a wizard: setup (a template or its own apps) -> branding -> home page
// -> review and save -> an invitation link to copy or send by e-mail. Once someone has
// accepted, the overview shows what the portal offers, its people and a preview.
import { useEffect, useState } from "preact/hooks";
import { ApiError, del, get, post, put } from "../api.js";
import { t } from "../i18n.js";
import { Confirm, fieldErrors, html, Notice, Problem, SelectField, TextField } from "../ui.js";
import { AppChoice, homeOptions, SectionChoice, sectionsFor, themeOptions, useThemes } from "./templates.js";

const STEPS = ["setup", "branding", "home", "review"];

function Steps({ current }) {
  return html`<ol class="steps">${STEPS.map((step, i) => html`<li key=${step}
    class=${step === current ? "steps__current" : ""} aria-current=${step === current ? "step" : undefined}>
    <span class="steps__number">${i + 1}</span> ${t(`portal.step.${step}`)}</li>`)}</ol>`;
}

function Wizard({ customerId, onSaved }) {
  const themes = useThemes();
  const [templates, setTemplates] = useState([]);
  const [step, setStep] = useState("setup");
  const [form, setForm] = useState({ mode: "template", template_id: "", apps: ["equipment"], theme_id: "", home_page: "overview", sections: [] });
  const [error, setError] = useState(null);
  useEffect(() => {
    get("/v1/portal-templates?limit=100").then((p) => {
      setTemplates(p.items);
      const preferred = p.items.find((x) => x.is_default) || p.items[0];
      setForm((f) => ({ ...f, template_id: preferred ? preferred.id : "", mode: preferred ? "template" : "custom" }));
    }, setError);
  }, []);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const template = templates.find((x) => x.id === form.template_id);
  const themeName = (themeId) => themes.find((th) => th.id === themeId)?.name || t("templates.theme.none");

  async function save() {
    setError(null);
    const body = form.mode === "template" ? { template_id: form.template_id }
      : { apps: form.apps, theme_id: form.theme_id || null, home_page: form.home_page, sections: sectionsFor(form.apps, form.sections) };
    try {
      onSaved(await put(`/v1/customers/${encodeURIComponent(customerId)}/portal`, body));
    } catch (failure) {
      setError(failure);
    }
  }
  const next = (to) => (e) => { e.preventDefault(); setStep(to); };
  const fields = fieldErrors(error);
  let body;
  if (step === "setup") {
    body = html`<form onSubmit=${next("branding")}>
      <fieldset class="fieldset"><legend>${t("portal.setup.question")}</legend>
        <label class="check"><input type="radio" name="portal-mode" checked=${form.mode === "template"} disabled=${templates.length === 0}
          onChange=${() => set("mode")("template")} /><span>${t("portal.setup.template")}</span></label>
        <label class="check"><input type="radio" name="portal-mode" checked=${form.mode === "custom"}
          onChange=${() => set("mode")("custom")} /><span>${t("portal.setup.custom")}</span></label>
      </fieldset>
      ${form.mode === "template" ? html`<${SelectField} id="portal-template" label=${t("portal.template")} value=${form.template_id}
          onChange=${set("template_id")} options=${templates.map((x) => [x.id, x.name])} />`
        : html`<${AppChoice} apps=${form.apps} onChange=${set("apps")} error=${fields.apps} idPrefix="portal" />`}
      <button class="button button--primary">${t("portal.next")}</button>
    </form>`;
  } else if (step === "branding") {
    body = html`<form onSubmit=${next("home")}>
      ${form.mode === "template" ? html`<p>${t("portal.from.template", { theme: themeName(template?.theme_id) })}</p>`
        : html`<${SelectField} id="portal-theme" label=${t("templates.theme")} value=${form.theme_id} onChange=${set("theme_id")}
            options=${themeOptions(themes)} />`}
      <div class="actions"><button type="button" class="button" onClick=${() => setStep("setup")}>${t("common.back")}</button>
        <button class="button button--primary">${t("portal.next")}</button></div>
    </form>`;
  } else if (step === "home") {
    body = html`<form onSubmit=${next("review")}>
      ${form.mode === "template" ? html`<p>${t("portal.home.template", { home: t(`home.${template?.home_page || "overview"}`) })}</p>`
        : html`<${SelectField} id="portal-home" label=${t("templates.home")} value=${form.home_page} onChange=${set("home_page")}
            options=${homeOptions()} />
          <${SectionChoice} apps=${form.apps} sections=${form.sections} onChange=${set("sections")} />`}
      <div class="actions"><button type="button" class="button" onClick=${() => setStep("branding")}>${t("common.back")}</button>
        <button class="button button--primary">${t("portal.next")}</button></div>
    </form>`;
  } else {
    const apps = form.mode === "template" ? template?.apps || [] : form.apps;
    body = html`<div>
      <dl class="summary">
        <dt>${t("templates.apps")}</dt><dd>${apps.map((a) => t(`app.${a}`)).join(", ")}</dd>
        <dt>${t("templates.theme")}</dt><dd>${themeName(form.mode === "template" ? template?.theme_id : form.theme_id)}</dd>
        <dt>${t("templates.home")}</dt><dd>${t(`home.${form.mode === "template" ? template?.home_page || "overview" : form.home_page}`)}</dd>
        ${form.mode === "template" && html`<dt>${t("portal.template")}</dt><dd>${template?.name}</dd>`}
      </dl>
      <${Problem} error=${error} />
      <div class="actions"><button type="button" class="button" onClick=${() => setStep("home")}>${t("common.back")}</button>
        <button type="button" class="button button--primary" onClick=${save}>${t("portal.save")}</button></div>
    </div>`;
  }
  return html`<div><${Steps} current=${step} /><h3 class="step-title">${t(`portal.step.${step}`)}</h3>${body}</div>`;
}

function InvitationStep({ customerId, hasAdmin = false }) {
  const [link, setLink] = useState(null);
  const [email, setEmail] = useState("");
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  async function create(send) {
    setError(null);
    setNotice(null);
    try {
      const body = send ? { email: email.trim(), send: true } : {};
      const created = await post(`/v1/customers/${encodeURIComponent(customerId)}/portal/invitations`, body);
      if (send) setNotice(t("portal.link.sent", { email: created.sent_to }));
      else setLink(created.url);
    } catch (failure) {
      setError(failure);
    }
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setNotice(t("portal.link.copied"));
    } catch {
      setNotice(t("portal.link.copy.manual"));
    }
  }
  return html`<div>
    <h3 class="step-title">${t("portal.link.title")}</h3>
    <p>${t(hasAdmin ? "portal.link.intro.more" : "portal.link.intro")}</p>
    ${notice && html`<${Notice} text=${notice} />`}
    <${Problem} error=${error} />
    ${link ? html`<div class="field"><label for="portal-link">${t("portal.link.label")}</label>
        <input id="portal-link" type="text" readonly value=${link} onFocus=${(e) => e.currentTarget.select()} />
        <div class="actions"><button type="button" class="button button--primary" onClick=${copy}>${t("portal.link.copy")}</button></div></div>`
      : html`<button type="button" class="button button--primary" onClick=${() => create(false)}>${t("portal.link.create")}</button>`}
    <form class="form form--spaced" onSubmit=${(e) => { e.preventDefault(); create(true); }} novalidate>
      <${TextField} id="portal-invite-email" label=${t("portal.link.email")} type="email" value=${email} onInput=${setEmail}
        error=${fieldErrors(error).email} />
      <button class="button">${t("portal.link.send")}</button>
    </form>
  </div>`;
}

function SsoSetup({ customerId }) {
  const [issuers, setIssuers] = useState([]);
  const [form, setForm] = useState({ issuer: "", algorithm: "HS256", secret: "", public_key: "" });
  const [error, setError] = useState(null);
  const base = `/v1/customers/${encodeURIComponent(customerId)}/portal/sso`;
  const load = () => get(base).then((p) => setIssuers(p.items), setError);
  useEffect(() => { load(); }, [customerId]);
  async function save(event) {
    event.preventDefault();
    setError(null);
    const body = { issuer: form.issuer.trim(), algorithm: form.algorithm };
    if (form.algorithm === "HS256") body.secret = form.secret;
    else body.public_key = form.public_key;
    try {
      await put(base, body);
      setForm({ ...form, issuer: "", secret: "", public_key: "" });
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  async function remove(issuer) {
    try {
      await del(`${base}?issuer=${encodeURIComponent(issuer)}`);
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<div>
    <h3 class="step-title">${t("portal.sso")}</h3>
    <p>${t("portal.sso.intro")}</p>
    <ul class="people">${issuers.map((s) => html`<li key=${s.issuer}>
      <span><strong>${s.issuer}</strong> <span class="muted">${s.algorithm} · ${t("portal.sso.login")}: <code>${s.login_url}</code></span></span>
      <button type="button" class="button button--small" onClick=${() => remove(s.issuer)}>${t("team.remove")}<span class="visually-hidden"> ${s.issuer}</span></button>
    </li>`)}</ul>
    <form class="form" onSubmit=${save} novalidate aria-label=${t("portal.sso")}>
      <${Problem} error=${error} />
      <${TextField} id="sso-issuer" label=${t("portal.sso.issuer")} value=${form.issuer} onInput=${(v) => setForm({ ...form, issuer: v })}
        error=${fields.issuer} hint=${t("portal.sso.issuer.hint")} required />
      <${SelectField} id="sso-algorithm" label=${t("portal.sso.algorithm")} value=${form.algorithm}
        onChange=${(v) => setForm({ ...form, algorithm: v })} options=${[["HS256", t("portal.sso.hs256")], ["RS256", "RS256"], ["ES256", "ES256"]]} />
      ${form.algorithm === "HS256"
        ? html`<${TextField} id="sso-secret" label=${t("portal.sso.secret")} type="password" autocomplete="off" value=${form.secret}
            onInput=${(v) => setForm({ ...form, secret: v })} error=${fields.secret} hint=${t("portal.sso.secret.hint")} required />`
        : html`<div class=${`field${fields.public_key ? " field--invalid" : ""}`}><label for="sso-key">${t("portal.sso.key")}</label>
            <textarea id="sso-key" rows="5" value=${form.public_key} onInput=${(e) => setForm({ ...form, public_key: e.currentTarget.value })}></textarea>
            ${fields.public_key && html`<p class="error">${fields.public_key}</p>`}</div>`}
      <button class="button">${t("portal.sso.save")}</button>
    </form>
  </div>`;
}

function Overview({ portal, customerId }) {
  const [users, setUsers] = useState([]);
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(null);
  const base = `/v1/customers/${encodeURIComponent(customerId)}/portal`;
  async function load() {
    try {
      setUsers((await get(`${base}/users?limit=100`)).items);
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => { load(); }, [customerId]);
  async function act(action) {
    setError(null);
    setNotice(null);
    try {
      await action();
      load();
    } catch (failure) {
      setError(failure);
    }
  }
  async function preview() {
    setError(null);
    try {
      const started = await post(`${base}/preview`);
      window.open(started.url, "_blank", "noopener");
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<div>
    <dl class="summary">
      <dt>${t("templates.apps")}</dt><dd>${portal.apps.map((a) => t(`app.${a}`)).join(", ")}</dd>
      <dt>${t("templates.home")}</dt><dd>${t(`home.${portal.home_page}`)}</dd>
      <dt>${t("portal.admin")}</dt><dd>${portal.admin ? `${portal.admin.name} (${portal.admin.email})` : "—"}</dd>
    </dl>
    <div class="actions"><button type="button" class="button" onClick=${preview}>${t("portal.preview")}</button></div>
    ${notice && html`<${Notice} text=${notice} />`}
    <${Problem} error=${error} />
    <h3 class="step-title">${t("portal.users")}</h3>
    <ul class="people">${users.map((u) => html`<li key=${u.id}>
      <span>${u.name} <span class="muted">${u.email} · ${t(`portal.role.${u.role}`)}</span></span>
      <span class="actions">
        <button type="button" class="button button--small" onClick=${() => act(async () => {
          await post(`${base}/users/${u.id}/password-reset`);
          setNotice(t("portal.user.reset.sent", { email: u.email }));
        })}>${t("portal.user.reset")}<span class="visually-hidden"> ${u.email}</span></button>
        <button type="button" class="button button--small" onClick=${() => setRemoving(u)}>${t("team.remove")}<span class="visually-hidden"> ${u.email}</span></button>
      </span></li>`)}</ul>
    <${InvitationStep} customerId=${customerId} hasAdmin=${portal.admin !== null} />
    <${SsoSetup} customerId=${customerId} />
    <${Confirm} open=${removing !== null} text=${removing ? t("portal.user.remove.confirm", { email: removing.email }) : ""}
      action=${t("team.remove")} onConfirm=${() => { const u = removing; setRemoving(null); act(() => del(`${base}/users/${u.id}`)); }}
      onCancel=${() => setRemoving(null)} />
  </div>`;
}

export function CustomerPortal({ customerId }) {
  const [portal, setPortal] = useState(undefined);
  const [error, setError] = useState(null);
  async function load() {
    try {
      setPortal(await get(`/v1/customers/${encodeURIComponent(customerId)}/portal`));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setPortal(null);
      else setError(failure);
    }
  }
  useEffect(() => { load(); }, [customerId]);
  let body;
  if (portal === undefined) body = error ? html`<${Problem} error=${error} />` : html`<p>${t("common.loading")}</p>`;
  else if (portal === null) body = html`<${Wizard} customerId=${customerId} onSaved=${setPortal} />`;
  else if (portal.status === "invited") body = html`<div><${Notice} text=${t("portal.saved")} />
    <dl class="summary"><dt>${t("templates.apps")}</dt><dd>${portal.apps.map((a) => t(`app.${a}`)).join(", ")}</dd></dl>
    <${InvitationStep} customerId=${customerId} /></div>`;
  else body = html`<${Overview} portal=${portal} customerId=${customerId} />`;
  return html`<section class="panel panel--wide" aria-labelledby="portal-title">
    <h2 id="portal-title">${t("portal.title")}</h2>
    ${body}
  </section>`;
}
