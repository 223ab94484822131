// The person's language: what they chose, else their browser's, else English. Each
// language's texts are a chunk of their own, loaded before the console shows anything in it.

export const LANGUAGES = ["en", "de", "da"];
const KEY = "portway.console.language";
const LOADERS = {
  en: () => import("./messages/en.js"),
  de: () => import("./messages/de.js"),
  da: () => import("./messages/da.js"),
};

function initial() {
  const asked = new URLSearchParams(location.search).get("language");
  if (LANGUAGES.includes(asked)) return asked;
  const kept = localStorage.getItem(KEY);
  if (LANGUAGES.includes(kept)) return kept;
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(browser) ? browser : "en";
}

let language = initial();
let texts = {};

export function current() {
  return language;
}

/** Load a language's texts and make it the console's. */
export async function choose(next) {
  if (!LANGUAGES.includes(next)) return;
  texts = (await LOADERS[next]()).default;
  language = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
}

export function ready() {
  return choose(language);
}

/** The text of `key` in the person's language, with {placeholders} filled. */
export function t(key, values = {}) {
  const text = texts[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}
