#!/usr/bin/env python3
"""CI check: the independent Python verifier and the Swift audit agree.

    compare_audits.py CIVIC_LEDGER PYTHON EXPORT

Runs `civic-ledger audit EXPORT --format json` and
`tools/verify_export.py EXPORT --json`, and requires both to pass with the
same entry count and Merkle root. Then flips one byte of one entry in a copy
of the export and requires both to fail. Exit 0 when they agree, 1 otherwise.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    return result.returncode, result.stdout


def main(civic_ledger, python, export):
    verifier = os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_export.py")
    swift_code, swift_out = run([civic_ledger, "audit", export, "--format", "json"])
    python_code, python_out = run([python, verifier, export, "--json"])
    swift, theirs = json.loads(swift_out), json.loads(python_out)
    print(f"swift audit:     exit {swift_code}, {swift['entries']} entries, root {swift['root']}, clean {swift['clean']}")
    print(f"python verifier: exit {python_code}, {theirs['entries']} entries, root {theirs['root']}, ok {theirs['ok']}")
    failures = []
    if swift_code != 0 or not swift["clean"]:
        failures.append("the Swift audit found problems in an untouched export")
    if python_code != 0 or not theirs["ok"]:
        failures.append(f"the Python verifier found problems in an untouched export: {theirs['problems'][:3]}")
    if swift["entries"] != theirs["entries"] or swift["root"] != theirs["root"]:
        failures.append("the two disagree on the entries or the root")

    with open(export, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    records = {i: json.loads(line) for i, line in enumerate(lines) if line.startswith("{")}

    def both_reject(changed, what):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as tampered:
            tampered.write("\n".join(changed))
        try:
            swift_code, _ = run([civic_ledger, "audit", tampered.name, "--format", "json"])
            python_code, _ = run([python, verifier, tampered.name, "--json"])
        finally:
            os.unlink(tampered.name)
        print(f"{what}: swift audit exit {swift_code}, python verifier exit {python_code}")
        if swift_code != 1 or python_code != 1:
            failures.append(f"{what} was not reported by both (exit 1 expected from each)")

    # One flipped byte in the middle entry must fail both.
    entry_lines = [i for i, record in records.items() if record["type"] == "entry"]
    target = entry_lines[len(entry_lines) // 2]
    record = dict(records[target])
    data = bytearray(base64.b64decode(record["bytes"]))
    data[len(data) // 2] ^= 0x01
    record["bytes"] = base64.b64encode(bytes(data)).decode()
    changed = list(lines)
    changed[target] = json.dumps(record, sort_keys=True)
    both_reject(changed, f"one flipped byte at position {record['position']}")

    # The points snapshot with one more point in the pool, its digest made to match.
    snapshot_lines = [i for i, record in records.items() if record["type"] == "snapshot" and record["name"] == "points-balances"]
    if snapshot_lines:
        target = snapshot_lines[0]
        record = dict(records[target])
        state = json.loads(base64.b64decode(record["data"]))
        state["pool"] += 1
        data = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
        record["data"] = base64.b64encode(data).decode()
        record["digest"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
        changed = list(lines)
        changed[target] = json.dumps(record, sort_keys=True)
        both_reject(changed, "a points snapshot with one point more in the pool")
    else:
        failures.append("the demo export has no points-balances snapshot to tamper with")
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("agree: both verify the export, and both reject each tampered copy")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__.strip())
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
