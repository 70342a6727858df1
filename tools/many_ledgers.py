#!/usr/bin/env python3
"""Many community ledgers in one PostgreSQL database, appended at once.

    many_ledgers.py CIVIC_LEDGER [--ledgers 100] [--events 1000] [--writers 8]

Starts a throwaway cluster of its own (tools/pg_cluster.py), creates
LEDGERS ledgers side by side in one database (`?ledger=c0`, `c1` …; init and
a grid worker enrolled in each), then appends EVENTS events to every ledger,
WRITERS ledgers at a time, each by its own `append --lines` process. Then
each ledger must hold exactly its own events, gapless from its own genesis,
and verify clean. Prints ledgers × events, the time and the rate; exits 1
on any problem.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_cluster  # noqa: E402
from ledger_processes import Ledger, finish  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--ledgers", type=int, default=100)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--port", type=int, default=5448)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    folder = tempfile.mkdtemp(prefix="civic-ledger-many-")
    problems = []
    with pg_cluster.throwaway(args.port) as (_, base):
        def create(index):
            keys = os.path.join(folder, f"c{index}")
            os.makedirs(keys)
            return Ledger(binary, keys, url=f"{base}&ledger=c{index}")

        started = time.time()
        with ThreadPoolExecutor(max_workers=args.writers) as pool:
            ledgers = list(pool.map(create, range(args.ledgers)))
        created = time.time() - started

        def append(ledger):
            lines = "".join(Ledger.event(f"e{n}") + "\n" for n in range(args.events))
            result = subprocess.run([binary, "append", ledger.path, *ledger.key_options, "--key", ledger.key, "--lines"],
                                    input=lines, capture_output=True, text=True)
            return result.returncode, result.stdout.count('"position"'), result.stderr[-300:]

        started = time.time()
        with ThreadPoolExecutor(max_workers=args.writers) as pool:
            outcomes = list(pool.map(append, ledgers))
        seconds = time.time() - started
        for index, (code, appended, stderr) in enumerate(outcomes):
            if code != 0 or appended != args.events:
                problems.append(f"ledger c{index}: {appended} of {args.events} appended (exit {code}) {stderr}")
        with ThreadPoolExecutor(max_workers=args.writers) as pool:
            checks = list(pool.map(lambda ledger: ledger.check({}), ledgers))
        for index, (found, count) in enumerate(checks):
            problems += [f"ledger c{index}: {problem}" for problem in found]
            if count != args.events + 2:
                problems.append(f"ledger c{index} holds {count} entries, not {args.events + 2}")
        total = args.ledgers * args.events
        print(f"{args.ledgers} ledgers in one database (created in {created:.1f} s) × {args.events} events = {total:,} events, "
              f"{args.writers} ledgers appended at a time, one process each: {seconds:.1f} s, {total / seconds:,.0f} events/s; "
              f"each ledger gapless from its own genesis and verified clean" if not problems else "")
    shutil.rmtree(folder, ignore_errors=True)
    finish(problems)


if __name__ == "__main__":
    main()
