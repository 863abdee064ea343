// The parts of a probation client's page that come first, and the timeline: what matters now
// (the state and why, the alerts nobody has resolved, tonight's curfew, the devices' last
// contact), the curfew nights as a band (from the court summary's figures), and the observations
// grouped by the episode they fall in, a run of alike reports folded into one row, a page at a
// time.

import { get, query } from '../api.js';
import { locale, t, term, via } from '../i18n.js';
import { age, date, dateTime, number } from '../format.js';
import { failure, h, section, table } from '../ui.js';
import { bandPlot } from '../plot.js';
import { openAlerts, stateDetail } from './caseload.js';
import { severityBadge } from './alerts.js';

const DAY_MS = 86400e3;
/// Rows of the timeline a page shows.
const TIMELINE_PAGE = 25;

/// The weekday of `ms` in `zone`, as the timetable names it (`mon` … `sun`).
function weekday(ms, zone) {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: zone }).format(new Date(ms)).toLowerCase().slice(0, 3);
}

/// Tonight's curfew slots from the weekly timetable, each as words: today's, or tomorrow's
/// when today has none.
export function tonightsCurfew(timetable, zone, now = Date.now()) {
  const slots = timetable?.slots ?? [];
  for (const [offset, label] of [[0, 'glance.tonight'], [DAY_MS, 'glance.tomorrow']]) {
    const day = weekday(now + offset, zone);
    const today = slots.filter((s) => s.day === day);
    if (today.length) {
      return { label: t(label), slots: today.map((s) => t(s.overnight ? 'glance.slot_overnight' : 'glance.slot', { start: s.start, end: s.end, street: s.street ?? '' })) };
    }
  }
  return null;
}

/// What matters now, first on the page.
export function glanceSection(glance, timetable, zone) {
  const curfew = tonightsCurfew(timetable, zone);
  const devices = glance?.devices ?? [];
  return section(t('glance.title'), h('dl', { class: 'glance-facts' },
    h('dt', {}, t('client.state')), h('dd', { id: 'glance-state' }, glance ? stateDetail(glance) || term('glance', glance.state) : t('client.not_known')),
    h('dt', {}, t('caseload.open_alerts')), h('dd', { id: 'glance-alerts' }, glance?.open_alerts?.length ? openAlerts(glance) : t('glance.no_open_alerts')),
    h('dt', {}, curfew ? curfew.label : t('glance.tonight')), h('dd', { id: 'glance-curfew' }, curfew ? curfew.slots.map((s) => h('div', {}, s)) : t('glance.no_curfew')),
    h('dt', {}, t('client.last_contact')), h('dd', {}, devices.length
      ? devices.map((d) => h('div', {}, `${d.device_id}${d.kind ? ` (${term('device_kind', d.kind)})` : ''}: ${d.last_seen ? `${dateTime(d.last_seen, zone)} (${age(d.last_seen)})` : t('devices.never')}`))
      : t('glance.no_device'))));
}

/// The last `days` curfew days of the order as a band each (kept, away within grace, breach,
/// no data, excused), from the court summary's figures (GET /orders/{id}/report): the same
/// hours a court reads. Drawn when the summary arrives (it is built from the stored evidence),
/// so the rest of the page does not wait for it; gone if there is nothing to show, and why not
/// if it cannot be had.
export function nightsSection(order, zone, days = 14) {
  const holder = h('div', { id: 'nights' }, h('p', { class: 'loading' }, t('common.loading')));
  const part = section(t('nights.title'), h('p', {}, t('nights.intro')), holder);
  nights(order, zone, days)
    .then((drawn) => (drawn ? holder.replaceChildren(...drawn) : part.remove()))
    .catch((error) => holder.replaceChildren(h('p', { class: 'error' }, failure(error))));
  return part;
}

/// The band chart and its table, or none if the period has no curfew hours. The days end with
/// yesterday: the court summary counts a day's curfew hours whole, and today's, not reached yet,
/// would show as hours without data (tonight's curfew is shown above instead).
async function nights(order, zone, days) {
  const local = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(ms));
  const to = local(Date.now() - DAY_MS);
  const from = local(Math.max(Date.now() - days * DAY_MS, Date.parse(order.terms.starts)));
  if (from > to) return null;
  const { report } = await get(`/orders/${order.id}/report${query({ from, to, format: 'json' })}`);
  const rows = (report.nights ?? []).filter((d) => d.required_ms > 0 || d.excused_ms > 0);
  if (!rows.length) return null;
  const longest = Math.max(...rows.map((d) => d.required_ms + d.excused_ms));
  const kinds = { kept: t('nights.kept'), grace: t('nights.grace'), breach: t('nights.breach'), unknown: t('nights.unknown'), excused: t('nights.excused') };
  // A band's label: the weekday and the date, short enough for the plot's margin (the table
  // below has the full date).
  const day = (d) => new Intl.DateTimeFormat(locale(), { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${d}T12:00:00Z`));
  const band = rows.map((d) => {
    let at = 0;
    const segments = [];
    for (const kind of Object.keys(kinds)) {
      const ms = d[`${kind}_ms`] ?? 0;
      if (ms > 0) segments.push({ kind, from: at, to: at + ms });
      at += ms;
    }
    return { label: day(d.date), from: 0, to: longest, segments };
  });
  const hours = (ms) => number(ms / 3600e3, { maximumFractionDigits: 1 });
  return [bandPlot({ title: t('nights.plot', { days: number(days) }), rows: band, kinds }),
    h('details', {}, h('summary', {}, t('nights.as_table')), table(t('nights.title'),
      [t('nights.date'), t('nights.required'), ...Object.values(kinds)],
      rows.map((d) => [date(`${d.date}T12:00:00Z`, 'UTC'), hours(d.required_ms), ...Object.keys(kinds).map((k) => hours(d[`${k}_ms`] ?? 0))])))];
}

/// One observation in words.
function describe(o) {
  const f = o.fields ?? {};
  if (o.type === 'location' && typeof f.lat === 'number') return `${number(f.lat, { maximumFractionDigits: 5 })}, ${number(f.lon, { maximumFractionDigits: 5 })} ±${number(f.accuracy_m ?? 0)} m`;
  if (o.type === 'heartbeat') return t('timeline.heartbeat', { battery: number(f.battery_percent ?? 0), rssi: number(f.rssi_dbm ?? 0) });
  if (o.type === 'event') return term('event', f.code ?? f.event ?? '');
  return '';
}

/// Newest first, a run of reports alike (same type, same words: a tag at home every minute)
/// folded into one row with how many and from when to when.
export function foldRuns(observations) {
  const rows = [];
  for (const o of observations.slice().reverse()) {
    const words = describe(o);
    const last = rows.at(-1);
    if (last && last.type === o.type && last.words === words && last.via === o.via) {
      last.count += 1;
      last.first = o.device_time;
    } else {
      rows.push({ type: o.type, words, via: o.via ?? '', count: 1, first: o.device_time, last: o.device_time });
    }
  }
  return rows;
}

/// The observations grouped under the episode each falls in (newest first; the open breach
/// first of all), those outside any episode on their own; a page of rows at a time.
export function timelineSection(observations, episodes, zone) {
  const span = (e) => [Date.parse(e.start), e.end ? Date.parse(e.end) : Infinity];
  const ordered = episodes.slice().sort((a, b) => (a.end ? 1 : 0) - (b.end ? 1 : 0) || Date.parse(b.start) - Date.parse(a.start));
  const groups = ordered.map((e) => ({ episode: e, items: [] }));
  const outside = { episode: null, items: [] };
  for (const o of observations) {
    const at = Date.parse(o.device_time);
    const g = groups.find(({ episode }) => { const [s, e] = span(episode); return at >= s && at <= e; });
    (g ?? outside).items.push(o);
  }
  const rows = [];
  for (const g of [...groups.filter((x) => x.items.length), outside]) {
    if (!g.items.length) continue;
    const e = g.episode;
    rows.push({ head: e
      ? h('span', {}, severityBadge(e.severity), ' ', term('kind', e.kind), ' · ', dateTime(e.start, zone), ' – ', e.end ? dateTime(e.end, zone) : t('alerts.ongoing'), ' · ', term('episode_state', e.state))
      : t('timeline.outside'), episode: e?.id });
    for (const r of foldRuns(g.items)) {
      rows.push({ count: r.count, cells: [
        r.count > 1 ? `${dateTime(r.first, zone)} – ${dateTime(r.last, zone)}` : dateTime(r.last, zone),
        r.count > 1 ? t('timeline.times', { type: term('frame', r.type), n: number(r.count) }) : term('frame', r.type),
        r.words, via(r.via)] });
    }
  }
  const headers = [t('timeline.time'), t('timeline.type'), t('timeline.detail'), t('timeline.via')];
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'timeline-more' }, t('common.more'));
  let shown = 0;
  const next = () => {
    const page = rows.slice(shown, shown + TIMELINE_PAGE);
    shown += page.length;
    body.append(...page.map((r) => (r.head
      ? h('tr', { class: 'episode-head', dataset: r.episode ? { episode: r.episode } : {} }, h('th', { colspan: headers.length, scope: 'rowgroup' }, r.head))
      : h('tr', { dataset: { count: r.count } }, r.cells.map((c) => h('td', {}, c))))));
    if (!rows.length) body.append(h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('common.none'))));
    more.hidden = shown >= rows.length;
  };
  more.addEventListener('click', next);
  next();
  return section(t('client.timeline'), h('p', {}, t('timeline.intro')),
    h('table', { class: 'timeline' }, h('caption', {}, t('client.timeline_caption')),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))), body), more);
}
