#!/usr/bin/env python3
"""The console's pages on first load, as HTTP requests (scripts/bench-console-scale).

Each page below asks the API what console/pages/<page>.js asks on first load, in the same
order, the requests the page makes at once (Promise.all) made at once, at most six at a time
(a browser's connections per host over HTTP/1.1). Only the API's time is measured: no
JavaScript, no drawing.

  console-scale.py BASE PASSWORD LOADS BUDGET_S PAGE:USER ...
      prints one line per page: loads, p50, p90, max (ms), requests per load
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

PARALLEL = 6
MAX_PAGE = 500
RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "warning": 0}


def iso(t):
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Session:
    """One signed-in user: a cookie, a connection per thread, a request count."""

    def __init__(self, base, username, password):
        self.host = urllib.parse.urlparse(base).netloc
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(PARALLEL)
        self.requests = 0
        self.lock = threading.Lock()
        conn = http.client.HTTPConnection(self.host)
        body = json.dumps({"username": username, "password": password})
        conn.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 200:
            sys.exit(f"sign-in of {username}: {answer.status} {text[:200]!r}")
        cookie = answer.getheader("Set-Cookie").split(";")[0]
        self.headers = {"Cookie": cookie}
        self.user = json.loads(text)["user"]

    def get(self, path, params=None, fail_ok=False):
        if params:
            q = {k: v for k, v in params.items() if v is not None}
            if q:
                path += "?" + urllib.parse.urlencode(q)
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, timeout=600)
        conn.request("GET", "/api/v1" + path, headers=self.headers)
        answer = conn.getresponse()
        text = answer.read()
        with self.lock:
            self.requests += 1
        if answer.status != 200:
            if fail_ok:
                return None
            raise RuntimeError(f"GET {path}: {answer.status} {text[:200]!r}")
        return json.loads(text)

    def get_all(self, path, params=None, cursor="after", key=lambda r: r["id"]):
        rows, at = [], None
        while True:
            got = self.get(path, {**(params or {}), cursor: at, "limit": MAX_PAGE})
            rows += got
            if len(got) < MAX_PAGE:
                return rows
            at = key(got[-1])

    def at_once(self, *calls):
        """Promise.all: the calls run together, each on a browser-like connection. A call made
        from inside another (a nested Promise.all) runs in the caller's thread."""
        if getattr(self.local, "inside", False):
            return [c() for c in calls]

        def run(c):
            self.local.inside = True
            try:
                return c()
            finally:
                self.local.inside = False

        return [f.result() for f in [self.pool.submit(run, c) for c in calls]]

    def observations_between(self, device, start, end):
        rows, cursor = [], {}
        while True:
            got = self.get(f"/devices/{device}/observations", {"from": start, "to": end, "limit": 5000, **cursor})
            rows += got
            if len(got) < 5000:
                return rows
            start, cursor = got[-1]["device_time"], {"after_seq": got[-1]["seq"]}


def directory(s):
    return s.at_once(lambda: s.get_all("/clients"), lambda: s.get_all("/orders"))


def queue(s, _):
    """alerts.js render(): enumerations and units; then the first page of the queue and the
    open alerts the title counts (and the routes the role may use). Each alert carries its
    client's name and its order's time zone."""
    s.at_once(lambda: s.get("/enumerations"), lambda: s.get_all("/units"))
    s.at_once(
        lambda: s.get("/alerts", {"sort": "severity", "unresolved": "true", "limit": MAX_PAGE}),
        lambda: s.get("/alerts", {"state": "open", "limit": MAX_PAGE}),
        lambda: s.get("/session/routes"),
    )


def queue_directory(s, arg):
    """The queue as it was before the alerts carried names: every client and order of the
    caller's care loaded first to name them (for comparison in one run)."""
    directory(s)
    queue(s, arg)


def caseload_page(s, fixed):
    """caseload.js caseloadBrowser(): the first page of 25 (and one to know of more)."""
    s.get("/caseload", {**fixed, "after": 0, "limit": 26})


def caseload(s, _):
    """caseload.js render() for an officer: the routes, units, the new-client link; then the
    first page of their caseload with each client's state."""
    s.at_once(lambda: s.get("/session/routes"), lambda: s.get("/units", fail_ok=True))
    caseload_page(s, {"officer_id": s.user["id"]})


def unit(s, _):
    """caseload.js renderUnit(): users, the unit's open alerts, the alert load over the last
    day; then the first page of the unit's caseload."""
    now = datetime.now(timezone.utc)
    s.at_once(
        lambda: s.get_all("/users"),
        lambda: s.get_all("/alerts", {"state": "open"}, cursor="before"),
        lambda: s.get("/session/routes"),
        lambda: s.get("/alerts/open-over-time", {"from": iso(now - timedelta(days=1)), "to": iso(now), "points": 97}),
    )
    caseload_page(s, {})


def client(s, client_id):
    """client.js render() for one client of the caller's, with the nights band's report."""
    now = datetime.now(timezone.utc)
    _c, orders, _g, _e, _r = s.at_once(
        lambda: s.get(f"/clients/{client_id}"),
        lambda: s.get_all("/orders", {"client_id": client_id}),
        lambda: s.get(f"/clients/{client_id}/state", fail_ok=True),
        lambda: s.get("/enumerations"),
        lambda: s.get("/session/routes"),
    )
    order = next((o for o in orders if o["status"] == "active"), orders[0] if orders else None)
    oid = order["id"]
    fittings, *_ = s.at_once(
        lambda: s.get(f"/orders/{oid}/devices", fail_ok=True) or [],
        lambda: s.get(f"/orders/{oid}/timetable", fail_ok=True),
        lambda: s.get(f"/clients/{client_id}/episodes", {"from": iso(now - timedelta(days=30)), "to": iso(now + timedelta(seconds=60))}),
        lambda: s.get_all("/alerts", {"client_id": client_id}, cursor="before"),
        lambda: s.get("/notes", {"client_id": client_id}, fail_ok=True),
        lambda: s.get("/absences", {"order_id": oid}, fail_ok=True),
        lambda: s.get(f"/orders/{oid}/revisions", fail_ok=True),
    )
    fitted = [f for f in fittings if not f.get("removed")]
    if fitted:
        s.observations_between(fitted[0]["device_id"], iso(now - timedelta(days=1)), iso(now + timedelta(seconds=60)))
    s.at_once(
        lambda: s.get(f"/orders/{oid}/zones", fail_ok=True),
        lambda: s.get(f"/orders/{oid}/report", {"from": (now - timedelta(days=13)).date().isoformat(), "to": now.date().isoformat(), "format": "json"}),
    )


def fleet(s, _):
    """fleet.js render(): every client in care with their state and last fix, a page of 500
    at a time (GET /fleet)."""
    s.get("/session/routes")
    s.get_all("/fleet", key=lambda r: r["client_id"])


PAGES = {"queue": queue, "queue-directory": queue_directory, "caseload": caseload, "unit": unit, "client": client, "fleet": fleet}


def main():
    base, password, loads, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    for spec in sys.argv[5:]:
        page, username = spec.split(":")
        s = Session(base, username, password)
        arg = None
        if page == "client":
            mine = s.get("/clients", {"officer_id": s.user["id"], "limit": 1})
            arg = mine[0]["id"]
        times, started = [], time.monotonic()
        s.requests = 0
        try:
            while len(times) < loads and (not times or time.monotonic() - started < budget):
                t0 = time.monotonic()
                PAGES[page](s, arg)
                times.append((time.monotonic() - t0) * 1000)
        except RuntimeError as e:
            print(f"{page:12} {username:14} failed: {e}")
            continue
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"{page:12} {username:14} loads {len(times):3}  p50 {statistics.median(times):9.0f} ms"
              f"  p90 {p90:9.0f} ms  max {times[-1]:9.0f} ms  {s.requests // len(times)} requests/load", flush=True)


if __name__ == "__main__":
    main()
