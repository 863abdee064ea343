// Building the page from data without innerHTML, so that nothing from the API is ever read as
// markup; and the few widgets every page uses.

import { hasWords, t, term } from './i18n.js';

/// An element: `h('button', { class: 'x', onclick }, 'text', child)`.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/// A table with a caption and column headers; `rows` are arrays of cells (text or nodes), or
/// `{ cells, attrs }` for a row with attributes.
export function table(caption, headers, rows, attrs = {}) {
  return h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length
      ? rows.map((r) => (Array.isArray(r) ? h('tr', {}, r.map((c) => h('td', {}, c))) : h('tr', r.attrs, r.cells.map((c) => h('td', {}, c)))))
      : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('common.none')))));
}

/// A table filled a page at a time from `list` (`pages()` in api.js): the first page at once,
/// each next on *Show more*, which goes once a page came back short. `row(item)` makes a <tr>;
/// `attrs.id` names the table and, with `-more`, its button.
export async function pagedTable(caption, headers, list, row, attrs = {}) {
  const body = h('tbody');
  const more = h('button', { type: 'button', id: attrs.id && `${attrs.id}-more` }, t('common.more'));
  const next = async () => {
    body.append(...(await list.next()).map(row));
    if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('common.none'))));
    more.hidden = list.done;
  };
  // One page at a time: a second click while a page is on its way would ask for it again.
  more.addEventListener('click', () => {
    more.disabled = true;
    next().catch((error) => announce(failure(error), 'error')).finally(() => { more.disabled = false; });
  });
  await next();
  return [h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    body), more];
}

/// A labelled form field; `control` is an input, select or textarea, placed with the widget
/// around it if it has one (an element of class `widget`: a date field's calendar and hint).
export function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control.closest('.widget') ?? control);
}

export function select(name, options, attrs = {}) {
  return h('select', { name, ...attrs }, options.map(([value, label]) => h('option', { value }, label)));
}

/// Runs `draw`, which replaces what `container` holds, and gives the focus back: to the new
/// element with the id of the one that had it, or to `fallback` if that is gone. Without this a
/// keyboard user would be thrown to the top of the page whenever the live feed or an action
/// draws part of it again.
export function keepingFocus(container, draw, fallback = container) {
  const had = container.contains(document.activeElement) ? document.activeElement : null;
  const result = draw();
  if (had && !had.isConnected) {
    const again = had.id ? document.getElementById(had.id) : null;
    (again && container.contains(again) ? again : fallback)?.focus({ preventScroll: true });
  }
  return result;
}

/// A section with a heading.
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/// A message for the user in the page's live region (screen readers read it out).
export function announce(text, kind = 'info') {
  const region = document.getElementById('status');
  if (!region) return;
  region.className = `status ${kind}`;
  region.textContent = text;
}

/// What went wrong with an API call, in words of the console's language, never the API's
/// English: the kind of error (`error.<kind>`), then each field by its label (`field.<name>`)
/// with its reason worded from its code (`field_error.<code>`), or, for a reason not yet
/// coded, that the value is not valid (or not possible now, for a conflict).
export function failure(error) {
  if (error?.status === 403) return t('error.forbidden');
  if (error?.status === 401) return t('error.signed_out');
  const kind = error?.body?.error;
  if (kind === 'storage_unavailable') return t('error.storage_unavailable');
  const uncoded = kind === 'conflict' ? t('error.field_conflict') : t('error.field_invalid');
  const fields = (error?.body?.fields ?? []).map((f) =>
    `${fieldLabel(f.field)}: ${f.code ? term('field_error', f.code) : uncoded}`).join('; ');
  const what = kind && hasWords(`error.${kind}`) ? t(`error.${kind}`) : t('error.failed');
  return [what, fields].filter(Boolean).join(' ');
}

/// A field of a request by its label: `terms.zones[1].shape` is the label of `field.shape`.
function fieldLabel(path) {
  const name = String(path).split('.').pop().replace(/\[\d+\]$/, '');
  return hasWords(`field.${name}`) ? t(`field.${name}`) : t('field.value');
}

/// Makes a change: says it worked and draws again, or says why not.
export async function attempt(change, done, redraw) {
  try {
    await change();
    announce(done, 'ok');
    await redraw();
  } catch (error) {
    announce(failure(error), 'error');
  }
}

/// A state badge: compliant / breach / unknown, open / acknowledged / resolved, severities.
export function badge(kind, text) {
  return h('span', { class: `badge badge-${kind}` }, text);
}
