// What the case forms share: a problem the form finds before anything is sent (worded from the
// catalog in the user's language), ids for controls, a list of rows with "add" and "remove",
// an instant typed in an order's time zone, and the next number for a new row's name.

import { t } from '../i18n.js';
import { utcToWall, wallToUtc } from '../format.js';
import { h } from '../ui.js';

/// Why the form cannot be sent: the catalog's key, shown in the user's language.
export class FormProblem extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

/// The instant a date-and-time field (date-field.js) names in `zone`: `original` itself while the input
/// still shows it (the input holds minutes only: an order's seconds must not change by being
/// shown); null when empty.
export function instantOf(input, original, zone) {
  if (!input.value) return null;
  if (original && input.value === utcToWall(original, zone)) return original;
  const at = wallToUtc(input.value, zone);
  if (!at) throw new FormProblem('order_form.bad_time');
  return at;
}

/// The highest number that ends the `id` of any of `items` (0 for none): a new row's name
/// takes the next, so that it never repeats one the order has.
export function lastNumber(items) {
  return Math.max(0, ...items.map((item) => Number(/(\d+)$/.exec(item.id ?? '')?.[1] ?? 0)));
}

let rows = 0;
/// An id for a control, so that a label and the focus find it again.
export const uid = (prefix) => `${prefix}-${(rows += 1)}`;

/// A list of rows with an "add" button; `make(value)` draws one row as `{ element, value() }`.
/// Returns `{ element, value() }`: the rows' values, in order.
export function rowList({ id, items = [], make, addLabel, empty }) {
  const list = h('ol', { class: 'edit-rows', id });
  const made = [];
  const add = (value) => {
    const row = make(value);
    const remove = h('button', { type: 'button', class: 'row-remove', 'aria-label': t('form.remove') }, t('form.remove'));
    const li = h('li', {}, row.element, remove);
    remove.addEventListener('click', () => {
      made.splice(made.indexOf(row), 1);
      li.remove();
    });
    made.push(row);
    list.append(li);
    return row;
  };
  for (const item of items) add(item);
  const button = h('button', { type: 'button', class: 'row-add', id: `${id}-add`, onclick: () => add(empty()) }, addLabel);
  return { element: h('div', { class: 'row-list' }, list, button), value: () => made.map((r) => r.value()), add };
}

