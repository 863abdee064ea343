// Whether evidence is being recorded. While the storage refuses writes no device is
// acknowledged and nothing new is judged, so every signed-in user, whatever their role and
// page, sees a banner saying so until it takes writes again. Asked every ten seconds.

import { get } from './api.js';
import { dateTime } from './format.js';
import { t, term } from './i18n.js';
import { h } from './ui.js';

const EVERY_MS = 10_000;
let timer = null;
let storage = null;

/// Starts asking (once signed in); a second call does nothing.
export function watchStorage() {
  if (timer) return;
  check();
  timer = setInterval(check, EVERY_MS);
}

/// Stops asking and takes the banner down (signed out).
export function stopWatchingStorage() {
  clearInterval(timer);
  timer = null;
  storage = null;
  drawStorage();
}

async function check() {
  let heard;
  try {
    heard = (await get('/service')).storage;
  } catch {
    // Signed out, or the service unreachable: the pages say so themselves.
    return;
  }
  // Signed out while the answer was on its way: it is no longer this user's to see.
  if (!timer) return;
  storage = heard;
  drawStorage();
}

/// Draws the banner as last heard, in the current language.
export function drawStorage() {
  const banner = document.getElementById('storage');
  if (!banner) return;
  if (!storage || storage.state !== 'refusing') {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.hidden = false;
  banner.replaceChildren(
    h('strong', {}, t('storage.title')), ' ',
    t('storage.refusing', { reason: term('storage_fault', storage.fault), since: dateTime(storage.since_ms) }));
}
