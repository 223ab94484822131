// Setting up the authenticator app: a secret shown once, then the code that proves the app
// holds it. The new session replaces the one the change ended.
import { useState } from "preact/hooks";
import { keep, post } from "../api.js";
import { t } from "../i18n.js";
import { fieldErrors, html, Notice, Problem, TextField } from "../ui.js";

export function SecondFactor({ required, onDone }) {
  const [enrolment, setEnrolment] = useState(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  async function start() {
    setError(null);
    try {
      setEnrolment(await post("/v1/team/me/mfa/totp"));
    } catch (failure) {
      setError(failure);
    }
  }

  async function confirm(event) {
    event.preventDefault();
    setError(null);
    try {
      const session = await post("/v1/team/me/mfa/totp/confirm", { code: code.trim() });
      keep(session);
      setDone(true);
      onDone(session);
    } catch (failure) {
      setError(failure);
    }
  }

  return html`<section class="panel" aria-labelledby="mfa-title">
    <h2 id="mfa-title">${t("mfa.title")}</h2>
    ${required && html`<p class="notice notice--warn">${t("mfa.required")}</p>`}
    <${Problem} error=${error} />
    ${done ? html`<${Notice} text=${t("mfa.done")} />` : enrolment === null
      ? html`<button type="button" class="button button--primary" onClick=${start}>${t("mfa.start")}</button>`
      : html`<form onSubmit=${confirm} novalidate>
          <p>${t("mfa.secret")}</p>
          <p><code class="secret">${enrolment.secret}</code></p>
          <p><a href=${enrolment.otpauth_uri}>${t("mfa.link")}</a></p>
          <${TextField} id="mfa-code" label=${t("signin.otp")} hint=${t("signin.otp.hint")} value=${code}
            onInput=${setCode} error=${fieldErrors(error).code} inputmode="numeric" autocomplete="one-time-code"
            maxlength="6" required />
          <button class="button button--primary">${t("mfa.confirm")}</button>
        </form>`}
  </section>`;
}
