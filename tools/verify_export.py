#!/usr/bin/env python3
"""An independent verifier of CivicLedger exports, written from docs/format.md.

Checks every entry's encoding (§2, §3), its Ed25519 signature, gapless
positions, the RFC 6962 Merkle root over the entries (§4), and every
checkpoint (§5): its text, its signature by the log key named in genesis
(§6), and its root against the recomputed tree. For a governance ledger
(entry 1 sets the community's rules) it also replays the case state
machine and the points (§10.2, §10.3), and checks every projection
snapshot's digest and the points snapshot against the points recomputed
at its position (§10.4; tools/governance_rules.py). It uses only PyNaCl
and the standard library.

    python3 tools/verify_export.py ledger.jsonl [--json]

Exit codes: 0 everything verifies; 1 a check failed (each failure is
printed with its line and position); 2 the file cannot be read as an export.
"""

import base64
import hashlib
import json
import struct
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from governance_rules import Governance, check_snapshot_digest  # noqa: E402
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

EVENT_PREFIX = b"civic-ledger/event/v1\x00"


class Malformed(Exception):
    pass


def b64(text, what):
    """Canonical standard base64 (docs/format.md §1)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except Exception:
        raise Malformed(f"{what} is not base64")
    if base64.b64encode(raw).decode() != text:
        raise Malformed(f"{what} is not canonical base64")
    return raw


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n, what):
        if self.at + n > len(self.data):
            raise Malformed(f"{what}: ends early")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u8(self, what): return self.take(1, what)[0]
    def u32(self, what): return struct.unpack(">I", self.take(4, what))[0]
    def u64(self, what): return struct.unpack(">Q", self.take(8, what))[0]
    def i64(self, what): return struct.unpack(">q", self.take(8, what))[0]
    def bytes_(self, what): return self.take(self.u32(what), what)

    def text(self, what, low, high):
        raw = self.bytes_(what)
        if not low <= len(raw) <= high:
            raise Malformed(f"{what}: {len(raw)} bytes, {low} to {high} allowed")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(f"{what}: not UTF-8")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise Malformed(f"{what}: control character")
        return value

    def end(self, what):
        if self.at != len(self.data):
            raise Malformed(f"{what}: {len(self.data) - self.at} bytes after the last field")


def decode_entry(data):
    """§3 entry and §2 body; returns a dict with the fields a verifier needs."""
    r = Reader(data)
    if r.u8("format version") != 1:
        raise Malformed("format version is not 1")
    entry = {"position": r.u64("position"), "recorded": r.i64("recorded time"), "version": r.u64("stream version")}
    body = r.bytes_("event body")
    entry["signature"] = r.take(64, "signature")
    r.end("entry")
    b = Reader(body)
    if b.take(len(EVENT_PREFIX), "prefix") != EVENT_PREFIX:
        raise Malformed("event body prefix is not civic-ledger/event/v1")
    entry["origin"] = b.text("origin", 1, 255)
    entry["stream"] = b.text("stream", 1, 255)
    entry["place"] = b.text("place", 1, 255)
    tag = b.u8("expected version tag")
    expected = b.u64("expected version")
    if tag not in (0, 1) or (tag == 0 and expected != 0):
        raise Malformed("expected version tag/value")
    entry["kind"] = b.text("kind", 1, 128)
    entry["schema_version"] = b.u32("schema version")
    if entry["schema_version"] < 1:
        raise Malformed("schema version is 0")
    payload = b.bytes_("payload")
    if len(payload) > 1 << 20:
        raise Malformed("payload over 1 MiB")
    entry["payload"] = payload
    entry["actor_key"] = b.take(32, "actor key")
    b.i64("client time")
    b.text("idempotency key", 1, 128)
    b.end("event body")
    entry["body"] = body
    return entry


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_roots(leaves, sizes):
    """RFC 6962 §2.1 Merkle Tree Hash of the first `size` leaves, for every
    size in `sizes` and for all the leaves, in one pass with a stack of
    perfect subtrees. Returns {size: root}."""
    roots = {0: hashlib.sha256(b"").digest()}
    stack = []  # (size, hash), sizes strictly decreasing

    def root():
        h = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            h = node_hash(left, h)
        return h

    for count, leaf in enumerate(leaves, 1):
        size, h = 1, leaf
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, h = size + left_size, node_hash(left, h)
        stack.append((size, h))
        if count in sizes or count == len(leaves):
            roots[count] = root()
    return roots


def key_id(name, public_key):
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def check_checkpoint(note, origin, log_key, roots):
    """§5: text, signature by the log key, root. Returns a problem or None."""
    if "\n\n" not in note:
        return "no blank line before the signatures"
    text, signatures = note.rsplit("\n\n", 1)
    text += "\n"
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        return "fewer than three lines"
    if lines[0] != origin:
        return f"origin {lines[0]!r} is not the ledger's {origin!r}"
    if not lines[1].isdigit() or str(int(lines[1])) != lines[1]:
        return f"size {lines[1]!r} is not a decimal"
    size = int(lines[1])
    try:
        root = b64(lines[2], "root")
    except Malformed as error:
        return str(error)
    verified = False
    wanted = key_id(origin, log_key)
    for line in signatures.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            return f"signature line {line!r} does not start with an em dash"
        name, _, blob_text = line[2:].partition(" ")
        try:
            blob = b64(blob_text, "signature")
        except Malformed as error:
            return str(error)
        if name != origin or blob[:4] != wanted:
            continue  # another signer's line
        try:
            VerifyKey(log_key).verify(text.encode(), blob[4:])
            verified = True
        except BadSignatureError:
            return "the log key's signature does not verify"
    if not verified:
        return "no signature line by the log key"
    if size not in roots:
        return f"covers {size} entries but the export holds fewer"
    if roots[size] != root:
        return f"root {lines[2]} is not the log's root at size {size}"
    return None


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    as_json = "--json" in argv[2:]
    problems = []
    leaves, checkpoints, snapshots = [], [], []
    origin = log_key = None
    governance = None
    try:
        with open(argv[1], encoding="utf-8") as handle:
            lines = handle.read().split("\n")
    except OSError as error:
        print(f"error: cannot read {argv[1]}: {error}", file=sys.stderr)
        return 2
    ended = False
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            print(f"error: line {number} is not JSON", file=sys.stderr)
            return 2
        kind = record.get("type")
        if number == 1:
            if kind != "header" or record.get("format") != "civic-ledger-export/1":
                print("error: line 1 is not a civic-ledger-export/1 header", file=sys.stderr)
                return 2
            continue
        if kind == "entry":
            position = len(leaves)
            try:
                data = b64(record["bytes"], "bytes")
            except (Malformed, KeyError) as error:
                print(f"error: line {number}: {error}", file=sys.stderr)
                return 2
            leaves.append(leaf_hash(data))
            try:
                entry = decode_entry(data)
            except Malformed as error:
                problems.append(f"line {number}, position {position}: malformed entry: {error}")
                if governance:
                    governance.by_position.append((governance.pool, dict(governance.totals)))
                continue
            if position == 1 and entry["kind"] == "community.rules":
                governance = Governance()
                governance.by_position.append((0, dict(governance.totals)))
            if governance:
                governance.fold(entry)
            if entry["position"] != position:
                problems.append(f"line {number}: entry says position {entry['position']}, expected {position}")
            if position == 0:
                if entry["kind"] != "ledger.genesis":
                    problems.append("position 0 is not ledger.genesis")
                else:
                    genesis = json.loads(entry["payload"])
                    origin = genesis["origin"]
                    log_key = b64(genesis["logKey"], "genesis logKey")
            elif entry["origin"] != origin:
                problems.append(f"position {position}: origin {entry['origin']!r} is not the ledger's")
            try:
                VerifyKey(entry["actor_key"]).verify(entry["body"], entry["signature"])
            except (BadSignatureError, ValueError):
                problems.append(f"position {position}: the signature does not verify for the actor key")
        elif kind == "checkpoint":
            checkpoints.append((number, record.get("size"), record.get("note", "")))
        elif kind == "snapshot":
            try:
                snapshot, problem = check_snapshot_digest(record)
            except (ValueError, KeyError) as error:
                snapshot, problem = None, f"snapshot: {error}"
            if problem:
                problems.append(f"line {number}: {problem}")
            elif snapshot:
                snapshots.append(snapshot)
        elif kind == "end":
            ended = True
    if not ended:
        problems.append("the export has no end line: it is truncated")
    if governance:
        governance.finish(snapshots)
        problems.extend(governance.problems)
    # Roots at every checkpoint size, in one pass over the leaves.
    roots = merkle_roots(leaves, {size for _, size, _ in checkpoints if isinstance(size, int)})
    if origin is None or log_key is None:
        problems.append("no readable genesis: checkpoints cannot be checked")
    else:
        for number, size, note in checkpoints:
            problem = check_checkpoint(note, origin, log_key, roots)
            if problem:
                problems.append(f"line {number}: checkpoint at size {size}: {problem}")
    root = base64.b64encode(roots[len(leaves)]).decode()
    summary = {"entries": len(leaves), "root": root, "checkpoints": len(checkpoints), "ok": not problems, "problems": problems}
    if as_json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for problem in problems:
            print(problem)
        print(f"{'OK' if not problems else 'FAILED'}: {len(leaves)} entries, {len(checkpoints)} checkpoints, root {root}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
