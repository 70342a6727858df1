#!/usr/bin/env python3
"""Load: many append processes on one ledger for a while.

    load_test.py CIVIC_LEDGER [--writers 64] [--seconds 60]

Each of the writers runs `civic-ledger append` again and again, one event
of its own idempotency key a time, until the time is up (a process is
what an operator's script runs, so its start-up is in every figure).
Prints appends per second, the latency of one append process (p50, p99,
max), failures, and whether every acknowledged event is in the log once,
at its position, with verify clean. Exits 1 on any failure.
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
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    ledger = Ledger(args.binary)
    lock = threading.Lock()
    acknowledged, latencies, failures = {}, [], []
    deadline = time.monotonic() + args.seconds

    def writer(number):
        count = 0
        while time.monotonic() < deadline:
            key = f"w{number}-{count}"
            count += 1
            started = time.monotonic()
            result = subprocess.run(ledger.append_command(), input=Ledger.event(key), capture_output=True, text=True)
            elapsed = time.monotonic() - started
            with lock:
                if result.returncode == 0:
                    acknowledged[key] = json.loads(result.stdout)["position"]
                    latencies.append(elapsed)
                else:
                    failures.append(f"{key}: exit {result.returncode}: {result.stderr.strip()[:300]}")

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(number,)) for number in range(args.writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    problems, entries = ledger.check(acknowledged)
    print(
        f"load: {args.writers} append processes for {elapsed:.0f} s: {len(acknowledged)} appended "
        f"({len(acknowledged) / elapsed:.0f}/s), {len(failures)} failed; one append process p50 "
        f"{percentile(latencies, 0.5) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(latencies, default=0) * 1000:.0f} ms; {entries} entries, "
        f"{'every acknowledged event once, verify clean' if not problems else f'{len(problems)} problems'}")
    for line in (failures + problems)[:20]:
        print("  " + line)
    sys.exit(1 if failures or problems else 0)


if __name__ == "__main__":
    main()
