# ExoClaims: `make serve` sets up and serves on SQLite with the review loaded; `make test` runs
# every test on SQLite and on PostgreSQL. PYTHON may name another interpreter (3.12+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup serve test lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 12) else "ExoClaims needs Python 3.12 or newer; $(PYTHON) is %d.%d. Install 3.12+ (pyenv: the .python-version file asks for 3.13) or run: make PYTHON=python3.13 ..." % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

serve: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --verbosity 0
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_review
	@echo "ExoClaims: http://$(HOST):$(PORT)/  (API: /api/, admin: /admin/)"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup
	bash tools/run_tests.sh

lint: setup
	$(BIN)/ruff check .
