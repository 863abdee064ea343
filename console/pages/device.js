// One device for a technician: what it is, its health over a chosen period as plots (battery,
// signal, clock offset, heartbeats and frames lost, with its silences marked), and commands to
// it: new reporting intervals (CONFIG) and the time (TIME). Read from heartbeats only
// (GET /devices/{id}/health): nothing here says where a wearer is.

import { get, may, post, query } from '../api.js';
import { t, term } from '../i18n.js';
import { age, dateTime, number } from '../format.js';
import { announce, badge, failure, field, h, section, table } from '../ui.js';
import { timePlot } from '../plot.js';

const DAY = 86_400_000;
/// The periods offered, in days; a week first.
const PERIODS = [1, 7, 30, 90];

/// The plots of a health history; each marks the silences.
function plots(history) {
  const { from, to } = history;
  const at = (sl) => new Date(sl.start).getTime();
  const line = (name, cls, pick) => ({ name, cls, points: history.slices.map((sl) => [at(sl), pick(sl)]) });
  const shades = history.silences.map((g) => ({
    from: new Date(g.from).getTime(), to: new Date(g.to).getTime(), cls: 'silence',
    label: t('device.silence_span', { from: dateTime(g.from), to: dateTime(g.to) }), legend: t('device.silences'),
  }));
  const common = { from: new Date(from).getTime(), to: new Date(to).getTime(), shades };
  const num = (v) => number(v);
  return [
    timePlot({ ...common, title: t('device.plot_battery'), unit: '%', yMin: 0, yMax: 100, format: num,
      series: [line(t('device.battery_min'), 'series-1', (sl) => sl.battery_percent_min)] }),
    timePlot({ ...common, title: t('device.plot_signal'), unit: 'dBm', format: num,
      series: [line(t('device.signal_mean'), 'series-1', (sl) => sl.rssi_dbm_mean), line(t('device.signal_min'), 'series-2', (sl) => sl.rssi_dbm_min)] }),
    timePlot({ ...common, title: t('device.plot_clock'), unit: 's', format: num,
      series: [line(t('device.clock_offset'), 'series-1', (sl) => (sl.clock_offset_ms === null ? null : sl.clock_offset_ms / 1000))] }),
    timePlot({ ...common, title: t('device.plot_frames'), yMin: 0, format: num,
      series: [line(t('device.heartbeats'), 'series-1', (sl) => sl.heartbeats), line(t('device.lost_frames'), 'series-3', (sl) => sl.lost_frames)] }),
  ];
}

/// How long a span lasted, in hours and minutes.
function lasted(fromTs, toTs) {
  const minutes = Math.round((new Date(toTs) - new Date(fromTs)) / 60000);
  return t('device.duration', { hours: number(Math.floor(minutes / 60)), minutes: number(minutes % 60) });
}

/// The health section for `days` days back from now.
async function health(id, days) {
  const to = new Date();
  const from = new Date(to.getTime() - days * DAY);
  const history = await get(`/devices/${id}/health${query({ from: from.toISOString(), to: to.toISOString(), slices: 240 })}`);
  const silences = table(t('device.silences'), [t('device.silence_from'), t('device.silence_to'), t('device.silence_length')],
    history.silences.map((g) => [dateTime(g.from), dateTime(g.to), lasted(g.from, g.to)]), { class: 'silences' });
  return h('div', { id: 'device-health', dataset: { days } }, h('div', { class: 'plots' }, plots(history)), silences);
}

/// New reporting intervals and the time, for roles the server lets send them.
function commands(id) {
  const input = (name, value) => h('input', { type: 'number', name, id: `cfg-${name}`, min: 10, max: 65535, step: 1, value, required: true });
  const heartbeat = input('heartbeat_interval_s', 300);
  const moving = input('location_interval_moving_s', 30);
  const still = input('location_interval_still_s', 600);
  const send = async (body, done) => {
    try {
      const sent = await post(`/devices/${id}/commands`, body);
      announce(sent.config_revision ? t(done, { revision: sent.config_revision }) : t(done), 'ok');
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  const form = h('form', { id: 'device-config', class: 'row' },
    field(t('field.heartbeat_interval_s'), heartbeat),
    field(t('field.location_interval_moving_s'), moving),
    field(t('field.location_interval_still_s'), still),
    h('button', { type: 'submit' }, t('device.send_config')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send({
      command: 'config',
      heartbeat_interval_s: Number(heartbeat.value),
      location_interval_moving_s: Number(moving.value),
      location_interval_still_s: Number(still.value),
    }, 'device.config_sent');
  });
  return section(t('device.commands'), h('p', {}, t('device.commands_intro')), form,
    h('button', { type: 'button', id: 'device-time', onclick: () => send({ command: 'time' }, 'device.time_sent') }, t('device.send_time')));
}

export async function render(root, { args }) {
  const id = args[0];
  const [found, commanding] = await Promise.all([get(`/devices/${id}`), may('POST', '/devices/{id}/commands')]);
  const d = found.device;
  const hth = found.health;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('devices.serial')), h('dd', {}, d.serial),
    h('dt', {}, t('devices.kind')), h('dd', {}, term('device_kind', d.kind)),
    h('dt', {}, t('devices.model')), h('dd', {}, d.model),
    h('dt', {}, t('devices.firmware')), h('dd', {}, d.firmware ?? t('devices.firmware_unknown')),
    h('dt', {}, t('devices.status')), h('dd', {}, term('device_status', d.status)),
    h('dt', {}, t('devices.last_seen')), h('dd', {}, hth?.last_seen ? `${dateTime(hth.last_seen)} (${age(hth.last_seen)})` : t('devices.never')),
    h('dt', {}, t('devices.clock_skew')), h('dd', {}, hth?.clock_offset_ms !== null && hth?.clock_offset_ms !== undefined
      ? badge(hth.clock_skewed ? 'warn' : 'ok', `${number(hth.clock_offset_ms / 1000, { maximumFractionDigits: 1 })} s`) : '—'));
  let days = 7;
  const holder = h('div', {}, await health(id, days).catch((error) => h('p', { class: 'error' }, failure(error))));
  const choose = async (n) => {
    days = n;
    try {
      holder.replaceChildren(await health(id, days));
    } catch (error) {
      announce(failure(error), 'error');
    }
  };
  const periods = h('div', { class: 'row periods', role: 'group', 'aria-label': t('device.period') },
    PERIODS.map((n) => h('button', { type: 'button', id: `period-${n}`, onclick: () => choose(n) }, t('device.last_days', { days: number(n) }))));
  root.replaceChildren(
    h('p', {}, h('a', { href: '#/devices' }, t('device.back'))),
    h('h1', {}, t('device.title', { id, serial: d.serial })),
    facts,
    section(t('device.health'), h('p', {}, t('device.health_intro')), periods, holder),
    commanding ? commands(id) : null,
  );
}
