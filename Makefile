# Two commands on a fresh machine: `make run` serves the API, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test fuzz lint audit bench install install-dev node-tools serve clean up down image

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# newman, for the Postman collection test; without npm that test is skipped (and says so).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "npm not found: the Postman collection (newman) test will be skipped."; fi

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# A .env with a freshly generated SECRET, written once and never overwritten.
.env:
	@printf '%s\n' \
	  '# Written by `make run`; see .env.example for every variable. Never commit this file.' \
	  'APP_SETTINGS=development' \
	  "SECRET=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	  '# DATABASE_URL=postgresql://localhost/flask_api' > $@
	@echo "Wrote .env with a new random SECRET."

run: install .env
	$(BIN)/python manage.py db upgrade
	$(BIN)/python manage.py run --host $(HOST) --port $(PORT) || \
	  { echo "make run stopped. If port $(PORT) is in use, pick another: make run PORT=5001"; exit 1; }

test: install-dev node-tools
	$(BIN)/python manage.py test

# Schemathesis at length: many more generated cases per operation than `make test` runs.
fuzz: install-dev
	SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-1000} $(BIN)/python manage.py test tests.test_schemathesis

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py lint-migrations

# Production mode under gunicorn (gunicorn.conf.py): needs DATABASE_URL and SECRET in the
# environment or .env, and the migrations applied (`.venv/bin/python manage.py db upgrade`).
serve: install
	APP_SETTINGS=production HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn "run:app"

# Known vulnerabilities in the pinned requirements (pip-audit, PyPI's advisory data).
audit: install-dev
	$(BIN)/pip-audit --strict --progress-spinner off -r requirements.txt -r requirements-dev.txt

# Load, fault, speed and login benchmarks against gunicorn on PostgreSQL: figures, not tests.
bench: install-dev
	$(BIN)/python bench/run_all.py

# The compose stack (compose.yaml): PostgreSQL, Redis, a migration, 3 API instances, nginx on
# http://localhost:8080. Needs SECRET in the environment or .env, and Docker Compose (or
# COMPOSE="podman-compose").
COMPOSE ?= docker compose
up:
	$(COMPOSE) up -d --build

down:
	$(COMPOSE) down

# The image alone (BASE_IMAGE=... to build from another base, as the image test does).
CONTAINER ?= docker
image:
	$(CONTAINER) build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t bucketlist-api .

clean:
	rm -rf $(VENV) .ruff_cache node_modules test-output
