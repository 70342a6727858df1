#!/usr/bin/env python3
"""How soon another process sees an append: the read side's latency.

    feed_latency.py CIVIC_LEDGER [--appends 200]

One process follows the ledger (`civic-ledger log --follow --json`, a
LedgerFeed woken by the SQLite store's `PRAGMA data_version` watch);
another appends one event at a time (`civic-ledger append`). For each
append, the latency is from the moment the append process has returned
(its event is durable and acknowledged) to the moment the follower prints
that position; it is 0 when the follower printed it first. Prints p50,
p99 and max, and whether every position was seen once, in order. Exits 1
when one was not.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ledger_processes import Ledger, percentile  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--appends", type=int, default=200)
    args = parser.parse_args()
    ledger = Ledger(args.binary)
    follower = subprocess.Popen(
        [ledger.binary, "log", ledger.path, "--follow", "--json"], stdout=subprocess.PIPE, text=True, bufsize=1)
    seen = {}
    order = []

    def read():
        for line in follower.stdout:
            position = json.loads(line)["position"]
            seen.setdefault(position, time.monotonic())
            order.append(position)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    acknowledged = {}
    for number in range(args.appends):
        result = subprocess.run(ledger.append_command(), input=Ledger.event(f"f{number}"), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"append failed: {result.stderr}")
        acknowledged[json.loads(result.stdout)["position"]] = time.monotonic()
    deadline = time.monotonic() + 10
    while len(seen) < ledger.preamble + args.appends and time.monotonic() < deadline:
        time.sleep(0.01)
    follower.terminate()
    latencies = [max(0.0, seen[p] - t) for p, t in acknowledged.items() if p in seen]
    missing = [p for p in acknowledged if p not in seen]
    in_order = order == list(range(len(order)))
    print(
        f"feed latency over {args.appends} appends by another process: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies, default=0) * 1000:.1f} ms; "
        f"{'every position seen once, in order' if not missing and in_order else f'{len(missing)} missing, in order: {in_order}'}")
    sys.exit(1 if missing or not in_order else 0)


if __name__ == "__main__":
    main()
