// Builds the console into static_pages/console/: an ES module entry, chunks it loads when a
// screen or a language is first needed, and one stylesheet, all named by content hash (cached
// immutable), and an index.html that loads the entry. No inline script or style: the console
// runs under `script-src 'self'`. manifest.json says what the first screen loads.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "static_pages", "console");
const assets = join(out, "assets");

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(root, "console", "src", "main.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  splitting: true,
  outdir: assets,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const metas = result.metafile.outputs;
const outputs = Object.entries(metas).map(([path, meta]) => ({
  file: basename(path),
  bytes: meta.bytes,
}));
const entryPath = Object.keys(metas).find((p) => (metas[p].entryPoint || "").endsWith("src/main.js"));
const script = { file: basename(entryPath) };
const style = outputs.find((o) => o.file.endsWith(".css"));

// The first screen: the entry, what it imports statically, and the largest language.
const firstScreen = new Set();
const visit = (path) => {
  if (firstScreen.has(path)) return;
  firstScreen.add(path);
  for (const imported of metas[path].imports) {
    if (imported.kind === "import-statement") visit(imported.path);
  }
};
visit(entryPath);
const languages = Object.keys(metas).filter((p) => /\/(en|de|da)-[A-Z0-9]+\.js$/.test(p));
const largestLanguage = Math.max(...languages.map((p) => metas[p].bytes));
const firstScreenBytes =
  [...firstScreen].reduce((sum, p) => sum + metas[p].bytes, 0) + largestLanguage;
const template = readFileSync(join(root, "console", "index.html"), "utf8");
const html = template
  .replace("{{script}}", `/console/assets/${script.file}`)
  .replace("{{style}}", `/console/assets/${style.file}`);
writeFileSync(join(out, "index.html"), html);
const manifest = { first_screen_js_bytes: firstScreenBytes, outputs };
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`first screen: ${firstScreenBytes} bytes of JavaScript; ${outputs.length} files`);
