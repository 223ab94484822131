// Portal templates: the apps, theme, home page and sections a portal made from them shows.
// A change that shows in live portals asks first, naming how many change.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, patch, post } from "../api.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { Confirm, fieldErrors, html, isStale, More, Notice, Problem, SelectField, TextField, usePaged } from "../ui.js";

export const APPS = ["equipment", "activity", "reports", "billing", "support", "tracking"];
export const HOME_PAGES = ["overview", "equipment", "map", "reports"];
const SECTIONS = { equipment: "equipment", activity: "activity", map: "tracking", reports: "reports", documents: "billing", support: "support" };

export function useThemes() {
  const [themes, setThemes] = useState([]);
  useEffect(() => { get("/v1/themes?limit=100").then((p) => setThemes(p.items), () => {}); }, []);
  return themes;
}

export function AppChoice({ apps, onChange, error, idPrefix }) {
  const toggle = (app) => onChange(apps.includes(app) ? apps.filter((a) => a !== app) : [...apps, app]);
  return html`<fieldset class=${`fieldset${error ? " field--invalid" : ""}`} aria-describedby=${error ? `${idPrefix}-apps-error` : undefined}>
    <legend>${t("templates.apps")}</legend>
    <div class="checks">${APPS.map((app) => html`<label class="check" key=${app}>
      <input type="checkbox" checked=${apps.includes(app)} onChange=${() => toggle(app)} />
      <span>${t(`app.${app}`)}</span></label>`)}</div>
    ${error && html`<p class="error" id=${`${idPrefix}-apps-error`}>${error}</p>`}
  </fieldset>`;
}

/** The sections a portal's home page shows: those whose app is chosen, ticked or not. */
export function sectionsFor(apps, chosen) {
  return Object.keys(SECTIONS).filter((key) => apps.includes(SECTIONS[key])).map((key) => {
    const before = chosen.find((s) => s.key === key);
    const headings = Object.fromEntries(Object.entries(before?.headings || {}).filter(([, v]) => v && v.trim()));
    return { key, visible: before?.visible ?? true, ...(Object.keys(headings).length ? { headings } : {}) };
  });
}

export function SectionChoice({ apps, sections, onChange, withHeadings = false }) {
  const shown = sectionsFor(apps, sections);
  const toggle = (key) => onChange(shown.map((s) => (s.key === key ? { ...s, visible: !s.visible } : s)));
  // Headings are edited as typed (blank ones included); sectionsFor drops the blank ones.
  const heading = (key, language, value) => onChange(sections.filter((s) => s.key !== key).concat([{
    ...(shown.find((s) => s.key === key) || { key, visible: true }),
    headings: { ...(sections.find((s) => s.key === key)?.headings || {}), [language]: value },
  }]));
  return html`<fieldset class="fieldset"><legend>${t("templates.sections")}</legend>
    ${shown.length === 0 ? html`<p class="muted">${t("templates.sections.none")}</p>` : html`<div class="checks">
      ${shown.map((s) => html`<div key=${s.key}><label class="check">
        <input type="checkbox" checked=${s.visible} onChange=${() => toggle(s.key)} />
        <span>${t(`section.${s.key}`)}</span></label>
        ${withHeadings && s.visible && html`<div class="row">${["en", "de", "da"].map((language) => html`
          <${TextField} key=${language} id=${`heading-${s.key}-${language}`} label=${t("templates.heading", { language: t(`language.${language}`) })}
            value=${sections.find((x) => x.key === s.key)?.headings?.[language] || ""} optional maxlength="80"
            onInput=${(v) => heading(s.key, language, v)} />`)}</div>`}
      </div>`)}</div>`}
  </fieldset>`;
}

export const homeOptions = () => HOME_PAGES.map((h) => [h, t(`home.${h}`)]);
export const themeOptions = (themes) => [["", t("templates.theme.none")], ...themes.map((th) => [th.id, th.name])];

export function TemplateList() {
  const list = usePaged("/v1/portal-templates");
  const templates = list.items;
  const error = list.error;
  return html`<section aria-labelledby="templates-title">
    <div class="heading">
      <h1 id="templates-title">${t("templates.title")}</h1>
      <a class="button button--primary" href="#/templates/new">${t("templates.new")}</a>
    </div>
    <${Problem} error=${error} />
    ${templates === null ? html`<p>${t("common.loading")}</p>` : templates.length === 0 ? html`<p>${t("common.none")}</p>` : html`
    <ul class="cards">${templates.map((tpl) => html`<li class="card" key=${tpl.id}>
      <a href=${`#/templates/${tpl.id}`}>${tpl.name}</a>
      <span class="muted">${tpl.apps.map((a) => t(`app.${a}`)).join(", ")}</span>
      ${tpl.is_default && html`<span class="badge badge--ok">${t("templates.default")}</span>`}
    </li>`)}</ul>`}
    <${More} list=${list} />
  </section>`;
}

const BLANK = { name: "", description: "", apps: ["equipment"], theme_id: "", home_page: "overview", sections: [], is_default: false };

function bodyOf(form) {
  return {
    name: form.name,
    description: form.description || null,
    apps: form.apps,
    theme_id: form.theme_id || null,
    home_page: form.home_page,
    sections: sectionsFor(form.apps, form.sections),
    is_default: form.is_default,
  };
}

export function TemplateEditor({ id }) {
  const themes = useThemes();
  const [template, setTemplate] = useState(null);
  const [form, setForm] = useState(id ? null : BLANK);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [asking, setAsking] = useState(null);

  async function load() {
    setError(null);
    try {
      const found = await get(`/v1/portal-templates/${encodeURIComponent(id)}`);
      setTemplate(found);
      setForm({ ...found, description: found.description || "", theme_id: found.theme_id || "" });
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => { if (id) load(); }, [id]);
  if (form === null) return html`<section><${Problem} error=${error} />${!error && html`<p>${t("common.loading")}</p>`}</section>`;

  async function save(confirm = false) {
    setError(null);
    setSaved(null);
    setAsking(null);
    try {
      if (!id) {
        const created = await post("/v1/portal-templates", bodyOf(form));
        go(`/templates/${created.id}`);
        return;
      }
      const updated = await patch(`/v1/portal-templates/${encodeURIComponent(id)}${confirm ? "?confirm=true" : ""}`,
        { ...bodyOf(form), version: template.version });
      setTemplate(updated);
      setSaved(t("common.saved"));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409 && failure.problem.affected_count !== undefined) {
        setAsking(failure.problem.affected_count);
      } else {
        setError(failure);
      }
    }
  }

  const fields = fieldErrors(error);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  return html`<section aria-labelledby="template-title">
    <p><a href="#/templates">← ${t("templates.title")}</a></p>
    <h1 id="template-title">${id ? template?.name ?? form.name : t("templates.new")}</h1>
    ${saved && html`<${Notice} text=${saved} />`}
    <${Problem} error=${error} onReload=${isStale(error) ? load : undefined} />
    <form class="form" onSubmit=${(e) => { e.preventDefault(); save(false); }} novalidate>
      <${TextField} id="template-name" label=${t("templates.name")} value=${form.name} onInput=${set("name")} error=${fields.name} required />
      <${TextField} id="template-description" label=${t("templates.description")} value=${form.description}
        onInput=${set("description")} error=${fields.description} optional />
      <${AppChoice} apps=${form.apps} onChange=${set("apps")} error=${fields.apps} idPrefix="template" />
      <${SelectField} id="template-theme" label=${t("templates.theme")} value=${form.theme_id} onChange=${set("theme_id")}
        error=${fields.theme_id} options=${themeOptions(themes)} />
      <${SelectField} id="template-home" label=${t("templates.home")} value=${form.home_page} onChange=${set("home_page")}
        error=${fields.home_page} options=${homeOptions()} />
      <${SectionChoice} apps=${form.apps} sections=${form.sections} onChange=${set("sections")} withHeadings=${true} />
      <label class="check"><input type="checkbox" checked=${form.is_default} onChange=${() => set("is_default")(!form.is_default)} />
        <span>${t("templates.is_default")}</span></label>
      <div class="actions"><button class="button button--primary">${id ? t("common.save") : t("common.create")}</button></div>
    </form>
    <${Confirm} open=${asking !== null} danger=${false} text=${t("templates.affected", { count: asking ?? 0 })}
      action=${t("templates.affected.confirm", { count: asking ?? 0 })} onConfirm=${() => save(true)} onCancel=${() => setAsking(null)} />
  </section>`;
}
