"""The hosted pages' map: the files `node console/map.mjs` builds into `static_pages/map/`
(`make map`), served from our own origin under `/page-assets/map/`, and where the map's tiles
come from.

A page that shows a map carries `data-module="/page-assets/map/map-<hash>.js"` on its map's
container and loads that module only when it draws a map; the module finds its worker,
stylesheet and base map beside itself. The tiles are the local base map unless the operator
points `PORTWAY_MAP_TILES_URL` at a PMTiles archive elsewhere (S3 through CloudFront): then
that origin joins the page's `connect-src`, and nothing else does. No Jinja here.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from chalicelib.settings import get_settings

_log = logging.getLogger("portway")

BUILT = Path(__file__).resolve().parents[2] / "static_pages" / "map"
PREFIX = "/page-assets/map/"
# What a page's HTML holds when it shows a map (its CSP then allows the map's worker,
# stylesheet, control icons and tiles).
MARKER = f'data-module="{PREFIX}'
_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "pmtiles": "application/vnd.pmtiles",
}
# Sent as bytes (Chalice base64-encodes them for API Gateway; see app.api.binary_types).
BINARY_TYPES = ("application/vnd.pmtiles",)


class MapFile(NamedTuple):
    """A built file: its bytes and content type."""

    data: bytes
    content_type: str


@functools.cache
def manifest() -> dict[str, str] | None:
    """The built files' names by role (module, worker, style, basemap), or None when the map
    is not built here (the pages then show their lists without a map)."""
    try:
        found = json.loads((BUILT / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        published = _published_manifest()
        if published is None:
            _log.warning("the map is not built: run `make map` (node console/map.mjs)")
            return None
        found = published
    return {role: str(found[role]) for role in ("module", "worker", "style", "basemap")}


def _published_manifest() -> dict[str, str] | None:
    """The manifest `portway assets publish` put beside the map's files in the bucket (in
    AWS the function's package has no built map; the CDN serves its files)."""
    if get_settings().is_local:
        return None
    from chalicelib.blobs import blob_store

    blob = blob_store().get("page-assets/map/manifest.json")
    if blob is None:
        return None
    found: dict[str, str] = json.loads(blob.data)
    return found


@functools.cache
def _read(name: str) -> bytes:
    return (BUILT / name).read_bytes()


def served(name: str) -> MapFile | None:
    """The file `name` names if it is one of the built ones, else None."""
    files = manifest()
    if files is None or name not in files.values():
        return None
    try:
        data = _read(name)
    except FileNotFoundError:
        return None
    return MapFile(data, _TYPES[name.rsplit(".", 1)[1]])


def tiles_url() -> str | None:
    """The operator's PMTiles archive, or None for the local base map."""
    return get_settings().map_tiles_url


def tiles_origin() -> str | None:
    """The origin the tiles come from when it is not ours (for `connect-src`)."""
    url = tiles_url()
    if not url or url.startswith("/"):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_map() -> dict[str, str] | None:
    """What a page's map container carries: the module's address and, when the operator
    set one, the tiles' (None when the map is not built)."""
    files = manifest()
    if files is None:
        return None
    return {"module": PREFIX + files["module"], "tiles": tiles_url() or ""}


def sizes() -> dict[str, tuple[int, int]]:
    """Each built file's size by role, raw and gzip (for `make bench`); empty when not built."""
    files = manifest()
    if files is None:
        return {}
    found = json.loads((BUILT / "manifest.json").read_text(encoding="utf-8"))["sizes"]
    return {role: (found[name]["bytes"], found[name]["gzip"]) for role, name in files.items()}


def reset() -> None:
    """Forget what was read (tests that build or remove the map)."""
    manifest.cache_clear()
    _read.cache_clear()
