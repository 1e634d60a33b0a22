# Carbonlink: `make test` and `make run` work on a fresh clone with nothing but Python 3.11 installed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CARBONLINK := $(VENV)/bin/carbonlink
STAMP := $(VENV)/.installed-stamp
CORE_STAMP := build/matching-core.stamp
CORE_SOURCES := $(wildcard services/matching/core/*.py) $(wildcard carbonlink/compiled_core*)
PYTEST_ARGS ?=

.PHONY: install redis-server chromium lint-imports test test-pure-core test-unit test-integration test-slow run bench profile stack-up stack-down clean

install: $(STAMP) $(CORE_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The compiled copy of the matching core (mypyc, ~30 s), rebuilt when the core changes. A failed build says so on
# stderr and leaves the pure-Python core in use; install goes on.
$(CORE_STAMP): $(STAMP) $(CORE_SOURCES)
	$(PY) -m carbonlink.compiled_core build
	@mkdir -p build && touch $(CORE_STAMP)

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
# private broker and Redis on free ports and stop them. The run uses the matching core the services use (compiled
# when built); the matching unit suite then runs again on the pure-Python core, the reference.
test: install redis-server chromium lint-imports
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-pure-core

test-pure-core: install
	@if [ "$$($(PY) -m carbonlink.compiled_core status)" = compiled ]; then \
		echo "tests/unit/matching again, on the pure-Python core (the run above used the compiled one)"; \
		CARBONLINK_MATCHING_CORE=pure $(PY) -m pytest tests/unit/matching -q $(PYTEST_ARGS); \
	else \
		echo "!! the compiled matching core is not in use ($$($(PY) -m carbonlink.compiled_core status)):" \
			"only the pure-Python core was tested" >&2; \
	fi

lint-imports: install
	$(VENV)/bin/lint-imports --no-logo --no-cache

test-unit: install lint-imports
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-pure-core

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
	rm -rf var reports build/matching-core build/matching-core.stamp
