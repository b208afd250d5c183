# The two commands a newcomer needs: `make run` (the demo) and `make test` (everything CI runs);
# `make check` is the quick loop while working: the same checks, unit and API tests only.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
BIN := $(VENV)/bin

.PHONY: run test check lint typecheck integration bench fuzz need-wrk need-chromium need-postgresql clean

$(STAMP): pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

run: $(STAMP)
	$(BIN)/commerce-gateway demo

lint: $(STAMP)
	$(BIN)/lint-imports

# mypy over the layers and the simulators ([tool.mypy] in pyproject.toml); every `# type: ignore` names its error
typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck need-wrk need-chromium
	$(BIN)/pytest

# unit and API tests in one process, under a minute: no adapter tests (~10 s, each backend over loopback
# with its own servers), no e2e (child processes), no HTTP conformance (node, fuzzing); make test runs them
check: lint typecheck
	$(BIN)/pytest -q tests/unit tests/api

# the Medusa adapter's contract tests and a gateway test against a real Medusa v2 (integration/medusa/: npm ci
# into .cache/medusa/ once), over a PostgreSQL cluster of its own in a temporary folder, seeded through its Admin API
integration: $(STAMP) need-postgresql
	$(BIN)/pytest -p no:cacheprovider tests/integration

bench: $(STAMP) need-wrk
	$(BIN)/python bench/listing.py
	$(BIN)/python bench/carts.py
	$(BIN)/python bench/recommendations.py
	$(BIN)/python bench/http_caching.py
	$(BIN)/python bench/answer_cache.py
	$(BIN)/python bench/delta_sync.py
	$(BIN)/python bench/resolver_overhead.py
	$(BIN)/python bench/read_path.py
	$(BIN)/python bench/workers.py
	$(BIN)/python bench/metrics_overhead.py
	$(BIN)/python bench/overload.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/marketplace_sync.py
	$(BIN)/python bench/subscriptions.py
	$(BIN)/python bench/webhooks.py

# a long fuzz run outside CI (make test runs a bounded one): FUZZ_OPERATIONS generated operations against a
# live gateway, spread over a key of every kind; any 5xx, INTERNAL or answer outside the GraphQL shape fails it
FUZZ_OPERATIONS ?= 2000
fuzz: $(STAMP)
	FUZZ_OPERATIONS=$(FUZZ_OPERATIONS) $(BIN)/pytest -q -s -p no:cacheprovider tests/http/test_fuzz.py

# wrk loads the benchmarks, and make test runs each of them once (tests/e2e/test_bench_smoke.py):
# installed with apt-get when missing and run as root (as CI is), else a one-line message and a stop
need-wrk:
	@scripts/need-wrk

# headless Chromium for tests/browser/ (GraphiQL with no network beyond loopback): installed the same way
need-chromium:
	@scripts/need-chromium

# PostgreSQL's server for make integration: installed the same way
need-postgresql:
	@scripts/need-postgresql

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
