// Drawing and editing one zone on a Leaflet map with Leaflet-Geoman (console/vendor), for the
// order editor: a circle or a polygon, returned as the shape an order's terms take
// (rules::geometry::ZoneShape, docs/api.md): `{ type: 'circle', centre: [lon, lat], radius_m }`
// or `{ type: 'polygon', coordinates: [[[lon, lat], ..., the first point again]] }`.

import { t } from './i18n.js';

/// Degrees to six decimals (about 10 cm): what is worth keeping of a pointer's position.
const round = (x) => Math.round(x * 1e6) / 1e6;

/// The ZoneShape of a Leaflet circle or polygon layer; null for anything else.
export function shapeOf(layer) {
  const L = window.L;
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    return { type: 'circle', centre: [round(c.lng), round(c.lat)], radius_m: Math.round(layer.getRadius() * 10) / 10 };
  }
  if (layer instanceof L.Polygon) {
    const geometry = layer.toGeoJSON().geometry;
    if (geometry.type !== 'Polygon') return null;
    const coordinates = geometry.coordinates.map((ring) => ring.map(([lon, lat]) => [round(lon), round(lat)]));
    // A ring needs three distinct points and its first again (the API refuses less).
    if (coordinates.some((ring) => ring.length < 4)) return null;
    return { type: 'polygon', coordinates };
  }
  return null;
}

/// A Leaflet layer for a ZoneShape (a circle or a polygon); null for anything else.
function layerOf(shape) {
  const L = window.L;
  if (shape?.type === 'circle' && Array.isArray(shape.centre) && shape.centre.length === 2 && shape.centre.every(Number.isFinite) && Number.isFinite(shape.radius_m) && shape.radius_m > 0) {
    return L.circle([shape.centre[1], shape.centre[0]], { radius: shape.radius_m, className: 'map-editing' });
  }
  const point = (p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite);
  const ring = (r) => Array.isArray(r) && r.length >= 4 && r.every(point);
  if (shape?.type === 'polygon' && Array.isArray(shape.coordinates) && shape.coordinates.length && shape.coordinates.every(ring)) {
    return L.polygon(shape.coordinates.map((ring) => ring.slice(0, -1).map(([lon, lat]) => [lat, lon])), { className: 'map-editing' });
  }
  return null;
}

/// Geoman's titles of the tools the editor offers, its hints while drawing and its actions.
function geomanWords() {
  return {
    buttonTitles: {
      drawCircleButton: t('map.draw.circle'), drawPolyButton: t('map.draw.polygon'),
      editButton: t('map.draw.edit'), dragButton: t('map.draw.drag'), deleteButton: t('map.draw.remove'),
    },
    tooltips: {
      firstVertex: t('map.draw.first_vertex'), continueLine: t('map.draw.continue'), finishPoly: t('map.draw.finish_polygon'),
      startCircle: t('map.draw.circle_centre'), finishCircle: t('map.draw.finish_circle'),
    },
    actions: { finish: t('map.draw.finish'), cancel: t('map.draw.cancel'), removeLastVertex: t('map.draw.remove_last') },
  };
}

/// Opens a zone editor on `map`: Geoman's toolbar to draw a circle or a polygon, then to edit,
/// drag or remove it; one zone at a time (drawing another replaces it). `shape`: the zone to
/// start from, if any. `onChange(shape)` is called with the ZoneShape after every change (null
/// once removed). Returns `{ shape(), load(shape), close() }`: `shape()` is the zone as it
/// stands, `close()` takes the toolbar and the zone off the map.
export function openZoneEditor(map, { shape = null, onChange = () => {} } = {}) {
  if (!map?.pm) throw new Error('Leaflet-Geoman is not loaded');
  let layer = null;
  const changed = () => onChange(layer ? shapeOf(layer) : null);
  const watch = (l) => {
    l.on('pm:edit pm:dragend', changed);
    l.on('pm:remove', () => { if (layer === l) layer = null; changed(); });
  };
  const take = (l) => {
    if (layer && layer !== l) layer.remove();
    layer = l;
    l.getElement?.()?.classList.add('map-editing');
    watch(l);
    changed();
  };
  map.pm.setGlobalOptions({ snappable: false, allowSelfIntersection: false });
  // Geoman has no Latvian: the words of the tools offered here are the console's, under a
  // language of their own that falls back to Geoman's English for anything else.
  map.pm.setLang('sargs', geomanWords(), 'en');
  map.pm.addControls({
    position: 'topleft',
    drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawRectangle: false, drawText: false,
    drawCircle: true, drawPolygon: true,
    editMode: true, dragMode: true, removalMode: true, cutPolygon: false, rotateMode: false,
  });
  const created = (event) => take(event.layer);
  map.on('pm:create', created);
  const load = (next) => {
    const l = layerOf(next);
    if (!l) return false;
    l.addTo(map);
    take(l);
    map.fitBounds(l.getBounds().pad(0.2));
    return true;
  };
  if (shape) load(shape);
  return {
    shape: () => (layer ? shapeOf(layer) : null),
    load,
    close() {
      map.off('pm:create', created);
      map.pm.disableDraw();
      map.pm.disableGlobalEditMode();
      map.pm.removeControls();
      layer?.remove();
      layer = null;
    },
  };
}
