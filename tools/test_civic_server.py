#!/usr/bin/env python3
"""End to end, over real HTTP: two CivicServer processes on one ledger.

    test_civic_server.py CIVIC_LEDGER CIVIC_SERVER [--store sqlite|postgres]

A governance ledger is made with the tool (init --governance, a grid
worker enrolled), in a SQLite file or (--store postgres) in a throwaway
PostgreSQL cluster of its own (tools/pg_cluster.py); two servers serve the
same ledger. An event signed with
`civic-ledger sign` (as an actor's device would) is posted to the first;
the second's /feed (Server-Sent Events) and /cases?after= must show it
within a second. The receipt's inclusion proof must verify offline. A bad
signature, a bad payload and an unknown actor must each get a 4xx
problem+json with the ledger's code, and nothing written. Then both servers
are stopped with SIGTERM (a graceful drain) and the ledger verifies clean.
First, the README's service snippet must be the server's code.
Exits 1 on any failure, printing what failed.
"""

import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_cluster  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAILED: {message}")
    return condition


def run(binary, *arguments, stdin=None):
    result = subprocess.run([binary, *arguments], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{os.path.basename(binary)} {' '.join(arguments)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def start_server(binary, database, keys, vault=None, extra=()):
    process = subprocess.Popen(
        [binary, "--db", database, "--keys", keys, "--port", "0"] + (["--vault", vault] if vault else []) + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    deadline = time.monotonic() + 60
    for line in process.stdout:
        match = re.search(r"listening on .*:(\d+)$", line.strip())
        if match:
            # Keep reading its output so that it never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, int(match.group(1))
        if time.monotonic() > deadline:
            break
    raise SystemExit("the server did not start: " + (process.stdout.read() if process.stdout else ""))


def start_witness(ledger_binary, folder, name, log_key):
    """A `civic-ledger witness serve` process on a free port: (process, port, its verifier key)."""
    key = os.path.join(folder, name + ".key")
    run(ledger_binary, "keygen", "--out", key)
    process = subprocess.Popen(
        [ledger_binary, "witness", "serve", "--key", key, "--name", name + ".witness.example/w1", "--db", os.path.join(folder, name + ".db"),
         "--log", log_key, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    port = int(process.stdout.readline().strip().rsplit(":", 1)[1])
    vkey = process.stdout.readline().strip().split(" ", 2)[2]
    return process, port, vkey


def witnessed(ledger_binary, server_binary, folder, database, keys, vault, verifier, signed, report):
    """The service with two witnesses: receipts carry both cosignatures and
    meet a policy requiring both; with one witness down the append still
    succeeds, and its receipt does not meet that policy."""
    street, street_port, street_key = start_witness(ledger_binary, folder, "street", verifier)
    bureau, bureau_port, bureau_key = start_witness(ledger_binary, folder, "bureau", verifier)
    policy = os.path.join(folder, "policy.txt")
    with open(policy, "w") as file:
        file.write(f"log {verifier}\nwitness street {street_key} http://127.0.0.1:{street_port}\n"
                   f"witness bureau {bureau_key} http://127.0.0.1:{bureau_port}\ngroup both all street bureau\nquorum both\n")
    server, port = start_server(server_binary, database, keys, vault, extra=("--witness-policy", policy))
    try:
        def post(stream):
            started = time.monotonic()
            status, _, body = request(port, "/events", signed(dict(report, stream=stream)))
            check(status == 201, f"POST /events with witnesses: {status} {body}")
            answer = json.loads(body)
            receipt = os.path.join(folder, stream.replace("/", "-") + ".receipt")
            with open(receipt, "w") as file:
                file.write(answer["receipts"][0]["inclusionProof"])
            verified = subprocess.run([ledger_binary, "verify-proof", receipt, "--policy", policy], capture_output=True, text=True)
            return answer, verified, time.monotonic() - started

        answer, verified, _ = post("case/e2e-w1")
        check(sorted(answer["witnessedBy"]) == ["bureau.witness.example/w1", "street.witness.example/w1"],
              f"witnessedBy: {answer['witnessedBy']}")
        check(verified.returncode == 0 and "witnessed by: bureau, street" in verified.stdout,
              f"the receipt does not meet the policy: {verified.stdout}{verified.stderr}")
        size = len(open(os.path.join(folder, "case-e2e-w1.receipt"), "rb").read())
        print(f"a witnessed receipt (entry, inclusion proof, checkpoint with two cosignatures): {size} bytes")

        bureau.kill()
        bureau.wait()
        answer, verified, elapsed = post("case/e2e-w2")
        check(answer["witnessedBy"] == ["street.witness.example/w1"], f"witnessedBy with the bureau down: {answer['witnessedBy']}")
        check(verified.returncode == 1 and "cosigned by street" in verified.stderr,
              f"a receipt cosigned by one witness met a policy requiring two: {verified.stdout}{verified.stderr}")
        check(elapsed < 10, f"an append with a witness down took {elapsed:.1f} s")
    finally:
        server.send_signal(signal.SIGTERM)
        check(server.wait(timeout=20) == 0, f"the witnessed server exited with {server.returncode} on SIGTERM")
        for process in (street, bureau):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)


def signed_headers(ledger_binary, key, url, lifetime=60):
    """The RFC 9421 headers `civic-ledger sign-request` makes for a GET of `url` by `key`."""
    lines = run(ledger_binary, "sign-request", "--key", key, url, "--lifetime", str(lifetime)).strip().splitlines()
    return dict(line.split(": ", 1) for line in lines)


def request(port, path, body=None, headers=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST" if data is not None else "GET",
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def wait_until(condition, seconds):
    """Polls `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def follow_feed(port, seen, headers):
    """Reads /feed from position 0, noting when each position arrives."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/feed?from=0", headers=headers)
    with urllib.request.urlopen(req, timeout=120) as response:
        position = None
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                position = int(line[4:])
            elif line.startswith("data: ") and position is not None:
                seen.setdefault(position, (time.monotonic(), json.loads(line[6:])))


def reads(ledger_binary, port, worker, resident, worker_public):
    """What each reader sees: the public board unsigned, staff in full; the
    feed, a resident's points and inclusion proofs only signed; a replayed,
    expired or altered signature refused."""
    worker_key = open(worker_public).read().strip()
    status, _, body = request(port, "/cases")
    check(status == 200, f"GET /cases unsigned: {status} {body}")
    board = json.loads(body)["cases"] if status == 200 else []
    check(board and all("reporter" not in case for case in board), f"the public board shows a reporter: {body}")
    check(all(case["place"].count("/") <= 2 for case in board), f"the public board shows a place below the grid: {body}")
    leaked = [token for token in ("worker-li", worker_key, "r00042", "hh-", "disability", "elderly-alone", "orange") if token in body]
    check(not leaked, f"the public board shows {leaked}")
    for path in ["/feed?from=0", "/points/worker-li", "/proof/inclusion?index=1"]:
        status, kind, body = request(port, path)
        check(status == 401 and "problem+json" in kind and json.loads(body)["code"] == "unauthenticated",
              f"GET {path} unsigned: {status} {body}")
    # Signed by the resident: their own points only, and the public board.
    url = f"http://127.0.0.1:{port}/points/worker-li"
    status, _, body = request(port, "/points/worker-li", headers=signed_headers(ledger_binary, resident, url))
    check(status == 403, f"a resident reading another's points: {status} {body}")
    url = f"http://127.0.0.1:{port}/points/r00042"
    status, _, body = request(port, "/points/r00042", headers=signed_headers(ledger_binary, resident, url))
    check(status == 200, f"a resident reading their own points: {status} {body}")
    url = f"http://127.0.0.1:{port}/cases"
    status, _, body = request(port, "/cases", headers=signed_headers(ledger_binary, resident, url))
    check(status == 200 and all("reporter" not in case for case in json.loads(body)["cases"]), f"a resident sees reporters: {body}")
    # Staff see their cases in full.
    status, _, body = request(port, "/cases", headers=signed_headers(ledger_binary, worker, url))
    check(status == 200 and any(case.get("reporter") == "worker-li" for case in json.loads(body)["cases"]),
          f"staff do not see the reporter: {body}")
    # A replayed signature, an expired one, and one for another path.
    headers = signed_headers(ledger_binary, worker, url)
    first = request(port, "/cases", headers=headers)[0]
    status, _, body = request(port, "/cases", headers=headers)
    check(first == 200 and status == 401 and "used before" in body, f"a replayed signature: {first} then {status} {body}")
    headers = signed_headers(ledger_binary, worker, url, lifetime=1)
    time.sleep(2.1)
    status, _, body = request(port, "/cases", headers=headers)
    check(status == 401 and "expired" in body, f"an expired signature: {status} {body}")
    headers = signed_headers(ledger_binary, worker, f"http://127.0.0.1:{port}/cases?state=closed")
    status, _, body = request(port, "/cases", headers=headers)
    check(status == 401 and "does not verify" in body, f"a signature for another query: {status} {body}")


def check_readme():
    """The README's service snippet is the server's code, line for line."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    section = readme.split("## A service that embeds it", 1)[1].split("\n## ", 1)[0]
    shown = [line.strip() for line in section.split("```swift\n", 1)[1].split("```", 1)[0].splitlines() if line.strip()]
    source = open(os.path.join(root, "Examples/CivicServer/Sources/CivicServer/CivicServer.swift"), encoding="utf-8").read()
    code = [line.strip() for line in source.split("// README service begin", 1)[1].split("// README service end", 1)[0].splitlines()
            if line.strip()]
    check(shown == code, "the README's service snippet differs from Examples/CivicServer/Sources/CivicServer/CivicServer.swift")
    check(len(code) <= 20, f"the service's embedding is {len(code)} lines, not the README's 20 at most")


def main(ledger_binary, server_binary, store):
    check_readme()
    folder = tempfile.mkdtemp(prefix="civic-server-e2e-")
    if store == "postgres":
        with pg_cluster.throwaway(5447) as (_, url):
            # The key vault on the server too, as instances on several machines share it.
            serve(ledger_binary, server_binary, folder, url + "&ledger=server", os.path.join(folder, "g"), vault=url + "&ledger=server")
    else:
        database = os.path.join(folder, "g.sqlite")
        serve(ledger_binary, server_binary, folder, database, database)
    print(f"civic-server end to end on {store}: " + ("ok" if not failures else f"{len(failures)} failure(s)"))
    sys.exit(1 if failures else 0)


def serve(ledger_binary, server_binary, folder, database, keys, vault=None):
    created = run(ledger_binary, "init", database, "--keys", keys, "--origin", "test.example/server", "--governance", "zhuji/dongsheng")
    verifier = re.search(r"verifier key:\s+(\S+)", created).group(1)
    worker, stranger = os.path.join(folder, "worker.key"), os.path.join(folder, "stranger.key")
    run(ledger_binary, "keygen", "--out", worker)
    run(ledger_binary, "keygen", "--out", stranger)
    run(ledger_binary, "enrol", database, "--keys", keys, "--key", keys + ".authority.key", "--public-key", worker + ".pub",
        "--role", "grid-worker", "--scope", "zhuji/dongsheng", "--actor", "worker-li")
    resident = os.path.join(folder, "resident.key")
    run(ledger_binary, "keygen", "--out", resident)
    run(ledger_binary, "enrol", database, "--keys", keys, "--key", keys + ".authority.key", "--public-key", resident + ".pub",
        "--role", "resident", "--scope", "zhuji/dongsheng/grid-1/mg001", "--actor", "r00042")

    def signed(key, event):
        return run(ledger_binary, "sign", database, "--keys", keys, "--key", key, stdin=json.dumps(event)).strip()

    report = {"kind": "case.report", "stream": "case/e2e-1", "place": "zhuji/dongsheng/grid-1", "expectedVersion": 0,
              "payload": {"urgency": "general", "category": "drainage", "source": "patrol", "summary": "blocked drain"}}
    first, port_a = start_server(server_binary, database, keys, vault)
    second, port_b = start_server(server_binary, database, keys, vault)
    try:
        seen = {}
        feed_headers = signed_headers(ledger_binary, worker, f"http://127.0.0.1:{port_b}/feed?from=0", lifetime=300)
        threading.Thread(target=follow_feed, args=(port_b, seen, feed_headers), daemon=True).start()
        # Connected once the feed has delivered the genesis: wait on that, not on a clock.
        check(wait_until(lambda: 0 in seen, 60), "the second server's /feed delivered nothing within 60 s")

        status, kind, body = request(port_a, "/events", signed(worker, report))
        posted = time.monotonic()
        check(status == 201, f"POST /events: {status} {body}")
        answer = json.loads(body)
        receipt = answer["receipts"][0]
        position = receipt["position"]
        proof = os.path.join(folder, "proof.txt")
        with open(proof, "w") as file:
            file.write(receipt["inclusionProof"])
        checkpoint = os.path.join(folder, "checkpoint.txt")
        with open(checkpoint, "w") as file:
            file.write(answer["checkpoint"])
        verified = subprocess.run([ledger_binary, "verify-proof", proof, "--checkpoint", checkpoint, "--log-key", verifier],
                                  capture_output=True, text=True)
        check(verified.returncode == 0, f"the receipt's inclusion proof does not verify: {verified.stdout}{verified.stderr}")

        # The other process sees it, on its feed and its case board. How soon is
        # printed, not judged: speed is measured by make feed-latency, not here.
        wait_until(lambda: position in seen, 60)
        if check(position in seen, f"the second server's /feed did not show position {position} within 60 s"):
            latency = seen[position][0] - posted
            check(seen[position][1]["payload"] == report["payload"], "the feed shows another payload than was posted")
            print(f"the second server's feed showed the event {max(0.0, latency) * 1000:.1f} ms after the first acknowledged it (0: before its answer arrived)")
        url = f"/cases/e2e-1?after={position}"
        status, _, body = request(port_b, url, headers=signed_headers(ledger_binary, worker, f"http://127.0.0.1:{port_b}{url}"))
        check(status == 200 and json.loads(body)["state"] == "reported", f"GET /cases/e2e-1?after= on the second server: {status} {body}")
        # The library's CaseView, as `civic-ledger cases --json` shows it.
        shown = json.loads(body) if status == 200 else {}
        check(shown.get("case") == "case/e2e-1" and shown.get("id") == "e2e-1" and shown.get("reporter") == "worker-li",
              f"the case view: {body}")
        listed = json.loads(run(ledger_binary, "cases", database, "--keys", keys, "--json"))["cases"]
        check(any(c == shown for c in listed) or any(c["case"] == "case/e2e-1" and set(c) == set(shown) for c in listed),
              "the tool's cases --json and the service's /cases/ID differ in form")

        def size():
            return int(request(port_a, "/checkpoint")[2].split("\n")[1])

        before = size()
        # A bad signature: one bit of it flipped.
        wire = json.loads(signed(worker, dict(report, stream="case/e2e-2")))
        signature = bytearray(base64.b64decode(wire["signature"]))
        signature[0] ^= 1
        wire["signature"] = base64.b64encode(bytes(signature)).decode()
        status, kind, body = request(port_a, "/events", json.dumps(wire))
        check(status == 400 and "problem+json" in kind and json.loads(body)["code"] == "invalid-signature",
              f"a bad signature: {status} {kind} {body}")
        # A bad payload: bytes that are not a case report.
        bad = signed(worker, {"kind": "case.report", "stream": "case/e2e-3", "place": "zhuji/dongsheng/grid-1", "payloadBase64": "AAEC"})
        status, kind, body = request(port_a, "/events", bad)
        check(400 <= status < 500 and "problem+json" in kind, f"a bad payload: {status} {kind} {body}")
        # An actor nobody enrolled.
        status, kind, body = request(port_b, "/events", signed(stranger, dict(report, stream="case/e2e-4")))
        check(status == 403 and json.loads(body)["code"] == "unknown-key", f"an unknown actor: {status} {body}")
        # Not JSON at all.
        status, kind, body = request(port_b, "/events", "not json")
        check(status == 400 and "problem+json" in kind, f"not JSON: {status} {body}")
        check(size() == before, "a refused event was written")

        for path in ["/cases", "/points/worker-li", "/report", f"/proof/inclusion?index={position}"]:
            status, _, body = request(port_b, path, headers=signed_headers(ledger_binary, worker, f"http://127.0.0.1:{port_b}{path}"))
            check(status == 200 and body, f"GET {path} signed by staff on the second server: {status} {body}")
        reads(ledger_binary, port_b, worker, resident, worker + ".pub")
        witnessed(ledger_binary, server_binary, folder, database, keys, vault, verifier, lambda event: signed(worker, event), report)
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        for process in (first, second):
            try:
                check(process.wait(timeout=20) == 0, f"a server exited with {process.returncode} on SIGTERM")
            except subprocess.TimeoutExpired:
                process.kill()
                check(False, "a server did not stop within 20 s of SIGTERM")
    verify = subprocess.run([ledger_binary, "verify", database], capture_output=True, text=True)
    check(verify.returncode == 0, f"verify after the servers stopped: {verify.stdout}{verify.stderr}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("ledger_binary")
    parser.add_argument("server_binary")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    arguments = parser.parse_args()
    main(arguments.ledger_binary, arguments.server_binary, arguments.store)
