"""Shared by crash_test.py and load_test.py: a throwaway ledger with one
enrolled grid worker, events with their own idempotency keys, and the
checks every run ends with (each acknowledged event in the log exactly
once, at its position; positions gapless; verify clean).

Everything goes through the civic-ledger binary, as operators run it.
"""

import json
import os
import subprocess
import sys
import tempfile


def percentile(values, fraction):
    """The value at `fraction` (0 to 1) of the sorted values; 0 for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def finish(problems):
    """Prints the problems (the first 20) and exits 1 when there are any."""
    for problem in problems[:20]:
        print("PROBLEM:", problem)
    if problems:
        sys.exit(1)


class Ledger:
    """A new ledger in `folder` (a SQLite file), or at `url` (a PostgreSQL
    ledger, its key files in `folder`), with one enrolled grid worker."""

    def __init__(self, binary, folder=None, url=None):
        self.binary = os.path.abspath(binary)
        self.folder = folder or tempfile.mkdtemp(prefix="civic-ledger-processes-")
        self.path = url or os.path.join(self.folder, "l.sqlite")
        self.keys = os.path.join(self.folder, "l") if url else self.path
        self.key_options = ["--keys", self.keys] if url else []
        self.key = os.path.join(self.folder, "worker.key")
        self.run(["init", self.path, *self.key_options, "--origin", "test.example/processes"], check=True)
        self.run(["keygen", "--out", self.key], check=True)
        self.run([
            "enrol", self.path, *self.key_options, "--key", self.keys + ".authority.key", "--public-key", self.key + ".pub",
            "--role", "grid-worker", "--scope", "zhuji/dongsheng", "--actor", "worker",
        ], check=True)
        # Genesis and the enrolment.
        self.preamble = 2

    def run(self, arguments, stdin=None, check=False):
        result = subprocess.run([self.binary] + arguments, input=stdin, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise SystemExit(f"civic-ledger {' '.join(arguments)} failed: {result.stderr}")
        return result

    @staticmethod
    def event(key, stream=None):
        # A fixed client time: signing the same event again gives the same
        # bytes (Ed25519 is deterministic), as a client's retry must.
        return json.dumps({
            "kind": "case.report", "stream": stream or f"case/{key}", "place": "zhuji/dongsheng",
            "idempotencyKey": key, "clientTime": 1767225600000, "payload": {"category": "load"},
        })

    def entries(self):
        """Every entry, as `log --json` shows it."""
        log = self.run(["log", self.path, "--limit", "100000000", "--json"], check=True)
        return [json.loads(line) for line in log.stdout.splitlines() if line.strip()]

    def append_command(self):
        return [self.binary, "append", self.path, *self.key_options, "--key", self.key, "--json"]

    def check(self, acknowledged):
        """acknowledged: {idempotency key: position}. Returns a list of problems."""
        problems = []
        entries = self.entries()
        for offset, entry in enumerate(entries):
            if entry.get("position") != offset:
                problems.append(f"gap: line {offset} holds position {entry.get('position')}")
                break
        seen = {}
        for entry in entries[self.preamble:]:
            key = entry.get("idempotencyKey")
            if key in seen:
                problems.append(f"{key} is in the log twice, at {seen[key]} and {entry['position']}")
            seen[key] = entry["position"]
        for key, position in acknowledged.items():
            if key not in seen:
                problems.append(f"{key} was acknowledged at {position} but is not in the log")
            elif seen[key] != position:
                problems.append(f"{key} was acknowledged at {position} but is at {seen[key]}")
        verify = self.run(["verify", self.path])
        if verify.returncode != 0:
            problems.append("verify: " + (verify.stdout + verify.stderr).strip()[:400])
        return problems, len(entries)
