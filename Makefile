# Quad Dialogue. `make run` serves the platform; `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint typecheck check install install-dev test-deps chromium bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/quad db upgrade
	$(BIN)/quad seed-demo --if-empty
	$(BIN)/quad serve --host $(HOST) --port $(PORT)

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

check: lint typecheck

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
