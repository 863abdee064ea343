// The order editor's victim proximity (the victim protected, and the warning, alarm and
// release distances) and other obligations (what no device judges: programme attendance, an
// alcohol ban).

import { t, term } from '../i18n.js';
import { number } from '../format.js';
import { field, h, select } from '../ui.js';
import { FormProblem, lastNumber, rowList, uid } from './form-rows.js';

/// A distance in metres typed, as a number (null when empty and `optional`).
function metres(input, optional = false) {
  if (input.value === '' && optional) return null;
  const m = Number(input.value);
  if (input.value === '' || !Number.isFinite(m) || m <= 0) throw new FormProblem('order_form.bad_distance');
  return m;
}

/// The victims the client must keep away from: `{ element, value() }`. `victims`: those the
/// caller may name (`GET /victims`), or null when their role may not list them: the order's
/// conditions are then kept as they are, and the form says so.
export function proximityEditor({ proximity, victims }) {
  if (!victims) {
    const said = proximity.length ? t('order_form.victims_kept', { count: number(proximity.length) }) : t('order_form.no_victims');
    return { element: h('p', { class: 'hint', id: 'proximity-kept' }, said), value: () => proximity };
  }
  // A new condition's name: the next number after the highest the order has.
  let named = lastNumber(proximity);
  return rowList({
    id: 'proximity',
    items: proximity,
    addLabel: t('order_form.add_victim'),
    empty: () => ({ id: `victim-${(named += 1)}`, victim_id: victims[0]?.id }),
    make(p) {
      const victim = select('victim', victims.map((v) => [v.id, v.contact_name]), { id: uid('victim'), class: 'victim-id' });
      if (p.victim_id !== undefined) victim.value = String(p.victim_id);
      const num = (cls, value) => h('input', { type: 'number', min: 1, step: 1, class: cls, id: uid(cls), value: value ?? '' });
      const [warning, alarm, release] = [num('victim-warning', p.warning_m), num('victim-alarm', p.alarm_m ?? 500), num('victim-release', p.release_m ?? 700)];
      return {
        element: h('div', { class: 'proximity' },
          field(t('order_form.victim'), victim), field(t('order_form.warning_m'), warning),
          field(t('order_form.alarm_m'), alarm), field(t('order_form.release_m'), release)),
        value() {
          if (!victim.value) throw new FormProblem('order_form.no_victims');
          return { ...p, victim_id: Number(victim.value), warning_m: metres(warning, true), alarm_m: metres(alarm), release_m: metres(release) };
        },
      };
    },
  });
}

/// The kinds of obligation the console has words for, by code.
const OBLIGATION_KINDS = ['alcohol_ban'];

/// The other obligations: a kind in a word or two (one the console knows shown, and offered, in
/// its words, and sent as its code), and the order's words.
export function obligationsEditor({ obligations }) {
  const known = new Map(OBLIGATION_KINDS.map((code) => [term('obligation', code), code]));
  const list = rowList({
    id: 'obligations',
    items: obligations,
    addLabel: t('order_form.add_obligation'),
    empty: () => ({ kind: '', description: '' }),
    make(o) {
      const kind = h('input', { class: 'obligation-kind', id: uid('obligation-kind'), list: 'obligation-kinds', value: o.kind ? term('obligation', o.kind) : '' });
      const description = h('input', { class: 'obligation-description', id: uid('obligation-description'), value: o.description });
      return {
        element: h('div', { class: 'obligation' },
          field(t('order_form.obligation_kind'), kind), field(t('order_form.obligation_description'), description)),
        value: () => ({ kind: known.get(kind.value.trim()) ?? kind.value.trim(), description: description.value.trim() }),
      };
    },
  });
  // The kinds the console has words for, offered as the kind is typed.
  list.element.append(h('datalist', { id: 'obligation-kinds' }, [...known.keys()].map((words) => h('option', { value: words }))));
  return list;
}
