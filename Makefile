# Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The Dagster instance lives in the project (dagster.yaml points every folder at .dagster/);
# models come from installed packages only, never from a hub.
export DAGSTER_HOME := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export HF_HUB_DISABLE_PROGRESS_BARS := 1

.PHONY: install demo dev test test-fast lint check bench services browser clean

# constraints.txt pins every transitive version, so a fresh clone installs what the tests
# last passed on (its header says how to regenerate it).
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

services:
	@bash scripts/ensure-services.sh

# The UI tests drive Debian's Chromium (Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

demo: install
	$(PY) -m enrichment_assets.demo

dev: install
	mkdir -p .dagster
	$(VENV)/bin/dagster dev -w workspace.yaml

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Every definition loads and validates, as the webserver and the daemon will load them.
check: install
	$(VENV)/bin/dg check defs

test: install services browser lint check
	$(VENV)/bin/pytest

# Everything but PostgreSQL, Celery, the browser and the slowest tests: no service needed, on
# every core (pytest-xdist). The budget is 3 minutes; the wall time is printed at the end.
FAST := not slow and not postgres and not celery and not browser
test-fast: install
	@start=$$(date +%s); $(VENV)/bin/pytest -m "$(FAST)" -n auto; status=$$?; \
	echo "make test-fast: $$(( $$(date +%s) - start )) s wall time (budget 180 s)"; exit $$status

bench: install services
	$(PY) -m bench

clean:
	rm -rf .data .dagster data/landing bench/out
