// Builds the hosted pages' map into static_pages/map/ (ignored by git; `make map`):
// - map-<hash>.js: the module a page loads when it shows a map (console/map/main.js with
//   MapLibre GL and the PMTiles protocol, an ES module that sets window.portwayMap);
// - map-worker-<hash>.js: MapLibre's worker, started as a module worker from our origin;
// - map-<hash>.css: MapLibre's stylesheet and the markers' (console/map/map.css);
// - basemap-<hash>.pmtiles: the base map for one machine and tests (console/map/basemap.mjs);
// - manifest.json: those names and sizes, which the server reads (chalicelib/pages/maps.py).
// Every name carries its content's hash (served with a year's cache); the module knows the
// others' names, so a changed worker, stylesheet or base map gives a new module name too.
import { build, transform } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { basemap } from "./map/basemap.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "static_pages", "map");
const maplibre = join(root, "node_modules", "maplibre-gl", "dist");
const TARGET = ["chrome110", "firefox110", "safari16"];

const named = (stem, ext, data) => `${stem}-${createHash("sha256").update(data).digest("hex").slice(0, 12)}.${ext}`;
const files = {};
const written = {};
function put(role, stem, ext, data) {
  const name = named(stem, ext, data);
  files[role] = name;
  written[name] = data;
}

const archive = basemap(root);
put("basemap", "basemap", "pmtiles", archive.bytes);

// MapLibre's worker as it is published (already minified), without its source map link.
const worker = readFileSync(join(maplibre, "maplibre-gl-worker.mjs"), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
put("worker", "map-worker", "js", Buffer.from(worker));

const css = await transform(
  readFileSync(join(maplibre, "maplibre-gl.css"), "utf8") + "\n" + readFileSync(join(root, "console", "map", "map.css"), "utf8"),
  { loader: "css", minify: true, target: TARGET, logLevel: "warning" },
);
put("style", "map", "css", Buffer.from(css.code));

const bundle = await build({
  entryPoints: [join(root, "console", "map", "main.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: TARGET,
  write: false,
  legalComments: "eof",
  define: { __PW_MAP_FILES__: JSON.stringify({ worker: files.worker, style: files.style, basemap: files.basemap }) },
  logLevel: "warning",
});
put("module", "map", "js", Buffer.from(bundle.outputFiles[0].contents));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sizes = {};
for (const [name, data] of Object.entries(written)) {
  writeFileSync(join(out, name), data);
  sizes[name] = { bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
}
const manifest = { ...files, sizes, basemap_tiles: archive.tiles, basemap_contents: archive.contents };
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
for (const role of ["module", "worker", "style", "basemap"]) {
  const { bytes, gzip } = sizes[files[role]];
  console.log(`${role.padEnd(8)} ${files[role].padEnd(34)} ${String(bytes).padStart(8)} bytes, ${String(gzip).padStart(7)} gzip`);
}
