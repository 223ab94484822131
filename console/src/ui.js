// Small shared pieces: fields that show the API's errors beside them, notices, a confirm
// dialog, and the message a failed call shows in the person's language.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { ApiError, get, Offline } from "./api.js";
import { current, t } from "./i18n.js";

export const html = htm.bind(h);

/** A component whose module loads when it is first shown (a chunk of its own). */
export function lazy(load, name) {
  let loaded = null;
  return function Lazy(props) {
    const [component, setComponent] = useState(() => loaded);
    const [failed, setFailed] = useState(null);
    useEffect(() => {
      if (component) return;
      load().then((module) => {
        loaded = module[name];
        setComponent(() => loaded);
      }, setFailed);
    }, []);
    if (failed) return html`<${Problem} error=${failed} />`;
    return component ? h(component, props) : html`<p class="boot">${t("common.loading")}</p>`;
  };
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** What a failed call means for the person, in their language. */
export function messageOf(error) {
  if (error instanceof Offline) return t("error.offline");
  if (!(error instanceof ApiError)) return t("error.generic");
  if (error.status === 422) return t("error.fields");
  if (error.status === 409 && error.problem.current_version !== undefined) return t("error.conflict");
  if (error.status === 403) return t("error.forbidden");
  if (error.status === 404) return t("error.notfound");
  if (error.status === 401) return t("error.session");
  if (error.status === 429) return t("signin.slow");
  if (error.status >= 500) return t("error.generic");
  return error.message;
}

export function isStale(error) {
  return error instanceof ApiError && error.status === 409 && error.problem.current_version !== undefined;
}

export function Field({ id, label, error, hint, optional, children }) {
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  return html`<div class=${`field${error ? " field--invalid" : ""}`}>
    <label for=${id}>${label}${optional ? html` <span class="optional">(${t("common.optional")})</span>` : ""}</label>
    ${children({ id, "aria-describedby": described || undefined, "aria-invalid": error ? "true" : undefined })}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

export function TextField({ id, label, value, onInput, error, hint, optional, type = "text", ...rest }) {
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} optional=${optional}>
    ${(attrs) => html`<input ...${attrs} ...${rest} type=${type} value=${value ?? ""}
      onInput=${(e) => onInput(e.currentTarget.value)} />`}
  <//>`;
}

export function SelectField({ id, label, value, onChange, error, options, optional }) {
  return html`<${Field} id=${id} label=${label} error=${error} optional=${optional}>
    ${(attrs) => html`<select ...${attrs} value=${value ?? ""} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === (value ?? "")}>${text}</option>`)}
    </select>`}
  <//>`;
}

/** A problem summary at the top of a form: announced, and naming what to do next. */
export function Problem({ error, onReload }) {
  if (!error) return null;
  return html`<div class="notice notice--error" role="alert">
    <p>${messageOf(error)}</p>
    ${isStale(error) && onReload && html`<button type="button" class="button" onClick=${onReload}>${t("common.reload")}</button>`}
  </div>`;
}

export function Notice({ text }) {
  return html`<p class="notice notice--ok" role="status">${text}</p>`;
}

export function Confirm({ open, text, action, onConfirm, onCancel, danger = true }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`<dialog ref=${ref} class="dialog" onCancel=${(e) => { e.preventDefault(); onCancel(); }}
      aria-labelledby="confirm-text">
    <p id="confirm-text">${text}</p>
    <div class="actions">
      <button type="button" class=${danger ? "button button--danger" : "button button--primary"} onClick=${onConfirm}>${action}</button>
      <button type="button" class="button" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
  </dialog>`;
}

/** A list the server pages: its items so far, the next page on demand, reloading. */
export function usePaged(path, size = 50) {
  const [state, setState] = useState({ items: null, cursor: null, error: null, loading: true });
  async function load(after) {
    setState((s) => ({ ...s, loading: true }));
    const join = path.includes("?") ? "&" : "?";
    try {
      const page = await get(`${path}${join}limit=${size}${after ? `&cursor=${encodeURIComponent(after)}` : ""}`);
      setState((s) => ({ items: after ? [...(s.items || []), ...page.items] : page.items, cursor: page.next_cursor, error: null, loading: false }));
    } catch (error) {
      setState((s) => ({ ...s, error, loading: false }));
    }
  }
  useEffect(() => { load(null); }, [path]);
  return { ...state, reload: () => load(null), more: () => load(state.cursor) };
}

/** "Show more" while the server has more. */
export function More({ list }) {
  if (!list.cursor || list.loading) return null;
  return html`<button type="button" class="button" onClick=${list.more}>${t("common.more")}</button>`;
}

/** A list's search: the text goes into the URL (`?q=`), so back and forward keep it. */
export function Search({ id, label, value, base }) {
  const [text, setText] = useState(value || "");
  useEffect(() => setText(value || ""), [value]);
  return html`<form class="search" role="search" onSubmit=${(e) => {
    e.preventDefault();
    location.hash = text.trim() ? `${base}?q=${encodeURIComponent(text.trim())}` : base;
  }}>
    <label for=${id} class="visually-hidden">${label}</label>
    <input id=${id} type="search" value=${text} placeholder=${label} onInput=${(e) => setText(e.currentTarget.value)} />
    <button class="button">${t("common.search")}</button>
  </form>`;
}

// What is wrong with a field, in the person's language, by the problem's stable `code`; the
// API's own words only in English, where no code says more than "invalid".
function fieldText(e) {
  if (e.code === "format" && /(^|[._])email$/.test(e.field)) return t("field.email");
  if (e.code === "too_short" && e.limit === 1) return t("field.required"); // left empty
  if (e.code && e.code !== "invalid") return t(`field.${e.code}`, { limit: e.limit ?? "" });
  return current() === "en" ? e.message : t("field.invalid");
}

/** The field errors of a failed call, by field, in the person's language. */
export function fieldErrors(error) {
  if (!(error instanceof ApiError)) return {};
  const found = {};
  for (const e of error.problem.errors || []) found[e.field] = fieldText(e);
  return found;
}
