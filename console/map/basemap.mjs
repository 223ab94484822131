// The base map for one machine and the tests: Natural Earth's land and country borders (npm
// `world-atlas`, 1:50m), cut into Mapbox vector tiles for zoom 0..5 (`geojson-vt`, `vt-pbf`)
// and written as one PMTiles v3 archive: a 127-byte header, the root directory, the JSON
// metadata, the tiles (gzip, in tile-id order, identical tiles stored once). It has no text
// layers, so the map needs no glyphs or fonts from anywhere.
//
// The archive's layout (PMTiles v3): the header holds offsets and lengths of each section;
// a directory is a varint count, then the columns tile-id deltas, run lengths, lengths and
// offsets (0 for "right after the previous tile", else offset + 1), gzip-compressed. With
// fewer than a few thousand entries the root directory holds them all (no leaf directories),
// well inside the first 16 KB that readers fetch at once.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { feature, mesh } from "topojson-client";
import GeoJSONVT from "geojson-vt";
import vtpbf from "vt-pbf";
import { zxyToTileId } from "pmtiles";

export const MAX_ZOOM = 5;
const EXTENT = 4096;
// gzip without a timestamp and at a fixed level: the same sources give the same bytes (and
// so the same file name) on every machine.
const gzip = (data) => gzipSync(data, { level: 9 });

function atlas(root, name) {
  return JSON.parse(readFileSync(join(root, "node_modules", "world-atlas", name), "utf8"));
}

function varints(values) {
  const out = [];
  for (let value of values) {
    while (value >= 0x80) {
      out.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    out.push(value);
  }
  return out;
}

// One directory: count, tile-id deltas, run lengths, lengths, offsets.
function directory(entries) {
  let last = 0;
  const ids = entries.map((e) => {
    const delta = e.tileId - last;
    last = e.tileId;
    return delta;
  });
  const offsets = entries.map((e, i) => {
    const previous = entries[i - 1];
    return i > 0 && e.offset === previous.offset + previous.length ? 0 : e.offset + 1;
  });
  return gzip(
    Buffer.from(
      varints([
        entries.length,
        ...ids,
        ...entries.map((e) => e.runLength),
        ...entries.map((e) => e.length),
        ...offsets,
      ]),
    ),
  );
}

function header(fields) {
  const head = Buffer.alloc(127);
  head.write("PMTiles", 0, "ascii");
  head.writeUInt8(3, 7);
  const u64 = [
    "rootOffset", "rootLength", "metadataOffset", "metadataLength", "leafOffset", "leafLength",
    "dataOffset", "dataLength", "addressed", "entries", "contents",
  ];
  u64.forEach((name, i) => head.writeBigUInt64LE(BigInt(fields[name]), 8 + i * 8));
  head.writeUInt8(1, 96); // clustered: tiles in tile-id order
  head.writeUInt8(2, 97); // internal compression: gzip
  head.writeUInt8(2, 98); // tile compression: gzip
  head.writeUInt8(1, 99); // tile type: MVT
  head.writeUInt8(0, 100);
  head.writeUInt8(MAX_ZOOM, 101);
  const e7 = (degrees) => Math.round(degrees * 1e7);
  head.writeInt32LE(e7(-180), 102);
  head.writeInt32LE(e7(-85.0511), 106);
  head.writeInt32LE(e7(180), 110);
  head.writeInt32LE(e7(85.0511), 114);
  head.writeUInt8(1, 118);
  head.writeInt32LE(e7(10), 119);
  head.writeInt32LE(e7(50), 123);
  return head;
}

/** The archive's bytes, built from the world-atlas files under `root`/node_modules. */
export function basemap(root) {
  const land = atlas(root, "land-50m.json");
  const countries = atlas(root, "countries-50m.json");
  const options = { maxZoom: MAX_ZOOM, indexMaxZoom: MAX_ZOOM, extent: EXTENT, buffer: 64, tolerance: 4 };
  const layers = {
    land: new GeoJSONVT(feature(land, land.objects.land), options),
    // Borders between two countries only (coasts are the land's edge already).
    borders: new GeoJSONVT(mesh(countries, countries.objects.countries, (a, b) => a !== b), options),
  };

  const tiles = [];
  for (let z = 0; z <= MAX_ZOOM; z++) {
    for (let x = 0; x < 1 << z; x++) {
      for (let y = 0; y < 1 << z; y++) {
        const found = {};
        for (const [name, index] of Object.entries(layers)) {
          const tile = index.getTile(z, x, y);
          if (tile && tile.features.length) found[name] = tile;
        }
        if (!Object.keys(found).length) continue; // open sea: no tile, the map's background
        tiles.push({ tileId: zxyToTileId(z, x, y), data: gzip(Buffer.from(vtpbf.fromGeojsonVt(found, { version: 2, extent: EXTENT }))) });
      }
    }
  }
  tiles.sort((a, b) => a.tileId - b.tileId);

  // Identical tiles (all land, the same border) are stored once; a run of the same tile on
  // consecutive ids is one entry.
  const stored = new Map();
  const chunks = [];
  let size = 0;
  const entries = [];
  for (const tile of tiles) {
    const digest = createHash("sha256").update(tile.data).digest("hex");
    if (!stored.has(digest)) {
      stored.set(digest, { offset: size, length: tile.data.length });
      chunks.push(tile.data);
      size += tile.data.length;
    }
    const { offset, length } = stored.get(digest);
    const last = entries[entries.length - 1];
    if (last && last.offset === offset && last.tileId + last.runLength === tile.tileId) {
      last.runLength += 1;
    } else {
      entries.push({ tileId: tile.tileId, offset, length, runLength: 1 });
    }
  }

  const root_ = directory(entries);
  const metadata = gzip(
    Buffer.from(
      JSON.stringify({
        name: "Portway base map",
        description: "Land and country borders, zoom 0-5",
        attribution: "Natural Earth",
        type: "baselayer",
        vector_layers: [
          { id: "land", fields: {}, minzoom: 0, maxzoom: MAX_ZOOM },
          { id: "borders", fields: {}, minzoom: 0, maxzoom: MAX_ZOOM },
        ],
      }),
    ),
  );
  if (127 + root_.length > 16384) throw new Error("the root directory does not fit in 16 KB");
  const data = Buffer.concat(chunks);
  const head = header({
    rootOffset: 127,
    rootLength: root_.length,
    metadataOffset: 127 + root_.length,
    metadataLength: metadata.length,
    leafOffset: 127 + root_.length + metadata.length,
    leafLength: 0,
    dataOffset: 127 + root_.length + metadata.length,
    dataLength: data.length,
    addressed: tiles.length,
    entries: entries.length,
    contents: stored.size,
  });
  return { bytes: Buffer.concat([head, root_, metadata, data]), tiles: tiles.length, contents: stored.size };
}
