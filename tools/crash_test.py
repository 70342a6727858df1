#!/usr/bin/env python3
"""Crash trials: append processes killed with SIGKILL at random moments.

    crash_test.py CIVIC_LEDGER [--trials N] [--writers K] [--seed S]

Each trial starts K append processes on one ledger at once, each with an
event of its own idempotency key, and kills a random subset of them with
SIGKILL after a random delay (0 to 1.2 times the median time an append
process takes, measured as the trials go: before, during or after their
commit). Every killed append is retried with the same event, as a client
would: the retry must succeed, either appending it or answering with the
original entry (never a second copy). The kills must land on both sides
of the commit: some killed appends had committed (the retry is answered
as a duplicate: killed between the durable commit and the answer) and
some had not; a run where either count is zero fails, since it did not
test what it claims. After all trials, every acknowledged
event must be in the log exactly once at the position its receipt named,
positions gapless, and `verify` clean; `verify` also runs every 100
trials. Prints the figures; exits 1 on any problem.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ledger_processes import Ledger  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ledger = Ledger(args.binary)
    acknowledged = {}
    killed = retried_duplicates = retried_new = failures = 0
    started = time.monotonic()
    durations = []  # seconds an append process took, start to exit, when not killed
    for trial in range(args.trials):
        window = 1.2 * sorted(durations)[len(durations) // 2] if len(durations) >= 8 else 0.06
        keys = [f"t{trial}-w{writer}" for writer in range(args.writers)]
        processes = []
        for key in keys:
            # The event from a file, so that the process has all it needs at once.
            path = os.path.join(ledger.folder, f"event-{trial % 2}-{key.split('-')[1]}.json")
            with open(path, "w") as file:
                file.write(Ledger.event(key))
            process = subprocess.Popen(
                ledger.append_command() + ["--file", path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            processes.append((key, process, time.monotonic()))
        time.sleep(rng.uniform(0, window))
        victims = set(rng.sample(range(args.writers), rng.randint(1, args.writers)))
        for index, (key, process, _) in enumerate(processes):
            if index in victims and process.poll() is None:
                process.send_signal(signal.SIGKILL)
        for index, (key, process, begun) in enumerate(processes):
            out, err = process.communicate()
            if process.returncode == 0:
                acknowledged[key] = json.loads(out)["position"]
                if index not in victims:
                    durations.append(time.monotonic() - begun)
                continue
            if process.returncode != -signal.SIGKILL:
                failures += 1
                print(f"trial {trial}: {key} failed with exit {process.returncode}: {err.strip()[:300]}", file=sys.stderr)
                continue
            killed += 1
            retry = ledger.run(["append", ledger.path, "--key", ledger.key, "--json"], stdin=Ledger.event(key))
            if retry.returncode != 0:
                failures += 1
                print(f"trial {trial}: retry of {key} failed: {retry.stderr.strip()[:300]}", file=sys.stderr)
                continue
            receipt = json.loads(retry.stdout)
            acknowledged[key] = receipt["position"]
            if receipt["duplicate"]:
                retried_duplicates += 1
            else:
                retried_new += 1
        if (trial + 1) % 100 == 0:
            verify = ledger.run(["verify", ledger.path])
            if verify.returncode != 0:
                failures += 1
                print(f"after trial {trial}: verify failed: {verify.stdout.strip()[:300]}", file=sys.stderr)
            print(f"{trial + 1} trials, {killed} appends killed, {failures} failures", flush=True)
    problems, entries = ledger.check(acknowledged)
    elapsed = time.monotonic() - started
    print(
        f"crash test: {args.trials} trials x {args.writers} writers in {elapsed:.0f} s; {killed} appends killed by SIGKILL "
        f"({retried_duplicates} had committed before the kill, {retried_new} had not); {len(acknowledged)} acknowledged, "
        f"{entries} entries; lost {sum(1 for p in problems if 'not in the log' in p)}, "
        f"duplicated {sum(1 for p in problems if 'twice' in p)}, failures {failures}, verify "
        f"{'clean' if not any(p.startswith('verify') for p in problems) else 'FAILED'}")
    for problem in problems[:20]:
        print("  " + problem)
    if retried_duplicates == 0 or retried_new == 0:
        problems.append(
            f"the kills did not land on both sides of the commit ({retried_duplicates} after it, {retried_new} before it): "
            "the trial tested less than it claims")
        print("  " + problems[-1])
    sys.exit(1 if problems or failures else 0)


if __name__ == "__main__":
    main()
