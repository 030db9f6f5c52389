# Quad Dialogue. `make run` serves the platform; `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint typecheck imports check install install-dev lock test-deps chromium bench fuzz clean

$(BIN)/python:
	@echo "Creating the virtual environment in $(VENV)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the locks: the exact versions (with their hashes) the suite passed with. `make lock` updates
# them on purpose; the project itself is installed without dependencies, so nothing unlocked slips in.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url

# Reinstall when a lock or the project's metadata changes.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	@echo "Installing locked dependencies (about 3 minutes the first time, seconds afterwards)..."
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	@echo "Installing locked dependencies with the test tools (about 4 minutes the first time)..."
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@echo "Migrating the database..."
	$(BIN)/quad db upgrade
	@echo "Loading demo data (only into an empty database)..."
	$(BIN)/quad seed-demo --if-empty
	@echo "Starting the server on http://$(HOST):$(PORT)/ ..."
	$(BIN)/quad serve --host $(HOST) --port $(PORT)

# Re-lock on purpose after changing pyproject.toml: keeps every pinned version that still fits and resolves only
# what changed. `make lock UPGRADE=1` moves everything to the newest versions (then run `make test`), and
# `make lock UPGRADE=name` just that package. The dev lock is constrained by the runtime lock, so both agree.
UPGRADE ?=
lock: install-dev
	$(PIP_COMPILE) $(if $(filter 1,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE))) \
	  -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) $(if $(filter 1,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE))) \
	  --extra dev -c $(LOCK) -o $(DEV_LOCK) pyproject.toml

# The OpenID Connect provider used by the sign-in tests (npm package oidc-provider).
tests/oidc/node_modules/.package-lock.json: tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the sign-in tests: apt-get install -y nodejs npm"; exit 1; }
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error

tests/e2e/node_modules/.package-lock.json: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error

# Browser journeys use Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "Browser tests need Chromium: run  sudo apt-get install -y chromium"; exit 1; fi; \
	fi

test-deps: install-dev chromium tests/oidc/node_modules/.package-lock.json tests/e2e/node_modules/.package-lock.json

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

imports: install-dev
	$(BIN)/lint-imports

check: lint typecheck imports

test: test-deps check
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache tests/oidc/node_modules tests/e2e/node_modules *.egg-info

# Extract translatable text from templates/ and app/ and update app/translations/ja/LC_MESSAGES/messages.po
# (new messages get an empty msgstr); prints what is still untranslated. `make messages ARGS=--check` fails instead.
.PHONY: messages
messages: install
	$(BIN)/python scripts/messages.py $(ARGS)

# Load benchmark (bench/README.md): SQLite by default, `make bench BENCH_DB=postgresql://.../quad_bench` for
# PostgreSQL; BENCH_ARGS passes options (--quick, --duration S, --reseed, --only PATH, --strict).
bench: install
	BENCH_DB="$(BENCH_DB)" $(BIN)/python -m bench $(BENCH_ARGS)

# A longer API fuzzing run than the one in `make test`: QUAD_FUZZ_EXAMPLES examples per operation and role, with
# a fresh random seed each time (add TEST_DATABASE_URL=postgresql://... to fuzz on PostgreSQL).
QUAD_FUZZ_EXAMPLES ?= 300
fuzz: test-deps
	QUAD_FUZZ_EXAMPLES=$(QUAD_FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/test_fuzz_api.py $(PYTEST_ARGS)
