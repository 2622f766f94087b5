# make run  : the sandbox store with demo data on http://127.0.0.1:8000/
# make test : the whole test suite
# make docs : the documentation (Sphinx, warnings as errors) into docs/_build
# make lint : ruff and mypy
# make bench : this project against django-eventstream, same load client (benchmarks/compare.py)
# make matrix : the CI matrix's legs (nox: Python 3.11-3.13, Django 5.2-6.1)
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MANAGE := $(PY) sandbox/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite's workers (pytest-xdist; 0 runs it in one process). Two fill CI's two cores: much of
# the suite waits on daphne processes and the browser. Which tests share a worker: tests/conftest.py.
TEST_WORKERS ?= 2
# The pinned versions CI runs with (regenerate with `make constraints`).
CONSTRAINTS ?= constraints/py311.txt

.PHONY: bench run test install browser js migrate demo messages wheel docs lint matrix newest constraints clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[test,docs,dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The JavaScript's checks (eslint, tsc over JSDoc, node --test): development and CI only; stores
# install the Python package without Node. Debian's nodejs/npm where Node is missing.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs and npm for the JavaScript checks"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

js: node_modules/.installed
	npx eslint oscar_chat/static/oscar_chat/js tests/js eslint.config.js
	npx tsc -p tsconfig.json
	node --test tests/js/

migrate: $(INSTALLED)
	$(MANAGE) migrate --noinput -v0

demo: migrate
	$(MANAGE) load_demo

run: demo
	@echo ""
	@echo "  Store:        http://$(HOST):$(PORT)/"
	@echo "  Agent admin:  http://$(HOST):$(PORT)/admin/"
	@echo "  Chat API:     http://$(HOST):$(PORT)/api/chat/   (schema: /api/chat/schema/)"
	@echo "  JWT:          POST http://$(HOST):$(PORT)/api/auth/token/"
	@echo ""
	@echo "  Sign in (store, admin, token) with an email, password demo12345:"
	@echo "    customer@example.com   agent@example.com   admin@example.com"
	@echo ""
	@# The background worker (emails, auto-resolve, retention) runs beside the server and stops with it.
	@# oscar_chat.server: daphne with lean connection checks (docs/deployment.md).
	$(MANAGE) db_worker --interval 2 & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	$(PY) -m oscar_chat.server -b $(HOST) -p $(PORT) sandbox.asgi:application

# Not part of `make test`: about 15 minutes, and it needs PostgreSQL (BENCH_PG, BENCH_DB).
bench: $(INSTALLED)
	$(PY) benchmarks/compare.py $(BENCH_ARGS)

test: $(INSTALLED) browser js
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

messages: $(INSTALLED)
	cd oscar_chat && ../$(PY) ../sandbox/manage.py compilemessages -v0

docs: $(INSTALLED)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The matrix's pinned legs, on SQLite without browser tests (.ci/run runs them beside the main job).
matrix: $(INSTALLED)
	. .ci/pythons && $(VENV)/bin/nox -s tests

# The newest releases of everything: reports breakage upstream, never fails CI.
newest: $(INSTALLED)
	. .ci/pythons && $(VENV)/bin/nox -s newest

constraints:
	.ci/constraints

wheel: $(INSTALLED)
	$(PY) -m pip wheel --no-deps -w dist .

clean:
	rm -rf build dist *.egg-info docs/_build docs/_generated .nox sandbox/db.sqlite3 sandbox/test_db.sqlite3*
