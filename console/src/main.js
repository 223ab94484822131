// The console: who is signed in, the navigation, and the screen the URL names.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./console.css";
import { get, signedIn, signOut, whenSignedOut } from "./api.js";
import { choose, current, LANGUAGES, ready, t } from "./i18n.js";
import { go, match, takeSecrets, useRoute } from "./router.js";
import { Forgot, Join, Reset, SignIn } from "./screens/signin.js";
import { html, lazy, Problem } from "./ui.js";

// Screens load when first shown: the sign-in needs none of them.
const Billing = lazy(() => import("./screens/billing.js"), "Billing");
const CustomerList = lazy(() => import("./screens/customers.js"), "CustomerList");
const CustomerDetail = lazy(() => import("./screens/customers.js"), "CustomerDetail");
const NewCustomer = lazy(() => import("./screens/customers.js"), "NewCustomer");
const CustomerEquipment = lazy(() => import("./screens/equipment.js"), "CustomerEquipment");
const EquipmentList = lazy(() => import("./screens/equipment.js"), "EquipmentList");
const NewEquipment = lazy(() => import("./screens/equipment.js"), "NewEquipment");
const ImportCustomers = lazy(() => import("./screens/imports.js"), "ImportCustomers");
const CustomerPortal = lazy(() => import("./screens/portal.js"), "CustomerPortal");
const SecondFactor = lazy(() => import("./screens/mfa.js"), "SecondFactor");
const Settings = lazy(() => import("./screens/settings.js"), "Settings");
const Shares = lazy(() => import("./screens/shares.js"), "Shares");
const Team = lazy(() => import("./screens/team.js"), "Team");
const CustomerSupport = lazy(() => import("./screens/support.js"), "CustomerSupport");
const Inbox = lazy(() => import("./screens/support.js"), "Inbox");
const TicketView = lazy(() => import("./screens/support.js"), "TicketView");
const TemplateEditor = lazy(() => import("./screens/templates.js"), "TemplateEditor");
const TemplateList = lazy(() => import("./screens/templates.js"), "TemplateList");
const ThemeEditor = lazy(() => import("./screens/themes.js"), "ThemeEditor");
const ThemeList = lazy(() => import("./screens/themes.js"), "ThemeList");

const NAV = [
  ["/customers", "nav.customers"],
  ["/equipment", "nav.equipment"],
  ["/tickets", "nav.tickets"],
  ["/themes", "nav.themes"],
  ["/templates", "nav.templates"],
  ["/billing", "nav.billing"],
  ["/shares", "nav.shares"],
  ["/team", "nav.team"],
];

function LanguagePicker({ onChange }) {
  return html`<label class="language">
    <span class="visually-hidden">${t("lang.label")}</span>
    <select onChange=${(e) => onChange(e.currentTarget.value)} aria-label=${t("lang.label")}>
      ${LANGUAGES.map((l) => html`<option value=${l} selected=${l === current()}>${t(`language.${l}`)}</option>`)}
    </select>
  </label>`;
}

function Screen({ route, me, refreshMe }) {
  if (me.second_factor_required) {
    return html`<${SecondFactor} required=${true} onDone=${refreshMe} />`;
  }
  const [path, query] = route.split("?");
  const search = new URLSearchParams(query || "").get("q") || "";
  let params;
  if (path === "/customers/new") return html`<${NewCustomer} />`;
  if (path === "/customers/import") return html`<${ImportCustomers} />`;
  if ((params = match("/customers/:id", path))) {
    return html`<${CustomerDetail} id=${params.id} created=${(query || "").includes("created=1")} />
      <${CustomerEquipment} customerId=${params.id} />
      <${CustomerPortal} customerId=${params.id} />
      <${CustomerSupport} customerId=${params.id} />`;
  }
  if (path === "/tickets") {
    const filters = new URLSearchParams(query || "");
    return html`<${Inbox} status=${filters.get("status") || ""} customer=${filters.get("customer") || ""} />`;
  }
  if ((params = match("/tickets/:id", path))) return html`<${TicketView} key=${params.id} id=${params.id} />`;
  if (path === "/equipment/new") return html`<${NewEquipment} />`;
  if (path === "/equipment") return html`<${EquipmentList} q=${search} />`;
  if (path === "/themes") return html`<${ThemeList} />`;
  if ((params = match("/themes/:id", path))) return html`<${ThemeEditor} key=${params.id} id=${params.id} />`;
  if (path === "/templates") return html`<${TemplateList} />`;
  if (path === "/templates/new") return html`<${TemplateEditor} key="new" id=${null} />`;
  if ((params = match("/templates/:id", path))) return html`<${TemplateEditor} key=${params.id} id=${params.id} />`;
  if (path === "/billing") return html`<${Billing} tab="plans" />`;
  if ((params = match("/billing/:tab", path))) return html`<${Billing} tab=${params.tab} />`;
  if (path === "/shares") return html`<${Shares} />`;
  if (path === "/team") return html`<${Team} me=${me} />`;
  if (path === "/settings") return html`<${Settings} me=${me} refreshMe=${refreshMe} />`;
  return html`<${CustomerList} q=${search} />`;
}

function Shell({ me, route, refreshMe, onSignOut, onLanguage }) {
  const active = (prefix) => route.startsWith(prefix) || (prefix === "/customers" && route === "/");
  // On a phone the menu folds away behind a button; choosing a screen folds it again.
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [route]);
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>${t("app.skip")}</a>
    <header class="topbar">
      <span class="brand">Portway <span class="muted">${me.tenant_name}</span></span>
      <button type="button" class="button button--small menu-button" aria-expanded=${open ? "true" : "false"}
        aria-controls="main-menu" onClick=${() => setOpen(!open)}>${t("nav.menu")}</button>
      <nav aria-label=${t("nav.label")} id="main-menu" class=${open ? "nav nav--open" : "nav"}>
        <ul>${NAV.map(([to, key]) => html`<li><a href=${`#${to}`} aria-current=${active(to) ? "page" : undefined}>${t(key)}</a></li>`)}
          <li><a href="#/settings" aria-current=${active("/settings") ? "page" : undefined}>${t("nav.settings")}</a></li>
        </ul>
      </nav>
      <div class="topbar__end">
        <${LanguagePicker} onChange=${onLanguage} />
        <span class="who">${me.member.name || me.member.email}</span>
        <button type="button" class="button button--small" onClick=${onSignOut}>${t("nav.signout")}</button>
      </div>
    </header>
    <main id="main" tabindex="-1" class="content"><${Screen} route=${route} me=${me} refreshMe=${refreshMe} /></main>
  </div>`;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const [, setLanguage] = useState(current());
  const [checked, setChecked] = useState(!signedIn());

  async function refreshMe() {
    try {
      setMe(await get("/v1/team/me"));
      setError(null);
    } catch (failure) {
      setMe(null);
      if (signedIn()) setError(failure);
    } finally {
      setChecked(true);
    }
  }
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    if (signedIn()) refreshMe();
  }, []);
  useEffect(() => { document.title = t("app.name"); });

  const onLanguage = async (language) => { await choose(language); setLanguage(language); };
  if (!checked) return html`<p class="boot">${t("common.loading")}</p>`;
  if (me === null) {
    const auth = { onSignedIn: () => { refreshMe(); go("/customers"); } };
    let screen;
    if (route === "/join") screen = html`<${Join} ...${auth} />`;
    else if (route === "/reset") screen = html`<${Reset} />`;
    else if (route === "/forgot") screen = html`<${Forgot} />`;
    else screen = html`<${SignIn} ...${auth} />`;
    return html`<div class="auth-shell">
      <div class="auth-shell__bar"><${LanguagePicker} onChange=${onLanguage} /></div>
      ${error && html`<${Problem} error=${error} />`}
      ${screen}
    </div>`;
  }
  return html`<${Shell} me=${me} route=${route} refreshMe=${refreshMe} onLanguage=${onLanguage}
    onSignOut=${async () => { await signOut(); setMe(null); go("/"); }} />`;
}

takeSecrets();
ready().then(() => {
  const root = document.getElementById("app");
  root.textContent = ""; // the page's placeholder, until the console draws itself
  render(html`<${App} />`, root);
});
