// Victims: the people a proximity condition protects. The list (a page at a time), recording
// one (a contact, their phone, the device or phone they carry from the inventory, the unit
// that looks after them), changing the record, the orders that protect them, and protecting
// them by an order: a variation that adds a proximity condition with its distances.

import { api, get, getAll, pages, post } from '../api.js';
import { orderSearch } from '../order-search.js';
import { t, term } from '../i18n.js';
import { number } from '../format.js';
import { announce, attempt, field, h, keepingFocus, pagedTable, section, select, table } from '../ui.js';

export async function render(root, { user, args }) {
  const id = args[0] ? Number(args[0]) : null;
  const [units, devices, chosen] = await Promise.all([
    getAll('/units'),
    getAll('/devices', {}, { key: (d) => d.device_id }).catch(() => []),
    id ? get(`/victims/${id}`) : null,
  ]);
  const reload = () => render(root, { user, args });
  const unitName = (u) => units.find((x) => x.id === u)?.name ?? '—';
  const row = (v) => h('tr', { dataset: { victim: v.id }, class: v.id === id ? 'selected' : undefined },
    [h('a', { href: `#/victims/${v.id}` }, v.contact_name), v.contact_phone ?? '—', v.device_id ? String(v.device_id) : '—', unitName(v.unit_id)].map((c) => h('td', {}, c)));
  const parts = [
    h('h1', {}, t('victims.title')),
    section(t('victims.list'), ...(await pagedTable(t('victims.list'),
      [t('victims.contact_name'), t('victims.phone'), t('victims.device'), t('victims.unit')], pages('/victims'), row, { class: 'victims', id: 'victims' }))),
  ];
  if (chosen) {
    const orders = await getAll('/orders', { victim_id: chosen.id });
    parts.push(editVictim(chosen, devices, reload), protecting(chosen, orders, reload));
  }
  parts.push(newVictim(units, devices));
  keepingFocus(root, () => root.replaceChildren(...parts));
}

/// The devices a victim may carry: none, or one from the inventory.
function deviceOptions(devices) {
  return [['', t('victims.no_device')], ...devices.map((d) => [d.device_id, `${d.device_id} · ${term('device_kind', d.kind)} · ${d.model}`])];
}

/// The contact fields a new record and a change share; the phone left empty is none.
function contactFields(prefix, victim, devices) {
  const name = h('input', { name: 'contact_name', id: `${prefix}-name`, autocomplete: 'off', value: victim?.contact_name ?? '' });
  const phone = h('input', { name: 'contact_phone', id: `${prefix}-phone`, type: 'tel', autocomplete: 'off', value: victim?.contact_phone ?? '' });
  const device = select('device_id', deviceOptions(devices), { id: `${prefix}-device` });
  device.value = victim?.device_id ?? '';
  const values = () => ({
    contact_name: name.value,
    contact_phone: phone.value.trim() || null,
    device_id: device.value ? Number(device.value) : null,
  });
  return { controls: [field(t('victims.contact_name'), name), field(t('victims.phone'), phone), field(t('victims.device'), device)], values };
}

function newVictim(units, devices) {
  const { controls, values } = contactFields('new-victim', null, devices);
  const unit = select('unit_id', [['', t('victims.own_unit')], ...units.map((u) => [u.id, u.name])], { id: 'new-victim-unit' });
  const form = h('form', { id: 'victim-form', class: 'inline-form' }, ...controls, field(t('victims.unit'), unit),
    h('button', { type: 'submit', class: 'primary', id: 'victim-create' }, t('victims.record')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const made = { ...values(), unit_id: unit.value ? Number(unit.value) : null };
    return attempt(async () => {
      const victim = await post('/victims', made);
      location.hash = `#/victims/${victim.id}`;
    }, t('victims.recorded'), async () => {});
  });
  return section(t('victims.new'), form);
}

function editVictim(victim, devices, reload) {
  const { controls, values } = contactFields('edit-victim', victim, devices);
  const form = h('form', { id: 'victim-edit', class: 'inline-form' }, ...controls,
    h('button', { type: 'submit', class: 'primary', id: 'victim-save' }, t('victims.save')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const change = values();
    // A phone emptied is cleared (sent as null); a device left at none stays as it was.
    if (change.device_id === null) delete change.device_id;
    return attempt(() => api('PATCH', `/victims/${victim.id}`, change), t('victims.saved'), reload);
  });
  return section(victim.contact_name, form);
}

/// A proximity condition's distances in words.
export function distances(p) {
  return t('victims.distances', { alarm: number(p.alarm_m), release: number(p.release_m), warning: p.warning_m ? number(p.warning_m) : '—' });
}

/// The orders protecting the victim, and protecting them by another: the order is found by
/// its case number or its client's name, and varied with a proximity condition.
function protecting(victim, orders, reload) {
  const rows = orders.map((o) => {
    const p = o.terms.proximity.find((x) => x.victim_id === victim.id);
    return [o.case_number, o.court, term('order_status', o.status), p ? distances(p) : ''];
  });
  const { order, controls } = orderSearch('protect');
  const metres = (name, value) => h('input', { name, id: `protect-${name}`, inputmode: 'decimal', size: 6, value });
  const alarm = metres('alarm_m', '500');
  const release = metres('release_m', '700');
  const warning = metres('warning_m', '1000');
  const reason = h('input', { name: 'reason', id: 'protect-reason', autocomplete: 'off' });
  const form = h('form', { id: 'protect-form', class: 'inline-form' },
    ...controls,
    field(t('victims.alarm_m'), alarm), field(t('victims.release_m'), release), field(t('victims.warning_m'), warning),
    field(t('victims.reason'), reason),
    h('button', { type: 'submit', class: 'primary', id: 'protect-submit' }, t('victims.protect')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const distances = distancesOf(alarm.value, release.value, warning.value);
    if (typeof distances === 'string') return announce(distances, 'error');
    if (!order.value) return announce(t('victims.choose_order'), 'error');
    return attempt(async () => {
      const current = await get(`/orders/${order.value}`);
      const terms = structuredClone(current.terms);
      terms.proximity = terms.proximity.filter((p) => p.victim_id !== victim.id);
      terms.proximity.push({ id: `victim-${victim.id}`, victim_id: victim.id, ...distances });
      await post(`/orders/${order.value}/revisions`, { terms, reason: reason.value });
    }, t('victims.protected'), reload);
  });
  return section(t('victims.orders'),
    table(t('victims.orders'), [t('order.case_number'), t('order.court'), t('order.status'), t('victims.distances_head')], rows, { class: 'protecting', id: 'protecting' }),
    form);
}

/// The distances typed, in metres: the alarm more than none, the release at least the alarm,
/// the warning (if any) beyond the alarm. A sentence saying what is wrong, if anything.
function distancesOf(alarmText, releaseText, warningText) {
  const read = (text) => (/^\d+([.,]\d+)?$/.test(text.trim()) ? Number(text.trim().replace(',', '.')) : NaN);
  const alarm = read(alarmText);
  const release = read(releaseText);
  const warning = warningText.trim() ? read(warningText) : null;
  if (!(alarm > 0)) return t('victims.alarm_invalid');
  if (!(release >= alarm)) return t('victims.release_invalid');
  if (warning !== null && !(warning > alarm)) return t('victims.warning_invalid');
  return { alarm_m: alarm, release_m: release, warning_m: warning };
}
