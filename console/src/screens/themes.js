// Branding themes: the list, and an editor whose preview follows every keystroke (on a light
// and a dark surround), with each text/background pair's contrast shown as it is typed.
import { useEffect, useState } from "preact/hooks";
import { get, patch, post, put, Raw } from "../api.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { fieldErrors, html, isStale, More, Notice, Problem, TextField, usePaged } from "../ui.js";

// Portway's defaults (chalicelib/branding.py): a colour left out takes these.
const DEFAULTS = {
  primary: "#1f5fa8", menu: "#1d2330", notification: "#b3261e", page_title: "#1d2330",
  page_background: "#f7f8fa", section_header_background: "#1f5fa8", section_header_text: "#ffffff",
  content_background: "#ffffff", discount_text: "#1a7f37", button: "#e9edf3", button_text: "#1d2330",
  action_button: "#1f5fa8", action_button_text: "#ffffff", border: "#d0d5dd",
};
const PAIRS = [
  ["page_title", "page_background"],
  ["section_header_text", "section_header_background"],
  ["primary", "content_background"],
  ["discount_text", "content_background"],
  ["button_text", "button"],
  ["action_button_text", "action_button"],
];
const HEX = /^#[0-9a-fA-F]{6}$/;

function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2.1 contrast of two #rrggbb colours, or null while one is not a colour yet. */
export function contrast(a, b) {
  if (!HEX.test(a) || !HEX.test(b)) return null;
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const pathOf = (url) => (url ? new URL(url, location.origin).pathname : null);

export function ThemeList() {
  const list = usePaged("/v1/themes");
  const themes = list.items;
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  async function create(event) {
    event.preventDefault();
    setError(null);
    try {
      const theme = await post("/v1/themes", { name });
      go(`/themes/${theme.id}`);
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<section aria-labelledby="themes-title">
    <h1 id="themes-title">${t("themes.title")}</h1>
    <${Problem} error=${error || list.error} />
    ${themes === null ? html`<p>${t("common.loading")}</p>` : themes.length === 0 ? html`<p>${t("common.none")}</p>` : html`
      <ul class="cards">${themes.map((theme) => html`<li key=${theme.id} class="card">
        <a href=${`#/themes/${theme.id}`}>${theme.name}</a>
        <span class="swatches" aria-hidden="true">${["primary", "section_header_background", "action_button"].map(
          (k) => html`<span class="swatch" style=${{ background: theme.colors[k] }}></span>`)}</span>
        ${theme.warnings.length > 0 && html`<span class="badge badge--warn">${t("themes.warnings", { count: theme.warnings.length })}</span>`}
      </li>`)}</ul>`}
    <${More} list=${list} />
    <form class="form panel" onSubmit=${create} novalidate aria-labelledby="new-theme-title">
      <h2 id="new-theme-title">${t("themes.new")}</h2>
      <${TextField} id="theme-new-name" label=${t("themes.name")} value=${name} onInput=${setName}
        error=${fieldErrors(error).name} required />
      <button class="button button--primary">${t("common.create")}</button>
    </form>
  </section>`;
}

function Preview({ colors, width, radius, mode, logo }) {
  const c = (k) => (HEX.test(colors[k] || "") ? colors[k] : DEFAULTS[k]);
  const box = { borderStyle: "solid", borderColor: c("border"), borderWidth: `${width}px`, borderRadius: `${radius}px` };
  // Shown as the person chose it, low contrast and all: hidden from assistive technology,
  // which reads the contrast table instead.
  return html`<div class=${`preview preview--${mode}`} aria-hidden="true" title=${t(`themes.preview.${mode}`)}>
    <div class="preview__page" style=${{ background: c("page_background"), color: c("page_title") }}>
      <div class="preview__menu" style=${{ background: c("menu"), color: "#ffffff" }}>
        ${logo ? html`<img src=${logo} alt="" class="preview__logo" />` : html`<strong>Portway</strong>`}
        <span style=${{ background: c("notification"), color: "#ffffff" }} class="preview__badge">3</span>
      </div>
      <p class="preview__title">${t("themes.sample.title")}</p>
      <div style=${{ ...box, background: c("content_background") }} class="preview__section">
        <div style=${{ background: c("section_header_background"), color: c("section_header_text") }} class="preview__header">${t("themes.sample.section")}</div>
        <p style=${{ color: c("primary") }}>${t("themes.sample.link")}</p>
        <p style=${{ color: c("discount_text") }}>${t("themes.sample.discount")}</p>
        <span style=${{ ...box, background: c("button"), color: c("button_text") }} class="preview__button">${t("themes.sample.button")}</span>
        <span style=${{ ...box, background: c("action_button"), color: c("action_button_text") }} class="preview__button">${t("themes.sample.action")}</span>
      </div>
    </div>
  </div>`;
}

function ColorField({ name, value, onInput, error }) {
  const id = `color-${name}`;
  return html`<div class=${`field field--color${error ? " field--invalid" : ""}`}>
    <label for=${id}>${t(`themes.color.${name}`)}</label>
    <div class="color-row">
      <input type="color" value=${HEX.test(value) ? value : DEFAULTS[name]} aria-label=${`${t(`themes.color.${name}`)}: ${t("themes.picker")}`}
        onInput=${(e) => onInput(e.currentTarget.value)} />
      <input id=${id} type="text" value=${value} maxlength="7" spellcheck="false" autocomplete="off"
        aria-invalid=${error ? "true" : undefined} aria-describedby=${error ? `${id}-error` : undefined}
        onInput=${(e) => onInput(e.currentTarget.value.trim())} />
    </div>
    ${error && html`<p class="error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

export function ThemeEditor({ id }) {
  const [theme, setTheme] = useState(null);
  const [form, setForm] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);

  async function load() {
    setError(null);
    try {
      const found = await get(`/v1/themes/${encodeURIComponent(id)}`);
      setTheme(found);
      setForm({ name: found.name, colors: { ...DEFAULTS, ...found.colors }, border_width: found.border_width, border_radius: found.border_radius });
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => { load(); }, [id]);
  if (form === null) return html`<section><${Problem} error=${error} />${!error && html`<p>${t("common.loading")}</p>`}</section>`;

  const setColor = (name) => (value) => { setSaved(null); setForm({ ...form, colors: { ...form.colors, [name]: value } }); };
  async function save(event) {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const updated = await patch(`/v1/themes/${encodeURIComponent(id)}`, {
        name: form.name, colors: form.colors, border_width: Number(form.border_width),
        border_radius: Number(form.border_radius), version: theme.version,
      });
      setTheme(updated);
      setSaved(t("common.saved"));
    } catch (failure) {
      setError(failure);
    }
  }
  async function upload(size, file) {
    if (!file) return;
    setError(null);
    try {
      const type = file.name.toLowerCase().endsWith(".svg") ? "image/svg+xml" : "image/png";
      setTheme(await put(`/v1/themes/${encodeURIComponent(id)}/logo?size=${size}`, new Raw(await file.arrayBuffer(), type)));
    } catch (failure) {
      setError(failure);
    }
  }

  const fields = fieldErrors(error);
  const logo = pathOf(theme.logos.small?.url);
  return html`<section aria-labelledby="theme-title">
    <p><a href="#/themes">← ${t("themes.title")}</a></p>
    <h1 id="theme-title">${theme.name}</h1>
    ${saved && html`<${Notice} text=${saved} />`}
    <${Problem} error=${error} onReload=${isStale(error) ? load : undefined} />
    <div class="editor">
      <form class="editor__form" onSubmit=${save} novalidate>
        <${TextField} id="theme-name" label=${t("themes.name")} value=${form.name}
          onInput=${(v) => setForm({ ...form, name: v })} error=${fields.name} required />
        <fieldset class="fieldset"><legend>${t("themes.colors")}</legend>
          ${Object.keys(DEFAULTS).map((name) => html`<${ColorField} key=${name} name=${name} value=${form.colors[name]}
            onInput=${setColor(name)} error=${fields[`colors.${name}`]} />`)}
        </fieldset>
        <div class="row">
          <${TextField} id="theme-border-width" label=${t("themes.border_width")} type="number" min="0" max="8"
            value=${form.border_width} onInput=${(v) => setForm({ ...form, border_width: v })} error=${fields.border_width} />
          <${TextField} id="theme-border-radius" label=${t("themes.border_radius")} type="number" min="0" max="32"
            value=${form.border_radius} onInput=${(v) => setForm({ ...form, border_radius: v })} error=${fields.border_radius} />
        </div>
        <button class="button button--primary">${t("common.save")}</button>
      </form>
      <div class="editor__side">
        <h2>${t("themes.preview")}</h2>
        <${Preview} colors=${form.colors} width=${form.border_width} radius=${form.border_radius} mode="light" logo=${logo} />
        <${Preview} colors=${form.colors} width=${form.border_width} radius=${form.border_radius} mode="dark" logo=${logo} />
        <h2 id="contrast-title">${t("themes.contrast")}</h2>
        <table class="table table--compact" aria-labelledby="contrast-title" aria-live="polite">
          <thead><tr><th scope="col">${t("themes.pair")}</th><th scope="col">${t("themes.ratio")}</th></tr></thead>
          <tbody>${PAIRS.map(([fg, bg]) => {
            const ratio = contrast(form.colors[fg], form.colors[bg]);
            const ok = ratio !== null && ratio >= 4.5;
            return html`<tr key=${fg}>
              <th scope="row">${t(`themes.color.${fg}`)} / ${t(`themes.color.${bg}`)}</th>
              <td data-label=${t("themes.ratio")}><span class=${`badge ${ok ? "badge--ok" : "badge--warn"}`}>
                ${ratio === null ? "—" : `${ratio.toFixed(2)}:1`} ${ok ? t("themes.passes") : t("themes.fails")}</span></td>
            </tr>`;
          })}</tbody>
        </table>
        <h2>${t("themes.logos")}</h2>
        ${["small", "large"].map((size) => html`<div class="field" key=${size}>
          <label for=${`logo-${size}`}>${t(`themes.logo.${size}`)}</label>
          ${theme.logos[size] && html`<img class="logo-preview" src=${pathOf(theme.logos[size].url)} alt=${t(`themes.logo.${size}`)} />`}
          <input id=${`logo-${size}`} type="file" accept="image/png,image/svg+xml,.png,.svg"
            aria-describedby="logo-hint" onChange=${(e) => upload(size, e.currentTarget.files[0])} />
        </div>`)}
        <p class="hint" id="logo-hint">${t("themes.logo.hint")}</p>
      </div>
    </div>
  </section>`;
}
