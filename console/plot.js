// Plots drawn as SVG from data: a time series (a device's battery, signal, clock), and a band
// chart (a client's nights: at home, away within grace, breach, no data). SVG rather than a
// canvas, so that a plot scales with the page, is read out by a screen reader (a title and a
// table of the same figures beside it), and is checked in tests by what it holds. Colours come
// from style.css by class; nothing here sets a style (the console's CSP forbids inline styles).
//
// The arithmetic (ticks, scales) is in plain functions the tests call directly
// (tests/console/plots.rs imports this module in the browser).

import { locale } from './i18n.js';
import { DEFAULT_ZONE } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/// An SVG element: `s('line', { x1: 0, ... })`.
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

/// Round numbers between `min` and `max`, about `count` of them: steps of 1, 2 or 5 times a
/// power of ten. A flat range is widened so that it still has ticks.
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) { min -= 1; max += 1; }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((st) => st >= rough) ?? 10 * power;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    // Rounded to the step's own precision, so that 0.1 + 0.2 is shown as 0.3.
    ticks.push(Number(v.toFixed(Math.max(0, -Math.floor(Math.log10(step))))));
  }
  return ticks;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TIME_STEPS = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];

/// The wall clock of `ms` in `zone`, as milliseconds of a UTC date with the same reading.
function wallOf(ms, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
}

/// Instants for a time axis from `from` to `to` (ms), at most `most` of them, on whole local
/// hours or local midnights of `zone` (a day tick stays at midnight across a DST change), each
/// with its label: the time of day when the step is under a day, else the date.
export function timeTicks(from, to, zone = DEFAULT_ZONE, most = 8) {
  if (!(to > from)) return [];
  const step = TIME_STEPS.find((st) => (to - from) / st <= most) ?? TIME_STEPS.at(-1);
  const ticks = [];
  const days = step >= DAY;
  const hours = Math.round(step / HOUR);
  const format = new Intl.DateTimeFormat(locale(), days
    ? { timeZone: zone, day: '2-digit', month: '2-digit' }
    : { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  // Walk the hours from the first whole hour; keep those on the step's boundary in local time.
  for (let at = Math.ceil(from / HOUR) * HOUR; at <= to && ticks.length <= most * 4; at += HOUR) {
    const wall = new Date(wallOf(at, zone));
    const onStep = days
      ? wall.getUTCHours() === 0 && wall.getUTCMinutes() === 0 && Math.floor(wall.getTime() / DAY) % (step / DAY) === 0
      : wall.getUTCMinutes() === 0 && wall.getUTCHours() % hours === 0;
    if (onStep) ticks.push({ at, label: format.format(new Date(at)) });
  }
  return ticks.slice(0, most + 1);
}

/// A linear scale from a domain to a range of pixels.
export function scale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 80, right: 14, top: 10, bottom: 30 };

/// A time series plot: `series` are lines (`{ name, cls, points: [[ms, value|null], ...] }`,
/// a null value breaks the line), `shades` spans to mark across the plot (`{ from, to, cls,
/// label }`, silences, say), `unit` the y axis' unit. Returns a <figure> with the plot (an
/// image with `title` as its name) and a caption naming each line and shade.
export function timePlot({ title, from, to, zone = DEFAULT_ZONE, series = [], shades = [], unit = '', yMin, yMax, format = String }) {
  const values = series.flatMap((se) => se.points.map((p) => p[1])).filter((v) => v !== null && v !== undefined);
  const lo = yMin ?? Math.min(...values, ...(yMax !== undefined ? [yMax] : []));
  const hi = yMax ?? Math.max(...values, ...(yMin !== undefined ? [yMin] : []));
  const yTicks = niceTicks(values.length || yMin !== undefined ? lo : 0, values.length || yMax !== undefined ? hi : 1, 4);
  const y0 = Math.min(yTicks[0] ?? 0, lo);
  const y1 = Math.max(yTicks.at(-1) ?? 1, hi);
  const x = scale([from, to], [PAD.left, WIDTH - PAD.right]);
  const y = scale([y0, y1], [HEIGHT - PAD.bottom, PAD.top]);
  const clampX = (ms) => Math.max(PAD.left, Math.min(WIDTH - PAD.right, x(ms)));
  const grid = [
    ...yTicks.map((v) => s('g', { class: 'tick y' },
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { x: PAD.left - 6, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, `${format(v)}${unit ? ` ${unit}` : ''}`))),
    ...timeTicks(from, to, zone).map((tk) => s('g', { class: 'tick x' },
      s('line', { x1: x(tk.at), x2: x(tk.at), y1: PAD.top, y2: HEIGHT - PAD.bottom }),
      s('text', { x: x(tk.at), y: HEIGHT - PAD.bottom + 19, 'text-anchor': 'middle' }, tk.label))),
  ];
  const marks = shades.map((sh) => s('rect', {
    class: `shade ${sh.cls ?? ''}`, x: clampX(sh.from), y: PAD.top,
    width: Math.max(1, clampX(sh.to) - clampX(sh.from)), height: HEIGHT - PAD.top - PAD.bottom,
  }, s('title', {}, sh.label ?? '')));
  const lines = series.map((se) => s('path', { class: `line ${se.cls ?? ''}`, d: pathOf(se.points, x, y), 'data-series': se.name }));
  // A value with no neighbour draws no line: a dot, so that it is seen.
  const has = (p) => p && p[1] !== null && p[1] !== undefined;
  const dots = series.flatMap((se) => se.points
    .filter((p, i, all) => has(p) && !has(all[i - 1]) && !has(all[i + 1]))
    .map(([ms, v]) => s('circle', { class: `dot ${se.cls ?? ''}`, cx: x(ms), cy: y(v), r: 3 })));
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title, class: 'plot' },
    s('title', {}, title), ...marks, ...grid, ...lines, ...dots);
  const legend = [...series.map((se) => [se.cls, se.name]), ...shades.slice(0, 1).map((sh) => [`shade ${sh.cls ?? ''}`, sh.legend ?? sh.label])];
  const fig = document.createElement('figure');
  fig.className = 'plot';
  const caption = document.createElement('figcaption');
  caption.append(titleOf(title), ...legend.map(([cls, name]) => key(cls, name)));
  fig.append(svg, caption);
  return fig;
}

/// The plot's name in its caption.
function titleOf(title) {
  const el = document.createElement('span');
  el.className = 'plot-title';
  el.append(title);
  return el;
}

/// A legend entry: a swatch of the class's colour and its name.
function key(cls, name) {
  const el = document.createElement('span');
  el.className = 'key';
  el.append(s('svg', { viewBox: '0 0 12 12', class: 'swatch', 'aria-hidden': 'true' }, s('rect', { class: cls, width: 12, height: 12 })), ` ${name}`);
  return el;
}

/// An SVG path through `points`, broken where a value is missing.
export function pathOf(points, x, y) {
  let d = '';
  let pen = false;
  for (const [ms, v] of points) {
    if (v === null || v === undefined) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${x(ms).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/// A band chart: one row per `rows` entry (`{ label, from, to, segments: [{ from, to, kind }] }`,
/// a night, say), each segment a bar coloured by its kind (class `band-<kind>`), `kinds` the
/// words for each kind, in the legend's order.
export function bandPlot({ title, rows, kinds }) {
  const rowH = 16;
  const labelW = 110;
  const height = rows.length * (rowH + 4) + 6;
  const body = rows.map((row, i) => {
    const x = scale([row.from, row.to], [labelW, WIDTH - PAD.right]);
    const top = 3 + i * (rowH + 4);
    return s('g', { class: 'band-row', 'data-row': row.label },
      s('text', { x: labelW - 6, y: top + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, row.label),
      row.segments.map((seg) => s('rect', {
        class: `band band-${seg.kind}`, x: x(seg.from), y: top, height: rowH,
        width: Math.max(0.5, x(seg.to) - x(seg.from)), 'data-kind': seg.kind,
      }, s('title', {}, `${kinds[seg.kind] ?? seg.kind}`))));
  });
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': title, class: 'plot bands' }, s('title', {}, title), body);
  const fig = document.createElement('figure');
  fig.className = 'plot';
  const caption = document.createElement('figcaption');
  caption.append(titleOf(title), ...Object.entries(kinds).map(([kind, name]) => key(`band-${kind}`, name)));
  fig.append(svg, caption);
  return fig;
}
