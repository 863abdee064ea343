// An administrator's users: the list a page at a time, found by name; making a user; and for
// one user, their role, unit and court, disabling or enabling their sign-in, a new password
// (which ends their sessions) and lifting a lock-out after too many wrong passwords. Every
// change is the API's `PATCH /users/{id}`, audited there.

import { api, enumerations, get, getAll, pages, post } from '../api.js';
import { t, term } from '../i18n.js';
import { dateTime } from '../format.js';
import { announce, attempt, badge, failure, field, h, keepingFocus, pagedTable, section, select } from '../ui.js';

const patch = (id, change) => api('PATCH', `/users/${id}`, change);

/// A user's sign-in in words: disabled, locked (until when) or active.
function signIn(user) {
  if (user.disabled) return badge('bad', t('users.disabled'));
  if (user.locked_until_ms) return badge('warn', t('users.locked_until', { until: dateTime(user.locked_until_ms) }));
  return badge('ok', t('users.active'));
}

/// The unit choices: none, then each unit (a department with its territorial unit).
function unitOptions(units) {
  const name = (id) => units.find((u) => u.id === id)?.name ?? '';
  return [['', t('users.no_unit')], ...units.map((u) => [u.id, u.parent_id ? `${u.name} (${name(u.parent_id)})` : u.name])];
}

export async function render(root, { user, args }) {
  const [units, enums] = await Promise.all([getAll('/units'), enumerations()]);
  const chosen = args[0] ? await get(`/users/${Number(args[0])}`) : null;
  const reload = () => render(root, { user, args });
  const unitName = (id) => units.find((u) => u.id === id)?.name ?? '—';

  // The list: the first page, then more on asking; a search asks the server again.
  const search = h('input', { type: 'search', name: 'q', id: 'users-search', autocomplete: 'off', value: sessionStorage.getItem('sargs.users_q') ?? '' });
  const row = (u) => h('tr', { dataset: { user: u.id }, class: chosen?.id === u.id ? 'selected' : undefined },
    [h('a', { href: `#/users/${u.id}` }, u.username), u.display_name, term('role', u.role), unitName(u.unit_id), signIn(u)]
      .map((c) => h('td', {}, c)));
  const holder = h('div');
  const find = async () => {
    sessionStorage.setItem('sargs.users_q', search.value);
    const list = pages('/users', { q: search.value.trim() });
    holder.replaceChildren(...(await pagedTable(t('users.list'),
      [t('users.username'), t('users.display_name'), t('users.role'), t('users.unit'), t('users.sign_in')], list, row, { class: 'users', id: 'users' })));
  };
  const findNow = () => find().catch((e) => announce(failure(e), 'error'));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      findNow();
    }
  });
  await find();
  const listing = section(t('users.list'),
    h('div', { class: 'toolbar' }, field(t('users.search'), search), h('button', { type: 'button', id: 'users-find', onclick: findNow }, t('users.find'))),
    holder);

  const parts = [h('h1', {}, t('users.title')), listing];
  if (chosen) parts.push(manage(chosen, user, units, enums.role, reload));
  parts.push(create(units, enums.role));
  keepingFocus(root, () => root.replaceChildren(...parts));
}

/// The form for a new user; the password must meet the API's rule (said in words if not).
function create(units, roles) {
  const username = h('input', { name: 'username', id: 'new-username', autocomplete: 'off' });
  const display = h('input', { name: 'display_name', id: 'new-display-name', autocomplete: 'off' });
  const role = select('role', roles.map((r) => [r, term('role', r)]), { id: 'new-role' });
  const unit = select('unit_id', unitOptions(units), { id: 'new-unit' });
  const court = h('input', { name: 'court', id: 'new-court', autocomplete: 'off' });
  const password = h('input', { name: 'password', id: 'new-password', type: 'password', autocomplete: 'new-password' });
  const form = h('form', { id: 'user-form', class: 'inline-form' },
    field(t('users.username'), username), field(t('users.display_name'), display), field(t('users.role'), role),
    field(t('users.unit'), unit), field(t('users.court'), court), field(t('users.password'), password),
    h('p', { class: 'hint' }, t('users.password_hint')),
    h('button', { type: 'submit', class: 'primary', id: 'user-create' }, t('users.create')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const made = {
      username: username.value.trim(),
      display_name: display.value,
      role: role.value,
      unit_id: unit.value ? Number(unit.value) : null,
      court: role.value === 'court' ? court.value.trim() || null : null,
      password: password.value,
    };
    return attempt(async () => {
      const user = await post('/users', made);
      location.hash = `#/users/${user.id}`;
    }, t('users.created', { name: made.username }), async () => {});
  });
  return section(t('users.new'), form);
}

/// One user: role, unit and court; disable or enable; a new password; lift a lock-out.
function manage(chosen, me, units, roles, reload) {
  const display = h('input', { name: 'display_name', id: 'edit-display-name', value: chosen.display_name });
  const role = select('role', roles.map((r) => [r, term('role', r)]), { id: 'edit-role' });
  role.value = chosen.role;
  const unit = select('unit_id', unitOptions(units), { id: 'edit-unit' });
  unit.value = chosen.unit_id ?? '';
  const court = h('input', { name: 'court', id: 'edit-court', value: chosen.court ?? '' });
  const edit = h('form', { id: 'user-edit', class: 'inline-form' },
    field(t('users.display_name'), display), field(t('users.role'), role), field(t('users.unit'), unit), field(t('users.court'), court),
    h('button', { type: 'submit', class: 'primary', id: 'user-save' }, t('users.save')));
  edit.addEventListener('submit', (event) => {
    event.preventDefault();
    const change = { display_name: display.value, role: role.value };
    if (unit.value) change.unit_id = Number(unit.value);
    // A court is a court user's only.
    if (role.value === 'court') change.court = court.value.trim() || null;
    return attempt(() => patch(chosen.id, change), t('users.saved'), reload);
  });

  const password = h('input', { name: 'password', id: 'reset-password', type: 'password', autocomplete: 'new-password' });
  const reset = h('form', { id: 'user-password', class: 'inline-form' },
    field(t('users.new_password'), password),
    h('p', { class: 'hint' }, t('users.password_reset_hint')),
    h('button', { type: 'submit', id: 'user-reset' }, t('users.reset_password')));
  reset.addEventListener('submit', (event) => {
    event.preventDefault();
    return attempt(() => patch(chosen.id, { password: password.value }), t('users.password_set'), reload);
  });

  const self = me.id === chosen.id;
  const actions = h('div', { class: 'toolbar' },
    chosen.disabled
      ? h('button', { type: 'button', id: 'user-enable', onclick: () => attempt(() => patch(chosen.id, { disabled: false }), t('users.enabled_done'), reload) }, t('users.enable'))
      : !self && h('button', { type: 'button', id: 'user-disable', onclick: () => attempt(() => patch(chosen.id, { disabled: true }), t('users.disabled_done'), reload) }, t('users.disable')),
    chosen.locked_until_ms
      ? h('button', { type: 'button', id: 'user-unlock', class: 'primary', onclick: () => attempt(() => patch(chosen.id, { unlock: true }), t('users.unlocked_done'), reload) }, t('users.unlock'))
      : null);
  return section(chosen.display_name,
    h('p', { id: 'user-state' }, `${chosen.username} · ${term('role', chosen.role)} · `, signIn(chosen)),
    actions, edit, reset);
}
