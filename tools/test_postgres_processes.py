#!/usr/bin/env python3
"""Many writer processes on one PostgreSQL ledger, killed and cut off.

    test_postgres_processes.py CIVIC_LEDGER [--processes 4] [--events 160] [--kills 4]

Starts a throwaway cluster of its own (tools/pg_cluster.py, another port),
creates a ledger in it and runs PROCESSES long-lived writers
(`civic-ledger append URL --lines`, 16 appends in flight each), each with
events of its own: three in four to streams of their own, one in four to
one stream every process shares.

1. kill -9: writers are killed at random moments, mid-batch; each killed
   writer's unacknowledged events go, byte for byte the same (fixed client
   time and idempotency key), to a new writer, as a client retries.
2. database restart: while the writers append, the server is stopped with
   `pg_ctl stop -m immediate` and started again 2.5 s later (the URL's
   connect_timeout is 1 s). Appends meanwhile
   must fail with a clear error; the same writer processes (never
   restarted) carry on once it is back, and failed events are retried.

Then: every acknowledged event is in the log exactly once, at the position
its receipt named; positions are gapless; the shared stream's versions run
1, 2, 3 …; `verify` is clean. Prints the figures; exits 1 on any problem.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_cluster  # noqa: E402
from ledger_processes import Ledger, finish  # noqa: E402


class Writer:
    """One `append --lines` process and the lines it answered."""

    def __init__(self, binary, url, keys, key, events):
        # CIVIC_LEDGER_PROCESS_LOGS=DIR keeps each writer's log there (with
        # CIVIC_LEDGER_LOG_LEVEL=debug, say) instead of reading it back.
        logs = os.environ.get("CIVIC_LEDGER_PROCESS_LOGS")
        self.log = open(os.path.join(logs, f"writer-{time.time_ns()}.log"), "w") if logs else None
        self.process = subprocess.Popen(
            [binary, "append", url, "--keys", keys, "--key", key, "--lines", "--concurrency", "16"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log or subprocess.PIPE, text=True, bufsize=1)
        self.events = events
        self.acknowledged = {}
        self.failed = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def send(self, keys):
        try:
            for key in keys:
                self.process.stdin.write(self.events[key] + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def read(self):
        for line in self.process.stdout:
            answer = json.loads(line)
            with self.lock:
                if "position" in answer:
                    self.acknowledged[answer["idempotencyKey"]] = answer["position"]
                else:
                    self.failed.append(answer)

    def take_failures(self):
        with self.lock:
            failed, self.failed = self.failed, []
            return failed

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.reader.join()

    def finish(self):
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        self.process.wait(timeout=120)
        self.reader.join()
        return self.process.returncode, self.process.stderr.read() if self.process.stderr else ""


def events_for(prefix, process, count):
    return {
        f"{prefix}{process}-{n}": Ledger.event(f"{prefix}{process}-{n}", "case/shared" if n % 4 == 0 else f"case/{prefix}{process}-{n}")
        for n in range(count)
    }


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--events", type=int, default=160)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--port", type=int, default=5439)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    binary = os.path.abspath(args.binary)
    folder = tempfile.mkdtemp(prefix="civic-ledger-pg-processes-")
    problems = []
    # The cluster's folder of its own: the server runs as another user under root.
    with pg_cluster.throwaway(args.port) as (cluster, base):
        url = base + "&ledger=processes&connect_timeout=1"
        ledger = Ledger(binary, folder, url=url)
        keys, worker = ledger.keys, ledger.key
        acknowledged = {}

        # 1. kill -9 mid-batch.
        started = time.time()
        pending = {p: events_for("k", p, args.events) for p in range(args.processes)}
        writers = {p: Writer(binary, url, keys, worker, pending[p]) for p in pending}
        sent = {p: 0 for p in pending}
        order = {p: list(pending[p]) for p in pending}
        kill_at = sorted(rng.sample(range(2, args.events // 8), args.kills))
        kills = in_flight_at_kills = 0
        for step in range(0, args.events // 8 + 1):
            for p, writer in writers.items():
                writer.send(order[p][sent[p]:sent[p] + 8])
                sent[p] = min(args.events, sent[p] + 8)
            time.sleep(0.03)
            while kills < len(kill_at) and kill_at[kills] == step:
                # Killed with appends in flight: sent, not all answered.
                p = rng.randrange(args.processes)
                writer = writers[p]
                writer.kill()
                kills += 1
                acknowledged.update(writer.acknowledged)
                in_flight_at_kills += sent[p] - len([k for k in order[p][:sent[p]] if k in writer.acknowledged])
                left = [key for key in order[p][:sent[p]] if key not in writer.acknowledged]
                writers[p] = Writer(binary, url, keys, worker, pending[p])
                writers[p].send(left)
        for p, writer in writers.items():
            code, stderr = writer.finish()
            acknowledged.update(writer.acknowledged)
            for failure in writer.failed:
                problems.append(f"phase 1, process {p}: {failure}")
            if code != 0:
                problems.append(f"phase 1, process {p} exited {code}: {stderr[-400:]}")
        phase1 = time.time() - started
        if in_flight_at_kills == 0:
            problems.append("phase 1: every kill came when its writer had nothing in flight")
        expected = args.processes * args.events
        if len(acknowledged) != expected:
            problems.append(f"phase 1: {len(acknowledged)} of {expected} events acknowledged")

        # 2. the database stopped (immediate) and started under load, for
        # longer than the URL's connect_timeout (1 s), so that calls fail.
        started = time.time()
        events = {p: events_for("r", p, args.events) for p in range(args.processes)}
        writers = {p: Writer(binary, url, keys, worker, events[p]) for p in events}
        outage_errors = []
        feeding = threading.Event()

        def feed():
            for index in range(0, args.events, 4):
                for p, writer in writers.items():
                    writer.send(list(events[p])[index:index + 4])
                time.sleep(0.06)
            feeding.set()

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        # Every writer has opened the ledger and appended before the stop.
        wait_for(lambda: all(len(w.acknowledged) >= 4 for w in writers.values()), 60, "appends by every writer before the stop")
        pg_cluster.stop(cluster, mode="immediate")
        stopped_at = time.time()
        time.sleep(2.5)
        during = sum(len(w.failed) for w in writers.values())
        pg_cluster.start(cluster, args.port)
        outage = time.time() - stopped_at
        feeder.join()
        # Retry whatever failed, on the same processes, until all are in.
        deadline = time.time() + 120
        while time.time() < deadline:
            done = True
            for p, writer in writers.items():
                failures = writer.take_failures()
                retry = sorted({f["idempotencyKey"] for f in failures if "idempotencyKey" in f} - set(writer.acknowledged))
                outage_errors += failures
                if retry:
                    writer.send(retry)
                if len(writer.acknowledged) < args.events:
                    done = False
                if writer.process.poll() is not None and len(writer.acknowledged) < args.events:
                    # Its standard error, so that a trap says where it was.
                    said = writer.process.stderr.read()[-2000:] if writer.process.stderr else "(see its log)"
                    problems.append(f"phase 2, process {p} exited ({writer.process.returncode}) instead of carrying on: {said}")
                    deadline = 0
            if done:
                break
            time.sleep(0.2)
        for p, writer in writers.items():
            code, stderr = writer.finish()
            acknowledged.update(writer.acknowledged)
            if len(writer.acknowledged) != args.events:
                problems.append(f"phase 2, process {p}: {len(writer.acknowledged)} of {args.events} acknowledged after the restart")
        phase2 = time.time() - started
        if during == 0:
            problems.append("phase 2: no append failed while the database was stopped")
        unclear = [e for e in outage_errors if e.get("error") not in ("store-failure", "store-conflict")]
        if unclear:
            problems.append(f"phase 2: unexpected errors while the database was away: {unclear[:3]}")

        # The checks: each acknowledged event once at its position, gapless, verify clean.
        found, count = ledger.check(acknowledged)
        problems += found
        shared_versions = [e.get("streamVersion") for e in ledger.entries() if e.get("stream") == "case/shared"]
        if shared_versions != list(range(1, len(shared_versions) + 1)):
            problems.append(f"the shared stream's versions are not 1, 2, 3 …: {shared_versions[:10]} …")
        if count != 2 + 2 * expected:
            problems.append(f"the log holds {count} entries, not {2 + 2 * expected}")
        sample = next((e["message"] for e in outage_errors if "message" in e), "")
        print(f"phase 1: {args.processes} writer processes × {args.events} events, {args.kills} killed with SIGKILL "
              f"({in_flight_at_kills} appends sent and not yet answered) and replaced: {phase1:.1f} s")
        print(f"phase 2: the database stopped (immediate) under load for {outage:.1f} s: {len(outage_errors)} appends failed "
              f"({during} while it was away; \"{sample[:140]}\"), retried by the same processes: {phase2:.1f} s")
        print(f"{count} entries, {len(shared_versions)} on the shared stream; every acknowledged event once at its position, "
              f"gapless, verify clean" if not found else f"{count} entries: see the problems below")
    shutil.rmtree(folder, ignore_errors=True)
    finish(problems)
    print("ok")


if __name__ == "__main__":
    main()
