#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/Corpus/TARGET/) from a
small demo ledger made with the civic-ledger binary: real entries, event
bodies, payloads, checkpoints, proofs, an export, event JSON, a report.

    make_fuzz_corpus.py CIVIC_LEDGER OUT_DIR

Run it again after a format change, and commit what it writes.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def run(binary, *arguments, stdin=None):
    result = subprocess.run([binary, *arguments], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)}: {result.stderr}")
    return result.stdout


def main(binary, out):
    folder = tempfile.mkdtemp(prefix="civic-ledger-corpus-")
    ledger = os.path.join(folder, "d.sqlite")
    run(binary, "demo", "--db", ledger, "--residents", "40", "--days", "20", "--seed", "7")
    seeds = {}

    def add(target, data):
        if isinstance(data, str):
            data = data.encode()
        seeds.setdefault(target, {})[hashlib.sha256(data).hexdigest()[:16]] = data

    export = os.path.join(folder, "d.jsonl")
    run(binary, "export", ledger, "--out", export)
    lines = open(export, "rb").read().splitlines()
    kinds = {}
    for line in lines:
        record = json.loads(line)
        if record.get("type") == "entry":
            kind = record.get("view", {}).get("kind")
            raw = base64.b64decode(record["bytes"])
            if kind not in kinds:
                kinds[kind] = raw
                add("entry", raw)
                add("event-body", raw)
        elif record.get("type") == "snapshot":
            # The fuzz target picks one of the 8 projections or the
            # governance state (index 8, the compact form) by the first byte.
            for index in range(9):
                add("snapshot", bytes([index]) + base64.b64decode(record["data"])[:2000])
        elif record.get("type") == "head":
            add("frontier", base64.b64decode(record["state"])[9:])
    # A whole small export: the header, a few entries, the end line.
    header, entries = lines[0], [l for l in lines if b'"type":"entry"' in l][:6]
    add("export", b"\n".join([header] + entries + [json.dumps({"type": "end", "entries": len(entries), "checkpoints": 0, "snapshots": 0}).encode()]) + b"\n")
    for line in lines[1:4]:
        add("strict-json", line)
    checkpoint = run(binary, "checkpoint", ledger)
    add("checkpoint", checkpoint)
    add("checkpoint", checkpoint.split("\n\n")[0] + "\n")
    add("signed-note", checkpoint)
    add("proof", run(binary, "prove", "inclusion", ledger, "--index", "5"))
    sizes = [json.loads(l)["size"] for l in lines if b'"type":"checkpoint"' in l]
    if len(sizes) > 1:
        add("proof", run(binary, "prove", "consistency", ledger, "--old", str(sizes[0])))
    report = run(binary, "report", ledger, "--community", "zhuji/dongsheng", "--format", "json")
    add("signed-note", report)
    add("report-json", report.split("\n\n")[0])
    log = [json.loads(l) for l in run(binary, "log", ledger, "--limit", "400", "--json").splitlines()]
    for number, entry in enumerate(log[:2]):
        if isinstance(entry.get("payload"), dict):
            add("system-payload", bytes([0 if number == 0 else 1]) + json.dumps(entry["payload"], sort_keys=True).encode())
    shapes = set()
    for entry in log:
        if isinstance(entry.get("payload"), (dict, list)) and entry["kind"] not in shapes:
            shapes.add(entry["kind"])
            add("strict-json", json.dumps(entry["payload"], ensure_ascii=False))
            add("payload-json", entry["kind"].encode() + b"\n" + json.dumps(entry["payload"], ensure_ascii=False).encode())
    event = {"kind": "case.report", "stream": "case/1", "place": "zhuji/dongsheng/grid-03", "expectedVersion": 0,
             "payload": {"category": "drainage", "summary": "blocked drain", "n": [1, 2.5, -3e-2, True, None]}}
    add("event-json", json.dumps(event, ensure_ascii=False))
    add("event-json", json.dumps([event, dict(event, payloadBase64="AAEC", payload=None)]))
    add("strict-json", '{"a":"\\u00e9\\ud83d\\ude00","b":[{},[],0,-0.5e10]}')
    # Governance payloads: the entry bytes end with the payload, so a tail of each is a fair seed.
    for index, raw in enumerate(kinds.values()):
        for cut in (80, 160):
            add("governance-payload", bytes([index % 25]) + raw[-cut:])
    for target, files in seeds.items():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(out, target, name), "wb") as file:
                file.write(data)
    print(f"wrote {sum(len(f) for f in seeds.values())} seeds for {len(seeds)} targets to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
