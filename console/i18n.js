// Every word the console shows comes from a catalog (i18n/lv.json, i18n/en.json), chosen by the
// user, remembered in localStorage, and defaulting to the browser's languages.

const LANGUAGES = ['lv', 'en'];
const STORE_KEY = 'sargs.lang';
let catalog = {};
let current = 'lv';

export function initialLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const preferred = (navigator.languages ?? [navigator.language]).map((l) => l.slice(0, 2));
  return preferred.find((l) => LANGUAGES.includes(l)) ?? 'lv';
}

export async function setLanguage(lang) {
  const response = await fetch(`/console/i18n/${lang}.json`);
  catalog = await response.json();
  current = lang;
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
}

export const language = () => current;
export const languages = () => LANGUAGES;

/// The BCP 47 locale for dates and numbers.
export const locale = () => (current === 'lv' ? 'lv-LV' : 'en-GB');

/// The text of `key`, with `{name}` placeholders filled from `params`. A missing key shows
/// itself, so that a gap is visible rather than silently blank.
export function t(key, params = {}) {
  const text = catalog[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/// Whether the catalog has words for `key`.
export function hasWords(key) {
  return key in catalog;
}

/// A code from the API (an alert kind, a state) in words: `prefix.code`, or the code itself.
/// How a frame arrived, in words: MQTT, a serial line by its path, or the adapter of a
/// device of another protocol.
export function via(code) {
  if (!code) return '';
  if (code.startsWith('serial:')) return t('via.serial', { line: code.slice('serial:'.length) });
  return term('via', code);
}

export function term(prefix, code) {
  if (code === null || code === undefined) return '';
  return catalog[`${prefix}.${code}`] ?? String(code);
}
