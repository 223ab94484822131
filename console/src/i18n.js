// The person's language: what they chose, else their browser's, else English.
import { MESSAGES } from "./messages.js";

export const LANGUAGES = ["en", "de", "da"];
const KEY = "portway.console.language";

function initial() {
  const asked = new URLSearchParams(location.search).get("language");
  if (LANGUAGES.includes(asked)) return asked;
  const kept = localStorage.getItem(KEY);
  if (LANGUAGES.includes(kept)) return kept;
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(browser) ? browser : "en";
}

let language = initial();
document.documentElement.lang = language;

export function current() {
  return language;
}

export function choose(next) {
  if (!LANGUAGES.includes(next)) return;
  language = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
}

/** The text of `key` in the person's language, with {placeholders} filled. */
export function t(key, values = {}) {
  const text = MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}
