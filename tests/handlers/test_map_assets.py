"""The hosted pages' map files under /page-assets/map/: only the built ones by their hashed
names, cached for a year, `nosniff`; the base map read by Range requests (206, 416) as
PMTiles readers do, and a valid PMTiles v3 archive. A page with a map gets the map's CSP
sources, a page without one does not; the operator's tiles origin joins connect-src."""

from __future__ import annotations

import gzip
import hashlib
import struct

import pytest

from chalicelib import settings
from chalicelib.pages import maps
from chalicelib.services.pages.pages import Site, headers_for
from tests.conftest import deployed_env

PREFIX = "/page-assets/map/"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    found = maps.manifest()
    if found is None:
        pytest.fail("the map is not built: run `make map` (make test does)")
    return found


def _get(anonymous, name: str, **headers: str):
    return anonymous.get(PREFIX + name, headers={"Accept": "*/*", **headers})


def test_each_built_file_is_served_by_its_hashed_name_with_long_caching(anonymous, files):
    kinds = {
        "module": "text/javascript; charset=utf-8",
        "worker": "text/javascript; charset=utf-8",
        "style": "text/css; charset=utf-8",
        "basemap": "application/vnd.pmtiles",
    }
    for role, kind in kinds.items():
        name = files[role]
        data = (maps.BUILT / name).read_bytes()
        # The name carries the content's hash.
        assert name.rsplit("-", 1)[1].split(".")[0] == hashlib.sha256(data).hexdigest()[:12]
        answer = _get(anonymous, name)
        assert answer.status_code == 200, (name, answer.body[:200])
        assert answer.headers["Content-Type"] == kind
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.body == data
    assert _get(anonymous, files["basemap"]).headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "name",
    [
        "manifest.json",  # in the folder, but not a file a page loads
        "map-000000000000.js",
        "basemap-000000000000.pmtiles",
        "map.js",
        "map-worker.js",
        "page.js",
        "..%2Fmanifest.json",
        "map-0.exe",
    ],
)
def test_any_other_name_is_404(anonymous, files, name):
    assert _get(anonymous, name).status_code == 404


def test_the_base_map_answers_ranges_as_pmtiles_readers_ask(anonymous, files):
    name = files["basemap"]
    data = (maps.BUILT / name).read_bytes()
    size = len(data)
    etag = _get(anonymous, name).headers["ETag"]

    first = _get(anonymous, name, Range="bytes=0-16383")
    assert first.status_code == 206
    assert first.headers["Content-Range"] == f"bytes 0-16383/{size}"
    assert first.body == data[:16384]
    assert first.headers["ETag"] == etag  # every range comes from the same file

    middle = _get(anonymous, name, Range="bytes=1000-1099")
    assert (middle.status_code, middle.body) == (206, data[1000:1100])
    # A range running past the end is cut at the end; open and suffix ranges work.
    tail = _get(anonymous, name, Range=f"bytes={size - 10}-{size + 500}")
    assert tail.status_code == 206
    assert tail.headers["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert tail.body == data[-10:]
    assert _get(anonymous, name, Range=f"bytes={size - 3}-").body == data[-3:]
    assert _get(anonymous, name, Range="bytes=-5").body == data[-5:]

    # Starting past the end: 416 with the size, which readers use to ask again.
    for past in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        refused = _get(anonymous, name, Range=past)
        assert refused.status_code == 416, past
        assert refused.headers["Content-Range"] == f"bytes */{size}"
    # Several ranges or a malformed one: the whole file (RFC 9110 lets a server ignore them).
    for ignored in ("bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=-"):
        whole = _get(anonymous, name, Range=ignored)
        assert (whole.status_code, len(whole.body)) == (200, size), ignored


def _varints(data: bytes) -> list[int]:
    values, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value)
            value, shift = 0, 0
    return values


def test_the_base_map_is_a_small_pmtiles_v3_archive_of_vector_tiles(files):
    data = (maps.BUILT / files["basemap"]).read_bytes()
    assert len(data) < 2 * 1024 * 1024
    assert data[:7] == b"PMTiles"
    assert data[7] == 3
    offsets = struct.unpack_from("<11Q", data, 8)
    root_offset, root_length, meta_offset, meta_length = offsets[:4]
    data_offset, data_length, addressed, entries, contents = offsets[6:]
    clustered, internal, tile_compression, tile_type, min_zoom, max_zoom = data[96:102]
    assert (clustered, internal, tile_compression, tile_type) == (1, 2, 2, 1)  # gzip MVT
    assert (min_zoom, max_zoom) == (0, 5)
    assert root_offset + root_length <= 16384  # read with the first request
    assert data_offset + data_length == len(data)

    # The root directory: a count, then tile-id deltas, run lengths, lengths, offsets.
    numbers = _varints(gzip.decompress(data[root_offset : root_offset + root_length]))
    count = numbers[0]
    assert count == entries
    ids = numbers[1 : 1 + count]
    runs = numbers[1 + count : 1 + 2 * count]
    lengths = numbers[1 + 2 * count : 1 + 3 * count]
    assert ids[0] == 0
    assert all(delta > 0 for delta in ids[1:])
    assert sum(runs) == addressed
    assert all(run >= 1 for run in runs)
    assert all(length > 0 for length in lengths)
    assert contents <= entries
    metadata = gzip.decompress(data[meta_offset : meta_offset + meta_length])
    assert b'"vector_layers"' in metadata
    assert b'"land"' in metadata
    world = gzip.decompress(data[data_offset : data_offset + lengths[0]])
    assert b"land" in world
    assert b"borders" in world


def _site() -> Site:
    return Site("t", "acme", "Acme", "en", ("https://shop.example.com",), None)


def _policy(html: str) -> dict[str, str]:
    policy = headers_for(html, _site(), cacheable=True)["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_only_a_page_with_a_map_gets_the_maps_csp_sources(monkeypatch):
    monkeypatch.delenv("PORTWAY_MAP_TILES_URL", raising=False)
    settings.reset_settings()
    plain = _policy('<script src="/page-assets/page-0123456789ab.js"></script>')
    assert "worker-src" not in plain
    assert plain["img-src"] == "'self'"
    assert plain["connect-src"] == "'self'"
    assert "'self'" not in plain["style-src"]

    with_map = _policy('<div id="map" data-module="/page-assets/map/map-0123456789ab.js"></div>')
    assert with_map["worker-src"] == "'self'"
    assert with_map["img-src"] == "'self' data:"
    assert with_map["connect-src"] == "'self'"
    assert with_map["style-src"].endswith(" 'self'")
    assert with_map["default-src"] == "'none'"


def test_the_operators_tiles_origin_joins_connect_src_of_map_pages_only(monkeypatch):
    monkeypatch.setenv("PORTWAY_MAP_TILES_URL", "https://tiles.example.net/maps/world.pmtiles")
    settings.reset_settings()
    try:
        with_map = _policy('<div data-module="/page-assets/map/map-0123456789ab.js"></div>')
        assert with_map["connect-src"] == "'self' https://tiles.example.net"
        assert _policy("<p>no map</p>")["connect-src"] == "'self'"
        assert maps.page_map() == {
            "module": PREFIX + maps.manifest()["module"],  # type: ignore[index]
            "tiles": "https://tiles.example.net/maps/world.pmtiles",
        }
    finally:
        monkeypatch.delenv("PORTWAY_MAP_TILES_URL")
        settings.reset_settings()


@pytest.mark.parametrize(
    ("value", "stage", "ok"),
    [
        ("https://tiles.example.net/world.pmtiles", "prod", True),
        ("/tiles/world.pmtiles", "prod", True),
        ("http://127.0.0.1:9000/world.pmtiles", "local", True),
        ("http://tiles.example.net/world.pmtiles", "prod", False),
        ("https://tiles.example.net/world.mbtiles", "prod", False),
        ("//tiles.example.net/world.pmtiles", "prod", False),
        ("javascript:alert(1)//.pmtiles", "prod", False),
        ("https://tiles.example.net/a b.pmtiles", "prod", False),
        ("https://tiles.example.net/x'.pmtiles", "prod", False),
    ],
)
def test_the_tiles_setting_takes_only_a_pmtiles_address(value, stage, ok):
    env = deployed_env(stage, PORTWAY_MAP_TILES_URL=value)
    if ok:
        assert settings.Settings.from_env(env).map_tiles_url == value
    else:
        with pytest.raises(ValueError, match="PORTWAY_MAP_TILES_URL"):
            settings.Settings.from_env(env)
    assert settings.Settings.from_env(deployed_env(stage)).map_tiles_url is None
