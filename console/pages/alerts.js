// The alert queue (operators: every client's; officers and supervisors: those in their care),
// kept current by the live feed without a reload, with an optional beep for new alerts; and
// one alert with its map, history and the people's actions: acknowledge, escalate with a
// reason, resolve with a code and a note, add a note, ask the tag for a fix now.

import { enumerations, get, getAll, may, observationsBetween, pages, post } from '../api.js';
import { t, term } from '../i18n.js';
import { age, dateTime, DEFAULT_ZONE } from '../format.js';
import { announce, attempt, badge, failure, field, h, keepingFocus, section, select, table } from '../ui.js';
import { drawMap, fixesOf } from '../map.js';

const SOUND_KEY = 'sargs.sound';
/// The duty lead's level: escalation stops there (alerts::lifecycle::TOP_LEVEL).
const TOP_LEVEL = 2;

/// Names of the clients and time zones of the orders in the caller's care, for the queue.
export async function directory() {
  const [clients, orders] = await Promise.all([
    getAll('/clients').catch(() => []),
    getAll('/orders').catch(() => []),
  ]);
  return {
    client: new Map(clients.map((c) => [c.id, c])),
    zone: new Map(orders.map((o) => [o.id, o.terms?.time_zone ?? DEFAULT_ZONE])),
  };
}

export const clientName = (dir, id) => {
  const c = dir.client.get(id);
  return c ? `${c.given_name} ${c.family_name}` : t('client.number', { id });
};

/// A short beep made with WebAudio: no sound file to ship.
let audio = null;
function beep() {
  if (!audio) return;
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
  osc.connect(gain).connect(audio.destination);
  osc.start();
  osc.stop(audio.currentTime + 0.4);
}

function soundToggle() {
  const box = h('input', { type: 'checkbox', id: 'sound', checked: localStorage.getItem(SOUND_KEY) === 'on' });
  // Browsers let a page make sound only after a gesture: the click that turns it on.
  const ready = () => {
    if (box.checked && !audio) audio = new AudioContext();
  };
  box.addEventListener('change', () => {
    localStorage.setItem(SOUND_KEY, box.checked ? 'on' : 'off');
    ready();
    if (!box.checked) audio = null;
  });
  return h('label', { class: 'toggle' }, box, ` ${t('alerts.sound')}`);
}

export function severityBadge(severity) {
  return badge(`sev-${severity}`, term('severity', severity));
}

export function stateBadge(state) {
  return badge(`state-${state}`, term('alert_state', state));
}

export async function render(root, { user, config, args }) {
  const [dir, enums] = await Promise.all([directory(), enumerations()]);
  const alerts = new Map();
  let filter = 'unresolved';
  let selected = args[0] ? Number(args[0]) : null;
  const live = h('span', { class: 'live', id: 'live', 'aria-live': 'polite' }, t('alerts.connecting'));
  const filterSelect = select('filter', [['unresolved', t('alerts.filter.unresolved')], ...enums.alert_state.map((s) => [s, term('alert_state', s)]), ['all', t('alerts.filter.all')]], { id: 'alert-filter' });
  // Focusable only by script: where the focus goes when the row that had it is filtered out.
  const queue = h('div', { id: 'queue', tabindex: '-1' });
  // The queue a page at a time, newest first: older alerts on asking, never cut off unsaid.
  const older = pages('/alerts', {}, { cursor: 'before' });
  const more = h('button', { type: 'button', id: 'more-alerts', onclick: async () => {
    for (const a of await older.next()) alerts.set(a.id, a);
    drawQueue();
    if (older.done) queue.focus({ preventScroll: true });
  } }, t('common.more'));
  const detail = h('div', { id: 'alert-detail', class: 'detail', tabindex: '-1' });

  const shown = (a) => filter === 'all' || (filter === 'unresolved' ? a.state !== 'resolved' : a.state === filter);
  const drawQueue = () => {
    const rows = [...alerts.values()].filter(shown).sort((a, b) => b.id - a.id).map((a) => ({
      attrs: { class: a.id === selected ? 'selected' : undefined, dataset: { alert: a.id } },
      cells: [
        h('button', { type: 'button', class: 'link', id: `open-alert-${a.id}`, onclick: () => choose(a.id), 'aria-label': t('alerts.open_alert', { id: a.id }) }, `#${a.id}`),
        severityBadge(a.severity),
        term('kind', a.kind),
        clientName(dir, a.client_id),
        dateTime(a.raised, dir.zone.get(a.order_id)),
        age(a.raised),
        stateBadge(a.state),
        a.level ? t('alerts.level', { level: a.level }) : '',
      ],
    }));
    keepingFocus(queue, () => queue.replaceChildren(
      table(t('alerts.queue'), [t('alerts.id'), t('alerts.severity'), t('alerts.kind'), t('alerts.client'), t('alerts.raised'), t('alerts.age'), t('alerts.state'), t('alerts.level_header')], rows, { class: 'queue' }),
      ...(older.done ? [] : [more]),
    ));
  };
  const choose = async (id) => {
    selected = id;
    history.replaceState(null, '', `#/alerts/${id}`);
    drawQueue();
    await drawDetail(detail, id, { dir, user, config, refresh: (a) => { alerts.set(a.id, a); drawQueue(); } });
    detail.focus({ preventScroll: true });
  };

  filterSelect.value = filter;
  filterSelect.addEventListener('change', () => { filter = filterSelect.value; drawQueue(); });
  for (const a of await older.next()) alerts.set(a.id, a);
  drawQueue();
  root.replaceChildren(
    h('h1', {}, t('alerts.title')),
    h('div', { class: 'toolbar' }, field(t('alerts.show'), filterSelect), soundToggle(), live),
    h('div', { class: 'split' }, queue, detail),
  );
  if (selected) await choose(selected);

  // The feed resumes after the last event id by itself (EventSource sends Last-Event-ID).
  const feed = new EventSource('/api/v1/alerts/feed');
  feed.addEventListener('open', () => { live.textContent = t('alerts.live'); live.className = 'live on'; });
  // The server ends the feed when the session ends, and refuses it again: whether that is why,
  // a look at the session tells (a 401 there shows the sign-in form).
  feed.addEventListener('error', () => {
    live.textContent = t('alerts.reconnecting');
    live.className = 'live off';
    get('/session').catch(() => {});
  });
  for (const action of enums.action) {
    feed.addEventListener(action, async (message) => {
      const data = JSON.parse(message.data);
      const alert = data.alert;
      const fresh = !alerts.has(alert.id);
      alerts.set(alert.id, alert);
      drawQueue();
      if (action === 'raised' && fresh) {
        announce(t('alerts.new', { kind: term('kind', alert.kind), client: clientName(dir, alert.client_id) }), 'warn');
        if (localStorage.getItem(SOUND_KEY) === 'on') beep();
      }
      // The user's own actions redraw the alert when they succeed.
      if (alert.id === selected && data.event?.actor_id !== user.id) {
        await drawDetail(detail, alert.id, { dir, user, config, refresh: (a) => { alerts.set(a.id, a); drawQueue(); } });
      }
    });
  }
  return () => feed.close();
}

async function drawDetail(root, id, { dir, user, config, refresh }) {
  const [one, enums, acts] = await Promise.all([get(`/alerts/${id}`), enumerations(), may('POST', '/alerts/{id}/acknowledgement')]);
  const a = one.alert;
  const zone = dir.zone.get(a.order_id) ?? DEFAULT_ZONE;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('alerts.client')), h('dd', {}, h('a', { href: `#/clients/${a.client_id}` }, clientName(dir, a.client_id))),
    h('dt', {}, t('alerts.kind')), h('dd', {}, term('kind', a.kind)),
    h('dt', {}, t('alerts.severity')), h('dd', {}, severityBadge(a.severity)),
    h('dt', {}, t('alerts.state')), h('dd', { id: 'alert-state' }, stateBadge(a.state)),
    h('dt', {}, t('alerts.breach')), h('dd', {}, `${dateTime(a.start, zone)} – ${a.end ? dateTime(a.end, zone) : t('alerts.ongoing')}`),
    h('dt', {}, t('alerts.raised')), h('dd', {}, dateTime(a.raised, zone)),
    h('dt', {}, t('alerts.level_header')), h('dd', {}, t('alerts.level', { level: a.level })),
    a.resolution && h('dt', {}, t('alerts.resolution')), a.resolution && h('dd', {}, term('resolution', a.resolution)),
  );
  const parts = [h('h2', {}, t('alerts.alert', { id: a.id })), facts];
  if (acts && a.state !== 'resolved') parts.push(actions(a, id, enums.resolution, refresh, () => drawDetail(root, id, { dir, user, config, refresh })));
  parts.push(await mapOf(a, one.episodes, config, zone));
  parts.push(section(t('alerts.history'), h('ol', { class: 'history' }, one.events.map((e) => h('li', {},
    h('time', { datetime: e.at }, dateTime(e.at, zone)), ' ', h('strong', {}, term('action', e.action)),
    e.actor ? ` · ${e.actor}` : '', e.resolution ? ` · ${term('resolution', e.resolution)}` : '',
    e.note ? h('p', { class: 'note' }, e.note) : '')))));
  // What the user was typing survives a redraw (the feed redraws on others' actions).
  const typed = root.querySelector('#action-note')?.value;
  const chosen = root.querySelector('#resolution')?.value;
  // The focus stays on the control that had it, or on the alert if that control is gone (the
  // acknowledge button once acknowledged).
  keepingFocus(root, () => root.replaceChildren(...parts.filter(Boolean)));
  if (typed && root.querySelector('#action-note')) root.querySelector('#action-note').value = typed;
  if (chosen && root.querySelector('#resolution')) root.querySelector('#resolution').value = chosen;
}

function actions(a, id, resolutions, refresh, redraw) {
  const note = h('textarea', { name: 'note', rows: 2, id: 'action-note' });
  const code = select('resolution', [['', t('alerts.choose_resolution')], ...resolutions.map((r) => [r, term('resolution', r)])], { id: 'resolution' });
  const run = (path, body, done) => attempt(async () => {
    const answer = await post(`/alerts/${id}/${path}`, body);
    note.value = '';
    code.value = '';
    if (answer?.alert) refresh(answer.alert);
  }, done, redraw);
  const buttons = [];
  if (a.state === 'open') {
    buttons.push(h('button', { type: 'button', id: 'acknowledge', class: 'primary', onclick: () => run('acknowledgement', { note: note.value }, t('alerts.acknowledged')) }, t('alerts.acknowledge')));
  }
  buttons.push(h('button', { type: 'button', id: 'resolve', onclick: () => {
    if (!code.value || !note.value.trim()) return announce(t('alerts.resolve_needs'), 'error');
    return run('resolution', { resolution: code.value, note: note.value }, t('alerts.resolved'));
  } }, t('alerts.resolve')));
  if (a.level < TOP_LEVEL) {
    buttons.push(h('button', { type: 'button', id: 'escalate', onclick: () => (note.value.trim() ? run('escalation', { note: note.value }, t('alerts.escalated')) : announce(t('alerts.note_needed'), 'error')) }, t('alerts.escalate')));
  }
  buttons.push(h('button', { type: 'button', id: 'add-note', onclick: () => (note.value.trim() ? run('notes', { note: note.value }, t('alerts.noted')) : announce(t('alerts.note_needed'), 'error')) }, t('alerts.add_note')));
  buttons.push(h('button', { type: 'button', id: 'locate', onclick: () => run('locate', undefined, t('alerts.locate_sent')) }, t('alerts.locate')));
  return section(t('alerts.actions'), field(t('alerts.note'), note), field(t('alerts.resolution'), code), h('div', { class: 'buttons' }, buttons));
}

/// The client's zones and the track of the device behind the alert, around the breach.
async function mapOf(a, episodes, config, zone) {
  const evidence = episodes.flatMap((e) => e.evidence ?? []);
  const device = evidence[0]?.device;
  try {
    const zones = await get(`/orders/${a.order_id}/zones`);
    let observations = [];
    if (device !== undefined) {
      const from = new Date(new Date(a.start).getTime() - 2 * 3600e3).toISOString();
      const to = new Date((a.end ? new Date(a.end).getTime() : Date.now()) + 600e3).toISOString();
      observations = await observationsBetween(device, from, to);
    }
    return section(t('map.title'), drawMap({ zones, fixes: fixesOf(observations, evidence), tiles: config.map_tiles, timeZone: zone }));
  } catch (error) {
    return section(t('map.title'), h('p', { class: 'error' }, failure(error)));
  }
}
