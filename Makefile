# make run  : the sandbox store with demo data on http://127.0.0.1:8000/
# make test : the whole test suite
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MANAGE := $(PY) sandbox/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install browser js migrate demo messages wheel clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
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
	@# The background worker (emails, auto-resolve, retention) runs beside daphne and stops with it.
	$(MANAGE) db_worker --interval 2 & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) sandbox.asgi:application

test: $(INSTALLED) browser js
	$(PY) -m pytest $(PYTEST_ARGS)

messages: $(INSTALLED)
	cd oscar_chat && ../$(PY) ../sandbox/manage.py compilemessages -v0

wheel: $(INSTALLED)
	$(PY) -m pip wheel --no-deps -w dist .

clean:
	rm -rf build dist *.egg-info sandbox/db.sqlite3 sandbox/test_db.sqlite3*
