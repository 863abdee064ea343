// A technician's devices: the inventory a page at a time, searched and filtered on the server,
// with each device's health (last seen, battery, signal, firmware, clock skew) and a link to its
// own page (pages/device.js); the firmware across the fleet; the devices seen but not
// registered; and fitting and removing a device. No client's personal data is asked for or
// shown here.

import { enumerations, get, may, pages, post, query } from '../api.js';
import { orderSearch } from '../order-search.js';
import * as devicePage from './device.js';
import { t, term, via } from '../i18n.js';
import { age, dateTime, number } from '../format.js';
import { announce, attempt, badge, failure, field, h, keepingFocus, pagedTable, section, select, table } from '../ui.js';

/// Every unknown device the server keeps (at most its `kept_at_most`, a page at a time), the
/// most recently heard first, and how many it let go.
async function unknownDevices() {
  const list = pages('/devices/unknown', {}, { key: (d) => d.device_id, rows: (page) => page.devices });
  const devices = [];
  while (!list.done) devices.push(...(await list.next()));
  devices.sort((a, b) => new Date(b.last_seen) - new Date(a.last_seen));
  return { devices, forgotten: list.last.forgotten, kept: list.last.kept_at_most };
}

/// One row of the inventory with its live health, linked to the device's own page.
function inventoryRow(d, hth) {
  const beat = hth?.last_heartbeat?.fields ?? {};
  const skew = hth?.clock_offset_ms;
  return {
    attrs: { dataset: { device: d.device_id } },
    cells: [
      h('a', { href: `#/devices/${d.device_id}` }, String(d.device_id)), d.serial, term('device_kind', d.kind), d.model,
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
}

/// The inventory a page at a time, searched and filtered on the server (each page's devices
/// with their live health); "Show more" brings the next page under the last.
function inventory(enums) {
  const search = h('input', { type: 'search', name: 'q', id: 'inventory-search', autocomplete: 'off' });
  const any = [['', t('devices.any')]];
  const status = select('status', any.concat(enums.device_status.map((v) => [v, term('device_status', v)])), { id: 'inventory-status' });
  const kind = select('kind', any.concat(enums.device_kind.map((v) => [v, term('device_kind', v)])), { id: 'inventory-kind' });
  const headers = [t('devices.id'), t('devices.serial'), t('devices.kind'), t('devices.model'), t('devices.firmware'), t('devices.status'), t('devices.last_seen'), t('devices.battery'), t('devices.signal'), t('devices.clock_skew')];
  const holder = h('div', {});
  const load = async () => {
    const list = pages('/devices', { q: search.value || undefined, status: status.value || undefined, kind: kind.value || undefined }, { key: (d) => d.device_id });
    const withHealth = {
      get done() { return list.done; },
      async next() {
        const page = await list.next();
        const health = await Promise.all(page.map((d) => get(`/devices/${d.device_id}`).then((x) => x.health).catch(() => null)));
        return page.map((d, i) => inventoryRow(d, health[i]));
      },
    };
    try {
      const parts = await pagedTable(t('devices.inventory'), headers, withHealth, (r) => h('tr', r.attrs, r.cells.map((c) => h('td', {}, c))), { class: 'devices', id: 'inventory' });
      keepingFocus(holder, () => holder.replaceChildren(...parts), search);
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  const form = h('form', { class: 'row filters', id: 'inventory-filters', role: 'search' },
    field(t('devices.search'), search), field(t('devices.status'), status), field(t('devices.kind'), kind),
    h('button', { type: 'submit' }, t('devices.search_go')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  status.addEventListener('change', load);
  kind.addEventListener('change', load);
  return { part: section(t('devices.inventory'), h('p', {}, t('devices.search_intro')), form, holder), load };
}

/// Which firmware runs where: each model's versions, with their devices by state.
function firmwareAcrossFleet(found, statuses) {
  return section(t('devices.firmware_fleet'), table(t('devices.firmware_fleet'),
    [t('devices.kind'), t('devices.model'), t('devices.firmware'), t('devices.count'), ...statuses.map((v) => term('device_status', v))],
    found.map((f) => ({
      attrs: { dataset: { model: f.model, firmware: f.firmware ?? '' } },
      cells: [term('device_kind', f.kind), f.model, f.firmware ?? t('devices.firmware_unknown'), number(f.devices),
        ...statuses.map((v) => number(f.by_status[v] ?? 0))],
    })), { class: 'firmware' }));
}

export async function render(root, ctx) {
  if (ctx.args[0]) return devicePage.render(root, ctx);
  const empty = { devices: [], forgotten: { ids: 0, frames: 0 } };
  const [unknown, enums, fits, firmware] = await Promise.all([unknownDevices().catch(() => empty), enumerations(), may('POST', '/devices/{id}/fitting'), get('/devices/firmware')]);
  const list = inventory(enums);
  await list.load();
  const parts = [
    h('h1', {}, t('devices.title')),
    list.part,
    firmwareAcrossFleet(firmware, enums.device_status),
    section(t('devices.unknown'), h('p', {}, t('devices.unknown_intro')),
      unknown.forgotten.ids > 0
        ? h('p', { class: 'unknown-forgotten' }, t('devices.unknown_forgotten', { ids: number(unknown.forgotten.ids), frames: number(unknown.forgotten.frames), kept: number(unknown.kept) }))
        : null,
      table(t('devices.unknown'), [t('devices.id'), t('devices.first_seen'), t('devices.last_seen'), t('devices.frames'), t('timeline.via')],
        unknown.devices.map((u) => [String(u.device_id), dateTime(u.first_seen), dateTime(u.last_seen), number(u.frames), via(u.last_via)]))),
  ];
  // The fitting form chooses among the devices in stock (or, to remove, fitted), found by search.
  if (fits) parts.push(await fitting(enums.device_status, () => render(root, ctx)));
  keepingFocus(root, () => root.replaceChildren(...parts));
}

/// Fitting a device under an order, or removing it; after removal, any status but fitted (the
/// API refuses that one). The device is chosen from those its serial or id search finds (the
/// first page of the inventory until something is searched).
async function fitting(statuses, reload) {
  const device = select('device', [], { id: 'fit-device' });
  const deviceSearch = h('input', { type: 'search', name: 'device_q', id: 'fit-device-search', autocomplete: 'off' });
  const findDevice = async () => {
    try {
      const found = await get(`/devices${query({ q: deviceSearch.value || undefined, limit: 50 })}`);
      device.replaceChildren(...found.map((d) => h('option', { value: d.device_id }, `${d.device_id} (${d.serial}, ${term('device_status', d.status)})`)));
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  onEnter(deviceSearch, findDevice);
  // The order is found by the court's case number or the probation client's name: a
  // technician never sees internal ids.
  const { order, controls } = orderSearch('fit');
  const status = select('status', statuses.filter((s) => s !== 'fitted').map((s) => [s, term('device_status', s)]), { id: 'remove-status' });
  const run = (path, body, done) => attempt(() => post(`/devices/${device.value}/${path}`, body), done, reload);
  // Filled before the page is drawn: the page is whole when it appears.
  await findDevice();
  return section(t('devices.fit_remove'),
    h('div', { class: 'row' }, field(t('devices.find_device'), deviceSearch),
      h('button', { type: 'button', id: 'fit-device-find', onclick: findDevice }, t('devices.search_go'))),
    field(t('devices.device'), device),
    h('div', { class: 'row' },
      h('div', {}, ...controls,
        h('button', { type: 'button', id: 'fit', onclick: () => order.value && run('fitting', { order_id: Number(order.value) }, t('devices.fitted_done')) }, t('devices.fit'))),
      h('div', {}, field(t('devices.status_after'), status),
        h('button', { type: 'button', id: 'remove', onclick: () => run('removal', { status: status.value }, t('devices.removed_done')) }, t('devices.remove')))));
}

/// Enter in a search field searches, rather than submitting a form around it.
function onEnter(input, run) {
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      run();
    }
  });
}
