# Carbonlink: `make test` and `make run` work on a fresh clone with nothing but Python 3.11 installed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CARBONLINK := $(VENV)/bin/carbonlink
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install redis-server chromium lint-imports test test-unit test-integration test-slow run bench profile stack-up stack-down clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The stack and the tests start their own redis-server; install the Debian package when it is missing.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing redis-server (Debian package)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
		else \
			echo "redis-server is missing: install the package 'redis-server' (e.g. sudo apt-get install redis-server)"; \
			exit 1; \
		fi; \
	fi

# The dashboard's browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (Debian package) for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is missing: the browser tests will be skipped (install the package 'chromium')"; \
		fi; \
	fi

# The import rule first (contracts in pyproject.toml), then unit and integration tests; the fixtures start a
# private broker and Redis on free ports and stop them.
test: install redis-server chromium lint-imports
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint-imports: install
	$(VENV)/bin/lint-imports --no-logo --no-cache

test-unit: install lint-imports
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install redis-server chromium
	$(PY) -m pytest tests/integration -m "not slow" $(PYTEST_ARGS)

test-slow: install redis-server
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

# The main job: bring up the embedded stack, run the default scenario end to end, stop everything.
run: install redis-server
	$(CARBONLINK) run

bench: install redis-server
	$(CARBONLINK) bench all

# py-spy on every service while the service benchmarks run; raw samples and top frames in reports/profile/.
profile: install redis-server
	@test -x $(VENV)/bin/py-spy || $(PY) -m pip install --quiet py-spy
	$(CARBONLINK) bench profile

stack-up: install redis-server
	$(CARBONLINK) stack up

stack-down:
	$(CARBONLINK) stack down

clean: stack-down
	rm -rf var reports
