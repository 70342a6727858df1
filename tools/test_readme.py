#!/usr/bin/env python3
"""The README is a front door, and it stays true.

- It is at most 250 lines.
- No development history: no issue numbers in the README or docs/.
- Every relative link in the README, CONTRIBUTING.md, docs/ and the DocC
  articles names a file of the repository.
- The shell blocks of "The tool" and "Witnesses and receipts" run as they
  are written (each as one bash script with errexit), on a demo ledger, with
  `.build/release/civic-ledger` the binary given.

Usage: test_readme.py CIVIC_LEDGER_BINARY
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def markdown_files():
    yield "README.md"
    yield "CONTRIBUTING.md"
    yield "Examples/CivicServer/README.md"
    for folder in ["docs"] + [os.path.join("Sources", m, m + ".docc") for m in os.listdir(os.path.join(ROOT, "Sources"))]:
        path = os.path.join(ROOT, folder)
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(".md"):
                    yield os.path.join(folder, name)


def section(text, title):
    """The text under the heading `title`, up to the next heading."""
    start = text.index(title + "\n")
    rest = text[start + len(title) + 1:]
    match = re.search(r"^#{1,3} ", rest, re.M)
    return rest[: match.start()] if match else rest


def shell_blocks(text):
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def main():
    binary = os.path.abspath(sys.argv[1])
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    lines = readme.count("\n")
    check(lines <= 250, f"the README has {lines} lines, more than 250")

    history = re.compile(r"\bissues? #?\d+|\(issue\b|this issue\b", re.I)
    for name in markdown_files():
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        for number, line in enumerate(text.splitlines(), 1):
            if history.search(line):
                check(False, f"{name}:{number}: development history (an issue) in the docs: {line.strip()[:100]}")
        folder = os.path.dirname(name)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#") or target.startswith("doc:"):
                continue
            path = os.path.normpath(os.path.join(ROOT, folder, target.split("#")[0]))
            check(path.startswith(os.path.normpath(ROOT)), f"{name}: the link {target} leaves the repository")
            check(os.path.exists(path), f"{name}: the link {target} names no file")

    with tempfile.TemporaryDirectory(prefix="civic-ledger-readme-") as work:
        os.makedirs(os.path.join(work, ".build", "release"))
        os.symlink(binary, os.path.join(work, ".build", "release", "civic-ledger"))
        demo = subprocess.run([binary, "demo", "--db", "demo-ledger.sqlite", "--residents", "300", "--days", "120"],
                              cwd=work, capture_output=True, text=True)
        check(demo.returncode == 0, f"the demo ledger: {demo.stderr[-500:]}")
        ran = 0
        for title in ["### The tool", "## Witnesses and receipts"]:
            blocks = shell_blocks(section(readme, title))
            check(len(blocks) == 1, f"{title}: one shell block, not {len(blocks)}")
            for block in blocks:
                result = subprocess.run(["bash", "-e", "-c", block], cwd=work, capture_output=True, text=True, timeout=600)
                ran += block.count("$cl ")
                check(result.returncode == 0,
                      f"{title}: the block exits {result.returncode}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
        check(ran >= 15, f"only {ran} commands ran")
        for made in ["worker.key", "audit.html", "receipt.txt", "policy.txt", "public/checkpoint"]:
            check(os.path.exists(os.path.join(work, made)), f"the README's commands made no {made}")

    if failures:
        print(f"test_readme: {len(failures)} failed")
        sys.exit(1)
    print("test_readme: the README is short, has no history, its links resolve and its commands run")


if __name__ == "__main__":
    main()
