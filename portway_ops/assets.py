"""`portway --stage STAGE assets publish`: the files the CDN serves straight from the bucket,
at the keys of their addresses (run after each release, before `pages render`).

- the pages' scripts (`/page-assets/page-<hash>.js`, committed under
  chalicelib/templates/pages/min/),
- the map (`/page-assets/map/...`, `make map`) with its manifest, which the page renderer
  reads from the bucket when the function's package has no built map,
- the console (`/console`, `/console/assets/...`, `make console`).

Files named by their content are cached for a year; the console's page and the manifest
are revalidated. The console's page carries its CSP as metadata, like a stored page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from chalicelib.blobs import BlobStore, Served, blob_store
from chalicelib.handlers import console
from chalicelib.pages import maps, modules

FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".pmtiles": "application/vnd.pmtiles",
    ".html": "text/html; charset=utf-8",
}
SAFE = {"x-content-type-options": "nosniff"}
MAP_MANIFEST_KEY = "page-assets/map/manifest.json"


def files() -> Iterator[tuple[str, Path | bytes, str, Served]]:
    """Every file to publish: its key, where its bytes are, its type, how it is served."""
    for module in sorted(modules.MODULES):
        name, data = modules.module_file(module)
        yield f"page-assets/{name}", data, TYPES[".js"], Served(FOREVER, SAFE)
    if maps.manifest() is None:
        raise SystemExit("the map is not built: run `make map` first")
    for path in sorted(maps.BUILT.iterdir()):
        forever = path.name != "manifest.json"
        served = Served(FOREVER if forever else REVALIDATE, SAFE)
        yield f"page-assets/map/{path.name}", path, TYPES[path.suffix], served
    index = console.BUILT / "index.html"
    if not index.is_file():
        raise SystemExit("the console is not built: run `make console` first")
    headers = {"content-security-policy": console.CSP, "referrer-policy": "no-referrer", **SAFE}
    yield "console", index, TYPES[".html"], Served(REVALIDATE, headers)
    for path in sorted((console.BUILT / "assets").iterdir()):
        yield f"console/assets/{path.name}", path, TYPES[path.suffix], Served(FOREVER, SAFE)


def publish(store: BlobStore | None = None) -> int:
    """Upload every file; how many."""
    target = store or blob_store()
    count = 0
    for key, source, content_type, served in files():
        data = source if isinstance(source, bytes) else source.read_bytes()
        target.put(key, data, content_type, served)
        count += 1
    return count
