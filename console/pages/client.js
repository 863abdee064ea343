// One probation client, what matters now first: the state and why, the open alerts, tonight's
// curfew (client-glance.js), the map, the curfew nights as bands, the alerts and breach
// episodes, the timeline grouped by episode; then who they are, their order and its history,
// the devices fitted, authorised absences and notes. An officer records an absence or writes a
// note here.

import { enumerations, get, getAll, may, observationsBetween, post, query } from '../api.js';
import { t, term } from '../i18n.js';
import { date, dateTime, DEFAULT_ZONE, utcToWall, wallToUtc } from '../format.js';
import { announce, attempt, badge, field, h, keepingFocus, section, select, table } from '../ui.js';
import { dateInput, dateProblem } from '../date-field.js';
import { replaySection } from '../replay.js';
import { severityBadge, stateBadge } from './alerts.js';
import { glanceSection, nightsSection, timelineSection } from './client-glance.js';
import { distances } from './victims.js';

const DAY_MS = 86400e3;

/// What the signed-in user's role may not see: said so, never shown as none.
const HIDDEN = Symbol('not shown to this role');

/// `load()` if the user's role may read `path` (GET), else HIDDEN without asking; `fallback`
/// if the answer is an error (a row outside their care).
async function readable(path, load, fallback) {
  if (!(await may('GET', path))) return HIDDEN;
  return load().catch(() => fallback);
}

export async function render(root, { user, config, args }) {
  const id = Number(args[0]);
  const [client, orders, glance, enums, recordsAbsences, writesNotes, edits] = await Promise.all([
    get(`/clients/${id}`),
    getAll('/orders', { client_id: id }),
    readable('/clients/{id}/state', () => get(`/clients/${id}/state`), null),
    enumerations(),
    may('POST', '/absences'),
    may('POST', '/notes'),
    editLinks(id),
  ]);
  const order = orders.find((o) => o.status === 'active') ?? orders[0];
  const zone = order?.terms?.time_zone ?? DEFAULT_ZONE;
  const now = Date.now();
  const [fittings, timetable, episodes, alerts, notes, absences, revisions] = await Promise.all([
    order ? readable('/orders/{id}/devices', () => get(`/orders/${order.id}/devices`), []) : [],
    order ? get(`/orders/${order.id}/timetable`).catch(() => null) : null,
    get(`/clients/${id}/episodes${query({ from: new Date(now - 30 * DAY_MS).toISOString(), to: new Date(now + 60e3).toISOString() })}`),
    readable('/alerts', () => getAll('/alerts', { client_id: id }, { cursor: 'before' }), []),
    readable('/notes', () => get(`/notes?client_id=${id}`), []),
    order ? readable('/absences', () => get(`/absences?order_id=${order.id}`), []) : [],
    order ? get(`/orders/${order.id}/revisions`).catch(() => []) : [],
  ]);
  const fitted = fittings === HIDDEN ? [] : fittings.filter((f) => !f.removed);
  const tag = fitted[0]?.device_id;
  const observations = fittings === HIDDEN
    ? HIDDEN
    : tag !== undefined
      ? await readable('/devices/{id}/observations', () => observationsBetween(tag, new Date(now - DAY_MS).toISOString(), new Date(now + 60e3).toISOString()), [])
      : [];
  const notShown = (title) => section(title, h('p', { class: 'not-shown' }, t('client.not_shown', { role: term('role', user.role) })));
  const glanceState = glance?.state ?? 'unknown';
  // What matters now first: the state and why, the open alerts, tonight's curfew; then the map
  // and the nights; the record, the order and its history after.
  const parts = [
    h('h1', {}, `${client.given_name} ${client.family_name} `, glance === HIDDEN ? null : badge(`glance-${glanceState}`, term('glance', glanceState))),
    edits.record,
    glance === HIDDEN ? null : glanceSection(glance, timetable, zone),
  ];
  if (order) {
    const zones = await get(`/orders/${order.id}/zones`).catch(() => null);
    parts.push(replaySection({ clientId: id, tag, zones, tiles: config.map_tiles, zone, observations: observations === HIDDEN ? [] : observations, episodes }));
  }
  if (order) parts.push(nightsSection(order, zone));
  parts.push(alerts === HIDDEN ? notShown(t('client.alerts')) : section(t('client.alerts'), table(t('client.alerts'), [t('alerts.id'), t('alerts.kind'), t('alerts.raised'), t('alerts.state')],
    alerts.map((a) => [h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`), term('kind', a.kind), dateTime(a.raised, zone), stateBadge(a.state)]))));
  parts.push(section(t('client.episodes'), table(t('client.episodes_caption'), [t('episode.kind'), t('alerts.severity'), t('episode.start'), t('episode.end'), t('episode.state')],
    episodes.slice().reverse().map((e) => [term('kind', e.kind), severityBadge(e.severity), dateTime(e.start, zone), e.end ? dateTime(e.end, zone) : t('alerts.ongoing'), term('episode_state', e.state)]))));
  parts.push(observations === HIDDEN ? notShown(t('client.timeline')) : timelineSection(observations, episodes, zone));
  parts.push(section(t('client.record'), h('dl', { class: 'facts' },
    h('dt', {}, t('client.personal_code')), h('dd', {}, client.personal_code),
    h('dt', {}, t('client.birth_date')), h('dd', {}, date(`${client.birth_date}T12:00:00Z`)),
    h('dt', {}, t('client.phone')), h('dd', {}, client.phone ?? '—'),
    h('dt', {}, t('client.language')), h('dd', {}, term('client_language', client.language)),
    h('dt', {}, t('client.addresses')), h('dd', {}, client.addresses.map((a) => h('div', {}, a.street))),
    client.risk_notes && h('dt', {}, t('client.risk_notes')), client.risk_notes && h('dd', {}, client.risk_notes))));
  if (order) parts.push(orderSection(order, timetable, zone, edits.vary(order)), revisionSection(order, revisions, client.addresses, zone));
  parts.push(fittings === HIDDEN ? notShown(t('client.devices')) : section(t('client.devices'), table(t('client.devices'), [t('devices.id'), t('devices.fitted'), t('devices.removed')],
    fittings.map((f) => [String(f.device_id), dateTime(f.installed, zone), f.removed ? dateTime(f.removed, zone) : '—']))));
  const reload = () => render(root, { user, config, args });
  if (order) parts.push(absences === HIDDEN ? notShown(t('absence.title')) : absenceSection(order, absences, enums.reason, zone, recordsAbsences, reload));
  parts.push(notes === HIDDEN ? notShown(t('notes.title')) : notesSection(id, notes, zone, writesNotes, reload));
  // Drawn again after a change: the focus stays on the form's field or button.
  keepingFocus(root, () => root.replaceChildren(...parts.filter(Boolean)));
}

/// Links to the forms the user's role may use (`GET /session/routes`): changing the record,
/// recording an order, varying one.
async function editLinks(id) {
  const [record, order, vary] = await Promise.all([may('PATCH', '/clients/{id}'), may('POST', '/orders'), may('POST', '/orders/{id}/revisions')]);
  const link = (href, linkId, text) => h('a', { href, id: linkId, class: 'button' }, text);
  return {
    record: (record || order) && h('p', { class: 'actions' },
      record && link(`#/clients/${id}/edit`, 'client-edit', t('client_form.edit')), ' ',
      order && link(`#/clients/${id}/order`, 'order-new', t('order_form.new_title'))),
    vary: (o) => vary && !['revoked', 'ended'].includes(o.status) && h('p', { class: 'actions' }, link(`#/clients/${id}/order/${o.id}`, 'order-vary', t('order_form.vary'))),
  };
}

function orderSection(order, timetable, zone, vary) {
  const terms = order.terms;
  return section(t('order.title'), vary,
    h('dl', { class: 'facts' },
      h('dt', {}, t('order.court')), h('dd', {}, order.court),
      h('dt', {}, t('order.case_number')), h('dd', {}, order.case_number),
      h('dt', {}, t('order.status')), h('dd', {}, term('order_status', order.status)),
      h('dt', {}, t('order.legal_basis')), h('dd', {}, term('legal_basis', terms.legal_basis)),
      h('dt', {}, t('order.period')), h('dd', {}, `${dateTime(terms.starts, zone)} – ${dateTime(terms.ends, zone)}`),
      h('dt', {}, t('order.time_zone')), h('dd', {}, zone),
      h('dt', {}, t('order.zones')), h('dd', {}, terms.zones.length ? terms.zones.map((z) => h('div', {}, `${term('zone', z.kind)}: ${z.id}`)) : '—'),
      h('dt', {}, t('order_form.proximity')), h('dd', { id: 'order-proximity' }, terms.proximity?.length ? terms.proximity.map((p) => h('div', {}, `${p.id}: ${distances(p)}`)) : '—'),
      h('dt', {}, t('order.obligations')), h('dd', {}, terms.obligations.length ? terms.obligations.map((o) => h('div', {}, term('obligation', o.kind))) : '—')),
    timetable && timetable.slots.length
      ? table(t('order.curfew'), [t('order.day'), t('order.from'), t('order.until'), t('order.address')],
        timetable.slots.map((s) => [term('day', s.day), s.start, s.overnight ? `${s.end} (${t('order.next_day')})` : s.end, s.street ?? s.address]))
      : null);
}

/// The order's revisions, each with when it was recorded, when it takes effect and what it
/// changed, in words; a variation still to take effect said first.
function revisionSection(order, revisions, addresses, zone) {
  const street = (id) => addresses.find((a) => a.id === id)?.street ?? id;
  const scheduled = order.scheduled && h('p', { class: 'scheduled', id: 'order-scheduled' },
    t('order.scheduled', { revision: order.scheduled.revision, at: dateTime(order.scheduled.takes_effect, zone), in_force: order.revision }));
  const rows = revisions.slice().reverse().map((r) => [
    String(r.revision),
    dateTime(new Date(r.created_ms).toISOString(), zone),
    dateTime(new Date(Math.max(r.takes_effect_ms, r.created_ms)).toISOString(), zone),
    // The first revision's reason is the API's own words for an order made.
    r.revision === 1 ? t('order.made') : r.reason,
    r.changes.length ? h('ul', { class: 'changes' }, r.changes.map((c) => h('li', {}, changeText(c, street, zone)))) : t('order.first_revision'),
  ]);
  return section(t('order.revisions'), scheduled,
    table(t('order.revisions'), [t('order.revision'), t('order.recorded'), t('order.takes_effect'), t('order.reason'), t('order.changes')], rows, { class: 'revisions' }));
}

/// One change a variation made, as a sentence.
function changeText(c, street, zone) {
  const slot = c.slot ? { day: term('day', c.slot.day), start: c.slot.start, end: c.slot.end } : {};
  return t(`terms_change.${c.change}`, {
    ...slot,
    address: c.address && street(c.address),
    id: c.id,
    kind: c.kind ? term('zone', c.kind) : '',
    starts: c.starts ? dateTime(c.starts, zone) : '',
    ends: c.ends ? dateTime(c.ends, zone) : '',
    date: c.decision_date ? date(`${c.decision_date}T12:00:00Z`) : '',
    basis: c.legal_basis ? term('legal_basis', c.legal_basis) : '',
    zone: c.time_zone,
    description: c.obligation?.description,
  });
}

function absenceSection(order, absences, reasons, zone, canEdit, reload) {
  // An absence not over and not called off may be called off; it stays on record, marked.
  const cancel = (a) => h('button', { type: 'button', class: 'absence-cancel', 'data-absence': a.id,
    onclick: () => attempt(() => post(`/absences/${a.id}/cancellation`), t('absence.cancelled_done'), reload) }, t('absence.cancel'));
  const rows = absences.map((a) => [
    dateTime(a.from, zone), dateTime(a.until, zone), term('reason', a.reason), a.details,
    a.cancelled_ms ? t('absence.cancelled') : t('absence.in_force'),
    canEdit && !a.cancelled_ms && Date.parse(a.until) > Date.now() ? cancel(a) : '',
  ]);
  const parts = [table(t('absence.caption'), [t('absence.from'), t('absence.until'), t('absence.reason'), t('absence.details'), t('absence.status'), t('absence.action')], rows, { class: 'absences' })];
  if (canEdit) {
    const start = new Date(Date.now() + 3600e3);
    const from = dateInput({ id: 'absence-from', required: true, value: utcToWall(start.toISOString(), zone) });
    const until = dateInput({ id: 'absence-until', required: true, value: utcToWall(new Date(start.getTime() + 3 * 3600e3).toISOString(), zone) });
    const reason = select('reason', reasons.map((r) => [r, term('reason', r)]), { id: 'absence-reason' });
    const details = h('input', { name: 'details', id: 'absence-details' });
    const form = h('form', { id: 'absence-form', class: 'inline-form' },
      h('h3', {}, t('absence.record')),
      h('p', { class: 'hint' }, t('absence.zone_hint', { zone })),
      field(t('absence.from'), from), field(t('absence.until'), until), field(t('absence.reason'), reason), field(t('absence.details'), details),
      h('button', { type: 'submit', class: 'primary', id: 'absence-submit' }, t('absence.submit')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const unread = dateProblem(form);
      if (unread) return announce(unread, 'error');
      const absence = { order_id: order.id, from: wallToUtc(from.value, zone), until: wallToUtc(until.value, zone), reason: reason.value, details: details.value };
      return attempt(() => post('/absences', absence), t('absence.recorded'), reload);
    });
    parts.push(form);
  }
  return section(t('absence.title'), ...parts);
}

function notesSection(clientId, notes, zone, canWrite, reload) {
  const parts = [h('ul', { class: 'notes' }, notes.length
    ? notes.map((n) => h('li', {}, h('time', {}, dateTime(n.created_ms, zone)), ' · ', h('span', { class: 'author' }, n.author_name), h('p', {}, n.text)))
    : h('li', { class: 'empty' }, t('common.none')))];
  if (canWrite) {
    const text = h('textarea', { name: 'text', id: 'note-text', rows: 2 });
    const form = h('form', { class: 'inline-form', id: 'note-form' }, field(t('notes.new'), text), h('button', { type: 'submit', id: 'note-submit' }, t('notes.add')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      return attempt(() => post('/notes', { client_id: clientId, text: text.value }), t('notes.added'), reload);
    });
    parts.push(form);
  }
  return section(t('notes.title'), ...parts);
}
