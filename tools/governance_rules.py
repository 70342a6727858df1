"""Governance rules a verifier checks from docs/format.md §10 alone, for
tools/verify_export.py: the case state machine (§10.2), the points
(bounds, the pool and balances never overdrawn, conservation, §10.3) and
the projection snapshots' digests, with the points snapshot compared to
the points recomputed at its position (§10.4).

It reads the payload bytes of §10's table; it shares no code with the
Swift library.
"""

import base64
import hashlib
import json
import struct

POINTS_PER_MOVEMENT = (1, 10**9)
POINTS_ISSUED = 10**15

# §10.2: (state, step) → next state. A step is the kind without "case.",
# with approve, verify and rate split by their payload as below.
TRANSITIONS = {
    (None, "report"): "reported",
    ("reported", "accept"): "accepted",
    ("reported", "reject"): "rejected",
    ("accepted", "approve-emergency"): "approved",
    ("accepted", "approve"): "awaiting-review",
    ("awaiting-review", "review"): "approved",
    ("approved", "dispatch"): "dispatched",
    ("returned", "dispatch"): "dispatched",
    ("reopened", "dispatch"): "dispatched",
    ("shelved", "dispatch"): "dispatched",
    ("dispatched", "delivery-failed"): "dispatched",
    ("dispatched", "delivery-retried"): "dispatched",
    ("dispatched", "acknowledge"): "acknowledged",
    ("dispatched", "return"): "returned",
    ("acknowledged", "return"): "returned",
    ("acknowledged", "progress"): "in-progress",
    ("in-progress", "progress"): "in-progress",
    ("dispatched", "extend"): "dispatched",
    ("acknowledged", "extend"): "acknowledged",
    ("in-progress", "extend"): "in-progress",
    ("acknowledged", "resolve"): "resolved",
    ("in-progress", "resolve"): "resolved",
    ("resolved", "verify-passed"): "verified",
    ("resolved", "verify-failed"): "reopened",
    ("verified", "close"): "closed",
    ("closed", "rate"): "rated",
    ("closed", "rate-reopens"): "reopened",
}
OPEN = {"reported", "accepted", "awaiting-review", "approved", "dispatched", "returned", "acknowledged", "in-progress",
        "resolved", "verified", "reopened"}
WITH_DEPARTMENT = {"dispatched", "acknowledged", "in-progress"}


class Bytes:
    """§1 primitives over a payload."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("payload ends early")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def u8(self): return self.take(1)[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def u64(self): return struct.unpack(">Q", self.take(8))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def boolean(self):
        value = self.u8()
        if value not in (0, 1):
            raise ValueError("a bool is 0 or 1")
        return value == 1
    def text(self): return self.take(self.u32()).decode("utf-8")


def case_step(kind, payload):
    step = kind[len("case."):]
    reader = Bytes(payload)
    if step == "approve":
        return "approve-emergency" if reader.boolean() else "approve"
    if step == "verify":
        return "verify-passed" if reader.boolean() else "verify-failed"
    if step == "rate":
        rating = reader.u8()
        controllable = reader.boolean()
        return "rate-reopens" if rating == 2 and controllable else "rate"
    return step


def case_next(state, step):
    if step == "shelve":
        return "shelved" if state in OPEN else None
    if step == "remind":
        return state if state in WITH_DEPARTMENT else None
    return TRANSITIONS.get((state, step))


DOMAIN_PREFIXES = ("case.", "points.", "archive.", "health.", "volunteer.", "supplies.", "community.", "deliberation.")
# The declared schema versions by kind (§10); a kind not named here has version 1 only.
SCHEMA_VERSIONS = {"archive.register": (1, 2), "archive.update": (1, 2), "archive.visit": (1, 2), "health.record": (1, 2),
                   "community.rules": (1, 2)}
LEVELS = ("green", "yellow", "orange", "red")


def sealed(reader):
    """A sealed field: nonce (24) ‖ ciphertext ‖ tag (16), as bytes."""
    data = reader.take(reader.u32())
    if len(data) < 40:
        raise ValueError("a sealed field is at least 40 bytes")
    return data


def archive_payload(kind, version, payload):
    """§10: archive.register and archive.update in the version written:
    version 1 carries level and tags in the clear, version 2 the stated
    visit interval and the sealed profile. Returns the stated interval
    (None for version 1)."""
    reader = Bytes(payload)
    interval = None
    if version == 1:
        level = reader.u8()
        if level >= len(LEVELS):
            raise ValueError(f"level {level} is not one of {', '.join(LEVELS)}")
        if kind == "archive.register":
            reader.text()                      # household
        count = reader.u32()
        if count > 64:
            raise ValueError(f"{count} tags, more than 64")
        for _ in range(count):
            reader.text()
        if kind == "archive.register":
            for _ in range(3):
                sealed(reader)                 # name, phone, address
    else:
        interval = reader.u32()
        if kind == "archive.register":
            reader.text()                      # household
            for _ in range(4):
                sealed(reader)                 # profile, name, phone, address
        else:
            sealed(reader)                     # profile
    if reader.at != len(payload):
        raise ValueError("bytes follow the last field")
    return interval


class Governance:
    """Replays the entries of a governance ledger (its entry 1 sets the
    community's rules) and collects problems."""

    def __init__(self):
        self.problems = []
        self.cases = {}
        self.rules = None
        self.pool = 0
        self.issued = 0
        self.totals = {"issued": 0, "awarded": 0, "deducted": 0, "redeemed": 0, "expired": 0, "reversed": 0}
        self.balances = {}          # stream -> {"contribution": n, "reputation": n}
        self.movements = {}         # position -> [stream, account, signed amount, reversed]
        self.appeals = {}           # appeal position -> movement position
        self.by_position = []       # (pool, issued) after each position, for snapshots

    def problem(self, position, text):
        self.problems.append(f"position {position}: {text}")

    def fold(self, entry):
        position, kind, stream, payload = entry["position"], entry["kind"], entry["stream"], entry["payload"]
        # §10: every governance kind declares its schema versions.
        if kind == "community.rules" or kind.startswith(DOMAIN_PREFIXES):
            if entry.get("schema_version", 1) not in SCHEMA_VERSIONS.get(kind, (1,)):
                self.problem(position, f"{kind} has no schema version {entry.get('schema_version')} (unknown-version)")
        try:
            if kind == "community.rules":
                self.rules = json.loads(payload)
            elif kind.startswith("case."):
                self.case(position, kind, stream, payload)
            elif kind.startswith("points."):
                self.points(position, kind, stream, payload)
            elif kind in ("archive.register", "archive.update") and entry.get("schema_version", 1) in (1, 2):
                self.archive(position, kind, entry.get("schema_version", 1), payload)
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            self.problem(position, f"{kind} payload does not decode: {error}")
        self.by_position.append((self.pool, dict(self.totals)))

    def case(self, position, kind, stream, payload):
        step = case_step(kind, payload)
        state = self.cases.get(stream)
        after = case_next(state, step)
        if after is None:
            self.problem(position, f"{stream} is {state or 'not reported'}; {kind} is not a legal step from there")
            return
        self.cases[stream] = after

    def archive(self, position, kind, version, payload):
        interval = archive_payload(kind, version, payload)
        if interval is None or self.rules is None:
            return
        default = self.rules["visitIntervalDays"]
        shorter = list(self.rules.get("visitIntervalDaysByTag", {}).values()) + list(self.rules.get("visitIntervalDaysByLevel", {}).values())
        possible = {default} | {days for days in shorter if days < default}
        if interval not in possible:
            self.problem(position, f"visitIntervalDays {interval} is not an interval the rules in force give any resident")

    def account(self, stream):
        return self.balances.setdefault(stream, {"contribution": 0, "reputation": 0})

    def amount_ok(self, position, kind, amount):
        low, high = POINTS_PER_MOVEMENT
        if not low <= amount <= high:
            self.problem(position, f"{kind} amount {amount} is outside {low} to {high}")
            return False
        return True

    def points(self, position, kind, stream, payload):
        reader = Bytes(payload)
        if kind in ("points.issue", "points.redeem"):
            amount = reader.i64()
            if not self.amount_ok(position, kind, amount):
                return
            if kind == "points.issue":
                if self.totals["issued"] + amount > POINTS_ISSUED:
                    self.problem(position, f"issuance past {POINTS_ISSUED} points")
                self.pool += amount
                self.totals["issued"] += amount
            else:
                balance = self.account(stream)
                if balance["contribution"] < amount:
                    self.problem(position, f"{stream} redeems {amount} with {balance['contribution']} contribution points")
                balance["contribution"] -= amount
                self.pool += amount
                self.totals["redeemed"] += amount
        elif kind in ("points.award", "points.deduct"):
            account = ("contribution", "reputation")[reader.u8()]
            amount = reader.i64()
            rule_id = reader.text()
            if not self.amount_ok(position, kind, amount):
                return
            rule = (self.rules or {}).get("pointRules", {}).get(rule_id)
            if rule is None:
                self.problem(position, f"{kind} cites no rule of the community: {rule_id!r}")
            elif abs(rule["amount"]) != amount or (rule["amount"] < 0) != (kind == "points.deduct") or rule["account"] != account:
                self.problem(position, f"{kind} of {amount} {account} does not follow rule {rule_id}")
            signed = amount if kind == "points.award" else -amount
            if signed > 0 and self.pool < amount:
                self.problem(position, f"an award of {amount} from a pool of {self.pool}")
            self.account(stream)[account] += signed
            self.pool -= signed
            self.totals["awarded" if signed > 0 else "deducted"] += amount
            self.movements[position] = [stream, account, signed, False]
        elif kind == "points.appeal":
            self.appeals[position] = reader.u64()
        elif kind == "points.appeal-decision":
            target = reader.u64()
            upheld = reader.boolean()
            movement = self.movements.get(self.appeals.get(target))
            if upheld and movement and not movement[3]:
                stream, account, signed, _ = movement
                self.account(stream)[account] -= signed
                self.pool += signed
                self.totals["reversed"] += signed
                movement[3] = True
        elif kind == "points.period-close":
            if reader.boolean():
                for balance in self.balances.values():
                    if balance["contribution"] > 0:
                        self.pool += balance["contribution"]
                        self.totals["expired"] += balance["contribution"]
                        balance["contribution"] = 0

    def finish(self, snapshots):
        total = sum(b["contribution"] + b["reputation"] for b in self.balances.values())
        if self.pool + total != self.totals["issued"]:
            self.problems.append(f"points are not conserved: pool {self.pool} + accounts {total} != issued {self.totals['issued']}")
        for name, position, data in snapshots:
            if name != "points-balances" or not 0 < position <= len(self.by_position):
                continue
            pool, totals = self.by_position[position - 1]
            stored = json.loads(data)
            if stored.get("pool") != pool or any(stored.get("totals", {}).get(k) != v for k, v in totals.items()):
                self.problems.append(f"the points-balances snapshot at {position} is not the points recomputed there")


def check_snapshot_digest(record):
    """§10.4: a snapshot's digest is SHA-256 of its data."""
    data = base64.b64decode(record["data"], validate=True)
    if hashlib.sha256(data).digest() != base64.b64decode(record["digest"], validate=True):
        return None, f"snapshot {record.get('name')!r}: the digest is not SHA-256 of the data"
    return (record.get("name"), record.get("position"), data), None
