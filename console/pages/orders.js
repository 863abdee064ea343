// A court's orders: those it issued, each with its compliance summary over the order so far,
// as the court report states it (GET /orders/{id}/report, JSON: the same figures and digest as
// the PDF); and, per order, the signed summaries given out (GET /orders/{id}/summaries), each
// to download again byte for byte or to check against the records now, and a link that makes
// a new one (the report as PDF, which the service records as it gives it).

import { get, getAll, post, query } from '../api.js';
import { hasWords, language, locale, t, term } from '../i18n.js';
import { dateTime, DEFAULT_ZONE, number, utcToWall, wallFormat } from '../format.js';
import { announce, failure, h, section, table } from '../ui.js';
import { notEvidenced } from './caseload.js';

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

/// How long the page looks for a summary just made to appear in its list (it is recorded as the
/// PDF is given, which takes a moment for a long order).
const MADE_PATIENCE = 30;

/// The cells that show an order's summary, filled in when it arrives.
function summaryCells(o, client, report) {
  // Withdrawn: later data showed no breach.
  const breaches = (report?.breaches ?? []).filter((e) => e.state !== 'withdrawn');
  const kinds = Object.entries(breaches.reduce((m, e) => ({ ...m, [e.kind]: (m[e.kind] ?? 0) + 1 }), {}))
    .map(([k, n]) => `${term('kind', k)}: ${number(n)}`).join('; ');
  // The union of the breaches, as the report counts it: a minute covered by two episodes once.
  const minutes = (report?.breach_time?.total_ms ?? 0) / 60000;
  const totals = report?.totals;
  // What the devices could not evidence beside the breaches: no breach of it is no proof.
  const unknown = (report?.not_evidenced ?? []).map(notEvidenced);
  const found = report ? (breaches.length ? `${number(breaches.length)} (${kinds})` : t('orders.no_breaches')) : t('orders.unavailable');
  return [
    client ? h('a', { href: `#/clients/${o.client_id}` }, `${client.given_name} ${client.family_name}`) : String(o.client_id),
    unknown.length ? h('span', {}, found, ...unknown.flatMap((u) => [h('br'), u])) : found,
    report ? t('orders.minutes', { minutes: number(Math.round(minutes)) }) : '',
    totals ? t('orders.curfew_hours', { kept: hours(totals.kept_ms), required: hours(totals.required_ms), unknown: hours(totals.unknown_ms) }) : '',
  ];
}

/// An instant in the order's zone, with the zone's offset then (a court compares it with times
/// written elsewhere).
function withOffset(ts, zone) {
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23', timeZone: zone, timeZoneName: 'shortOffset',
  }).format(new Date(ts));
}

/// A local day (`YYYY-MM-DD`, as the summary's period names it) as the date fields write it.
const day = (d) => wallFormat(false).format(new Date(`${d}T00:00:00Z`));

/// One difference a check found, in words: the summary's part, which record, what differs.
function difference(d, zone) {
  const part = hasWords(`summaries.section.${d.section}`) ? t(`summaries.section.${d.section}`) : t('summaries.section.other');
  const record = !d.record ? '' : d.section === 'nights' ? dateTime(d.record, zone) : t('summaries.record', { id: d.record });
  return `${part}${record ? ` (${record})` : ''}: ${term('summaries.change', d.change)}`;
}

/// The verdict of a check, in words.
function verdict(v, zone) {
  if (v.passes) return h('p', { class: 'verdict verdict-passes' }, t('summaries.passes'));
  return h('div', { class: 'verdict verdict-differs' },
    h('p', {}, t('summaries.differs', { n: number(v.differences.length) })),
    h('ul', {}, v.differences.map((d) => h('li', {}, difference(d, zone)))));
}

/// One summary given out: when and by whom, what it covers, its digest and key, a check, the file.
function issuedRow(s, zone) {
  const shown = h('div', { class: 'verdict-out', role: 'status' });
  const check = h('button', { type: 'button', class: 'check-summary' }, t('summaries.check'));
  check.addEventListener('click', async () => {
    check.disabled = true;
    shown.replaceChildren(h('span', { class: 'pending' }, t('summaries.checking')));
    try {
      shown.replaceChildren(verdict(await post(`/summaries/${s.id}/check`), zone));
    } catch (error) {
      shown.replaceChildren();
      announce(failure(error), 'error');
    } finally {
      check.disabled = false;
    }
  });
  const copy = h('button', { type: 'button', class: 'copy-digest', title: t('summaries.copy_title') }, t('summaries.copy'));
  copy.addEventListener('click', () => (navigator.clipboard ? navigator.clipboard.writeText(s.digest) : Promise.reject())
    .then(() => announce(t('summaries.copied'), 'ok'), () => announce(t('summaries.copy_failed'), 'error')));
  return {
    attrs: { dataset: { summary: s.id } },
    cells: [
      withOffset(s.issued_at, zone),
      s.issued_by_name ?? t('summaries.by_service'),
      `${day(s.from)} – ${day(s.to)}`,
      term('language', s.lang),
      h('span', { class: 'digest-cell' }, h('code', { class: 'digest', title: s.digest }, `${s.digest.slice(0, 12)}…`), ' ', copy),
      h('span', { class: `key key-${s.signature}` }, term('summaries.key', s.signature)),
      h('span', {}, check, shown),
      h('a', { href: `/api/v1/summaries/${s.id}/pdf`, class: 'summary-pdf', download: '' }, t('summaries.download')),
    ],
  };
}

/// An order's signed summaries (drawn when asked: `draw`), and the link that makes one.
function issuedSection(o, params, zone) {
  const list = h('div', { class: 'issued-list' }, h('span', { class: 'pending' }, t('common.loading')));
  let count = 0;
  const draw = async () => {
    const issued = await get(`/orders/${o.id}/summaries`).catch(() => null);
    if (!issued) {
      list.replaceChildren(t('summaries.unavailable'));
      return;
    }
    count = issued.length;
    list.replaceChildren(table(t('summaries.caption', { case: o.case_number }),
      [t('summaries.made'), t('summaries.made_by'), t('summaries.period'), t('summaries.language'), t('summaries.digest'),
        t('summaries.signature'), t('summaries.verification'), t('summaries.file')],
      issued.map((s) => issuedRow(s, zone)), { class: 'issued' }));
  };
  const href = `/api/v1/orders/${o.id}/report${query({ ...params, format: 'pdf' })}`;
  const make = h('a', { href, class: 'report-pdf make-summary', download: '' }, t('summaries.make'));
  // The file downloads; the list shows it once the service has recorded it.
  make.addEventListener('click', async () => {
    const before = count;
    for (let i = 0; i < MADE_PATIENCE && count === before && list.isConnected; i += 1) {
      await new Promise((done) => setTimeout(done, 1000));
      await draw();
    }
  });
  const el = section(t('summaries.title', { case: o.case_number }), h('p', {}, t('summaries.intro')), list);
  el.id = `issued-${o.id}`;
  el.dataset.order = o.id;
  return { el, draw, make };
}

export async function render(root) {
  const orders = await getAll('/orders');
  const now = Date.now();
  const lang = language();
  const params = orders.map((o) => ({ ...period(o, o.terms.time_zone ?? DEFAULT_ZONE, now), lang }));
  // The table at once, each summary's cells saying they are on their way.
  const pending = orders.map(() => [0, 1, 2, 3].map(() => h('span', { class: 'pending' }, t('common.loading'))));
  const issued = orders.map((o, i) => issuedSection(o, params[i], o.terms.time_zone ?? DEFAULT_ZONE));
  const rows = orders.map((o, i) => {
    const zone = o.terms.time_zone ?? DEFAULT_ZONE;
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
        h('span', { class: 'report-links' }, issued[i].make, ' · ',
          h('a', { href: `/api/v1/orders/${o.id}/report${query({ ...params[i], format: 'json' })}`, class: 'report-json' }, t('orders.report_json'))),
      ],
    };
  });
  root.replaceChildren(
    h('h1', {}, t('orders.title')),
    section(t('orders.summary'), h('p', {}, t('orders.intro')),
      table(t('orders.caption'), [t('order.case_number'), t('client.name'), t('order.status'), t('order.period'), t('orders.breaches'), t('orders.time_in_breach'), t('orders.curfew'), t('orders.report_header')], rows, { class: 'orders' })),
    ...issued.map((s) => s.el),
  );
  issued.forEach((s) => s.draw());
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
      summaryCells(o, client, exchange?.report ?? null)
        .forEach((cell, k) => pending[i][k].replaceWith(cell));
    }
  };
  Array.from({ length: AT_ONCE }, worker);
  return () => { left = true; };
}
