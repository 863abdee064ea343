// One date field, or date-and-time field, for every form of the console. A native
// <input type=date> or <input type=datetime-local> is drawn in the browser's own locale (an
// English-US Chromium shows "mm/dd/yyyy, --:-- AM" in the Latvian console); this one is typed
// and shown as the console's language writes a date, exactly as `dateTime` prints it
// (31.12.2026 14:05 in Latvian, 31/12/2026, 14:05 in English: the 24-hour clock, a four-digit
// year, no seconds), says so beside it, and opens a calendar (cally, vendored: see
// console/vendor/README.md) to pick the day by mouse or keyboard. For code it stays the <input>
// with the form's id, whose `.value` reads and sets the machine format (`YYYY-MM-DDTHH:MM`,
// `YYYY-MM-DD`) as the native input's did; text that names no date is marked on leaving the
// field and said, naming the field, by `dateProblem` before a form sends anything.

import './vendor/cally/dist/cally.js';
import { locale, t } from './i18n.js';
import { wallFormat } from './format.js';
import { h } from './ui.js';

const NATIVE = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
/// The example in the hints: the 31st, so that nobody takes the day for the month.
const SAMPLE = '2026-12-31T14:05';
/// Each field's own check, by its input, for `dateProblem`.
const checks = new WeakMap();
let made = 0;

/// `wall` (`YYYY-MM-DDTHH:MM`, or a day `YYYY-MM-DD`) as the console's language writes it.
function wallText(wall, time) {
  return wallFormat(time).format(new Date(`${wall.slice(0, 10)}T${time ? wall.slice(11, 16) : '00:00'}:00Z`));
}

/// The console's way of writing a date (and time), as parts: the pieces (`day`, `month`,
/// `year`, `hour`, `minute`) in its order, and what stands between them.
const pattern = (time) => wallFormat(time).formatToParts(new Date(`${SAMPLE}:00Z`));

/// The pieces of a date (and time) in the order the console's language writes them.
const order = (time) => pattern(time).map((p) => p.type).filter((type) => type !== 'literal');

const pad = (n) => String(n).padStart(2, '0');

/// A field's name, for what is said of it: its label's words.
const labelOf = (input) => input.labels?.[0]?.textContent ?? '';

/// What a person typed, read: `{ value }` in the machine format ('' for nothing), or
/// `{ problem, date, time }` saying why it is no date: `unreadable` (letters, a piece missing,
/// a two-digit year), `no_such_date` (31.02.2026) or `no_such_time` (25:00). The console's own
/// order is read (day, month, year), and the machine's (2026-12-31 14:05), known by its
/// four-digit first piece; any of . / - , : and spaces may stand between the pieces.
function readWall(text, time) {
  const typed = text.trim();
  if (!typed) return { value: '' };
  const numbers = typed.split(/[\s.,:/T-]+/);
  const wanted = time ? 5 : 3;
  if (numbers.length !== wanted || !numbers.every((n) => /^\d+$/.test(n))) return { problem: 'unreadable' };
  const names = numbers[0].length === 4 ? ['year', 'month', 'day', 'hour', 'minute'].slice(0, wanted) : order(time);
  const p = Object.fromEntries(names.map((name, i) => [name, numbers[i]]));
  const short = (name) => p[name].length <= 2;
  if (!/^[1-9]\d{3}$/.test(p.year) || !short('month') || !short('day')) return { problem: 'unreadable' };
  if (time && (!short('hour') || p.minute.length !== 2)) return { problem: 'unreadable' };
  const [year, month, day] = [Number(p.year), Number(p.month), Number(p.day)];
  const date = `${p.year}-${pad(month)}-${pad(day)}`;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay) {
    const pieces = { day: pad(p.day), month: pad(p.month), year: p.year };
    return { problem: 'no_such_date', date: pattern(false).map((part) => pieces[part.type] ?? part.value).join('') };
  }
  if (!time) return { value: date };
  const [hour, minute] = [Number(p.hour), Number(p.minute)];
  if (hour > 23 || minute > 59) return { problem: 'no_such_time', time: `${pad(p.hour)}:${p.minute}` };
  return { value: `${date}T${pad(hour)}:${p.minute}` };
}

/// A date-and-time field (`time`, the default) or a date field: returns its <input>, with `id`
/// and `className`, holding `value` (machine format; '' for none). `required`: left empty it
/// is a problem too. Label it with `field` (ui.js), which places the whole widget.
export function dateInput({ id, value = '', time = true, required = false, className, disabled = false }) {
  made += 1;
  const hintId = `date-hint-${made}`;
  const errorId = `date-error-${made}`;
  const format = t(time ? 'date_field.format_date_time' : 'date_field.format_date');
  const example = wallText(SAMPLE, time);
  const input = h('input', {
    id, class: ['date-input', className].filter(Boolean).join(' '), autocomplete: 'off', spellcheck: 'false',
    placeholder: format, 'aria-required': required && 'true', 'aria-describedby': hintId, disabled,
  });
  const text = () => NATIVE.get.call(input);
  Object.defineProperty(input, 'value', {
    get() {
      const read = readWall(text(), time);
      // Text that names no date is never taken for an empty field.
      return read.problem ? text().trim() : read.value;
    },
    set(wall) {
      const read = wall ? readWall(String(wall).replace('T', ' ').slice(0, 16), time) : { value: '' };
      NATIVE.set.call(input, read.value ? wallText(read.value, time) : String(wall ?? ''));
      say('');
    },
  });
  const hint = h('span', { class: 'hint date-hint', id: hintId },
    t(time ? 'date_field.hint_date_time' : 'date_field.hint_date', { example }));
  const error = h('span', { class: 'error date-error', id: errorId });
  const say = (message) => {
    error.textContent = message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', message ? `${errorId} ${hintId}` : hintId);
  };
  /// What is wrong with the field (an empty required one too), said beside it; '' when
  /// nothing.
  const check = () => {
    const read = readWall(text(), time);
    let message = '';
    if (read.problem === 'unreadable') {
      message = t(time ? 'date_field.unreadable_time' : 'date_field.unreadable', { field: labelOf(input), text: text().trim(), format, example });
    } else if (read.problem) {
      message = t(`date_field.${read.problem}`, { field: labelOf(input), date: read.date, time: read.time });
    } else if (required && !read.value) {
      message = t('date_field.missing', { field: labelOf(input) });
    }
    say(message);
    return message;
  };
  checks.set(input, check);
  // On leaving the field: the date written the console's way, or the field marked wrong. The
  // words wait for the form's sending: appearing now, they would move whatever the pointer
  // that left the field is about to click.
  input.addEventListener('change', () => {
    const read = readWall(text(), time);
    if (read.problem) input.setAttribute('aria-invalid', 'true');
    else input.value = read.value;
  });
  const calendar = dateCalendar(input, { time, disabled, popupId: `date-calendar-${made}` });
  input.addEventListener('keydown', (event) => {
    // As on a native date input: Alt+Down opens the calendar.
    if (event.altKey && event.key === 'ArrowDown') {
      event.preventDefault();
      calendar.open();
    }
  });
  h('div', { class: 'widget date-field' }, h('div', { class: 'date-row' }, input, calendar.button, calendar.popup), hint, error);
  input.value = value;
  return input;
}

/// The calendar beside `input`: a button that opens it (a popover anchored to the button), the
/// day picked by click, Enter or Space written into the input with its time kept (00:00 when
/// it had none, selected so that typing replaces it).
function dateCalendar(input, { time, disabled, popupId }) {
  const days = h('calendar-date', { locale: locale(), 'first-day-of-week': 1 },
    h('span', { slot: 'previous' }, t('date_field.previous')),
    h('span', { slot: 'next' }, t('date_field.next')),
    h('calendar-month'));
  const popup = h('div', { id: popupId, class: 'date-calendar', popover: 'auto', role: 'dialog' }, days);
  const button = h('button', { type: 'button', class: 'date-pick', popovertarget: popupId, disabled }, t('date_field.calendar'));
  // Named after the field's label, which `field` gives the input after this is made.
  const name = () => {
    const label = labelOf(input);
    button.setAttribute('aria-label', t('date_field.pick', { field: label }));
    popup.setAttribute('aria-label', t('date_field.calendar_label', { field: label }));
  };
  button.addEventListener('focus', name);
  button.addEventListener('pointerenter', name);
  popup.addEventListener('beforetoggle', (event) => {
    if (event.newState !== 'open') return;
    name();
    const day = /^\d{4}-\d{2}-\d{2}/.exec(input.value)?.[0] ?? '';
    days.value = day;
    if (day) days.focusedDate = day;
  });
  popup.addEventListener('toggle', (event) => {
    if (event.newState === 'open') days.focus();
  });
  days.addEventListener('change', () => {
    const kept = /T(\d\d:\d\d)$/.exec(input.value)?.[1] ?? '00:00';
    input.value = time ? `${days.value}T${kept}` : days.value;
    popup.hidePopover();
    input.focus();
    const shown = NATIVE.get.call(input);
    if (time) input.setSelectionRange(shown.length - 5, shown.length);
  });
  return { button, popup, open: () => popup.showPopover({ source: button }) };
}

/// Why a date field within `root` cannot be sent (text that names no date, a required one
/// left empty), in the user's words naming the field by its label, with the focus taken to
/// it; '' when every one can.
export function dateProblem(root) {
  for (const input of root.querySelectorAll('input.date-input')) {
    const message = checks.get(input)?.();
    if (message) {
      input.focus();
      return message;
    }
  }
  return '';
}
