// Dates, times and numbers in the user's locale; times in the order's time zone (the API keeps
// UTC), Europe/Riga when none is known.

import { locale } from './i18n.js';

export const DEFAULT_ZONE = 'Europe/Riga';

const DAY = { year: 'numeric', month: '2-digit', day: '2-digit' };
const MINUTE = { ...DAY, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/// A date and time as a person reads it: to the minute, four-digit year, 24-hour clock
/// (`07.12.2026 14:05`), in `timeZone`. Seconds only where they matter (none yet).
export function dateTime(ts, timeZone = DEFAULT_ZONE) {
  if (!ts) return '';
  return new Intl.DateTimeFormat(locale(), { ...MINUTE, timeZone }).format(new Date(ts));
}

/// How the date fields write a wall-clock time (`time`) or a day: as `dateTime` does, of an
/// instant given as if in UTC (the field holds no zone).
export function wallFormat(time) {
  return new Intl.DateTimeFormat(locale(), { ...(time ? MINUTE : DAY), timeZone: 'UTC' });
}

export function date(ts, timeZone = DEFAULT_ZONE) {
  if (!ts) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone }).format(new Date(ts));
}

export function number(n, options = {}) {
  if (n === null || n === undefined) return '';
  return new Intl.NumberFormat(locale(), options).format(n);
}

/// How long ago, in the largest whole unit.
export function age(ts, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - new Date(ts).getTime()) / 1000));
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'always', style: 'short' });
  if (seconds < 60) return rtf.format(-seconds, 'second');
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), 'minute');
  if (seconds < 86400) return rtf.format(-Math.floor(seconds / 3600), 'hour');
  return rtf.format(-Math.floor(seconds / 86400), 'day');
}

/// A wall-clock time typed in a form (`YYYY-MM-DDTHH:MM`, the value of a date field)
/// in `timeZone`, as the UTC instant it names (RFC 3339).
export function wallToUtc(local, timeZone = DEFAULT_ZONE) {
  const asUtc = new Date(`${local}:00Z`);
  if (Number.isNaN(asUtc.getTime())) return null;
  // The zone's offset at that instant; twice, so a time near a DST change settles.
  let guess = asUtc.getTime();
  for (let i = 0; i < 2; i += 1) guess = asUtc.getTime() - offsetMs(new Date(guess), timeZone);
  return new Date(guess).toISOString();
}

/// The wall-clock time in `timeZone` as a date field's value.
export function utcToWall(ts, timeZone = DEFAULT_ZONE) {
  const d = new Date(ts);
  return new Date(d.getTime() + offsetMs(d, timeZone)).toISOString().slice(0, 16);
}

function offsetMs(instant, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(instant).map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}
