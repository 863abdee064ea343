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
