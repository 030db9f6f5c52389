# Quad Dialogue. `make run` serves the platform; `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint typecheck check install install-dev test-deps bench fuzz clean

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

test-deps: install-dev tests/oidc/node_modules/.package-lock.json

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

check: lint typecheck

test: test-deps check
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache tests/oidc/node_modules *.egg-info
