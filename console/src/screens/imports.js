// Importing customers from a CSV or Excel file: choose the file, read the preview with every
// problem by its row, then write all rows or only the valid ones, with progress.
import { useState } from "preact/hooks";
import { post, Raw } from "../api.js";
import { t } from "../i18n.js";
import { html, Notice, Problem } from "../ui.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const FIELD_LABELS = {
  name: "customers.name",
  customer_type: "customers.type",
  external_id: "import.col.number",
  language: "customers.language",
  email: "customers.email",
  row: "import.row.whole",
};

// What is wrong, in the person's language: by the problem's code, and for an invalid value
// by its column (the API's own message is for developers).
function problemText(p) {
  if (p.code === "invalid" && ["email", "language"].includes(p.field)) return t(`import.invalid.${p.field}`);
  return t(`import.code.${p.code}`);
}

function typeOf(file) {
  return file.name.toLowerCase().endsWith(".xlsx") ? XLSX : "text/csv";
}

function ProblemList({ result }) {
  if (result.problem_count === 0) return html`<${Notice} text=${t("import.clean", { rows: result.rows })} />`;
  return html`<section aria-labelledby="import-problems">
    <h2 id="import-problems">${t("import.problems", { count: result.problem_count, rows: result.problem_rows })}</h2>
    <div class="table-wrap" role="region" aria-labelledby="import-problems" tabindex="0">
      <table class="table">
        <thead><tr><th scope="col">${t("import.row")}</th><th scope="col">${t("import.field")}</th>
          <th scope="col">${t("import.problem")}</th></tr></thead>
        <tbody>${result.problems.map((p, i) => html`<tr key=${i}>
          <th scope="row">${p.row}</th>
          <td data-label=${t("import.field")}>${FIELD_LABELS[p.field] ? t(FIELD_LABELS[p.field]) : p.field}</td>
          <td data-label=${t("import.problem")}>${problemText(p)}</td>
        </tr>`)}</tbody>
      </table>
    </div>
    ${result.problem_count > result.problems.length && html`<p class="muted">${t("import.more", { count: result.problem_count - result.problems.length })}</p>`}
  </section>`;
}

export function ImportCustomers() {
  const [file, setFile] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function check(event) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const data = await file.arrayBuffer();
      setResult(await post(`/v1/customer-imports?file_name=${encodeURIComponent(file.name.slice(0, 100))}`, new Raw(data, typeOf(file))));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  async function write(rows) {
    setBusy(true);
    setError(null);
    try {
      let state = result;
      do {
        state = await post(`/v1/customer-imports/${result.id}/commit`, { rows });
        setResult(state);
      } while (state.status !== "written");
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const writing = result && result.status !== "previewed";
  return html`<section aria-labelledby="import-title">
    <p><a href="#/customers">← ${t("customers.title")}</a></p>
    <h1 id="import-title">${t("import.title")}</h1>
    <p>${t("import.intro")}</p>
    <form class="form" onSubmit=${check} novalidate>
      <div class="field">
        <label for="import-file">${t("import.file")}</label>
        <input id="import-file" type="file" accept=".csv,.xlsx,text/csv,${XLSX}" aria-describedby="import-file-hint"
          onChange=${(e) => { setFile(e.currentTarget.files[0] || null); setResult(null); }} />
        <p class="hint" id="import-file-hint">${t("import.file.hint")}</p>
      </div>
      <button class="button button--primary" disabled=${!file || busy}>${t("import.check")}</button>
    </form>
    <${Problem} error=${error} />
    ${result && html`<div class="panel">
      <p aria-live="polite">${t("import.summary", { rows: result.rows, valid: result.valid_rows })}</p>
      <${ProblemList} result=${result} />
      ${writing ? html`<div aria-live="polite">
          <label for="import-progress">${t("import.progress", { written: result.written, total: result.to_write })}</label>
          <progress id="import-progress" max=${result.to_write || 1} value=${result.written}></progress>
          ${result.status === "written" && html`<${Notice} text=${t("import.done", { count: result.written })} />
            <p><a href="#/customers">${t("customers.title")}</a></p>`}
        </div>`
      : html`<div class="actions">
          <button type="button" class="button button--primary" disabled=${busy || result.problem_rows > 0}
            onClick=${() => write("all")}>${t("import.all", { count: result.rows })}</button>
          ${result.problem_rows > 0 && result.valid_rows > 0 && html`<button type="button" class="button" disabled=${busy}
            onClick=${() => write("valid")}>${t("import.valid", { count: result.valid_rows })}</button>`}
        </div>`}
    </div>`}
  </section>`;
}
