#!/usr/bin/env python3
"""Checks that tools/governance_rules.py catches what it must, on
synthetic entries (no signatures involved): an illegal case step, an award
beyond the pool, a redemption beyond the balance, an amount out of bounds,
and a points snapshot that is not the points recomputed there.

    python3 tools/test_governance_rules.py      # prints "N passed, N failed"
"""

import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from governance_rules import Governance, case_next  # noqa: E402

RULES = json.dumps({"pointRules": {"patrol": {"amount": 5, "account": "contribution"},
                                   "littering": {"amount": -10, "account": "reputation"}},
                    "visitIntervalDays": 365, "visitIntervalDaysByTag": {"disability": 30},
                    "visitIntervalDaysByLevel": {"red": 30, "orange": 90}}).encode()


def text(value):
    data = value.encode()
    return struct.pack(">I", len(data)) + data


def amount(n):
    return struct.pack(">q", n) + text("note")


def movement(account, n, rule):
    return bytes([account]) + struct.pack(">q", n) + text(rule) + bytes([0]) + struct.pack(">Q", 0) + text("why")


def replay(entries, snapshots=()):
    governance = Governance()
    for position, (kind, stream, payload) in enumerate([("community.rules", "community", RULES)] + entries):
        governance.fold({"position": position, "kind": kind, "stream": stream, "payload": payload})
    governance.finish(snapshots)
    return governance.problems


def cases():
    note = text("n")
    yield "a legal case path is clean", replay([
        ("case.report", "case/1", bytes([2]) + text("drain") + bytes([1]) + text("s")),
        ("case.accept", "case/1", note), ("case.approve", "case/1", bytes([0]) + note), ("case.review", "case/1", note),
        ("case.dispatch", "case/1", struct.pack(">I", 60) + text("water")), ("case.acknowledge", "case/1", note),
        ("case.resolve", "case/1", note), ("case.verify", "case/1", bytes([1]) + note), ("case.close", "case/1", note),
    ]) == []
    yield "a step out of order is reported", any(
        "not a legal step" in p for p in replay([("case.report", "case/1", b""), ("case.close", "case/1", b"")]))
    yield "a failed verification reopens", case_next("resolved", "verify-failed") == "reopened"
    governance = Governance()
    governance.fold({"position": 1, "kind": "community.rules", "stream": "community", "payload": RULES, "schema_version": 1})
    governance.fold({"position": 2, "kind": "case.report", "stream": "case/1", "schema_version": 2,
                     "payload": bytes([2]) + text("drain") + bytes([1]) + text("s")})
    yield "a schema version the domain does not declare is reported", any("unknown-version" in p for p in governance.problems)
    yield "shelving needs an open case", case_next("closed", "shelve") is None and case_next("accepted", "shelve") == "shelved"
    yield "points issued, awarded, redeemed are conserved", replay([
        ("points.issue", "community", amount(100)), ("points.award", "points/r1", movement(0, 5, "patrol")),
        ("points.redeem", "points/r1", amount(5)),
    ]) == []
    yield "an award beyond the pool is reported", any(
        "from a pool of 0" in p for p in replay([("points.award", "points/r1", movement(0, 5, "patrol"))]))
    yield "a redemption beyond the balance is reported", any(
        "redeems 3" in p for p in replay([("points.issue", "community", amount(10)), ("points.redeem", "points/r1", amount(3))]))
    yield "an amount out of bounds is reported", any(
        "outside 1 to" in p for p in replay([("points.issue", "community", amount(2**63 - 1))]))
    yield "an award not following its rule is reported", any(
        "does not follow rule" in p
        for p in replay([("points.issue", "community", amount(100)), ("points.award", "points/r1", movement(0, 7, "patrol"))]))
    seal = text("x" * 40)
    register_v1 = bytes([3]) + text("hh-1") + struct.pack(">I", 1) + text("disability") + seal * 3
    register_v2 = struct.pack(">I", 30) + text("hh-1") + seal * 4
    governance = Governance()
    for position, (kind, version, payload) in enumerate([
            ("community.rules", 1, RULES), ("archive.register", 1, register_v1), ("archive.register", 2, register_v2),
            ("archive.update", 2, struct.pack(">I", 400) + seal), ("archive.update", 2, struct.pack(">I", 30) + seal + b"!")]):
        governance.fold({"position": position, "kind": kind, "stream": "resident/r1", "schema_version": version, "payload": payload})
    yield "both versions of archive.register read; an interval the rules give nobody and trailing bytes are reported", (
        len(governance.problems) == 2 and "visitIntervalDays 400" in governance.problems[0]
        and "bytes follow the last field" in governance.problems[1]), governance.problems
    snapshot = json.dumps({"pool": 99, "totals": {"issued": 100}}).encode()
    yield "a points snapshot that is not the recomputed points is reported", any(
        "snapshot" in p for p in replay([("points.issue", "community", amount(100))], [("points-balances", 2, snapshot)]))


def main():
    passed = failed = 0
    for name, ok, *detail in cases():
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAILED: {name}", *detail)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
