#!/usr/bin/env python3
"""How long a write plus fsync takes on this disk, by write size.

The durable-append figures in the README are bound by this: every group
commit ends in one fsync of SQLite's WAL. Run from the repository root:

    python3 Benchmarks/fsync-latency.py

It writes a scratch file in the current directory and removes it.
"""
import os
import time

PATH = "fsync-latency.tmp"
ROUNDS = 300

for size in (4096, 32768, 131072, 262144):
    fd = os.open(PATH, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        block = b"x" * size
        start = time.perf_counter()
        for _ in range(ROUNDS):
            os.write(fd, block)
            os.fsync(fd)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.remove(PATH)
    print(f"{size // 1024:4d} KiB written, then fsync: {elapsed / ROUNDS * 1e6:7.0f} µs on average over {ROUNDS}")
