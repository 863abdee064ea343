// The track replay on a probation client's page: a period (from/to in the order's time zone,
// the last 24 hours at first), the map of that period's track with each fix's accuracy circle,
// a time slider that moves a marker along the track and says when the client was there, and
// the client's breach episodes of the period: their evidence fixes marked on the map, their
// start and end listed beside it.

import { get, observationsBetween, query } from './api.js';
import { t, term } from './i18n.js';
import { dateTime, utcToWall, wallToUtc } from './format.js';
import { announce, failure, field, h, section } from './ui.js';
import { dateInput, dateProblem } from './date-field.js';
import { drawMap, fixLabel, fixesOf } from './map.js';

const DAY_MS = 86400e3;

/// `observations` and `episodes`: what the page already has for the last day (so the first
/// draw asks for nothing more). `tag`: the fitted device, if any.
export function replaySection({ clientId, tag, zones, tiles, zone, observations, episodes }) {
  const now = Date.now();
  const from = dateInput({ id: 'replay-from', required: true, value: utcToWall(new Date(now - DAY_MS).toISOString(), zone) });
  const to = dateInput({ id: 'replay-to', required: true, value: utcToWall(new Date(now + 60e3).toISOString(), zone) });
  const body = h('div', { class: 'replay', id: 'replay' });
  const form = h('form', { class: 'replay-controls', id: 'replay-form' },
    field(t('replay.from'), from), field(t('replay.to'), to),
    h('button', { type: 'submit', id: 'replay-show' }, t('replay.show')),
    h('p', { class: 'hint' }, t('replay.zone_hint', { zone })));
  const within = (start, end) => episodes.filter((e) => new Date(e.start) <= end && (!e.end || new Date(e.end) >= start));
  body.replaceChildren(...period({ zones, tiles, zone, observations, episodes: within(new Date(now - DAY_MS), new Date(now + 60e3)) }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const unread = dateProblem(form);
    if (unread) {
      announce(unread, 'error');
      return;
    }
    const start = wallToUtc(from.value, zone);
    const end = wallToUtc(to.value, zone);
    if (!start || !end || start >= end) {
      announce(t('replay.bad_period'), 'error');
      return;
    }
    try {
      const [seen, breaches] = await Promise.all([
        tag !== undefined ? observationsBetween(tag, start, end) : [],
        get(`/clients/${clientId}/episodes${query({ from: start, to: end })}`),
      ]);
      body.replaceChildren(...period({ zones, tiles, zone, observations: seen, episodes: breaches }));
    } catch (error) {
      announce(failure(error), 'error');
    }
  });
  return section(t('map.title'), form, body);
}

/// The map, the slider and the episodes of one period.
function period({ zones, tiles, zone, observations, episodes }) {
  const evidence = episodes.flatMap((e) => e.evidence ?? []);
  const fixes = fixesOf(observations, evidence).sort((a, b) => new Date(a.time) - new Date(b.time));
  const slider = h('input', {
    type: 'range', id: 'replay-slider', class: 'replay-slider', min: 0, max: Math.max(0, fixes.length - 1),
    step: 1, value: Math.max(0, fixes.length - 1), 'aria-label': t('replay.slider'), disabled: fixes.length === 0,
  });
  const shown = h('output', { id: 'replay-time', for: 'replay-slider', 'aria-live': 'polite' }, fixes.length ? '' : t('replay.no_fixes'));
  let marker = null;
  const move = () => {
    const fix = fixes[Number(slider.value)];
    if (!fix) return;
    const label = t('replay.at', { time: fixLabel(fix, zone) });
    shown.textContent = label;
    slider.setAttribute('aria-valuetext', label);
    marker?.setLatLng([fix.lat, fix.lon]);
  };
  slider.addEventListener('input', move);
  move();
  const figure = drawMap({
    zones, fixes, tiles, timeZone: zone, label: t('replay.map_label'),
    onReady: (map) => {
      const L = window.L;
      const fix = fixes[Number(slider.value)];
      if (!fix) return;
      marker = L.marker([fix.lat, fix.lon], {
        icon: L.divIcon({ className: 'map-replay-marker', iconSize: [18, 18] }), keyboard: false, interactive: false, zIndexOffset: 1000,
      }).addTo(map);
      move();
    },
  });
  const list = h('ol', { class: 'replay-episodes', id: 'replay-episodes' }, episodes.length
    ? episodes.map((e) => h('li', {}, h('strong', {}, term('kind', e.kind)), ` (${term('episode_state', e.state)})`, h('br'),
      `${t('episode.start')}: ${dateTime(e.start, zone)}`, h('br'), `${t('episode.end')}: ${e.end ? dateTime(e.end, zone) : t('alerts.ongoing')}`))
    : h('li', { class: 'empty' }, t('common.none')));
  return [
    h('div', {}, figure, slider, h('p', {}, shown)),
    h('aside', {}, h('h3', {}, t('replay.episodes')), list),
  ];
}
