// The map, on Leaflet (console/vendor/leaflet, embedded in the binary): the order's zones and
// the client's addresses from the zones GeoJSON, each labelled by its name; a track with each
// fix's accuracy circle and its time (in the order's zone) on hover or focus; the fixes an
// episode names marked. Raster tiles from `--map-tiles` underneath when the server was given a
// template; without them a coordinate grid with labels, so the map still reads. Always a scale
// bar and a control that shows and copies the coordinates of a clicked point.
//
// `openZoneEditor` (zone-editor.js) draws and edits a zone on such a map for the order editor.

import { t, term } from './i18n.js';
import { dateTime, number } from './format.js';
import { h } from './ui.js';
import { graticule } from './map-grid.js';

export { openZoneEditor, shapeOf } from './zone-editor.js';

/// Leaflet's global, defined by the classic script index.html loads before the modules.
const leaflet = () => window.L;

/// Where a map with nothing on it looks: Rīga.
const NOWHERE = [56.9496, 24.1052];

/// The figure holding a map and its legend. `zones`: the order's zones FeatureCollection (may be
/// null); `fixes`: [{ lat, lon, accuracy_m, time, cause }]; `tiles`: the tile URL template or
/// null; `timeZone`: the order's; `markers`: [{ lat, lon, className, label, href }], places a
/// keyboard reaches, labelled, each leading to `href` when chosen; `legend`: whether to show the
/// zones-and-track legend. `onReady(map, track)` is called once the map is drawn (it needs the
/// figure in the page to know its size); the Leaflet map is also `figure.leaflet`.
export function drawMap({ zones, fixes = [], markers = [], tiles = null, timeZone, label = t('map.label'), legend: withLegend = true, onReady } = {}) {
  const container = h('div', { class: 'map', role: 'region', 'aria-label': label });
  const figure = h('figure', { class: 'map-figure' }, container, withLegend ? legend() : null);
  whenInPage(container, () => {
    const L = leaflet();
    forgetGone();
    const map = L.map(container, { attributionControl: false, zoomControl: false, keyboard: true, zoomSnap: 0.5 });
    // Leaflet's own zoom buttons are titled in English.
    L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
    drawn.add(map);
    // Leaflet draws vectors only on a map with a view, so the view is found from the data first.
    const zoneParts = zoneLayers(zones);
    const bounds = L.latLngBounds([]);
    for (const { extent } of zoneParts) bounds.extend(extent);
    for (const f of fixes) bounds.extend(L.latLng(f.lat, f.lon).toBounds(2 * Math.max(1, f.accuracy_m ?? 0)));
    for (const m of markers) bounds.extend(L.latLng(m.lat, m.lon).toBounds(200));
    if (bounds.isValid()) fitView(map, bounds);
    else map.setView(NOWHERE, 13, { animate: false });
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, referrerPolicy: 'no-referrer' }).addTo(map);
    } else {
      container.classList.add('map-plain');
      graticule().addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    copyControl().addTo(map);
    for (const { layer } of zoneParts) layer.addTo(map);
    const track = trackLayer(fixes, timeZone).addTo(map);
    for (const m of markers) place(m).addTo(map);
    figure.leaflet = map;
    onReady?.(map, track);
  });
  return figure;
}

/// Shows `bounds` on `map` clear of the zoom buttons at the top left and of the coordinates
/// control along the bottom, so that no zone, fix or client is hidden under a control.
export function fitView(map, bounds) {
  map.fitBounds(bounds.pad(0.1), { paddingTopLeft: [48, 24], paddingBottomRight: [0, 96], maxZoom: 17, animate: false });
}

/// The maps drawn, so that those whose page was drawn again are taken down (Leaflet listens on
/// the window for resizes until a map is removed).
const drawn = new Set();
function forgetGone() {
  for (const map of drawn) {
    if (!map.getContainer().isConnected) {
      map.remove();
      drawn.delete(map);
    }
  }
}

/// Runs `then` once `element` is in the document (pages build their parts before showing them).
function whenInPage(element, then, tries = 600) {
  if (element.isConnected) then();
  else if (tries > 0) requestAnimationFrame(() => whenInPage(element, then, tries - 1));
}

/// A text node's element for a tooltip: Leaflet puts a string in as HTML, and a zone's name or
/// a street comes from people.
function text(content) {
  return h('span', {}, content);
}

/// What a zone or an address is called on the map: the zone's kind and its name in the order,
/// the address's street.
export function featureLabel(properties = {}) {
  if (properties.role === 'address') return `${t('map.address')}: ${properties.street ?? properties.id}`;
  return `${term('zone', properties.kind)}: ${properties.id}`;
}

/// The zones and addresses as Leaflet layers, each labelled by name, with the area each covers.
export function zoneLayers(zones) {
  const L = leaflet();
  return (zones?.features ?? []).flatMap((feature) => {
    const p = feature.properties ?? {};
    const g = feature.geometry;
    const className = p.role === 'address' ? 'map-address' : `map-zone map-${p.kind ?? 'zone'}`;
    let layer;
    let extent;
    if (g?.type === 'Point' && Array.isArray(g.coordinates)) {
      const [lon, lat] = g.coordinates;
      const radius = p.radius_m ?? 10;
      layer = L.circle([lat, lon], { radius, className });
      extent = L.latLng(lat, lon).toBounds(2 * radius);
    } else if (g?.type === 'Polygon' || g?.type === 'MultiPolygon') {
      layer = L.geoJSON(feature, { style: () => ({ className }) });
      extent = layer.getBounds();
    } else {
      return [];
    }
    // Above the centre, so that the label does not hide a fix at the centre.
    layer.bindTooltip(text(featureLabel(p)), { permanent: true, direction: 'top', offset: [0, -12], className: `map-label ${className}-label` });
    return [{ layer, extent }];
  });
}

/// A zone's shape (rules::geometry::ZoneShape) as a feature of the zones map: a circle as a
/// point with its `radius_m`, a polygon as itself; null for anything else.
export function shapeFeature(shape, properties = {}) {
  if (shape?.type === 'circle') return { type: 'Feature', properties: { ...properties, radius_m: shape.radius_m }, geometry: { type: 'Point', coordinates: shape.centre } };
  if (shape?.type === 'polygon') return { type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: shape.coordinates } };
  return null;
}

/// How a fix reads: its time in the order's zone and its accuracy.
export function fixLabel(fix, timeZone) {
  return `${dateTime(fix.time, timeZone)}, ±${number(fix.accuracy_m ?? 0)} m`;
}

/// The track: a line through the fixes in time order, each fix's accuracy circle, a dot with its
/// time, and the fixes an episode names as markers a keyboard reaches.
function trackLayer(fixes, timeZone) {
  const L = leaflet();
  const group = L.featureGroup();
  const inOrder = fixes.slice().sort((a, b) => new Date(a.time) - new Date(b.time));
  if (inOrder.length > 1) {
    L.polyline(inOrder.map((f) => [f.lat, f.lon]), { className: 'map-track', interactive: false }).addTo(group);
  }
  for (const fix of inOrder) {
    const at = [fix.lat, fix.lon];
    const cause = fix.cause ? ' map-cause' : '';
    L.circle(at, { radius: fix.accuracy_m ?? 0, className: `map-accuracy${cause}`, interactive: false }).addTo(group);
    if (fix.cause) {
      const label = `${t('map.cause')}: ${fixLabel(fix, timeZone)}`;
      L.marker(at, { icon: L.divIcon({ className: 'map-cause-marker map-cause', iconSize: [16, 16] }), title: label, alt: label, keyboard: true })
        .bindTooltip(text(label))
        .addTo(group);
    } else {
      L.circleMarker(at, { radius: 3, className: 'map-fix' }).bindTooltip(text(fixLabel(fix, timeZone))).addTo(group);
    }
  }
  return group;
}

/// A labelled place that leads somewhere: a divIcon marker (Tab reaches it, its label shows on
/// focus), followed on a click or Enter.
function place({ lat, lon, className = '', label, href }) {
  const L = leaflet();
  const marker = L.marker([lat, lon], { icon: L.divIcon({ className: `map-place ${className}`, iconSize: [18, 18] }), title: label, alt: label, keyboard: true })
    .bindTooltip(text(label));
  if (href) {
    marker.on('click', () => { location.hash = href; });
    marker.on('add', () => marker.getElement()?.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') location.hash = href;
    }));
  }
  return marker;
}

/// "56.94960, 24.10520": latitude then longitude, five decimals (about a metre), as other maps
/// take them pasted.
export function coordinates(latlng) {
  return `${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
}

/// A control showing the coordinates of the point last clicked, copied to the clipboard at the
/// click; its button copies them again (or the map's centre, for a keyboard user who moved the
/// map with the arrow keys).
function copyControl() {
  const L = leaflet();
  const Copy = L.Control.extend({
    options: { position: 'bottomright' },
    onAdd(map) {
      const shown = h('output', { class: 'map-coordinates', 'aria-live': 'polite' }, t('map.click_for_coordinates'));
      const copy = (latlng) => {
        const value = coordinates(latlng);
        shown.textContent = value;
        shown.dataset.value = value;
        navigator.clipboard?.writeText(value).then(
          () => { shown.textContent = `${value} (${t('map.copied')})`; },
          () => {},
        );
      };
      const button = h('button', { type: 'button', class: 'map-copy' }, t('map.copy_coordinates'));
      button.addEventListener('click', () => {
        copy(shown.dataset.value ? L.latLng(shown.dataset.value.split(', ').map(Number)) : map.getCenter());
      });
      map.on('click', (event) => copy(event.latlng));
      const box = h('div', { class: 'leaflet-bar map-copy-control' }, button, shown);
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  return new Copy();
}

function legend() {
  const items = [['map-address', 'map.address'], ['map-exclusion', 'zone.exclusion'], ['map-inclusion', 'zone.inclusion'], ['map-fix', 'map.track'], ['map-cause', 'map.cause']];
  return h('ul', { class: 'map-legend' }, items.map(([cls, key]) => h('li', {}, h('span', { class: `map-swatch ${cls}`, 'aria-hidden': 'true' }), ` ${t(key)}`)));
}

/// Location observations as fixes for the map; `cause` marks those an episode names.
export function fixesOf(observations, causes = []) {
  const key = (device, seq) => `${device}/${seq}`;
  const named = new Set(causes.map((e) => key(e.device, e.seq)));
  return observations
    .filter((o) => o.type === 'location' && typeof o.fields?.lat === 'number' && typeof o.fields?.lon === 'number')
    .map((o) => ({
      lat: o.fields.lat, lon: o.fields.lon, accuracy_m: o.fields.accuracy_m, time: o.device_time,
      cause: named.has(key(o.device_id, o.seq)),
    }));
}
