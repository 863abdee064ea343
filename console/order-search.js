// Finding an order by the court's case number or the probation client's name
// (`GET /orders/to-fit`): the order, its court and case and the client's name, never an internal
// id a person would have to know. Fitting a device and protecting a victim both start here.

import { get, query } from './api.js';
import { t, term } from './i18n.js';
import { announce, failure, field, h, select } from './ui.js';

/// The search field, its button, what was found and the choice of order, with ids made from
/// `prefix` (`fit-search`, `fit-find`, `fit-found`, `fit-order`); `order.value` is the chosen
/// order's id, or empty.
export function orderSearch(prefix) {
  const search = h('input', { type: 'search', name: 'q', id: `${prefix}-search`, autocomplete: 'off' });
  const order = select('order', [], { id: `${prefix}-order` });
  const found = h('p', { class: 'hint', id: `${prefix}-found`, 'aria-live': 'polite' });
  const find = async () => {
    try {
      const orders = await get(`/orders/to-fit${query({ q: search.value })}`);
      order.replaceChildren(...orders.map((o) => h('option', { value: o.order_id },
        `${o.case_number} · ${o.court} · ${o.client_name}${o.status === 'active' ? '' : ` (${term('order_status', o.status)})`}`)));
      found.textContent = orders.length ? t('devices.orders_found', { n: orders.length }) : t('devices.no_order_found');
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      find();
    }
  });
  return {
    order,
    controls: [field(t('devices.find_order'), search),
      h('button', { type: 'button', id: `${prefix}-find`, onclick: find }, t('devices.find')),
      found,
      field(t('devices.order'), order)],
  };
}
