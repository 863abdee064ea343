// The console's shell: who is signed in, the header (navigation by role, language, sound,
// sign-out), and the pages by the address's #fragment, each drawn again when the language
// changes.

import { api, ApiError, forgetPermissions, get, whenSessionEnds } from './api.js';
import { dateTime, number } from './format.js';
import { initialLanguage, language, languages, setLanguage, t, term } from './i18n.js';
import { announce, failure, field, h, keepingFocus } from './ui.js';
import { drawStorage, stopWatchingStorage, watchStorage } from './storage.js';
import * as alerts from './pages/alerts.js';
import * as caseload from './pages/caseload.js';
import * as client from './pages/client.js';
import * as clientForm from './pages/client-form.js';
import * as orderForm from './pages/order-form.js';
import * as devices from './pages/devices.js';
import * as fleet from './pages/fleet.js';
import * as orders from './pages/orders.js';
import * as units from './pages/units.js';
import * as users from './pages/users.js';
import * as victims from './pages/victims.js';

/// Each role's pages, the first being its home.
const NAV = {
  operator: [['alerts', 'nav.alerts'], ['fleet', 'nav.fleet']],
  officer: [['caseload', 'nav.caseload'], ['alerts', 'nav.alerts'], ['fleet', 'nav.fleet']],
  supervisor: [['unit', 'nav.unit'], ['alerts', 'nav.alerts'], ['fleet', 'nav.fleet']],
  technician: [['devices', 'nav.devices']],
  court: [['orders', 'nav.orders']],
  admin: [['alerts', 'nav.alerts'], ['caseload', 'nav.caseload'], ['devices', 'nav.devices'], ['users', 'nav.users'], ['units', 'nav.units'], ['victims', 'nav.victims']],
};

const PAGES = {
  alerts: alerts.render,
  caseload: caseload.render,
  unit: caseload.renderUnit,
  // `#/clients/new`, `#/clients/{id}/edit`, `#/clients/{id}/order[/{order}]`, `#/clients/{id}`.
  clients: (root, context) => {
    const [first, second] = context.args;
    if (first === 'new' || second === 'edit') return clientForm.render(root, context);
    if (second === 'order') return orderForm.render(root, context);
    return client.render(root, context);
  },
  devices: devices.render,
  fleet: fleet.render,
  orders: orders.render,
  units: units.render,
  users: users.render,
  victims: victims.render,
};

/// `ended`: the session ended under the user, who is asked to sign in again and then comes back
/// to the page they were on (the address keeps it meanwhile).
const state = { user: null, config: { map_tiles: null }, leave: null, renders: 0, ended: false };

const main = () => document.getElementById('main');

/// Any request answered 401 while signed in, or the live feed refused: the page goes (with
/// its feed) and the sign-in form says why.
function sessionEnded() {
  if (!state.user) return;
  state.user = null;
  forgetPermissions();
  state.ended = true;
  route();
}

async function start() {
  whenSessionEnds(sessionEnded);
  await setLanguage(initialLanguage());
  state.config = await fetch('/console/config').then((r) => r.json()).catch(() => state.config);
  try {
    state.user = await get('/session');
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) announce(failure(error), 'error');
    state.user = null;
  }
  // The skip link moves the focus to the page itself; followed as a link, its #main would be
  // taken for a page's address and lead home.
  document.getElementById('skip').addEventListener('click', (event) => {
    event.preventDefault();
    main().focus();
  });
  window.addEventListener('hashchange', route);
  await route();
}

function header() {
  const top = document.getElementById('top');
  document.getElementById('skip').textContent = t('nav.skip');
  document.title = t('app.title');
  const lang = h('select', { id: 'language', 'aria-label': t('nav.language') },
    languages().map((l) => h('option', { value: l, selected: l === language() }, t(`language.${l}`))));
  lang.addEventListener('change', async () => {
    await setLanguage(lang.value);
    announce('');
    await route();
  });
  const items = [h('span', { class: 'brand' }, h('img', { src: '/console/icon.svg', alt: '' }), t('app.name'))];
  if (state.user) {
    const page = currentPath()[0];
    items.push(h('nav', { 'aria-label': t('nav.main') }, h('ul', {},
      (NAV[state.user.role] ?? []).map(([path, key]) => h('li', {},
        h('a', { href: `#/${path}`, id: `nav-${path}`, 'aria-current': page === path ? 'page' : undefined }, t(key)))))));
  }
  items.push(h('div', { class: 'tools' },
    lang,
    state.user && h('span', { class: 'who', id: 'who' }, `${state.user.display_name} (${term('role', state.user.role)})`),
    state.user && h('button', { type: 'button', id: 'logout', onclick: logout }, t('nav.logout'))));
  // Drawn again on every page and language change: the focus stays on the language switch
  // or the link that had it.
  keepingFocus(top, () => top.replaceChildren(...items.filter(Boolean)), null);
}

/// Shows a page: by changing the address (which draws it), or at once if it is already there.
async function go(path) {
  if (location.hash === `#/${path}`) await route();
  else location.hash = `#/${path}`;
}

function currentPath() {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

async function route() {
  if (state.leave) state.leave();
  state.leave = null;
  header();
  if (!state.user) {
    stopWatchingStorage();
    return loginPage();
  }
  watchStorage();
  drawStorage();
  const [page, ...rest] = currentPath();
  const home = (NAV[state.user.role] ?? [['alerts']])[0][0];
  if (!page || !PAGES[page]) {
    location.replace(`#/${home}`);
    return;
  }
  // Each page draws into a container of its own: a page still loading when the session ends
  // (or another page is chosen) then draws into a container no longer on the page, never over
  // the sign-in form or the newer page.
  const root = h('div', { class: 'page', tabindex: '-1' }, h('p', { class: 'loading' }, t('common.loading')));
  main().replaceChildren(root);
  // A page drawn after another began is dropped, with its live feed.
  const mine = ++state.renders;
  try {
    const leave = await PAGES[page](root, { user: state.user, config: state.config, args: rest });
    if (mine === state.renders) state.leave = leave;
    else if (leave) leave();
  } catch (error) {
    // An ended session has drawn the sign-in form already.
    if (error instanceof ApiError && error.status === 401) return;
    root.replaceChildren(h('p', { class: 'error' }, failure(error)));
  }
}

function loginPage() {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = h('form', { class: 'login card', id: 'login' },
    h('h1', {}, t('login.title')),
    state.ended ? h('p', { class: 'error', id: 'session-ended', role: 'alert' }, t('login.ended')) : null,
    h('p', {}, t('login.intro')),
    field(t('login.username'), username),
    field(t('login.password'), password),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('login.submit')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const answer = await api('POST', '/session', { username: username.value, password: password.value });
      state.user = answer.user;
      forgetPermissions();
      announce('');
      // Back where the session ended, else home.
      if (state.ended && currentPath().length) {
        state.ended = false;
        await route();
      } else {
        state.ended = false;
        await go((NAV[state.user.role] ?? [['alerts']])[0][0]);
      }
    } catch (e) {
      error.textContent = signInRefused(e);
    }
  });
  main().replaceChildren(form);
  username.focus();
}

/// Why a sign-in was refused, in words: a locked account says until when (Riga time).
function signInRefused(e) {
  if (!(e instanceof ApiError)) return failure(e);
  if (e.body?.error === 'locked_out' && e.body.until) return t('login.locked', { until: dateTime(e.body.until) });
  if (e.status === 429) return t('login.slow_down', { seconds: number(e.body?.retry_after_s ?? 60) });
  if (e.status === 401) return t('login.wrong');
  return failure(e);
}

async function logout() {
  // Signing out is not the session ending under the user.
  state.user = null;
  forgetPermissions();
  try {
    await api('DELETE', '/session');
  } catch (error) {
    // Signed out already (the session ended): the sign-in page is right either way.
    if (!(error instanceof ApiError && error.status === 401)) announce(failure(error), 'error');
  }
  await go('');
}

start();
