#!/usr/bin/env python3
"""Helper of scripts/bench-alert-latency and scripts/bench-report (standard library only).

  people BASE                         a unit, an officer, an operator and a technician
  setup BASE FIRST_TAG COUNT          COUNT clients with an order and a fitted tag
  script FILE FIRST_TAG COUNT CYCLES PERIOD_MS SPACING_MS LEAD_MS
                                      a simulator script: each tag opens and closes its strap
  curfew BASE TAG DAYS                a client under a nightly curfew (22:00-06:00) since DAYS
                                      ago, with tag TAG fitted then; prints the order's id
  days FILE TAG DAYS EVERY_S          a simulator script: TAG's fix at home every EVERY_S
                                      seconds from DAYS ago to now
  listen BASE OUT                     the live feed as an operator: "arrival_ms id action" lines
  report DB FEED PHASE FIRST_TAG COUNT FROM_MS TO_MS
                                      latency of the phase's strap alerts, and where it goes

The admin's password comes from SARGS_PASSWORD. Times are wall-clock milliseconds on this
machine; the simulator stamps a live frame with the instant it records it (device time).
"""

import hashlib
import http.client
import json
import math
import os
import sqlite3
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

PASSWORD = "correct horse battery"
HOME = (56.9496, 24.1052)


def now_ms():
    return time.time_ns() // 1_000_000


def sim_key(seed, device):
    # The simulator's key for a device (src/simulate/fleet.rs).
    h = hashlib.sha256()
    h.update(b"sargs-sim")
    h.update(seed.to_bytes(8, "big"))
    h.update(device.to_bytes(8, "big"))
    return h.hexdigest()


class Api:
    def __init__(self, base, username, password):
        self.base = base
        self.cookie = None
        answer, headers = self.call("POST", "/api/v1/session",
                                    {"username": username, "password": password}, headers_too=True)
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def call(self, method, path, body=None, headers_too=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        # Changes made with the session cookie must come from sargs's own origin (issue 15).
        req.add_header("Origin", self.base)
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                answer = json.loads(text) if text else None
                return (answer, r.headers) if headers_too else answer
        except urllib.error.HTTPError as e:
            sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")


def people(base):
    admin = Api(base, "admin", os.environ["SARGS_PASSWORD"])
    unit = admin.call("POST", "/api/v1/units", {"name": "Bench"})
    for username, role in [("officer", "officer"), ("operator", "operator"),
                           ("technician", "technician")]:
        admin.call("POST", "/api/v1/users", {
            "username": username, "display_name": username, "role": role,
            "unit_id": unit["id"] if role == "officer" else None, "password": PASSWORD})


def client_with_tag(officer, technician, tag, starts, conditions):
    """A client at HOME under an order from `starts` with `conditions`, and TAG fitted then."""
    me = officer.call("GET", "/api/v1/session")
    officer_id = me.get("id") or me.get("user", {}).get("id")
    client = officer.call("POST", "/api/v1/clients", {
        "personal_code": f"010190-{tag:05d}", "given_name": "Bench",
        "family_name": f"Tag{tag}", "birth_date": "1990-01-01", "language": "lv",
        "officer_id": officer_id,
        "addresses": [{"id": "home", "street": "Brīvības iela 1, Rīga",
                       "zone": {"type": "circle", "centre": [HOME[1], HOME[0]],
                                "radius_m": 50.0}}]})
    order = officer.call("POST", "/api/v1/orders", {
        "client_id": client["id"], "court": "Rīgas pilsētas tiesa",
        "case_number": f"B-{tag}/2026",
        "terms": {
            "decision_date": starts.date().isoformat(),
            "legal_basis": "conditional_early_release",
            "starts": starts.isoformat(),
            "ends": (starts + timedelta(days=90)).isoformat(),
            **conditions}})
    technician.call("POST", "/api/v1/devices", {
        "device_id": tag, "serial": f"T-{tag}", "kind": "gps-tag", "model": "X1",
        "firmware": "1.4.2", "key": sim_key(1, tag)})
    technician.call("POST", f"/api/v1/devices/{tag}/fitting",
                    {"order_id": order["id"], "at": starts.isoformat()})
    return order["id"]


def setup(base, first_tag, count):
    officer = Api(base, "officer", PASSWORD)
    technician = Api(base, "technician", PASSWORD)
    starts = datetime.now(timezone.utc) - timedelta(days=1)
    far = {"zones": [{"id": "far", "kind": "exclusion",
                      "shape": {"type": "circle", "centre": [24.5, 57.2], "radius_m": 100.0}}]}
    orders = [client_with_tag(officer, technician, tag, starts, far)
              for tag in range(first_tag, first_tag + count)]
    deadline = time.time() + 60
    for order in orders:
        while not officer.call("GET", f"/api/v1/orders/{order}/monitoring")["in_force"]:
            if time.time() > deadline:
                sys.exit(f"order {order} never in force")
            time.sleep(0.05)
    print(f"   {count} clients, orders in force, tags {first_tag}..{first_tag + count - 1} fitted")


def curfew(base, tag, days):
    officer = Api(base, "officer", PASSWORD)
    technician = Api(base, "technician", PASSWORD)
    starts = datetime.now(timezone.utc) - timedelta(days=days)
    slots = [{"day": d, "start": "22:00", "end": "06:00"}
             for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    print(client_with_tag(officer, technician, tag, starts,
                          {"curfew": {"timetable": [{"address": "home", "slots": slots}]}}))


def days_script(path, tag, days, every_s):
    """A fix at home every EVERY_S seconds, a day to a report line, from DAYS ago to now."""
    start = datetime.now(timezone.utc) - timedelta(days=days)
    fix = f"fix = {{ lat = {HOME[0]}, lon = {HOME[1]}, accuracy_m = 8 }}"
    reports = [f'{{ at = "{d}d", until = "{d * 86400 + 86400 - every_s}s", '
               f'every = "{every_s}s", {fix} }}' for d in range(days)]
    with open(path, "w") as f:
        f.write(f'start = "{start.isoformat()}"\n[[devices]]\nid = {tag}\nkind = "gps-tag"\n'
                "reports = [\n  " + ",\n  ".join(reports) + ",\n]\n")


def script(path, first_tag, count, cycles, period_ms, spacing_ms, lead_ms):
    """Tag i opens its strap at lead + i*spacing + c*period and closes it half a period later."""
    start = datetime.fromtimestamp(now_ms() / 1000, timezone.utc).isoformat()
    lines = [f'start = "{start}"']
    for i in range(count):
        reports = []
        for c in range(cycles):
            at = lead_ms + i * spacing_ms + c * period_ms
            reports.append(f'{{ at = "{at}ms", event = "strap_opened" }}')
            reports.append(f'{{ at = "{at + period_ms // 2}ms", event = "strap_closed" }}')
        lines.append(f'[[devices]]\nid = {first_tag + i}\nkind = "gps-tag"\n'
                     f'reports = [\n  ' + ",\n  ".join(reports) + ",\n]")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def listen(base, out):
    operator = Api(base, "operator", PASSWORD)
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    conn.request("GET", "/api/v1/alerts/feed", headers={
        "Cookie": operator.cookie, "Accept": "text/event-stream"})
    r = conn.getresponse()
    if r.status != 200:
        sys.exit(f"feed: {r.status} {r.read()[:200]}")
    event_id = action = None
    with open(out, "w", buffering=1) as f:
        print("listening", file=f)
        while True:
            line = r.fp.readline()
            if not line:
                return
            t = now_ms()
            line = line.decode().rstrip("\n")
            if line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("event:"):
                action = line[6:].strip()
            elif line.startswith("data:") and event_id is not None:
                # The event is complete once its data line is in.
                print(t, event_id, action, file=f)
                event_id = action = None


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    # Nearest rank.
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def report(db, feed, phase, first_tag, count, from_ms, to_ms):
    arrivals = {}
    for line in open(feed):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "raised":
            arrivals[int(parts[1])] = int(parts[0])
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tags = tuple(range(first_tag, first_tag + count))
    marks = ",".join("?" * len(tags))
    # Each strap-opened frame of the phase's tags: device time, arrival at ingest.
    frames = {}
    for device, device_ms, received_ms in con.execute(
            f"SELECT device_id, device_time_ms, received_at_ms FROM observations "
            f"WHERE device_id IN ({marks}) AND device_time_ms BETWEEN ? AND ? "
            f"AND fields LIKE '%strap_opened%'", (*tags, from_ms, to_ms)):
        frames[(device, device_ms)] = received_ms
    # The order each tag is fitted under.
    device_of = dict(con.execute(
        f"SELECT order_id, device_id FROM assignments WHERE device_id IN ({marks})", tags))
    rows = con.execute(
        "SELECT e.id, a.order_id, a.start_ms, e.at_ms, a.id FROM alert_events e "
        "JOIN alerts a ON a.id = e.alert_id WHERE e.action = 'raised' AND a.kind = 'strap_opened' "
        "AND a.start_ms BETWEEN ? AND ?", (from_ms, to_ms)).fetchall()
    total, ingest, judged, raised, fed = [], [], [], [], []
    missing = 0
    worst = []
    for event_id, order, start_ms, at_ms, alert_id in rows:
        device = device_of.get(order)
        if device is None:
            continue
        arrival = arrivals.get(event_id)
        received = frames.get((device, start_ms))
        if arrival is None or received is None:
            missing += 1
            continue
        logged = con.execute(
            "SELECT MIN(l.logged_ms) FROM episode_log l JOIN alert_episodes ae "
            "ON ae.client_id = l.client_id AND ae.episode_id = l.episode_id "
            "WHERE ae.alert_id = ?", (alert_id,)).fetchone()[0]
        worst.append((arrival - start_ms, device, start_ms - from_ms, received - start_ms,
                      arrival - received))
        total.append(arrival - start_ms)
        ingest.append(arrival - received)
        judged.append((logged or at_ms) - received)
        raised.append(at_ms - (logged or at_ms))
        fed.append(arrival - at_ms)
    sent = len(frames)
    print(f"   {phase}: {len(total)} alerts of {sent} strap openings sent "
          f"({len(rows)} raised in the window, {missing} not matched)")

    def line(name, v):
        print(f"     {name:<44} p50 {pct(v, 50):>6} ms  p99 {pct(v, 99):>6} ms  "
              f"max {max(v) if v else float('nan'):>6} ms")
    line("frame recorded (device time) -> on the feed", total)
    line("frame received by ingest -> on the feed", ingest)
    line("  received -> judged (episode logged)", judged)
    line("  judged -> alert raised (event.at)", raised)
    line("  raised -> on the feed", fed)
    buckets = {}
    for t, device, offset, to_ingest, after in worst:
        buckets.setdefault(offset // 5000, []).append(t)
    print("     median by 5 s of the phase: " + ", ".join(
        f"+{b * 5}s {pct(v, 50)} ms" for b, v in sorted(buckets.items())))
    for t, device, offset, to_ingest, after in sorted(worst)[-3:]:
        print(f"     slowest: tag {device} at +{offset} ms: {t} ms = {to_ingest} ms to ingest"
              f" + {after} ms after")
    return 0 if total and len(total) == sent else 1


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "people":
        people(args[0])
    elif cmd == "setup":
        setup(args[0], int(args[1]), int(args[2]))
    elif cmd == "curfew":
        curfew(args[0], int(args[1]), int(args[2]))
    elif cmd == "days":
        days_script(args[0], *map(int, args[1:4]))
    elif cmd == "script":
        script(args[0], *map(int, args[1:7]))
    elif cmd == "listen":
        listen(args[0], args[1])
    elif cmd == "report":
        sys.exit(report(args[0], args[1], args[2], *map(int, args[3:7])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
