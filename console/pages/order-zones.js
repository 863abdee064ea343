// An order's zones in the order editor: each zone's name, kind (inclusion or exclusion), area,
// validity, weekly schedule and warning distance. The area is drawn on the map with Geoman
// (zone-editor.js: a circle or a polygon, one zone at a time: the zone chosen) or imported as
// GeoJSON (a Polygon, or a Point with a `radius_m` property for a circle; a Feature or a
// FeatureCollection of one holding either).

import { t, term } from '../i18n.js';
import { number, utcToWall } from '../format.js';
import { drawMap, fitView, openZoneEditor, shapeFeature, zoneLayers } from '../map.js';
import { field, h, select } from '../ui.js';
import { FormProblem, instantOf, lastNumber, rowList, uid } from './form-rows.js';
import { slotsEditor } from './timetable-editor.js';
import { dateInput } from '../date-field.js';

const inRange = ([lon, lat]) => Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90;

/// The ZoneShape of a GeoJSON text; a FormProblem saying what is wrong otherwise.
export function shapeFromGeoJson(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FormProblem('order_form.geojson_unreadable');
  }
  if (value?.type === 'FeatureCollection') {
    if (!Array.isArray(value.features) || value.features.length !== 1) throw new FormProblem('order_form.geojson_one');
    [value] = value.features;
  }
  const radius = value?.type === 'Feature' ? value.properties?.radius_m : value?.radius_m;
  const geometry = value?.type === 'Feature' ? value.geometry : value;
  const point = (p) => Array.isArray(p) && p.length >= 2 && inRange(p);
  if (geometry?.type === 'Point' && point(geometry.coordinates) && Number.isFinite(radius) && radius > 0) {
    return { type: 'circle', centre: geometry.coordinates.slice(0, 2), radius_m: radius };
  }
  const polygon = geometry?.type === 'MultiPolygon' && geometry.coordinates?.length === 1 ? geometry.coordinates[0] : geometry?.type === 'Polygon' ? geometry.coordinates : null;
  const ring = (r) => Array.isArray(r) && r.length >= 4 && r.every(point);
  if (Array.isArray(polygon) && polygon.length && polygon.every(ring)) {
    return { type: 'polygon', coordinates: polygon.map((r) => r.map((p) => p.slice(0, 2))) };
  }
  throw new FormProblem('order_form.geojson_shape');
}

/// What a shape is, in words: "circle, 150 m" or "polygon, 4 points".
function shapeText(shape) {
  if (shape?.type === 'circle') return t('order_form.circle', { radius: number(shape.radius_m, { maximumFractionDigits: 1 }) });
  if (shape?.type === 'polygon') return t('order_form.polygon', { points: number(shape.coordinates[0].length - 1) });
  return t('order_form.not_drawn');
}

/// The zones of the order: `{ element, value() }`. `zones`: the order's (kept whole where the
/// form does not edit them: confirmation); `addresses`: the client's, shown on the map;
/// `zone()`: the order's time zone now; `kinds`: the zone kinds from the API.
export function zonesEditor({ zones, addresses, tiles, zone, kinds }) {
  let editor = null;
  let leafletMap = null;
  let active = null;
  const rows = [];
  const status = h('p', { class: 'hint', id: 'zone-editing', 'aria-live': 'polite' }, t('order_form.choose_zone'));
  // The order's other zones, labelled, beside the one being drawn.
  let others = null;
  const drawOthers = () => {
    if (!leafletMap) return [];
    others?.remove();
    const features = rows.filter((r) => r !== active && r.element.isConnected && r.shape)
      .map((r) => shapeFeature(r.shape, { id: r.name(), kind: r.kind() }));
    // Shown, not edited: Geoman's edit, drag and removal modes and the clicks pass them by.
    const quiet = (layer) => {
      Object.assign(layer.options, { pmIgnore: true, interactive: false });
      layer.eachLayer?.(quiet);
      return layer;
    };
    const parts = zoneLayers({ features });
    others = window.L.layerGroup(parts.map(({ layer }) => quiet(layer))).addTo(leafletMap);
    return parts.map(({ extent }) => extent);
  };
  const choose = (row) => {
    active = row;
    drawOthers();
    for (const r of rows) r.element.classList.toggle('zone-active', r === row);
    status.textContent = t('order_form.editing_zone', { id: row.name() || '—' });
    if (editor) {
      editor.close();
      editor = openZoneEditor(leafletMap, { shape: row.shape, onChange: (s) => row.setShape(s) });
    }
  };
  const makeRow = (z) => {
    const name = h('input', { class: 'zone-id', id: uid('zone-id'), value: z.id ?? '' });
    const kind = select('kind', kinds.map((k) => [k, term('zone', k)]), { class: 'zone-kind', id: uid('zone-kind') });
    kind.value = z.kind ?? 'exclusion';
    const from = dateInput({ className: 'zone-from', id: uid('zone-from'), value: z.valid_from ? utcToWall(z.valid_from, zone()) : '' });
    const until = dateInput({ className: 'zone-until', id: uid('zone-until'), value: z.valid_until ? utcToWall(z.valid_until, zone()) : '' });
    const buffer = h('input', { type: 'number', min: 0, step: 1, class: 'zone-buffer', id: uid('zone-buffer'), value: z.warning_buffer_m ?? '' });
    const schedule = slotsEditor({ id: uid('zone-schedule'), slots: z.schedule ?? [], addLabel: t('order_form.add_zone_hours') });
    const shapeNow = h('span', { class: 'zone-shape' });
    const geojson = h('textarea', { class: 'zone-geojson', id: uid('zone-geojson'), rows: 3, spellcheck: 'false' });
    const imported = h('p', { class: 'error zone-geojson-error', role: 'alert' });
    const row = {
      shape: z.shape ?? null,
      name: () => name.value.trim(),
      kind: () => kind.value,
      setShape(s) {
        row.shape = s;
        shapeNow.textContent = shapeText(s);
      },
    };
    const draw = h('button', { type: 'button', class: 'zone-draw', onclick: () => choose(row) }, t('order_form.draw_zone'));
    const load = h('button', { type: 'button', class: 'zone-import', onclick: () => {
      imported.textContent = '';
      try {
        const s = shapeFromGeoJson(geojson.value);
        row.setShape(s);
        choose(row);
      } catch (problem) {
        imported.textContent = problem instanceof FormProblem ? t(problem.key) : String(problem);
      }
    } }, t('order_form.import_geojson'));
    row.element = h('div', { class: 'zone-row' },
      field(t('order_form.zone_name'), name), field(t('order_form.zone_kind'), kind),
      h('p', {}, t('order_form.zone_area'), ' ', shapeNow, ' ', draw),
      field(t('order_form.geojson'), geojson), load, imported,
      field(t('order_form.valid_from'), from), field(t('order_form.valid_until'), until),
      field(t('order_form.warning_buffer'), buffer),
      h('h4', {}, t('order_form.zone_schedule')), h('p', { class: 'hint' }, t('order_form.zone_schedule_hint')), schedule.element);
    row.setShape(row.shape);
    row.value = () => {
      if (!row.shape) throw new FormProblem('order_form.zone_not_drawn', { id: row.name() || '—' });
      const warning = buffer.value === '' ? null : Number(buffer.value);
      return { ...z, id: name.value, kind: kind.value, shape: row.shape, valid_from: instantOf(from, z.valid_from, zone()), valid_until: instantOf(until, z.valid_until, zone()), schedule: schedule.value(), warning_buffer_m: warning };
    };
    rows.push(row);
    return row;
  };
  // A new zone's name: the next number after the highest the order has.
  let named = lastNumber(zones);
  const list = rowList({
    id: 'zones',
    items: zones,
    make: makeRow,
    addLabel: t('order_form.add_zone'),
    empty: () => ({ id: `zone-${(named += 1)}`, kind: 'exclusion' }),
  });
  // A row added is the zone drawn next; a row taken away is forgotten.
  const add = list.element.querySelector('.row-add');
  add.addEventListener('click', () => choose(rows.at(-1)));
  list.element.addEventListener('click', (event) => {
    if (!event.target.closest('.row-remove')) return;
    for (const r of rows.filter((x) => !x.element.isConnected)) rows.splice(rows.indexOf(r), 1);
    drawOthers();
    if (active && !active.element.isConnected) {
      active = null;
      editor?.close();
      if (editor) editor = openZoneEditor(leafletMap, { onChange: () => {} });
      status.textContent = t('order_form.choose_zone');
    }
  });
  const places = { type: 'FeatureCollection', features: addresses.map((a) => shapeFeature(a.zone, { role: 'address', id: a.id, street: a.street })).filter(Boolean) };
  const map = drawMap({
    zones: places,
    tiles,
    label: t('order_form.zone_map'),
    legend: false,
    onReady: (m) => {
      leafletMap = m;
      editor = openZoneEditor(m, { shape: active?.shape, onChange: (s) => active?.setShape(s) });
      // The view holds the addresses and the order's zones.
      const view = window.L.latLngBounds([]);
      for (const extent of [...drawOthers(), ...zoneLayers(places).map((p) => p.extent)]) view.extend(extent);
      if (view.isValid()) fitView(m, view);
    },
  });
  map.id = 'zone-map';
  const element = h('div', { class: 'zones-editor' }, list.element, status, map);
  return {
    element,
    value: () => rows.filter((r) => r.element.isConnected).map((r) => r.value()),
  };
}
