// An officer's caseload (a supervisor's: the unit's caseloads) with each probation client's
// state at a glance; and a supervisor's open alerts, oldest first.

import { get, getAll } from '../api.js';
import { t, term } from '../i18n.js';
import { age, dateTime } from '../format.js';
import { badge, h, section, table } from '../ui.js';
import { clientName, directory, severityBadge, stateBadge } from './alerts.js';

/// Why the state is unknown, in words: a missing order or device (`unknown_because.<code>`),
/// or a device fault, named by its episode kind (`kind.<code>`).
function reasonText(code) {
  const setup = term('unknown_because', code);
  return setup === String(code) ? term('kind', code) : setup;
}

/// The state's detail: the breaches open (or why nothing is known), then the device faults and
/// warnings open beside it, each line in words.
function stateDetail(s) {
  if (!s) return '';
  const kinds = (list) => (list ?? []).map((e) => term('kind', e.kind)).join(', ');
  const lines = [];
  if (s.state === 'breach') lines.push(kinds(s.open_breaches));
  if (s.unknown_because) lines.push(reasonText(s.unknown_because));
  const faults = (s.open_device_faults ?? []).filter((e) => e.kind !== s.unknown_because);
  if (faults.length) lines.push(t('caseload.device_faults', { kinds: kinds(faults) }));
  if (s.open_warnings?.length) lines.push(t('caseload.warnings', { kinds: kinds(s.open_warnings) }));
  return h('span', { class: 'state-detail' }, lines.flatMap((l, i) => (i ? [h('br'), l] : [l])));
}

/// The client's alerts nobody has resolved, each a link with its breach and state: a client
/// whose breach has ended still shows the alert that waits for someone.
function openAlerts(s) {
  return h('ul', { class: 'open-alerts' }, (s?.open_alerts ?? []).map((a) => h('li', { dataset: { alert: a.id } },
    h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`), ' ', term('kind', a.kind), ' ', stateBadge(a.state))));
}

/// Each client's row, with the state asked of the API (the judge's open episodes, the
/// devices' last contact, the unresolved alerts).
async function caseloadTable(clients, officers) {
  const states = await Promise.all(clients.map((c) => get(`/clients/${c.id}/state`).catch(() => null)));
  const rows = clients.map((c, i) => {
    const s = states[i];
    const glance = s?.state ?? 'unknown';
    return {
      attrs: { dataset: { client: c.id, state: glance } },
      cells: [
        h('a', { href: `#/clients/${c.id}` }, `${c.given_name} ${c.family_name}`),
        c.personal_code,
        officers ? (officers.get(c.officer_id) ?? c.officer_id) : null,
        badge(`glance-${glance}`, term('glance', glance)),
        stateDetail(s),
        openAlerts(s),
        s?.devices?.map((d) => (d.last_seen ? age(d.last_seen) : t('devices.never'))).join(', ') ?? '',
      ].filter((x) => x !== null),
    };
  });
  const headers = [t('client.name'), t('client.personal_code'), officers && t('client.officer'), t('client.state'), t('client.state_detail'), t('caseload.open_alerts'), t('client.last_contact')].filter(Boolean);
  return table(t('caseload.title'), headers, rows, { class: 'caseload' });
}

export async function render(root, { user }) {
  const clients = await getAll('/clients', user.role === 'officer' ? { officer_id: user.id } : {});
  root.replaceChildren(h('h1', {}, t('caseload.title')), h('p', {}, t('caseload.intro')), await caseloadTable(clients, null));
}

/// A supervisor's unit: every caseload in it, and the open alerts by age.
export async function renderUnit(root) {
  const [clients, users, dir, open] = await Promise.all([
    getAll('/clients'),
    getAll('/users').catch(() => []),
    directory(),
    getAll('/alerts', { state: 'open' }, { cursor: 'before' }),
  ]);
  const officers = new Map(users.map((u) => [u.id, u.display_name]));
  clients.sort((a, b) => String(officers.get(a.officer_id)).localeCompare(String(officers.get(b.officer_id))));
  open.sort((a, b) => new Date(a.raised) - new Date(b.raised));
  const alertRows = open.map((a) => [
    h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`),
    age(a.raised),
    severityBadge(a.severity),
    term('kind', a.kind),
    clientName(dir, a.client_id),
    officers.get(a.officer_id) ?? '',
    dateTime(a.raised, dir.zone.get(a.order_id)),
    stateBadge(a.state),
  ]);
  root.replaceChildren(
    h('h1', {}, t('unit.title')),
    section(t('unit.open_alerts'), table(t('unit.open_alerts_caption'), [t('alerts.id'), t('alerts.age'), t('alerts.severity'), t('alerts.kind'), t('alerts.client'), t('client.officer'), t('alerts.raised'), t('alerts.state')], alertRows, { class: 'by-age' })),
    section(t('unit.caseloads'), await caseloadTable(clients, officers)),
  );
}
