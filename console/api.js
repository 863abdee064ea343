// The API, same origin: the session cookie goes by itself (HttpOnly, the page never holds it).
// Changes send JSON with its Content-Type; the browser adds the page's Origin, which the API
// asks of every change made with the cookie (docs/api.md).

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/// What to do when a request finds the session ended (signed out elsewhere, revoked, idle past
/// the limit): the shell shows the sign-in form again.
let ended = () => {};
export function whenSessionEnds(handler) {
  ended = handler;
}

/// Counts sign-ins: a 401 to a request sent before the latest sign-in (a poll in flight while
/// the user signed in again) speaks of the session before, not of this one.
let signIns = 0;

export async function api(method, path, body) {
  const signIn = method === 'POST' && path === '/session';
  const sentUnder = signIns;
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  // A refused sign-in is a wrong password, not an ended session.
  if (response.status === 401 && !signIn && sentUnder === signIns) ended();
  if (!response.ok) throw new ApiError(response.status, data);
  if (signIn) signIns += 1;
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/// A query string from the fields that are set.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/// The API's largest page; a test may ask for smaller ones (`sargs.page_size` in localStorage)
/// to see the console page through a list without making hundreds of rows.
const MAX_PAGE = 500;
export function pageSize(max = MAX_PAGE) {
  const asked = Number(localStorage.getItem('sargs.page_size'));
  return Number.isInteger(asked) && asked >= 1 && asked <= max ? asked : max;
}

/// A paged list, a page at a time: `next()` asks for the page after the last row seen (the
/// cursor `after`, the last row's id; the alerts, newest first, page with `before`) and gives
/// its rows; `done` once a page came back short. `rows` picks the rows out of an answer that
/// holds more than the list (`last` keeps the latest answer whole).
export function pages(path, params = {}, { cursor = 'after', key = (row) => row.id, rows = (answer) => answer } = {}) {
  const limit = pageSize();
  let at;
  const list = {
    done: false,
    last: null,
    async next() {
      if (list.done) return [];
      const answer = await get(`${path}${query({ ...params, [cursor]: at, limit })}`);
      const got = rows(answer);
      list.last = answer;
      if (got.length < limit) list.done = true;
      else at = key(got.at(-1));
      return got;
    },
  };
  return list;
}

/// Every row of a paged list, page after page: for a page that needs the whole set (names to
/// join, a caseload to sort), never cut off at one page.
export async function getAll(path, params = {}, options = {}) {
  const list = pages(path, params, options);
  const all = [];
  while (!list.done) all.push(...(await list.next()));
  return all;
}

/// Every observation a device sent over a time range, a page at a time (up to 5 000): each next
/// page starts at the last row's device time with its seq as the cursor (`after_seq`), so rows
/// sent at one instant are neither repeated nor skipped.
export async function observationsBetween(device, from, to) {
  const limit = pageSize(5000);
  const all = [];
  let cursor = {};
  for (;;) {
    const got = await get(`/devices/${device}/observations${query({ from, to, limit, ...cursor })}`);
    all.push(...got);
    if (got.length < limit) return all;
    const last = got.at(-1);
    from = last.device_time;
    cursor = { after_seq: last.seq };
  }
}

/// What the signed-in user's role may do (`GET /session/routes`, read from the API's own table
/// of routes and roles): the console offers an action only where the API would take it, and
/// keeps no copy of who may do what. Forgotten when the user signs in or out.
let permitted = null;
export async function may(method, path) {
  if (!permitted) {
    permitted = get('/session/routes')
      .then((routes) => new Set(routes.map((r) => `${r.method} ${r.path}`)))
      .catch((error) => { permitted = null; throw error; });
  }
  return (await permitted).has(`${method} /api/v1${path}`);
}
export function forgetPermissions() {
  permitted = null;
}

/// Every enumeration the API can send (`GET /enumerations`, read from the Rust types): the
/// console words their values (`term('alert_state', value)`) and never keeps its own copy.
let enumerated = null;
export function enumerations() {
  if (!enumerated) enumerated = get('/enumerations').catch((error) => { enumerated = null; throw error; });
  return enumerated;
}
