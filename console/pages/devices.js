// A technician's devices: the inventory with each device's health (last seen, battery, signal,
// firmware, clock skew), the devices seen but not registered, and fitting and removing a
// device. No client's personal data is asked for or shown here.

import { enumerations, get, getAll, may, pages, post } from '../api.js';
import { orderSearch } from '../order-search.js';
import { t, term } from '../i18n.js';
import { age, dateTime, number } from '../format.js';
import { attempt, badge, field, h, keepingFocus, section, select, table } from '../ui.js';

/// Every unknown device the server keeps (at most its `kept_at_most`, a page at a time), the
/// most recently heard first, and how many it let go.
async function unknownDevices() {
  const list = pages('/devices/unknown', {}, { key: (d) => d.device_id, rows: (page) => page.devices });
  const devices = [];
  while (!list.done) devices.push(...(await list.next()));
  devices.sort((a, b) => new Date(b.last_seen) - new Date(a.last_seen));
  return { devices, forgotten: list.last.forgotten, kept: list.last.kept_at_most };
}

export async function render(root, { user, args }) {
  const empty = { devices: [], forgotten: { ids: 0, frames: 0 } };
  const [inventory, unknown, enums, fits] = await Promise.all([getAll('/devices', {}, { key: (d) => d.device_id }), unknownDevices().catch(() => empty), enumerations(), may('POST', '/devices/{id}/fitting')]);
  const health = await Promise.all(inventory.map((d) => get(`/devices/${d.device_id}`).then((x) => x.health).catch(() => null)));
  const rows = inventory.map((d, i) => {
    const hth = health[i];
    const beat = hth?.last_heartbeat?.fields ?? {};
    const skew = hth?.clock_offset_ms;
    return {
      attrs: { dataset: { device: d.device_id } },
      cells: [
        String(d.device_id), d.serial, term('device_kind', d.kind), d.model,
        // A victim's own phone has no firmware anyone can read: null, said in words.
        d.firmware ?? t('devices.firmware_unknown'),
        term('device_status', d.status),
        hth?.last_seen ? h('span', { title: dateTime(hth.last_seen) }, age(hth.last_seen)) : t('devices.never'),
        beat.battery_percent !== undefined ? `${number(beat.battery_percent)} %` : '—',
        beat.rssi_dbm !== undefined ? `${number(beat.rssi_dbm)} dBm` : '—',
        skew !== null && skew !== undefined
          ? badge(hth.clock_skewed ? 'warn' : 'ok', `${number(skew / 1000, { maximumFractionDigits: 1 })} s`)
          : '—',
      ],
    };
  });
  const parts = [
    h('h1', {}, t('devices.title')),
    section(t('devices.inventory'), table(t('devices.inventory'), [t('devices.id'), t('devices.serial'), t('devices.kind'), t('devices.model'), t('devices.firmware'), t('devices.status'), t('devices.last_seen'), t('devices.battery'), t('devices.signal'), t('devices.clock_skew')], rows, { class: 'devices' })),
    section(t('devices.unknown'), h('p', {}, t('devices.unknown_intro')),
      unknown.forgotten.ids > 0
        ? h('p', { class: 'unknown-forgotten' }, t('devices.unknown_forgotten', { ids: number(unknown.forgotten.ids), frames: number(unknown.forgotten.frames), kept: number(unknown.kept) }))
        : null,
      table(t('devices.unknown'), [t('devices.id'), t('devices.first_seen'), t('devices.last_seen'), t('devices.frames'), t('timeline.via')],
        unknown.devices.map((u) => [String(u.device_id), dateTime(u.first_seen), dateTime(u.last_seen), number(u.frames), u.last_via]))),
  ];
  if (fits) parts.push(fitting(inventory, enums.device_status, () => render(root, { user, args })));
  keepingFocus(root, () => root.replaceChildren(...parts));
}

/// Fitting a device under an order, or removing it; after removal, any status but fitted (the
/// API refuses that one).
function fitting(inventory, statuses, reload) {
  const device = select('device', inventory.map((d) => [d.device_id, `${d.device_id} (${d.serial}, ${term('device_status', d.status)})`]), { id: 'fit-device' });
  // The order is found by the court's case number or the probation client's name: a
  // technician never sees internal ids.
  const { order, controls } = orderSearch('fit');
  const status = select('status', statuses.filter((s) => s !== 'fitted').map((s) => [s, term('device_status', s)]), { id: 'remove-status' });
  const run = (path, body, done) => attempt(() => post(`/devices/${device.value}/${path}`, body), done, reload);
  return section(t('devices.fit_remove'),
    field(t('devices.device'), device),
    h('div', { class: 'row' },
      h('div', {}, ...controls,
        h('button', { type: 'button', id: 'fit', onclick: () => order.value && run('fitting', { order_id: Number(order.value) }, t('devices.fitted_done')) }, t('devices.fit'))),
      h('div', {}, field(t('devices.status_after'), status),
        h('button', { type: 'button', id: 'remove', onclick: () => run('removal', { status: status.value }, t('devices.removed_done')) }, t('devices.remove')))));
}
