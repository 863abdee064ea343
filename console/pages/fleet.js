// The fleet map (#/fleet, for operators, officers and supervisors): every probation client in
// the caller's care at their last known position, coloured by their state at a glance, each
// leading to their page; beside it the same as a table, with those whose position is not known.
// GET /fleet answers a page of clients with their state and last fix, so a caseload of
// hundreds (or the whole service's thousands) is a request per 500 clients.

import { getAll, may } from '../api.js';
import { t, term } from '../i18n.js';
import { dateTime, DEFAULT_ZONE } from '../format.js';
import { badge, h, section, table } from '../ui.js';
import { coordinates, drawMap } from '../map.js';

export async function render(root, { config }) {
  // A role with nobody in its care (a technician, a court) is shown an empty map.
  const found = (await may('GET', '/fleet')) ? await getAll('/fleet', {}, { key: (row) => row.client_id }) : [];
  const rows = found.map((r) => ({
    client: { id: r.client_id, given_name: r.given_name, family_name: r.family_name },
    glance: r.state ?? 'unknown',
    fix: r.last_fix,
    zone: r.time_zone ?? DEFAULT_ZONE,
  }));
  const name = (c) => `${c.given_name} ${c.family_name}`;
  const markers = rows.filter((r) => r.fix).map((r) => ({
    lat: r.fix.lat, lon: r.fix.lon, className: `map-glance-${r.glance}`, href: `#/clients/${r.client.id}`,
    label: `${name(r.client)}: ${term('glance', r.glance)}, ${dateTime(r.fix.time, r.zone)}`,
  }));
  const legend = h('ul', { class: 'map-legend' }, ['breach', 'unknown', 'compliant'].map((g) =>
    h('li', {}, h('span', { class: `map-swatch map-glance-${g}`, 'aria-hidden': 'true' }), ` ${term('glance', g)}`)));
  const order = { breach: 0, unknown: 1, compliant: 2 };
  rows.sort((a, b) => (order[a.glance] ?? 1) - (order[b.glance] ?? 1) || name(a.client).localeCompare(name(b.client)));
  const list = table(t('fleet.caption'), [t('client.name'), t('client.state'), t('fleet.last_fix'), t('fleet.position')], rows.map((r) => ({
    attrs: { dataset: { client: r.client.id, state: r.glance } },
    cells: [
      h('a', { href: `#/clients/${r.client.id}` }, name(r.client)),
      badge(`glance-${r.glance}`, term('glance', r.glance)),
      r.fix ? dateTime(r.fix.time, r.zone) : t('fleet.no_position'),
      r.fix ? coordinates({ lat: r.fix.lat, lng: r.fix.lon }) : '—',
    ],
  })), { class: 'fleet', id: 'fleet-table' });
  root.replaceChildren(
    h('h1', {}, t('fleet.title')),
    section(t('map.title'), drawMap({ markers, tiles: config.map_tiles, label: t('fleet.map_label'), legend: false }), legend),
    section(t('fleet.caption'), list),
  );
}
