// Recording a court order for a probation client, or varying one (`#/clients/{id}/order` and
// `#/clients/{id}/order/{order}`): the court and case, the decision's date and legal basis, the
// monitored period in the order's time zone, the curfew (timetable-editor.js), the zones
// (order-zones.js), victim proximity and other obligations (order-conditions.js). A variation
// is a new revision, with the reason and the date the court set for it to take effect, which
// may be in the future. What the form cannot send is said in the user's language and nothing
// is sent; what the API refuses is said by `failure`, field by field.

import { enumerations, get, getAll, may, post } from '../api.js';
import { t, term } from '../i18n.js';
import { DEFAULT_ZONE, utcToWall, wallToUtc } from '../format.js';
import { announce, failure, field, h, section, select } from '../ui.js';
import { curfewEditor } from './timetable-editor.js';
import { FormProblem, instantOf } from './form-rows.js';
import { dateInput, dateProblem } from '../date-field.js';
import { zonesEditor } from './order-zones.js';
import { obligationsEditor, proximityEditor } from './order-conditions.js';

const DAY_MS = 86400e3;

/// The terms a new order starts from: monitoring from now for 90 days.
function freshTerms() {
  const now = Date.now();
  return {
    decision_date: new Date(now).toISOString().slice(0, 10),
    legal_basis: 'conditional_early_release',
    starts: new Date(now).toISOString(),
    ends: new Date(now + 90 * DAY_MS).toISOString(),
    time_zone: DEFAULT_ZONE,
    curfew: null,
    zones: [],
    proximity: [],
    obligations: [],
  };
}

export async function render(root, { config, args }) {
  const clientId = Number(args[0]);
  const orderId = args[2] === undefined ? null : Number(args[2]);
  const [client, order, enums, victims] = await Promise.all([
    get(`/clients/${clientId}`),
    orderId === null ? null : get(`/orders/${orderId}`),
    enumerations(),
    may('GET', '/victims').then((yes) => (yes ? getAll('/victims') : null)),
  ]);
  // A variation starts from the latest revision recorded, scheduled or in force.
  const revisions = order ? await get(`/orders/${order.id}/revisions`) : [];
  const terms = revisions.at(-1)?.terms ?? order?.terms ?? freshTerms();
  const timeZone = h('input', { id: 'order-time-zone', value: terms.time_zone ?? DEFAULT_ZONE });
  const zone = () => timeZone.value.trim() || DEFAULT_ZONE;
  const court = h('input', { id: 'order-court', value: order?.court ?? '' });
  const caseNumber = h('input', { id: 'order-case-number', value: order?.case_number ?? '' });
  const decided = dateInput({ id: 'order-decision-date', time: false, required: true, value: terms.decision_date });
  const basis = select('legal_basis', enums.legal_basis.map((b) => [b, term('legal_basis', b)]), { id: 'order-legal-basis' });
  basis.value = terms.legal_basis;
  const starts = dateInput({ id: 'order-starts', required: true, value: utcToWall(terms.starts, zone()) });
  const ends = dateInput({ id: 'order-ends', required: true, value: utcToWall(terms.ends, zone()) });
  const curfew = curfewEditor({ curfew: terms.curfew, addresses: client.addresses, zone });
  const zones = zonesEditor({ zones: terms.zones, addresses: client.addresses, tiles: config.map_tiles, zone, kinds: enums.zone });
  const proximity = proximityEditor({ proximity: terms.proximity ?? [], victims });
  const obligations = obligationsEditor({ obligations: terms.obligations ?? [] });
  const reason = h('input', { id: 'order-reason' });
  const takesEffect = dateInput({ id: 'order-takes-effect', required: Boolean(order), value: utcToWall(new Date().toISOString(), zone()) });
  const error = h('p', { class: 'error', id: 'order-error', role: 'alert' });
  const name = `${client.given_name} ${client.family_name}`;
  const form = h('form', { id: 'order-form', class: 'edit-form', novalidate: true },
    h('h1', {}, order ? t('order_form.vary_title', { case: order.case_number }) : t('order_form.new_title'), ' · ', h('a', { href: `#/clients/${clientId}` }, name)),
    section(t('order_form.court_and_case'),
      order ? null : field(t('order.court'), court),
      order ? null : field(t('order.case_number'), caseNumber),
      field(t('order_form.decision_date'), decided),
      field(t('order.legal_basis'), basis),
      field(t('order.time_zone'), timeZone),
      h('p', { class: 'hint' }, t('order_form.zone_hint')),
      field(t('order_form.starts'), starts),
      field(t('order_form.ends'), ends)),
    section(t('order.curfew'), curfew.element),
    section(t('order.zones'), zones.element),
    section(t('order_form.proximity'), proximity.element),
    section(t('order.obligations'), obligations.element),
    order ? section(t('order_form.variation'),
      h('p', { class: 'hint' }, t('order_form.variation_hint')),
      field(t('order.reason'), reason),
      field(t('order.takes_effect'), takesEffect)) : null,
    error,
    h('button', { type: 'submit', class: 'primary', id: 'order-submit' }, order ? t('order_form.vary') : t('order_form.create')));

  /// The terms as the form holds them; a FormProblem for what cannot be sent.
  const collect = () => {
    const [from, until] = [instantOf(starts, terms.starts, zone()), instantOf(ends, terms.ends, zone())];
    return {
      ...terms,
      decision_date: decided.value,
      legal_basis: basis.value,
      starts: from,
      ends: until,
      time_zone: zone(),
      curfew: curfew.value(),
      zones: zones.value(),
      proximity: proximity.value(),
      obligations: obligations.value().filter((o) => o.kind || o.description),
    };
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = dateProblem(form);
    if (error.textContent) {
      announce(error.textContent, 'error');
      return;
    }
    let body;
    try {
      const next = collect();
      body = order
        ? { terms: next, reason: reason.value, takes_effect: wallToUtc(takesEffect.value, zone()) }
        : { client_id: clientId, court: court.value, case_number: caseNumber.value, terms: next };
    } catch (problem) {
      if (!(problem instanceof FormProblem)) throw problem;
      error.textContent = t(problem.key, problem.params);
      announce(error.textContent, 'error');
      return;
    }
    try {
      await post(order ? `/orders/${order.id}/revisions` : '/orders', body);
      announce(order ? t('order_form.varied') : t('order_form.created'), 'ok');
      location.hash = `#/clients/${clientId}`;
    } catch (refused) {
      error.textContent = failure(refused);
      announce(error.textContent, 'error');
    }
  });
  root.replaceChildren(form);
}
