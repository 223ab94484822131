// The map of the hosted pages (`window.portwayMap`), a module a page loads only when it shows
// a map (`<script type="module" src="/page-assets/map/map-<hash>.js">`, the address the page's
// `data-module` gives). MapLibre GL draws vector tiles from a PMTiles archive on our own origin
// (or the operator's, MAP_TILES_URL); its worker and stylesheet come from beside this file,
// so a page makes no request to any other host. The base map has no text layers: no glyphs
// or fonts are fetched; names are HTML markers in the page's own font.
//
//   const view = portwayMap.show(container, {
//     points: [{id, lat, lon, label, status, detail}],  // without lat/lon: not drawn
//     track: [{lat, lon, time}],                          // a line through recent positions
//     labels: {map, zoomIn, zoomOut, fit, attribution, unavailable, ctrlScroll, cmdScroll, twoFingers},
//     language, tiles, attribution, onSelect(id),
//   });
//   view.update({points, track, fit}); view.focus(id); view.fit(); view.destroy();
//   view.ready  // a promise: the map has drawn its first tiles (or could not be shown)
//   view.placed // the points drawn (with a position)
import {
  LngLatBounds,
  Map as MapLibre,
  Marker,
  NavigationControl,
  addProtocol,
  setWorkerCount,
  setWorkerUrl,
} from "maplibre-gl";
import { Protocol } from "pmtiles";

/* global __PW_MAP_FILES__ */
// The names of the files built beside this one (console/map.mjs puts them in).
const FILES = __PW_MAP_FILES__;
const beside = (name) => new URL(name, import.meta.url).href;
const FIT_ZOOM = 6;
const ALONE_ZOOM = 6;

setWorkerUrl(beside(FILES.worker)); // a module worker from our origin: no blob: URL
setWorkerCount(1);
const protocol = new Protocol();
addProtocol("pmtiles", protocol.tile);

let stylesheet = null;
function loadStylesheet() {
  if (!stylesheet) {
    stylesheet = new Promise((resolve) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = beside(FILES.style);
      link.addEventListener("load", resolve);
      link.addEventListener("error", resolve); // the map still works, only plainer
      document.head.appendChild(link);
    });
  }
  return stylesheet;
}

const placed = (p) =>
  p && typeof p.lat === "number" && typeof p.lon === "number" && isFinite(p.lat) && isFinite(p.lon) &&
  Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;

// The theme's primary colour (the page's CSS variable), for what WebGL draws.
function primary(container) {
  const value = getComputedStyle(container).getPropertyValue("--pw-primary").trim();
  return /^#[0-9a-fA-F]{6}$/.test(value) ? value : "#1a56db";
}

function style(tiles, attribution, color) {
  return {
    version: 8,
    sources: {
      base: { type: "vector", url: "pmtiles://" + tiles, attribution },
      track: { type: "geojson", data: trackData([]) },
    },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": "#cadcea" } },
      { id: "land", type: "fill", source: "base", "source-layer": "land", paint: { "fill-color": "#f4f2ec" } },
      {
        id: "borders", type: "line", source: "base", "source-layer": "borders",
        paint: { "line-color": "#9c968c", "line-width": ["interpolate", ["linear"], ["zoom"], 0, 0.4, 6, 1.2] },
      },
      {
        id: "track-line", type: "line", source: "track", filter: ["==", ["geometry-type"], "LineString"],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": color, "line-width": 3, "line-opacity": 0.8 },
      },
      {
        id: "track-points", type: "circle", source: "track", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 3, "circle-color": "#ffffff", "circle-stroke-color": color, "circle-stroke-width": 2 },
      },
    ],
  };
}

function trackData(track) {
  const positions = (track || []).filter(placed).slice();
  positions.sort((a, b) => String(a.time || "").localeCompare(String(b.time || "")));
  const coordinates = positions.map((p) => [p.lon, p.lat]);
  const features = coordinates.map((c) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: c } }));
  if (coordinates.length > 1) {
    features.unshift({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates } });
  }
  return { type: "FeatureCollection", features };
}

// A control of one button: show every point again.
class FitControl {
  constructor(label, onClick) {
    this.label = label;
    this.onClick = onClick;
  }
  onAdd() {
    const group = document.createElement("div");
    group.className = "maplibregl-ctrl maplibregl-ctrl-group";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "pw-map-fit";
    button.setAttribute("aria-label", this.label);
    button.title = this.label;
    const icon = document.createElement("span");
    icon.className = "maplibregl-ctrl-icon";
    icon.setAttribute("aria-hidden", "true");
    button.appendChild(icon);
    button.addEventListener("click", this.onClick);
    group.appendChild(button);
    this.group = group;
    return group;
  }
  onRemove() {
    this.group.remove();
  }
}

function show(container, options) {
  options = options || {};
  const labels = options.labels || {};
  let points = [];
  let track = [];
  let map = null;
  let selected = null;
  let destroyed = false;
  let pristine = true; // the person has not moved the map: a new size or data fits it again
  const markers = new Map(); // id -> {marker, element, point}

  container.classList.add("pw-map");
  container.setAttribute("data-state", "loading");

  function bounds() {
    const all = points.concat(track.filter(placed));
    if (!all.length) return null;
    const box = new LngLatBounds();
    all.forEach((p) => box.extend([p.lon, p.lat]));
    return box;
  }
  function fit() {
    if (!map) return;
    pristine = true;
    const box = bounds();
    if (!box) {
      map.jumpTo({ center: [10, 50], zoom: 1 });
    } else if (box.getNorthEast().distanceTo(box.getSouthWest()) < 1) {
      map.jumpTo({ center: box.getCenter(), zoom: ALONE_ZOOM });
    } else {
      // Names stand right of their dot: room for the widest on the right, as the map allows.
      const width = map.getContainer().clientWidth;
      let label = 0;
      markers.forEach((entry) => (label = Math.max(label, entry.element.offsetWidth)));
      const padding = { top: 36, bottom: 36, left: 24, right: Math.min(label + 12, Math.max(24, width / 2)) };
      map.fitBounds(box, { padding, maxZoom: FIT_ZOOM, animate: false });
    }
  }

  function select(id) {
    selected = id;
    markers.forEach((entry, key) => entry.element.setAttribute("aria-pressed", key === id ? "true" : "false"));
  }

  function marker(point) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "pw-map-marker";
    element.setAttribute("data-point", point.id);
    element.addEventListener("click", (event) => {
      event.stopPropagation();
      select(point.id);
      if (options.onSelect) options.onSelect(point.id);
    });
    const entry = { element, marker: new Marker({ element, anchor: "left", offset: [-10, 0] }) };
    entry.marker.setLngLat([point.lon, point.lat]).addTo(map);
    return entry;
  }
  function describe(entry, point) {
    const text = String(point.label || point.id);
    entry.element.textContent = text;
    entry.element.setAttribute("data-status", point.status || "");
    entry.element.setAttribute("aria-label", point.detail ? text + ", " + point.detail : text);
    if (point.detail) entry.element.title = point.detail; else entry.element.removeAttribute("title");
    entry.element.setAttribute("aria-pressed", point.id === selected ? "true" : "false");
    entry.point = point;
  }
  function draw() {
    if (!map) return;
    const wanted = new Set(points.map((p) => p.id));
    markers.forEach((entry, id) => {
      if (!wanted.has(id)) {
        entry.marker.remove();
        markers.delete(id);
      }
    });
    points.forEach((point) => {
      let entry = markers.get(point.id);
      if (!entry) {
        entry = marker(point);
        markers.set(point.id, entry);
      } else {
        entry.marker.setLngLat([point.lon, point.lat]);
      }
      describe(entry, point);
    });
    const source = map.getSource("track");
    if (source) source.setData(trackData(track));
  }

  function take(next) {
    if (next.points) points = next.points.filter(placed).map((p) => ({ ...p, id: String(p.id) }));
    if (next.track) track = next.track.slice();
    if (selected !== null && !points.some((p) => p.id === selected)) selected = null;
  }

  const view = {
    get placed() {
      return points.slice();
    },
    update(next) {
      take(next || {});
      draw();
      if (map) map.resize();
      if (!next || next.fit !== false) fit();
    },
    focus(id) {
      const entry = markers.get(String(id));
      if (!entry || !map) return false;
      select(String(id));
      const point = entry.point;
      map.jumpTo({ center: [point.lon, point.lat], zoom: Math.max(map.getZoom(), ALONE_ZOOM) });
      entry.element.focus();
      return true;
    },
    fit() {
      fit();
    },
    destroy() {
      destroyed = true;
      markers.forEach((entry) => entry.marker.remove());
      markers.clear();
      if (map) map.remove();
      map = null;
      container.classList.remove("pw-map");
      container.removeAttribute("data-state");
    },
  };

  take(options);
  view.ready = loadStylesheet().then(
    () =>
      new Promise((resolve) => {
        if (destroyed) return resolve(view);
        const tiles = new URL(options.tiles || beside(FILES.basemap), window.location.href).href;
        const attribution = options.attribution || (options.tiles ? "" : "Natural Earth");
        try {
          map = new MapLibre({
            container,
            style: style(tiles, attribution, primary(container)),
            center: [10, 50],
            zoom: 1,
            maxZoom: 10,
            renderWorldCopies: false,
            dragRotate: false,
            pitchWithRotate: false,
            touchPitch: false,
            fadeDuration: 0,
            cooperativeGestures: true,
            attributionControl: { compact: true },
            locale: {
              "Map.Title": labels.map || "Map",
              "NavigationControl.ZoomIn": labels.zoomIn || "Zoom in",
              "NavigationControl.ZoomOut": labels.zoomOut || "Zoom out",
              "AttributionControl.ToggleAttribution": labels.attribution || "Map sources",
              "CooperativeGesturesHandler.WindowsHelpText": labels.ctrlScroll || "Use Ctrl + scroll to zoom the map",
              "CooperativeGesturesHandler.MacHelpText": labels.cmdScroll || "Use ⌘ + scroll to zoom the map",
              "CooperativeGesturesHandler.MobileHelpText": labels.twoFingers || "Use two fingers to move the map",
            },
          });
        } catch {
          // No WebGL here: say so; the page's list still has every position.
          container.setAttribute("data-state", "failed");
          const note = document.createElement("p");
          note.className = "pw-map-unavailable";
          note.textContent = labels.unavailable || "";
          container.replaceChildren(note);
          return resolve(view);
        }
        if (options.language) container.setAttribute("lang", options.language);
        map.touchZoomRotate.disableRotation();
        map.keyboard.disableRotation();
        map.addControl(new NavigationControl({ showCompass: false }), "top-right");
        map.addControl(new FitControl(labels.fit || "Show all", () => fit()), "top-right");
        map.on("error", () => container.setAttribute("data-tiles-failed", "true"));
        map.on("movestart", (event) => {
          if (event.originalEvent) pristine = false;
        });
        map.on("resize", () => {
          if (pristine) fit();
        });
        map.once("load", () => {
          draw();
          fit();
          map.once("idle", () => {
            if (!destroyed) container.setAttribute("data-state", "ready");
            resolve(view);
          });
        });
      }),
  );
  return view;
}

window.portwayMap = Object.freeze({ show });
