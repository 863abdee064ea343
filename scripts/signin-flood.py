#!/usr/bin/env python3
"""Helper of scripts/bench-signin-flood (standard library only): failed sign-ins at a steady rate.

  flood BASE RATE SECONDS MODE OUT    POST /api/v1/session with a wrong password RATE times a
                                      second for SECONDS, each under a name not seen before;
                                      then writes a JSON summary to OUT
  MODE one    every sign-in from 127.0.0.1 (one client address: the rate limiter's case)
  MODE many   from 127.0.1.1 .. 127.0.1.250 in turn, so no address and no name passes its
              limit and every sign-in reaches the password check (a distributed flood)

A sign-in is sent at its instant whether or not earlier ones were answered (a pool of threads),
so a slow server does not slow the flood down.
"""

import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ADDRESSES = [f"127.0.1.{i}" for i in range(1, 251)]


def attempt(host, port, source, name, statuses, lock):
    body = json.dumps({"username": name, "password": "not the password at all"})
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
        conn.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
        status = conn.getresponse().status
        conn.close()
    except OSError as e:
        status = type(e).__name__
    took_ms = (time.monotonic() - started) * 1000
    with lock:
        statuses.setdefault(str(status), []).append(took_ms)


def flood(base, rate, seconds, mode, out):
    host, port = base.removeprefix("http://").split(":")
    port = int(port)
    statuses, lock = {}, threading.Lock()
    total = int(rate * seconds)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=256) as pool:
        for i in range(total):
            due = start + i / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            source = "127.0.0.1" if mode == "one" else ADDRESSES[i % len(ADDRESSES)]
            pool.submit(attempt, host, port, source, f"flood{i}", statuses, lock)
        sent_s = time.monotonic() - start
    summary = {"mode": mode, "sent": total, "sent_per_s": round(total / sent_s, 1)}
    for status, times in sorted(statuses.items()):
        times.sort()
        summary[status] = {"count": len(times), "p50_ms": round(times[len(times) // 2], 1),
                           "max_ms": round(times[-1], 1)}
    with open(out, "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    if len(sys.argv) != 7 or sys.argv[1] != "flood":
        sys.exit(__doc__)
    flood(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6])
