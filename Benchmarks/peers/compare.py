#!/usr/bin/env python3
"""Prints civic-ledger's and the peer's figures for the same civic-mix run
side by side, with the ratios and the issue's targets. Usage:

    compare.py OURS.json PEER.json MACHINE
"""
import json
import sys


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        ours = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        peer = json.load(f)
    machine = sys.argv[3]
    if ours["events"] != peer["events"]:
        print(f"error: the runs differ: {ours['events']} events here, {peer['events']} in the peer", file=sys.stderr)
        sys.exit(2)

    def rate(value):
        return f"{value:,.0f}/s"

    rows = [
        ("durable append, events/s", rate(ours["append"]["perSecond"]), rate(peer["append"]["perSecond"]),
         ours["append"]["perSecond"] / peer["append"]["perSecond"], 10.0),
        ("projection rebuild, events/s", rate(ours["rebuild"]["perSecond"]), rate(peer["rebuild"]["perSecond"]),
         ours["rebuild"]["perSecond"] / peer["rebuild"]["perSecond"], 15.0),
        ("full audit, entries/s", rate(ours["audit"]["perSecond"]), "(none)", None, None),
        ("peak resident memory", f"{ours['peakMB']} MB", f"{peer['peakMB']} MB", None, None),
    ]
    print()
    print(f"The civic mix, {ours['events']:,} events (seed {ours['seed']}), on {machine}")
    print()
    print(f"| {'figure':<30} | {'civic-ledger':>14} | {'eventsourcing 9.5':>17} | {'ratio':>7} | {'target':>7} |")
    print(f"|{'-' * 32}|{'-' * 16}|{'-' * 19}|{'-' * 9}|{'-' * 9}|")
    for name, mine, theirs, ratio, target in rows:
        shown = f"{ratio:.1f}×" if ratio is not None else ""
        goal = f"≥ {target:.0f}×" if target is not None else ""
        print(f"| {name:<30} | {mine:>14} | {theirs:>17} | {shown:>7} | {goal:>7} |")
    verify = ours["verifyPerSecond"]
    print()
    print(f"Against libsodium's verify rate on all {ours['cores']} cores, measured in the same process ({verify:,.0f}/s):")
    for name, value, target in [("durable append", ours["append"]["perSecond"], 0.6),
                                ("full audit", ours["audit"]["perSecond"], 0.9)]:
        ratio = value / verify
        verdict = "met" if ratio >= target else "MISSED"
        print(f"  {name}: {value:,.0f} / {verify:,.0f} = {ratio:.2f}× (target ≥ {target}×: {verdict})")
    for name, mine, theirs, ratio, target in rows:
        if ratio is not None and target is not None and ratio < target:
            print(f"  {name}: {ratio:.1f}× the peer (target ≥ {target:.0f}×: MISSED)")
    print()
    print("civic-ledger signs every event (Ed25519, by its own actor), checks every signature, key, role and stream "
          "version on append, and keeps a Merkle tree with signed checkpoints; the peer signs nothing and checks only "
          "its aggregates' versions. Both commit durably: SQLite in WAL mode with synchronous = FULL "
          f"(the peer's setting read back: {peer['synchronous']}). civic-ledger appends from {ours['appenders']} concurrent "
          "appenders; the peer saves one command at a time, as its applications do.")


if __name__ == "__main__":
    main()
