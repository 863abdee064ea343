// A coordinate grid (graticule) for a map without tiles: lines of latitude and longitude at a
// round step for the view (about five across), each labelled in degrees, redrawn as the map
// moves. Drawn on Leaflet, so it pans and zooms with everything else.

import { number } from './format.js';
import { t } from './i18n.js';

/// A round step (1, 2 or 5 times a power of ten) near `span`.
export function niceStep(span) {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const power = 10 ** Math.floor(Math.log10(span));
  const lead = span / power;
  return (lead >= 5 ? 5 : lead >= 2 ? 2 : 1) * power;
}

/// The multiples of `step` from `low` to `high`.
function lines(low, high, step) {
  const out = [];
  for (let k = Math.ceil(low / step); k * step <= high && out.length < 50; k += 1) out.push(k * step);
  return out;
}

export function graticule() {
  const L = window.L;
  const Grid = L.LayerGroup.extend({
    onAdd(map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      map.on('moveend', this.redraw, this);
      this.redraw();
    },
    onRemove(map) {
      map.off('moveend', this.redraw, this);
      L.LayerGroup.prototype.onRemove.call(this, map);
    },
    redraw() {
      const map = this._map;
      if (!map) return;
      this.clearLayers();
      const b = map.getBounds();
      const [south, north, west, east] = [b.getSouth(), b.getNorth(), b.getWest(), b.getEast()];
      const step = niceStep((north - south) / 4);
      const lonStep = niceStep((east - west) / 4);
      const digits = (s) => Math.max(0, -Math.floor(Math.log10(s)));
      const label = (value, s, positive, negative) =>
        `${number(Math.abs(value), { minimumFractionDigits: digits(s), maximumFractionDigits: digits(s) })}° ${value < 0 ? negative : positive}`;
      const mark = (at, text, className) => L.marker(at, {
        icon: L.divIcon({ className: `map-grid-label ${className}`, html: Object.assign(document.createElement('span'), { textContent: text }), iconSize: null }),
        interactive: false, keyboard: false,
      });
      // A label is left off where it would sit on another or be cut by the map's edge: a
      // latitude's near the top (the longitudes' row) or the bottom (the scale bar), a
      // longitude's under the zoom buttons or at the right edge. Every line is drawn.
      const size = map.getSize();
      const clear = { top: 28, bottom: size.y - 28, left: 52, right: size.x - 72 };
      for (const lat of lines(south, north, step)) {
        this.addLayer(L.polyline([[lat, west], [lat, east]], { className: 'map-grid', interactive: false }));
        const y = map.latLngToContainerPoint([lat, west]).y;
        if (y > clear.top && y < clear.bottom) this.addLayer(mark([lat, west], label(lat, step, t('map.north'), t('map.south')), 'map-grid-lat'));
      }
      for (const lon of lines(west, east, lonStep)) {
        this.addLayer(L.polyline([[south, lon], [north, lon]], { className: 'map-grid', interactive: false }));
        const x = map.latLngToContainerPoint([north, lon]).x;
        if (x > clear.left && x < clear.right) this.addLayer(mark([north, lon], label(lon, lonStep, t('map.east'), t('map.west')), 'map-grid-lon'));
      }
    },
  });
  return new Grid();
}
