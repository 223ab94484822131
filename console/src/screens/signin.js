// Signing in (with the authenticator's code when asked), asking for a reset link, joining
// with an invitation, and setting a new password with a reset link.
import { useState } from "preact/hooks";
import { anonymous, ApiError, keep } from "../api.js";
import { t } from "../i18n.js";
import { secret } from "../router.js";
import { fieldErrors, html, messageOf, Notice, Problem, TextField } from "../ui.js";

const TEAM_KEY = "portway.console.team";

function Page({ title, children }) {
  return html`<main id="main" class="auth" tabindex="-1">
    <div class="auth__card">
      <p class="brand">Portway</p>
      <h1>${title}</h1>
      ${children}
    </div>
  </main>`;
}

export function SignIn({ onSignedIn }) {
  const [form, setForm] = useState({ tenant: localStorage.getItem(TEAM_KEY) || "", email: "", password: "", otp: "" });
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name) => (value) => setForm({ ...form, [name]: value });

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = { tenant: form.tenant.trim().toLowerCase(), email: form.email.trim(), password: form.password };
    if (needsCode) body.otp = form.otp.trim();
    try {
      const session = await anonymous("POST", "/v1/team/sessions", body);
      localStorage.setItem(TEAM_KEY, body.tenant);
      keep(session);
      onSignedIn(session);
    } catch (failure) {
      if (failure instanceof ApiError && failure.problem.mfa_required) {
        setNeedsCode(true);
        if (needsCode) setError(failure);
      } else {
        setError(failure);
      }
    } finally {
      setBusy(false);
    }
  }

  const fields = fieldErrors(error);
  const message = error instanceof ApiError && error.status === 401
    ? (needsCode ? t("signin.wrongcode") : t("signin.wrong"))
    : error && messageOf(error);
  return html`<${Page} title=${t("signin.title")}>
    <form onSubmit=${submit} novalidate>
      ${message && html`<div class="notice notice--error" role="alert"><p>${message}</p></div>`}
      <${TextField} id="signin-tenant" label=${t("signin.tenant")} value=${form.tenant} onInput=${set("tenant")}
        error=${fields.tenant} autocomplete="organization" required />
      <${TextField} id="signin-email" label=${t("signin.email")} type="email" value=${form.email}
        onInput=${set("email")} error=${fields.email} autocomplete="username" required />
      <${TextField} id="signin-password" label=${t("signin.password")} type="password" value=${form.password}
        onInput=${set("password")} error=${fields.password} autocomplete="current-password" required />
      ${needsCode && html`<${TextField} id="signin-otp" label=${t("signin.otp")} hint=${t("signin.otp.hint")}
        value=${form.otp} onInput=${set("otp")} error=${fields.otp} inputmode="numeric"
        autocomplete="one-time-code" maxlength="6" required autofocus />`}
      <button class="button button--primary button--wide" disabled=${busy}>${t("signin.submit")}</button>
    </form>
    <p><a href="#/forgot">${t("signin.forgot")}</a></p>
  <//>`;
}

export function Forgot() {
  const [form, setForm] = useState({ tenant: localStorage.getItem(TEAM_KEY) || "", email: "" });
  const [sent, setSent] = useState(false);
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    setError(null);
    try {
      await anonymous("POST", "/v1/team/password-resets", { tenant: form.tenant.trim().toLowerCase(), email: form.email.trim() });
      setSent(true);
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  return html`<${Page} title=${t("reset.title")}>
    ${sent ? html`<${Notice} text=${t("reset.sent")} />` : html`<form onSubmit=${submit} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="forgot-tenant" label=${t("signin.tenant")} value=${form.tenant}
        onInput=${(v) => setForm({ ...form, tenant: v })} error=${fields.tenant} required />
      <${TextField} id="forgot-email" label=${t("signin.email")} type="email" value=${form.email}
        onInput=${(v) => setForm({ ...form, email: v })} error=${fields.email} autocomplete="username" required />
      <button class="button button--primary button--wide">${t("reset.ask")}</button>
    </form>`}
    <p><a href="#/">${t("common.back")}</a></p>
  <//>`;
}

export function Join({ onSignedIn }) {
  const [form, setForm] = useState({ name: "", password: "" });
  const [error, setError] = useState(null);
  const token = secret("invite");
  async function submit(event) {
    event.preventDefault();
    setError(null);
    try {
      const joined = await anonymous("POST", "/v1/team/invitations/accept", { token: token || "", ...form });
      keep(joined);
      onSignedIn(joined);
    } catch (failure) {
      setError(failure);
    }
  }
  const fields = fieldErrors(error);
  const gone = !token || (error instanceof ApiError && error.status === 401);
  return html`<${Page} title=${t("accept.title")}>
    ${gone ? html`<div class="notice notice--error" role="alert"><p>${t("accept.invalid")}</p></div>` : html`
    <form onSubmit=${submit} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="join-name" label=${t("accept.name")} value=${form.name}
        onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} autocomplete="name" required />
      <${TextField} id="join-password" label=${t("accept.password")} hint=${t("accept.password.hint")} type="password"
        value=${form.password} onInput=${(v) => setForm({ ...form, password: v })} error=${fields.password}
        autocomplete="new-password" required />
      <button class="button button--primary button--wide">${t("accept.submit")}</button>
    </form>`}
  <//>`;
}

export function Reset() {
  const [password, setPassword] = useState("");
  const [state, setState] = useState({ error: null, done: false });
  const token = secret("reset");
  async function submit(event) {
    event.preventDefault();
    try {
      await anonymous("POST", "/v1/team/password-resets/confirm", { token: token || "", password });
      setState({ error: null, done: true });
    } catch (failure) {
      setState({ error: failure, done: false });
    }
  }
  const { error, done } = state;
  const gone = !token || (error instanceof ApiError && error.status === 401);
  let body;
  if (done) body = html`<${Notice} text=${t("reset.done")} /><p><a href="#/">${t("signin.submit")}</a></p>`;
  else if (gone) body = html`<div class="notice notice--error" role="alert"><p>${t("reset.invalid")}</p></div>
    <p><a href="#/forgot">${t("signin.forgot")}</a></p>`;
  else body = html`<form onSubmit=${submit} novalidate>
      <${Problem} error=${error} />
      <${TextField} id="reset-password" label=${t("reset.new")} hint=${t("accept.password.hint")} type="password"
        value=${password} onInput=${setPassword} error=${fieldErrors(error).password} autocomplete="new-password" required />
      <button class="button button--primary button--wide">${t("reset.submit")}</button>
    </form>`;
  return html`<${Page} title=${t("reset.title")}>${body}<//>`;
}

