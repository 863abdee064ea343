// The fleet map (#/fleet, for operators, officers and supervisors): every probation client in
// the caller's care (GET /clients answers only those) at their last known position, coloured by
// their state at a glance, each leading to their page; beside it the same as a table, with
// those whose position is not known.
//
// Each client costs two requests (their state, then their fitted device's last fix), asked a
// few at a time; for caseloads of many hundreds a paged API route answering all of it at once
// would be the next step.

import { get, observationsBetween } from '../api.js';
import { t, term } from '../i18n.js';
import { dateTime, DEFAULT_ZONE } from '../format.js';
import { badge, h, section, table } from '../ui.js';
import { coordinates, drawMap, fixesOf } from '../map.js';
import { directory } from './alerts.js';

/// Requests at once.
const PARALLEL = 6;
/// How far before a device was last heard its last fix is looked for.
const LOOK_BACK_MS = 6 * 3600e3;

async function eachLimited(items, work) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return out;
}

/// The last fix of the client's fitted devices, from the last time each was heard.
async function lastFix(state) {
  const heard = (state?.devices ?? []).filter((d) => d.last_seen);
  let best = null;
  for (const d of heard) {
    const until = new Date(d.last_seen).getTime() + 1000;
    const seen = await observationsBetween(d.device_id, new Date(until - LOOK_BACK_MS).toISOString(), new Date(until).toISOString()).catch(() => []);
    const fix = fixesOf(seen).at(-1);
    if (fix && (!best || new Date(fix.time) > new Date(best.time))) best = fix;
  }
  return best;
}

export async function render(root, { config }) {
  const dir = await directory();
  const clients = [...dir.client.values()];
  const rows = await eachLimited(clients, async (client) => {
    const state = await get(`/clients/${client.id}/state`).catch(() => null);
    const fix = await lastFix(state);
    const zone = dir.zone.get(state?.order_id) ?? DEFAULT_ZONE;
    return { client, glance: state?.state ?? 'unknown', fix, zone };
  });
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
