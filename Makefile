# CivicLedger: read this first.
#
#   make demo    install what is missing, build, run the demo on SQLite
#                (the tool built for SQLite alone: no SwiftNIO to compile)
#   make tool    the tool with everything: the PostgreSQL store and the
#                witness server and client (SwiftNIO, postgres-nio)
#   make demo-postgres  the same demo on a throwaway PostgreSQL cluster in
#                .build/demo-pg (kept running; make demo-postgres-stop)
#   make test    install what is missing, build, run every test, and check
#                that tools/verify_export.py agrees with the Swift audit
#   make bench   run the benchmarks (Benchmarks/, a nested package) and
#                check them against the thresholds checked in; the first
#                run also builds the million-event ledger the audit and
#                projection benchmarks read (make bench-ledger, ~5 minutes)
#   make bench-peer  the civic mix end to end (civic-ledger bench) beside
#                Python's eventsourcing 9.5 on the same workload, with ratios
#   make docs    build the DocC catalogs into .build/docs (warnings are errors)
#   make crash-test  1,000 trials of append processes killed with SIGKILL:
#                nothing acknowledged is lost or duplicated, verify clean
#   make load    64 append processes on one ledger for 60 s: rate, p50/p99
#   make serve   the example Hummingbird service (Examples/CivicServer) on
#                the demo ledger, on port SERVE_PORT (8080)
#
# The example service is a package of its own, built in the root's scratch
# folder (.build): it shares the root's compiled SwiftNIO, postgres-nio and
# BoringSSL, so they are compiled once for the tests, the tool and it.
#   make feed-latency  how soon a follower process sees another process's
#                append (log --follow beside append): p50/p99/max
#   make fuzz    every decoder and parser under libFuzzer, longer than in
#                make test (FUZZ_SECONDS each)
#
# System packages (libsodium-dev, libsqlite3-dev, pkg-config) are installed
# with apt-get when running as root; otherwise the exact command is printed.

SWIFT        ?= swift
APT_PACKAGES := libsodium-dev libsqlite3-dev pkg-config
DEMO_DB      ?= demo-ledger.sqlite
DEMO_REPORT  ?= demo-report.html

.PHONY: demo tool test build deps test-deps bench bench-thresholds bench-peer bench-ledger docs clean check-export check-report fuzz-run \
	crash-test crash-test-short load feed-latency serve server-build server-test fuzz fuzz-short fuzz-build \
	demo-postgres demo-postgres-stop postgres-processes-test

# The independent verifier's Python environment (PyNaCl from PyPI).
VENV := .build/venv
CHECK := .build/check-export

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || exit 1; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# The demo runs the optimised build: the simulated year takes seconds, not
# minutes. It needs SQLite alone, so the tool is built without the
# PostgreSQL and WitnessHTTP traits (no SwiftNIO, no BoringSSL), unless
# `make tool` built it whole before (TOOL_FULL marks that): then it stays whole.
TOOL_FULL   := .build/release/civic-ledger.full
DEMO_TRAITS  = $(if $(wildcard $(TOOL_FULL)),,--disable-default-traits)
demo: deps
	$(SWIFT) build -c release --product civic-ledger $(DEMO_TRAITS)
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).vault $(DEMO_DB).authority.key $(DEMO_DB).authority.key.pub $(DEMO_DB).log.key $(DEMO_DB).log.key.pub
	.build/release/civic-ledger demo --db $(DEMO_DB)
	.build/release/civic-ledger report $(DEMO_DB) --community zhuji/dongsheng --out $(DEMO_REPORT)
	@echo "The transparency report: $(DEMO_REPORT)"

# The demo on PostgreSQL: a throwaway cluster in DEMO_PG (unix socket,
# trust auth; tools/pg_cluster.py), the ledger `demo` in it, its key files
# under DEMO_PG/demo.*; the cluster keeps running for the commands the demo
# prints, until make demo-postgres-stop.
DEMO_PG ?= .build/demo-pg
demo-postgres: tool
	@$(MAKE) --no-print-directory deps APT_PACKAGES=postgresql
	@python3 tools/pg_cluster.py stop $(abspath $(DEMO_PG)) 2>/dev/null || true
	@rm -rf $(DEMO_PG) && mkdir -p $(DEMO_PG)
	@url=$$(python3 tools/pg_cluster.py start $(abspath $(DEMO_PG))/cluster --port 5435)"&ledger=demo"; \
	  echo "PostgreSQL ledger: $$url"; \
	  .build/release/civic-ledger demo --db "$$url" --keys $(DEMO_PG)/demo && \
	  .build/release/civic-ledger report "$$url" --community zhuji/dongsheng --vault $(DEMO_PG)/demo.vault --out $(DEMO_PG)/demo-report.html && \
	  echo "The transparency report: $(DEMO_PG)/demo-report.html (make demo-postgres-stop stops the cluster)"

# The tool with every trait (PostgreSQL, witnesses), optimised.
tool: deps
	$(SWIFT) build -c release --product civic-ledger
	@touch $(TOOL_FULL)

demo-postgres-stop:
	python3 tools/pg_cluster.py stop $(abspath $(DEMO_PG))/cluster

test: deps test-deps
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory server-build
	@# A throwaway PostgreSQL cluster in a temporary folder for the
	@# PostgreSQL store's tests (tools/pg_cluster.py), stopped and removed after.
	@set -e; pg=$$(mktemp -d /tmp/civic-ledger-pg-XXXXXX); \
	  url=$$(python3 tools/pg_cluster.py start $$pg); \
	  status=0; CIVIC_LEDGER_TEST_POSTGRES_URL="$$url&connect_timeout=30" $(SWIFT) test --skip-build || status=$$?; \
	  python3 tools/pg_cluster.py stop $$pg; rm -rf $$pg; exit $$status
	python3 tools/test_readme.py .build/debug/civic-ledger
	$(MAKE) --no-print-directory check-export
	$(MAKE) --no-print-directory check-report
	$(MAKE) --no-print-directory crash-test-short
	$(MAKE) --no-print-directory fuzz-short
	$(MAKE) --no-print-directory server-test
	$(MAKE) --no-print-directory postgres-processes-test

# Four writer processes on one PostgreSQL ledger (a cluster of the test's
# own), killed with SIGKILL mid-load, then the server stopped immediate
# under load and started again (tools/test_postgres_processes.py).
postgres-processes-test:
	python3 tools/test_postgres_processes.py .build/debug/civic-ledger

# The example service (Examples/CivicServer, Hummingbird): its own package,
# so the library's users never build SwiftNIO; built in the root's scratch
# folder, where SwiftNIO, postgres-nio and BoringSSL are already compiled
# (only Hummingbird and the service are new), then two server processes on
# one ledger are driven over real HTTP.
SERVER_DIR := Examples/CivicServer
server-build:
	cd $(SERVER_DIR) && $(SWIFT) build --scratch-path ../../.build

server-test: server-build
	python3 tools/test_civic_server.py .build/debug/civic-ledger .build/debug/CivicServer
	python3 tools/test_civic_server.py .build/debug/civic-ledger .build/debug/CivicServer --store postgres

# The example service on the demo ledger (make demo makes it), on port
# SERVE_PORT: POST /events, GET /cases, /points/ID, /feed, /checkpoint,
# /proof/inclusion, /proof/consistency, /report (Examples/CivicServer/README.md).
SERVE_PORT ?= 8080
serve: deps
	@test -f $(DEMO_DB) || $(MAKE) --no-print-directory demo
	cd $(SERVER_DIR) && $(SWIFT) build -c release --scratch-path ../../.build
	.build/release/CivicServer --db $(DEMO_DB) --port $(SERVE_PORT)

# What only the tests need: a real headless Chromium for the HTML report.
TEST_APT_PACKAGES := chromium fonts-noto-cjk postgresql
test-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(TEST_APT_PACKAGES)"

# A stamp named after the pinned packages: changing a pin reinstalls.
VENV_READY := $(VENV)/ready-pynacl-1.6.2-pillow-13.0.0
$(VENV_READY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet pynacl==1.6.2 pillow==13.0.0
	touch $(VENV_READY)

# tools/verify_export.py (written from docs/format.md) and the Swift audit
# must agree on a demo ledger's export, and both must reject a tampered copy.
check-export: $(VENV_READY)
	rm -rf $(CHECK) && mkdir -p $(CHECK)
	.build/debug/civic-ledger demo --db $(CHECK)/demo.sqlite --days 90 --residents 1000 > $(CHECK)/demo.txt
	.build/debug/civic-ledger export $(CHECK)/demo.sqlite --out $(CHECK)/demo.jsonl
	$(VENV)/bin/python tools/compare_audits.py .build/debug/civic-ledger $(VENV)/bin/python $(CHECK)/demo.jsonl
	$(VENV)/bin/python tools/test_governance_rules.py

# The HTML transparency report of the same demo ledger, in headless
# Chromium: no console errors, a screenshot that is not blank, every chart
# with a title and a data table, nothing fetched.
check-report: $(VENV_READY)
	.build/debug/civic-ledger report $(CHECK)/demo.sqlite --community zhuji/dongsheng --out $(CHECK)/report.html
	$(VENV)/bin/python tools/check_report_html.py $(CHECK)/report.html $(CHECK)/report.png

# Append processes killed with SIGKILL at random moments, each killed
# append retried with the same event: nothing acknowledged is lost or
# duplicated, positions stay gapless, verify stays clean
# (tools/crash_test.py). make test runs a short version on the debug build.
CRASH_TRIALS ?= 1000
crash-test: tool
	python3 tools/crash_test.py .build/release/civic-ledger --trials $(CRASH_TRIALS) --writers 4

crash-test-short:
	python3 tools/crash_test.py .build/debug/civic-ledger --trials 60 --writers 4

# 64 append processes on one ledger for 60 seconds: appends per second,
# the latency of one append process, failures (tools/load_test.py).
LOAD_WRITERS ?= 64
LOAD_SECONDS ?= 60
load: tool
	python3 tools/load_test.py .build/release/civic-ledger --writers $(LOAD_WRITERS) --seconds $(LOAD_SECONDS)

feed-latency: tool
	python3 tools/feed_latency.py .build/release/civic-ledger --appends 200

# libFuzzer targets for every decoder and parser (Fuzz/, a package of its
# own built with --sanitize=fuzzer in .build-fuzz): each starts from the
# corpus checked in under Fuzz/Corpus/TARGET (tools/make_fuzz_corpus.py
# writes it) and writes what it finds to a scratch folder, never there. A
# crash, a trap or a broken round trip fails, with the input saved under
# .build-fuzz/artifacts. make test runs each for FUZZ_SHORT seconds.
FUZZ_TARGETS := entry event-body governance-payload signed-note checkpoint proof export event-json strict-json report-json \
	system-payload frontier snapshot payload-json witness-policy witness-request tile-bundle
FUZZ_SECONDS ?= 300
FUZZ_SHORT   ?= 4
FUZZ_BINARY  := .build-fuzz/debug/CivicLedgerFuzz
fuzz-build: deps
	$(SWIFT) build --package-path Fuzz --sanitize=fuzzer --scratch-path .build-fuzz

fuzz-short: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_SHORT)

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_SECONDS)

fuzz-run:
	@mkdir -p .build-fuzz/artifacts
	@set -e; for target in $(FUZZ_TARGETS); do \
	  work=.build-fuzz/corpus/$$target; mkdir -p $$work; \
	  FUZZ_TARGET=$$target $(FUZZ_BINARY) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/artifacts/$$target- $$work Fuzz/Corpus/$$target > .build-fuzz/$$target.log 2>&1 \
	    || { echo "fuzz $$target: FAILED (.build-fuzz/$$target.log)"; tail -30 .build-fuzz/$$target.log; exit 1; }; \
	  echo "fuzz $$target: $$(sed -n 's/^stat::number_of_executed_units: *//p' .build-fuzz/$$target.log) runs in $(FUZZ_TIME) s, no crash"; \
	done

# Runs every benchmark and checks it against the p90 figures checked in
# under Benchmarks/Thresholds (within the tolerances set in
# LedgerBenchmarks.swift): a regression fails. bench-thresholds records a
# new reference on this machine (commit the files it changes).
bench: deps bench-ledger
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark thresholds check --no-progress

# package-benchmark 1.38.1 writes a threshold file with the benchmark's
# spaces turned into underscores but reads it back under the name as
# written; our names have no underscores, so the files are renamed back,
# and only time, allocations and memory are kept (throughput is time's
# inverse; CPU time is not checked).
bench-thresholds: deps bench-ledger
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark thresholds update --no-progress
	cd Benchmarks/Thresholds && for f in *_*.p90.json; do [ -e "$$f" ] && mv "$$f" "$$(echo "$$f" | tr '_' ' ')"; done; \
	  python3 -c 'import glob, json; [json.dump({k: v for k, v in json.load(open(f)).items() if k not in ("throughput", "cpuTotal")}, open(f, "w"), indent=2, sort_keys=True) for f in glob.glob("*.p90.json")]'

# The civic mix end to end, civic-ledger beside Python's eventsourcing 9.5
# (installed into its own virtual environment): the same workload (written
# by civic-ledger bench, read by the peer), the figures side by side with
# the ratios. PEER_EVENTS sets the size.
PEER_EVENTS ?= 100000
PEER_VENV   := .build/peer-venv
PEER_READY  := $(PEER_VENV)/ready-eventsourcing-9.5.6
PEER_RUN    := .build/bench-peer
$(PEER_READY):
	python3 -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet eventsourcing==9.5.6
	touch $(PEER_READY)

bench-peer: tool $(PEER_READY)
	rm -rf $(PEER_RUN) && mkdir -p $(PEER_RUN)
	.build/release/civic-ledger bench --events $(PEER_EVENTS) --workload-out $(PEER_RUN)/workload.jsonl --json > $(PEER_RUN)/civic-ledger.json
	$(PEER_VENV)/bin/python Benchmarks/peers/eventsourcing_civic_mix.py $(PEER_RUN)/workload.jsonl $(PEER_RUN)/peer.sqlite --json > $(PEER_RUN)/eventsourcing.json
	@python3 Benchmarks/peers/compare.py $(PEER_RUN)/civic-ledger.json $(PEER_RUN)/eventsourcing.json \
	  "$$(nproc) cores ($$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $$(free -g | awk '/^Mem:/ {print $$2}') GB, $$(uname -sr)"

# The audit benchmarks' ledger: a simulated community of 42,000 residents
# over two years (about a million signed events, checkpoints and the eight
# projection snapshots), built once with the demo; delete
# Benchmarks/.ledgers to build it again. The version in its name changes
# whenever the simulator or a projection's snapshot changes, so an old one
# is rebuilt. Built in a folder of its own and moved into place whole, so a
# cut-short build is never read.
BENCH_LEDGERS := Benchmarks/.ledgers
BENCH_LEDGER  := governance-1m-v6.sqlite
bench-ledger: $(BENCH_LEDGERS)/$(BENCH_LEDGER)
$(BENCH_LEDGERS)/$(BENCH_LEDGER): | tool
	rm -rf $(BENCH_LEDGERS).partial && mkdir -p $(BENCH_LEDGERS).partial
	.build/release/civic-ledger demo --db $(BENCH_LEDGERS).partial/$(BENCH_LEDGER) \
	  --residents 42000 --days 730 --start 2023-01-01 > $(BENCH_LEDGERS).partial/demo.txt
	rm -rf $(BENCH_LEDGERS) && mv $(BENCH_LEDGERS).partial $(BENCH_LEDGERS)

DOC_MODULES := CivicLedger CivicGovernance CivicReporting CivicLinks CivicSimulator CivicLedgerSQLite CivicLedgerPostgres CivicLedgerTesting CivicWitnessHTTP
docs: deps
	$(SWIFT) build --build-tests
	$(SWIFT) package dump-symbol-graph --minimum-access-level public >/dev/null
	@set -e; graphs=$$(find .build -type d -name symbolgraph | head -1); \
	for m in $(DOC_MODULES); do \
	  rm -rf .build/symbols/$$m && mkdir -p .build/docs .build/symbols/$$m; \
	  cp $$graphs/$$m.symbols.json $$graphs/$$m@*.symbols.json .build/symbols/$$m/ 2>/dev/null || cp $$graphs/$$m.symbols.json .build/symbols/$$m/; \
	  docc convert Sources/$$m/$$m.docc --additional-symbol-graph-dir .build/symbols/$$m \
	    --fallback-display-name $$m --fallback-bundle-identifier org.civicledger.$$m \
	    --warnings-as-errors --output-path .build/docs/$$m.doccarchive; \
	done

clean:
	rm -rf .build .build-fuzz Benchmarks/.build Benchmarks/.ledgers Benchmarks/.ledgers.partial Examples/CivicServer/.build
