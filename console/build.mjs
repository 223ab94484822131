// Builds the console into static_pages/console/: one ES module bundle and one stylesheet,
// named by content hash (cached immutable), and an index.html that loads them. No inline
// script or style: the console runs under `script-src 'self'`.
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
  outdir: assets,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs).map(([path, meta]) => ({
  file: basename(path),
  bytes: meta.bytes,
}));
const script = outputs.find((o) => o.file.endsWith(".js"));
const style = outputs.find((o) => o.file.endsWith(".css"));
const template = readFileSync(join(root, "console", "index.html"), "utf8");
const html = template
  .replace("{{script}}", `/console/assets/${script.file}`)
  .replace("{{style}}", `/console/assets/${style.file}`);
writeFileSync(join(out, "index.html"), html);
writeFileSync(join(out, "manifest.json"), JSON.stringify({ outputs }, null, 2) + "\n");
console.log(outputs.map((o) => `${o.file} ${o.bytes} bytes`).join("\n"));
