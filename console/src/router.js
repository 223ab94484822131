// Routes live in the URL's fragment (`#/customers/cus_...`): the back button works, a link
// can be shared, and the static files need no server-side routing. Secrets an e-mail
// brings (`#invite=...`, `#reset=...`) are taken out of the URL at once.
import { useEffect, useState } from "preact/hooks";

const secrets = {};

export function takeSecrets() {
  const fragment = location.hash.slice(1);
  for (const name of ["invite", "reset"]) {
    if (fragment.startsWith(`${name}=`)) {
      secrets[name] = decodeURIComponent(fragment.slice(name.length + 1));
      history.replaceState(null, "", `${location.pathname}${location.search}#/${name === "invite" ? "join" : "reset"}`);
    }
  }
}

export function secret(name) {
  return secrets[name];
}

function path() {
  const fragment = location.hash.slice(1);
  return fragment.startsWith("/") ? fragment : "/";
}

export function useRoute() {
  const [current, setCurrent] = useState(path());
  useEffect(() => {
    const changed = () => setCurrent(path());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return current;
}

export function go(to) {
  location.hash = to;
}

/** `/customers/:id` against `/customers/cus_1`: `{id: "cus_1"}`, or null. */
export function match(pattern, actual) {
  const want = pattern.split("/");
  const got = actual.split("?")[0].split("/");
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}
