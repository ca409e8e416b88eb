# ExoClaims: `make serve` sets up and serves on SQLite with the review loaded; `make test` runs
# every test on SQLite and on PostgreSQL. PYTHON may name another interpreter (3.12+); PORT and
# HOST where to serve (`make PORT=8123 serve`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Development settings for every command run here, as the README's setup implies.
DEV := DJANGO_DEBUG=1

.PHONY: setup setup-dev serve test check lint

# What serving needs only; the test tools (Playwright, hypothesis, schemathesis…) come with `make test`.
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 12) else "ExoClaims needs Python 3.12 or newer; $(PYTHON) is %d.%d. Install 3.12+ (pyenv: the .python-version file asks for 3.13) or run: make PYTHON=python3.13 ..." % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

serve: setup
	@$(BIN)/python -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); \
	  r = s.connect_ex(("$(HOST)", $(PORT))); s.close(); \
	  sys.exit("Port $(PORT) on $(HOST) is busy (another server?). Serve on another: make PORT=8123 serve" if r == 0 else 0)'
	$(DEV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEV) $(BIN)/python manage.py load_review
	@echo "ExoClaims: http://$(HOST):$(PORT)/  (API: /api/, admin: /admin/)"
	$(DEV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup-dev
	bash tools/run_tests.sh

# Lint, layers, types, migrations and the fast tests on SQLite (no browser, no 10k/100k or load
# tests): what to run before a commit. `make test` runs everything, as CI does.
check: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(DEV) $(BIN)/mypy
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	env -u DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider -q -n 2 -m "not browser and not slow"

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
