// The team: who is in it with which role, inviting a person (the link goes by e-mail to
// them only), changing a role, removing someone.
import { useState } from "preact/hooks";
import { del, patch, post } from "../api.js";
import { t } from "../i18n.js";
import { Confirm, fieldErrors, html, More, Notice, Problem, SelectField, TextField, usePaged } from "../ui.js";

const ROLES = ["owner", "admin", "editor", "agent", "viewer"];
const roleOptions = () => ROLES.map((r) => [r, t(`team.role.${r}`)]);

export function Team({ me }) {
  const list = usePaged("/v1/team/members");
  const members = list.items || [];
  const [form, setForm] = useState({ email: "", name: "", role: "editor" });
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [removing, setRemoving] = useState(null);
  const mayAdminister = me.scopes.includes("admin");

  const load = list.reload;

  async function invite(event) {
    event.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const body = { email: form.email.trim(), role: form.role };
      if (form.name.trim()) body.name = form.name.trim();
      await post("/v1/team/members", body);
      setNotice(t("team.invited", { email: body.email }));
      setForm({ email: "", name: "", role: form.role });
      load();
    } catch (failure) {
      setError(failure);
    }
  }

  async function changeRole(member, role) {
    setError(null);
    try {
      await patch(`/v1/team/members/${member.id}`, { role });
      load();
    } catch (failure) {
      setError(failure);
      load();
    }
  }

  async function remove() {
    const member = removing;
    setRemoving(null);
    try {
      await del(`/v1/team/members/${member.id}`);
      load();
    } catch (failure) {
      setError(failure);
    }
  }

  const fields = fieldErrors(error);
  return html`<section aria-labelledby="team-title">
    <h1 id="team-title">${t("team.title")}</h1>
    ${notice && html`<${Notice} text=${notice} />`}
    <${Problem} error=${error || list.error} />
    <div class="table-wrap" role="region" aria-labelledby="team-title" tabindex="0">
      <table class="table">
        <thead><tr>
          <th scope="col">${t("team.name")}</th><th scope="col">${t("team.email")}</th>
          <th scope="col">${t("team.role")}</th><th scope="col">${t("team.status")}</th>
          <th scope="col">${t("team.second")}</th>${mayAdminister && html`<th scope="col"><span class="visually-hidden">${t("team.remove")}</span></th>`}
        </tr></thead>
        <tbody>${members.map((m) => html`<tr key=${m.id}>
          <th scope="row">${m.name || "—"}${m.id === me.member.id ? html` <span class="muted">(${t("team.you")})</span>` : ""}</th>
          <td data-label=${t("team.email")}>${m.email}</td>
          <td data-label=${t("team.role")}>${mayAdminister && m.id !== me.member.id
            ? html`<select aria-label=${`${t("team.role")}: ${m.email}`} value=${m.role} onChange=${(e) => changeRole(m, e.currentTarget.value)}>
                ${roleOptions().map(([v, text]) => html`<option value=${v} selected=${v === m.role}>${text}</option>`)}
              </select>`
            : t(`team.role.${m.role}`)}</td>
          <td data-label=${t("team.status")}>${t(`team.status.${m.status}`)}</td>
          <td data-label=${t("team.second")}>${m.second_factor ? t("yes") : t("no")}</td>
          ${mayAdminister && html`<td>${m.id !== me.member.id && html`<button type="button" class="button button--small"
            onClick=${() => setRemoving(m)}>${t("team.remove")}<span class="visually-hidden"> ${m.email}</span></button>`}</td>`}
        </tr>`)}</tbody>
      </table>
    </div>
    <${More} list=${list} />
    ${mayAdminister && html`<form class="form panel" onSubmit=${invite} novalidate aria-labelledby="invite-title">
      <h2 id="invite-title">${t("team.invite")}</h2>
      <${TextField} id="invite-email" label=${t("team.email")} type="email" value=${form.email}
        onInput=${(v) => setForm({ ...form, email: v })} error=${fields.email} required />
      <${TextField} id="invite-name" label=${t("team.name")} value=${form.name}
        onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} optional />
      <${SelectField} id="invite-role" label=${t("team.role")} value=${form.role}
        onChange=${(v) => setForm({ ...form, role: v })} error=${fields.role} options=${roleOptions()} />
      <button class="button button--primary">${t("team.invite")}</button>
    </form>`}
    <${Confirm} open=${removing !== null} text=${removing ? t("team.remove.confirm", { email: removing.email }) : ""}
      action=${t("team.remove")} onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  </section>`;
}
