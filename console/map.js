// The map, drawn here in SVG with no tile server needed: a local projection around the client
// (metres east and north of the centre), the order's zones and the client's addresses from
// the zones GeoJSON, the recent track with each fix's accuracy circle, and the fix an alert
// names highlighted. Raster tiles go underneath only when the server was given a template.

import { t } from './i18n.js';
import { dateTime, number } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const EARTH_M = 6371008.8;
const RAD = Math.PI / 180;
const SIZE = 600;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

const title = (text) => s('title', {}, text);

/// Every [lon, lat] of a GeoJSON geometry.
function positions(geometry) {
  if (!geometry) return [];
  const { type, coordinates: c } = geometry;
  if (type === 'Point') return [c];
  if (type === 'Polygon') return c.flat();
  if (type === 'MultiPolygon') return c.flat(2);
  return [];
}

/// `fixes`: [{ lat, lon, accuracy_m, time, cause }]; `zones`: a FeatureCollection.
export function drawMap({ zones, fixes = [], tiles = null, timeZone }) {
  const features = zones?.features ?? [];
  const points = [
    ...features.flatMap((f) => positions(f.geometry).map(([lon, lat]) => ({ lon, lat, r: f.properties?.radius_m ?? 0 }))),
    ...fixes.map((f) => ({ lon: f.lon, lat: f.lat, r: f.accuracy_m ?? 0 })),
  ];
  if (!points.length) return document.createElement('div');
  // Centred on the middle of everything shown, not its average: many fixes at home must not
  // push a zone off the edge.
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const lon0 = (Math.min(...lons) + Math.max(...lons)) / 2;
  const project = (lon, lat) => [
    (lon - lon0) * RAD * EARTH_M * Math.cos(lat0 * RAD),
    -(lat - lat0) * RAD * EARTH_M,
  ];
  let extent = 100;
  for (const p of points) {
    const [x, y] = project(p.lon, p.lat);
    extent = Math.max(extent, Math.abs(x) + p.r, Math.abs(y) + p.r);
  }
  extent *= 1.1;
  const scale = SIZE / (2 * extent);
  const at = (lon, lat) => project(lon, lat).map((v) => v * scale + SIZE / 2);
  const svg = s('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'map', role: 'img', 'aria-label': t('map.label') });
  svg.append(s('rect', { x: 0, y: 0, width: SIZE, height: SIZE, class: 'map-ground' }));
  if (tiles) svg.append(tileLayer(tiles, lat0, lon0, extent));
  for (const f of features) {
    const p = f.properties ?? {};
    const cls = p.role === 'address' ? 'map-address' : `map-zone map-${p.kind ?? 'zone'}`;
    const label = p.role === 'address' ? `${t('map.address')}: ${p.street ?? p.id}` : `${t(`zone.${p.kind}`)}: ${p.id}`;
    const g = f.geometry;
    if (g?.type === 'Point') {
      const [x, y] = at(...g.coordinates);
      svg.append(s('circle', { cx: x, cy: y, r: Math.max(2, (p.radius_m ?? 10) * scale), class: cls }, title(label)));
    } else if (g?.type === 'Polygon' || g?.type === 'MultiPolygon') {
      const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      const d = polys.flatMap((rings) => rings.map((ring) => `M${ring.map(([lon, lat]) => at(lon, lat).join(',')).join('L')}Z`)).join('');
      svg.append(s('path', { d, class: cls }, title(label)));
    }
  }
  const track = fixes.filter((f) => !f.cause);
  if (track.length > 1) {
    svg.append(s('polyline', { points: track.map((f) => at(f.lon, f.lat).join(',')).join(' '), class: 'map-track' }));
  }
  for (const f of fixes) {
    const [x, y] = at(f.lon, f.lat);
    const label = `${dateTime(f.time, timeZone)}, ±${number(f.accuracy_m ?? 0)} m`;
    svg.append(s('circle', { cx: x, cy: y, r: Math.max(1, (f.accuracy_m ?? 0) * scale), class: f.cause ? 'map-accuracy map-cause' : 'map-accuracy' }));
    svg.append(s('circle', { cx: x, cy: y, r: f.cause ? 7 : 3, class: f.cause ? 'map-fix map-cause' : 'map-fix' }, title(f.cause ? `${t('map.cause')}: ${label}` : label)));
  }
  // A scale bar: a round number of metres near a fifth of the width.
  const metres = niceMetres((SIZE / 5) / scale);
  const bar = metres * scale;
  svg.append(s('g', { class: 'map-scale' },
    s('line', { x1: 16, y1: SIZE - 20, x2: 16 + bar, y2: SIZE - 20 }),
    s('text', { x: 16, y: SIZE - 28 }, `${number(metres)} m`)));
  const legend = document.createElement('ul');
  legend.className = 'map-legend';
  for (const [cls, key] of [['map-address', 'map.address'], ['map-exclusion', 'zone.exclusion'], ['map-inclusion', 'zone.inclusion'], ['map-fix', 'map.track'], ['map-cause', 'map.cause']]) {
    const li = document.createElement('li');
    li.append(s('svg', { width: 14, height: 14, 'aria-hidden': 'true' }, s('circle', { cx: 7, cy: 7, r: 6, class: cls })), ` ${t(key)}`);
    legend.append(li);
  }
  const figure = document.createElement('figure');
  figure.className = 'map-figure';
  figure.append(svg, legend);
  return figure;
}

function niceMetres(m) {
  const power = 10 ** Math.floor(Math.log10(m));
  const lead = m / power;
  return (lead >= 5 ? 5 : lead >= 2 ? 2 : 1) * power;
}

/// Web Mercator tiles covering the view, placed in the local projection (close enough over the
/// few kilometres a client's map shows).
function tileLayer(template, lat0, lon0, extent) {
  const g = s('g', { class: 'map-tiles' });
  const metresPerPixel = (2 * extent) / SIZE;
  const z = Math.max(0, Math.min(19, Math.round(Math.log2((Math.cos(lat0 * RAD) * 2 * Math.PI * EARTH_M) / (256 * metresPerPixel)))));
  const n = 2 ** z;
  const tileX = (lon) => ((lon + 180) / 360) * n;
  const tileY = (lat) => ((1 - Math.log(Math.tan(lat * RAD) + 1 / Math.cos(lat * RAD)) / Math.PI) / 2) * n;
  const lonOf = (x) => (x / n) * 360 - 180;
  const latOf = (y) => Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) / RAD;
  const dLat = extent / (RAD * EARTH_M);
  const dLon = dLat / Math.cos(lat0 * RAD);
  const scale = SIZE / (2 * extent);
  const at = (lon, lat) => [
    (lon - lon0) * RAD * EARTH_M * Math.cos(lat0 * RAD) * scale + SIZE / 2,
    -(lat - lat0) * RAD * EARTH_M * scale + SIZE / 2,
  ];
  for (let x = Math.floor(tileX(lon0 - dLon)); x <= Math.floor(tileX(lon0 + dLon)); x += 1) {
    for (let y = Math.floor(tileY(lat0 + dLat)); y <= Math.floor(tileY(lat0 - dLat)); y += 1) {
      const [x0, y0] = at(lonOf(x), latOf(y));
      const [x1, y1] = at(lonOf(x + 1), latOf(y + 1));
      const href = template.replace('{z}', z).replace('{x}', x).replace('{y}', y);
      g.append(s('image', { href, x: x0, y: y0, width: x1 - x0, height: y1 - y0, preserveAspectRatio: 'none' }));
    }
  }
  return g;
}

/// Location observations as fixes for the map; `cause` marks those an episode names.
export function fixesOf(observations, causes = []) {
  const key = (device, seq) => `${device}/${seq}`;
  const named = new Set(causes.map((e) => key(e.device, e.seq)));
  return observations
    .filter((o) => o.type === 'location' && typeof o.fields?.lat === 'number')
    .map((o) => ({
      lat: o.fields.lat, lon: o.fields.lon, accuracy_m: o.fields.accuracy_m, time: o.device_time,
      cause: named.has(key(o.device_id, o.seq)),
    }));
}
