# papertrend: everything a fresh clone needs, from Python 3.11 and PyPI alone.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Prefect must stay local and quiet (no analytics, no telemetry).
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: help install demo web check-units email-preview demo-real test test-fast lint format bench bench-report bench-web bench-snapshot bench-crash chromium ci-packages lock clean

help:
	@echo "make demo       run the real pipeline on a synthetic corpus replayed over local HTTP"
	@echo "make demo-real  the same on the real captures in ../shared/fixtures"
	@echo "make web        browse what the demo built at http://127.0.0.1:8000 (papertrend web)"
	@echo "make test       the whole test suite"
	@echo "make test-fast  everything except the tests marked slow (under a minute)"
	@echo "make email-preview  screenshot the demo's first email at 600 px (needs chromium) into EMAIL_PREVIEW"
	@echo "make lint       ruff (lint and format check) and mypy; CI fails on any finding"
	@echo "make format     let ruff fix what it can and format the code"
	@echo "make bench      benchmarks: HF ingest (api, page, naive), arXiv listing extraction/reextract,"
	@echo "                and one-shot report/ingest by hand with and without a running Prefect server"
	@echo "make bench-snapshot  snapshot publication on the bench-report warehouse, against a full copy"
	@echo "make bench-crash   crash matrix: ingest, report, email killed 20 times each (~20 min)"
	@echo "make bench-report  weekly report on a 1.3M-paper warehouse, against the naive report"
	@echo "                   (first run ~15 min to build; kept in BENCH_DIR, default .bench/report)"
	@echo "make chromium   install Debian's chromium (root), for email-preview and bench/report_screens.py"
	@echo "make lock       re-resolve requirements.lock from pyproject.toml"

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/papertrend demo

# The systemd units of deploy/systemd, checked with this checkout in place of /opt/papertrend (README: Put it on the web).
UNITS := $(wildcard deploy/systemd/*.service)
check-units: $(STAMP)
	@dir=$$(mktemp -d) && trap 'rm -rf $$dir' EXIT && \
	for unit in $(UNITS); do sed "s#/opt/papertrend#$(CURDIR)#g" $$unit > $$dir/$$(basename $$unit); done && \
	systemd-analyze verify $$dir/*.service && echo "systemd-analyze verify: $(UNITS): ok"

# Browse what `make demo` built: http://127.0.0.1:8000 (Ctrl-C stops).
web: $(STAMP)
	$(BIN)/papertrend web

# The demo's first email, rendered by headless Chromium at 600 px (Debian: apt install chromium).
EMAIL_PREVIEW ?= /tmp/papertrend-email.png
email-preview: $(STAMP)
	test -e data/demo-inbox/01-ada_at_example.org.eml || $(BIN)/papertrend demo
	$(BIN)/python scripts/email_preview.py data/demo-inbox/01-ada_at_example.org.eml --out $(EMAIL_PREVIEW)

# Debian's chromium, for the screenshots of `make email-preview` and bench/report_screens.py (the
# reader test of docs/trends.md); a browser tool's own download does not work on these machines.
chromium:
	command -v chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# What the tests need beyond PyPI (CI runs this as root): chromium for the browser tests, nginx for the
# README's reverse-proxy commands (tests/web/test_readme_web.py), postgresql for the work-pool test
# (tests/flows/e2e/test_work_pool.py). Debian packages.
ci-packages:
	{ command -v chromium && { command -v nginx || test -x /usr/sbin/nginx; } && ls /usr/lib/postgresql/*/bin/pg_ctl; } || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium nginx-light postgresql)

demo-real: $(STAMP)
	$(BIN)/papertrend demo --corpus ../shared/fixtures --data-dir data/real

test: $(STAMP)
	$(BIN)/python -m pytest

# Two workers, one per core: each starts its own Prefect test server (~10 s) while the other works.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/email_bench.py
	$(BIN)/python bench/listing_bench.py
	$(BIN)/python bench/oneshot_bench.py

# The web application under a 40 requests/s open-loop load on the bench-report warehouse (build it first).
bench-web: $(STAMP)
	$(BIN)/python bench/web_bench.py --warehouse $(BENCH_DIR)/warehouse.duckdb

# Snapshot publication on the bench-report warehouse, versioned against the full copy (build it first).
bench-snapshot: $(STAMP)
	$(BIN)/python bench/snapshot_bench.py --warehouse $(BENCH_DIR)/warehouse.duckdb

# ingest, report and email, 20 kills each (half SIGKILL, half SIGTERM) against one Prefect server: ~20 min.
bench-crash: $(STAMP)
	$(BIN)/python bench/crash_matrix.py --trials 20

BENCH_DIR ?= .bench/report
bench-report: $(STAMP)
	mkdir -p $(BENCH_DIR)
	$(BIN)/python bench/report_bench.py --keep $(BENCH_DIR)

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet ".[test]"
	{ echo "# Locked dependencies for Python 3.11 (runtime + test). Regenerate with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^papertrend'; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data .pytest_cache
