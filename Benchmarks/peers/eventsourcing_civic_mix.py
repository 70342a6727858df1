#!/usr/bin/env python3
"""The civic mix on Python's eventsourcing library (9.5), with its SQLite
persistence: the peer that `make bench-peer` runs beside `civic-ledger bench`.

It reads the workload `civic-ledger bench --workload-out FILE` wrote (the same
commands, in the same order) and measures, like the Swift side:

- durable append: one command at a time, one `save` per command, each save a
  SQLite transaction (WAL; the library leaves `synchronous` at SQLite's
  default, FULL, which this script reads back and reports);
- rebuild: a fresh application on the same file reads the whole notification
  log in pages and folds it into the same two projections (three times; the
  fastest counts, as on the Swift side): the case dossier
  (every step of every case, with who took it and when) and the points
  balances (contribution and reputation per resident, the pool, the totals).

The peer is given every advantage the library offers for this workload: an
unbounded aggregate cache, no fast-forward reads and no deep copies from the
cache (one process, one thread, so nothing else writes). It does not sign
events, and checks no keys or roles: it has none. Usage:

    eventsourcing_civic_mix.py WORKLOAD.jsonl DB.sqlite [--json]
"""

import json
import os
import resource
import sqlite3
import sys
import time
import uuid

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid.UUID("6f1c1b1e-5a0e-4b36-9a55-2f6a4f1d2c3b")


def aggregate_id(stream):
    return uuid.uuid5(NAMESPACE, stream)


class Account(Aggregate):
    """A resident's points account: created by its first movement."""

    @staticmethod
    def create_id(stream, **_):
        return aggregate_id(stream)

    @event("Opened")
    def __init__(self, stream, action, amount, rule, reason, actor, place):
        self.stream = stream
        self.contribution = 0
        self.reputation = 0
        self._move(action, amount)

    def _move(self, action, amount):
        if action == "award":
            self.contribution += amount
        else:
            self.reputation -= amount

    @event("Moved")
    def move(self, action, amount, rule, reason, actor, place):
        self._move(action, amount)


class Case(Aggregate):
    """A case: reported, dispatched, resolved."""

    @staticmethod
    def create_id(stream, **_):
        return aggregate_id(stream)

    @event("Reported")
    def __init__(self, stream, category, summary, actor, place):
        self.stream = stream
        self.state = "reported"

    @event("Dispatched")
    def dispatch(self, department, deadline_minutes, actor):
        if self.state != "reported":
            raise ValueError(f"{self.stream} is {self.state}; it cannot be dispatched")
        self.state = "dispatched"

    @event("Resolved")
    def resolve(self, note, actor):
        if self.state != "dispatched":
            raise ValueError(f"{self.stream} is {self.state}; it cannot be resolved")
        self.state = "resolved"


class Pool(Aggregate):
    """The community's points pool."""

    @event("Issued")
    def __init__(self, amount, note):
        self.amount = amount


class CivicMix(Application):
    def run(self, command):
        action, stream = command["action"], command["stream"]
        if action in ("award", "deduct"):
            fields = dict(action=action, amount=command["amount"], rule=command["rule"], reason=command["text"],
                          actor=command["actor"], place=command["place"])
            if command["expectedVersion"] == 0:
                self.save(Account(stream=stream, **fields))
            else:
                account = self.repository.get(aggregate_id(stream))
                account.move(**fields)
                self.save(account)
        elif action == "report":
            self.save(Case(stream=stream, category=command["rule"], summary=command["text"], actor=command["actor"],
                           place=command["place"]))
        elif action == "dispatch":
            case = self.repository.get(aggregate_id(stream))
            case.dispatch(department=command["department"], deadline_minutes=command["deadlineMinutes"], actor=command["actor"])
            self.save(case)
        else:
            case = self.repository.get(aggregate_id(stream))
            case.resolve(note=command["text"], actor=command["actor"])
            self.save(case)


def application(db):
    return CivicMix(env={
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": db,
        "AGGREGATE_CACHE_MAXSIZE": str(10**9),
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    })


REBUILD_RUNS = 3


def rebuild(db):
    """Reads the notification log and folds it into the two projections."""
    app = application(db)
    dossier = {}
    balances = {}
    totals = {"issued": 0, "awarded": 0, "deducted": 0}
    pool = 0
    streams = {}
    count = 0
    start = 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=1000)
        if not page:
            break
        for notification in page:
            domain_event = app.mapper.to_domain_event(notification)
            name = type(domain_event).__name__
            if name in ("Opened", "Moved"):
                if name == "Opened":
                    streams[domain_event.originator_id] = domain_event.stream
                balance = balances.setdefault(streams[domain_event.originator_id], [0, 0])
                if domain_event.action == "award":
                    balance[0] += domain_event.amount
                    totals["awarded"] += domain_event.amount
                    pool -= domain_event.amount
                else:
                    balance[1] -= domain_event.amount
                    totals["deducted"] += domain_event.amount
                    pool += domain_event.amount
            elif name in ("Reported", "Dispatched", "Resolved"):
                if name == "Reported":
                    streams[domain_event.originator_id] = domain_event.stream
                dossier.setdefault(streams[domain_event.originator_id], []).append(
                    (name, domain_event.actor, domain_event.timestamp))
            elif name == "Issued":
                pool += domain_event.amount
                totals["issued"] += domain_event.amount
            count += 1
        start = page[-1].id + 1
    return count, dossier, balances, totals, pool


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    as_json = "--json" in sys.argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    workload_path, db = args
    if os.path.exists(db):
        print(f"error: {db} already exists; the peer needs a new file", file=sys.stderr)
        sys.exit(2)
    with open(workload_path, encoding="utf-8") as f:
        commands = [json.loads(line) for line in f if line.strip()]
    awarded = sum(c["amount"] for c in commands if c["action"] == "award")

    def say(line):
        print(line, file=sys.stderr if as_json else sys.stdout, flush=True)

    app = application(db)
    app.save(Pool(amount=awarded + 1000, note="the year's points"))
    synchronous = sqlite3.connect(db).execute("PRAGMA synchronous").fetchone()[0]
    journal = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]

    started = time.perf_counter()
    tenth = max(1, len(commands) // 10)
    for index, command in enumerate(commands):
        app.run(command)
        if (index + 1) % tenth == 0:
            elapsed = time.perf_counter() - started
            print(f"peer appending: {index + 1}/{len(commands)} ({(index + 1) / elapsed:.0f}/s)", file=sys.stderr, flush=True)
    append_seconds = time.perf_counter() - started
    del app
    say(f"peer durable append (one save per command, SQLite {journal}, synchronous = {synchronous}): "
        f"{len(commands):,} events in {append_seconds:.2f} s = {len(commands) / append_seconds:.0f} events/s")

    # A short phase on a noisy machine: the best of three runs counts, as on
    # the Swift side.
    rebuild_seconds = None
    for _ in range(REBUILD_RUNS):
        started = time.perf_counter()
        count, dossier, balances, totals, pool = rebuild(db)
        seconds = time.perf_counter() - started
        rebuild_seconds = seconds if rebuild_seconds is None else min(rebuild_seconds, seconds)
    reports = sum(1 for c in commands if c["action"] == "report")
    if totals["awarded"] != awarded or len(dossier) != reports or pool + sum(b[0] + b[1] for b in balances.values()) != totals["issued"] - 0:
        # Deductions come back to the pool from reputation, so the sum holds.
        print(f"error: the rebuilt projections do not match the workload: {totals}, {len(dossier)} cases", file=sys.stderr)
        sys.exit(1)
    say(f"peer projection rebuild (case dossier + points balances, from the notification log; best of {REBUILD_RUNS}): "
        f"{count:,} events in {rebuild_seconds:.2f} s = {count / rebuild_seconds:.0f} events/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    say(f"peer peak resident memory: {peak} MB")
    if as_json:
        print(json.dumps({
            "tool": "eventsourcing", "events": len(commands), "synchronous": synchronous, "journal": journal,
            "append": {"count": len(commands), "seconds": append_seconds, "perSecond": len(commands) / append_seconds},
            "rebuild": {"count": count, "seconds": rebuild_seconds, "perSecond": count / rebuild_seconds},
            "peakMB": peak,
        }, sort_keys=True))


if __name__ == "__main__":
    main()
