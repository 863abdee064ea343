// A court's orders: those it issued, each with its compliance summary over the order so far,
// as the court report states it (GET /orders/{id}/report, JSON: the same figures and digest as
// the PDF), and links to the report as PDF and JSON.

import { get, getAll, query } from '../api.js';
import { language, t, term } from '../i18n.js';
import { dateTime, DEFAULT_ZONE, number, utcToWall } from '../format.js';
import { h, section, table } from '../ui.js';

/// The report's period: the order's first local day to today (or its last day, if it ended).
function period(order, zone, now) {
  const end = Math.min(now, new Date(order.terms.ends).getTime());
  const from = utcToWall(order.terms.starts, zone).slice(0, 10);
  const to = utcToWall(new Date(Math.max(end, new Date(order.terms.starts).getTime())), zone).slice(0, 10);
  return { from, to };
}

const hours = (ms) => number(ms / 3600000, { maximumFractionDigits: 1 });

/// How many summaries are computed at once: each is the court report over the whole order, which
/// the server builds from the stored evidence, so a long list is filled in a few at a time rather
/// than asking for all of them together.
const AT_ONCE = 2;

/// The cells that show an order's summary, filled in when it arrives.
function summaryCells(o, client, report, now) {
  // Withdrawn: later data showed no breach.
  const breaches = (report?.breaches ?? []).filter((e) => e.state !== 'withdrawn');
  const kinds = Object.entries(breaches.reduce((m, e) => ({ ...m, [e.kind]: (m[e.kind] ?? 0) + 1 }), {}))
    .map(([k, n]) => `${term('kind', k)}: ${number(n)}`).join('; ');
  const minutes = breaches.reduce((sum, e) => sum + (e.duration_ms ?? (now - new Date(e.start).getTime())) / 60000, 0);
  const totals = report?.totals;
  return [
    client ? h('a', { href: `#/clients/${o.client_id}` }, `${client.given_name} ${client.family_name}`) : String(o.client_id),
    report ? (breaches.length ? `${number(breaches.length)} (${kinds})` : t('orders.no_breaches')) : t('orders.unavailable'),
    report ? t('orders.minutes', { minutes: number(Math.round(minutes)) }) : '',
    totals ? t('orders.curfew_hours', { kept: hours(totals.kept_ms), required: hours(totals.required_ms), unknown: hours(totals.unknown_ms) }) : '',
  ];
}

export async function render(root) {
  const orders = await getAll('/orders');
  const now = Date.now();
  const lang = language();
  const params = orders.map((o) => ({ ...period(o, o.terms.time_zone ?? DEFAULT_ZONE, now), lang }));
  // The table at once, each summary's cells saying they are on their way.
  const pending = orders.map(() => [0, 1, 2, 3].map(() => h('span', { class: 'pending' }, t('common.loading'))));
  const rows = orders.map((o, i) => {
    const zone = o.terms.time_zone ?? DEFAULT_ZONE;
    const link = (format, label) => h('a', { href: `/api/v1/orders/${o.id}/report${query({ ...params[i], format })}`, class: `report-${format}` }, label);
    const [client, breaches, minutes, curfew] = pending[i];
    return {
      attrs: { dataset: { order: o.id } },
      cells: [
        o.case_number,
        client,
        term('order_status', o.status),
        `${dateTime(o.terms.starts, zone)} – ${dateTime(o.terms.ends, zone)}`,
        breaches,
        minutes,
        curfew,
        h('span', { class: 'report-links' }, link('pdf', t('orders.report')), ' · ', link('json', t('orders.report_json'))),
      ],
    };
  });
  root.replaceChildren(
    h('h1', {}, t('orders.title')),
    section(t('orders.summary'), h('p', {}, t('orders.intro')),
      table(t('orders.caption'), [t('order.case_number'), t('client.name'), t('order.status'), t('order.period'), t('orders.breaches'), t('orders.time_in_breach'), t('orders.curfew'), t('orders.report_header')], rows, { class: 'orders' })),
  );
  // Filled in after the page is drawn; leaving the page stops asking.
  let next = 0;
  let left = false;
  const worker = async () => {
    while (!left && next < orders.length) {
      const i = next++;
      const o = orders[i];
      const [client, exchange] = await Promise.all([
        get(`/clients/${o.client_id}`).catch(() => null),
        get(`/orders/${o.id}/report${query({ ...params[i], format: 'json' })}`).catch(() => null),
      ]);
      if (left) return;
      summaryCells(o, client, exchange?.report ?? null, now)
        .forEach((cell, k) => pending[i][k].replaceWith(cell));
    }
  };
  Array.from({ length: AT_ONCE }, worker);
  return () => { left = true; };
}
