// Minifies the hosted pages' scripts (chalicelib/templates/pages/*.js) into
// chalicelib/templates/pages/min/: the page templates include them inline, and a module
// (MODULES: loaded by a page only where it is shown) is served as a file of its own from
// /page-assets/. A page's HTML, CSS and script stay within 30 KB (PERFORMANCE.md). The
// output is committed, so packaging needs no build; `node console/pages.mjs --check` (run by
// `make test`) fails when it is out of date.
import process from "node:process";
import { transform } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pages = join(root, "chalicelib", "templates", "pages");
const out = join(pages, "min");
const check = process.argv.includes("--check");
const MODULES = new Set(["page.js", "portal_app.js", "portal_support.js", "self_service_forms.js"]);
mkdirSync(out, { recursive: true });

let stale = [];
for (const name of readdirSync(pages).filter((f) => f.endsWith(".js")).sort()) {
  const source = readFileSync(join(pages, name), "utf8");
  const { code } = await transform(source, {
    minify: true,
    target: ["chrome80", "firefox78", "safari13"],
    legalComments: "none",
    logLevel: "warning",
  });
  // Included by Jinja: whatever the minified code holds is kept as it is.
  const wrapped = MODULES.has(name) ? `${code.trim()}\n` : `{% raw %}${code.trim()}{% endraw %}\n`;
  const target = join(out, name);
  if (check) {
    if (!existsSync(target) || readFileSync(target, "utf8") !== wrapped) stale.push(name);
  } else {
    writeFileSync(target, wrapped);
  }
}
if (stale.length) {
  console.error(`out of date in chalicelib/templates/pages/min/: ${stale.join(", ")}; run node console/pages.mjs`);
  process.exit(1);
}
