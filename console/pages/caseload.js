// An officer's caseload (a supervisor's: the unit's caseloads) with each probation client's
// state at a glance; and a supervisor's open alerts, oldest first, with how many stood open over
// the last day (a plot).

import { get, getAll, may, pageSize, query } from '../api.js';
import { t, term } from '../i18n.js';
import { age, dateTime, number } from '../format.js';
import { timePlot } from '../plot.js';
import { announce, badge, failure, field, h, section, select, table } from '../ui.js';
import { clientName, severityBadge, stateBadge, zoneOf } from './alerts.js';

/// A caseload's page: 25 probation clients.
const PAGE = 25;

/// Why the state is unknown, in words: a missing order or device (`unknown_because.<code>`),
/// or a device fault, named by its episode kind (`kind.<code>`).
function reasonText(code) {
  const setup = term('unknown_because', code);
  return setup === String(code) ? term('kind', code) : setup;
}

/// The state's detail: the breaches open (or why nothing is known), then the device faults and
/// warnings open beside it, then the conditions the devices cannot evidence, each line in words.
export function stateDetail(s) {
  if (!s) return '';
  const kinds = (list) => (list ?? []).map((e) => term('kind', e.kind)).join(', ');
  const lines = [];
  if (s.state === 'breach') lines.push(kinds(s.open_breaches));
  if (s.unknown_because) lines.push(reasonText(s.unknown_because));
  const faults = (s.open_device_faults ?? []).filter((e) => e.kind !== s.unknown_because);
  if (faults.length) lines.push(t('caseload.device_faults', { kinds: kinds(faults) }));
  if (s.open_warnings?.length) lines.push(t('caseload.warnings', { kinds: kinds(s.open_warnings) }));
  // What the devices fitted cannot tell (a GPS tracker has no strap sensor): unknown, whatever
  // the state says of the rest, never left to look fine.
  lines.push(...(s.not_evidenced ?? []).map(notEvidenced));
  return h('span', { class: 'state-detail' }, lines.flatMap((l, i) => (i ? [h('br'), l] : [l])));
}

/// A condition the devices cannot evidence (`not_evidenced` of a glance or a court summary), in
/// words: "Strap state: unknown — the GPS tracker cannot tell".
export function notEvidenced(n) {
  return t('glance.not_evidenced', { condition: term('watched', n.condition), kinds: n.kinds.map((k) => term('device_kind', k)).join(', ') });
}

/// The client's alerts nobody has resolved, each a link with its breach and state: a client
/// whose breach has ended still shows the alert that waits for someone.
export function openAlerts(s) {
  return h('ul', { class: 'open-alerts' }, (s?.open_alerts ?? []).map((a) => h('li', { dataset: { alert: a.id } },
    h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`), ' ', term('kind', a.kind), ' ', stateBadge(a.state))));
}

/// The rows of a caseload's page, each client with their state at a glance (`GET /caseload`
/// answers both at once).
function caseloadTable(rows, officers) {
  const cells = rows.map(({ client: c, state: s }) => {
    const glance = s?.state ?? 'unknown';
    return {
      attrs: { dataset: { client: c.id, state: glance } },
      cells: [
        h('a', { href: `#/clients/${c.id}` }, `${c.given_name} ${c.family_name}`),
        c.personal_code,
        officers ? (officers.get(c.officer_id) ?? '') : null,
        badge(`glance-${glance}`, term('glance', glance)),
        stateDetail(s),
        openAlerts(s),
        s?.devices?.map((d) => (d.last_seen ? age(d.last_seen) : t('devices.never'))).join(', ') ?? '',
      ].filter((x) => x !== null),
    };
  });
  const headers = [t('client.name'), t('client.personal_code'), officers && t('client.officer'), t('client.state'), t('client.state_detail'), t('caseload.open_alerts'), t('client.last_contact')].filter(Boolean);
  return table(t('caseload.title'), headers, cells, { class: 'caseload' });
}

/// The caseload a page at a time from the server (25 rows, keyset by id), searched by name,
/// personal code or case number, and for those who may list users and units, by officer and
/// unit. `officers`: the officers' names by id (null to leave the column out).
async function caseloadBrowser({ officers, units, fixed = {} }) {
  const size = pageSize(PAGE);
  const search = h('input', { type: 'search', id: 'caseload-q', name: 'q', autocomplete: 'off' });
  const officer = officers ? select('officer_id', [['', t('caseload.every_officer')], ...officers], { id: 'caseload-officer' }) : null;
  const unit = units?.length > 1 ? select('unit_id', [['', t('caseload.every_unit')], ...units.map((u) => [u.id, u.name])], { id: 'caseload-unit' }) : null;
  const body = h('div', { id: 'caseload-page' });
  const where = h('p', { class: 'hint', id: 'caseload-where', 'aria-live': 'polite' });
  const back = h('button', { type: 'button', id: 'caseload-previous' }, t('caseload.previous'));
  const next = h('button', { type: 'button', id: 'caseload-next' }, t('caseload.next'));
  // The cursor of each page shown so far: the last id before it.
  let cursors = [0];
  const show = async () => {
    const params = { ...fixed, q: search.value.trim(), officer_id: officer?.value, unit_id: unit?.value || undefined, after: cursors.at(-1), limit: size + 1 };
    try {
      const rows = await get(`/caseload${query(params)}`);
      const more = rows.length > size;
      const shown = rows.slice(0, size);
      body.replaceChildren(caseloadTable(shown, officers && new Map(officers)));
      back.disabled = cursors.length === 1;
      next.disabled = !more;
      next.dataset.after = shown.at(-1)?.client.id ?? '';
      where.textContent = t('caseload.page', { page: cursors.length, rows: shown.length });
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  const again = () => { cursors = [0]; return show(); };
  back.addEventListener('click', () => { if (cursors.length > 1) cursors.pop(); return show(); });
  next.addEventListener('click', () => { cursors.push(Number(next.dataset.after)); return show(); });
  const form = h('form', { class: 'inline-form caseload-filter', id: 'caseload-filter', role: 'search' },
    field(t('caseload.search'), search),
    officer && field(t('client.officer'), officer),
    unit && field(t('caseload.unit'), unit),
    h('button', { type: 'submit', id: 'caseload-search' }, t('caseload.find')));
  form.addEventListener('submit', (event) => { event.preventDefault(); again(); });
  for (const choice of [officer, unit]) choice?.addEventListener('change', again);
  await show();
  return h('div', { class: 'caseload-browser' }, form, body, h('div', { class: 'pager' }, back, where, next));
}

/// A link to register a probation client, for the roles that may.
async function newClientLink() {
  return (await may('POST', '/clients')) ? h('p', {}, h('a', { href: '#/clients/new', id: 'client-new', class: 'button' }, t('client_form.new_title'))) : null;
}

export async function render(root, { user }) {
  const [listsUsers, units, link] = await Promise.all([may('GET', '/users'), get('/units').catch(() => []), newClientLink()]);
  const officers = listsUsers ? (await getAll('/users')).filter((u) => u.role === 'officer').map((u) => [u.id, u.display_name]) : null;
  const fixed = user.role === 'officer' ? { officer_id: user.id } : {};
  const browser = await caseloadBrowser({ officers, units: user.role === 'admin' ? units : null, fixed });
  root.replaceChildren(h('h1', {}, t('caseload.title')), h('p', {}, t('caseload.intro')), link, browser);
}

/// A supervisor's unit: every caseload in it, and the open alerts by age.
/// How many alerts in the supervisor's care stood unresolved over the last day, every 15
/// minutes, and how many of those were high or critical: whether the load grows or is worked off.
async function alertLoad() {
  const to = Date.now();
  const from = to - 86_400_000;
  const load = await get(`/alerts/open-over-time${query({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), points: 97 })}`);
  const line = (name, cls, pick) => ({ name, cls, points: load.map((o) => [Date.parse(o.at), pick(o)]) });
  return section(t('unit.load'), h('div', { id: 'alert-load' }, timePlot({
    title: t('unit.load_plot'), from, to, yMin: 0, format: (v) => number(v),
    series: [line(t('unit.load_open'), 'series-1', (o) => o.open), line(t('unit.load_urgent'), 'series-3', (o) => o.urgent)],
  })));
}

export async function renderUnit(root) {
  const [users, open, link, load] = await Promise.all([
    getAll('/users').catch(() => []),
    getAll('/alerts', { state: 'open' }, { cursor: 'before' }),
    newClientLink(),
    alertLoad().catch((error) => h('p', { class: 'error' }, failure(error))),
  ]);
  const officers = new Map(users.map((u) => [u.id, u.display_name]));
  open.sort((a, b) => new Date(a.raised) - new Date(b.raised));
  const alertRows = open.map((a) => [
    h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`),
    age(a.raised),
    severityBadge(a.severity),
    term('kind', a.kind),
    clientName(a),
    officers.get(a.officer_id) ?? '',
    dateTime(a.raised, zoneOf(a)),
    stateBadge(a.state),
  ]);
  const caseloads = await caseloadBrowser({ officers: users.filter((u) => u.role === 'officer').map((u) => [u.id, u.display_name]), units: null });
  root.replaceChildren(
    h('h1', {}, t('unit.title')),
    load,
    section(t('unit.open_alerts'), table(t('unit.open_alerts_caption'), [t('alerts.id'), t('alerts.age'), t('alerts.severity'), t('alerts.kind'), t('alerts.client'), t('client.officer'), t('alerts.raised'), t('alerts.state')], alertRows, { class: 'by-age' })),
    section(t('unit.caseloads'), link, caseloads),
  );
}
