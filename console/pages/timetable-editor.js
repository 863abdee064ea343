// The weekly curfew timetable and dated curfews of an order, as the order editor edits them:
// slots per weekday at one of the client's addresses (a slot ending at or before its start ends
// the next day: it crosses midnight), the first night after fitting, and extra curfews on
// dated periods. A zone's schedule is the same weekly slots without an address.

import { t, term } from '../i18n.js';
import { utcToWall } from '../format.js';
import { field, h, select } from '../ui.js';
import { FormProblem, instantOf, lastNumber, rowList, uid } from './form-rows.js';
import { dateInput } from '../date-field.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/// A wall-clock time as the API takes it: `HH:MM`, 00:00 to 23:59.
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

/// One weekly slot: the day, from, until (and the address when `addresses` are given); says
/// "next day" beside a slot that crosses midnight.
function slotRow(slot, addresses) {
  const day = select('day', DAYS.map((d) => [d, term('day', d)]), { id: uid('slot-day'), class: 'slot-day' });
  day.value = slot.day ?? 'mon';
  const start = h('input', { id: uid('slot-start'), class: 'slot-start', inputmode: 'numeric', size: 5, placeholder: '22:00', value: slot.start?.slice(0, 5) ?? '' });
  const end = h('input', { id: uid('slot-end'), class: 'slot-end', inputmode: 'numeric', size: 5, placeholder: '06:00', value: slot.end?.slice(0, 5) ?? '' });
  const next = h('span', { class: 'hint slot-next' });
  const mark = () => { next.textContent = CLOCK.test(end.value) && CLOCK.test(start.value) && end.value <= start.value ? t('order.next_day') : ''; };
  start.addEventListener('input', mark);
  end.addEventListener('input', mark);
  mark();
  const address = addresses && select('address', addresses.map((a) => [a.id, a.street]), { id: uid('slot-address'), class: 'slot-address' });
  if (address && slot.address) address.value = slot.address;
  const element = h('div', { class: 'slot' },
    address && field(t('order.address'), address),
    field(t('order.day'), day), field(t('order.from'), start), field(t('order.until'), end), next);
  return {
    element,
    value() {
      for (const input of [start, end]) {
        if (!CLOCK.test(input.value.trim())) throw new FormProblem('order_form.bad_clock', { value: input.value });
      }
      if (start.value.trim() === end.value.trim()) throw new FormProblem('order_form.empty_slot');
      const out = { day: day.value, start: start.value.trim(), end: end.value.trim() };
      return address ? { ...out, address: address.value } : out;
    },
  };
}

/// Weekly slots; with `addresses`, each slot names one of them.
export function slotsEditor({ id, slots = [], addresses = null, addLabel = t('order_form.add_slot') }) {
  return rowList({
    id,
    items: slots,
    make: (s) => slotRow(s, addresses),
    addLabel,
    empty: () => ({ day: 'mon', start: '22:00', end: '06:00', address: addresses?.[0]?.id }),
  });
}

/// A dated period at an address: the first night, or an extra curfew.
function periodRow(period, addresses, zone) {
  const from = dateInput({ className: 'period-from', id: uid('period-from'), required: true, value: period.from ? utcToWall(period.from, zone) : '' });
  const until = dateInput({ className: 'period-until', id: uid('period-until'), required: true, value: period.until ? utcToWall(period.until, zone) : '' });
  const address = select('address', addresses.map((a) => [a.id, a.street]), { id: uid('period-address') });
  if (period.address) address.value = period.address;
  return {
    element: h('div', { class: 'period' }, field(t('order.from'), from), field(t('order.until'), until), field(t('order.address'), address)),
    value() {
      const [a, b] = [instantOf(from, period.from, zone), instantOf(until, period.until, zone)];
      return { id: period.id, from: a, until: b, address: address.value };
    },
  };
}

/// The curfew: the weekly timetable, the first night and the extra curfews. `curfew`: the
/// order's (or null); `addresses`: the client's; `zone()`: the order's time zone now. Returns
/// `{ element, value() }`, the value the curfew the terms take (null without any slot or
/// period), keeping what the form does not edit (absences, tolerances).
export function curfewEditor({ curfew, addresses, zone }) {
  if (!addresses.length) {
    return { element: h('p', { class: 'hint', id: 'curfew-no-address' }, t('order_form.no_address')), value: () => curfew ?? null };
  }
  const slots = (curfew?.timetable ?? []).flatMap((a) => a.slots.map((s) => ({ ...s, address: a.address })));
  const weekly = slotsEditor({ id: 'curfew-slots', slots, addresses });
  const first = rowList({
    id: 'first-night',
    items: curfew?.first_night ? [curfew.first_night] : [],
    make: (p) => periodRow(p, addresses, zone()),
    addLabel: t('order_form.add_first_night'),
    empty: () => ({ id: 'first-night', address: addresses[0].id }),
  });
  // A new extra curfew's name: the next number after the highest the order has.
  let named = lastNumber(curfew?.extra ?? []);
  const extra = rowList({
    id: 'extra-curfews',
    items: curfew?.extra ?? [],
    make: (p) => periodRow(p, addresses, zone()),
    addLabel: t('order_form.add_extra'),
    empty: () => ({ id: `extra-${(named += 1)}`, address: addresses[0].id }),
  });
  const element = h('div', { class: 'curfew-editor' },
    h('h3', {}, t('order_form.weekly')), h('p', { class: 'hint' }, t('order_form.weekly_hint')), weekly.element,
    h('h3', {}, t('order_form.first_night')), first.element,
    h('h3', {}, t('order_form.extra')), extra.element);
  return {
    element,
    value() {
      const timetable = [];
      for (const { address, ...slot } of weekly.value()) {
        let at = timetable.find((a) => a.address === address);
        if (!at) timetable.push((at = { address, slots: [] }));
        at.slots.push(slot);
      }
      const firstNight = first.value()[0] ?? null;
      const extras = extra.value();
      if (!timetable.length && !firstNight && !extras.length && !curfew?.absences?.length) return null;
      return { ...(curfew ?? {}), timetable, first_night: firstNight, extra: extras };
    },
  };
}
