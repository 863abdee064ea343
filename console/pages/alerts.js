// The alert queue (operators: every client's; officers and supervisors: those in their care),
// most urgent first (severity, then the oldest), compact, filtered by unit, class of kind and
// state on the server, kept current by the live feed without a reload (the tab's title counts
// the open alerts), with an optional beep for new alerts; and one alert with its map, history,
// deliveries and the people's actions: take (or take over, after asking), let go,
// acknowledge, escalate with a reason, resolve with a code and a note, add a note, ask the tag
// for a fix now.

import { api, enumerations, get, getAll, may, observationsBetween, pages, post } from '../api.js';
import { t, term } from '../i18n.js';
import { age, dateTime, DEFAULT_ZONE } from '../format.js';
import { announce, attempt, badge, failure, field, h, keepingFocus, section, select, table } from '../ui.js';
import { drawMap, fixesOf } from '../map.js';

const SOUND_KEY = 'sargs.sound';
/// The duty lead's level: escalation stops there (alerts::lifecycle::TOP_LEVEL).
const TOP_LEVEL = 2;
/// Where a severity sorts, critical first (alerts::queue::rank): the queue's order and cursor.
const RANK = { critical: 4, high: 3, medium: 2, low: 1, warning: 0 };
/// How often the ages in the queue move on.
const TICK_MS = 5000;
/// The most open alerts the title counts exactly; more show as "500+".
const COUNT_CAP = 500;

/// The queue's order: most urgent first, then the oldest raised, then by id.
const urgent = (a, b) => (RANK[b.severity] - RANK[a.severity]) || (Date.parse(a.raised) - Date.parse(b.raised)) || (a.id - b.id);
/// The server's cursor after an alert in that order (`rank.raised_ms.id`, docs/api.md).
const cursorOf = (a) => `${RANK[a.severity]}.${Date.parse(a.raised)}.${a.id}`;

/// Escalation in words: an alert never escalated says so, no "level 0".
export const escalation = (level) => (level ? t('alerts.level', { level }) : t('alerts.not_escalated'));

/// The alert's probation client by name (every alert the API gives carries it).
export const clientName = (a) => (a.client ? `${a.client.given_name} ${a.client.family_name}` : t('client.number', { id: a.client_id }));

/// The time zone of the alert's order, in which its times are shown.
export const zoneOf = (a) => a.time_zone ?? DEFAULT_ZONE;

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

/// The severity's own colour, with its name in words (never colour alone).
export function severityBadge(severity) {
  return badge(`sev-${severity}`, term('severity', severity));
}

export function stateBadge(state) {
  return badge(`state-${state}`, term('alert_state', state));
}

export async function render(root, { user, config, args }) {
  const [enums, units] = await Promise.all([enumerations(), getAll('/units').catch(() => [])]);
  const alerts = new Map();
  const filters = { state: 'unresolved', class: '', kind: '', unit: '' };
  let selected = args[0] ? Number(args[0]) : null;
  const live = h('span', { class: 'live', id: 'live', 'aria-live': 'polite' }, t('alerts.connecting'));
  const stateSelect = select('filter', [['unresolved', t('alerts.filter.unresolved')], ...enums.alert_state.map((s) => [s, term('alert_state', s)]), ['all', t('alerts.filter.all')]], { id: 'alert-filter' });
  const classSelect = select('class', [['', t('alerts.filter.all_classes')], ...enums.kind_class.map((c) => [c, term('kind_class', c)])], { id: 'class-filter' });
  // The kinds of the class chosen (of every class, with none chosen), by their words.
  const kindSelect = select('kind', [], { id: 'kind-filter' });
  const kindOptions = () => {
    const kinds = enums.kind.filter((k) => !classSelect.value || enums.class_of_kind[k] === classSelect.value)
      .map((k) => [k, term('kind', k)]).sort((a, b) => a[1].localeCompare(b[1]));
    const keep = kinds.some(([k]) => k === kindSelect.value) ? kindSelect.value : '';
    kindSelect.replaceChildren(...[['', t('alerts.filter.all_kinds')], ...kinds].map(([value, label]) => h('option', { value }, label)));
    kindSelect.value = keep;
  };
  kindOptions();
  const unitSelect = select('unit', [['', t('alerts.filter.all_units')], ...units.map((u) => [String(u.id), u.name])], { id: 'unit-filter' });
  // Focusable only by script: where the focus goes when the row that had it is filtered out.
  const queue = h('div', { id: 'queue', tabindex: '-1' });
  const split = h('div', { class: 'split' });
  const detail = h('div', { id: 'alert-detail', class: 'detail', tabindex: '-1' });
  // The queue a page at a time, most urgent first, filtered on the server: more on asking,
  // never cut off unsaid.
  let older;
  const more = h('button', { type: 'button', id: 'more-alerts', onclick: async () => {
    for (const a of await older.next()) alerts.set(a.id, a);
    drawQueue();
    if (older.done) queue.focus({ preventScroll: true });
  } }, t('common.more'));
  const params = () => ({
    sort: 'severity',
    state: ['unresolved', 'all'].includes(filters.state) ? undefined : filters.state,
    unresolved: filters.state === 'unresolved' ? 'true' : undefined,
    class: filters.class || undefined,
    kind: filters.kind || undefined,
    unit_id: filters.unit || undefined,
  });
  const load = async () => {
    older = pages('/alerts', params(), { cursor: 'cursor', key: cursorOf });
    alerts.clear();
    for (const a of await older.next()) alerts.set(a.id, a);
  };

  // The open alerts the title counts: one page from the server, then the feed's changes.
  const open = new Set();
  let capped = false;
  const title = () => { document.title = t('alerts.tab_title', { n: `${open.size}${capped ? '+' : ''}` }); };
  const countOpen = async () => {
    const found = await get(`/alerts?state=open&limit=${COUNT_CAP}`).catch(() => []);
    open.clear();
    for (const a of found) open.add(a.id);
    capped = found.length >= COUNT_CAP;
    title();
  };

  const shown = (a) => {
    const state = filters.state === 'all' || (filters.state === 'unresolved' ? a.state !== 'resolved' : a.state === filters.state);
    return state && (!filters.class || a.class === filters.class) && (!filters.kind || a.kind === filters.kind);
  };
  const drawQueue = () => {
    const rows = [...alerts.values()].filter(shown).sort(urgent).map((a) => {
      const zone = zoneOf(a);
      return {
        attrs: { class: [`sev-${a.severity}`, a.id === selected ? 'selected' : ''].join(' ').trim(), dataset: { alert: a.id, severity: a.severity } },
        cells: [
          h('button', { type: 'button', class: 'link', id: `open-alert-${a.id}`, onclick: () => choose(a.id), 'aria-label': t('alerts.open_alert', { id: a.id }) }, `#${a.id}`),
          severityBadge(a.severity),
          badge(`class-${a.class}`, term('kind_class', a.class)),
          term('kind', a.kind),
          clientName(a),
          dateTime(a.start, zone),
          dateTime(a.raised, zone),
          h('span', { class: 'age', dataset: { raised: a.raised } }, age(a.raised)),
          stateBadge(a.state),
          a.assignee ? h('span', { class: 'assignee' }, a.assignee) : h('span', { class: 'muted' }, t('alerts.unassigned')),
          escalation(a.level),
        ],
      };
    });
    keepingFocus(queue, () => queue.replaceChildren(
      table(t('alerts.queue'), [t('alerts.id'), t('alerts.severity'), t('alerts.class'), t('alerts.kind'), t('alerts.client'), t('alerts.breach_start'), t('alerts.raised'), t('alerts.age'), t('alerts.state'), t('alerts.assignee'), t('alerts.level_header')], rows, { class: 'queue' }),
      ...(older.done ? [] : [more]),
    ));
    // The queue takes the whole width until an alert is opened beside it.
    split.classList.toggle('with-detail', selected !== null);
  };
  const refresh = (a) => { alerts.set(a.id, a); drawQueue(); };
  const choose = async (id) => {
    selected = id;
    history.replaceState(null, '', `#/alerts/${id}`);
    drawQueue();
    await drawDetail(detail, id, { user, config, refresh });
    detail.focus({ preventScroll: true });
  };

  stateSelect.value = filters.state;
  const refilter = async () => {
    filters.state = stateSelect.value;
    filters.class = classSelect.value;
    kindOptions();
    filters.kind = kindSelect.value;
    filters.unit = unitSelect.value;
    await load();
    drawQueue();
  };
  for (const s of [stateSelect, classSelect, kindSelect, unitSelect]) s.addEventListener('change', refilter);
  await Promise.all([load(), countOpen()]);
  drawQueue();
  split.replaceChildren(queue, detail);
  root.replaceChildren(
    h('h1', { class: 'compact' }, t('alerts.title')),
    h('div', { class: 'toolbar filters' }, field(t('alerts.show'), stateSelect), field(t('alerts.class'), classSelect), field(t('alerts.kind'), kindSelect), units.length ? field(t('alerts.unit'), unitSelect) : null, soundToggle(), live),
    split,
  );
  if (selected) await choose(selected);

  // The ages move on by themselves.
  const ticking = setInterval(() => {
    for (const cell of queue.querySelectorAll('span.age')) cell.textContent = age(cell.dataset.raised);
  }, TICK_MS);

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
      // A unit asked for: only its alerts join the queue from the feed.
      if (!filters.unit || String(alert.unit_id) === filters.unit || !fresh) alerts.set(alert.id, alert);
      if (alert.state === 'open') open.add(alert.id);
      else open.delete(alert.id);
      title();
      drawQueue();
      if (action === 'raised' && fresh) {
        announce(t('alerts.new', { kind: term('kind', alert.kind), client: clientName(alert) }), 'warn');
        if (localStorage.getItem(SOUND_KEY) === 'on') beep();
      }
      // The user's own actions redraw the alert when they succeed.
      if (alert.id === selected && data.event?.actor_id !== user.id) {
        await drawDetail(detail, alert.id, { user, config, refresh });
      }
    });
  }
  return () => {
    feed.close();
    clearInterval(ticking);
    document.title = t('app.title');
  };
}

async function drawDetail(root, id, { user, config, refresh }) {
  const [one, enums, acts] = await Promise.all([get(`/alerts/${id}`), enumerations(), may('POST', '/alerts/{id}/acknowledgement')]);
  const a = one.alert;
  const zone = zoneOf(a);
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('alerts.client')), h('dd', {}, h('a', { href: `#/clients/${a.client_id}` }, clientName(a))),
    h('dt', {}, t('alerts.kind')), h('dd', {}, term('kind', a.kind)),
    h('dt', {}, t('alerts.severity')), h('dd', {}, severityBadge(a.severity)),
    h('dt', {}, t('alerts.class')), h('dd', {}, term('kind_class', a.class)),
    h('dt', {}, t('alerts.state')), h('dd', { id: 'alert-state' }, stateBadge(a.state)),
    h('dt', {}, t('alerts.assignee')), h('dd', { id: 'alert-assignee' }, a.assignee ?? t('alerts.unassigned')),
    h('dt', {}, t('alerts.breach')), h('dd', {}, `${dateTime(a.start, zone)} – ${a.end ? dateTime(a.end, zone) : t('alerts.ongoing')}`),
    h('dt', {}, t('alerts.raised')), h('dd', {}, dateTime(a.raised, zone)),
    h('dt', {}, t('alerts.level_header')), h('dd', {}, escalation(a.level)),
    a.resolution && h('dt', {}, t('alerts.resolution')), a.resolution && h('dd', {}, term('resolution', a.resolution)),
  );
  const parts = [h('h2', {}, t('alerts.alert', { id: a.id })), facts];
  if (acts && a.state !== 'resolved') parts.push(actions(a, id, user, enums.resolution, refresh, () => drawDetail(root, id, { user, config, refresh })));
  parts.push(await mapOf(a, one.episodes, config, zone));
  parts.push(section(t('alerts.history'), h('ol', { class: 'history' }, one.events.map((e) => h('li', {},
    h('time', { datetime: e.at }, dateTime(e.at, zone)), ' ', h('strong', {}, term('action', e.action)),
    e.actor ? ` · ${e.actor}` : '', e.resolution ? ` · ${term('resolution', e.resolution)}` : '',
    // A location request's note is the tag's number, worded here (the API keeps no English).
    e.note ? h('p', { class: 'note' }, e.action === 'locate_requested' ? t('alerts.locate_note', { device: e.note }) : e.note) : '')))));
  parts.push(deliveries(one.deliveries, zone));
  // What the user was typing survives a redraw (the feed redraws on others' actions).
  const typed = root.querySelector('#action-note')?.value;
  const chosen = root.querySelector('#resolution')?.value;
  // The focus stays on the control that had it, or on the alert if that control is gone (the
  // acknowledge button once acknowledged).
  keepingFocus(root, () => root.replaceChildren(...parts.filter(Boolean)));
  if (typed && root.querySelector('#action-note')) root.querySelector('#action-note').value = typed;
  if (chosen && root.querySelector('#resolution')) root.querySelector('#resolution').value = chosen;
}

/// Who was told of the alert, how, and whether it reached them; if not, why in the user's
/// words, and the channel's own (English) error for a technician only when asked for.
function deliveries(rows, zone) {
  const whom = (d) => d.recipient ?? (d.channel === 'webhook' ? t('alerts.to_centre') : d.channel === 'wearer' ? t('alerts.to_client') : '');
  const why = (d) => (d.failure ? [
    t(`delivery_failure.${d.failure.reason}`, d.failure),
    d.attempts > 1 ? ` · ${t('alerts.delivery_attempts', { count: d.attempts })}` : '',
    d.technical_detail && h('details', { class: 'technical' }, h('summary', {}, t('alerts.technical_detail')), h('code', {}, d.technical_detail)),
  ] : '');
  return section(t('alerts.deliveries'), table(t('alerts.deliveries_caption'), [t('alerts.delivery_time'), t('alerts.delivery_to'), t('alerts.channel'), t('alerts.delivery_state'), t('alerts.delivery_error')],
    rows.map((d) => ({ attrs: { dataset: { delivery: d.id } }, cells: [dateTime(d.created, zone), [whom(d), d.address ? ` (${d.address})` : ''].join(''), t(`alerts.channel.${d.channel}`), badge(`delivery-${d.state}`, t(`alerts.delivery.${d.state}`)), why(d)] })), { class: 'deliveries', id: 'deliveries' }));
}

/// Take the alert, or take it over after asking; or let it go.
function assignment(a, id, user, refresh, redraw) {
  const mine = a.assignee_id === user.id;
  const send = (method, body, done) => attempt(async () => {
    const answer = await api(method, `/alerts/${id}/assignment`, body);
    if (answer?.alert) refresh(answer.alert);
  }, done, redraw);
  const take = () => {
    const over = Boolean(a.assignee_id) && !mine;
    if (over && !window.confirm(t('alerts.take_over_confirm', { name: a.assignee }))) return undefined;
    return send('POST', { over }, t('alerts.taken'));
  };
  const out = [];
  if (!mine) out.push(h('button', { type: 'button', id: 'take', class: a.assignee_id ? '' : 'primary', onclick: take }, a.assignee_id ? t('alerts.take_over') : t('alerts.take')));
  if (a.assignee_id) out.push(h('button', { type: 'button', id: 'release', onclick: () => send('DELETE', undefined, t('alerts.released')) }, t('alerts.release')));
  return out;
}

function actions(a, id, user, resolutions, refresh, redraw) {
  const note = h('textarea', { name: 'note', rows: 2, id: 'action-note' });
  const code = select('resolution', [['', t('alerts.choose_resolution')], ...resolutions.map((r) => [r, term('resolution', r)])], { id: 'resolution' });
  const run = (path, body, done) => attempt(async () => {
    const answer = await post(`/alerts/${id}/${path}`, body);
    note.value = '';
    code.value = '';
    if (answer?.alert) refresh(answer.alert);
  }, done, redraw);
  const buttons = [...assignment(a, id, user, refresh, redraw)];
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
